// pipekit/pipeline: commands found as execvp finds them, pipefail's status, and pipelines run.
#include "pipekit/pipeline.hpp"
#include "pipekit/pump.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

using namespace syskit::pipekit;

TEST_CASE("pipekit find_program searches PATH and says why a command cannot run") {
    TempDir dir;
    dir.write("tool", "#!/bin/sh\n", 0755);
    dir.write("plain", "data", 0644);
    dir.mkdir("sub");
    std::string old = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir.path.string() + ":/bin").c_str(), 1);
    std::string path;
    CHECK(find_program("tool", path) == 0);
    CHECK(path == dir / "tool");
    CHECK(find_program("sh", path) == 0);
    CHECK(path == "/bin/sh");
    CHECK(find_program("plain", path) == EACCES);
    CHECK(find_program("sub", path) == EISDIR);
    CHECK(find_program("no-such-command-here", path) == ENOENT);
    CHECK(find_program(dir / "plain", path) == EACCES);
    CHECK(find_program(dir / "tool", path) == 0);
    ::setenv("PATH", old.c_str(), 1);
}

TEST_CASE("pipekit pipefail: the last status that is not 0") {
    CHECK(pipefail_status({0, 0, 0}) == 0);
    CHECK(pipefail_status({1, 0, 0}) == 1);
    CHECK(pipefail_status({1, 141, 0}) == 141);
    CHECK(pipefail_status({2, 0, 3}) == 3);
}

TEST_CASE("pipekit a pipeline's status follows pipefail, a timeout gives 124") {
    RunOptions o;
    o.argv = {{"true"}, {"sh", "-c", "exit 3"}, {"true"}};
    CHECK(run_pipeline(o) == 3);
    o.argv = {{"sh", "-c", "exit 4"}, {"sh", "-c", "cat >/dev/null; exit 0"}};
    CHECK(run_pipeline(o) == 4);
    o.argv = {{"sleep", "30"}};
    o.timeout = 0.2;
    CHECK(run_pipeline(o) == 124);
}

TEST_CASE("pipekit the progress line shows bytes and rate, and the ETA when the size is known") {
    CHECK(progress_line(0, 0, std::nullopt) == "0 0/s");
    CHECK(progress_line(10 << 20, 2, std::nullopt) == "10M 5.0M/s");
    CHECK(progress_line(10 << 20, 2, 40 << 20) == "10M 5.0M/s  25% ETA 0:00:06");
    CHECK(progress_line(40 << 20, 8, 40 << 20) == "40M 5.0M/s 100%");
}

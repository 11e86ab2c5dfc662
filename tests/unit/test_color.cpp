// --color and -q in lib/: out::paint, the diagnostics cli::error, warn, note and info print
// once a tool has parsed them, and the levels a Logger colours.
#include "cli/diag.hpp"
#include "log/log.hpp"
#include "out/color.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

using namespace syskit;

namespace {

/// What say() wrote on stderr.
std::string stderr_of(const std::function<void()>& say) {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    std::fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    say();
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        got.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    return got;
}

/// Diagnostics as a tool without --color and -q has them, for the test and after it (a
/// test before may have parsed -q).
struct Reset {
    Reset() {
        cli::set_program_name("t");
        plain();
    }
    ~Reset() { plain(); }
    static void plain() {
        cli::set_color(false);
        cli::set_quiet(false);
    }
};

} // namespace

TEST_CASE("paint wraps text in a colour and a reset only when on") {
    CHECK(out::paint("x", out::sgr::red, true) == "\033[31mx\033[0m");
    CHECK(out::paint("x", out::sgr::red, false) == "x");
    CHECK(out::paint("x", "", true) == "x");
}

TEST_CASE("diagnostics: plain by default, coloured by kind after set_color") {
    Reset reset;
    CHECK(stderr_of([] { cli::error("f", "gone"); }) == "t: f: gone\n");
    CHECK(stderr_of([] { cli::warn("f", "odd"); }) == "t: f: warning: odd\n");
    CHECK(stderr_of([] { cli::note("", "got it"); }) == "t: got it\n");
    CHECK(stderr_of([] { cli::info("f", "resuming"); }) == "t: f: resuming\n");
    cli::set_color(true);
    CHECK(stderr_of([] { cli::error("f", "gone"); }) == "\033[1;31mt:\033[0m f: gone\n");
    CHECK(stderr_of([] { cli::warn("f", "odd"); }) == "t: f: \033[1;33mwarning:\033[0m odd\n");
    CHECK(stderr_of([] { cli::note("f", "got it"); }) == "\033[1mt:\033[0m f: got it\n");
}

TEST_CASE("quiet silences warnings and info, never errors or what was asked for") {
    Reset reset;
    cli::set_quiet(true);
    CHECK(stderr_of([] { cli::warn("f", "odd"); }) == "");
    CHECK(stderr_of([] { cli::info("f", "resuming"); }) == "");
    CHECK(stderr_of([] { cli::note("f", "got it"); }) == "t: f: got it\n");
    CHECK(stderr_of([] { cli::error("f", "gone"); }) == "t: f: gone\n");
}

TEST_CASE("a Logger colours the level of logfmt lines, never JSON") {
    log::Logger l;
    CHECK(l.format_line(log::Level::error, "m", {}, "") == "level=error msg=m\n");
    l.set_color(true);
    CHECK(l.format_line(log::Level::error, "m", {}, "") == "\033[1;31mlevel=error\033[0m msg=m\n");
    CHECK(l.format_line(log::Level::warn, "m", {}, "") == "\033[1;33mlevel=warn\033[0m msg=m\n");
    CHECK(l.format_line(log::Level::info, "m", {}, "") == "level=info msg=m\n");
    log::Logger j(log::Format::json);
    j.set_color(true);
    CHECK(j.format_line(log::Level::error, "m", {}, "") == R"({"level":"error","msg":"m"})" "\n");
}

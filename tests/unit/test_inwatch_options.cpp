// inwatch's options: what finish() makes of a command line, and what it refuses.
#include "argv.hpp"
#include "inwatch/options.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"

#include <doctest/doctest.h>

#include <sys/inotify.h>

#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::inwatch;

namespace {

/// Parses args as inwatch does, --exec's command included; the problem's subject, or ""
/// when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    cli::Tool tool("inwatch", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    test::Argv argv("inwatch", std::move(args));
    cli::Command command = cli::command_after("--exec", argv.argc(), argv.argv());
    if (auto usage = tool.check(command.argc, argv.argv()))
        return usage->subject;
    o.command = command.argv;
    auto p = finish(o);
    if (out)
        *out = o;
    return p ? p->subject : "";
}

using Args = std::vector<std::string>;

} // namespace

TEST_CASE("inwatch options: defaults") {
    Options o;
    CHECK(problem_of({"w"}, &o) == "");
    CHECK(o.paths == Args{"w"});
    CHECK(o.mask == (IN_ALL_EVENTS & ~(IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE)));
    CHECK(o.timeout == 0);
    CHECK(o.grace == 2);
    CHECK(o.debounce_ms == 100);
    CHECK_FALSE(o.monitor);
    CHECK(o.command.empty());
    CHECK(o.report.style == Style::text);
}

TEST_CASE("inwatch options: typed") {
    Options o;
    CHECK(problem_of({"-m", "-r", "-t", "0.5", "--grace", "0", "-e", "create,delete", "-e", "modify", "--format",
                      "json", "--exclude", "*.tmp", "a", "b"},
                     &o) == "");
    CHECK(o.monitor);
    CHECK(o.recursive);
    CHECK(o.timeout == 0.5);
    CHECK(o.grace == 0);
    CHECK(o.mask == (IN_CREATE | IN_DELETE | IN_MODIFY));
    CHECK(o.report.style == Style::json);
    CHECK(o.exclude == Args{"*.tmp"});
    CHECK(o.paths == Args{"a", "b"});

    CHECK(problem_of({"--format", "%w%f", "w"}, &o) == "");
    CHECK(o.report.style == Style::custom);
    CHECK(o.report.format == "%w%f");
    CHECK(problem_of({"-0", "--format", "json", "w"}, &o) == "");
    CHECK(o.report.style == Style::null);
}

TEST_CASE("inwatch options: --exec's command, which implies --monitor") {
    Options o;
    CHECK(problem_of({"w", "--exec", "make", "-j", "--exec"}, &o) == "");
    CHECK(o.command == Args{"make", "-j", "--exec"});
    CHECK(o.monitor);
    CHECK(problem_of({"--shell", "w", "--exec", "echo", "$INWATCH_PATHS"}, &o) == "");
    CHECK(o.command == Args{"/bin/sh", "-c", "echo $INWATCH_PATHS"});
    CHECK(problem_of({"--shell", "w"}) == "--shell");
    Options shell_only;
    shell_only.raw.shell = true;
    CHECK(shell_problem(shell_only)->message == "needs --exec");
}

TEST_CASE("inwatch options: bad values name their option") {
    for (const char* bad : {"0", "-1", "soon", "1s", ""})
        CHECK_MESSAGE(problem_of({"-t", bad, "w"}) == "--timeout", bad);
    CHECK(problem_of({"-t", "1e-3", "w"}) == "");
    for (const char* bad : {"-1", "x"})
        CHECK_MESSAGE(problem_of({"--grace", bad, "w"}) == "--grace", bad);
    for (const char* bad : {"bogus", "create,bogus", "create,"})
        CHECK_MESSAGE(problem_of({"-e", bad, "w"}) == "--event", bad);
}

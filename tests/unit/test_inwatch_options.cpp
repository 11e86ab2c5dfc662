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

TEST_CASE("inwatch options: inotifywait's --include, --includei, --csv, -o, -d, @PATH, unmount") {
    Options o;
    CHECK(problem_of({"--include", "\\.txt$", "w"}, &o) == "");
    REQUIRE(o.include);
    CHECK(o.include->matches("w/a.txt"));
    CHECK_FALSE(o.include->matches("w/a.TXT"));
    CHECK_FALSE(o.include->matches("w/a.txt.log"));
    notify::Event move{"w/b.log", "w/a.txt", IN_MOVED_FROM | IN_MOVED_TO};
    CHECK(o.include->admits(move)); // a move is reported when either of its names matches
    CHECK(problem_of({"--includei", "\\.txt$", "w"}, &o) == "");
    CHECK(o.include->matches("w/a.TXT"));
    CHECK(problem_of({"--include", "(", "w"}) == "--include");
    CHECK(problem_of({"--includei", "[a", "w"}) == "--includei");
    CHECK(problem_of({"--include", "a", "--includei", "b", "w"}) == "--include");

    CHECK(problem_of({"-c", "w"}, &o) == "");
    CHECK(o.report.style == Style::csv);
    CHECK(problem_of({"--csv", "--format", "json", "w"}) == "--csv");
    CHECK(problem_of({"--csv", "-0", "w"}) == "--csv");

    CHECK(problem_of({"-o", "log", "w"}, &o) == "");
    CHECK(o.outfile == "log");
    CHECK_FALSE(o.monitor);
    CHECK(problem_of({"-d", "-o", "log", "w"}, &o) == "");
    CHECK(o.daemon);
    CHECK(o.monitor);
    CHECK(problem_of({"-d", "w"}) == "--daemon");
    CHECK(problem_of({"-o", "log", "w", "--exec", "true"}) == "--outfile");

    CHECK(problem_of({"w", "@w/sub", "@w/a*b/", "@"}, &o) == "");
    CHECK(o.paths == Args{"w", "@"});
    CHECK(o.exclude == Args{"w/sub", "w/a\\*b"});
    CHECK(problem_of({"@w"}) == "PATH");
    CHECK(problem_of({}) == "PATH");

    CHECK(problem_of({"-e", "unmount", "w"}, &o) == "");
    CHECK(o.mask == IN_UNMOUNT);
    CHECK(problem_of({"--compat-exit", "w"}, &o) == "");
    CHECK(o.compat_exit);
}

TEST_CASE("inwatch options: --fromfile's lines, and --compat-exit's statuses") {
    CHECK(path_list("a\n@b\n\n c \nlast") == Args{"a", "@b", " c ", "last"});
    CHECK(path_list("a\n").size() == 1);
    CHECK(path_list("").empty());
    CHECK(exit_status(0, true) == 0);
    CHECK(exit_status(1, true) == 2);
    CHECK(exit_status(2, true) == 1);
    CHECK(exit_status(1, false) == 1);
    CHECK(exit_status(2, false) == 2);
    test::Argv with("inwatch", {"-t", "1", "--compat-exit", "w"});
    CHECK(compat_exit_asked(with.argc(), with.argv()));
    test::Argv after("inwatch", {"w", "--exec", "cmd", "--compat-exit"});
    CHECK_FALSE(compat_exit_asked(after.argc(), after.argv()));
}

TEST_CASE("inwatch report: --csv as inotifywait writes it, a paired move as its two halves") {
    ReportOptions ro;
    ro.style = Style::csv;
    timespec now{};
    CHECK(render(notify::Event{"w/a.txt", {}, IN_CREATE}, ro, now) == "w/,CREATE,a.txt\n");
    CHECK(render(notify::Event{"w/d", {}, IN_CREATE | IN_ISDIR, true}, ro, now) == "w/,\"CREATE,ISDIR\",d\n");
    CHECK(render(notify::Event{"w/b,\"q\".log", {}, IN_MODIFY}, ro, now) == "w/,MODIFY,\"b,\"\"q\"\".log\"\n");
    CHECK(render(notify::Event{"w/new", "w/old", IN_MOVED_FROM | IN_MOVED_TO}, ro, now) ==
          "w/,MOVED_FROM,old\nw/,MOVED_TO,new\n");
    CHECK(csv_field(" x") == "\" x\"");
    CHECK(csv_field("a\nb") == "\"a\nb\"");
    CHECK(csv_field("") == "");
}

TEST_CASE("inwatch report: JSON's time is RFC 3339 in UTC with Z unless --timefmt says otherwise") {
    ReportOptions ro;
    ro.style = Style::json;
    timespec when{1764597725, 123456789};
    std::string line = render(notify::Event{"w/f", {}, IN_CREATE}, ro, when);
    CHECK(line == "{\"path\":\"w/f\",\"events\":[\"CREATE\"],\"is_dir\":false,\"time\":\"2025-12-01T14:02:05.123Z\"}\n");
    ro.style = Style::custom;
    ro.format = "%T %f";
    CHECK(render(notify::Event{"w/f", {}, IN_CREATE}, ro, when) == "2025-12-01T14:02:05.123Z f\n");
    ro.timefmt = "%s";
    CHECK(render(notify::Event{"w/f", {}, IN_CREATE}, ro, when) == "1764597725 f\n");
}

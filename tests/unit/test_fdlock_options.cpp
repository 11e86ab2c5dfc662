// fdlock's options: what finish() makes of a command line, and what it refuses.
#include "argv.hpp"
#include "fdlock/options.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::fdlock;

namespace {

/// Parses args as fdlock does, the command after FILE included; the problem as
/// "subject: message", or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    cli::Tool tool("fdlock", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    test::Argv argv("fdlock", std::move(args));
    cli::Command command = cli::command_after_operand(app, argv.argc(), argv.argv());
    if (auto usage = tool.check(command.argc, argv.argv()))
        return usage->subject + ": " + usage->message;
    o.command = command.argv;
    auto p = finish(o);
    if (out)
        *out = o;
    return p ? p->subject + ": " + p->message : "";
}

using Args = std::vector<std::string>;

} // namespace

TEST_CASE("fdlock options: FILE and a command, typed") {
    Options o;
    CHECK(problem_of({"-s", "-w", "2.5", "--range", "1K:4K", "--deadline", "3", "lock", "ls", "-l"}, &o) == "");
    CHECK(o.action == Action::run);
    CHECK(o.operand == "lock");
    CHECK(o.command == Args{"ls", "-l"});
    CHECK(o.acquire.request.mode == lock::Mode::shared);
    CHECK(o.acquire.request.owner == lock::Owner::ofd);
    CHECK(o.acquire.request.range == lock::Range{1024, 4096});
    CHECK(o.acquire.wait == 2.5);
    CHECK(o.acquire.subject == "lock");
    CHECK(o.deadline == 3.0);
    CHECK_FALSE(o.grace);

    CHECK(problem_of({"-n", "-w", "5", "--posix", "-x", "lock", "true"}, &o) == "");
    CHECK(o.acquire.wait == 0); // -n wins over -w
    CHECK(o.acquire.request.owner == lock::Owner::posix);
    CHECK(o.acquire.request.mode == lock::Mode::exclusive);
    CHECK(o.conflict_exit == cli::exit_found);

    CHECK(problem_of({"-E", "9", "lock", "true"}, &o) == "");
    CHECK(o.acquire.wait == -1); // as long as it takes
    CHECK(o.conflict_exit == 9);
}

TEST_CASE("fdlock options: -c before or after FILE") {
    Options o;
    CHECK(problem_of({"lock", "-c", "echo hi"}, &o) == "");
    CHECK(o.shell_command == "echo hi");
    CHECK(o.command.empty());
    CHECK(problem_of({"-c", "echo hi", "lock"}, &o) == "");
    CHECK(o.shell_command == "echo hi");
    CHECK(problem_of({"lock", "-c"}) == ": -c requires exactly one command argument");
    CHECK(problem_of({"lock", "--command", "a", "b"}) == ": --command requires exactly one command argument");
    CHECK(problem_of({"-c", "a", "lock", "-c", "b"}) == ": -c requires exactly one command argument");
    CHECK(problem_of({"-c", "a", "lock", "ls"}) == "--command: not with a COMMAND after FILE as well");
}

TEST_CASE("fdlock options: a descriptor, and what it cannot take") {
    Options o;
    CHECK(problem_of({"-u", "9"}, &o) == "");
    CHECK(o.action == Action::descriptor);
    CHECK(o.fd == 9);
    CHECK(o.unlock);
    CHECK(problem_of({"LOCK"}).rfind("LOCK: not a descriptor number", 0) == 0);
    CHECK(problem_of({"--posix", "9"}).rfind("9: --posix locks belong to the process", 0) == 0);
    CHECK(problem_of({"--keep-fd", "9"}) == "--keep-fd: needs FILE and a COMMAND");
    CHECK(problem_of({"--deadline", "1", "9"}) == "--deadline: needs FILE and a COMMAND");
    CHECK(problem_of({"-u", "lock", "true"}).rfind("--unlock: only with a descriptor", 0) == 0);
    CHECK(problem_of({}).rfind(": not enough arguments", 0) == 0);
    // An empty FILE ("$LOCK" unset) is named as such, not taken for a missing one.
    const std::string empty = "FILE: the name given is empty (''): name the lock file, or give a descriptor number";
    CHECK(problem_of({"", "true"}) == empty);
    CHECK(problem_of({""}) == empty);
    CHECK(problem_of({"--holder", ""}) == empty);
    CHECK(problem_of({"--list", ""}).rfind("--list: takes no FILE", 0) == 0);
}

TEST_CASE("fdlock options: --holder and --list") {
    Options o;
    CHECK(problem_of({"--holder", "--range", "0:10", "--format", "json", "lock"}, &o) == "");
    CHECK(o.action == Action::holder);
    CHECK(o.format == cli::Format::json);
    CHECK(o.range == lock::Range{0, 10});
    CHECK(problem_of({"--list"}, &o) == "");
    CHECK(o.action == Action::list);
    CHECK(o.format == cli::Format::text);
    CHECK(problem_of({"--holder"}) == "--holder: takes one FILE and no COMMAND");
    CHECK(problem_of({"--list", "lock"}) == "--list: takes no FILE or COMMAND");
    CHECK(problem_of({"--holder", "-x", "lock"}) == "--holder: only takes --format and --range");
    CHECK(problem_of({"--list", "-E", "3"}) == "--list: only takes --format");
    CHECK(problem_of({"--list", "--range", "0:1"}) == "--list: only takes --format");
    CHECK(problem_of({"--format", "json", "lock", "true"}) == "--format: only with --holder or --list");
}

TEST_CASE("fdlock options: bad values name their option") {
    for (auto [args, subject] : std::vector<std::pair<Args, std::string>>{
             {{"--range", "x", "l", "true"}, "--range"},
             {{"--range", "-1:2", "l", "true"}, "--range"},
             {{"-w", "abc", "l", "true"}, "--timeout"},
             {{"-w", "-1", "l", "true"}, "--timeout"},
             {{"--deadline", "0", "l", "true"}, "--deadline"},
             {{"--grace", "x", "l", "true"}, "--grace"},
         }) {
        std::string p = problem_of(args);
        CAPTURE(p);
        CHECK(p.rfind(subject + ": ", 0) == 0);
    }
}

// usbtidy/options: subcommands and their options, typed and checked by finish().
#include "argv.hpp"
#include "usbtidy/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::usbtidy;

namespace {
/// Parses args as usbtidy would; "subject: message" of the problem, or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    syskit::cli::Tool tool("usbtidy", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    syskit::test::Argv argv("usbtidy", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage->subject + ": " + usage->message;
    auto p = finish(o);
    if (out)
        *out = o;
    return p ? p->subject + ": " + p->message : "";
}
} // namespace

TEST_CASE("usbtidy options: each command and what it takes") {
    Options o;
    CHECK(problem_of({"organize", "--dry-run", "--rules", "r.txt", "/media/stick"}, &o) == "");
    CHECK(o.command == Command::organize);
    CHECK(o.dry_run);
    CHECK(o.rules == "r.txt");
    CHECK(o.dir == "/media/stick");
    CHECK(problem_of({"undo", "--format", "json", "/m"}, &o) == "");
    CHECK(o.command == Command::undo);
    CHECK(o.format == syskit::cli::Format::json);
    CHECK(problem_of({"list"}, &o) == "");
    CHECK(o.command == Command::list);
    CHECK(problem_of({"watch", "--label", "STICK", "--mount", "--notify", "--timeout", "2.5"}, &o) == "");
    CHECK(o.command == Command::watch);
    CHECK(o.label == "STICK");
    CHECK(o.mount);
    CHECK(o.notify);
    CHECK(o.timeout == 2.5);
}

TEST_CASE("usbtidy options: mistakes in words") {
    CHECK(problem_of({}) == ": a command is missing: organize, undo, list or watch");
    CHECK(problem_of({"organize"}) == "DIR: missing: the directory to organize");
    CHECK(problem_of({"undo"}) == "DIR: missing: the directory to restore");
    CHECK(problem_of({"list", "--format", "xml"}) == "--format: 'xml' is not text or json");
    CHECK(problem_of({"watch"}) == "watch: say which drives to tidy: --label L, --uuid U or --any");
    CHECK(problem_of({"watch", "--any", "--uuid", "1234"}) == "--any: choose one of --label, --uuid and --any");
    CHECK(problem_of({"watch", "--any", "--timeout", "0"}) ==
          "--timeout: '0' is not a number of seconds above 0, at most 3600");
    CHECK(problem_of({"watch", "--any", "--log-format", "xml"}) == "--log-format: 'xml' is not one of: logfmt, json");
}

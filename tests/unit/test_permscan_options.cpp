// permscan's options: what finish() makes of a command line, and what it refuses.
#include "argv.hpp"
#include "permscan/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <memory>

using namespace syskit;
using namespace syskit::permscan;

namespace {

/// Parses args (without the program name) as permscan does; the problem finish() found.
std::optional<cli::Problem> problem_of(std::vector<std::string> args, Options* out = nullptr) {
    cli::Tool tool("permscan", "test");
    tool.add_format().add_null().add_color().add_quiet();
    Options o;
    add_options(tool.app(), o);
    test::Argv argv("permscan", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage;
    auto p = finish(o);
    if (out)
        *out = o;
    return p;
}

/// "subject: message" of a problem, or "" for none.
std::string words(const std::optional<cli::Problem>& p) { return p ? p->subject + ": " + p->message : ""; }

Options parsed(std::vector<std::string> args) {
    Options o;
    auto p = problem_of(std::move(args), &o);
    REQUIRE_FALSE(p.has_value());
    return o;
}

bool enabled(const Options& o, Check c) { return o.scan.enabled[static_cast<std::size_t>(c)]; }

} // namespace

TEST_CASE("permscan options: the defaults scan . with the default checks, every entry statx'ed") {
    Options o = parsed({});
    for (std::size_t i = 0; i < check_count; ++i)
        CHECK(o.scan.enabled[i] == info(static_cast<Check>(i)).by_default);
    CHECK_FALSE(enabled(o, Check::group_writable));
    CHECK(o.scan.roots == std::vector<std::string>{"."});
    std::unique_ptr<char, decltype(&std::free)> cwd(getcwd(nullptr, 0), &std::free);
    CHECK(o.scan.absolute_roots == std::vector<std::string>{cwd.get()});
    CHECK(o.walk.roots == std::vector<std::string>{"."});
    CHECK(o.walk.flags == fs::walk_stat);
    CHECK(o.output == Output::findings);
}

TEST_CASE("permscan options: --check, --skip, --all and --min-severity choose the checks") {
    Options o = parsed({"--check", "setuid,setgid", "--check=group-writable"});
    for (std::size_t i = 0; i < check_count; ++i) {
        auto c = static_cast<Check>(i);
        CHECK(enabled(o, c) == (c == Check::setuid || c == Check::setgid || c == Check::group_writable));
    }
    o = parsed({"--all", "--skip", "setuid"});
    CHECK(enabled(o, Check::group_writable));
    CHECK_FALSE(enabled(o, Check::setuid));
    CHECK(enabled(o, Check::setgid));
    o = parsed({"--all", "--min-severity", "high"});
    for (std::size_t i = 0; i < check_count; ++i)
        CHECK(o.scan.enabled[i] == (info(static_cast<Check>(i)).severity == Severity::high));
}

TEST_CASE("permscan options: an unknown check or severity is named") {
    auto p = problem_of({"--check", "setuid,no-such"});
    REQUIRE(p);
    CHECK(p->subject == "--check");
    CHECK(p->message == "unknown check 'no-such' (checks: " + check_list() + ")");
    p = problem_of({"--skip=bogus"});
    REQUIRE(p);
    CHECK(p->subject == "--skip");
    CHECK(p->message.find("'bogus'") != std::string::npos);
    p = problem_of({"--min-severity", "urgent"});
    REQUIRE(p);
    CHECK(p->subject == "--min-severity");
    CHECK(p->message == "unknown severity 'urgent' (low, medium, high)");
    CHECK(check_list().rfind("world-writable-file, world-writable-dir, ", 0) == 0);
}

TEST_CASE("permscan options: --fix, --apply, --summary and -0 combine as they may") {
    CHECK(parsed({"--fix"}).output == Output::fix);
    Options o = parsed({"--fix", "--apply", "--fix-setid"});
    CHECK((o.output == Output::fix && o.apply && o.fix_setid));
    CHECK(parsed({"--summary"}).output == Output::summary);
    CHECK(words(problem_of({"--apply"})) == "--apply: only with --fix");
    CHECK(words(problem_of({"--fix-setid"})) == "--fix-setid: only with --fix");
    CHECK(words(problem_of({"--fix", "--summary"})) == "--summary: cannot be used with --fix");
    CHECK(words(problem_of({"-0", "--fix"})) == "--null: cannot be used with --fix");
    CHECK(words(problem_of({"-0", "--summary"})) == "--null: cannot be used with --summary");
}

TEST_CASE("permscan options: walk options, roots and --allow") {
    Options o = parsed({"-x", "--max-depth", "2", "-j", "3", "--exclude", "*.tmp", "--allow", "*/sudo", "a", "b"});
    CHECK(o.scan.roots == std::vector<std::string>{"a", "b"});
    CHECK(o.scan.absolute_roots.size() == 2);
    CHECK(o.walk.flags == (fs::walk_stat | fs::walk_one_fs));
    CHECK(o.walk.max_depth == 2);
    CHECK(o.walk.threads == 3);
    CHECK(o.walk.exclude.matches("a/x.tmp", "x.tmp"));
    CHECK(o.scan.allow.matches("/usr/bin/sudo", "sudo"));
    CHECK(words(problem_of({"-L"})) == "-L: unknown option"); // permscan never follows links
}

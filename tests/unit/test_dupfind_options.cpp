// dupfind's options: what finish() makes of a command line, and what it refuses.
#include "argv.hpp"
#include "dupfind/options.hpp"

#include "cli/cli.hpp"
#include "cli/size.hpp"


#include <doctest/doctest.h>

#include <cstdint>

using namespace syskit;
using namespace syskit::dupfind;

namespace {

/// Parses args (without the program name) as dupfind does, -0 given as null; the problem
/// finish() found.
std::optional<cli::Problem> problem_of(std::vector<std::string> args, Options* out = nullptr, bool null = false) {
    cli::Tool tool("dupfind", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    test::Argv argv("dupfind", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage;
    o.raw.null = null;
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

} // namespace

TEST_CASE("dupfind options: the defaults") {
    Options o = parsed({"t"});
    CHECK(o.find.walk.roots == std::vector<std::string>{"t"});
    CHECK(o.find.walk.flags == 0);
    CHECK(o.find.hash == HashKind::xxh3);
    CHECK(o.find.min_size == 1);
    CHECK(o.find.max_size == UINT64_MAX);
    CHECK(o.find.include.empty());
    CHECK(o.action == ActionKind::none);
    CHECK(o.keep.rule == KeepRule::first);
    auto none = problem_of({});
    REQUIRE(none.has_value());
    CHECK(none->subject == "PATH");
    CHECK_FALSE(problem_of({"--cache-clear"}).has_value());
    CHECK_FALSE(o.cache);
    CHECK(parsed({"--cache", "t"}).cache);
    CHECK_FALSE(parsed({"--cache", "--no-cache", "t"}).cache);
    CHECK(parsed({"--no-cache", "--cache", "t"}).cache);
    CHECK(parsed({"-r", "t"}).find.walk.roots == std::vector<std::string>{"t"});
}

TEST_CASE("dupfind options: sizes, with or without --empty") {
    Options o = parsed({"--min-size", "1K", "--max-size=2M", "t"});
    CHECK(o.find.min_size == 1024);
    CHECK(o.find.max_size == 2u << 20);
    CHECK(parsed({"--min-size", "0", "t"}).find.min_size == 1); // empty files stay out without --empty
    CHECK(parsed({"--empty", "t"}).find.min_size == 0);
    CHECK(parsed({"--empty", "--min-size", "0", "t"}).find.min_size == 0);
    for (const char* opt : {"--min-size", "--max-size"}) {
        auto p = problem_of({opt, "10X", "t"});
        REQUIRE(p);
        CHECK(p->subject == opt);
        CHECK(p->message == cli::not_a_size("10X"));
    }
}

TEST_CASE("dupfind options: hash, keep, include and the walk") {
    Options o = parsed({"--hash", "sha256", "--keep", "oldest", "--include", "*.jpg", "-L", "-x", "--max-depth",
                        "4", "-j", "2", "--exclude", "skip", "a", "b"});
    CHECK(o.find.hash == HashKind::sha256);
    CHECK(o.keep.rule == KeepRule::oldest);
    CHECK(o.find.include.matches("a/x.jpg", "x.jpg"));
    CHECK(o.find.walk.flags == (fs::walk_follow | fs::walk_one_fs));
    CHECK(o.find.walk.max_depth == 4);
    CHECK(o.find.walk.threads == 2);
    CHECK(o.find.walk.exclude.matches("a/skip", "skip"));
    auto p = problem_of({"--hash", "crc32", "t"});
    REQUIRE(p);
    CHECK(p->subject == "--hash");
    CHECK(p->message == "unknown hash 'crc32' (xxh3-128, sha256, blake2b, md5)");
}

TEST_CASE("dupfind options: actions, --apply and what an action excludes") {
    CHECK(parsed({"--delete", "t"}).action == ActionKind::remove);
    CHECK(parsed({"--hardlink", "t"}).action == ActionKind::hardlink);
    CHECK(parsed({"--symlink", "t"}).action == ActionKind::symlink);
    Options o = parsed({"--reflink", "--apply", "t"});
    CHECK((o.action == ActionKind::reflink && o.apply));
    CHECK(words(problem_of({"--delete", "--hardlink", "t"})) == "--delete: cannot be used with --hardlink");
    auto p = problem_of({"--apply", "t"});
    REQUIRE(p);
    CHECK(p->subject == "--apply");
    CHECK(p->message == "needs an action: --delete, --hardlink, --symlink or --reflink");
    p = problem_of({"--delete", "--summary", "t"});
    REQUIRE(p);
    CHECK(p->subject == "--summary");
    CHECK(p->message == "cannot be combined with an action");
    p = problem_of({"--delete", "t"}, nullptr, true);
    REQUIRE(p);
    CHECK(p->subject == "--null");
    CHECK_FALSE(problem_of({"t"}, nullptr, true).has_value());
}

// cli/walk: the walk options every walking tool declares, and how roots are made absolute.
#include "argv.hpp"
#include "cli/cli.hpp"
#include "cli/walk.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <memory>

using namespace syskit;

namespace {

/// Parses args (without the program name) on a fresh tool declaring spec's walk options:
/// "subject: message" of the usage error, or "" when there is none.  out: what was parsed.
std::string usage_of(std::vector<std::string> args, const cli::WalkSpec& spec = {}, cli::WalkArgs* out = nullptr) {
    cli::Tool tool("tool", "test");
    cli::WalkArgs w;
    cli::add_walk_options(tool.app(), w, spec);
    test::Argv argv("tool", std::move(args));
    auto usage = tool.check(argv.argc(), argv.argv());
    if (out)
        *out = w;
    return usage ? usage->subject + ": " + usage->message : "";
}

cli::WalkArgs parsed(std::vector<std::string> args, const cli::WalkSpec& spec = {}) {
    cli::WalkArgs w;
    REQUIRE(usage_of(std::move(args), spec, &w) == "");
    return w;
}

std::string cwd() {
    std::unique_ptr<char, decltype(&std::free)> p(getcwd(nullptr, 0), &std::free);
    REQUIRE(p);
    return p.get();
}

} // namespace

TEST_CASE("cli walk options: defaults walk . with no limit") {
    cli::WalkArgs w = parsed({});
    CHECK(w.roots == std::vector<std::string>{"."});
    fs::WalkOptions o = w.walk_options();
    CHECK(o.roots == std::vector<std::string>{"."});
    CHECK(o.flags == 0);
    CHECK(o.max_depth == -1);
    CHECK(o.threads == 0);
    CHECK(o.exclude.empty());
}

TEST_CASE("cli walk options: every option reaches the walk's options") {
    cli::WalkArgs w = parsed({"-x", "--max-depth", "3", "-j", "2", "--exclude", "*.o", "--exclude=skip", "a", "b"});
    CHECK(w.roots == std::vector<std::string>{"a", "b"});
    fs::WalkOptions o = w.walk_options(fs::walk_stat);
    CHECK(o.roots == std::vector<std::string>{"a", "b"});
    CHECK(o.flags == (fs::walk_stat | fs::walk_one_fs));
    CHECK(o.max_depth == 3);
    CHECK(o.threads == 2);
    CHECK(o.exclude.matches("a/x.o", "x.o"));
    CHECK(o.exclude.matches("b/skip", "skip"));
    CHECK_FALSE(o.exclude.matches("a/x.c", "x.c"));
    CHECK(parsed({"--one-file-system", "--threads=4"}).walk_options().flags == fs::walk_one_fs);
}

TEST_CASE("cli walk options: what the spec leaves out is not an option") {
    cli::WalkSpec spec;
    CHECK(usage_of({"-L"}, spec) == "-L: unknown option");
    spec.follow = true;
    CHECK(parsed({"-L"}, spec).walk_options().flags == fs::walk_follow);
    CHECK(parsed({"--follow", "-x"}, spec).walk_options().flags == (fs::walk_follow | fs::walk_one_fs));
    spec.max_depth = false;
    CHECK(usage_of({"--max-depth", "1"}, spec) == "--max-depth: unknown option");
}

TEST_CASE("cli walk options: PATH required when the spec says so, and no default then") {
    cli::WalkSpec spec;
    spec.paths_required = true;
    CHECK(usage_of({}, spec) == "PATH: required");
    CHECK(parsed({"x"}, spec).roots == std::vector<std::string>{"x"});
}

TEST_CASE("cli walk options: numbers out of range are usage errors") {
    CHECK(usage_of({"--max-depth", "-1"}) == "--max-depth: '-1' is not a number of at least 0");
    CHECK(usage_of({"--max-depth", "x"}) == "--max-depth: 'x' is not a number of at least 0");
    CHECK(usage_of({"-j", "0"}) == "--jobs: '0' is not a number from 1 to 1024");
    CHECK(usage_of({"-j", "1025"}) == "--jobs: '1025' is not a number from 1 to 1024");
    CHECK(parsed({"--max-depth", "0"}).max_depth == 0);
}

TEST_CASE("cli absolute_path: symlinks and .. resolved; a missing path joined to the working directory") {
    TempDir t;
    t.mkdir("real/sub");
    REQUIRE(::symlink((t / "real").c_str(), (t / "link").c_str()) == 0);
    std::string real = cli::absolute_path(t / "real");
    CHECK(real.front() == '/');
    CHECK(cli::absolute_path(t / "link") == real);
    CHECK(cli::absolute_path(t / "real/sub/..") == real);
    CHECK(cli::absolute_path("/no/such/path") == "/no/such/path");
    CHECK(cli::absolute_path("no-such-relative-path") == cwd() + "/no-such-relative-path");
    CHECK(cli::absolute_path(".") == cwd());
    CHECK(cli::absolute_roots({t / "link", "/no/such"}) == std::vector<std::string>{real, "/no/such"});
}

// cli/walk: the walk options every walking tool declares, and how roots are made absolute.
#include "argv.hpp"
#include "cli/walk.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <memory>

using namespace syskit;

namespace {

/// Parses args (without the program name) on a fresh app declaring spec's walk options.
cli::WalkArgs parsed(std::vector<std::string> args, const cli::WalkSpec& spec = {}) {
    CLI::App app;
    cli::WalkArgs w;
    cli::add_walk_options(app, w, spec);
    test::Argv argv("tool", std::move(args));
    app.parse(argv.argc(), argv.argv());
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
    CHECK_THROWS_AS(parsed({"-L"}, spec), CLI::ParseError);
    spec.follow = true;
    CHECK(parsed({"-L"}, spec).walk_options().flags == fs::walk_follow);
    CHECK(parsed({"--follow", "-x"}, spec).walk_options().flags == (fs::walk_follow | fs::walk_one_fs));
    spec.max_depth = false;
    CHECK_THROWS_AS(parsed({"--max-depth", "1"}, spec), CLI::ParseError);
}

TEST_CASE("cli walk options: PATH required when the spec says so, and no default then") {
    cli::WalkSpec spec;
    spec.paths_required = true;
    CHECK_THROWS_AS(parsed({}, spec), CLI::RequiredError);
    CHECK(parsed({"x"}, spec).roots == std::vector<std::string>{"x"});
}

TEST_CASE("cli walk options: numbers out of range are usage errors") {
    CHECK_THROWS_AS(parsed({"--max-depth", "-1"}), CLI::ParseError);
    CHECK_THROWS_AS(parsed({"--max-depth", "x"}), CLI::ParseError);
    CHECK_THROWS_AS(parsed({"-j", "0"}), CLI::ParseError);
    CHECK_THROWS_AS(parsed({"-j", "1025"}), CLI::ParseError);
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

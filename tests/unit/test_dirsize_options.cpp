// dirsize's options: what finish() makes of a command line, and what it refuses.
#include "argv.hpp"
#include "dirsize/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

using namespace syskit;
using namespace syskit::dirsize;

namespace {

/// Parses args (without the program name) as dirsize does; the problem finish() found.
std::optional<cli::Problem> problem_of(std::vector<std::string> args, Options* out = nullptr) {
    cli::Tool tool("dirsize", "test");
    tool.long_help_only().add_format().add_null().add_quiet(); // -h is --human-readable
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    test::Argv argv("dirsize", std::move(args));
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

} // namespace

TEST_CASE("dirsize options: the defaults total . in disk usage") {
    Options o = parsed({});
    CHECK(o.walk_args.roots == std::vector<std::string>{"."});
    CHECK(o.walk.flags == 0);
    CHECK(o.walk.max_depth == -1);
    CHECK_FALSE(o.tally.apparent);
    CHECK_FALSE(o.tally.per_directory);
    CHECK(o.tally.largest_files == 0);
    CHECK_FALSE(o.tally.remember_all);
    CHECK(o.depth == -1);
    CHECK(o.top == 0);
}

TEST_CASE("dirsize options: what each option asks of the tally") {
    Options o = parsed({"-b", "-x", "-d", "2", "a", "b"});
    CHECK(o.tally.apparent);
    CHECK(o.tally.per_directory);
    CHECK(o.tally.one_file_system);
    CHECK(o.walk.flags == fs::walk_one_fs);
    CHECK(o.tally.remember_all); // several roots count nothing twice
    CHECK(o.depth == 2);
    o = parsed({"--top", "5"});
    CHECK(o.tally.per_directory);
    CHECK(o.tally.largest_files == 0);
    o = parsed({"--top", "5", "--files", "-j", "2", "--exclude", "*.o"});
    CHECK_FALSE(o.tally.per_directory);
    CHECK(o.tally.largest_files == 5);
    CHECK(o.walk.threads == 2);
    CHECK(o.walk.exclude.matches("x/y.o", "y.o"));
    CHECK((parsed({"-h", "-c"}).human && parsed({"-c"}).grand_total && parsed({"--si"}).si));
}

TEST_CASE("dirsize options: --files needs --top, --top excludes --depth; no --max-depth or -L") {
    auto p = problem_of({"--files"});
    REQUIRE(p);
    CHECK(p->subject == "--files");
    CHECK(p->message == "needs --top N");
    p = problem_of({"--top", "3", "--depth", "1"});
    REQUIRE(p);
    CHECK(p->subject == "--top");
    CHECK(p->message == "cannot be combined with --depth");
    CHECK(words(problem_of({"--max-depth", "1"})) == "--max-depth: unknown option");
    CHECK(words(problem_of({"-L"})) == "-L: unknown option");
}

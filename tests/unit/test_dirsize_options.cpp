// dirsize's options: what finish() makes of a command line, and what it refuses.
#include "argv.hpp"
#include "dirsize/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <climits>

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

TEST_CASE("dirsize options: --files needs --top, --top excludes --depth") {
    auto p = problem_of({"--files"});
    REQUIRE(p);
    CHECK(p->subject == "--files");
    CHECK(p->message == "needs --top N");
    p = problem_of({"--top", "3", "--depth", "1"});
    REQUIRE(p);
    CHECK(p->subject == "--top");
    CHECK(p->message == "cannot be combined with --depth");
}

TEST_CASE("dirsize options: du's habits: -s, -sh, -a, --max-depth, -L, -B, --jobs") {
    Options o = parsed({"-s"});
    CHECK(o.depth == -1);
    CHECK_FALSE(o.tally.per_directory);
    o = parsed({"-sh"});
    CHECK(o.human);
    CHECK(parsed({"-s", "-d", "0"}).depth == 0);
    o = parsed({"-a"});
    CHECK(o.tally.all_entries);
    CHECK(o.tally.per_directory);
    CHECK(o.depth == INT_MAX);
    CHECK(parsed({"-a", "-d", "1"}).depth == 1);
    CHECK(parsed({"--max-depth", "3"}).depth == 3);
    CHECK(parsed({"--max-depth=2"}).depth == 2);
    o = parsed({"-L"});
    CHECK(o.tally.follow);
    CHECK(o.walk.flags == fs::walk_follow);
    CHECK(parsed({"--jobs", "3"}).walk.threads == 3);
    CHECK(parsed({"-j", "2"}).walk.threads == 2);
    CHECK(parsed({}).block.bytes == 1024);
    CHECK(parsed({"-b"}).block.bytes == 1);
    o = parsed({"-b", "-B", "1K"});
    CHECK(o.tally.apparent);
    CHECK(o.block.bytes == 1024);
    o = parsed({"-BM"});
    CHECK(o.block.bytes == 1024 * 1024);
    CHECK(o.block.suffix == "M");
}

TEST_CASE("dirsize options: what du refuses, dirsize refuses in words") {
    auto p = problem_of({"-s", "-a"});
    REQUIRE(p);
    CHECK(p->subject == "--summarize");
    CHECK(p->message == "cannot be combined with --all (a total alone, or every entry)");
    p = problem_of({"-s", "--max-depth", "2"});
    REQUIRE(p);
    CHECK(p->message == "cannot be combined with --depth 2");
    p = problem_of({"-a", "--top", "2"});
    REQUIRE(p);
    CHECK(p->subject == "--all");
    p = problem_of({"-h", "-B", "1M"});
    REQUIRE(p);
    CHECK(p->subject == "--block-size");
    CHECK(p->message == "cannot be combined with -h or --si");
    p = problem_of({"-B", "0"});
    REQUIRE(p);
    CHECK(p->message == "'0' is not a block size (a number of bytes, 1K, 1M, M, KB, MiB)");
}

TEST_CASE("dirsize options: -B reads sizes as du does") {
    auto bytes = [](std::string_view t) { return parse_block_size(t).value().bytes; };
    auto suffix = [](std::string_view t) { return parse_block_size(t).value().suffix; };
    CHECK(bytes("1") == 1);
    CHECK(bytes("512") == 512);
    CHECK(bytes("1K") == 1024);
    CHECK(bytes("1k") == 1024);
    CHECK(bytes("2M") == 2 * 1024 * 1024);
    CHECK(bytes("1KB") == 1000);
    CHECK(bytes("1MiB") == 1024 * 1024);
    CHECK(bytes("E") == std::uint64_t{1} << 60);
    CHECK(suffix("1M") == "");
    CHECK(suffix("M") == "M");
    CHECK(suffix("k") == "K");
    CHECK(suffix("KB") == "kB");
    CHECK(suffix("MB") == "MB");
    CHECK(suffix("KiB") == "KiB");
    CHECK(bytes("18446744073709551615") == UINT64_MAX);
    for (const char* bad : {"", "0", "x", "1.5K", "-1", "1Q", "e", "p", "KX", "1KiBB", "16E", "18446744073709551616"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_block_size(bad).has_value());
    }
}

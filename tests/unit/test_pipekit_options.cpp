// pipekit/options: the subcommands' command lines, typed and checked together by finish().
#include "argv.hpp"
#include "pipekit/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::pipekit;

namespace {
/// Parses args as pipekit would; the problem as "subject: message", or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    syskit::cli::Tool tool("pipekit", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    syskit::test::Argv argv("pipekit", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage->subject + ": " + usage->message;
    auto p = finish(app, o);
    if (out)
        *out = std::move(o);
    return p ? p->subject + ": " + p->message : "";
}
} // namespace

TEST_CASE("pipekit run splits each stage into words and reads its timeouts") {
    Options o;
    CHECK(problem_of({"run", "--status", "-t", "2.5", "printf '%s\\n' \"a b\" c", "grep -v x"}, &o) == "");
    CHECK(o.command == Command::run);
    CHECK(o.run.status);
    CHECK(o.run.timeout == 2.5);
    CHECK(o.run.kill_after == 5);
    REQUIRE(o.run.argv.size() == 2);
    CHECK(o.run.argv[0] == std::vector<std::string>{"printf", "%s\\n", "a b", "c"});
    CHECK(o.run.argv[1] == std::vector<std::string>{"grep", "-v", "x"});

    CHECK(problem_of({"run", "echo 'open"}) == "stage 1: a single quote is not closed");
    CHECK(problem_of({"run", "true", "  "}) == "stage 2: is empty: a stage needs a command");
    CHECK(problem_of({"run", "-t", "soon", "true"}) == "--timeout: 'soon' is not a number of seconds above 0");
    CHECK(problem_of({"run", "-t", "0", "true"}) == "--timeout: '0' is not a number of seconds above 0");
    CHECK(problem_of({"run", "-k", "-1", "true"}) == "--kill-after: '-1' is not a number of seconds");
}

TEST_CASE("pipekit fifo takes owner-only octal modes") {
    Options o;
    CHECK(problem_of({"fifo", "--mode", "0640", "--dir", "/run"}, &o) == "");
    CHECK(o.command == Command::fifo);
    CHECK(o.fifo.mode == 0640);
    CHECK(o.fifo.dir == "/run");
    CHECK(problem_of({"fifo", "--mode", "rw"}) == "--mode: 'rw' is not an octal mode such as 0600");
    CHECK(problem_of({"fifo", "--mode", "0666"}) ==
          "--mode: 0666 lets other users write into the FIFO; pipekit refuses such FIFOs");
    CHECK(problem_of({"fifo", "--mode", "0400"}) == "--mode: 0400 does not let the owner read and write it");
    CHECK(problem_of({"fifo", "--mode", "4600"}) ==
          "--mode: 4600 sets setuid, setgid or sticky bits, which a FIFO has no use for");
}

TEST_CASE("pipekit send and recv agree on frames, compression and limits") {
    Options o;
    CHECK(problem_of({"send", "--frame", "-z", "zstd", "-t", "1.5", "--max-frame", "64K", "--eod", "STOP", "f", "in"},
                     &o) == "");
    CHECK(o.command == Command::send);
    CHECK(o.send.fifo == "f");
    CHECK(o.send.file == "in");
    CHECK(o.send.frame);
    CHECK(o.send.compress == Compression::zstd);
    CHECK(o.send.timeout == 1.5);
    CHECK(o.send.max_frame == 65536);
    CHECK(o.send.eod == "STOP");

    CHECK(problem_of({"recv", "f"}, &o) == "");
    CHECK(o.command == Command::recv);
    CHECK(o.recv.timeout < 0);
    CHECK(o.recv.max_frame == 1u << 20);
    CHECK(o.recv.eod == "EOD");

    CHECK(problem_of({"recv", "-z", "gzip", "f"}) ==
          "--compress: needs --frame: each frame is compressed on its own, so that several writers can share the FIFO");
    CHECK(problem_of({"recv", "--frame", "-z", "lz4", "f"}) == "--compress: 'lz4' is not a compression: gzip, zstd or none");
    CHECK(problem_of({"recv", "--max-frame", "0", "f"}) == "--max-frame: must be between 1 byte and 1G, not 0");
    CHECK(problem_of({"recv", "--max-frame", "2G", "f"}) == "--max-frame: must be between 1 byte and 1G, not 2G");
    CHECK(problem_of({"send", "-t", "x", "f"}) == "--timeout: 'x' is not a number of seconds");
    CHECK(problem_of({"send", "--eod", "a\nb", "f"}) == "--eod: the end-of-data record cannot hold the record separator");
    CHECK(problem_of({"send", "-0", "--eod", "a\nb", "f"}) == "");
}

TEST_CASE("pipekit filter reads levels, and --follow needs a FIFO's name") {
    Options o;
    CHECK(problem_of({"filter", "-l", "WARN", "--count", "app.log"}, &o) == "");
    CHECK(o.command == Command::filter);
    CHECK(o.filter.level == Level::warning);
    CHECK(o.filter.count);
    CHECK_FALSE(o.filter.all);
    CHECK(problem_of({"filter", "--level", "all"}, &o) == "");
    CHECK(o.filter.all);
    CHECK(problem_of({"filter"}, &o) == "");
    CHECK(o.filter.level == Level::error);
    CHECK(problem_of({"filter", "-l", "loud"}) ==
          "--level: 'loud' is not a level: emerg, alert, crit, error, warning, notice, info, debug, trace or all");
    CHECK(problem_of({"filter", "--follow"}) == "--follow: needs SOURCE, the FIFO to reopen");
}

TEST_CASE("pipekit pump reads sizes and rates") {
    Options o;
    CHECK(problem_of({"pump", "-b", "8M", "-L", "1M", "-s", "1G"}, &o) == "");
    CHECK(o.command == Command::pump);
    CHECK(o.pump.buffer == 8u << 20);
    CHECK(o.pump.rate == 1u << 20);
    CHECK(o.pump.size == 1ull << 30);
    CHECK(problem_of({"pump"}, &o) == "");
    CHECK(o.pump.buffer == 0);
    CHECK_FALSE(o.pump.size);
    CHECK(problem_of({"pump", "-b", "1K"}) == "--buffer: must be between 4K and 4G, not 1K");
    CHECK(problem_of({"pump", "-L", "0"}) == "--rate-limit: must be above 0");
    CHECK(problem_of({"pump", "-L", "fast"}).rfind("--rate-limit: ", 0) == 0);
}

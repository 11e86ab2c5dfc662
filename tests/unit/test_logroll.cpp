// logroll's pure pieces: rotated names, retention, where lines are cut, durations, options,
// pid files.
#include "lines.hpp"
#include "names.hpp"
#include "logroll/options.hpp"
#include "pidfile.hpp"
#include "retention.hpp"
#include "schedule.hpp"

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <signal.h>

#include <string>
#include <vector>

using namespace syskit::logroll;

TEST_CASE("logroll stamps are UTC, sortable, and parsed back exactly") {
    CHECK(stamp(0) == "19700101T000000Z");
    CHECK(stamp(1706745599) == "20240131T235959Z");
    CHECK(stamp(951782400) == "20000229T000000Z"); // a leap day
    CHECK(stamp(-1) == "19691231T235959Z");
    for (std::int64_t t : {std::int64_t{0}, std::int64_t{1706745599}, std::int64_t{951782400}, std::int64_t{4102444800}})
        CHECK(parse_stamp(stamp(t)) == t);
    CHECK_FALSE(parse_stamp("20240230T000000Z")); // February 30th
    CHECK_FALSE(parse_stamp("20230229T000000Z")); // not a leap year
    CHECK_FALSE(parse_stamp("20240131T240000Z"));
    CHECK_FALSE(parse_stamp("20240131T235960Z"));
    CHECK_FALSE(parse_stamp("20240131 235959Z"));
    CHECK_FALSE(parse_stamp("20240131T235959"));
    CHECK_FALSE(parse_stamp("2024013XT235959Z"));
}

TEST_CASE("logroll rotated names are made and recognised, and nothing else is") {
    CHECK(rotated_name("app.log", Scheme::timestamp, 1706745599, 0) == "app.log.20240131T235959Z");
    CHECK(rotated_name("app.log", Scheme::timestamp, 1706745599, 3) == "app.log.20240131T235959Z.3");
    CHECK(rotated_name("app.log", Scheme::numbered, 0, 12) == "app.log.12");

    auto r = parse_rotated("app.log", Scheme::timestamp, "app.log.20240131T235959Z.3.zst");
    REQUIRE(r);
    CHECK(r->time == 1706745599);
    CHECK(r->seq == 3);
    CHECK(r->compression == Compression::zstd);
    r = parse_rotated("app.log", Scheme::timestamp, "app.log.20240131T235959Z.gz");
    REQUIRE(r);
    CHECK(r->seq == 0);
    CHECK(r->compression == Compression::gzip);
    r = parse_rotated("app.log", Scheme::numbered, "app.log.7");
    REQUIRE(r);
    CHECK(r->seq == 7);

    for (const char* not_ours : {"app.log", "app.log.", "app.log.old", "app.log.1~", "app.log.01", "app.log.0",
                                 "app.log.20240131T235959Z.", "app.log.20240131T235959Z.0", "app.log.20240131T235959Z.x",
                                 "app.log.20240131T235959Z.gz.gz", ".app.log.20240131T235959Z.gz.tmp",
                                 "app.logx.20240131T235959Z", "other.20240131T235959Z", "app.log.1234567890123456789",
                                 "app.log.20240131T235959Z.1.2", ".app.log.lock"})
        CHECK_MESSAGE(!parse_rotated("app.log", Scheme::timestamp, not_ours), not_ours);
    // Each scheme deletes only its own names.
    CHECK_FALSE(parse_rotated("app.log", Scheme::numbered, "app.log.20240131T235959Z"));
    CHECK_FALSE(parse_rotated("app.log", Scheme::timestamp, "app.log.3"));
    CHECK_FALSE(parse_rotated("app.log", Scheme::numbered, "app.log.3.bz2"));
}

namespace {
Candidate cand(std::string name, std::int64_t mtime, std::uint64_t size = 100) {
    auto r = parse_rotated("a", Scheme::timestamp, name);
    REQUIRE(r);
    return {*r, size, mtime};
}
std::vector<std::string> names(const std::vector<Candidate>& v) {
    std::vector<std::string> out;
    for (const auto& c : v)
        out.push_back(c.rotated.name);
    return out;
}
} // namespace

TEST_CASE("logroll retention deletes the oldest rotations first") {
    std::vector<Candidate> all = {
        cand("a.20240101T000000Z.2", 30), cand("a.20240101T000000Z", 10), cand("a.20240102T000000Z.zst", 40),
        cand("a.20240101T000000Z.1", 20),
    };
    Retention keep2;
    keep2.keep = 2;
    CHECK(names(select_expired(all, keep2, 100)) ==
          std::vector<std::string>{"a.20240101T000000Z", "a.20240101T000000Z.1"});
    Retention none;
    CHECK(select_expired(all, none, 100).empty());

    Retention age;
    age.max_age = 75; // now 100: mtime below 25 goes
    CHECK(names(select_expired(all, age, 100)) == std::vector<std::string>{"a.20240101T000000Z", "a.20240101T000000Z.1"});

    Retention total;
    total.max_total = 250; // newest first: 100, 200, then 300 > 250
    CHECK(names(select_expired(all, total, 100)) == std::vector<std::string>{"a.20240101T000000Z", "a.20240101T000000Z.1"});
    total.max_total = 99;
    CHECK(select_expired(all, total, 100).size() == 4);
}

TEST_CASE("logroll retention counts a rotation and its compressed copy as one") {
    std::vector<Candidate> all = {cand("a.20240101T000000Z", 10), cand("a.20240101T000000Z.gz", 11),
                                  cand("a.20240102T000000Z", 20)};
    Retention keep1;
    keep1.keep = 1;
    auto gone = names(select_expired(all, keep1, 100));
    CHECK(gone == std::vector<std::string>{"a.20240101T000000Z.gz", "a.20240101T000000Z"});
}

TEST_CASE("logroll cuts only at line boundaries") {
    std::string_view d = "aaaa\nbbbb\ncccc\n"; // three lines of 5 bytes
    CHECK(fit(d, 0, 100) == 15);  // all fits
    CHECK(fit(d, 0, 15) == 15);   // exactly
    CHECK(fit(d, 0, 14) == 10);   // the third line would pass the limit
    CHECK(fit(d, 0, 9) == 5);
    CHECK(fit(d, 5, 9) == 0);     // not even one line: rotate first
    CHECK(fit(d, 10, 10) == 0);   // full already
    CHECK(fit(d, 0, 3) == 5);     // a line longer than the limit goes whole into an empty file
    CHECK(fit(d, 90, 100) == 10);
    std::string_view longline = "0123456789012345678901234\nx\n";
    CHECK(fit(longline, 0, 10) == 26);
    CHECK(fit(longline, 1, 10) == 0);
}

TEST_CASE("logroll prefixes each line, across reads") {
    std::string out;
    bool start = true;
    prefix_lines("one\ntw", "T ", start, out);
    CHECK(out == "T one\nT tw");
    CHECK_FALSE(start);
    prefix_lines("o\n\nthree\n", "T ", start, out);
    CHECK(out == "T one\nT two\nT \nT three\n");
    CHECK(start);

    timespec t{1706745599, 123456789};
    CHECK(line_prefix(Stamp::iso8601, t) == "2024-01-31T23:59:59.123456Z ");
    CHECK(line_prefix(Stamp::tai64n, t) == "@4000000065badf09075bcd15 ");
    CHECK(line_prefix(Stamp::none, t).empty());
}

TEST_CASE("logroll clock-aligned intervals") {
    CHECK(next_boundary(3599, 3600) == 3600);
    CHECK(next_boundary(3600, 3600) == 7200); // at a boundary: the next one
    CHECK(next_boundary(1706745599, 86400) == 1706745600);
    CHECK(next_boundary(1706745600 + 5, 86400) == 1706745600 + 86400);
}

namespace {
/// Parses args as logroll would; the problem's subject, or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    CLI::App app;
    Options o;
    add_options(app, o);
    args.insert(args.begin(), "logroll");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    app.parse(static_cast<int>(argv.size()), argv.data());
    auto p = finish(o);
    if (out)
        *out = o;
    return p ? p->subject : "";
}
} // namespace

TEST_CASE("logroll options are typed and checked together") {
    Options o;
    CHECK(problem_of({"--size", "10M", "--interval", "1h", "--keep", "5", "--compress", "zstd", "--timestamp",
                      "tai64n", "--max-total", "1G", "--max-age", "7d", "/var/log/app/current"},
                     &o) == "");
    CHECK(o.mode == Mode::pipe);
    CHECK(o.size == 10u << 20);
    CHECK(o.interval == 3600);
    CHECK(o.rotate.retention.keep == 5u);
    CHECK(o.rotate.retention.max_total == 1u << 30);
    CHECK(o.rotate.retention.max_age == 7 * 86400);
    CHECK(o.rotate.compression == Compression::zstd);
    CHECK(o.timestamp == Stamp::tai64n);

    CHECK(problem_of({"--watch", "--size", "1M", "--pidfile", "/run/app.pid", "app.log"}, &o) == "");
    CHECK(o.mode == Mode::watch);
    CHECK(o.signal == SIGHUP); // the default with --pidfile
    CHECK(problem_of({"--once", "--age", "1d", "--numbered", "--signal", "USR1", "--pidfile", "p", "x"}, &o) == "");
    CHECK(o.signal == SIGUSR1);
    CHECK(o.rotate.scheme == Scheme::numbered);

    CHECK(problem_of({"--size", "0", "x"}) == "--size");
    CHECK(problem_of({"--size", "ten", "x"}) == "--size");
    CHECK(problem_of({"--keep", "0", "x"}) == "--keep");
    CHECK(problem_of({"--interval", "1y", "x"}) == "--interval");
    CHECK(problem_of({"--timestamp", "rfc3339", "x"}) == "--timestamp");
    CHECK(problem_of({"--compress", "bzip2", "x"}) == "--compress");
    CHECK(problem_of({"--watch", "--once", "x"}) == "--watch");
    CHECK(problem_of({"--watch", "x"}) == "--watch"); // needs --size or --interval
    CHECK(problem_of({"--pidfile", "p", "x"}) == "--pidfile"); // pipe mode has no other writer
    CHECK(problem_of({"--once", "--signal", "HUP", "x"}) == "--signal");
    CHECK(problem_of({"--once", "--signal", "NOPE", "--pidfile", "p", "x"}) == "--signal");
    CHECK(problem_of({"--once", "--interval", "1h", "x"}) == "--interval");
    CHECK(problem_of({"--once", "--method", "copytruncate", "--pidfile", "p", "x"}) == "--method");
    CHECK(problem_of({"--dry-run", "x"}) == "--dry-run");
    CHECK(problem_of({"--watch", "--size", "1M", "--timestamp", "iso8601", "x"}) == "--timestamp");
    CHECK(problem_of({"dir/"}) == "dir/");
    CHECK(problem_of({"--size", "1M"}) == "FILE");
}

TEST_CASE("logroll signal names") {
    CHECK(parse_signal("HUP") == SIGHUP);
    CHECK(parse_signal("sighup") == SIGHUP);
    CHECK(parse_signal("USR2") == SIGUSR2);
    CHECK(parse_signal("15") == SIGTERM);
    CHECK(parse_signal("0") == 0);
    CHECK(parse_signal("SIG") == 0);
    CHECK(parse_signal("KILLME") == 0);
}

TEST_CASE("logroll pid files are parsed strictly") {
    CHECK(parse_pid("1234\n") == 1234);
    CHECK(parse_pid("  42  \n") == 42);
    CHECK(parse_pid("4194304") == 4194304);
    std::string why;
    for (const char* bad : {"", "\n", "0", "1", "-5", "+5", "12 34", "12abc", "4194305", "99999999999999999999",
                            "0x10"}) {
        why.clear();
        CHECK_MESSAGE(!parse_pid(bad, &why), bad);
        CHECK_FALSE(why.empty());
    }
}

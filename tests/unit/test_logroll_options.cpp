// logroll/options: the command line, typed and checked together by finish().
#include "argv.hpp"
#include "logroll/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <string>
#include <vector>

using namespace syskit::logroll;

namespace {
/// Parses args as logroll would; the problem's subject, or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    syskit::cli::Tool tool("logroll", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    syskit::test::Argv argv("logroll", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage->subject;
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

TEST_CASE("logroll --wait takes seconds up to a day, for --once") {
    Options o;
    CHECK(problem_of({"--once", "--wait", "0.5", "x"}, &o) == "");
    CHECK(o.wait == 0.5);
    CHECK(problem_of({"--once", "--wait", "86400", "x"}, &o) == "");
    CHECK(o.wait == 86400);
    CHECK(problem_of({"--wait", "0", "x"}) == ""); // waiting for nothing needs no --once
    for (const char* bad : {"", "-1", "86401", "1m", "soon"})
        CHECK_MESSAGE(problem_of({"--once", "--wait", bad, "x"}) == "--wait", bad);
    CHECK(problem_of({"--wait", "1", "x"}) == "--wait"); // is for --once
}

TEST_CASE("logroll --config and --convert take the logs from the files") {
    Options o;
    CHECK(problem_of({"--config", "/etc/logroll.d", "--dry-run", "-f", "--wait", "5"}, &o) == "");
    CHECK(o.mode == Mode::config);
    CHECK(o.force);
    CHECK(o.dry_run);
    CHECK(o.wait == 5);
    CHECK(o.state == "/var/lib/logroll/status");
    CHECK(problem_of({"--config", "/etc/logroll.d", "--state", "/tmp/st"}, &o) == "");
    CHECK(o.state == "/tmp/st");
    CHECK(o.logrotate_state == "/var/lib/logrotate/status");
    CHECK(problem_of({"--config", "/etc/logroll.d", "--logrotate-state", "/tmp/lr"}, &o) == "");
    CHECK(o.logrotate_state == "/tmp/lr");
    CHECK(problem_of({"--convert", "a", "--logrotate-state", "b"}) == "--logrotate-state");
    CHECK(problem_of({"--once", "/var/log/x", "--logrotate-state", "b"}) == "--logrotate-state");
    CHECK(problem_of({"--convert", "/etc/logrotate.d/apt"}, &o) == "");
    CHECK(o.mode == Mode::convert);
    CHECK(problem_of({"--config", "/etc/logroll.d", "/var/log/x"}) == "FILE");
    CHECK(problem_of({"--config", "/etc/logroll.d", "--keep", "3"}) == "--keep");
    CHECK(problem_of({"--config", "/etc/logroll.d", "--once"}) == "--once");
    CHECK(problem_of({"--config", "a", "--convert", "b"}) == "--config");
    CHECK(problem_of({"--convert", "a", "--dry-run"}) == "--dry-run");
    CHECK(problem_of({"--once", "/var/log/x", "--force"}) == "--force");
    CHECK(problem_of({"--once", "/var/log/x", "--state", "s"}) == "--state");
}

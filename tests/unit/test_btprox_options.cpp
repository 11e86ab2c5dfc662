// btprox/options: the subcommands' options, typed and checked together by finish().
#include "argv.hpp"
#include "btprox/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::btprox;

namespace {
/// Parses args as btprox would; the problem as "subject: message", or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    syskit::cli::Tool tool("btprox", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    syskit::test::Argv argv("btprox", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage->subject + ": " + usage->message;
    auto p = finish(app, o);
    if (out)
        *out = o;
    return p ? p->subject + ": " + p->message : "";
}
} // namespace

TEST_CASE("btprox options: scan") {
    Options o;
    CHECK(problem_of({"scan"}, &o) == "");
    CHECK(o.subcommand == Subcommand::scan);
    CHECK(o.timeout == 10);
    CHECK(o.transport == "auto");
    CHECK(problem_of({"--adapter", "hci1", "scan", "--timeout", "2.5", "--power-on"}, &o) == "");
    CHECK(o.adapter == "hci1");
    CHECK(o.timeout == 2.5);
    CHECK(o.power_on);
    CHECK(problem_of({"scan", "--timeout", "0"}) == "--timeout: '0' is not a number of seconds from 0 to 3600");
    CHECK(problem_of({"scan", "--transport", "bredr"}, &o) == "");
    CHECK(o.transport == "bredr");
}

TEST_CASE("btprox options: watch, with the defaults of the issue") {
    Options o;
    CHECK(problem_of({"watch", "--device", "aa:bb:cc:dd:ee:ff"}, &o) == "");
    CHECK(o.subcommand == Subcommand::watch);
    CHECK(o.device.address == "aa:bb:cc:dd:ee:ff");
    CHECK(o.tracker.away == -70);
    CHECK(o.tracker.near == -60);
    CHECK(o.tracker.window == 10);
    CHECK(o.tracker.smoothing == Smoothing::median);
    CHECK(o.tracker.lost == 30);
    CHECK(o.transport == "le");
    CHECK_FALSE(o.lock);
    CHECK_FALSE(o.verbose);
    CHECK(problem_of({"watch", "--name", "My Phone", "--away", "-80", "--near=-75", "--window", "5", "--smooth", "mean",
                      "--lost", "12.5", "--lock", "--lock-wait", "0.5", "--on-away", "a", "--on-near", "n", "-v"},
                     &o) == "");
    CHECK(o.device.name == "My Phone");
    CHECK(o.tracker.away == -80);
    CHECK(o.tracker.near == -75);
    CHECK(o.tracker.window == 5);
    CHECK(o.tracker.smoothing == Smoothing::mean);
    CHECK(o.tracker.lost == 12.5);
    CHECK(o.lock);
    CHECK(o.lock_wait == 0.5);
    CHECK(o.on_away == "a");
    CHECK(o.on_near == "n");
    CHECK(o.verbose);
    CHECK(problem_of({"watch", "--name", "p", "--away", "-65", "--near", "-65"}) == "");
}

TEST_CASE("btprox options: what watch refuses, in words") {
    CHECK(problem_of({"watch"}) == "watch: needs the device: --device ADDR or --name NAME");
    CHECK(problem_of({"watch", "--device", "11:22:33:44:55"}) ==
          "--device: '11:22:33:44:55' is not a Bluetooth address (11:22:33:AA:BB:CC)");
    CHECK(problem_of({"watch", "--device", "11-22-33-44-55-66"}) ==
          "--device: '11-22-33-44-55-66' is not a Bluetooth address (11:22:33:AA:BB:CC)");
    CHECK(problem_of({"watch", "--name", "p", "--away", "-70.5"}) ==
          "--away: '-70.5' is not an RSSI in whole dBm from -127 to 20");
    CHECK(problem_of({"watch", "--name", "p", "--near", "-200"}) ==
          "--near: '-200' is not an RSSI in whole dBm from -127 to 20");
    CHECK(problem_of({"watch", "--name", "p", "--near", "-75"}) == "--near: must not be below --away (-75 < -70)");
    CHECK(problem_of({"watch", "--name", "p", "--window", "1001"}) ==
          "--window: '1001' is not a count of samples from 1 to 1000");
    CHECK(problem_of({"watch", "--name", "p", "--window", "3x"}) ==
          "--window: '3x' is not a count of samples from 1 to 1000");
    CHECK(problem_of({"watch", "--name", "p", "--smooth", "ewma"}) == "--smooth: 'ewma' is not median or mean");
    CHECK(problem_of({"watch", "--name", "p", "--lost", "1m"}) ==
          "--lost: '1m' is not a number of seconds above 0, up to 86400");
    CHECK(problem_of({"watch", "--name", "p", "--lock-wait", "61"}) ==
          "--lock-wait: '61' is not a number of seconds from 0 to 60");
    CHECK(problem_of({"watch", "--name", "p", "--log-format", "xml"}) == "--log-format: 'xml' is not one of: logfmt, json");
}

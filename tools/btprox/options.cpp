#include "options.hpp"

#include "cli/duration.hpp"
#include "cli/log_format.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>

namespace syskit::btprox {

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.require_subcommand(1, 1);
    app.fallthrough();
    app.add_option("--adapter", o.adapter, "The adapter to use: hci0 (default: the first)")->type_name("NAME");
    app.add_flag("--power-on", o.power_on, "Turn the adapter on if it is off, instead of failing");
    app.add_option("--transport", r.transport,
                   "Discovery transport: auto, le or bredr (default: auto for scan, le for watch)")
        ->option_text("auto|le|bredr");

    auto* scan = app.add_subcommand("scan", "Discover devices and list them with their RSSI");
    scan->add_option("--timeout", r.timeout, "Seconds of discovery (default 10)")->type_name("SECS");

    auto* watch = app.add_subcommand("watch", "Follow one device's RSSI; act when it goes away and comes near");
    auto* device = watch->add_option("--device", o.device.address, "The device's address (a paired device's identity address)")
                       ->type_name("ADDR");
    auto* name = watch->add_option("--name", o.device.name, "The device's name (Alias)")->type_name("NAME");
    device->excludes(name);
    watch->add_option("--away", r.away, "Away once the smoothed RSSI is below DBM (default -70)")->type_name("DBM");
    watch->add_option("--near", r.near, "Near again once it is above DBM (default -60)")->type_name("DBM");
    watch->add_option("--window", r.window, "Smooth over N samples (default 10)")->type_name("N");
    watch->add_option("--smooth", r.smooth, "median (default) or mean")->type_name("HOW");
    watch->add_option("--lost", r.lost, "Away when not heard for SECS (default 30)")->type_name("SECS");
    watch->add_flag("--lock", o.lock, "Lock the session when the device goes away");
    watch->add_option("--lock-wait", r.lock_wait, "Seconds the desktop has to confirm the lock (default 2)")
        ->type_name("SECS");
    watch->add_option("--on-away", o.on_away, "Run CMD with /bin/sh -c when the device goes away")->type_name("CMD");
    watch->add_option("--on-near", o.on_near, "Run CMD with /bin/sh -c when the device comes near")->type_name("CMD");
    watch->add_flag("-v,--verbose", o.verbose, "Log every RSSI sample heard from the device");
    cli::add_log_format(*watch, o.log_format);
}

namespace {

std::optional<double> parse_dbm(const std::string& text) {
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < -127 || v > 20)
        return std::nullopt;
    return v;
}

} // namespace

std::optional<cli::Problem> finish(const CLI::App& app, Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    bool scan = app.got_subcommand("scan");
    o.subcommand = scan ? Subcommand::scan : Subcommand::watch;
    if (r.transport.empty())
        o.transport = scan ? "auto" : "le";
    else if (r.transport == "auto" || r.transport == "le" || r.transport == "bredr")
        o.transport = r.transport;
    else
        return Problem{"--transport", "'" + r.transport + "' is not auto, le or bredr"};
    if (scan) {
        if (!r.timeout.empty()) {
            auto v = cli::parse_seconds(r.timeout, 3600);
            if (!v || *v <= 0)
                return Problem{"--timeout", "'" + r.timeout + "' is not a number of seconds from 0 to 3600"};
            o.timeout = *v;
        }
        return std::nullopt;
    }
    if (o.device.address.empty() && o.device.name.empty())
        return Problem{"watch", "needs the device: --device ADDR or --name NAME"};
    if (!o.device.address.empty()) {
        const std::string& a = o.device.address;
        bool ok = a.size() == 17;
        for (size_t i = 0; ok && i < a.size(); ++i)
            ok = i % 3 == 2 ? a[i] == ':' : std::isxdigit(static_cast<unsigned char>(a[i])) != 0;
        if (!ok)
            return Problem{"--device", "'" + a + "' is not a Bluetooth address (11:22:33:AA:BB:CC)"};
    }
    auto& t = o.tracker;
    if (!r.away.empty()) {
        auto v = parse_dbm(r.away);
        if (!v)
            return Problem{"--away", "'" + r.away + "' is not an RSSI in whole dBm from -127 to 20"};
        t.away = *v;
    }
    if (!r.near.empty()) {
        auto v = parse_dbm(r.near);
        if (!v)
            return Problem{"--near", "'" + r.near + "' is not an RSSI in whole dBm from -127 to 20"};
        t.near = *v;
    }
    if (t.near < t.away)
        return Problem{"--near", "must not be below --away (" + std::to_string(static_cast<int>(t.near)) + " < " +
                                     std::to_string(static_cast<int>(t.away)) + ")"};
    if (!r.window.empty()) {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(r.window.data(), r.window.data() + r.window.size(), n);
        if (ec != std::errc() || end != r.window.data() + r.window.size() || n < 1 || n > 1000)
            return Problem{"--window", "'" + r.window + "' is not a count of samples from 1 to 1000"};
        t.window = n;
    }
    if (r.smooth == "median")
        t.smoothing = Smoothing::median;
    else if (r.smooth == "mean")
        t.smoothing = Smoothing::mean;
    else
        return Problem{"--smooth", "'" + r.smooth + "' is not median or mean"};
    if (!r.lost.empty()) {
        auto v = cli::parse_seconds(r.lost, 86400);
        if (!v || *v <= 0)
            return Problem{"--lost", "'" + r.lost + "' is not a number of seconds above 0, up to 86400"};
        t.lost = *v;
    }
    if (!r.lock_wait.empty()) {
        auto v = cli::parse_seconds(r.lock_wait, 60);
        if (!v)
            return Problem{"--lock-wait", "'" + r.lock_wait + "' is not a number of seconds from 0 to 60"};
        o.lock_wait = *v;
    }
    return std::nullopt;
}

} // namespace syskit::btprox

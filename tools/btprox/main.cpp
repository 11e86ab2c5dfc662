// btprox: Bluetooth proximity through BlueZ's D-Bus API: list devices with their RSSI, or
// follow one and lock the session when it goes away (the book's appendix).
#include "options.hpp"
#include "scan.hpp"
#include "watch.hpp"

#include "cli/cli.hpp"
#include "log/log.hpp"
#include "out/text.hpp"

using namespace syskit;
using namespace syskit::btprox;

int main(int argc, char** argv) {
    cli::Tool tool("btprox", "btprox - Bluetooth proximity: scan for devices, or lock the session when one goes away");
    tool.add_format().add_quiet("watch: log only warnings and errors").add_color();
    Options o;
    add_options(tool.app(), o);
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(tool.app(), o))
        return cli::usage_error(*problem);
    o.json = tool.format() == cli::Format::json;
    if (o.subcommand == Subcommand::watch) {
        if (o.json)
            return cli::usage_error("--format", "watch writes no records, only log lines (--log-format json)");
        if (o.verbose && tool.quiet())
            return cli::usage_error("--quiet", "cannot be combined with --verbose");
        log::Logger log(o.log_format);
        log.set_color(tool.color_stderr());
        if (o.verbose || tool.quiet())
            log.set_min_level(o.verbose ? log::Level::debug : log::Level::warn);
        return watch(o, log);
    }
    out::Sink sink;
    int status = scan(o, sink, tool.color_stdout());
    return out::finish(sink, status);
}

// usbtidy: the book's USB flash drive automation (appendix): organize a drive's files into
// folders by extension and undo it, list USB drives, and watch for them to be plugged in.
#include "listing.hpp"
#include "options.hpp"
#include "tidy.hpp"
#include "watch.hpp"

#include "cli/cli.hpp"
#include "log/log.hpp"
#include "out/text.hpp"

using namespace syskit;
using namespace syskit::usbtidy;

int main(int argc, char** argv) {
    cli::Tool tool("usbtidy", "usbtidy - tidy a USB drive's files into folders by extension, and undo it");
    Options o;
    add_options(tool.app(), o);
    tool.add_quiet("organize, undo: no lines for the moves made; watch: log only warnings and errors")
        .add_color();
    tool.footer("'usbtidy COMMAND --help' shows a command's options.");
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(o))
        return cli::usage_error(*problem);
    o.quiet = tool.quiet();
    o.color = tool.color_stdout();

    out::Sink sink;
    int status = cli::exit_ok;
    switch (o.command) {
    case Command::organize: status = run_organize(o, sink); break;
    case Command::undo: status = run_undo(o, sink); break;
    case Command::list: status = run_list(o.format, sink, o.color); break;
    case Command::watch: {
        std::string why;
        auto rules = load_rules(o.rules, why);
        if (!rules) {
            cli::error("--rules", why);
            status = cli::exit_trouble;
            break;
        }
        log::Logger logger(o.log_format);
        logger.set_color(tool.color_stderr());
        if (o.quiet)
            logger.set_min_level(log::Level::warn);
        status = run_watch(o, std::move(*rules), logger);
        break;
    }
    case Command::none: break;
    }
    return out::finish(sink, status);
}

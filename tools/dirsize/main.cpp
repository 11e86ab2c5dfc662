// dirsize: how much space trees take, du -s style (book chapter 4).
#include "options.hpp"
#include "report.hpp"
#include "tally.hpp"

#include "cli/cli.hpp"
#include "out/progress.hpp"
#include "out/text.hpp"
#include "out/plural.hpp"

#include <cstring>
#include <iterator>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::dirsize;

int main(int argc, char** argv) {
    cli::Tool tool("dirsize", "dirsize - how much space file trees take");
    tool.long_help_only().add_format().add_null("End each line with a NUL byte instead of a newline").add_color();
    tool.add_quiet();
    Options o;
    add_options(tool.app(), o);
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(o))
        return cli::usage_error(*problem);

    Tally tally(o.tally);
    out::Sink sink;
    Printer print(sink, tool.format(), o.tally.apparent, o.human, o.si, o.block, tool.null(), out::escape_stdout(),
                  tool.color_stdout() && !tool.null());
    bool trouble = false;
    std::uint64_t sum = 0;
    bool all_complete = true;
    std::vector<Sized> largest; // --top: the candidates of every root
    fs::WalkCounters counters;
    out::Progress progress(!tool.quiet(), [&] {
        return fmt::format("dirsize: {}, {}", out::plural(counters.entries.load(), "entry", "entries"),
                           out::plural(counters.dirs.load(), "directory", "directories"));
    });
    for (const std::string& root : o.walk_args.roots) {
        RootTotal r = tally.walk(
            root, o.walk,
            [](const fs::Entry& e) {
                cli::error(e.path, e.link_error ? std::strerror(e.link_error) : fs::entry_error(e));
            },
            &counters);
        bool complete = r.errors == 0;
        if (!complete) {
            trouble = true;
            all_complete = false;
        }
        if (!r.found) // the root itself could not be read: nothing to print
            continue;
        if (!complete)
            cli::error(root, fmt::format("total is incomplete: {} could not be read",
                                         out::plural(r.errors, "entry", "entries")));
        sum += r.total.size;
        if (o.top) {
            auto& from = o.tally.largest_files ? r.files : r.directories;
            std::move(from.begin(), from.end(), std::back_inserter(largest));
            continue;
        }
        progress.stop();
        if (o.depth >= 0)
            print.tree(std::move(r.directories), std::move(r.entries), o.depth, complete);
        else
            print.row(r.total, complete);
    }
    progress.stop();
    if (o.top)
        print.top(std::move(largest), o.top, all_complete);
    if (o.grand_total)
        print.total(sum, all_complete);
    return out::finish(sink, trouble ? cli::exit_trouble : cli::exit_ok);
}

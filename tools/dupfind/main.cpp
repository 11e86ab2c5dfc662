// dupfind: finds files with identical content (book chapters 4 and 14).
#include "act.hpp"
#include "cache.hpp"
#include "finder.hpp"
#include "keep.hpp"
#include "options.hpp"
#include "report.hpp"

#include "cli/cli.hpp"
#include "out/progress.hpp"
#include "out/text.hpp"
#include "out/plural.hpp"

#include <atomic>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::dupfind;

int main(int argc, char** argv) {
    cli::Tool tool("dupfind", "dupfind - find files with identical content");
    tool.add_format().add_null("Print paths each followed by a NUL byte, and a NUL after each group").add_color().add_quiet();
    Options o;
    add_options(tool.app(), o);
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    o.raw.null = tool.null();
    if (auto problem = finish(o))
        return cli::usage_error(*problem);

    const std::string cache_file = o.cache || o.cache_clear ? cache_path() : std::string();
    if ((o.cache || o.cache_clear) && cache_file.empty())
        return cli::usage_error({o.cache_clear ? "--cache-clear" : "--cache", "no home directory to keep a cache in"});
    if (std::string error; o.cache_clear && !clear_cache(cache_file, error)) {
        cli::error(cache_file, error);
        return cli::exit_trouble;
    }
    if (o.walk_args.roots.empty())
        return cli::exit_ok; // --cache-clear alone
    auto warn_cache = [&](std::string_view message) {
        if (!tool.quiet())
            cli::error(cache_file, message);
    };
    HashCache cache;
    std::vector<std::pair<CacheKey, CacheHashes>> learned;
    if (o.cache) {
        cache = load_cache(cache_file, warn_cache);
        o.find.cache = &cache;
        o.find.learned = &learned;
    }

    std::atomic<bool> trouble{false};
    auto on_error = [&](std::string_view path, int err) {
        trouble = true;
        cli::error(path, err == ESTALE ? "changed while dupfind read it; left out" : std::strerror(err));
    };
    o.find.warn = [](std::string_view path, std::string_view message) { cli::error(path, message); };
    // Before the walk: what is acted on later is found beneath these, wherever their
    // paths lead by then.
    const HeldRoots held = hold_roots(o.walk_args.roots, o.find.walk.flags & fs::walk_follow);
    FindCounters counters;
    std::vector<Group> groups;
    {
        out::Progress progress(!tool.quiet(), [&] {
            return fmt::format("dupfind: {}, {} hashed, {}", out::plural(counters.files.load(), "file"),
                               out::human_size(counters.bytes_hashed.load()),
                               out::plural(counters.groups.load(), "group"));
        });
        // Counted only for the line: the walk threads' atomic adds to one cache line cost
        // each file a transfer of that line between CPUs.
        groups = find_duplicates(o.find, on_error, progress.shown() ? &counters : nullptr);
    }
    for (Group& g : groups)
        order_group(g, o.keep);
    // A cache that cannot be written costs the next run time, not this one its results.
    if (std::string error; !learned.empty() && !save_cache(cache_file, learned, std::time(nullptr), error))
        warn_cache(fmt::format("cannot save the cache: {}", error));

    out::Sink sink;
    ReportOptions ro{tool.format(), tool.null(), out::escape_stdout(), o.hardlinks, o.find.hash, tool.color_stdout()};
    if (o.summary) {
        print_summary(sink, groups, ro);
    } else if (o.action != ActionKind::none) {
        ActContext ctx{o.walk_args.roots, held, o.action};
        if (!act(groups, ctx, o.apply, [&](const Done& done) { print_action(sink, done, o.apply, ro); }))
            trouble = true;
    } else {
        print_groups(sink, groups, ro);
    }
    return out::finish(sink, trouble ? cli::exit_trouble : groups.empty() ? cli::exit_ok : cli::exit_found);
}

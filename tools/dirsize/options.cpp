#include "options.hpp"

#include <CLI/CLI.hpp>

#include <climits>

namespace syskit::dirsize {

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_flag("-b,--apparent", r.apparent, "Count bytes (st_size, du -b) instead of disk usage (st_blocks)");
    app.add_flag("-h,--human-readable", o.human, "Sizes as 1.5K, 23M, 4.0G (powers of 1024)");
    app.add_flag("--si", o.si, "Sizes as 1.6k, 24M, 4.3G (powers of 1000)");
    app.add_flag("-c,--total", o.grand_total, "Print a grand total last");
    app.add_option("-d,--depth", o.depth, "List every directory down to N levels below each PATH")
        ->type_name("N")
        ->check(CLI::Range(0, INT_MAX).description(""));
    app.add_option("--top", o.top, "List the N largest directories, largest first")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30).description(""));
    app.add_flag("--files", r.files, "With --top: the N largest files instead of directories");
    cli::WalkSpec spec;
    spec.paths_help = "Trees to measure (default: .)";
    spec.one_file_system_help = "Count nothing on other file systems than each PATH's";
    spec.max_depth = false; // --depth lists directories; the walk itself always goes to the bottom
    cli::add_walk_options(app, o.walk_args, spec);
    app.footer("See dirsize(1).");
}

std::optional<cli::Problem> finish(Options& o) {
    auto& r = o.raw;
    if (r.files && o.top == 0)
        return cli::Problem{"--files", "needs --top N"};
    if (o.top && o.depth >= 0)
        return cli::Problem{"--top", "cannot be combined with --depth"};
    o.tally.apparent = r.apparent;
    o.tally.per_directory = o.depth >= 0 || (o.top && !r.files);
    o.tally.largest_files = r.files ? o.top : 0;
    o.tally.one_file_system = o.walk_args.one_file_system;
    o.tally.remember_all = o.walk_args.roots.size() > 1;
    o.walk = o.walk_args.walk_options();
    return std::nullopt;
}

} // namespace syskit::dirsize

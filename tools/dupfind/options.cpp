#include "options.hpp"

#include "cli/size.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace syskit::dupfind {

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_option("--hash", r.hash, "Content hash: xxh3-128 (default), sha256, blake2b, md5")->type_name("NAME");
    app.add_flag("--verify", o.find.verify, "Compare the bytes of every group too, not just hashes");
    app.add_flag("--empty", r.empty, "Include empty files (skipped by default)");
    app.add_flag("--hardlinks", o.hardlinks, "List every name of a file with several (hard links)");
    app.add_option("--keep", r.keep, "The file listed first and kept: first, oldest, newest, shortest-path, or GLOB")
        ->type_name("RULE");
    app.add_flag("--summary", o.summary, "Print counts and reclaimable bytes instead of the groups");
    auto* del = app.add_flag("--delete", r.remove, "Remove every copy but the kept file");
    auto* hl = app.add_flag("--hardlink", r.hardlink, "Replace each copy with a hard link to the kept file");
    auto* sl = app.add_flag("--symlink", r.symlink, "Replace each copy with a symbolic link to the kept file");
    auto* rl = app.add_flag("--reflink", r.reflink, "Replace each copy with a clone sharing the kept file's extents");
    del->excludes(hl)->excludes(sl)->excludes(rl);
    hl->excludes(sl)->excludes(rl);
    sl->excludes(rl);
    app.add_flag("--apply", o.apply, "Carry out the action; without it, print what would be done");
    app.add_option("--min-size", r.min_size, "Ignore files smaller than SIZE (512, 10K, 4M, ...)")->type_name("SIZE");
    app.add_option("--max-size", r.max_size, "Ignore files larger than SIZE")->type_name("SIZE");
    app.add_option("--include", r.include, "Consider only files matching GLOB")->type_name("GLOB")->allow_extra_args(false);
    app.add_flag("--cache,!--no-cache", o.cache,
                 "Keep hashes between runs in ~/.cache/syskit (default: --no-cache)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_flag("--cache-clear", o.cache_clear, "Remove the hash cache first (alone: only that)");
    app.add_flag("-r,--recursive", r.recursive, "Accepted for jdupes and fdupes users: dupfind always recurses");
    cli::WalkSpec spec;
    spec.paths_help = "Trees to search";
    spec.paths_required = true;
    spec.follow = true;
    cli::add_walk_options(app, o.walk_args, spec);
    // --cache-clear alone needs no PATH: finish() asks for one otherwise.
    app.get_option("PATH")->required(false);
    app.footer("See dupfind(1).");
}

std::optional<cli::Problem> finish(Options& o) {
    auto& r = o.raw;
    if (o.walk_args.roots.empty() && !o.cache_clear)
        return cli::Problem{"PATH", "at least one tree to search is required"};
    o.action = r.remove     ? ActionKind::remove
               : r.hardlink ? ActionKind::hardlink
               : r.symlink  ? ActionKind::symlink
               : r.reflink  ? ActionKind::reflink
                            : ActionKind::none;
    if (o.apply && o.action == ActionKind::none)
        return cli::Problem{"--apply", "needs an action: --delete, --hardlink, --symlink or --reflink"};
    if (o.action != ActionKind::none && (o.summary || r.null))
        return cli::Problem{o.summary ? "--summary" : "--null", "cannot be combined with an action"};
    auto hash = parse_hash(r.hash);
    if (!hash)
        return cli::Problem{"--hash", fmt::format("unknown hash '{}' (xxh3-128, sha256, blake2b, md5)", r.hash)};
    FindOptions& f = o.find;
    f.hash = *hash;
    f.min_size = r.empty ? 0 : 1;
    for (auto [text, name, into] : {std::tuple{&r.min_size, "--min-size", &f.min_size},
                                    std::tuple{&r.max_size, "--max-size", &f.max_size}}) {
        if (text->empty())
            continue;
        auto v = cli::parse_size(*text);
        if (!v)
            return cli::Problem{name, cli::not_a_size(*text)};
        // Without --empty, empty files stay out whatever --min-size says.
        *into = std::max<std::uint64_t>(*v, into == &f.min_size && !r.empty ? 1 : 0);
    }
    for (const auto& g : r.include)
        f.include.add(g);
    f.walk = o.walk_args.walk_options();
    o.keep = parse_keep(r.keep);
    return std::nullopt;
}

} // namespace syskit::dupfind

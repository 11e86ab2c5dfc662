// dupfind: finds files with identical content (book chapters 4 and 14).
#include "act.hpp"
#include "cli/cli.hpp"
#include "cli/size.hpp"
#include "finder.hpp"
#include "keep.hpp"
#include "out/json.hpp"
#include "out/progress.hpp"
#include "out/text.hpp"

#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::dupfind;

namespace {

/// The names a group shows for a file: its first, or all with --hardlinks.
std::vector<const Name*> shown_names(const File& f, bool hardlinks) {
    std::vector<const Name*> names{&f.names[0]};
    if (hardlinks)
        for (std::size_t i = 1; i < f.names.size(); ++i)
            names.push_back(&f.names[i]);
    return names;
}

} // namespace

int main(int argc, char** argv) {
    cli::Tool tool("dupfind", "dupfind - find files with identical content");
    tool.add_format().add_null("Print paths each followed by a NUL byte, and a NUL after each group").add_quiet();
    auto& app = tool.app();

    std::vector<std::string> roots;
    std::vector<std::string> exclude, include;
    std::string hash_arg = "xxh3-128", keep_arg = "first", min_arg, max_arg;
    bool empty = false, hardlinks = false, verify = false, summary = false, follow = false, one_fs = false;
    bool do_delete = false, do_hardlink = false, do_symlink = false, do_reflink = false, apply = false;
    int max_depth = -1;
    unsigned threads = 0;

    app.add_option("PATH", roots, "Trees to search")->type_name("")->required();
    app.add_option("--hash", hash_arg, "Content hash: xxh3-128 (default), sha256, blake2b, md5")->type_name("NAME");
    app.add_flag("--verify", verify, "Compare the bytes of every group too, not just hashes");
    app.add_flag("--empty", empty, "Include empty files (skipped by default)");
    app.add_flag("--hardlinks", hardlinks, "List every name of a file with several (hard links)");
    app.add_option("--keep", keep_arg, "The file listed first and kept: first, oldest, newest, shortest-path, or GLOB")
        ->type_name("RULE");
    app.add_flag("--summary", summary, "Print counts and reclaimable bytes instead of the groups");
    auto* del = app.add_flag("--delete", do_delete, "Remove every copy but the kept file");
    auto* hl = app.add_flag("--hardlink", do_hardlink, "Replace each copy with a hard link to the kept file");
    auto* sl = app.add_flag("--symlink", do_symlink, "Replace each copy with a symbolic link to the kept file");
    auto* rl = app.add_flag("--reflink", do_reflink, "Replace each copy with a clone sharing the kept file's extents");
    del->excludes(hl)->excludes(sl)->excludes(rl);
    hl->excludes(sl)->excludes(rl);
    sl->excludes(rl);
    app.add_flag("--apply", apply, "Carry out the action; without it, print what would be done");
    app.add_option("--min-size", min_arg, "Ignore files smaller than SIZE (512, 10K, 4M, ...)")->type_name("SIZE");
    app.add_option("--max-size", max_arg, "Ignore files larger than SIZE")->type_name("SIZE");
    app.add_option("--exclude", exclude, "Skip entries matching GLOB, and what they hold")
        ->type_name("GLOB")
        ->allow_extra_args(false);
    app.add_option("--include", include, "Consider only files matching GLOB")->type_name("GLOB")->allow_extra_args(false);
    app.add_flag("-L,--follow", follow, "Follow symbolic links (loops are detected)");
    app.add_flag("-x,--one-file-system", one_fs, "Stay on the file system of each PATH");
    app.add_option("--max-depth", max_depth, "Descend at most N levels below each PATH")
        ->type_name("N")
        ->check(CLI::Range(0, INT_MAX).description(""));
    app.add_option("-j,--threads", threads, "Worker threads (default: online CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u).description(""));
    app.footer("See dupfind(1).");
    if (auto rc = tool.parse(argc, argv))
        return *rc;

    ActionKind kind = do_delete ? ActionKind::remove
                      : do_hardlink ? ActionKind::hardlink
                      : do_symlink ? ActionKind::symlink
                      : do_reflink ? ActionKind::reflink
                                   : ActionKind::none;
    if (apply && kind == ActionKind::none) {
        cli::error("--apply", "needs an action: --delete, --hardlink, --symlink or --reflink");
        return cli::exit_trouble;
    }
    if (kind != ActionKind::none && (summary || tool.null())) {
        cli::error(summary ? "--summary" : "--null", "cannot be combined with an action");
        return cli::exit_trouble;
    }
    auto hash = parse_hash(hash_arg);
    if (!hash) {
        cli::error("--hash", fmt::format("unknown hash '{}' (xxh3-128, sha256, blake2b, md5)", hash_arg));
        return cli::exit_trouble;
    }
    FindOptions opt;
    opt.hash = *hash;
    opt.verify = verify;
    opt.min_size = empty ? 0 : 1;
    for (auto [arg, name, dst] : {std::tuple{&min_arg, "--min-size", &opt.min_size}, {&max_arg, "--max-size", &opt.max_size}}) {
        if (arg->empty())
            continue;
        auto v = cli::parse_size(*arg);
        if (!v) {
            cli::error(name, fmt::format("invalid size '{}' (a number of bytes, or with K, M, G, T)", *arg));
            return cli::exit_trouble;
        }
        *dst = std::max<std::uint64_t>(*v, dst == &opt.min_size && !empty ? 1 : 0);
    }
    opt.walk.roots = roots;
    opt.walk.flags = (follow ? unsigned{fs::walk_follow} : 0u) | (one_fs ? unsigned{fs::walk_one_fs} : 0u);
    opt.walk.max_depth = max_depth;
    opt.walk.threads = threads;
    for (auto& g : exclude)
        opt.walk.exclude.add(g);
    for (auto& g : include)
        opt.include.add(g);
    Keep keep = parse_keep(keep_arg);

    std::atomic<bool> trouble{false};
    auto on_error = [&](std::string_view path, int err) {
        trouble = true;
        cli::error(path, err == ESTALE ? "changed while dupfind read it; left out" : std::strerror(err));
    };
    FindCounters counters;
    std::vector<Group> groups;
    {
        out::Progress progress(!tool.quiet(), [&] {
            return fmt::format("dupfind: {} files, {} hashed, {} groups", counters.files.load(),
                               out::human_size(counters.bytes_hashed.load()), counters.groups.load());
        });
        groups = find_duplicates(opt, on_error, &counters);
    }
    for (Group& g : groups)
        order_group(g, keep);

    out::Sink sink;
    const bool escape = isatty(STDOUT_FILENO) == 1;
    auto shown = [&](const std::string& p) { return escape ? out::escape_for_terminal(p) : p; };

    if (summary) {
        std::uint64_t copies = 0, reclaimable = 0;
        for (const Group& g : groups) {
            copies += g.files.size() - 1;
            reclaimable += g.size * (g.files.size() - 1);
        }
        if (tool.format() == cli::Format::json)
            sink.line(out::Object()
                          .add("groups", static_cast<std::uint64_t>(groups.size()))
                          .add("duplicates", copies)
                          .add("reclaimable_bytes", reclaimable)
                          .str());
        else
            sink.line(fmt::format("{} duplicate groups, {} duplicate files, {} bytes ({}) reclaimable", groups.size(),
                                  copies, reclaimable, out::human_size(reclaimable)));
    } else if (kind != ActionKind::none) {
        std::vector<std::string> absolute;
        for (const auto& r : roots) {
            char* abs = realpath(r.c_str(), nullptr);
            absolute.emplace_back(abs ? abs : r);
            std::free(abs);
        }
        ActContext ctx{roots, absolute, kind};
        for (const Group& g : groups) {
            const File& kept = g.files[0];
            std::string target = absolute_path(ctx, kept.names[0]);
            for (std::size_t i = 1; i < g.files.size(); ++i) {
                for (const Name& n : g.files[i].names) {
                    std::string cmd = action_command(kind, kept.names[0].path, target, n.path);
                    std::string why;
                    if (apply && !apply_action(ctx, kept, g.files[i], n, why)) {
                        cli::error(n.path, why);
                        trouble = true;
                        continue;
                    }
                    if (tool.format() == cli::Format::json)
                        sink.line(out::Object()
                                      .add("path", n.path)
                                      .add("keep", kept.names[0].path)
                                      .add("command", cmd)
                                      .add("applied", apply)
                                      .str());
                    else
                        sink.line(shown(cmd));
                }
            }
        }
    } else {
        for (const Group& g : groups) {
            if (tool.format() == cli::Format::json) {
                std::string paths = "[";
                for (const File& f : g.files)
                    for (const Name* n : shown_names(f, hardlinks)) {
                        if (paths.size() > 1)
                            paths += ',';
                        paths += '"';
                        out::append_json_string(paths, n->path);
                        paths += '"';
                    }
                paths += ']';
                sink.line(out::Object()
                              .add("size", g.size)
                              .add("hash", to_hex(g.digest))
                              .add("algorithm", hash_name(opt.hash))
                              .add_raw("paths", paths)
                              .str());
                continue;
            }
            for (const File& f : g.files)
                for (const Name* n : shown_names(f, hardlinks)) {
                    if (tool.null())
                        sink.record0(n->path);
                    else
                        sink.line(shown(n->path));
                }
            if (tool.null())
                sink.record0("");
            else
                sink.line("");
        }
    }
    if (!sink.flush()) {
        cli::error("stdout", std::strerror(sink.error()));
        return cli::exit_trouble;
    }
    if (trouble)
        return cli::exit_trouble;
    return groups.empty() ? cli::exit_ok : cli::exit_found;
}

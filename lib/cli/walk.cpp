#include "cli/walk.hpp"

#include <CLI/CLI.hpp>

#include <climits>
#include <cstdlib>
#include <memory>

#include <unistd.h>

namespace syskit::cli {

fs::WalkOptions WalkArgs::walk_options(unsigned extra_flags) const {
    fs::WalkOptions w;
    w.roots = roots;
    w.flags = extra_flags | (one_file_system ? unsigned{fs::walk_one_fs} : 0u) |
              (follow ? unsigned{fs::walk_follow} : 0u);
    w.max_depth = max_depth;
    w.threads = threads;
    for (const auto& g : exclude)
        w.exclude.add(g);
    return w;
}

void add_walk_options(CLI::App& app, WalkArgs& args, const WalkSpec& spec) {
    if (!spec.paths_required)
        args.roots = {"."};
    auto* paths = app.add_option("PATH", args.roots, spec.paths_help)->type_name("");
    if (spec.paths_required)
        paths->required();
    app.add_option("--exclude", args.exclude, "Skip entries matching GLOB, and what they hold")
        ->type_name("GLOB")
        ->allow_extra_args(false);
    if (spec.follow)
        app.add_flag("-L,--follow", args.follow, "Follow symbolic links (loops are detected)");
    app.add_flag("-x,--one-file-system", args.one_file_system, spec.one_file_system_help);
    if (spec.max_depth)
        app.add_option("--max-depth", args.max_depth, "Descend at most N levels below each PATH")
            ->type_name("N")
            ->check(CLI::Range(0, INT_MAX).description(""));
    // --threads: the name these options had before -j/--jobs was the suite's, still taken.
    app.add_option("-j,--jobs,--threads", args.threads, "Worker threads (default: one per CPU)")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u).description(""));
}

std::string absolute_path(std::string_view path) {
    std::string p(path);
    std::unique_ptr<char, decltype(&std::free)> real(realpath(p.c_str(), nullptr), &std::free);
    if (real)
        return real.get();
    if (!p.empty() && p[0] == '/')
        return p;
    std::unique_ptr<char, decltype(&std::free)> cwd(getcwd(nullptr, 0), &std::free);
    if (!cwd)
        return p;
    std::string joined = cwd.get();
    if (joined.back() != '/')
        joined += '/';
    return joined + p;
}

std::vector<std::string> absolute_roots(const std::vector<std::string>& roots) {
    std::vector<std::string> abs;
    abs.reserve(roots.size());
    for (const auto& r : roots)
        abs.push_back(absolute_path(r));
    return abs;
}

} // namespace syskit::cli

// dirsize: how much space trees take, du -s style (book chapter 4).
#include "cli/cli.hpp"
#include "fs/walk.hpp"
#include "out/json.hpp"
#include "out/progress.hpp"
#include "out/text.hpp"
#include "tally.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::dirsize;

namespace {

struct Printer {
    out::Sink& sink;
    cli::Format format;
    bool apparent, human, si, null, escape;

    std::string size_text(std::uint64_t bytes) const {
        if (human || si)
            return out::human_size(bytes, si);
        if (apparent)
            return std::to_string(bytes);
        return std::to_string((bytes + 1023) / 1024); // du's default unit: 1024-byte blocks, rounded up
    }

    void row(const Sized& s, bool complete) const {
        if (format == cli::Format::json) {
            sink.line(out::Object()
                          .add("path", s.path)
                          .add("size", s.size)
                          .add("apparent", apparent)
                          .add("depth", s.depth)
                          .add("complete", complete)
                          .str());
            return;
        }
        std::string line = size_text(s.size) + '\t' + (escape ? out::escape_for_terminal(s.path) : s.path);
        if (null)
            sink.record0(line);
        else
            sink.line(line);
    }

    void total(std::uint64_t size, bool complete) const {
        if (format == cli::Format::json) {
            sink.line(out::Object().add("total", true).add("size", size).add("apparent", apparent).add("complete", complete).str());
            return;
        }
        std::string line = size_text(size) + "\ttotal";
        if (null)
            sink.record0(line);
        else
            sink.line(line);
    }
};

} // namespace

int main(int argc, char** argv) {
    cli::Tool tool("dirsize", "dirsize - how much space file trees take");
    tool.long_help_only().add_format().add_null("End each line with a NUL byte instead of a newline").add_quiet();
    auto& app = tool.app();

    std::vector<std::string> roots{"."};
    std::vector<std::string> exclude;
    bool apparent = false, human = false, si = false, grand_total = false, one_fs = false, files = false;
    int depth = -1;
    std::size_t top = 0;
    unsigned threads = 0;

    app.add_option("PATH", roots, "Trees to measure (default: .)")->type_name("");
    app.add_flag("-b,--apparent", apparent, "Count bytes (st_size, du -b) instead of disk usage (st_blocks)");
    app.add_flag("-h,--human-readable", human, "Sizes as 1.5K, 23M, 4.0G (powers of 1024)");
    app.add_flag("--si", si, "Sizes as 1.6k, 24M, 4.3G (powers of 1000)");
    app.add_flag("-c,--total", grand_total, "Print a grand total last");
    app.add_option("-d,--depth", depth, "List every directory down to N levels below each PATH")
        ->type_name("N")
        ->check(CLI::Range(0, INT_MAX).description(""));
    app.add_option("--top", top, "List the N largest directories, largest first")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30).description(""));
    app.add_flag("--files", files, "With --top: the N largest files instead of directories");
    app.add_option("--exclude", exclude, "Skip entries matching GLOB, and what they hold")
        ->type_name("GLOB")
        ->allow_extra_args(false);
    app.add_flag("-x,--one-file-system", one_fs, "Count nothing on other file systems than each PATH's");
    app.add_option("-j,--threads", threads, "Worker threads (default: online CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u).description(""));
    app.footer("See dirsize(1).");
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (files && top == 0) {
        cli::error("--files", "needs --top N");
        return cli::exit_trouble;
    }
    if (top && depth >= 0) {
        cli::error("--top", "cannot be combined with --depth");
        return cli::exit_trouble;
    }

    TallyOptions topt;
    topt.apparent = apparent;
    topt.per_directory = depth >= 0 || (top && !files);
    topt.largest_files = files ? top : 0;
    topt.one_file_system = one_fs;
    topt.remember_all = roots.size() > 1;
    Tally tally(topt);

    fs::WalkOptions wopt;
    wopt.flags = one_fs ? unsigned{fs::walk_one_fs} : 0u;
    wopt.threads = threads;
    for (auto& g : exclude)
        wopt.exclude.add(g);

    out::Sink sink;
    Printer print{sink, tool.format(), apparent, human, si, tool.null(), isatty(STDOUT_FILENO) == 1};
    bool trouble = false;
    std::uint64_t sum = 0;
    bool all_complete = true;
    std::vector<Sized> top_dirs;
    std::vector<Sized> top_files;
    fs::WalkCounters counters;
    out::Progress progress(!tool.quiet(), [&] {
        return fmt::format("dirsize: {} entries, {} directories", counters.entries.load(), counters.dirs.load());
    });
    for (const std::string& root : roots) {
        RootTotal r = tally.walk(
            root, wopt, [](const fs::Entry& e) { cli::error_errno(e.path, e.error); }, &counters);
        bool complete = r.errors == 0;
        if (!complete) {
            trouble = true;
            all_complete = false;
        }
        if (!r.found) // the root itself could not be read: nothing to print
            continue;
        if (!complete)
            cli::error(root, fmt::format("total is incomplete: {} entr{} could not be read", r.errors,
                                         r.errors == 1 ? "y" : "ies"));
        sum += r.total.size;
        if (top) {
            auto& from = files ? r.files : r.directories;
            std::move(from.begin(), from.end(), std::back_inserter(files ? top_files : top_dirs));
            continue;
        }
        progress.stop();
        if (depth >= 0) {
            std::vector<Sized> shown;
            for (Sized& d : r.directories)
                if (d.depth <= depth)
                    shown.push_back(std::move(d));
            std::sort(shown.begin(), shown.end(),
                      [](const Sized& a, const Sized& b) { return post_order_less(a.path, b.path); });
            for (const Sized& d : shown)
                print.row(d, complete);
        } else {
            print.row(r.total, complete);
        }
    }
    progress.stop();
    if (top) {
        auto& list = files ? top_files : top_dirs;
        std::sort(list.begin(), list.end(), [](const Sized& a, const Sized& b) {
            return a.size != b.size ? a.size > b.size : a.path < b.path;
        });
        if (list.size() > top)
            list.resize(top);
        for (const Sized& s : list)
            print.row(s, all_complete);
    }
    if (grand_total)
        print.total(sum, all_complete);
    if (!sink.flush()) {
        cli::error("stdout", std::strerror(sink.error()));
        return cli::exit_trouble;
    }
    return trouble ? cli::exit_trouble : cli::exit_ok;
}

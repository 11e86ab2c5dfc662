#include "scan.hpp"

#include "cli/diag.hpp"
#include "out/progress.hpp"
#include "out/plural.hpp"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <mutex>

#include <fmt/format.h>

namespace syskit::permscan {

ScanResult scan(const ScanOptions& opt, const fs::WalkOptions& walk, Owners& owners, bool progress) {
    ScanResult result;
    std::mutex mu;
    std::atomic<bool> trouble{false};
    fs::WalkCounters counters;
    std::atomic<std::size_t> found{0};
    {
        out::Progress line(progress, [&] {
            return fmt::format("permscan: {}, {}, {}", out::plural(counters.entries.load(), "entry", "entries"),
                               out::plural(counters.dirs.load(), "directory", "directories"),
                               out::plural(found.load(), "finding"));
        });
        fs::walk(
            walk,
            [&](const fs::Entry& e) {
                // A bind mount of an ancestor is skipped with a warning, as find and du do:
                // the tree below it has been scanned already, nothing is missed.
                if (!e.loop_of.empty()) {
                    cli::error(e.path, fs::entry_error(e));
                    return fs::Action::next;
                }
                if (e.error) {
                    cli::error_errno(e.path, e.error);
                    trouble = true;
                    return fs::Action::next;
                }
                thread_local std::vector<Finding> local;
                local.clear();
                inspect(opt, owners, e, local);
                if (!local.empty()) {
                    std::lock_guard lock(mu);
                    found += local.size();
                    std::move(local.begin(), local.end(), std::back_inserter(result.findings));
                }
                return fs::Action::next;
            },
            &counters);
    }
    std::sort(result.findings.begin(), result.findings.end(), [](const Finding& a, const Finding& b) {
        return a.path != b.path ? a.path < b.path : a.check < b.check;
    });
    result.trouble = trouble;
    return result;
}

} // namespace syskit::permscan

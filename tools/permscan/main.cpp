// permscan: reports unsafe permissions in file trees (book chapter 4).
#include "checks.hpp"
#include "cli/cli.hpp"
#include "fix.hpp"
#include "fs/fd.hpp"
#include "fs/mode.hpp"
#include "fs/walk.hpp"
#include "out/json.hpp"
#include "out/progress.hpp"
#include "out/text.hpp"
#include "report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::permscan;

namespace {

/// Splits "a,b" lists and repeated options into one list of check ids, or names the bad one.
bool parse_checks(const std::vector<std::string>& args, std::array<bool, check_count>& out, std::string& bad) {
    for (const auto& arg : args) {
        std::size_t pos = 0;
        while (pos <= arg.size()) {
            std::size_t comma = arg.find(',', pos);
            std::string id = arg.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            pos = comma == std::string::npos ? arg.size() + 1 : comma + 1;
            auto c = parse_check(id);
            if (!c) {
                bad = id;
                return false;
            }
            out[static_cast<std::size_t>(*c)] = true;
        }
    }
    return true;
}

std::string check_list() {
    std::string s;
    for (std::size_t i = 0; i < check_count; ++i)
        s += (i ? ", " : "") + std::string(info(static_cast<Check>(i)).id);
    return s;
}


/// --fix: prints, and with apply makes, one chmod per path that has findings to mend.
/// Returns false when a change could not be made.
bool fix_findings(const std::vector<Finding>& findings, const std::vector<std::string>& roots, bool fix_setid,
                  bool apply, const ReportOptions& ro, out::Sink& sink) {
    bool ok = true;
    std::vector<fs::UniqueFd> root_fds(roots.size());
    for (std::size_t i = 0; i < findings.size();) {
        // Findings are sorted by path: merge each path's changes into one chmod.
        const Finding& f = findings[i];
        std::optional<Change> change;
        for (; i < findings.size() && findings[i].path == f.path; ++i) {
            if (auto c = change_for(findings[i], fix_setid))
                change = change ? merge(*change, *c) : *c;
        }
        if (!change)
            continue;
        mode_t from = f.mode & 07777, to = changed_mode(*change, f.mode);
        if (apply) {
            fs::UniqueFd& root_fd = root_fds[f.root];
            if (!root_fd)
                root_fd.reset(open(roots[f.root].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
            if (!root_fd) {
                cli::error_errno(roots[f.root], errno);
                ok = false;
                continue;
            }
            std::string why;
            ApplyResult r = apply_change(root_fd.get(), f, *change, from, to, why);
            if (r == ApplyResult::failed) {
                cli::error(f.path, "not changed: " + why);
                ok = false;
            }
            if (r != ApplyResult::changed)
                continue;
        }
        std::string cmd = change_command(*change, f.path);
        if (ro.format == cli::Format::json)
            sink.line(out::Object()
                          .add("path", f.path)
                          .add("chmod", cmd.substr(6, cmd.find(' ', 6) - 6))
                          .add("mode", fs::mode_octal(from))
                          .add("new_mode", fs::mode_octal(to))
                          .add("applied", apply)
                          .str());
        else
            sink.line(ro.escape ? out::escape_for_terminal(cmd) : cmd);
    }
    return ok;
}

} // namespace

int main(int argc, char** argv) {
    cli::Tool tool("permscan", "permscan - report unsafe file and directory permissions");
    tool.add_format().add_null().add_color().add_quiet();
    auto& app = tool.app();

    std::vector<std::string> roots{"."};
    std::vector<std::string> checks_arg, skip_arg, exclude, allow;
    std::string min_severity = "low";
    bool all = false, one_fs = false, summary = false, fix = false, apply = false, fix_setid = false;
    int max_depth = -1;
    unsigned threads = 0;

    app.add_option("PATH", roots, "Trees to scan (default: .)")->type_name("");
    app.add_option("--check", checks_arg, "Run only these checks (ID[,ID...], repeatable)")->type_name("ID")
        ->allow_extra_args(false);
    app.add_option("--skip", skip_arg, "Do not run these checks")->type_name("ID")
        ->allow_extra_args(false);
    app.add_flag("--all", all, "Run every check, group-writable included");
    app.add_option("--min-severity", min_severity, "Report only findings this severe: low, medium, high")
        ->type_name("LEVEL");
    app.add_option("--allow", allow, "Accept set-id files matching GLOB (repeatable)")->type_name("GLOB")
        ->allow_extra_args(false);
    app.add_option("--exclude", exclude, "Skip entries matching GLOB, and what they hold")->type_name("GLOB")
        ->allow_extra_args(false);
    app.add_flag("-x,--one-file-system", one_fs, "Stay on the file system of each PATH");
    app.add_option("--max-depth", max_depth, "Descend at most N levels below each PATH")
        ->type_name("N")
        ->check(CLI::Range(0, INT_MAX).description(""));
    auto* summary_opt =
        app.add_flag("--summary", summary, "Print the number of findings per check instead of the findings");
    auto* fix_opt = app.add_flag("--fix", fix, "Print the chmod that mends each finding; change nothing");
    app.add_flag("--apply", apply, "With --fix: make the changes")->needs(fix_opt);
    app.add_flag("--fix-setid", fix_setid, "With --fix: also remove set-id bits")->needs(fix_opt);
    app.add_option("-j,--threads", threads, "Worker threads (default: online CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u).description(""));
    fix_opt->excludes(summary_opt);
    app.get_option("--null")->excludes(fix_opt)->excludes(summary_opt);
    app.footer("Checks: " + check_list() + ".\nSee permscan(1).");

    if (auto rc = tool.parse(argc, argv))
        return *rc;

    ScanOptions opt;
    opt.roots = roots;
    std::string bad;
    std::array<bool, check_count> chosen{}, skipped{};
    if (!parse_checks(checks_arg, chosen, bad)) {
        cli::error("--check", fmt::format("unknown check '{}' (checks: {})", bad, check_list()));
        return cli::exit_trouble;
    }
    if (!parse_checks(skip_arg, skipped, bad)) {
        cli::error("--skip", fmt::format("unknown check '{}' (checks: {})", bad, check_list()));
        return cli::exit_trouble;
    }
    auto level = parse_severity(min_severity);
    if (!level) {
        cli::error("--min-severity", fmt::format("unknown severity '{}' (low, medium, high)", min_severity));
        return cli::exit_trouble;
    }
    bool any_chosen = std::find(chosen.begin(), chosen.end(), true) != chosen.end();
    for (std::size_t i = 0; i < check_count; ++i) {
        const CheckInfo& ci = info(static_cast<Check>(i));
        bool on = any_chosen ? chosen[i] : (all || ci.by_default);
        opt.enabled[i] = on && !skipped[i] && ci.severity >= *level;
    }
    for (auto& g : allow)
        opt.allow.add(g);
    for (const auto& r : roots) {
        char* abs = realpath(r.c_str(), nullptr);
        opt.absolute_roots.emplace_back(abs ? abs : "");
        std::free(abs);
    }

    fs::WalkOptions wopt;
    wopt.roots = roots;
    wopt.flags = fs::walk_stat | (one_fs ? unsigned{fs::walk_one_fs} : 0u);
    wopt.max_depth = max_depth;
    wopt.threads = threads;
    for (auto& g : exclude)
        wopt.exclude.add(g);

    Owners owners;
    std::vector<Finding> findings;
    std::mutex mu;
    std::atomic<bool> trouble{false};
    fs::WalkCounters counters;
    std::atomic<std::size_t> found{0};
    {
        out::Progress progress(!tool.quiet(), [&] {
            return fmt::format("permscan: {} entries, {} directories, {} findings", counters.entries.load(),
                               counters.dirs.load(), found.load());
        });
        fs::walk(
            wopt,
            [&](const fs::Entry& e) {
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
                    std::move(local.begin(), local.end(), std::back_inserter(findings));
                }
                return fs::Action::next;
            },
            &counters);
    }
    std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        return a.path != b.path ? a.path < b.path : a.check < b.check;
    });

    out::Sink sink;
    ReportOptions ro{tool.format(), tool.null(), tool.color_stdout(), isatty(STDOUT_FILENO) == 1};
    if (fix) {
        if (!fix_findings(findings, roots, fix_setid, apply, ro, sink))
            trouble = true;
    } else if (summary) {
        print_summary(sink, findings, opt.enabled, ro);
    } else {
        print_findings(sink, owners, findings, ro);
    }
    if (!sink.flush()) {
        cli::error("stdout", std::strerror(sink.error()));
        return cli::exit_trouble;
    }
    if (trouble)
        return cli::exit_trouble;
    return findings.empty() ? cli::exit_ok : cli::exit_found;
}

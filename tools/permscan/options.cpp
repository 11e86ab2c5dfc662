#include "options.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace syskit::permscan {

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

} // namespace

std::string check_list() {
    std::string s;
    for (std::size_t i = 0; i < check_count; ++i)
        s += (i ? ", " : "") + std::string(info(static_cast<Check>(i)).id);
    return s;
}

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_option("--check", r.checks, "Run only these checks (ID[,ID...], repeatable)")
        ->type_name("ID")
        ->allow_extra_args(false);
    app.add_option("--skip", r.skip, "Do not run these checks")->type_name("ID")->allow_extra_args(false);
    app.add_flag("--all", r.all, "Run every check, group-writable included");
    app.add_option("--min-severity", r.min_severity, "Report only findings this severe: low, medium, high")
        ->option_text("low|medium|high");
    app.add_option("--allow", r.allow, "Accept set-id files matching GLOB (repeatable)")
        ->type_name("GLOB")
        ->allow_extra_args(false);
    cli::add_walk_options(app, o.walk_args);
    auto* summary =
        app.add_flag("--summary", r.summary, "Print the number of findings per check instead of the findings");
    auto* fix = app.add_flag("--fix", r.fix, "Print the chmod that mends each finding; change nothing");
    app.add_flag("--apply", o.apply, "With --fix: make the changes")->needs(fix);
    app.add_flag("--fix-setid", o.fix_setid, "With --fix: also remove set-id bits")->needs(fix);
    fix->excludes(summary);
    app.get_option("--null")->excludes(fix)->excludes(summary);
    app.footer("Checks: " + check_list() + ".\nSee permscan(1).");
}

std::optional<cli::Problem> finish(Options& o) {
    auto& r = o.raw;
    std::string bad;
    std::array<bool, check_count> chosen{}, skipped{};
    if (!parse_checks(r.checks, chosen, bad))
        return cli::Problem{"--check", fmt::format("unknown check '{}' (checks: {})", bad, check_list())};
    if (!parse_checks(r.skip, skipped, bad))
        return cli::Problem{"--skip", fmt::format("unknown check '{}' (checks: {})", bad, check_list())};
    auto level = parse_severity(r.min_severity);
    if (!level)
        return cli::Problem{"--min-severity",
                            fmt::format("unknown severity '{}' (low, medium, high)", r.min_severity)};
    bool any_chosen = std::find(chosen.begin(), chosen.end(), true) != chosen.end();
    for (std::size_t i = 0; i < check_count; ++i) {
        const CheckInfo& ci = info(static_cast<Check>(i));
        bool on = any_chosen ? chosen[i] : (r.all || ci.by_default);
        o.scan.enabled[i] = on && !skipped[i] && ci.severity >= *level;
    }
    for (const auto& g : r.allow)
        o.scan.allow.add(g);
    o.output = r.fix ? Output::fix : r.summary ? Output::summary : Output::findings;
    o.scan.roots = o.walk_args.roots;
    o.scan.absolute_roots = cli::absolute_roots(o.walk_args.roots);
    o.walk = o.walk_args.walk_options(fs::walk_stat);
    return std::nullopt;
}

} // namespace syskit::permscan

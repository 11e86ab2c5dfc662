#include "plan.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <ctime>
#include <set>

#include <fmt/format.h>

namespace syskit::logroll::plan {

Expanded expand(const config::Config& cfg) {
    Expanded out;
    std::set<std::string> seen;
    for (std::size_t b = 0; b < cfg.blocks.size(); ++b) {
        const auto& block = cfg.blocks[b];
        for (const auto& pattern : block.patterns) {
            glob_t g{};
            int rc = pattern.empty() ? GLOB_NOMATCH : ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
            std::vector<std::string> paths;
            if (rc == 0)
                paths.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
            globfree(&g);
            std::sort(paths.begin(), paths.end());
            bool any = false;
            for (auto& p : paths) {
                struct stat st{};
                if (::lstat(p.c_str(), &st) != 0)
                    continue;
                if (S_ISLNK(st.st_mode)) {
                    out.skipped.push_back(p + ": a symbolic link: not rotated, rotate the file it points to");
                    continue;
                }
                if (!S_ISREG(st.st_mode)) {
                    if (!S_ISDIR(st.st_mode))
                        out.skipped.push_back(p + ": not a regular file");
                    continue;
                }
                any = true;
                if (!seen.insert(p).second) {
                    out.repeated.push_back(p);
                    continue;
                }
                out.targets.push_back({std::move(p), b});
            }
            if (!any && !block.d.missingok)
                out.missing.push_back(pattern);
        }
    }
    return out;
}

std::string rfc3339(std::int64_t t) {
    std::time_t tt = t;
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

namespace {

/// The index of t's period of interval, in local time: periods of one kind compare by it.
std::int64_t period(config::Interval interval, std::int64_t t) {
    std::time_t tt = t;
    std::tm tm{};
    localtime_r(&tt, &tm);
    // Days since the epoch, by the local calendar: tm_gmtoff moves t to local time.
    const std::int64_t day = (t + tm.tm_gmtoff) >= 0 ? (t + tm.tm_gmtoff) / 86400 : ((t + tm.tm_gmtoff) - 86399) / 86400;
    switch (interval) {
    case config::Interval::hourly: return day * 24 + tm.tm_hour;
    case config::Interval::daily: return day;
    // The epoch was a Thursday: day + 3 counts from the Monday before it.
    case config::Interval::weekly: return (day + 3) >= 0 ? (day + 3) / 7 : (day + 3 - 6) / 7;
    case config::Interval::monthly: return std::int64_t{tm.tm_year} * 12 + tm.tm_mon;
    case config::Interval::yearly: return tm.tm_year;
    case config::Interval::none: break;
    }
    return 0;
}

std::string_view period_name(config::Interval interval) {
    switch (interval) {
    case config::Interval::hourly: return "hour";
    case config::Interval::daily: return "day";
    case config::Interval::weekly: return "week";
    case config::Interval::monthly: return "month";
    case config::Interval::yearly: return "year";
    case config::Interval::none: break;
    }
    return "";
}

} // namespace

bool new_period(config::Interval interval, std::int64_t last, std::int64_t now) {
    return period(interval, now) > period(interval, last);
}

Decision decide(const config::Directives& d, const Facts& f) {
    Decision r;
    if (f.force) {
        r = {true, "forced (--force)"};
    } else if (d.maxsize && f.size > *d.maxsize) {
        r = {true, fmt::format("maxsize: {} bytes, more than {}", f.size, *d.maxsize)};
    } else if (d.size) {
        r.rotate = f.size >= *d.size;
        r.why = fmt::format("size: {} bytes, {} {}", f.size, r.rotate ? "at least" : "less than", *d.size);
    } else if (d.interval != config::Interval::none) {
        auto name = config::interval_name(d.interval);
        if (!f.last) {
            r.why = fmt::format("{}: no rotation recorded in the state file; the first {} starts now", name,
                                period_name(d.interval));
        } else if (!new_period(d.interval, *f.last, f.now)) {
            r.why = fmt::format("{}: last rotated {}, in this {}", name, rfc3339(*f.last), period_name(d.interval));
        } else if (d.minsize && f.size < *d.minsize) {
            r.why = fmt::format("{}: last rotated {}, but minsize: {} bytes, less than {}", name, rfc3339(*f.last),
                                f.size, *d.minsize);
        } else {
            r = {true, fmt::format("{}: last rotated {}, a new {} since", name, rfc3339(*f.last),
                                   period_name(d.interval))};
        }
    } else {
        r = {true, "no size or interval given: rotated at every run"};
    }
    if (r.rotate && f.size == 0 && !d.ifempty)
        r = {false, "empty (notifempty)"};
    return r;
}

} // namespace syskit::logroll::plan

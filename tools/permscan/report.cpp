#include "report.hpp"

#include "fs/mode.hpp"
#include "out/json.hpp"

#include <ctime>

#include <fmt/format.h>

namespace syskit::permscan {

namespace {

std::string_view severity_color(Severity s) {
    switch (s) {
    case Severity::high: return "\033[1;31m";
    case Severity::medium: return "\033[33m";
    case Severity::low: return "\033[36m";
    }
    return "";
}

std::string iso_time(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

void print_findings(out::Sink& sink, Owners& owners, const std::vector<Finding>& findings, const ReportOptions& o) {
    const std::string* last = nullptr;
    for (const Finding& f : findings) {
        if (o.null) {
            if (!last || *last != f.path)
                sink.record0(f.path);
            last = &f.path;
            continue;
        }
        auto user = owners.user(f.uid);
        auto group = owners.group(f.gid);
        std::string owner = user ? *user : std::to_string(f.uid);
        std::string grp = group ? *group : std::to_string(f.gid);
        const CheckInfo& ci = info(f.check);
        if (o.format == cli::Format::json) {
            out::Object obj;
            obj.add("path", f.path)
                .add("check", ci.id)
                .add("severity", severity_name(ci.severity))
                .add("reason", f.reason)
                .add("mode", fs::mode_octal(f.mode))
                .add("mode_symbolic", fs::mode_string(f.mode))
                .add("uid", static_cast<std::uint64_t>(f.uid))
                .add("gid", static_cast<std::uint64_t>(f.gid))
                .add("owner", owner)
                .add("group", grp)
                .add("size", f.size)
                .add("mtime", iso_time(f.mtime));
            if (f.check == Check::dangling_symlink || f.check == Check::symlink_loop)
                obj.add("target", f.target);
            sink.line(obj.str());
            continue;
        }
        std::string path = out::shown(f.path, o.escape);
        std::string check = o.color ? fmt::format("{}{}\033[0m", severity_color(ci.severity), ci.id)
                                    : std::string(ci.id);
        std::string reason = f.reason;
        if (!f.target.empty())
            reason += " (-> " + out::shown(f.target, o.escape) + ")";
        sink.line(fmt::format("{} {} {}:{} {}  {}  {}", fs::mode_string(f.mode), fs::mode_octal(f.mode), owner,
                              grp, path, check, reason));
    }
}

void print_summary(out::Sink& sink, const std::vector<Finding>& findings,
                   const std::array<bool, check_count>& enabled, const ReportOptions& o) {
    std::array<std::size_t, check_count> counts{};
    for (const Finding& f : findings)
        ++counts[static_cast<std::size_t>(f.check)];
    for (std::size_t i = 0; i < check_count; ++i) {
        if (!enabled[i])
            continue;
        const CheckInfo& ci = info(static_cast<Check>(i));
        if (o.format == cli::Format::json)
            sink.line(out::Object()
                          .add("check", ci.id)
                          .add("severity", severity_name(ci.severity))
                          .add("count", static_cast<std::uint64_t>(counts[i]))
                          .str());
        else
            sink.line(fmt::format("{:<20} {:<7} {}", ci.id, severity_name(ci.severity), counts[i]));
    }
    if (o.format == cli::Format::json) // the totals, last, as every tool's summary ends (syskit(7))
        sink.line(out::Object().add("check", "total").add("count", static_cast<std::uint64_t>(findings.size())).str());
    else
        sink.line(fmt::format("{:<20} {:<7} {}", "total", "", findings.size()));
}

} // namespace syskit::permscan

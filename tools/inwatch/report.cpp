#include "report.hpp"

#include "out/json.hpp"
#include "out/text.hpp"
#include "out/time.hpp"

namespace syskit::inwatch {

namespace {

std::string format_time(const std::string& fmt, const timespec& when) {
    if (fmt.empty())
        return out::rfc3339(when, 3);
    struct tm tm;
    localtime_r(&when.tv_sec, &tm);
    char buf[256];
    std::size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
    return std::string(buf, n);
}

std::string events_of(const notify::Event& e) { return notify::mask_names(e.mask); }

/// The text format's events, coloured by what happened to the entry.
std::string colored_events(const notify::Event& e) {
    const char* c = (e.mask & (IN_DELETE | IN_DELETE_SELF | IN_UNMOUNT)) || (e.mask & IN_MOVE) == IN_MOVED_FROM
                        ? "\033[31m"
                    : (e.mask & IN_CREATE) || (e.mask & IN_MOVE) == IN_MOVED_TO ? "\033[32m"
                    : e.mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)       ? "\033[33m"
                                                                               : "\033[36m";
    return c + events_of(e) + "\033[0m";
}

/// path's directory, with its trailing slash, and its name, as inotifywait's %w and %f.
std::pair<std::string, std::string> split(const std::string& path) {
    std::size_t slash = path.rfind('/');
    if (slash == std::string::npos)
        return {"", path};
    return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

} // namespace

std::string csv_field(std::string_view s) {
    bool quote = !s.empty() && (s.front() == ' ' || s.back() == ' ');
    quote = quote || s.find_first_of(",\"\n\r") != std::string_view::npos;
    if (!quote)
        return std::string(s);
    std::string f = "\"";
    for (char c : s) {
        if (c == '"')
            f += '"';
        f += c;
    }
    return f + '"';
}

std::string render(const notify::Event& e, const ReportOptions& o, const timespec& when) {
    auto show = [&](const std::string& p) { return o.escape ? out::escape_for_terminal(p) : p; };
    switch (o.style) {
    case Style::null:
        return e.path + '\0';
    case Style::csv: {
        auto line = [&](const std::string& path, std::uint32_t mask) {
            auto [dir, name] = split(path);
            return csv_field(show(dir)) + ',' + csv_field(notify::mask_names(mask)) + ',' + csv_field(show(name)) + '\n';
        };
        if (e.from.empty())
            return line(e.path, e.mask);
        std::uint32_t isdir = e.mask & IN_ISDIR;
        return line(e.from, IN_MOVED_FROM | isdir) + line(e.path, IN_MOVED_TO | isdir);
    }
    case Style::json: {
        std::string events = "[";
        for (const auto& [name, bit] : notify::event_names()) {
            if ((e.mask & bit) && bit != IN_ISDIR) {
                if (events.size() > 1)
                    events += ',';
                events += '"' + std::string(name) + '"';
            }
        }
        events += ']';
        out::Object obj;
        obj.add("path", e.path).add_raw("events", events).add("is_dir", e.is_dir);
        if (!e.from.empty())
            obj.add("from", e.from).add("to", e.path);
        if (e.synthetic)
            obj.add("synthetic", true);
        obj.add("time", format_time(o.timefmt, when));
        return obj.str() + '\n';
    }
    case Style::custom: {
        auto [dir, name] = split(e.path);
        std::string line;
        for (std::size_t i = 0; i < o.format.size(); ++i) {
            char c = o.format[i];
            if (c != '%' || i + 1 == o.format.size()) {
                line += c;
                continue;
            }
            switch (o.format[++i]) {
            case 'w': line += show(dir); break;
            case 'f': line += show(name); break;
            case 'e': line += events_of(e); break;
            case 'T': line += format_time(o.timefmt, when); break;
            case '%': line += '%'; break;
            default:
                line += '%';
                line += o.format[i];
            }
        }
        return line + '\n';
    }
    case Style::text:
        break;
    }
    std::string events = o.color ? colored_events(e) : events_of(e);
    if (!e.from.empty())
        return show(e.from) + ' ' + events + ' ' + show(e.path) + '\n';
    return show(e.path) + ' ' + events + '\n';
}

} // namespace syskit::inwatch

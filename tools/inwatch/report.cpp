#include "report.hpp"

#include "out/json.hpp"
#include "out/text.hpp"

namespace syskit::inwatch {

namespace {

std::string format_time(const std::string& fmt, std::time_t when) {
    struct tm tm;
    localtime_r(&when, &tm);
    char buf[256];
    std::size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
    return std::string(buf, n);
}

std::string events_of(const notify::Event& e) { return notify::mask_names(e.mask); }

} // namespace

std::string render(const notify::Event& e, const ReportOptions& o, std::time_t when) {
    auto show = [&](const std::string& p) { return o.escape ? out::escape_for_terminal(p) : p; };
    switch (o.style) {
    case Style::null:
        return e.path + '\0';
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
        std::size_t slash = e.path.rfind('/');
        std::string dir = slash == std::string::npos ? "" : e.path.substr(0, slash + 1);
        std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
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
    if (!e.from.empty())
        return show(e.from) + ' ' + events_of(e) + ' ' + show(e.path) + '\n';
    return show(e.path) + ' ' + events_of(e) + '\n';
}

} // namespace syskit::inwatch

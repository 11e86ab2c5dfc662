#include "flock_cli.hpp"

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace syskit::fdlock {

namespace {

/// Whether the option takes a value: CLI11 treats one that expects no item as a flag.
bool takes_value(const CLI::Option* o) { return o != nullptr && o->get_items_expected_max() > 0; }

/// " -w, --timeout <secs>" padded to flock's description column.
std::string option_line(const CLI::Option* o) {
    constexpr std::size_t column = 30;
    std::string s = " ";
    const auto& shorts = o->get_snames();
    const auto& longs = o->get_lnames();
    s += shorts.empty() ? "    " : "-" + shorts.front() + (longs.empty() ? "  " : ", ");
    if (!longs.empty())
        s += "--" + longs.front();
    if (!o->get_option_text().empty())
        s += " <" + o->get_option_text() + ">";
    else if (takes_value(o) && !o->get_type_name().empty())
        s += " " + o->get_type_name();
    s += s.size() + 2 <= column ? std::string(column - s.size(), ' ') : "  ";
    s += o->get_description();
    s += '\n';
    return s;
}

} // namespace

const char* const usage_text = "Usage: fdlock [OPTIONS] FILE COMMAND [ARGS...]\n"
                               "       fdlock [OPTIONS] FILE -c 'SHELL COMMAND'\n"
                               "       fdlock [OPTIONS] FD\n"
                               "       fdlock --holder [--range START:LEN] [--format text|json] FILE\n"
                               "       fdlock --list [--format text|json]\n";

int first_operand(const CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--")
            return i + 1 < argc ? i + 1 : argc;
        if (a.size() < 2 || a[0] != '-')
            return i;
        if (a[1] == '-') {
            std::size_t eq = a.find('=');
            if (eq == std::string_view::npos && takes_value(app.get_option_no_throw(std::string(a))))
                ++i;
            continue;
        }
        // A cluster of short options ("-sn", "-w5", "-nw" "5"): the first that takes a value
        // takes the rest of the cluster, or the next argument when the cluster ends there.
        for (std::size_t k = 1; k < a.size(); ++k) {
            if (takes_value(app.get_option_no_throw(std::string("-") + a[k]))) {
                if (k + 1 == a.size())
                    ++i;
                break;
            }
        }
    }
    return argc;
}

std::optional<double> parse_seconds(std::string_view text) {
    // strtod wants a terminated string, and from_chars for double is missing from some
    // standard libraries still in use.
    std::string s(text);
    if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.'))
        return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v > 1e9)
        return std::nullopt;
    return v;
}

std::optional<int> parse_fd(std::string_view text) {
    int fd = 0;
    if (text.empty() || text[0] < '0' || text[0] > '9')
        return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return fd;
}

std::string HelpFormatter::make_usage(const CLI::App*, std::string) const { return usage_text; }

std::string HelpFormatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
    std::string s = usage_text;
    s += '\n';
    s += app->get_description();
    s += "\n\nOptions:\n";
    std::string help, version;
    for (const CLI::Option* o : app->get_options()) {
        if (!o->nonpositional())
            continue;
        const auto& longs = o->get_lnames();
        std::string name = longs.empty() ? std::string() : longs.front();
        (name == "help" ? help : name == "version" ? version : s) += option_line(o);
    }
    s += '\n';
    s += help;
    s += version;
    s += '\n';
    s += app->get_footer();
    s += '\n';
    return s;
}

} // namespace syskit::fdlock

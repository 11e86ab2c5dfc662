#include "flock_cli.hpp"

#include <charconv>

namespace syskit::fdlock {

namespace {

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
    else if (o->get_items_expected_max() > 0 && !o->get_type_name().empty())
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

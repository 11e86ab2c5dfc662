#include "cli/help.hpp"
#include "cli/values.hpp"

namespace syskit::cli {

namespace {

/// Where option descriptions start, as in util-linux's --help.
constexpr std::size_t description_column = 30;

/// "a b c", the values of a value list, as a|b|c.
std::string barred(std::string values) {
    for (char& c : values)
        if (c == ' ')
            c = '|';
    return values;
}

/// What an option's value is called in --help: its option text or type name as the tool set
/// them, its value list, or N or VALUE for CLI11's own type names.
std::string value_name(const CLI::Option* o) {
    if (!o->get_option_text().empty())
        return o->get_option_text();
    if (std::string values = values_of(*o); !values.empty())
        return barred(values);
    // CLI11 appends each check's description to the type name (":INT in [0 - 9]"): cut them.
    std::string type = o->get_type_name();
    auto& opt = const_cast<CLI::Option&>(*o); // get_validator only looks the check up
    for (int i = 0;; ++i) {
        std::string description;
        try {
            description = opt.get_validator(i)->get_description();
        } catch (const CLI::OptionNotFound&) {
            break;
        }
        if (auto at = type.find(":" + description); !description.empty() && at != std::string::npos)
            type.erase(at, description.size() + 1);
    }
    if (type == "INT" || type == "UINT" || type == "FLOAT" || type == "NUMBER")
        return "N";
    if (type.empty() || type == "TEXT" || type == "ENUM")
        return "VALUE";
    return type;
}

/// " -s, --shared <x>" and its description, folded under the description column.
std::string option_line(const CLI::Option* o) {
    std::string s = " ";
    const auto& shorts = o->get_snames();
    const auto& longs = o->get_lnames();
    s += shorts.empty() ? "    " : "-" + shorts.front() + (longs.empty() ? "" : ", ");
    if (!longs.empty())
        s += "--" + longs.front();
    if (o->get_items_expected_max() > 0)
        s += " " + value_name(o);
    if (s.size() + 2 <= description_column)
        s += std::string(description_column - s.size(), ' ');
    else
        s += "\n" + std::string(description_column, ' ');
    return s + wrap(o->get_description(), description_column) + "\n";
}

/// An operand or command and its description, as option_line lays options out.
std::string named_line(const std::string& name, const std::string& description) {
    std::string s = " " + name;
    if (s.size() + 2 <= description_column)
        s += std::string(description_column - s.size(), ' ');
    else
        s += "\n" + std::string(description_column, ' ');
    return s + wrap(description, description_column) + "\n";
}

/// The names of app and the commands above it: "pipekit run".
std::string full_name(const CLI::App* app) {
    std::string name = app->get_name();
    for (const CLI::App* up = app->get_parent(); up != nullptr; up = up->get_parent())
        name = up->get_name() + " " + name;
    return name;
}

/// The tool's name: the name of the outermost app.
std::string tool_name(const CLI::App* app) {
    while (app->get_parent() != nullptr)
        app = app->get_parent();
    return app->get_name();
}

} // namespace

std::string wrap(const std::string& text, std::size_t indent, std::size_t width) {
    std::string out;
    std::size_t column = indent;
    std::size_t start = 0;
    bool line_start = true;
    while (start < text.size()) {
        if (text[start] == '\n') {
            out += '\n' + std::string(indent, ' ');
            column = indent;
            line_start = true;
            ++start;
            continue;
        }
        if (text[start] == ' ') {
            ++start;
            continue;
        }
        std::size_t end = text.find_first_of(" \n", start);
        if (end == std::string::npos)
            end = text.size();
        std::size_t word = end - start;
        if (!line_start && column + 1 + word > width) {
            out += '\n' + std::string(indent, ' ');
            column = indent;
            line_start = true;
        }
        if (!line_start) {
            out += ' ';
            ++column;
        }
        out.append(text, start, word);
        column += word;
        line_start = false;
        start = end;
    }
    return out;
}

std::string HelpFormatter::make_usage(const CLI::App* app, std::string) const {
    if (!usage_.empty() && app->get_parent() == nullptr)
        return usage_;
    std::string usage = "Usage: " + full_name(app);
    bool options = false;
    for (const CLI::Option* o : app->get_options())
        options = options || (o->nonpositional() && !o->get_group().empty());
    if (options)
        usage += " [OPTIONS]";
    for (const CLI::Option* o : app->get_options()) {
        if (o->nonpositional() || o->get_group().empty())
            continue;
        std::string name = o->get_name();
        if (o->get_items_expected_max() > 1)
            name += "...";
        usage += " " + (o->get_required() ? name : "[" + name + "]");
    }
    bool commands = false;
    for (const CLI::App* sub : app->get_subcommands({}))
        commands = commands || !sub->get_name().empty();
    if (commands)
        usage += app->get_require_subcommand_min() > 0 ? " COMMAND" : " [COMMAND]";
    return wrap(usage, 7) + "\n";
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode) const {
    std::string s = make_usage(app, name);
    if (!app->get_description().empty())
        s += "\n" + wrap(app->get_description(), 0) + "\n";

    std::string options, help, version, operands;
    for (const CLI::Option* o : app->get_options()) {
        if (o->get_group().empty())
            continue;
        if (!o->nonpositional()) {
            if (!o->get_description().empty())
                operands += named_line(o->get_name(), o->get_description());
            continue;
        }
        const auto& longs = o->get_lnames();
        std::string long_name = longs.empty() ? "" : longs.front();
        (long_name == "help" ? help : long_name == "version" ? version : options) += option_line(o);
    }
    std::string last = help + version;
    if (!operands.empty())
        s += "\nArguments:\n" + operands;
    if (!options.empty() || !last.empty())
        s += "\nOptions:\n" + options + (options.empty() || last.empty() ? "" : "\n") + last;

    std::string commands;
    for (const CLI::App* sub : app->get_subcommands({}))
        if (!sub->get_name().empty() && !sub->get_group().empty())
            commands += named_line(sub->get_name(), sub->get_description());
    if (!commands.empty())
        s += "\nCommands:\n" + commands;

    // The notes the tool gave, then where its manual page is, in util-linux's words: a note
    // that only points at the page ("See T(1).") gives way to that line.
    std::string page = tool_name(app) + "(1)";
    std::string notes = app->get_footer();
    for (const std::string& pointer : {"For more details see " + page + ".", "See " + page + "."})
        for (auto at = notes.find(pointer); at != std::string::npos; at = notes.find(pointer))
            notes.erase(at, pointer.size());
    while (!notes.empty() && (notes.back() == ' ' || notes.back() == '\n'))
        notes.pop_back();
    if (!notes.empty())
        s += "\n" + wrap(notes, 0) + "\n";
    s += "\nFor more details see " + page + ".\n";
    return s;
}

} // namespace syskit::cli

#include "cli/spec.hpp"

#include <regex>

namespace syskit::cli {

namespace {

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\t' || c == '\n')
            c = ' ';
    return text;
}

/// The values of "a|b|c", the option text cli::Tool and the tools give enumerated options.
std::string values_of_text(const std::string& text) {
    static const std::regex list("[A-Za-z0-9_.+-]+(\\|[A-Za-z0-9_.+-]+)+");
    if (!std::regex_match(text, list))
        return "";
    std::string values = text;
    for (char& c : values)
        if (c == '|')
            c = ' ';
    return values;
}

/// The values in the first "{...}" of a CLI11 check's description: IsMember says "{a,b}",
/// CheckedTransformer "{a->1,b->0}" (then " OR {1,0}", the mapped values, left out).
std::string values_of_check(const std::string& description) {
    auto open = description.find('{');
    auto close = description.find('}', open);
    if (open == std::string::npos || close == std::string::npos)
        return "";
    std::string values;
    std::string inside = description.substr(open + 1, close - open - 1);
    std::size_t start = 0;
    while (start <= inside.size()) {
        auto comma = inside.find(',', start);
        std::string item = inside.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item = item.substr(0, item.find("->"));
        if (item.empty() || item.find(' ') != std::string::npos)
            return "";
        values += (values.empty() ? "" : " ") + item;
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return values;
}

std::string values_of(CLI::Option& opt) {
    if (std::string values = values_of_text(opt.get_option_text()); !values.empty())
        return values;
    for (int i = 0;; ++i) {
        CLI::Validator* check = nullptr;
        try {
            check = opt.get_validator(i);
        } catch (const CLI::OptionNotFound&) {
            return "";
        }
        if (std::string values = values_of_check(check->get_description()); !values.empty())
            return values;
    }
}

} // namespace

std::string options_spec(CLI::App& app) {
    std::string spec;
    for (CLI::Option* opt : app.get_options()) {
        if (!opt->nonpositional())
            continue;
        std::string names;
        for (const std::string& s : opt->get_snames())
            names += (names.empty() ? "-" : " -") + s;
        for (const std::string& l : opt->get_lnames())
            names += (names.empty() ? "--" : " --") + l;
        bool takes_value = opt->get_items_expected_max() > 0;
        spec += names + '\t' + (takes_value ? "1" : "0") + '\t' + (takes_value ? values_of(*opt) : "") + '\t' +
                one_line(opt->get_description()) + '\n';
    }
    return spec;
}

} // namespace syskit::cli

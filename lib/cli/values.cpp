#include "cli/values.hpp"

#include <regex>

namespace syskit::cli {

CLI::Validator one_of_texts(std::vector<std::pair<std::string, std::string>> names) {
    std::string listed, braced;
    for (const auto& [name, text] : names) {
        listed += (listed.empty() ? "" : ", ") + name;
        braced += (braced.empty() ? "" : ",") + name;
    }
    return CLI::Validator(
        [names = std::move(names), listed](std::string& input) -> std::string {
            for (const auto& [name, text] : names) {
                if (input == name) {
                    input = text;
                    return "";
                }
            }
            return "'" + input + "' is not one of: " + listed;
        },
        "{" + braced + "}");
}

CLI::Validator one_of(const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, std::string>> texts;
    for (const auto& name : names)
        texts.emplace_back(name, name);
    return one_of_texts(std::move(texts));
}

namespace {

/// The values of "a|b|c", the option text the tools give enumerated options.
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

/// The values in the first "{...}" of a check's description: one_of and IsMember say
/// "{a,b}", CheckedTransformer "{a->1,b->0}" (then " OR {1,0}", the mapped values, left out).
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

} // namespace

std::string values_of(const CLI::Option& option) {
    if (std::string values = values_of_text(option.get_option_text()); !values.empty())
        return values;
    // get_validator is not const in CLI11 2.1; it only looks the check up.
    auto& opt = const_cast<CLI::Option&>(option);
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

} // namespace syskit::cli

#include "cli/usage.hpp"

#include <CLI/CLI.hpp>

#include <regex>

namespace syskit::cli {

namespace {

/// "0.010000", as CLI11's Range prints a bound, as "0.01".
std::string bound(std::string number) {
    if (number.find('.') != std::string::npos) {
        while (number.back() == '0')
            number.pop_back();
        if (number.back() == '.')
            number.pop_back();
    }
    return number;
}

bool is_number(const std::string& text) {
    static const std::regex number("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
    return std::regex_match(text, number);
}

/// "{a->1,b->0} OR {1,0}" or "{a,b}": "a, b".
std::string names_in(const std::string& braces) {
    std::string names;
    auto close = braces.find('}');
    std::string inside = braces.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    std::size_t start = 0;
    while (start <= inside.size()) {
        auto comma = inside.find(',', start);
        std::string item = inside.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        names += (names.empty() ? "" : ", ") + item.substr(0, item.find("->"));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return names;
}

/// The words for what a check of CLI11's own said about an option's value.
std::string check_in_words(const std::string& message) {
    std::smatch m;
    static const std::regex range("Value (.*) not in range (\\S+) to (\\S+)");
    static const std::regex member("Check (.*) value in (\\{.*) FAILED");
    static const std::regex unconverted("Value (.*) could not be converted.*");
    if (std::regex_match(message, m, range)) {
        std::string from = bound(m[2]), to = bound(m[3]);
        if (to == "2147483647" || to == "4294967295" || to.size() > 12)
            return "'" + m[1].str() + "' is not a number of at least " + from;
        return "'" + m[1].str() + "' is not a number from " + from + " to " + to;
    }
    static const std::regex in_set("(.*) not in (\\{.*)");
    if (std::regex_match(message, m, member) || std::regex_match(message, m, in_set))
        return "'" + m[1].str() + "' is not one of: " + names_in(m[2]);
    if (std::regex_match(message, m, unconverted))
        return "'" + m[1].str() + "' is not a number";
    return message;
}

/// The option of app (or of its subcommands) named name ("--port", "-j", "PATH").
const CLI::Option* find_option(const CLI::App& app, const std::string& name) {
    for (const CLI::Option* o : app.get_options())
        if (o->check_name(name) || o->get_name() == name)
            return o;
    for (const CLI::App* sub : app.get_subcommands({}))
        if (const CLI::Option* o = find_option(*sub, name))
            return o;
    return nullptr;
}

/// Splits "NAME: rest" where NAME is an option's or operand's name.
bool split_subject(const std::string& text, std::string& subject, std::string& rest) {
    auto colon = text.find(": ");
    if (colon == std::string::npos || colon == 0 || text.find(' ') < colon)
        return false;
    subject = text.substr(0, colon);
    rest = text.substr(colon + 2);
    return true;
}

} // namespace

Problem problem_of(const CLI::ParseError& error, const CLI::App& app) {
    const std::string what = error.what();
    std::smatch m;
    std::string subject, rest;

    if (dynamic_cast<const CLI::ExtrasError*>(&error)) {
        auto colon = what.find(": ");
        std::string first = colon == std::string::npos ? what : what.substr(colon + 2);
        first = first.substr(0, first.find(' '));
        if (first.size() > 1 && first[0] == '-')
            return {first.substr(0, first.find('=')), "unknown option"};
        return {first, "unexpected argument"};
    }
    if (dynamic_cast<const CLI::ConversionError*>(&error)) {
        static const std::regex convert("Could not convert: (\\S+) = (.*)");
        if (std::regex_match(what, m, convert)) {
            std::string value = m[2];
            const CLI::Option* o = find_option(app, m[1]);
            std::string type = o ? o->get_type_name() : "";
            if (type == "INT" || type == "UINT" || type == "FLOAT" || type == "NUMBER" || is_number(value))
                return {m[1], "'" + value + "' is " + (is_number(value) ? "out of range" : "not a number")};
            return {m[1], "'" + value + "' is not a valid value"};
        }
        if (split_subject(what, subject, rest))
            return {subject, "takes no value"};
    }
    if (dynamic_cast<const CLI::ValidationError*>(&error) && split_subject(what, subject, rest))
        return {subject, check_in_words(rest)};
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error)) {
        static const std::regex missing("(\\S+): \\d+ required .* missing");
        static const std::regex flag("(\\S+) was given a disallowed flag override");
        if (std::regex_match(what, m, missing))
            return {m[1], "needs a value"};
        if (std::regex_match(what, m, flag))
            return {m[1], "takes no value"};
        if (split_subject(what, subject, rest))
            return {subject, "wrong number of values"};
    }
    if (dynamic_cast<const CLI::ExcludesError*>(&error)) {
        static const std::regex excludes("(\\S+) excludes (\\S+)");
        if (std::regex_match(what, m, excludes))
            return {m[1], "cannot be used with " + m[2].str()};
    }
    if (dynamic_cast<const CLI::RequiresError*>(&error)) {
        static const std::regex requires_("(\\S+) requires (\\S+)");
        if (std::regex_match(what, m, requires_))
            return {m[1], "only with " + m[2].str()};
    }
    if (dynamic_cast<const CLI::RequiredError*>(&error)) {
        static const std::regex required("(\\S+) is required");
        if (what == "A subcommand is required")
            return {"", "a command is required"};
        if (std::regex_match(what, m, required))
            return {m[1], "required"};
    }
    return {"", what};
}

} // namespace syskit::cli

#include "cli/cli.hpp"
#include "cli/spec.hpp"

#include "syskit_version.h"

#include <fmt/core.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

namespace syskit::cli {

Tool::Tool(std::string name, std::string description) : app_(std::move(description), name) {
    app_.set_version_flag("--version", fmt::format("{} (syskit) {}", name, SYSKIT_VERSION),
                          "Print the version and exit");
    app_.set_help_flag("-h,--help", "Print this help and exit");
    set_program_name(std::move(name));
}

Tool& Tool::add_format() {
    static const std::map<std::string, Format> names{{"text", Format::text}, {"json", Format::json}};
    app_.add_option("--format", format_, "Output format: text, or json (one object per line)")
        ->transform(CLI::CheckedTransformer(names))
        ->option_text("text|json");
    return *this;
}

Tool& Tool::add_null(std::string help) {
    app_.add_flag("-0,--null", null_, std::move(help));
    return *this;
}

Tool& Tool::long_help_only() {
    app_.set_help_flag("--help", "Print this help and exit");
    return *this;
}

Tool& Tool::add_color() {
    static const std::map<std::string, Color> names{
        {"auto", Color::auto_}, {"always", Color::always}, {"never", Color::never}};
    app_.add_option("--color", color_, "Colour the output: auto (a terminal, NO_COLOR unset), always, never")
        ->transform(CLI::CheckedTransformer(names))
        ->option_text("auto|always|never");
    return *this;
}

Tool& Tool::add_quiet() {
    app_.add_flag("-q,--quiet", quiet_, "No progress line on stderr");
    return *this;
}

bool Tool::color_stdout() const { return use_color(color_, STDOUT_FILENO); }

std::string Tool::usage_line() const {
    auto formatter = std::dynamic_pointer_cast<CLI::Formatter>(app_.get_formatter());
    std::string usage = formatter ? formatter->make_usage(&app_, app_.get_name()) : "Usage: " + app_.get_name();
    // CLI11 prints "Usage: NAME [OPTIONS] ..." followed by a newline; keep one line.
    while (!usage.empty() && (usage.back() == '\n' || usage.back() == ' '))
        usage.pop_back();
    while (!usage.empty() && usage.front() == '\n')
        usage.erase(usage.begin());
    return usage;
}

std::optional<int> Tool::parse(int argc, char** argv) {
    // The build asks each tool for its options, to write its shell completions.
    if (std::getenv(options_spec_variable)) {
        std::cout << options_spec(app_);
        return exit_ok;
    }
    try {
        app_.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app_.help();
        return exit_ok;
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app_.help("", CLI::AppFormatMode::All);
        return exit_ok;
    } catch (const CLI::CallForVersion& e) {
        std::cout << e.what() << '\n';
        return exit_ok;
    } catch (const CLI::ParseError& e) {
        // CLI11 checks required arguments before unexpected ones: an unknown option is the
        // more useful thing to name ("dupfind --bogus" lacks a PATH only because of it).
        std::vector<std::string> extra = dynamic_cast<const CLI::RequiredError*>(&e) ? app_.remaining()
                                                                                    : std::vector<std::string>{};
        error("", extra.empty() ? e.what() : CLI::ExtrasError(extra).what());
        std::string usage = usage_line() + '\n';
        std::fwrite(usage.data(), 1, usage.size(), stderr);
        try_help();
        return exit_trouble;
    }
    return std::nullopt;
}

} // namespace syskit::cli

#include "cli/cli.hpp"
#include "cli/help.hpp"
#include "cli/spec.hpp"
#include "cli/usage.hpp"
#include "cli/values.hpp"

#include "syskit_version.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace syskit::cli {

const char* build_features() { return SYSKIT_FEATURES; }

Tool::Tool(std::string name, std::string description) : app_(std::make_unique<CLI::App>(std::move(description), name)) {
    app_->formatter(std::make_shared<HelpFormatter>());
    version_ = fmt::format("{} (syskit) {}\n{}", name, SYSKIT_VERSION,
                           wrap(std::string("features: ") + build_features(), 4));
    app_->set_version_flag("--version", version_, "Print the version and build features, and exit");
    app_->set_help_flag("-h,--help", "Print this help and exit");
    set_program_name(std::move(name));
}

Tool::~Tool() = default;

Tool& Tool::add_format() {
    app_->add_option("--format", format_, "Output format: text, or json (one object per line)")
        ->transform(one_of(std::vector<std::pair<std::string, Format>>{{"text", Format::text}, {"json", Format::json}}));
    return *this;
}

Tool& Tool::add_null(std::string help) {
    app_->add_flag("-0,--null", null_, std::move(help));
    return *this;
}

Tool& Tool::long_help_only() {
    app_->set_help_flag("--help", "Print this help and exit");
    return *this;
}

Tool& Tool::add_color() {
    app_->add_option("--color", color_, "Colour the output: auto (a terminal, NO_COLOR unset), always, never")
        ->transform(one_of(std::vector<std::pair<std::string, Color>>{
            {"auto", Color::auto_}, {"always", Color::always}, {"never", Color::never}}));
    has_color_ = true;
    return *this;
}

Tool& Tool::add_quiet(std::string help) {
    app_->add_flag("-q,--quiet", quiet_, std::move(help));
    return *this;
}

Tool& Tool::add_jobs(unsigned& jobs, std::string aliases) {
    std::string names = "-j,--jobs";
    if (!aliases.empty())
        names += "," + aliases;
    app_->add_option(names, jobs, "Worker threads (default: one per CPU)")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u).description(""));
    return *this;
}

Tool& Tool::footer(std::string text) {
    app_->footer(std::move(text));
    return *this;
}

bool Tool::color_stdout() const { return use_color(color_, STDOUT_FILENO); }

bool Tool::color_stderr() const { return has_color_ && use_color(color_, STDERR_FILENO); }

std::string Tool::help() const { return app_->help(); }

Tool::Outcome Tool::run(int argc, char** argv, Problem* problem) {
    try {
        app_->parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return Outcome::help;
    } catch (const CLI::CallForAllHelp&) {
        return Outcome::help;
    } catch (const CLI::CallForVersion&) {
        return Outcome::version;
    } catch (const CLI::ParseError& e) {
        // CLI11 checks required arguments before unexpected ones: an unknown option is the
        // more useful thing to name ("dupfind --bogus" lacks a PATH only because of it).
        std::vector<std::string> extra =
            dynamic_cast<const CLI::RequiredError*>(&e) ? app_->remaining() : std::vector<std::string>{};
        *problem = extra.empty() ? problem_of(e, *app_) : problem_of(CLI::ExtrasError(extra), *app_);
        return Outcome::problem;
    }
    return Outcome::parsed;
}

std::optional<Problem> Tool::check(int argc, char** argv) {
    Problem problem;
    if (run(argc, argv, &problem) == Outcome::problem)
        return problem;
    return std::nullopt;
}

std::optional<int> Tool::parse(int argc, char** argv) {
    // The build asks each tool for its options, to write its shell completions.
    if (std::getenv(options_spec_variable)) {
        std::cout << options_spec(*app_);
        return exit_ok;
    }
    Problem problem;
    switch (run(argc, argv, &problem)) {
    case Outcome::parsed:
        set_color(color_stderr());
        set_quiet(quiet_);
        return std::nullopt;
    case Outcome::help:
        // CLI11's help() is that of the command asked for ("pipekit run --help").
        std::cout << app_->help();
        return exit_ok;
    case Outcome::version:
        std::cout << version_ << '\n';
        return exit_ok;
    case Outcome::problem:
        break;
    }
    return usage_error(problem);
}

} // namespace syskit::cli

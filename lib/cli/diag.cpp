#include "cli/diag.hpp"

#include "out/color.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace syskit::cli {

namespace {
std::string g_program = "syskit";
bool g_color = false, g_quiet = false;

enum class Kind { error, warning, note };

void say(Kind kind, std::string_view subject, std::string_view message) {
    std::string line = out::paint(g_program + ":", kind == Kind::error ? out::sgr::bold_red : out::sgr::bold,
                                  g_color && kind != Kind::warning);
    line += ' ';
    if (!subject.empty()) {
        line += subject;
        line += ": ";
    }
    if (kind == Kind::warning)
        line += out::paint("warning:", out::sgr::bold_yellow, g_color) + ' ';
    line += message;
    line += '\n';
    // One write(2) per diagnostic keeps lines whole when worker threads report at once.
    std::fflush(stdout);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace

const std::string& program_name() { return g_program; }

void set_program_name(std::string name) { g_program = std::move(name); }

void set_color(bool on) { g_color = on; }

void set_quiet(bool on) { g_quiet = on; }

void error(std::string_view subject, std::string_view message) { say(Kind::error, subject, message); }

void warn(std::string_view subject, std::string_view message) {
    if (!g_quiet)
        say(Kind::warning, subject, message);
}

void note(std::string_view subject, std::string_view message) { say(Kind::note, subject, message); }

void info(std::string_view subject, std::string_view message) {
    if (!g_quiet)
        say(Kind::note, subject, message);
}

void try_help() {
    std::string hint = "Try '" + g_program + " --help' for more information.\n";
    std::fwrite(hint.data(), 1, hint.size(), stderr);
}

int usage_error(std::string_view subject, std::string_view message) {
    error(subject, message);
    try_help();
    return exit_trouble;
}

int usage_error(const Problem& problem) { return usage_error(problem.subject, problem.message); }

void error_errno(std::string_view subject, int err) { error(subject, std::strerror(err)); }

bool use_color(Color choice, int fd) {
    switch (choice) {
    case Color::always:
        return true;
    case Color::never:
        return false;
    case Color::auto_:
        break;
    }
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0')
        return false;
    return isatty(fd) == 1;
}

} // namespace syskit::cli

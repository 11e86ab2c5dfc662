#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <vector>

using namespace syskit::cli;

namespace {
std::optional<int> parse(Tool& tool, std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    // Keep the test's own output clean: help and errors go to /dev/null.
    int null = open("/dev/null", O_WRONLY);
    int out = dup(1), err = dup(2);
    fflush(stdout);
    dup2(null, 1);
    dup2(null, 2);
    auto rc = tool.parse(static_cast<int>(argv.size()), argv.data());
    fflush(stdout);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(null);
    return rc;
}
} // namespace

TEST_CASE("shared options parse and usage errors exit 2") {
    {
        Tool tool("t", "t - test");
        tool.add_format().add_null().add_quiet();
        CHECK_FALSE(parse(tool, {"t", "--format", "json", "-0", "-q"}).has_value());
        CHECK(tool.format() == Format::json);
        CHECK(tool.null());
        CHECK(tool.quiet());
        CHECK(program_name() == "t");
    }
    {
        Tool tool("t", "t - test");
        tool.add_format();
        CHECK(parse(tool, {"t", "--format", "yaml"}) == exit_trouble);
    }
    {
        Tool tool("t", "t - test");
        CHECK(parse(tool, {"t", "--no-such-option"}) == exit_trouble);
    }
    {
        Tool tool("t", "t - test");
        CHECK(parse(tool, {"t", "--help"}) == exit_ok);
    }
    {
        Tool tool("t", "t - test");
        CHECK(parse(tool, {"t", "--version"}) == exit_ok);
    }
}

TEST_CASE("colour: always and never decide; auto needs a terminal and no NO_COLOR") {
    int null = open("/dev/null", O_WRONLY);
    unsetenv("NO_COLOR");
    CHECK(use_color(Color::always, null));
    CHECK_FALSE(use_color(Color::never, null));
    CHECK_FALSE(use_color(Color::auto_, null)); // not a terminal
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0) {
        int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
        CHECK(use_color(Color::auto_, tty));
        setenv("NO_COLOR", "1", 1);
        CHECK_FALSE(use_color(Color::auto_, tty));
        CHECK(use_color(Color::always, tty));
        setenv("NO_COLOR", "", 1); // empty means unset, as no-color.org says
        CHECK(use_color(Color::auto_, tty));
        unsetenv("NO_COLOR");
        close(tty);
    }
    if (master >= 0)
        close(master);
    close(null);
}

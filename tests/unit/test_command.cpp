// cli/command: where a tool's own arguments end and the command it runs begins.
#include "cli/command.hpp"

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::cli;

namespace {

/// argv as char*, for an argv given as strings (which must outlive it).
std::vector<char*> argv_of(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    return argv;
}

/// An app with options shaped as fdlock's: flags, and options that take a value.
void declare(CLI::App& app) {
    app.add_flag("-s,--shared");
    app.add_flag("-n,--nonblock");
    app.add_option("-w,--timeout");
    app.add_option("-E,--conflict-exit-code");
    app.add_option("FILE");
}

/// first_operand over an argv given as strings.
int operand_of(std::vector<std::string> args) {
    CLI::App app;
    declare(app);
    auto argv = argv_of(args);
    return first_operand(app, static_cast<int>(argv.size()), argv.data());
}

Command after_operand(std::vector<std::string> args) {
    CLI::App app;
    declare(app);
    auto argv = argv_of(args);
    return command_after_operand(app, static_cast<int>(argv.size()), argv.data());
}

Command after_exec(std::vector<std::string> args) {
    auto argv = argv_of(args);
    return command_after("--exec", static_cast<int>(argv.size()), argv.data());
}

using Args = std::vector<std::string>;

} // namespace

TEST_CASE("first_operand stops at FILE, skipping the values of options") {
    CHECK(operand_of({"fdlock", "F", "ls", "-l"}) == 1);
    CHECK(operand_of({"fdlock", "-s", "F", "cmd"}) == 2);
    CHECK(operand_of({"fdlock", "-w", "5", "F", "cmd"}) == 3);
    CHECK(operand_of({"fdlock", "-w5", "F"}) == 2);
    CHECK(operand_of({"fdlock", "-nw", "5", "F"}) == 3);
    CHECK(operand_of({"fdlock", "-sn", "F"}) == 2);
    CHECK(operand_of({"fdlock", "--timeout", "5", "F"}) == 3);
    CHECK(operand_of({"fdlock", "--timeout=5", "F"}) == 2);
    CHECK(operand_of({"fdlock", "-E", "3", "-n", "F", "-n"}) == 4);
    CHECK(operand_of({"fdlock", "--", "-F", "cmd"}) == 2);
    CHECK(operand_of({"fdlock", "-"}) == 1);
    CHECK(operand_of({"fdlock", "-s"}) == 2);
    CHECK(operand_of({"fdlock", "--"}) == 2);
    CHECK(operand_of({"fdlock", "--no-such", "F"}) == 2);
}

TEST_CASE("command_after_operand keeps the operand for the tool and gives the rest as the command") {
    Command c = after_operand({"fdlock", "-s", "F", "ls", "-l"});
    CHECK(c.found);
    CHECK(c.argc == 3);
    CHECK(c.argv == Args{"ls", "-l"});

    c = after_operand({"fdlock", "-w", "5", "F"});
    CHECK(c.found);
    CHECK(c.argc == 4);
    CHECK(c.argv.empty());

    c = after_operand({"fdlock", "--", "-F", "-x"});
    CHECK(c.argc == 3); // "--" and "-F" are the tool's: "-F" as its operand
    CHECK(c.argv == Args{"-x"});

    c = after_operand({"fdlock", "-s", "-n"});
    CHECK_FALSE(c.found);
    CHECK(c.argc == 3);
    CHECK(c.argv.empty());
}

TEST_CASE("command_after cuts at the marker, which belongs to neither part") {
    Command c = after_exec({"inwatch", "-r", "dir", "--exec", "make", "--exec", "-j"});
    CHECK(c.found);
    CHECK(c.argc == 3);
    CHECK(c.argv == Args{"make", "--exec", "-j"});

    c = after_exec({"inwatch", "dir", "--exec"});
    CHECK(c.found);
    CHECK(c.argc == 2);
    CHECK(c.argv.empty());

    c = after_exec({"inwatch", "dir", "--exec=make"});
    CHECK_FALSE(c.found);
    CHECK(c.argc == 3);
    CHECK(c.argv.empty());
}

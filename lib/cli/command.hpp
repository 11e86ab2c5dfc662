// command: "the rest of argv is the command", for tools that run one (fdlock FILE COMMAND...,
// inwatch --exec COMMAND...): where the tool's own arguments end and the command begins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace syskit::cli {

/// argv cut in two: the tool's own arguments, then the command it runs.
struct Command {
    int argc = 0;                   ///< argv[0] to argv[argc - 1] are the tool's to parse
    bool found = false;             ///< whether the place the command starts at was there
    std::vector<std::string> argv;  ///< the command and its arguments; empty when none
};

/// The index in argv of the first operand, or argc when there is none.  The arguments
/// before it are the tool's options, as getopt's "+" makes flock(1) stop at its first
/// operand.  An option is known to take a value from app's definition of it, so "-w 5",
/// "-w5", "--timeout 5" and "--timeout=5" are each skipped whole; after "--", the next
/// argument is the operand.
int first_operand(const CLI::App& app, int argc, char** argv);

/// Cuts argv after its first operand (see first_operand): "fdlock -s FILE ls -l" leaves
/// "fdlock -s FILE" to parse, and "ls -l" is the command.  found: there was an operand.
Command command_after_operand(const CLI::App& app, int argc, char** argv);

/// Cuts argv at the first argument equal to marker, which belongs to neither part:
/// "inwatch -r DIR --exec make -j" leaves "inwatch -r DIR" to parse, and "make -j" is the
/// command, options included.  found: marker was there (with or without a command after it).
Command command_after(std::string_view marker, int argc, char** argv);

} // namespace syskit::cli

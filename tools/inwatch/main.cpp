// inwatch: watches files and trees with inotify and reports or acts on changes (book chapter 5).
#include "options.hpp"
#include "watch.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"
#include "fs/glob.hpp"
#include "notify/inotify.hpp"
#include "out/text.hpp"

using namespace syskit;
using namespace syskit::inwatch;

int main(int argc, char** argv) {
    cli::Tool tool("inwatch", "inwatch - watch files and trees for changes, report them or run a command");
    // Everything after --exec is the command, options included.
    cli::Command command = cli::command_after("--exec", argc, argv);
    if (command.found && command.argv.empty()) {
        // One line, without the --help hint, as the e2e tests pin it (see shell_problem).
        cli::error("--exec", "needs a command");
        return cli::exit_trouble;
    }
    tool.add_quiet();
    Options o;
    add_options(tool.app(), o);
    if (auto rc = tool.parse(command.argc, argv))
        return *rc;
    o.command = std::move(command.argv);
    if (auto problem = shell_problem(o)) {
        cli::error(problem->subject, problem->message);
        return cli::exit_trouble;
    }
    if (auto problem = finish(o))
        return cli::usage_error(*problem);
    o.report.escape = out::escape_stdout();

    bool trouble = false;
    notify::Watcher watcher(o.mask, o.recursive, fs::GlobSet(o.exclude),
                            [](std::string_view path, std::string_view message) { cli::error(path, message); });
    for (const auto& p : o.paths)
        if (!watcher.add_root(p))
            trouble = true;
    if (trouble)
        return cli::exit_trouble;

    out::Sink sink;
    int status = watch(watcher, o, sink);
    return out::finish(sink, status);
}

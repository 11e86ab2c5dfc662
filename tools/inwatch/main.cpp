// inwatch: watches files and trees with inotify and reports or acts on changes (book chapter 5).
#include "daemon.hpp"
#include "options.hpp"
#include "watch.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"
#include "fs/fd.hpp"
#include "fs/glob.hpp"
#include "notify/inotify.hpp"
#include "out/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

using namespace syskit;
using namespace syskit::inwatch;

int main(int argc, char** argv) {
    cli::Tool tool("inwatch", "inwatch - watch files and trees for changes, report them or run a command");
    // Everything after --exec is the command, options included.
    cli::Command command = cli::command_after("--exec", argc, argv);
    const bool compat = compat_exit_asked(command.argc, argv);
    if (command.found && command.argv.empty()) {
        // One line, without the --help hint, as the e2e tests pin it (see shell_problem).
        cli::error("--exec", "needs a command");
        return exit_status(cli::exit_trouble, compat);
    }
    tool.add_quiet().add_color();
    Options o;
    add_options(tool.app(), o);
    if (auto rc = tool.parse(command.argc, argv))
        return exit_status(*rc, compat);
    o.command = std::move(command.argv);
    if (auto problem = shell_problem(o)) {
        cli::error(problem->subject, problem->message);
        return exit_status(cli::exit_trouble, compat);
    }
    if (o.raw.fromfile) {
        const std::string& file = *o.raw.fromfile;
        std::string text;
        if (!(file == "-" ? fs::read_all(STDIN_FILENO, text) : fs::read_file(file.c_str(), text))) {
            cli::error_errno(file, errno);
            return exit_status(cli::exit_trouble, compat);
        }
        for (auto& p : path_list(text))
            o.paths.push_back(std::move(p));
    }
    if (auto problem = finish(o))
        return exit_status(cli::usage_error(*problem), compat);

    fs::UniqueFd outfile;
    if (!o.outfile.empty()) {
        // Appended to, as inotifywait -o does: a restarted watch adds to the same log.
        outfile = fs::UniqueFd(open(o.outfile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0666));
        if (!outfile) {
            cli::error_errno(o.outfile, errno);
            return exit_status(cli::exit_trouble, compat);
        }
    }
    o.report.escape = !outfile && out::escape_stdout();
    o.report.color = !outfile && tool.color_stdout();

    bool trouble = false;
    notify::Watcher watcher(o.mask, o.recursive, fs::GlobSet(o.exclude),
                            [](std::string_view path, std::string_view message) { cli::error(path, message); });
    for (const auto& p : o.paths)
        if (!watcher.add_root(p))
            trouble = true;
    if (trouble)
        return exit_status(cli::exit_trouble, compat);
    if (o.daemon) {
        std::string error;
        Forked f = daemonize(error);
        if (f == Forked::parent)
            return cli::exit_ok;
        if (f == Forked::failed) {
            cli::error("--daemon", error);
            return exit_status(cli::exit_trouble, compat);
        }
    }

    out::Sink sink(outfile ? outfile.get() : STDOUT_FILENO);
    int status = watch(watcher, o, sink);
    return exit_status(out::finish(sink, status), compat);
}

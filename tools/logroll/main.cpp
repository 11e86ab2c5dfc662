// logroll: log rotation with no line lost, split or duplicated: as the writer of a pipe, as
// the watcher of a file another program writes, or once from cron (book chapter 5).
#include "batch.hpp"
#include "once.hpp"
#include "options.hpp"
#include "pipe.hpp"
#include "rotate.hpp"
#include "watch.hpp"

#include "cli/cli.hpp"
#include "log/log.hpp"
#include "loop/loop.hpp"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::logroll;

int main(int argc, char** argv) {
    cli::Tool tool("logroll", "logroll - rotate logs without losing, splitting or duplicating a line");
    Options o;
    add_options(tool.app(), o);
    tool.add_quiet("Log only warnings and errors (not with --dry-run); from cron, silent when all is well")
        .add_color();
    tool.footer("Pipe mode: APP | logroll [OPTIONS] DIR/NAME.\nWatch mode: logroll --watch FILE --size SIZE.\n"
                "One-shot: logroll --once FILE [--size SIZE] [--age DURATION].\n"
                "Every log of a logrotate-style configuration: logroll --config PATH [--dry-run].");
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(o))
        return cli::usage_error(*problem);
    o.quiet = tool.quiet() && !o.dry_run;
    o.color = tool.color_stderr();
    if (o.mode == Mode::config || o.mode == Mode::convert)
        return run_config_mode(o);

    auto slash = o.path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : o.path.substr(0, slash);
    std::string base = slash == std::string::npos ? o.path : o.path.substr(slash + 1);
    if (base == "." || base == "..")
        return cli::usage_error(o.path, "names a directory, not a log file");
    fs::UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd) {
        cli::error(dir, std::strerror(errno));
        return cli::exit_trouble;
    }

    // Two logrolls never rotate one log at once.  Pipe and watch mode hold the lock for as
    // long as they run, so a second one refuses to start (multilog's rule); --once waits
    // for it with --wait.
    fs::UniqueFd lock;
    int err = lock_log(dirfd.get(), base, o.mode == Mode::once ? o.wait : 0, lock);
    if (err == EAGAIN || err == ETIMEDOUT) {
        cli::error(o.path, fmt::format("another logroll is rotating this log (it holds the lock on {}/{}){}", dir,
                                       lock_file,
                                       o.mode == Mode::once ? (o.wait > 0 ? "; gave up waiting" : "; --wait SECS waits for it")
                                                            : ""));
        return cli::exit_trouble;
    }
    if (err) {
        cli::error(fmt::format("{}/{}", dir, lock_file), std::strerror(err));
        return cli::exit_trouble;
    }

    // A reader of ours that has gone must show as EPIPE on the log's writes, not kill us.
    ::signal(SIGPIPE, SIG_IGN);
    log::Logger logger(o.log_format);
    set_up_log(logger, o);
    Rotator rotator(std::move(dirfd), dir, base, o.rotate, logger);
    rotator.remove_temporaries(o.mode == Mode::once && o.dry_run);
    rotator.resume_compression(o.mode == Mode::once && o.dry_run);
    if (o.mode == Mode::once)
        return run_once(o, rotator, logger);
    loop::Loop loop;
    if (o.mode == Mode::watch)
        return run_watch(loop, o, rotator, logger);
    int status;
    {
        PipeMode pipe(loop, o, rotator, logger);
        status = pipe.run();
    }
    if (!rotator.wait() && status == cli::exit_ok)
        status = cli::exit_trouble;
    return status;
}

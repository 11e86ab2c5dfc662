// fdlock: runs a command while holding an fcntl lock, the fcntl counterpart of flock(1)
// (book chapter 5: a distributed lock manager, process timeouts).
#include "acquire.hpp"
#include "cli/cli.hpp"
#include "flock_cli.hpp"
#include "fs/fd.hpp"
#include "holdings.hpp"
#include "lock/holders.hpp"
#include "lock/lock.hpp"
#include "lockfile.hpp"
#include "out/text.hpp"
#include "supervise.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

using namespace syskit;
using namespace syskit::fdlock;

namespace {

/// The command line, once parsed.
struct Args {
    bool shared = false, unlock = false, nonblock = false, close = false, keep_fd = false, no_fork = false;
    bool posix = false, no_create = false, holder = false, list = false, verbose = false;
    std::string timeout, deadline, grace, range, command;
    int conflict_exit = cli::exit_found;
    std::string operand;              ///< FILE or FD
    std::vector<std::string> argv;    ///< the command after FILE
};

/// Makes sure descriptors 0, 1 and 2 are open: otherwise the lock file would take one of
/// their numbers and be handed to the command as its standard input or output.
void open_standard_descriptors() {
    for (int fd = 0; fd < 3; ++fd) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0 && null != fd)
                close(null);
        }
    }
}

/// --holder and --list: prints the holdings; returns the exit status.
int print_holdings(const lock::HoldingQuery& query, const std::optional<lock::Range>& range, cli::Format format,
                   bool is_holder) {
    std::vector<lock::Holding> holdings;
    if (int err = lock::list_holdings(query, &holdings)) {
        cli::error("/proc/locks", std::strerror(err));
        return cli::exit_trouble;
    }
    out::Sink sink;
    bool terminal = isatty(STDOUT_FILENO) == 1;
    std::size_t printed = 0;
    for (const auto& h : holdings) {
        // fdlock itself holds what it inherited from the shell (exec 9>FILE): not news.
        if (h.pid == getpid() || (range && !lock::overlaps(range_of(h.lock), *range)))
            continue;
        sink.line(format == cli::Format::json ? json_line(h) : text_line(h, terminal));
        ++printed;
    }
    if (!sink.flush()) {
        cli::error("stdout", std::strerror(sink.error()));
        return cli::exit_trouble;
    }
    return is_holder && printed > 0 ? cli::exit_found : cli::exit_ok;
}

/// Clears FD_CLOEXEC and O_NONBLOCK so the command inherits the lock descriptor as a plain
/// one, and tells it the number in FDLOCK_FD.
bool hand_down(int fd, const std::string& subject) {
    int fl = fcntl(fd, F_GETFL);
    if (fcntl(fd, F_SETFD, 0) != 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        cli::error(subject, std::string("fcntl: ") + std::strerror(errno));
        return false;
    }
    setenv("FDLOCK_FD", std::to_string(fd).c_str(), 1);
    return true;
}

int lock_descriptor(const Args& a, const AcquireOptions& ao) {
    auto fd = parse_fd(a.operand);
    if (!fd)
        return cli::usage_error(a.operand, "not a descriptor number; to lock a file, give a COMMAND to run");
    if (a.posix)
        return cli::usage_error(a.operand, "--posix locks belong to the process that takes them, and fdlock's would "
                                      "end as it exits: lock a descriptor with OFD locks (the default)");
    if (fcntl(*fd, F_GETFD) < 0) {
        cli::error(a.operand, std::strerror(errno));
        return cli::exit_trouble;
    }
    if (a.unlock) {
        if (int err = lock::unlock(*fd, lock::Owner::ofd, ao.request.range)) {
            cli::error(a.operand, err == EBADF ? "opened with O_PATH, which cannot be locked"
                                               : std::string("fcntl(F_OFD_SETLK): ") + std::strerror(err));
            return cli::exit_trouble;
        }
        return cli::exit_ok;
    }
    switch (acquire(*fd, ao)) {
    case Acquired::locked:
        return cli::exit_ok;
    case Acquired::held:
        return a.conflict_exit;
    case Acquired::failed:
        break;
    }
    return cli::exit_trouble;
}

int lock_and_run(const Args& a, const AcquireOptions& ao, double deadline, double grace) {
    Opened f = open_lock_file(a.operand, ao.request.mode, !a.no_create);
    if (!f.fd) {
        cli::error(a.operand, f.why);
        return cli::exit_trouble;
    }
    switch (acquire(f.fd.get(), ao)) {
    case Acquired::locked:
        break;
    case Acquired::held:
        return a.conflict_exit;
    case Acquired::failed:
        return cli::exit_trouble;
    }
    std::vector<std::string> argv = a.argv;
    if (!a.command.empty()) {
        const char* shell = std::getenv("SHELL");
        argv = {shell != nullptr && *shell != '\0' ? shell : "/bin/sh", "-c", a.command};
    }
    if ((a.keep_fd || a.no_fork) && !hand_down(f.fd.get(), a.operand))
        return cli::exit_trouble;
    if (a.verbose)
        cli::error(a.operand, "running " + command_text(argv));
    if (a.no_fork) {
        // The lock stays with the descriptor (OFD) or the process (POSIX), both of which
        // the command inherits.
        std::vector<char*> args;
        for (auto& s : argv)
            args.push_back(s.data());
        args.push_back(nullptr);
        execvp(args[0], args.data());
        int err = errno;
        cli::error(argv[0], std::string("failed to execute: ") + std::strerror(err));
        return err == ENOENT ? exit_not_found : exit_cannot_run;
    }
    RunOptions ro{argv, deadline, grace, a.verbose};
    return run_command(ro);
}

} // namespace

int main(int argc, char** argv) {
    open_standard_descriptors();
    cli::Tool tool("fdlock", "Hold an fcntl lock on a file while a command runs, or on a descriptor of the shell.");
    auto& app = tool.app();
    app.formatter(std::make_shared<HelpFormatter>());
    Args a;

    // -s, -x and -u each say what to do with the lock; as with flock(1), the last one wins.
    auto mode = [&](bool shared, bool unlock) {
        return [&a, shared, unlock](std::int64_t) {
            a.shared = shared;
            a.unlock = unlock;
        };
    };
    app.add_flag_function("-s,--shared", mode(true, false), "Get a shared lock")->trigger_on_parse();
    app.add_flag_function("-x,--exclusive", mode(false, false), "Get an exclusive lock (default)")->trigger_on_parse();
    app.add_flag_function("-u,--unlock", mode(false, true), "Remove a lock (FD only)")->trigger_on_parse();
    app.add_flag("-n,--nonblock,--nonblocking,--nb", a.nonblock, "Fail rather than wait");
    app.add_option("-w,--timeout,--wait", a.timeout, "Wait for a limited amount of time")->type_name("<secs>");
    app.add_option("-E,--conflict-exit-code", a.conflict_exit, "Exit code after conflict or timeout (default 1)")
        ->type_name("<number>")
        ->check(CLI::Range(0, 255).description(""));
    auto* close_opt =
        app.add_flag("-o,--close", a.close, "Do not pass the lock descriptor to the command (the default)");
    auto* keep_opt = app.add_flag("--keep-fd", a.keep_fd, "Pass the lock descriptor to the command, as $FDLOCK_FD");
    app.add_option("-c,--command", a.command, "Run a single command string through the shell")
        ->type_name("<command>");
    auto* no_fork_opt = app.add_flag("-F,--no-fork", a.no_fork, "Execute the command without forking");
    app.add_option("--range", a.range, "Lock LEN bytes from START (LEN 0: to the end)")->type_name("<start:len>");
    app.add_flag("--posix", a.posix, "Use POSIX record locks, owned by fdlock, not OFD locks");
    app.add_flag("--no-create", a.no_create, "Fail if FILE does not exist");
    auto* deadline_opt =
        app.add_option("--deadline", a.deadline, "End the command after <secs> (exit 124)")->type_name("<secs>");
    auto* grace_opt =
        app.add_option("--grace", a.grace, "After the deadline, SIGKILL <secs> after SIGTERM (default 5)")
            ->type_name("<secs>");
    auto* holder_opt = app.add_flag("--holder", a.holder, "Print who holds locks on FILE");
    auto* list_opt = app.add_flag("--list", a.list, "List every lock on the system, as lslocks(8) does");
    tool.add_format();
    app.add_flag("--verbose", a.verbose, "Say how long it waited, and for whom");
    app.add_option("FILE", a.operand)->required(false);
    no_fork_opt->excludes(close_opt)->excludes(deadline_opt)->excludes(grace_opt);
    close_opt->excludes(keep_opt);
    list_opt->excludes(holder_opt);
    app.footer("For more details see fdlock(1).");

    // Only what comes before FILE is fdlock's; the rest is the command (see first_operand).
    int operand = first_operand(app, argc, argv);
    int parsed = operand < argc ? operand + 1 : argc;
    if (auto rc = tool.parse(parsed, argv))
        return *rc;
    for (int i = parsed; i < argc; ++i)
        a.argv.emplace_back(argv[i]);
    if (!a.argv.empty() && (a.argv[0] == "-c" || a.argv[0] == "--command")) {
        if (a.argv.size() != 2 || !a.command.empty())
            return cli::usage_error("", a.argv[0] + " requires exactly one command argument");
        a.command = a.argv[1];
        a.argv.clear();
    }
    if (!a.argv.empty() && !a.command.empty())
        return cli::usage_error("--command", "not with a COMMAND after FILE as well");
    bool has_command = !a.argv.empty() || !a.command.empty();

    std::optional<lock::Range> range;
    if (!a.range.empty()) {
        std::string why;
        range = lock::parse_range(a.range, &why);
        if (!range)
            return cli::usage_error("--range", "'" + a.range + "': " + why);
    }
    auto seconds = [](const std::string& text, std::optional<double>& out) {
        out = text.empty() ? std::nullopt : parse_seconds(text);
        return text.empty() || out.has_value();
    };
    std::optional<double> timeout, deadline, grace;
    if (!seconds(a.timeout, timeout))
        return cli::usage_error("--timeout", "invalid timeout value '" + a.timeout + "' (seconds, such as 5 or 0.5)");
    if (!seconds(a.deadline, deadline) || (deadline && *deadline <= 0))
        return cli::usage_error("--deadline", "invalid deadline '" + a.deadline + "' (seconds, more than 0)");
    if (!seconds(a.grace, grace))
        return cli::usage_error("--grace", "invalid grace period '" + a.grace + "' (seconds, such as 5 or 0.5)");

    if (a.list || a.holder) {
        const char* what = a.list ? "--list" : "--holder";
        if (a.list && (!a.operand.empty() || has_command))
            return cli::usage_error(what, "takes no FILE or COMMAND");
        if (a.holder && (a.operand.empty() || has_command))
            return cli::usage_error(what, "takes one FILE and no COMMAND");
        if (a.shared || a.unlock || a.nonblock || timeout || a.close || a.keep_fd || a.no_fork || a.posix ||
            a.no_create || deadline || grace || app.count("--exclusive") || app.count("--conflict-exit-code") ||
            (a.list && range))
            return cli::usage_error(what, "only takes --format" + std::string(a.holder ? " and --range" : ""));
        lock::HoldingQuery query;
        query.waiting = a.list;
        if (a.holder) {
            lock::FileKey key;
            if (int err = lock::file_key(a.operand.c_str(), &key)) {
                cli::error(a.operand, std::strerror(err));
                return cli::exit_trouble;
            }
            query.file = key;
        }
        return print_holdings(query, range, tool.format(), a.holder);
    }
    if (app.count("--format"))
        return cli::usage_error("--format", "only with --holder or --list");
    if (a.operand.empty())
        return cli::usage_error("", "not enough arguments: FILE and a COMMAND, or FD, required");

    AcquireOptions ao;
    ao.request.owner = a.posix ? lock::Owner::posix : lock::Owner::ofd;
    ao.request.mode = a.shared ? lock::Mode::shared : lock::Mode::exclusive;
    ao.request.range = range.value_or(lock::Range{});
    // -n wins over -w, and -w 0 is -n, as with flock(1).
    ao.wait = a.nonblock ? 0 : timeout.value_or(-1);
    ao.verbose = a.verbose;
    ao.subject = a.operand;

    if (!has_command) {
        for (auto [given, name] : {std::pair{a.keep_fd, "--keep-fd"}, {a.close, "--close"}, {a.no_fork, "--no-fork"},
                                   {a.no_create, "--no-create"}, {deadline.has_value(), "--deadline"},
                                   {grace.has_value(), "--grace"}})
            if (given)
                return cli::usage_error(name, "needs FILE and a COMMAND");
        return lock_descriptor(a, ao);
    }
    if (a.unlock)
        return cli::usage_error("--unlock", "only with a descriptor (FD): a lock on FILE ends with its COMMAND");
    try {
        return lock_and_run(a, ao, deadline.value_or(0), grace.value_or(5));
    } catch (const std::system_error& e) {
        cli::error("event loop", e.what());
        return cli::exit_trouble;
    }
}

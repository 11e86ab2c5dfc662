#include "options.hpp"

#include "flock_cli.hpp"

#include "cli/duration.hpp"
#include "cli/help.hpp"
#include "cli/values.hpp"

#include <CLI/CLI.hpp>


namespace syskit::fdlock {

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.formatter(std::make_shared<cli::HelpFormatter>(usage_text));
    // -s, -x and -u each say what to do with the lock; as with flock(1), the last one wins.
    auto mode = [&o](bool shared, bool unlock, bool exclusive) {
        return [&o, shared, unlock, exclusive](std::int64_t) {
            o.raw.shared = shared;
            o.unlock = unlock;
            o.raw.exclusive = o.raw.exclusive || exclusive;
        };
    };
    app.add_flag_function("-s,--shared", mode(true, false, false), "Get a shared lock")->trigger_on_parse();
    app.add_flag_function("-x,--exclusive", mode(false, false, true), "Get an exclusive lock (default)")
        ->trigger_on_parse();
    app.add_flag_function("-u,--unlock", mode(false, true, false), "Remove a lock (FD only)")->trigger_on_parse();
    app.add_flag("-n,--nonblock,--nonblocking,--nb", r.nonblock, "Fail rather than wait");
    app.add_option("-w,--timeout,--wait", r.timeout, "Wait for a limited amount of time")->type_name("<secs>");
    app.add_option("-E,--conflict-exit-code", r.conflict_exit, "Exit code after conflict or timeout (default 1)")
        ->type_name("<number>");
    auto* close_opt = app.add_flag("-o,--close", o.close, "Do not pass the lock descriptor to the command (the default)");
    auto* keep_opt = app.add_flag("--keep-fd", o.keep_fd, "Pass the lock descriptor to the command, as $FDLOCK_FD");
    app.add_option("-c,--command", o.shell_command, "Run a single command string through the shell")
        ->type_name("<command>");
    auto* no_fork_opt = app.add_flag("-F,--no-fork", o.no_fork, "Execute the command without forking");
    app.add_option("--range", r.range, "Lock LEN bytes from START (LEN 0: to the end)")->type_name("<start:len>");
    app.add_flag("--posix", r.posix, "Use POSIX record locks, owned by fdlock, not OFD locks");
    app.add_flag("--no-create", o.no_create, "Fail if FILE does not exist");
    auto* deadline_opt =
        app.add_option("--deadline", r.deadline, "End the command after <secs> (exit 124)")->type_name("<secs>");
    auto* grace_opt =
        app.add_option("--grace", r.grace, "After the deadline, SIGKILL <secs> after SIGTERM (default 5)")
            ->type_name("<secs>");
    auto* holder_opt = app.add_flag("--holder", r.holder, "Print who holds locks on FILE");
    auto* list_opt = app.add_flag("--list", r.list, "List every lock on the system, as lslocks(8) does");
    // As cli::Tool::add_format declares it, and noting that it was given: it is only for
    // --holder and --list.
    app.add_option_function<cli::Format>(
           "--format",
           [&o](const cli::Format& f) {
               o.format = f;
               o.raw.format = true;
           },
           "Output format: text, or json (one object per line)")
        ->transform(cli::one_of(std::vector<std::pair<std::string, cli::Format>>{{"text", cli::Format::text},
                                                                                 {"json", cli::Format::json}}));
    // --verbose and -q: the last one given wins, as with wget(1).
    auto verbose = [&o](bool on) { return [&o, on](std::int64_t) { o.verbose = on; }; };
    app.add_flag_function("--verbose", verbose(true), "Say how long it waited, and for whom")->trigger_on_parse();
    app.add_flag_function("-q,--quiet", verbose(false), "Say nothing but errors (the default): undo --verbose")
        ->trigger_on_parse();
    // Noted when given, so that an empty FILE ("$LOCK" unset) is told apart from none.
    app.add_option("FILE", o.operand)->required(false)->each([&o](const std::string&) { o.raw.operand_given = true; });
    no_fork_opt->excludes(close_opt)->excludes(deadline_opt)->excludes(grace_opt);
    close_opt->excludes(keep_opt);
    list_opt->excludes(holder_opt);
    app.footer("For more details see fdlock(1).");
}

std::optional<cli::Problem> finish(Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    // "fdlock FILE -c 'CMD'", as flock(1) takes it: -c after FILE is still the option.
    if (!o.command.empty() && (o.command[0] == "-c" || o.command[0] == "--command")) {
        if (o.command.size() != 2 || !o.shell_command.empty())
            return Problem{"", o.command[0] + " requires exactly one command argument"};
        o.shell_command = o.command[1];
        o.command.clear();
    }
    if (!o.command.empty() && !o.shell_command.empty())
        return Problem{"--command", "not with a COMMAND after FILE as well"};
    const bool has_command = !o.command.empty() || !o.shell_command.empty();

    if (!r.range.empty()) {
        std::string why;
        o.range = lock::parse_range(r.range, &why);
        if (!o.range)
            return Problem{"--range", "'" + r.range + "': " + why};
    }
    std::optional<double> timeout;
    auto seconds = [](const std::string& text, std::optional<double>& out) {
        out = text.empty() ? std::nullopt : cli::parse_seconds(text);
        return text.empty() || out.has_value();
    };
    if (!seconds(r.timeout, timeout))
        return Problem{"--timeout", "invalid timeout value '" + r.timeout + "' (seconds, such as 5 or 0.5)"};
    if (!seconds(r.deadline, o.deadline) || (o.deadline && *o.deadline <= 0))
        return Problem{"--deadline", "invalid deadline '" + r.deadline + "' (seconds, more than 0)"};
    if (!seconds(r.grace, o.grace))
        return Problem{"--grace", "invalid grace period '" + r.grace + "' (seconds, such as 5 or 0.5)"};
    if (r.conflict_exit) {
        const std::string& t = *r.conflict_exit;
        if (t.empty() || t.size() > 3 || t.find_first_not_of("0123456789") != std::string::npos || std::stoi(t) > 255)
            return Problem{"--conflict-exit-code", "'" + t + "' is not an exit status (0 to 255)"};
        o.conflict_exit = std::stoi(t);
    }

    if (r.operand_given && o.operand.empty() && !r.list)
        return Problem{"FILE", "the name given is empty (''): name the lock file, or give a descriptor number"};

    if (r.list || r.holder) {
        const char* what = r.list ? "--list" : "--holder";
        if (r.list && (r.operand_given || has_command))
            return Problem{what, "takes no FILE or COMMAND"};
        if (r.holder && (o.operand.empty() || has_command))
            return Problem{what, "takes one FILE and no COMMAND"};
        if (r.shared || o.unlock || r.nonblock || timeout || o.close || o.keep_fd || o.no_fork || r.posix ||
            o.no_create || o.deadline || o.grace || r.exclusive || r.conflict_exit || (r.list && o.range))
            return Problem{what, "only takes --format" + std::string(r.holder ? " and --range" : "")};
        o.action = r.list ? Action::list : Action::holder;
        return std::nullopt;
    }
    if (r.format)
        return Problem{"--format", "only with --holder or --list"};
    if (o.operand.empty())
        return Problem{"", "not enough arguments: FILE and a COMMAND, or FD, required"};

    o.acquire.request.owner = r.posix ? lock::Owner::posix : lock::Owner::ofd;
    o.acquire.request.mode = r.shared ? lock::Mode::shared : lock::Mode::exclusive;
    o.acquire.request.range = o.range.value_or(lock::Range{});
    // -n wins over -w, and -w 0 is -n, as with flock(1).
    o.acquire.wait = r.nonblock ? 0 : timeout.value_or(-1);
    o.acquire.verbose = o.verbose;
    o.acquire.subject = o.operand;

    if (!has_command) {
        for (auto [given, name] : {std::pair{o.keep_fd, "--keep-fd"}, {o.close, "--close"}, {o.no_fork, "--no-fork"},
                                   {o.no_create, "--no-create"}, {o.deadline.has_value(), "--deadline"},
                                   {o.grace.has_value(), "--grace"}})
            if (given)
                return Problem{name, "needs FILE and a COMMAND"};
        auto fd = parse_fd(o.operand);
        if (!fd)
            return Problem{o.operand, "not a descriptor number; to lock a file, give a COMMAND to run"};
        if (r.posix)
            return Problem{o.operand, "--posix locks belong to the process that takes them, and fdlock's would "
                                      "end as it exits: lock a descriptor with OFD locks (the default)"};
        o.fd = *fd;
        o.action = Action::descriptor;
        return std::nullopt;
    }
    if (o.unlock)
        return Problem{"--unlock", "only with a descriptor (FD): a lock on FILE ends with its COMMAND"};
    o.action = Action::run;
    return std::nullopt;
}

} // namespace syskit::fdlock

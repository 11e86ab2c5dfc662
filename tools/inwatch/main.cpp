// inwatch: watches files and trees with inotify and reports or acts on changes (book chapter 5).
#include "cli/cli.hpp"
#include "loop/loop.hpp"
#include "loop/poll.hpp"
#include "loop/process.hpp"
#include "notify/inotify.hpp"
#include "out/text.hpp"
#include "report.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>

#include <fmt/format.h>

using namespace syskit;
using namespace syskit::inwatch;

namespace {

/// INWATCH_PATHS is cut to this, at a whole path: the kernel refuses an environment string
/// longer than MAX_ARG_STRLEN (128 KiB), and the command's arguments need room too.
constexpr std::size_t max_paths_bytes = 64 * 1024;

/// Runs the --exec command after each burst of events, one run at a time.
class Runner {
public:
    Runner(loop::Loop& loop, std::vector<std::string> argv, bool restart, double grace)
        : loop_(loop), argv_(std::move(argv)), restart_(restart), grace_(grace) {}

    /// A burst settled: paths changed.
    void changed(std::set<std::string> paths) {
        waiting_.insert(paths.begin(), paths.end());
        if (!child_) {
            start();
        } else if (restart_) {
            terminating_ = true;
            child_->terminate(grace_); // start() follows once its group is gone
        }
    }

    /// Ends the command, if one runs, and calls done once nothing is left of it.
    void stop(std::function<void()> done) {
        stopping_ = true;
        done_ = std::move(done);
        waiting_.clear();
        if (child_) {
            terminating_ = true;
            child_->terminate(grace_);
        } else {
            done_();
        }
    }

private:
    void start() {
        std::string list;
        for (const auto& p : waiting_) {
            if (list.size() + 1 + p.size() > max_paths_bytes)
                break;
            list += (list.empty() ? "" : "\n") + p;
        }
        // The child inherits the environment: the paths reach it through it.
        setenv("INWATCH_PATHS", list.c_str(), 1);
        setenv("INWATCH_COUNT", std::to_string(waiting_.size()).c_str(), 1);
        waiting_.clear();
        child_.emplace(loop_);
        int err = child_->spawn(loop::SpawnOptions{argv_, true}, [this](int) {
            // Let the loop finish with the handle before it goes.  A command we ended keeps
            // its Process, and so the SIGKILL due after the grace period, until nothing is left
            // of its process group: what ignored SIGTERM must not outlive it.
            finished_.emplace(loop_, [this] {
                if (terminating_ && child_->group_alive())
                    return;
                terminating_ = false;
                child_.reset();
                finished_.reset();
                if (stopping_)
                    done_();
                else if (!waiting_.empty())
                    start();
            });
            finished_->start(0, 0.02);
        });
        if (err < 0) {
            cli::error(argv_[0], uv_strerror(err));
            child_.reset();
        }
    }

    loop::Loop& loop_;
    std::vector<std::string> argv_;
    bool restart_;
    double grace_;
    std::optional<loop::Process> child_;
    std::optional<loop::Timer> finished_;
    std::set<std::string> waiting_;
    bool stopping_ = false;
    bool terminating_ = false;
    std::function<void()> done_;
};

} // namespace

int main(int argc, char** argv) {
    cli::Tool tool("inwatch", "inwatch - watch files and trees for changes, report them or run a command");
    // Everything after --exec is the command, options included.
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--exec") == 0) {
            for (int j = i + 1; j < argc; ++j)
                command.emplace_back(argv[j]);
            if (command.empty()) {
                cli::error("--exec", "needs a command");
                return cli::exit_trouble;
            }
            argc = i;
            break;
        }
    }

    tool.add_quiet();
    auto& app = tool.app();
    std::vector<std::string> paths, exclude, events_arg;
    bool recursive = false, monitor = false, shell = false, restart = false, null = false;
    double timeout = 0, grace = 2;
    unsigned debounce_ms = 100;
    std::string format = "text", timefmt = "%Y-%m-%dT%H:%M:%S%z";
    app.add_option("PATH", paths, "Files and directories to watch")->type_name("")->required();
    app.add_flag("-r,--recursive", recursive, "Watch every directory below, new ones included");
    app.add_option("-e,--event", events_arg,
                   "Events to report (EVENT[,EVENT...]): create, modify, delete, move, moved_from, moved_to, "
                   "attrib, close_write, close_nowrite, close, open, access, delete_self, move_self, all")
        ->type_name("EVENT")
        ->allow_extra_args(false);
    app.add_flag("-m,--monitor", monitor, "Report events until stopped, instead of exiting after the first");
    app.add_option("-t,--timeout", timeout, "Exit 1 if nothing happens for SECS")
        ->type_name("SECS")
        ->check(CLI::PositiveNumber.description(""));
    app.add_option("--exclude", exclude, "Ignore paths matching GLOB")->type_name("GLOB")->allow_extra_args(false);
    app.add_option("--format", format, "text, json, or a format with %w %f %e %T as inotifywait reads them")
        ->type_name("FMT");
    app.add_option("--timefmt", timefmt, "strftime(3) format of %T and of JSON's time")->type_name("FMT");
    app.add_flag("-0,--null", null, "Print paths only, each followed by a NUL byte");
    app.add_flag("--shell", shell, "Run the --exec command with /bin/sh -c");
    app.add_option("--debounce", debounce_ms, "Run the command once events stop for MS milliseconds (default 100)")
        ->type_name("MS");
    app.add_flag("--restart", restart, "Stop a command still running (its whole process group) and start it again");
    app.add_option("--grace", grace, "Seconds between SIGTERM and SIGKILL when stopping the command (default 2)")
        ->type_name("SECS")
        ->check(CLI::NonNegativeNumber.description(""));
    app.footer("--exec CMD [ARGS...], last: run CMD after each burst of events (implies --monitor).\n"
               "See inwatch(1).");
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (shell && command.empty()) {
        cli::error("--shell", "needs --exec");
        return cli::exit_trouble;
    }
    if (shell)
        command = {"/bin/sh", "-c", [&] {
                       std::string joined;
                       for (const auto& w : command)
                           joined += (joined.empty() ? "" : " ") + w;
                       return joined;
                   }()};

    std::uint32_t mask = IN_ALL_EVENTS & ~(IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE);
    if (!events_arg.empty()) {
        mask = 0;
        for (const auto& list : events_arg) {
            std::string bad;
            std::uint32_t m = notify::parse_events(list, bad);
            if (m == 0) {
                cli::error("--event", fmt::format("unknown event '{}'", bad));
                return cli::exit_trouble;
            }
            mask |= m;
        }
    }
    ReportOptions ro;
    ro.timefmt = timefmt;
    ro.escape = isatty(STDOUT_FILENO) == 1;
    ro.style = null ? Style::null : format == "json" ? Style::json : format == "text" ? Style::text : Style::custom;
    ro.format = format;
    if (!command.empty())
        monitor = true;

    fs::GlobSet excluded;
    for (auto& g : exclude)
        excluded.add(g);
    bool trouble = false;
    notify::Watcher watcher(mask, recursive, excluded, [&](std::string_view path, std::string_view message) {
        if (path.empty())
            cli::error("", message);
        else
            cli::error(path, message);
    });
    for (const auto& p : paths)
        if (!watcher.add_root(p))
            trouble = true;
    if (trouble)
        return cli::exit_trouble;

    loop::Loop loop;
    out::Sink sink;
    int status = cli::exit_ok;
    bool seen = false;
    std::optional<Runner> runner;
    if (!command.empty())
        runner.emplace(loop, command, restart, grace);
    std::set<std::string> burst;
    std::optional<loop::Timer> settle, pairing, give_up;
    std::vector<notify::Event> events;
    std::optional<loop::Poll> poll;
    std::vector<loop::Signal> signals;

    auto finish = [&](int code) {
        status = code;
        poll.reset();
        settle.reset();
        pairing.reset();
        give_up.reset();
        if (runner)
            runner->stop([&] {
                signals.clear();
                loop.stop();
            });
        else {
            signals.clear();
            loop.stop();
        }
    };
    auto deliver = [&] {
        if (events.empty())
            return;
        seen = true;
        std::time_t now = std::time(nullptr);
        if (runner) {
            for (const auto& e : events) {
                burst.insert(e.path);
                if (!e.from.empty())
                    burst.insert(e.from);
            }
            settle->start(debounce_ms / 1000.0);
        } else {
            std::size_t n = monitor ? events.size() : 1;
            for (std::size_t i = 0; i < n; ++i)
                sink.write(render(events[i], ro, now));
            sink.flush();
        }
        events.clear();
        if (!monitor)
            finish(cli::exit_ok);
        else if (timeout > 0)
            give_up->start(timeout);
    };
    settle.emplace(loop, [&] {
        runner->changed(std::move(burst));
        burst.clear();
    });
    // A move's second half can come in the next read; give it a moment, then report it alone.
    pairing.emplace(loop, [&] {
        watcher.flush(events);
        deliver();
    });
    give_up.emplace(loop, [&] { finish(seen ? cli::exit_ok : cli::exit_found); });
    if (timeout > 0)
        give_up->start(timeout);
    poll.emplace(loop, watcher.fd(), [&] {
        if (!watcher.read_events(events)) {
            finish(cli::exit_trouble);
            return;
        }
        deliver();
        if (pairing && watcher.pending())
            pairing->start(0.05);
    });
    for (int sig : {SIGINT, SIGTERM})
        signals.emplace_back(loop, sig, [&](int) { finish(monitor ? cli::exit_ok : cli::exit_found); });
    loop.run();
    if (!sink.flush()) {
        cli::error("stdout", std::strerror(sink.error()));
        return cli::exit_trouble;
    }
    return status;
}

#include "watch.hpp"

#include "runner.hpp"

#include "cli/diag.hpp"
#include "loop/loop.hpp"
#include "loop/poll.hpp"

#include <signal.h>

#include <ctime>
#include <optional>
#include <set>
#include <vector>

namespace syskit::inwatch {

int watch(notify::Watcher& watcher, const Options& o, out::Sink& sink) {
    loop::Loop loop;
    int status = cli::exit_ok;
    bool seen = false;
    std::optional<Runner> runner;
    if (!o.command.empty())
        runner.emplace(loop, o.command, o.restart, o.grace);
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
        if (o.include)
            std::erase_if(events, [&](const notify::Event& e) { return !o.include->admits(e); });
        if (events.empty())
            return;
        seen = true;
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        if (runner) {
            for (const auto& e : events) {
                burst.insert(e.path);
                if (!e.from.empty())
                    burst.insert(e.from);
            }
            settle->start(o.debounce_ms / 1000.0);
        } else {
            std::size_t n = o.monitor ? events.size() : 1;
            for (std::size_t i = 0; i < n; ++i)
                sink.write(render(events[i], o.report, now));
            sink.flush();
        }
        events.clear();
        if (!o.monitor)
            finish(cli::exit_ok);
        else if (o.timeout > 0)
            give_up->start(o.timeout);
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
    if (o.timeout > 0)
        give_up->start(o.timeout);
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
        signals.emplace_back(loop, sig, [&](int) { finish(o.monitor ? cli::exit_ok : cli::exit_found); });
    loop.run();
    return status;
}

} // namespace syskit::inwatch

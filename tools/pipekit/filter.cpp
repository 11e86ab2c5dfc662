#include "filter.hpp"

#include "cli/diag.hpp"
#include "fs/fd.hpp"
#include "fs/fifo.hpp"
#include "out/color.hpp"
#include "out/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace syskit::pipekit {

namespace {

/// The longest line held whole; a longer one is judged by its first 64 KiB.
constexpr std::size_t max_held = 64 * 1024;
constexpr std::size_t read_size = 256 * 1024;

volatile sig_atomic_t stop_signal = 0;

void on_stop(int sig) { stop_signal = sig; }

/// A line kept, painted for --color by its level as journalctl(1) paints priorities: emerg
/// to crit bold red, error red, warning yellow, notice bold, debug and trace cyan.  The
/// newline stays outside the colour.
std::string painted(std::string_view kept) {
    std::string_view text = kept.substr(0, kept.size() - (kept.ends_with('\n') ? 1 : 0));
    std::string_view color;
    switch (line_level(text)) {
    case Level::emerg:
    case Level::alert:
    case Level::crit: color = out::sgr::bold_red; break;
    case Level::error: color = out::sgr::red; break;
    case Level::warning: color = out::sgr::yellow; break;
    case Level::notice: color = out::sgr::bold; break;
    case Level::debug:
    case Level::trace: color = out::sgr::cyan; break;
    case Level::info:
    case Level::none: break;
    }
    return out::paint(text, color, true) + std::string(kept.substr(text.size()));
}

} // namespace

LineFilter::LineFilter(Level least, bool all, std::function<void(std::string_view)> emit)
    : least_(least), all_(all), emit_(std::move(emit)) {
    carry_.reserve(max_held);
}

bool LineFilter::judge(std::string_view text) {
    Level l = line_level(text);
    bool keep = all_ || (l != Level::none && l <= least_);
    if (keep)
        counts_[static_cast<int>(l)]++;
    return keep;
}

void LineFilter::feed(std::string_view data) {
    const char* p = data.data();
    const char* end = p + data.size();
    if (in_long_) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const char* stop = nl ? nl + 1 : end;
        if (long_kept_)
            emit_({p, static_cast<std::size_t>(stop - p)});
        if (!nl)
            return;
        in_long_ = false;
        p = stop;
    } else if (!carry_.empty()) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (nl && carry_.size() + static_cast<std::size_t>(nl - p) <= max_held) {
            carry_.append(p, static_cast<std::size_t>(nl - p));
            if (judge(carry_)) {
                carry_ += '\n';
                emit_(carry_);
            }
            carry_.clear();
            p = nl + 1;
        } else if (!nl && carry_.size() + static_cast<std::size_t>(end - p) <= max_held) {
            carry_.append(p, static_cast<std::size_t>(end - p));
            return;
        } else {
            // The line outgrows what is held: judged by its first max_held bytes.
            std::size_t take = max_held - carry_.size();
            carry_.append(p, take);
            long_kept_ = judge(carry_);
            if (long_kept_)
                emit_(carry_);
            carry_.clear();
            in_long_ = true;
            feed({p + take, static_cast<std::size_t>(end - p) - take});
            return;
        }
    }
    while (p < end) {
        auto nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!nl)
            break;
        if (judge({p, static_cast<std::size_t>(nl - p)}))
            emit_({p, static_cast<std::size_t>(nl + 1 - p)});
        p = nl + 1;
    }
    std::size_t rest = static_cast<std::size_t>(end - p);
    if (rest == 0)
        return;
    if (rest <= max_held) {
        carry_.assign(p, rest);
        return;
    }
    long_kept_ = judge({p, max_held});
    if (long_kept_)
        emit_({p, rest});
    in_long_ = true;
}

void LineFilter::end() {
    if (in_long_) {
        if (long_kept_)
            emit_("\n");
        in_long_ = false;
    } else if (!carry_.empty()) {
        if (judge(carry_)) {
            carry_ += '\n';
            emit_(carry_);
        }
    }
    carry_.clear();
}

int filter(const FilterOptions& o) {
    out::Sink sink;
    LineFilter lines(o.level, o.all, [&](std::string_view kept) {
        if (o.count)
            return;
        if (o.color)
            sink.write(painted(kept));
        else
            sink.write(kept);
    });
    bool from_stdin = o.source.empty() || o.source == "-";
    const std::string name = from_stdin ? "stdin" : o.source;
    bool is_fifo = false;
    fs::UniqueFd owned;
    int fd = STDIN_FILENO;
    std::string error;
    auto open_source = [&]() -> bool {
        fs::FifoOpen how;
        how.owner = ::geteuid();
        owned = fs::open_fifo(o.source, how, error);
        if (!owned) {
            cli::error("", error);
            return false;
        }
        fd = owned.get();
        return true;
    };
    if (!from_stdin) {
        struct stat st;
        if (::stat(o.source.c_str(), &st) != 0) {
            cli::error(o.source, std::strerror(errno));
            return cli::exit_trouble;
        }
        is_fifo = S_ISFIFO(st.st_mode);
        if (o.follow && !is_fifo) {
            cli::error(o.source, "--follow needs a FIFO, and this is not one");
            return cli::exit_trouble;
        }
        if (is_fifo) {
            if (!open_source())
                return cli::exit_trouble;
        } else {
            owned.reset(::open(o.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
            if (!owned) {
                cli::error(o.source, fmt::format("open: {}", std::strerror(errno)));
                return cli::exit_trouble;
            }
            fd = owned.get();
        }
    }

    // Waiting on a FIFO, SIGINT and SIGTERM end the run cleanly (the counts are printed): they
    // are blocked but while ppoll waits.
    sigset_t stops, waiting_mask;
    if (is_fifo) {
        struct sigaction sa {};
        sa.sa_handler = on_stop;
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);
        sigemptyset(&stops);
        sigaddset(&stops, SIGINT);
        sigaddset(&stops, SIGTERM);
        ::sigprocmask(SIG_BLOCK, &stops, &waiting_mask);
        sigdelset(&waiting_mask, SIGINT);
        sigdelset(&waiting_mask, SIGTERM);
    }

    std::unique_ptr<char[]> buf(new char[read_size]);
    int status = cli::exit_ok;
    while (!stop_signal) {
        if (is_fifo) {
            // Lines kept reach the reader before the wait.
            if (!sink.flush())
                break;
            pollfd p{fd, POLLIN, 0};
            if (::ppoll(&p, 1, nullptr, &waiting_mask) < 0)
                continue; // EINTR: a stop signal, seen above
        }
        ssize_t n = ::read(fd, buf.get(), read_size);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            cli::error(name, fmt::format("read: {}", std::strerror(errno)));
            status = cli::exit_trouble;
            break;
        }
        if (n == 0) {
            // The last writer went away: what it left unfinished is a line of its own.
            lines.end();
            if (!o.follow)
                break;
            // A FIFO keeps reading as ended until it is opened again; the new descriptor
            // waits for the next writer.
            owned.reset();
            if (!open_source()) {
                status = cli::exit_trouble;
                break;
            }
            continue;
        }
        lines.feed({buf.get(), static_cast<std::size_t>(n)});
    }
    lines.end();
    if (o.count) {
        for (int l = 0; l < level_count; ++l)
            if (lines.counts()[l] > 0)
                sink.line(fmt::format("{} {}", level_name(static_cast<Level>(l)), lines.counts()[l]));
    }
    return out::finish(sink, status);
}

} // namespace syskit::pipekit

#include "pump.hpp"

#include "cli/diag.hpp"
#include "out/progress.hpp"
#include "out/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace syskit::pipekit {

namespace {

using clock = std::chrono::steady_clock;

/// What one splice or read asks for: a whole pipe's worth, at most.
constexpr std::size_t chunk = 1 << 20;
constexpr std::size_t rw_chunk = 128 * 1024;

struct Failure {
    const char* side = nullptr; ///< "stdin" or "stdout"
    const char* call = nullptr;
    int err = 0;
};

/// Sleeps as long as it takes for done bytes since start not to exceed rate per second.
void pace(std::uint64_t done, std::uint64_t rate, clock::time_point start) {
    if (rate == 0)
        return;
    auto due = start + std::chrono::duration_cast<clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(done) / static_cast<double>(rate)));
    std::this_thread::sleep_until(due);
}

/// Writes all of data to fd; the failure otherwise.
bool write_out(const char* data, std::size_t size, Failure& f) {
    while (size > 0) {
        ssize_t w = ::write(STDOUT_FILENO, data, size);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            f = {"stdout", "write", errno};
            return false;
        }
        data += w;
        size -= static_cast<std::size_t>(w);
    }
    return true;
}

/// The plain copy: read, write.
bool copy_rw(std::size_t step, std::uint64_t rate, std::atomic<std::uint64_t>& done, clock::time_point start,
             Failure& f) {
    std::unique_ptr<char[]> buf(new char[step]);
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf.get(), step);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            f = {"stdin", "read", errno};
            return false;
        }
        if (n == 0)
            return true;
        if (!write_out(buf.get(), static_cast<std::size_t>(n), f))
            return false;
        done += static_cast<std::uint64_t>(n);
        pace(done, rate, start);
    }
}

enum class Spliced { done, failed, unsupported };

/// The zero-copy path: splice moves pages between the pipe and the other side.  unsupported
/// when the first splice is refused (EINVAL: an O_APPEND file, a terminal), so the caller
/// falls back to read/write.
Spliced copy_splice(std::size_t step, std::uint64_t rate, std::atomic<std::uint64_t>& done, clock::time_point start,
                    Failure& f) {
    bool first = true;
    for (;;) {
        ssize_t n = ::splice(STDIN_FILENO, nullptr, STDOUT_FILENO, nullptr, step, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (first && (errno == EINVAL || errno == ENOSYS))
                return Spliced::unsupported;
            f = {"stdin to stdout", "splice", errno};
            return Spliced::failed;
        }
        first = false;
        if (n == 0)
            return Spliced::done;
        done += static_cast<std::uint64_t>(n);
        pace(done, rate, start);
    }
}

/// --buffer: a ring of o.buffer bytes between a reading and a writing thread, so a burst on
/// the input is absorbed while the output is slow, and the other way round (mbuffer's job).
bool copy_buffered(std::size_t size, std::uint64_t rate, std::atomic<std::uint64_t>& done, clock::time_point start,
                   Failure& f) {
    std::unique_ptr<char[]> ring(new char[size]);
    std::mutex mu;
    std::condition_variable changed;
    std::size_t head = 0, held = 0; // head: the next byte to write; held: bytes in the ring
    bool ended = false, broken = false;
    Failure read_failure;
    std::thread reader([&] {
        std::unique_lock lock(mu);
        for (;;) {
            changed.wait(lock, [&] { return held < size || broken; });
            if (broken)
                return;
            std::size_t tail = (head + held) % size;
            std::size_t room = std::min(size - held, size - tail);
            lock.unlock();
            ssize_t n = ::read(STDIN_FILENO, ring.get() + tail, std::min(room, rw_chunk));
            int err = errno;
            lock.lock();
            if (n < 0 && err == EINTR)
                continue;
            if (n <= 0) {
                if (n < 0)
                    read_failure = {"stdin", "read", err};
                ended = true;
                changed.notify_all();
                return;
            }
            held += static_cast<std::size_t>(n);
            changed.notify_all();
        }
    });
    bool ok = true;
    {
        std::unique_lock lock(mu);
        for (;;) {
            changed.wait(lock, [&] { return held > 0 || ended; });
            if (held == 0)
                break;
            std::size_t run = std::min({held, size - head, rw_chunk});
            lock.unlock();
            ok = write_out(ring.get() + head, run, f);
            lock.lock();
            if (!ok) {
                broken = true;
                changed.notify_all();
                break;
            }
            head = (head + run) % size;
            held -= run;
            changed.notify_all();
            lock.unlock();
            done += run;
            pace(done, rate, start);
            lock.lock();
        }
    }
    reader.join();
    if (ok && read_failure.call) {
        f = read_failure;
        return false;
    }
    return ok;
}

} // namespace

std::string progress_line(std::uint64_t done, double elapsed, std::optional<std::uint64_t> size) {
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    std::string line = fmt::format("{} {}/s", out::human_size(done), out::human_size(static_cast<std::uint64_t>(rate)));
    if (size && *size > 0) {
        double part = std::min(1.0, static_cast<double>(done) / static_cast<double>(*size));
        line += fmt::format(" {:3.0f}%", part * 100);
        if (rate > 0 && done < *size) {
            auto left = static_cast<std::uint64_t>(static_cast<double>(*size - done) / rate);
            line += fmt::format(" ETA {}:{:02}:{:02}", left / 3600, left / 60 % 60, left % 60);
        }
    }
    return line;
}

int pump(const PumpOptions& o) {
    struct stat in_st, out_st;
    if (::fstat(STDIN_FILENO, &in_st) != 0) {
        cli::error("stdin", fmt::format("fstat: {}", std::strerror(errno)));
        return cli::exit_trouble;
    }
    if (::fstat(STDOUT_FILENO, &out_st) != 0) {
        cli::error("stdout", fmt::format("fstat: {}", std::strerror(errno)));
        return cli::exit_trouble;
    }
    std::optional<std::uint64_t> size = o.size;
    if (!size && S_ISREG(in_st.st_mode)) {
        off_t at = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
        size = static_cast<std::uint64_t>(in_st.st_size - (at > 0 ? at : 0));
    }
    std::atomic<std::uint64_t> done{0};
    auto start = clock::now();
    out::Progress progress(!o.quiet, [&] {
        return progress_line(done.load(), std::chrono::duration<double>(clock::now() - start).count(), size);
    });
    // A rate limit is kept by pausing between small steps rather than after large ones.
    std::size_t step = o.rate ? std::clamp<std::size_t>(o.rate / 20, 4096, chunk) : chunk;
    Failure f;
    bool ok;
    if (o.buffer) {
        ok = copy_buffered(static_cast<std::size_t>(o.buffer), o.rate, done, start, f);
    } else if (S_ISFIFO(in_st.st_mode) || S_ISFIFO(out_st.st_mode)) {
        // Larger pipes on either side: each splice moves up to a chunk, and the processes on
        // both ends wake up less often.  Best effort: a pipe that stays small only costs more
        // calls.
        for (int fd : {STDIN_FILENO, STDOUT_FILENO})
            ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(chunk));
        Spliced s = copy_splice(step, o.rate, done, start, f);
        ok = s == Spliced::done || (s == Spliced::unsupported && copy_rw(std::min(step, rw_chunk), o.rate, done, start, f));
    } else {
        ok = copy_rw(std::min(step, rw_chunk), o.rate, done, start, f);
    }
    progress.stop();
    if (!ok) {
        cli::error(f.side, fmt::format("{}: {}", f.call, std::strerror(f.err)));
        return cli::exit_trouble;
    }
    return cli::exit_ok;
}

} // namespace syskit::pipekit

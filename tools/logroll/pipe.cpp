#include "pipe.hpp"

#include "lines.hpp"
#include "schedule.hpp"

#include "cli/diag.hpp"
#include "svc/svc.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

#include <fmt/format.h>

namespace syskit::logroll {

namespace {

/// The size of one read(2).  Bigger blocks mean fewer system calls per byte; a line
/// longer than this without its newline yet is written in parts (it still never spans
/// two files).
constexpr std::size_t block_size = 1 << 20;

bool out_of_space(int err) { return err == ENOSPC || err == EDQUOT; }

} // namespace

PipeMode::PipeMode(loop::Loop& loop, const Options& options, Rotator& rotator, log::Logger& log)
    : loop_(loop), o_(options), rotator_(rotator), log_(log), path_(rotator.path(rotator.base())),
      partial_limit_(block_size), buf_(2 * block_size), kick_(loop, [this] {
          if (reading_)
              peek_input(false);
      }),
      stalled_(loop, [this] {
          if (reading_)
              peek_input(true);
      }),
      retry_(loop, [this] { retry(); }), interval_(loop, [this] {
          rotate_reason_ = "interval";
          if (!blocked_)
              drain(eof_ || stopping_);
          arm_interval();
      }) {
    if (o_.timestamp != Stamp::none)
        raw_.resize(block_size);
}

int PipeMode::open_log() {
    // Read too: run() looks at the last byte a previous run left.  splice(2) refuses a file
    // opened with O_APPEND: then the writes go where the descriptor's offset, set to the end
    // here, stands (logroll is the log's only writer: it holds the lock).
    out_.reset(::openat(rotator_.dirfd(), rotator_.base().c_str(),
                        O_RDWR | (splice_ ? 0 : O_APPEND) | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644));
    if (!out_)
        return errno;
    off_t end = ::lseek(out_.get(), 0, SEEK_END);
    // A restart continues the file a previous run left, and counts what it holds.
    used_ = end > 0 ? static_cast<std::uint64_t>(end) : 0;
    need_open_ = false;
    return 0;
}

bool PipeMode::open_input() {
    // Under logroll@.socket, systemd passes the FIFO it holds open (ListenFIFO=) as fd 3:
    // a restart of logroll then leaves the writer's FIFO open, and what it holds, unread.
    int n = 0;
    std::string why;
    if (!svc::listen_fds(n, why)) {
        cli::error("", why);
        return false;
    }
    if (n > 1) {
        cli::error("LISTEN_FDS", fmt::format("systemd passed {} descriptors; logroll takes one FIFO", n));
        return false;
    }
    struct stat st{};
    if (n == 1) {
        listened_.reset(svc::listen_fds_start);
        if (::fstat(svc::listen_fds_start, &st) != 0 || !S_ISFIFO(st.st_mode)) {
            cli::error("LISTEN_FDS", "the descriptor systemd passed is not a FIFO (the socket unit needs ListenFIFO=)");
            return false;
        }
        in_ = svc::listen_fds_start;
    }
    if (::fstat(in_, &st) != 0 || !S_ISFIFO(st.st_mode))
        return true;
    ::fcntl(in_, F_SETPIPE_SZ, static_cast<int>(block_size)); // fewer wake-ups; a failure costs nothing
    if (o_.timestamp != Stamp::none)
        return true; // the lines are rewritten: read(2) them
    // A pipe's bytes are taken out of it only by splice(2) into the log, so that logroll
    // killed at any moment leaves each byte either in the log or still in the pipe.  tee(2)
    // copies them, unconsumed, into a pipe of logroll's own, where they are read to find the
    // line ends.
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
        return true; // read(2), as for any other input
    peek_r_.reset(ends[0]);
    peek_w_.reset(ends[1]);
    ::fcntl(peek_w_.get(), F_SETPIPE_SZ, static_cast<int>(block_size));
    // Bytes left in the pipe (the start of a line) keep it readable: the loop watches an
    // epoll instance of logroll's own, edge-triggered, which wakes it only when more arrive.
    edges_.reset(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    if (!edges_ || ::epoll_ctl(edges_.get(), EPOLL_CTL_ADD, in_, &ev) != 0) {
        peek_r_.reset();
        peek_w_.reset();
        return true;
    }
    // tee(2) sees no more than either pipe holds: a line start that long is written as it is.
    for (int fd : {in_, peek_w_.get()})
        if (int size = ::fcntl(fd, F_GETPIPE_SZ); size > 0)
            partial_limit_ = std::min(partial_limit_, static_cast<std::size_t>(size));
    splice_ = true;
    return true;
}

int PipeMode::run() {
    if (!open_input())
        return cli::exit_trouble;
    if (int err = open_log()) {
        cli::error(path_, std::strerror(err));
        return cli::exit_trouble;
    }
    // A log that ends inside a line was left by a run stopped while writing that line in
    // parts: what comes first on the input is its rest, so it is continued, not rotated away.
    char last = '\n';
    if (used_ > 0 && ::pread(out_.get(), &last, 1, static_cast<off_t>(used_ - 1)) == 1 && last != '\n')
        mid_line_ = true;
    at_line_start_ = !mid_line_;
    for (int sig : {SIGTERM, SIGINT})
        signals_.emplace_back(loop_, sig, [this](int) { stop(); });
    signals_.emplace_back(loop_, SIGHUP, [this](int) {
        reopen_ = true;
        if (!blocked_)
            drain(false);
    });
    for (int sig : {SIGUSR1, SIGALRM})
        signals_.emplace_back(loop_, sig, [this](int) {
            rotate_reason_ = "signal";
            if (!blocked_)
                drain(false);
        });
    arm_interval();
    log_.info("started", {{"file", path_}, {"bytes", used_}, {"continuing_line", mid_line_}});
    if (int err = svc::notify("READY=1"))
        log_.error("cannot notify systemd", {{"error", std::strerror(err)}});
    start_reading();
    loop_.run();
    return status_;
}

void PipeMode::arm_interval() {
    if (!o_.interval)
        return;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    std::int64_t next = next_boundary(now.tv_sec, *o_.interval);
    interval_.start(static_cast<double>(next - now.tv_sec) - static_cast<double>(now.tv_nsec) / 1e9);
}

void PipeMode::start_reading() {
    if (reading_ || eof_ || stopping_)
        return;
    reading_ = true;
    if (!reader_) {
        try {
            if (!poll_)
                poll_.emplace(loop_, splice_ ? edges_.get() : in_, [this] { on_input(); });
            // Edge-triggered: what the pipe already holds makes no new edge.
            if (splice_)
                kick_.start(0);
            return;
        } catch (const std::system_error&) {
            // A regular file or /dev/null: epoll refuses them, and they never block.
        }
        reader_.emplace(loop_, [this] {
            for (int i = 0; i < 64 && reading_; ++i)
                on_input();
            if (reading_)
                reader_->start(0);
        });
    }
    reader_->start(0);
}

void PipeMode::stop_reading() {
    reading_ = false;
    poll_.reset();
    kick_.stop();
    stalled_.stop();
    if (reader_)
        reader_->stop();
}

void PipeMode::on_input() {
    if (splice_)
        return peek_input(false);
    if (begin_ == end_)
        begin_ = end_ = 0;
    else if (begin_ > 0 && buf_.size() - end_ < block_size) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    char* into = raw_.data();
    if (o_.timestamp == Stamp::none) {
        if (buf_.size() < end_ + block_size)
            buf_.resize(end_ + block_size);
        into = buf_.data() + end_;
    }
    ssize_t n = ::read(in_, into, block_size);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return;
        log_.error("cannot read standard input", {{"error", std::string_view(std::strerror(errno))}});
        status_ = cli::exit_trouble;
        return end_of_input();
    }
    if (n == 0)
        return end_of_input();
    if (o_.timestamp == Stamp::none) {
        end_ += static_cast<std::size_t>(n);
    } else {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        stamped_.clear();
        prefix_lines(std::string_view(raw_.data(), static_cast<std::size_t>(n)), line_prefix(o_.timestamp, now),
                     at_line_start_, stamped_);
        if (buf_.size() < end_ + stamped_.size())
            buf_.resize(end_ + stamped_.size());
        std::memcpy(buf_.data() + end_, stamped_.data(), stamped_.size());
        end_ += stamped_.size();
    }
    drain(false);
}

void PipeMode::peek_input(bool flush_partial) {
    epoll_event ev{};
    while (::epoll_wait(edges_.get(), &ev, 1, 0) > 0) {
    } // the edge is taken: bytes arriving from now on make a new one
    stalled_.stop();
    // Edge-triggered: look until the pipe is empty (or holds only the start of a line), a few
    // times, then again on the next turn of the loop, so that signals are not kept waiting.
    for (int round = 0; round < 64; ++round) {
        // buf_ mirrors the pipe's first bytes; what drain() left there is peeked again.
        begin_ = end_ = 0;
        ssize_t n = ::tee(in_, peek_w_.get(), block_size, SPLICE_F_NONBLOCK);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                return;
            log_.error("cannot read standard input", {{"error", std::string_view(std::strerror(errno))}});
            status_ = cli::exit_trouble;
            return end_of_input();
        }
        if (n == 0)
            return end_of_input();
        if (buf_.size() < static_cast<std::size_t>(n))
            buf_.resize(static_cast<std::size_t>(n));
        while (end_ < static_cast<std::size_t>(n)) {
            ssize_t r = ::read(peek_r_.get(), buf_.data() + end_, static_cast<std::size_t>(n) - end_);
            if (r <= 0) {
                log_.error("cannot read logroll's own pipe", {{"error", std::string_view(std::strerror(errno))}});
                return finish(cli::exit_trouble);
            }
            end_ += static_cast<std::size_t>(r);
        }
        // No writer left: the start of a line is all there will be of it before the end.
        pollfd p{in_, POLLIN, 0};
        bool hangup = ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
        drain(flush_partial || hangup);
        if (!reading_ || begin_ < end_)
            break;
    }
    if (!reading_)
        return;
    if (begin_ == end_)
        kick_.start(0); // 64 rounds and still more
    else
        // The start of a line waits in the pipe for its end, which makes a new edge; a writer
        // that stops there (or is blocked by a pipe full of small buffers) gets it written
        // after a second.
        stalled_.start(1);
}

void PipeMode::end_of_input() {
    eof_ = true;
    stop_reading();
    // The input's last line is over even without its newline: it gets one (as multilog
    // does), or the next run's first line would be glued to it.
    bool open_line = begin_ < end_ ? buf_[end_ - 1] != '\n' : mid_line_;
    if (open_line) {
        if (buf_.size() < end_ + 1)
            buf_.resize(end_ + 1);
        buf_[end_++] = '\n';
    }
    drain(true);
    if (!blocked_)
        finish(status_);
}

void PipeMode::drain(bool flush_partial) {
    for (;;) {
        if (!mid_line_) {
            if (reopen_) {
                reopen_ = false;
                need_open_ = true;
                log_.info("reopening", {{"file", path_}});
            }
            if (rotate_reason_)
                rotate(std::exchange(rotate_reason_, nullptr));
        }
        if (need_open_) {
            if (int err = open_log()) {
                if (out_of_space(err))
                    return block(err);
                log_.error("cannot open the log", {{"file", path_}, {"error", std::string_view(std::strerror(err))}});
                return finish(cli::exit_trouble);
            }
        }
        std::string_view data(buf_.data() + begin_, end_ - begin_);
        if (data.empty())
            return;
        std::size_t n;
        if (mid_line_) {
            // The rest of a line already begun in this file.
            auto nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
            n = nl ? static_cast<std::size_t>(nl - data.data()) + 1 : data.size();
        } else {
            auto nl = static_cast<const char*>(memrchr(data.data(), '\n', data.size()));
            std::size_t complete = nl ? static_cast<std::size_t>(nl - data.data()) + 1 : 0;
            if (complete == 0) {
                if (!flush_partial && data.size() < partial_limit_)
                    return; // wait for the rest of the line
                complete = data.size();
                n = o_.size && used_ > 0 && used_ + complete > *o_.size ? 0 : complete;
            } else {
                n = o_.size ? fit(data.substr(0, complete), used_, *o_.size) : complete;
            }
            if (n == 0) {
                rotate("size");
                continue;
            }
        }
        switch (write_out(n)) {
        case Io::ok: break;
        case Io::full: return;
        case Io::fatal: return finish(cli::exit_trouble);
        }
    }
}

PipeMode::Io PipeMode::write_out(std::size_t n) {
    while (n > 0) {
        // The bytes buffered mirror the pipe's first ones until its end; after it, only the
        // newline end_of_input() added is left, and it is written.
        ssize_t w = splice_ && !eof_ ? ::splice(in_, nullptr, out_.get(), nullptr, n, 0)
                                     : ::write(out_.get(), buf_.data() + begin_, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (out_of_space(errno)) {
                block(errno);
                return Io::full;
            }
            log_.error("cannot write the log", {{"file", path_}, {"error", std::string_view(std::strerror(errno))}});
            return Io::fatal;
        }
        begin_ += static_cast<std::size_t>(w);
        used_ += static_cast<std::uint64_t>(w);
        n -= static_cast<std::size_t>(w);
        mid_line_ = buf_[begin_ - 1] != '\n';
    }
    return Io::ok;
}

void PipeMode::rotate(const char* reason) {
    if (used_ == 0 || need_open_)
        return; // an empty file is not worth a name
    std::string to;
    if (int err = rotator_.rename_current(to)) {
        // Go on writing to the same file; the next attempt comes after another --size.
        log_.error("rotation failed", {{"file", path_}, {"error", std::string_view(std::strerror(err))}});
        used_ = 0;
        return;
    }
    log_.info("rotated", {{"file", path_}, {"to", rotator_.path(to)}, {"bytes", used_}, {"reason", reason}});
    // Closed first: the compressor leaves alone a file some process holds open for writing.
    out_.reset();
    rotator_.rotated(to);
    need_open_ = true;
    used_ = 0;
}

void PipeMode::block(int err) {
    blocked_ = true;
    stop_reading();
    if (!full_reported_) {
        full_reported_ = true;
        log_.warn("no space left: stopped reading (writers now wait) and retrying every second",
                  {{"file", path_}, {"error", std::string_view(std::strerror(err))}, {"pending", end_ - begin_}});
    }
    if (!retry_.active())
        retry_.start(1, 1);
}

void PipeMode::retry() {
    blocked_ = false;
    drain(eof_ || stopping_);
    if (blocked_ || status_ != 0)
        return;
    retry_.stop();
    full_reported_ = false;
    log_.info("space is back: writing again", {{"file", path_}});
    if (eof_ || stopping_)
        return finish(status_);
    start_reading();
}

void PipeMode::stop() {
    if (stopping_)
        return;
    stopping_ = true;
    stop_reading();
    blocked_ = false; // one last try, even when the disk was full
    drain(true);
    if (blocked_) {
        log_.error("stopped with bytes not written: no space left", {{"file", path_}, {"bytes", end_ - begin_}});
        return finish(cli::exit_trouble);
    }
    finish(status_);
}

void PipeMode::finish(int status) {
    if (status > status_)
        status_ = status;
    stop_reading();
    retry_.stop();
    interval_.stop();
    loop_.stop();
}

} // namespace syskit::logroll

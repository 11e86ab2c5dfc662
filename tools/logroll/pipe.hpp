// pipe: pipe mode, where logroll is the log's writer: it reads standard input in big blocks,
// writes whole lines to the log with O_APPEND and rotates between lines (rotatelogs,
// multilog and svlogd's job).
#pragma once

#include "options.hpp"
#include "rotate.hpp"

#include "fs/fd.hpp"
#include "log/log.hpp"
#include "loop/loop.hpp"
#include "loop/poll.hpp"

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace syskit::logroll {

/// An allocator whose vectors grow without zeroing the new elements: the blocks read(2)
/// fills are never looked at before it wrote them, and zeroing the 2 MiB of the read buffer
/// at the start cost 512 page faults and a memset, most of the CPU time of a short run.
template <typename T>
struct Unzeroed : std::allocator<T> {
    Unzeroed() = default;
    template <typename U>
    Unzeroed(const Unzeroed<U>&) noexcept {}
    template <typename U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

class PipeMode {
public:
    PipeMode(loop::Loop& loop, const Options& options, Rotator& rotator, log::Logger& log);
    PipeMode(const PipeMode&) = delete;
    PipeMode& operator=(const PipeMode&) = delete;

    /// Opens the log (appending to what a previous run left) and copies standard input to
    /// it until end of file, SIGTERM or SIGINT.  Returns the exit status.
    int run();

private:
    enum class Io { ok, full, fatal };

    /// Opens the log for appending; 0 or errno.
    int open_log();
    /// Takes the FIFO systemd passed (LISTEN_FDS) or standard input, and sets up splice(2)
    /// when it is a pipe.  False, having said why, when systemd passed something else.
    bool open_input();
    void start_reading();
    void stop_reading();
    /// Reads one block from standard input and writes what it can.
    void on_input();
    /// Splice mode: copies the pipe's first bytes, unconsumed, into buf_ and writes what it
    /// can (with flush_partial, the start of a line too).
    void peek_input(bool flush_partial);
    /// The input is over (or unreadable): writes what is left, ending an unfinished last
    /// line with a newline, and stops.
    void end_of_input();
    /// Writes the complete lines buffered (and, flush_partial, a last line without its
    /// newline), rotating where the options say, until done or the disk is full.
    void drain(bool flush_partial);
    /// Writes the next n buffered bytes.
    Io write_out(std::size_t n);
    void rotate(const char* reason);
    /// A write or open failed for lack of space: stop reading, so the writer blocks on the
    /// pipe, and try again every second.
    void block(int err);
    void retry();
    void arm_interval();
    void stop();
    void finish(int status);

    loop::Loop& loop_;
    const Options& o_;
    Rotator& rotator_;
    log::Logger& log_;
    std::string path_;
    int in_ = STDIN_FILENO;  ///< standard input, or the FIFO systemd passed
    fs::UniqueFd listened_;  ///< the FIFO systemd passed, owned
    bool splice_ = false;    ///< in_ is a pipe, taken out only by splice(2) into the log
    fs::UniqueFd peek_r_, peek_w_; ///< splice mode: logroll's own pipe, where tee(2) copies in_'s bytes
    fs::UniqueFd edges_;     ///< splice mode: epoll, edge-triggered on in_, which the loop watches
    std::size_t partial_limit_; ///< a line start this long is written without its end
    fs::UniqueFd out_;
    std::uint64_t used_ = 0; ///< bytes in the current file, as far as rotation is concerned

    std::vector<char, Unzeroed<char>> buf_; ///< bytes read, not yet written: [begin_, end_)
    std::size_t begin_ = 0, end_ = 0;
    std::vector<char, Unzeroed<char>> raw_; ///< a block read, before --timestamp prefixes
    std::string stamped_;
    bool at_line_start_ = true;
    bool mid_line_ = false; ///< the last byte written was not a newline: no rotation now

    const char* rotate_reason_ = nullptr; ///< a rotation asked for (signal, interval), done at the next line boundary
    bool reopen_ = false, need_open_ = false;
    bool eof_ = false, stopping_ = false, blocked_ = false, reading_ = false, full_reported_ = false;
    int status_ = 0;

    std::optional<loop::Poll> poll_;
    std::optional<loop::Timer> reader_; ///< standard input that cannot be polled (a file): read on each loop turn
    loop::Timer kick_;    ///< splice mode: a first look at what the pipe holds when reading starts
    loop::Timer stalled_; ///< splice mode: a line start left in the pipe for a second is written
    loop::Timer retry_, interval_;
    std::vector<loop::Signal> signals_;
};

} // namespace syskit::logroll

#include "mailbox.hpp"

#include "codec.hpp"
#include "gather.hpp"
#include "records.hpp"

#include "cli/diag.hpp"
#include "fs/fd.hpp"
#include "fs/fifo.hpp"
#include "out/text.hpp"
#include "out/plural.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace syskit::pipekit {

namespace {

using clock = std::chrono::steady_clock;

/// The pipe size a reader asks for: fewer wake-ups of both sides.  1 MiB is the most an
/// unprivileged process gets by default (/proc/sys/fs/pipe-max-size).
constexpr int wanted_pipe_size = 1 << 20;

/// The most one read takes in: what it brings is still in the cache when it is written out.
constexpr std::size_t read_max = 128 * 1024;

/// The largest write recv makes to stdout.
constexpr std::size_t batch_max = 256 * 1024;

/// The largest write send makes of whole records, under its lock: half the pipe it asks for,
/// so that the reader, woken once per write, reads the one while the next is built.  Writes of
/// 128 KiB made three times the context switches for the same CPU time.
constexpr std::size_t send_batch_max = 512 * 1024;

struct Tally {
    std::uint64_t records = 0, bytes = 0;
    std::uint64_t written = 0; ///< send: records written out
    clock::time_point start = clock::now();
};

void summary(const char* verb, const Tally& t) {
    double secs = std::chrono::duration<double>(clock::now() - t.start).count();
    double rate = secs > 0 ? static_cast<double>(t.bytes) / secs : 0;
    cli::note(verb, fmt::format("{}, {} in {:.3f} s ({}/s)", out::plural(t.records, "record"),
                                out::plural(t.bytes, "byte"), secs,
                                out::human_size(static_cast<std::uint64_t>(rate))));
}

/// Writes what batch holds to fd.  A write of at most PIPE_BUF bytes is atomic: the kernel
/// never puts another writer's bytes inside it.  A longer one is not: when the pipe fills, it
/// goes in in parts, and another writer's bytes, even an atomic write, may come between them.
/// So, with locked, every write is made under an exclusive flock(2) on the FIFO, which every
/// pipekit send takes, and pipekit writers never interleave; without it (--atomic, whose writes
/// are at most PIPE_BUF bytes) only a record longer than that, alone, takes the lock.  False
/// with error when the write fails.
bool flush_batch(int fd, Gather& batch, bool locked, const std::string& fifo, Tally& t, std::string& error) {
    if (batch.records() == 0)
        return true;
    locked = locked || batch.bytes() > PIPE_BUF;
    if (locked && ::flock(fd, LOCK_EX) != 0) {
        error = fmt::format("{}: flock: {}", fifo, std::strerror(errno));
        return false;
    }
    std::size_t records = batch.records();
    bool ok = batch.flush(fd);
    int err = errno;
    if (locked)
        ::flock(fd, LOCK_UN);
    if (!ok) {
        error = err == EPIPE ? fmt::format("{}: the reader went away (EPIPE) after {}", fifo,
                                           out::plural(t.written, "record"))
                             : fmt::format("{}: write: {}", fifo, std::strerror(err));
        return false;
    }
    t.written += records;
    return true;
}

} // namespace

int send(const MailOptions& o) {
    // A reader that goes away must show as EPIPE, reported, not as a silent death.
    ::signal(SIGPIPE, SIG_IGN);
    bool from_stdin = o.file.empty() || o.file == "-";
    fs::UniqueFd input;
    if (!from_stdin) {
        input.reset(::open(o.file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
        if (!input) {
            cli::error(o.file, fmt::format("open: {}", std::strerror(errno)));
            return cli::exit_trouble;
        }
    }
    const std::string input_name = from_stdin ? "stdin" : o.file;
    int in = from_stdin ? STDIN_FILENO : input.get();
    struct stat in_st{};
    // A read from a regular file never waits for a writer: the records gathered may wait for
    // it too, so that writes are as large as the batch.  Any other input may wait, and what
    // came before goes out first.
    const bool never_blocks = ::fstat(in, &in_st) == 0 && S_ISREG(in_st.st_mode);

    std::string error;
    fs::FifoOpen how;
    how.write = true;
    how.timeout = o.timeout;
    how.owner = ::geteuid();
    fs::UniqueFd fifo = fs::open_fifo(o.fifo, how, error);
    if (!fifo) {
        cli::error("", error);
        return errno == ETIMEDOUT ? exit_timeout : cli::exit_trouble;
    }
    // Writes block from here on: the reader sets the pace.
    ::fcntl(fifo.get(), F_SETFL, ::fcntl(fifo.get(), F_GETFL) & ~O_NONBLOCK);
    // Best effort, as in recv (whichever comes first sets it): fewer wake-ups of both sides.
    ::fcntl(fifo.get(), F_SETPIPE_SZ, wanted_pipe_size);

    char sep = o.null ? '\0' : '\n';
    RecordReader reader(false, sep, o.max_frame);
    Codec codec(o.compress);
    Tally t;
    std::string packed;
    // Whole records are gathered, and written when the next would take them past limit, or
    // before the next read when they lie in the reader's buffer, which it may move, or when
    // the read may wait.
    std::size_t limit = o.atomic ? PIPE_BUF : send_batch_max;
    Gather batch(o.frame, sep, limit);
    // Plain frames are built in the batch by a bulk copy of the lines read, with no call per
    // record.
    bool bulk = o.frame && o.compress == Compression::none;
    // followed: the record's separator comes after it in reader's buffer (not the last line
    // of an input without one).
    auto add = [&](std::string_view record, bool followed) -> bool {
        std::string_view wire = record;
        if (o.compress != Compression::none) {
            if (!codec.compress(record, packed, error))
                return false;
            wire = packed;
        }
        if (!batch.fits(wire.size()) && !flush_batch(fifo.get(), batch, !o.atomic, o.fifo, t, error))
            return false;
        if (o.compress == Compression::none)
            batch.add(wire, followed && !o.frame);
        else
            batch.add_copy(wire);
        return batch.bytes() < limit || flush_batch(fifo.get(), batch, !o.atomic, o.fifo, t, error);
    };
    auto fail = [&] {
        cli::error("", error);
        return cli::exit_trouble;
    };
    auto is_eod = [&](std::string_view record) {
        if (record != o.eod)
            return false;
        cli::error(input_name, fmt::format("record {} is the end-of-data record '{}': the reader would stop there; "
                                           "choose another with --eod", t.records + 1, o.eod));
        return true;
    };
    for (bool eof = false; !eof;) {
        if ((!never_blocks || batch.borrows()) && !flush_batch(fifo.get(), batch, !o.atomic, o.fifo, t, error))
            return fail();
        auto space = reader.space();
        ssize_t n = ::read(in, space.data, std::min(space.size, read_max));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli::error(input_name, fmt::format("read: {}", std::strerror(errno)));
            return cli::exit_trouble;
        }
        eof = n == 0;
        reader.commit(static_cast<std::size_t>(n));
        std::string_view record;
        RecordReader::Next next;
        for (;;) {
            if (bulk) {
                auto room = batch.room();
                auto c = reader.copy_lines_as_frames(o.eod, room.data, room.size);
                batch.built(c.bytes, c.records);
                t.records += c.records;
                t.bytes += c.bytes - c.records * frame_header;
            }
            // What the bulk copy left (the end-of-data record, a line too long or too big for
            // the batch), or every record without it.
            if ((next = reader.next(record)) != RecordReader::Next::record)
                break;
            if (is_eod(record))
                return cli::exit_trouble;
            if (!add(record, true))
                return fail();
            t.records++;
            t.bytes += record.size();
        }
        if (next == RecordReader::Next::too_long) {
            cli::error(input_name, fmt::format("record {} is longer than --max-frame ({} bytes)", t.records + 1,
                                               o.max_frame));
            return cli::exit_trouble;
        }
        // The last record may lack its separator.
        if (eof && reader.pending() > 0) {
            std::string_view last = reader.take_rest();
            if (is_eod(last))
                return cli::exit_trouble;
            if (!add(last, false))
                return fail();
            t.records++;
            t.bytes += last.size();
        }
    }
    if ((!o.no_eod && !add(o.eod, false)) || !flush_batch(fifo.get(), batch, !o.atomic, o.fifo, t, error))
        return fail();
    if (o.verbose)
        summary("send", t);
    return cli::exit_ok;
}

} // namespace syskit::pipekit

namespace syskit::pipekit {

int recv(const MailOptions& o) {
    std::string error;
    fs::FifoOpen how;
    how.owner = ::geteuid();
    fs::UniqueFd fifo = fs::open_fifo(o.fifo, how, error);
    if (!fifo) {
        cli::error("", error);
        return cli::exit_trouble;
    }
    // Best effort: a smaller pipe only costs more wake-ups.
    ::fcntl(fifo.get(), F_SETPIPE_SZ, wanted_pipe_size);
    // Without a timeout a read may block: one call where a non-blocking one and poll make two.
    if (o.timeout < 0)
        ::fcntl(fifo.get(), F_SETFL, ::fcntl(fifo.get(), F_GETFL) & ~O_NONBLOCK);

    char sep = o.null ? '\0' : '\n';
    // A compressed frame may be a little longer than the record it holds.
    std::size_t max_wire = o.max_frame + (o.compress == Compression::none ? 0 : o.max_frame / 64 + 1024);
    RecordReader reader(o.frame, sep, max_wire);
    Codec codec(o.compress);
    Tally t;
    std::string plain;
    // The records go out with writev(2) from the reader's buffer, before each read.
    Gather out(false, sep, batch_max);
    int out_errno = 0;
    auto print = [&] {
        if (out_errno == 0 && !out.flush(STDOUT_FILENO))
            out_errno = errno;
        return out_errno == 0;
    };
    // As out::finish: what is gathered goes out, and a failed write makes the status.
    auto finish = [&](int status) -> int {
        if (print())
            return status;
        cli::error("stdout", std::strerror(out_errno));
        return cli::exit_trouble;
    };
    // stays: record lies in the reader's buffer (it was not decompressed).
    auto put = [&](std::string_view record, bool stays) {
        if (!out.fits(record.size()) && !print())
            return false;
        if (stays)
            out.add(record);
        else
            out.add_copy(record);
        t.records++;
        t.bytes += record.size();
        return true;
    };
    int timeout_ms = o.timeout < 0 ? -1 : static_cast<int>(o.timeout * 1000 + 0.999);
    for (;;) {
        if (!print())
            return finish(cli::exit_trouble);
        auto space = reader.space();
        ssize_t n = ::read(fifo.get(), space.data, std::min(space.size, read_max));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN) {
                cli::error(o.fifo, fmt::format("read: {}", std::strerror(errno)));
                return finish(cli::exit_trouble);
            }
            pollfd p{fifo.get(), POLLIN, 0};
            int r = ::poll(&p, 1, timeout_ms);
            if (r < 0 && errno != EINTR) {
                cli::error(o.fifo, fmt::format("poll: {}", std::strerror(errno)));
                return finish(cli::exit_trouble);
            }
            if (r == 0) {
                cli::error(o.fifo, fmt::format("no record for {} s{}", o.timeout,
                                               reader.pending() ? ", in the middle of one" : ""));
                return finish(exit_timeout);
            }
            continue;
        }
        if (n == 0) {
            // A FIFO opened without a writer reads as empty until the first one comes: poll
            // (which Linux makes wait for a writer then) tells that from the last one going.
            if (t.records == 0 && reader.pending() == 0) {
                pollfd p{fifo.get(), POLLIN, 0};
                int r = ::poll(&p, 1, timeout_ms);
                if (r == 0) {
                    cli::error(o.fifo, fmt::format("no writer for {} s", o.timeout));
                    return finish(exit_timeout);
                }
                if (r < 0 || (p.revents & POLLIN))
                    continue;
            }
            if (reader.pending() > 0) {
                cli::error(o.fifo, fmt::format("the writer went away in the middle of record {} ({} bytes of it "
                                               "came); it is not printed", t.records + 1, reader.pending()));
                return finish(cli::exit_trouble);
            }
            if (!o.no_eod) {
                // A writer that failed half-way sends no end-of-data record: what came is not
                // the whole of it.
                cli::error(o.fifo, fmt::format("the last writer went away without sending the end-of-data record "
                                               "'{}', after {}", o.eod, out::plural(t.records, "record")));
                return finish(cli::exit_trouble);
            }
            break;
        }
        reader.commit(static_cast<std::size_t>(n));
        std::string_view record;
        RecordReader::Next next;
        for (;;) {
            if (o.frame && o.compress == Compression::none) {
                // Payloads and separators built in the batch by a bulk copy, no call per record.
                auto room = out.room();
                auto c = reader.copy_frames_as_lines(o.eod, room.data, room.size);
                out.built(c.bytes, c.records);
                t.records += c.records;
                t.bytes += c.bytes - c.records;
            }
            // What the bulk copy left (the end-of-data record, a frame too long or too big
            // for the batch), or every record without it.
            if ((next = reader.next(record)) != RecordReader::Next::record)
                break;
            if (o.compress != Compression::none) {
                if (!codec.decompress(record, o.max_frame, plain, error)) {
                    cli::error(o.fifo, fmt::format("record {}: {}", t.records + 1, error));
                    return finish(cli::exit_trouble);
                }
                record = plain;
            }
            if (record == o.eod) {
                if (o.verbose)
                    summary("recv", t);
                return finish(cli::exit_ok);
            }
            if (!put(record, o.compress == Compression::none))
                return finish(cli::exit_trouble);
        }
        if (next == RecordReader::Next::too_long) {
            cli::error(o.fifo, fmt::format("record {} is longer than --max-frame ({} bytes{})", t.records + 1,
                                           o.max_frame, o.frame ? fmt::format(", its frame says {}", reader.too_long_size()) : ""));
            return finish(cli::exit_trouble);
        }
    }
    if (o.verbose)
        summary("recv", t);
    return finish(cli::exit_ok);
}

} // namespace syskit::pipekit

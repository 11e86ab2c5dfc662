// gather: whole records put out with one writev(2), the mailbox's write path (book chapter
// 6).  A small record is copied, with its frame header or separator, into a buffer of the
// gather's own (a user-space copy costs less than an iovec the kernel copies from); a large
// one, or a run of lines that lie one after the other in the input, goes out from where it
// lies, so the kernel's copy into the pipe or file is its only one.
#pragma once

#include "records.hpp"

#include <limits.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace syskit::pipekit {

class Gather {
public:
    /// frame: each record goes out as a frame (its 4-byte header first), else followed by
    /// separator.  limit: the most bytes one flush writes, unless a single record is longer.
    Gather(bool frame, char separator, std::size_t limit);

    /// Whether a record of size bytes can be added before the next flush.
    bool fits(std::size_t size) const {
        return records_ == 0 || (iov_.size() + 3 <= max_iov && bytes_ + size + frame_header <= limit_);
    }
    /// Adds record, whose bytes must stay where they are until the next flush.  followed (line
    /// mode): the byte after record is its separator already, and goes out with it.
    void add(std::string_view record, bool followed = false);
    /// Adds a copy of record: for bytes that do not stay (a decompressed or compressed record).
    /// Inline, as push: they run once per record.
    void add_copy(std::string_view record) {
        // fits() keeps what is gathered within the room made at the start; only a record
        // longer than limit_, alone, when nothing points into copies_, needs more.
        std::size_t size = record.size() + (frame_ ? frame_header : 1);
        reserve(size);
        records_++;
        char* p = copies_.get() + copied_;
        if (frame_) {
            append_header(p, record.size());
            std::memcpy(p + frame_header, record.data(), record.size());
        } else {
            std::memcpy(p, record.data(), record.size());
            p[record.size()] = separator_;
        }
        copied_ += size;
        push(p, size);
    }

    /// Where records may be built in place (RecordReader's bulk copies): size bytes, what is
    /// left before the next flush is due, and RecordReader::slack more that may be overwritten.
    struct Room {
        char* data;
        std::size_t size;
    };
    Room room() {
        if (iov_.size() + 1 > max_iov || bytes_ >= limit_)
            return {copies_.get() + copied_, 0};
        return {copies_.get() + copied_, limit_ - bytes_};
    }
    /// Takes size bytes holding records whole records, just built at room().data.
    void built(std::size_t size, std::size_t records) {
        if (records == 0)
            return;
        records_ += records;
        char* p = copies_.get() + copied_;
        copied_ += size;
        push(p, size);
    }

    /// Bytes and records gathered since the last flush.
    std::size_t bytes() const { return bytes_; }
    /// Whether what was gathered points into bytes the caller holds (add() of a record not
    /// copied), which must then stay where they are until the next flush.
    bool borrows() const { return borrows_; }
    std::size_t records() const { return records_; }
    /// Writes what was gathered to fd with writev(2), going on after short writes, and starts
    /// again empty.  False with errno set when a write fails (what was gathered is dropped).
    bool flush(int fd);

private:
    /// The most iovecs one writev(2) takes (IOV_MAX); a record adds at most three.
    static constexpr std::size_t max_iov = IOV_MAX;

    void push(const char* data, std::size_t size) {
        bytes_ += size;
        // Bytes that follow the last ones (lines of the input, copies) go out as one piece.
        if (!iov_.empty()) {
            iovec& last = iov_.back();
            if (static_cast<const char*>(last.iov_base) + last.iov_len == data) {
                last.iov_len += size;
                return;
            }
        }
        iov_.push_back({const_cast<char*>(data), size});
    }
    /// Makes room for size more bytes in copies_ (reallocated only when nothing points into it).
    void reserve(std::size_t size);

    bool frame_;
    char separator_;
    std::size_t limit_;
    std::vector<iovec> iov_;
    std::unique_ptr<char[]> copies_;
    std::size_t copied_ = 0, room_ = 0; ///< bytes used in copies_, and its size
    std::size_t bytes_ = 0, records_ = 0;
    bool borrows_ = false;
};

} // namespace syskit::pipekit

// records: the mailbox's wire format, cut out of the bytes a FIFO delivers: lines ended by a
// separator, or frames, a 4-byte big-endian length followed by that many bytes, so that a
// record may hold any byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace syskit::pipekit {

/// The size of a frame's header: the payload's length, 32 bits, big-endian.
constexpr std::size_t frame_header = 4;

/// Writes the frame header of a record of size bytes at out (frame_header bytes).  size must
/// be below 2^32.
inline void append_header(char* out, std::size_t size) {
    auto n = static_cast<std::uint32_t>(size);
    out[0] = static_cast<char>(n >> 24);
    out[1] = static_cast<char>(n >> 16);
    out[2] = static_cast<char>(n >> 8);
    out[3] = static_cast<char>(n);
}

/// Appends record to out as one frame.  record must be shorter than 2^32 bytes.  Inline: it
/// runs once per record.
inline void append_frame(std::string& out, std::string_view record) {
    char header[frame_header];
    append_header(header, record.size());
    out.append(header, frame_header);
    out.append(record);
}

/// Cuts records out of a byte stream delivered in pieces, in a buffer of its own that holds
/// at most one incomplete record besides what was read: memory stays bounded by the largest
/// record allowed, whatever the stream's length.
class RecordReader {
public:
    /// frames: length-prefixed frames, else records ended by separator.  max_record: the
    /// longest record accepted (a frame's announced length, or a line without its separator).
    RecordReader(bool frames, char separator, std::size_t max_record);

    struct Space {
        char* data;
        std::size_t size;
    };
    /// Where the next read should put its bytes: at least 64 KiB, moving what is left of an
    /// incomplete record to the front first.
    Space space();
    /// Takes n bytes just written at space().data.
    void commit(std::size_t n) { end_ += n; }

    enum class Next {
        record,   ///< record holds the next record, valid until the next call of space()
        more,     ///< the bytes held so far end inside a record: read more
        too_long, ///< the next record is longer than max_record (its length in too_long_size())
    };
    Next next(std::string_view& record);

    /// How many bytes a bulk copy (copy_lines_as_frames, copy_frames_as_lines) may write
    /// beyond the room it is given: it moves whole blocks and lets the last one run over.
    static constexpr std::size_t slack = 128;
    /// What a bulk copy did: bytes written at out, records taken.
    struct Copied {
        std::size_t bytes = 0, records = 0;
    };
    /// Line mode, the fast way for send --frame: takes the complete lines held and writes each
    /// at out as a frame, up to room bytes (and slack more, overwritten), scanning for
    /// separators 64 bytes at a time and copying in blocks: no call per record.  Stops before
    /// a line it leaves to next() (so that next() reports it or hands it out): one equal to
    /// stop, one longer than max_record, one not fitting in what is left of room, or an
    /// incomplete one.
    Copied copy_lines_as_frames(std::string_view stop, char* out, std::size_t room);
    /// Frame mode, the fast way for recv: takes the complete frames held and writes each
    /// payload at out followed by separator, up to room bytes (and slack more, overwritten).
    /// Stops, as copy_lines_as_frames, before a frame whose payload equals stop, one longer
    /// than max_record, one not fitting, or an incomplete one.
    Copied copy_frames_as_lines(std::string_view stop, char* out, std::size_t room);

    /// Bytes held of a record not complete yet (0 at a record boundary).
    std::size_t pending() const { return end_ - pos_; }
    /// Those bytes, taken: the last line of a stream that lacks its separator.
    std::string_view take_rest();
    /// The length of the record Next::too_long was about: the frame's announced length, or
    /// how much of the line is held.
    std::uint64_t too_long_size() const { return too_long_; }

private:
    bool frames_;
    char separator_;
    std::size_t max_;
    std::size_t size_; ///< of buf_, less slack bytes that bulk copies may read past end_
    std::unique_ptr<char[]> buf_;
    std::size_t pos_ = 0, end_ = 0;
    std::size_t scanned_ = 0; ///< line mode: bytes after pos_ known to hold no separator
    std::uint64_t too_long_ = 0;
};

} // namespace syskit::pipekit

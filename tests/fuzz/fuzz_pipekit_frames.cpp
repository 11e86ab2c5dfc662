// The mailbox's reader of untrusted bytes from a FIFO: frames and lines cut out of a stream
// delivered in pieces, and compressed records decompressed under a limit.
#include "pipekit/codec.hpp"
#include "pipekit/records.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace syskit::pipekit;

namespace {

/// Feeds in to r in pieces of step bytes; what the records re-encoded give must be exactly
/// the part of the input they came from.
void cut(bool frames, std::string_view in, std::size_t step, std::size_t max) {
    RecordReader r(frames, '\n', max);
    std::string again;
    std::size_t fed = 0;
    bool stopped = false;
    while (fed < in.size() && !stopped) {
        auto space = r.space();
        if (space.size < 65536)
            std::abort();
        std::size_t n = std::min({step, in.size() - fed, space.size});
        std::memcpy(space.data, in.data() + fed, n);
        r.commit(n);
        fed += n;
        std::string_view rec;
        RecordReader::Next next;
        while ((next = r.next(rec)) == RecordReader::Next::record) {
            if (rec.size() > max)
                std::abort();
            if (frames)
                append_frame(again, rec);
            else
                (again += rec) += '\n';
        }
        stopped = next == RecordReader::Next::too_long;
    }
    if (!stopped && again.size() + r.pending() != fed)
        std::abort();
    if (in.substr(0, again.size()) != again)
        std::abort();
}

/// The other side's form of the records of in, as send (lines to frames) and recv (frames to
/// lines) make it: with bulk, the bulk copies into a room of room bytes take what they can and
/// next() the rest, which must come to the same bytes as next() alone.
std::string convert(bool frames, std::string_view in, std::size_t step, std::size_t max, bool bulk,
                    std::size_t room) {
    RecordReader r(frames, '\n', max);
    std::string out, buf(room + RecordReader::slack, '\0');
    for (std::size_t fed = 0; fed < in.size();) {
        auto space = r.space();
        std::size_t n = std::min({step, in.size() - fed, space.size});
        std::memcpy(space.data, in.data() + fed, n);
        r.commit(n);
        fed += n;
        for (;;) {
            if (bulk) {
                auto c = frames ? r.copy_frames_as_lines("EOD", buf.data(), room)
                                : r.copy_lines_as_frames("EOD", buf.data(), room);
                if (c.bytes > room)
                    std::abort();
                out.append(buf.data(), c.bytes);
            }
            std::string_view rec;
            auto next = r.next(rec);
            if (next == RecordReader::Next::too_long)
                return out;
            if (next != RecordReader::Next::record)
                break;
            if (frames)
                (out += rec) += '\n';
            else
                append_frame(out, rec);
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    std::size_t step = 1 + data[0] % 64 * 97;
    std::size_t max = 1 + data[1] * 16u;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
    cut(true, in, step, max);
    cut(false, in, step, max);
    std::size_t room = 1 + data[1] % 32 * 61;
    for (bool frames : {true, false})
        if (convert(frames, in, step, max, true, room) != convert(frames, in, step, max, false, room))
            std::abort();
    for (auto c : {Compression::gzip, Compression::zstd}) {
        Codec codec(c);
        std::string out, error;
        if (codec.decompress(in, max, out, error) && out.size() > max)
            std::abort();
    }
    return 0;
}

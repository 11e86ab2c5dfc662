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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    std::size_t step = 1 + data[0] % 64 * 97;
    std::size_t max = 1 + data[1] * 16u;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
    cut(true, in, step, max);
    cut(false, in, step, max);
    for (auto c : {Compression::gzip, Compression::zstd}) {
        Codec codec(c);
        std::string out, error;
        if (codec.decompress(in, max, out, error) && out.size() > max)
            std::abort();
    }
    return 0;
}

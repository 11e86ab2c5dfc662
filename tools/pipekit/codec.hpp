// codec: a record compressed on its own with gzip (zlib) or zstd (libzstd), so that frames
// from several writers stay independent of one another.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace syskit::pipekit {

enum class Compression { none, gzip, zstd };

/// Compresses and decompresses records one at a time, keeping its zlib and zstd state from
/// one record to the next (setting them up costs more than a small record does).
class Codec {
public:
    explicit Codec(Compression c);
    ~Codec();
    Codec(const Codec&) = delete;
    Codec& operator=(const Codec&) = delete;

    /// out = in compressed (a whole gzip member or zstd frame).  False with error when the
    /// library fails.
    bool compress(std::string_view in, std::string& out, std::string& error);
    /// out = in decompressed, refusing more than limit bytes of output (a small frame may
    /// expand a thousandfold).  False with error saying what is wrong: corrupt data, a
    /// truncated stream, data after its end, or too much output.
    bool decompress(std::string_view in, std::size_t limit, std::string& out, std::string& error);

private:
    struct State;
    Compression c_;
    std::unique_ptr<State> s_;
};

} // namespace syskit::pipekit

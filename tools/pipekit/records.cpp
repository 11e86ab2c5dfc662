#include "records.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace syskit::pipekit {

namespace {
constexpr std::size_t min_read = 64 * 1024;
constexpr std::size_t initial = 256 * 1024;
constexpr std::size_t small_rest = 4096;

/// Bit i set where p[i] is c, for the 64 bytes at p.
inline std::uint64_t matches(const char* p, char c) {
#if defined(__SSE2__)
    const __m128i cc = _mm_set1_epi8(c);
    auto part = [&](int i) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, cc))))
               << (16 * i);
    };
    return part(0) | part(1) | part(2) | part(3);
#else
    std::uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= static_cast<std::uint64_t>(p[i] == c) << i;
    return m;
#endif
}

/// Copies n bytes from in to out, in 32-byte blocks for a short run: up to 127 bytes more are
/// read after in + n and written after out + n (both buffers have the slack).  Cheaper for
/// the records of a log, a hundred bytes or so, than a call to memcpy that must stop exactly.
inline void copy_over(char* out, const char* in, std::size_t n) {
    if (n <= 128) {
        // The same four moves whatever n: no branch to mispredict on the length.
        for (std::size_t i = 0; i < 128; i += 32)
            std::memcpy(out + i, in + i, 32);
    } else if (n <= 512) {
        for (std::size_t i = 0; i < n; i += 32)
            std::memcpy(out + i, in + i, 32);
    } else {
        std::memcpy(out, in, n);
    }
}

inline bool equals(const char* p, std::size_t n, std::string_view s) {
    return n == s.size() && std::memcmp(p, s.data(), n) == 0;
}
} // namespace

RecordReader::RecordReader(bool frames, char separator, std::size_t max_record)
    : frames_(frames), separator_(separator), max_(max_record),
      // Room for the longest record, its header or separator, and a read after it.
      size_(std::max(initial, max_record + frame_header + min_read)),
      buf_(std::make_unique_for_overwrite<char[]>(size_ + slack)) {}

RecordReader::Space RecordReader::space() {
    // What is left of a record moves to the front when there is no room for a read after it,
    // and when it is short: reads then go to the same few pages, still in the cache.
    if (pos_ > 0 && (size_ - end_ < min_read || end_ - pos_ <= small_rest)) {
        std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
    }
    return {buf_.get() + end_, size_ - end_};
}

RecordReader::Next RecordReader::next(std::string_view& record) {
    std::size_t held = end_ - pos_;
    const char* p = buf_.get() + pos_;
    if (frames_) {
        if (held < frame_header)
            return Next::more;
        auto u = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
        std::uint64_t n = u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
        if (n > max_) {
            too_long_ = n;
            return Next::too_long;
        }
        if (held - frame_header < n)
            return Next::more;
        record = {p + frame_header, static_cast<std::size_t>(n)};
        pos_ += frame_header + static_cast<std::size_t>(n);
        return Next::record;
    }
    auto sep = static_cast<const char*>(std::memchr(p + scanned_, separator_, held - scanned_));
    if (!sep) {
        scanned_ = held;
        if (held > max_) {
            too_long_ = held;
            return Next::too_long;
        }
        return Next::more;
    }
    std::size_t n = static_cast<std::size_t>(sep - p);
    if (n > max_) {
        too_long_ = n;
        return Next::too_long;
    }
    record = {p, n};
    pos_ += n + 1;
    scanned_ = 0;
    return Next::record;
}

RecordReader::Copied RecordReader::copy_lines_as_frames(std::string_view stop, char* out, std::size_t room) {
    Copied c;
    const char* base = buf_.get() + pos_;
    const std::size_t held = end_ - pos_;
    std::size_t line = 0; // where the line being looked for starts, from base
    // Bytes from scanned_ on are read 64 at a time: the slack after end_ makes the last block
    // readable, and the bits past held are dropped.
    for (std::size_t at = line + scanned_; at < held; at += 64) {
        std::uint64_t m = matches(base + at, separator_);
        if (held - at < 64)
            m &= (std::uint64_t{1} << (held - at)) - 1;
        for (; m != 0; m &= m - 1) {
            std::size_t end = at + static_cast<std::size_t>(std::countr_zero(m));
            std::size_t n = end - line;
            if (n > max_ || equals(base + line, n, stop) || c.bytes + frame_header + n > room) {
                pos_ += line;
                scanned_ = 0;
                return c;
            }
            append_header(out + c.bytes, n);
            copy_over(out + c.bytes + frame_header, base + line, n);
            c.bytes += frame_header + n;
            c.records++;
            line = end + 1;
        }
    }
    pos_ += line;
    scanned_ = held - line;
    return c;
}

RecordReader::Copied RecordReader::copy_frames_as_lines(std::string_view stop, char* out, std::size_t room) {
    Copied c;
    for (;;) {
        const char* p = buf_.get() + pos_;
        std::size_t held = end_ - pos_;
        if (held < frame_header)
            return c;
        auto u = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(p[i])); };
        std::size_t n = u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
        if (n > max_ || held - frame_header < n || equals(p + frame_header, n, stop) || c.bytes + n + 1 > room)
            return c;
        copy_over(out + c.bytes, p + frame_header, n);
        out[c.bytes + n] = separator_;
        c.bytes += n + 1;
        c.records++;
        pos_ += frame_header + n;
    }
}

std::string_view RecordReader::take_rest() {
    std::string_view rest(buf_.get() + pos_, end_ - pos_);
    pos_ = end_;
    scanned_ = 0;
    return rest;
}

} // namespace syskit::pipekit

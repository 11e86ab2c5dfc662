#include "records.hpp"

#include <algorithm>
#include <cstring>

namespace syskit::pipekit {

namespace {
constexpr std::size_t min_read = 64 * 1024;
constexpr std::size_t initial = 256 * 1024;
} // namespace

RecordReader::RecordReader(bool frames, char separator, std::size_t max_record)
    : frames_(frames), separator_(separator), max_(max_record),
      // Room for the longest record, its header or separator, and a read after it.
      buf_(std::max(initial, max_record + frame_header + min_read)) {}

RecordReader::Space RecordReader::space() {
    if (buf_.size() - end_ < min_read && pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
    }
    return {buf_.data() + end_, buf_.size() - end_};
}

RecordReader::Next RecordReader::next(std::string_view& record) {
    std::size_t held = end_ - pos_;
    const char* p = buf_.data() + pos_;
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

std::string_view RecordReader::take_rest() {
    std::string_view rest(buf_.data() + pos_, end_ - pos_);
    pos_ = end_;
    scanned_ = 0;
    return rest;
}

} // namespace syskit::pipekit

// lines: cutting a byte stream into lines with a bound on their length, so a client that never
// sends a newline cannot make a server buffer without end.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace syskit::sockkit {

class LineReader {
public:
    /// max_line: the longest line accepted, its "\n" (or "\r\n") not counted.
    explicit LineReader(std::size_t max_line) : max_(max_line) {}

    /// Takes the next bytes of the stream and calls on_line with each line it completes,
    /// without its "\n" or "\r\n".  False once a line is longer than max_line: that line is
    /// never delivered, and the reader refuses everything after it.  Holds at most max_line + 1
    /// bytes between calls.
    bool feed(std::string_view data, const std::function<void(std::string_view)>& on_line);
    /// Bytes of an incomplete line held back.
    std::size_t buffered() const { return partial_.size(); }
    bool failed() const { return failed_; }

private:
    std::size_t max_;
    std::string partial_;
    bool failed_ = false;
};

} // namespace syskit::sockkit

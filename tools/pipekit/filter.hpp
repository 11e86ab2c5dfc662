// filter: the book's log processor, which keeps the lines at or above a level, from a file,
// standard input, or a FIFO that writers come to and go from.
#pragma once

#include "level.hpp"
#include "options.hpp"

#include <array>
#include <functional>
#include <string>
#include <cstdint>
#include <string_view>

namespace syskit::pipekit {

/// Cuts a stream into lines and decides each one's fate, in a buffer of fixed size: a line
/// longer than the buffer is judged by its first part and passed on (or dropped) in pieces,
/// so memory stays bounded whatever the input.
class LineFilter {
public:
    /// least: the least severe level kept; all: lines without a level too.
    /// emit: called with the bytes kept (whole lines, their newlines included, or pieces of
    /// one).
    LineFilter(Level least, bool all, std::function<void(std::string_view)> emit);

    /// Takes the next bytes of the stream.
    void feed(std::string_view data);
    /// The stream ended (or its writer went away): a last line without a newline is judged
    /// and, when kept, emitted with one.
    void end();

    /// Lines kept, by level.
    const std::array<std::uint64_t, level_count>& counts() const { return counts_; }

private:
    /// Whether a line (without its newline) is kept; counts it when it is.
    bool judge(std::string_view text);

    Level least_;
    bool all_;
    std::function<void(std::string_view)> emit_;
    std::array<std::uint64_t, level_count> counts_{};
    std::string carry_;          ///< the start of a line cut by the end of a feed
    bool in_long_ = false;       ///< inside a line already judged (it outgrew carry_)
    bool long_kept_ = false;
};

/// Runs `pipekit filter`: reads o.source (standard input when empty or "-"; a FIFO through
/// fs::open_fifo's checks), prints the lines kept, or with o.count how many of each level were
/// kept.  With o.follow the FIFO is reopened when its last writer goes away, until SIGINT or
/// SIGTERM.  Returns the exit status.
int filter(const FilterOptions& o);

} // namespace syskit::pipekit

// report: dirsize's sizes as du prints them (size, tab, path), NUL-ended lines or JSON lines.
#pragma once

#include "tally.hpp"

#include "cli/diag.hpp"
#include "out/text.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace syskit::dirsize {

/// The unit text sizes are printed in: du's -B SIZE.
struct BlockSize {
    std::uint64_t bytes = 1024; ///< sizes are divided by it, rounded up
    std::string suffix;         ///< printed after each size: "M" for -B M, "" for -B 1M
};

class Printer {
public:
    /// apparent: sizes are st_size (du -b), not disk usage (JSON says which); human, si:
    /// as 1.5K (powers of 1024) or 1.6k (powers of 1000), else in units of block; null:
    /// lines end with NUL; escape: control characters in paths escaped (stdout is a terminal);
    /// color: text sizes coloured by magnitude, a GiB or more red, a MiB or more yellow.
    Printer(out::Sink& sink, cli::Format format, bool apparent, bool human, bool si, BlockSize block, bool null,
            bool escape, bool color)
        : sink_(sink), format_(format), apparent_(apparent), human_(human), si_(si), block_(std::move(block)),
          null_(null), escape_(escape), color_(color) {}

    /// One path and its size.  complete: every entry below it could be read (JSON says so).
    void row(const Sized& s, bool complete) const;

    /// --depth: the directories of one root down to depth, and (-a) its other entries,
    /// each directory after what it holds, as du lists them.
    void tree(std::vector<Sized> directories, std::vector<Sized> entries, int depth, bool complete) const;

    /// --top: the n largest of list, largest first, ties by path.
    void top(std::vector<Sized> list, std::size_t n, bool complete) const;

    /// -c: the grand total of every root.
    void total(std::uint64_t size, bool complete) const;

private:
    std::string size_text(std::uint64_t bytes) const;
    void text_line(const std::string& line) const;

    out::Sink& sink_;
    cli::Format format_;
    bool apparent_, human_, si_;
    BlockSize block_;
    bool null_, escape_, color_;
};

} // namespace syskit::dirsize

// color: the ANSI colours --color paints with (SGR sequences), one set for every tool, so a
// warning is yellow and an error red wherever they are printed.  Whether to paint at all is
// cli::use_color's decision (--color, NO_COLOR, a terminal).
#pragma once

#include <string>
#include <string_view>

namespace syskit::out {

/// The colours, as SGR sequences.  What each means in the suite: red an error or a loss
/// (a removal, a write lock), yellow a warning or a wait, green what is well or new, cyan
/// what is only information, bold what to look at first.
namespace sgr {
inline constexpr std::string_view red = "\033[31m";
inline constexpr std::string_view bold_red = "\033[1;31m";
inline constexpr std::string_view yellow = "\033[33m";
inline constexpr std::string_view bold_yellow = "\033[1;33m";
inline constexpr std::string_view green = "\033[32m";
inline constexpr std::string_view cyan = "\033[36m";
inline constexpr std::string_view bold = "\033[1m";
inline constexpr std::string_view reset = "\033[0m";
} // namespace sgr

/// text between the sequence color and a reset when on is true; text as it is otherwise, or
/// when color is empty.
inline std::string paint(std::string_view text, std::string_view color, bool on) {
    std::string s;
    if (!on || color.empty())
        return s.append(text);
    s.reserve(color.size() + text.size() + sgr::reset.size());
    return s.append(color).append(text).append(sgr::reset);
}

} // namespace syskit::out

// The log filter's reading of untrusted log lines: the level parser, and the line cutter
// that must pass on whole lines of its input and nothing else.
#include "pipekit/filter.hpp"
#include "pipekit/level.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::pipekit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    Level l = line_level(in);
    if (static_cast<int>(l) < 0 || static_cast<int>(l) >= level_count)
        std::abort();
    if (auto named = level_from_name(in); named && level_name(*named).empty())
        std::abort();

    // With every line kept, the output is the input, with a newline added at the end when
    // it lacked one; pieces of any size.
    std::size_t step = size ? 1 + data[0] % 17 : 1;
    std::string out;
    std::uint64_t lines = 0;
    {
        LineFilter all(Level::trace, true, [&](std::string_view s) { out.append(s); });
        for (std::size_t at = 0; at < size; at += step)
            all.feed(in.substr(at, step));
        all.end();
        for (auto n : all.counts())
            lines += n;
    }
    std::string expected(in);
    if (!expected.empty() && expected.back() != '\n')
        expected += '\n';
    if (out != expected)
        std::abort();
    std::uint64_t newlines = 0;
    for (char c : expected)
        newlines += c == '\n';
    if (lines != newlines)
        std::abort();
    return 0;
}

// sockkit's chat line reader: any bytes, cut into pieces anywhere, give the same lines as
// cutting the whole stream at once; no line is longer than the limit or holds a newline, and
// the reader never holds more than the limit and one byte.
#include "sockkit/lines.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using syskit::sockkit::LineReader;
    if (size < 2)
        return 0;
    const std::size_t max = 1 + data[0] % 64;
    const std::size_t step = 1 + data[1] % 16;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

    std::vector<std::string> whole, pieces;
    LineReader a(max), b(max);
    bool ok_a = a.feed(in, [&](std::string_view l) { whole.emplace_back(l); });
    bool ok_b = true;
    for (std::size_t at = 0; at < in.size() && ok_b; at += step) {
        ok_b = b.feed(in.substr(at, step), [&](std::string_view l) { pieces.emplace_back(l); });
        check(b.buffered() <= max + 1);
    }
    check(ok_a == ok_b);
    check(whole == pieces);
    for (auto& l : whole) {
        check(l.size() <= max);
        check(l.find('\n') == std::string::npos);
    }
    // What the reader gave back is the input up to its last newline, CRs before newlines aside.
    if (ok_a) {
        std::string joined;
        for (auto& l : whole)
            joined += l + "\n";
        std::string expected(in.substr(0, in.rfind('\n') + 1));
        std::string stripped;
        for (std::size_t i = 0; i < expected.size(); ++i)
            if (!(expected[i] == '\r' && i + 1 < expected.size() && expected[i + 1] == '\n'))
                stripped += expected[i];
        check(joined == stripped);
    }
    return 0;
}

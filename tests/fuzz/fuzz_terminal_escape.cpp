// Terminal escaping of untrusted bytes: nothing that can drive a terminal comes out.
#include "out/text.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string out = syskit::out::escape_for_terminal(in);
    for (unsigned char c : out)
        if (c < 0x20 || c == 0x7F)
            std::abort();
    syskit::out::shell_quote(in);
    return 0;
}

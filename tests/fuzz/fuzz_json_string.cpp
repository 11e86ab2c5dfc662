// JSON escaping of untrusted bytes (file names): never invalid JSON, never lossy.
#include "out/json.hpp"

#include "../common/json_string_decode.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string escaped;
    syskit::out::append_json_string(escaped, in);
    auto back = syskit::test::decode_json_string(escaped);
    if (!back || *back != in)
        std::abort();
    return 0;
}

// Private key sniffing on untrusted file content.
#include "permscan/secrets.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    bool found = syskit::permscan::holds_private_key(in);
    if (found && in.find("PRIVATE KEY-----") == std::string_view::npos)
        std::abort();
    syskit::permscan::classify_name(in);
    return 0;
}

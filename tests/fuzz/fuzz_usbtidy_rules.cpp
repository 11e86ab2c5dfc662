// Parsing an untrusted --rules file: refused with a reason, or rules whose every folder is
// a name organize may create, for any file name.
#include "usbtidy/rules.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::usbtidy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto rules = Rules::parse(in, why);
    if (!rules)
        return why.empty() ? (std::abort(), 0) : 0;
    for (auto& [ext, folder] : rules->groups()) {
        std::string folder_why;
        if (!valid_folder(folder, folder_why) || ext != ascii_lower(ext) ||
            rules->folder_for("x." + ext) != folder)
            std::abort();
    }
    // Each line of the input as a file name goes somewhere valid.
    std::size_t start = 0;
    while (start <= in.size()) {
        auto nl = in.find('\n', start);
        auto name = in.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        std::string folder_why;
        auto folder = rules->folder_for(name);
        if (!valid_folder(folder, folder_why) && folder != other_folder)
            std::abort();
        if (nl == std::string_view::npos)
            break;
        start = nl + 1;
    }
    return 0;
}

#include "include.hpp"

namespace syskit::inwatch {

std::shared_ptr<const PathRegex> PathRegex::compile(const std::string& pattern, bool icase, std::string& error) {
    regex_t re;
    int rc = regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    if (rc != 0) {
        char buf[256];
        regerror(rc, &re, buf, sizeof buf);
        error = buf;
        return nullptr; // a failed regcomp has freed what it allocated
    }
    return std::shared_ptr<const PathRegex>(new PathRegex(re));
}

} // namespace syskit::inwatch

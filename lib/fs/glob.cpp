#include "fs/glob.hpp"

#include <fnmatch.h>

namespace syskit::fs {

GlobSet::GlobSet(std::vector<std::string> patterns) {
    for (auto& p : patterns)
        add(std::move(p));
}

void GlobSet::add(std::string pattern) {
    if (pattern.find('/') == std::string::npos)
        name_patterns_.push_back(std::move(pattern));
    else
        path_patterns_.push_back(std::move(pattern));
}

bool GlobSet::matches(std::string_view path, std::string_view name) const {
    if (!name_patterns_.empty()) {
        std::string n(name);
        for (const auto& p : name_patterns_)
            if (fnmatch(p.c_str(), n.c_str(), 0) == 0)
                return true;
    }
    if (!path_patterns_.empty()) {
        std::string full(path);
        for (const auto& p : path_patterns_)
            if (fnmatch(p.c_str(), full.c_str(), 0) == 0)
                return true;
    }
    return false;
}

} // namespace syskit::fs

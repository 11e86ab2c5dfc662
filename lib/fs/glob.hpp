// glob: the --exclude/--include/--allow patterns of every tool.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace syskit::fs {

/// A list of shell patterns (fnmatch(3)).  A pattern without a slash is matched against an
/// entry's name, so "*.o" or ".git" match at any depth; a pattern with a slash is matched
/// against the whole path as the tool prints it, and there '*' also matches '/'.
class GlobSet {
public:
    GlobSet() = default;
    explicit GlobSet(std::vector<std::string> patterns);

    void add(std::string pattern);
    bool empty() const { return name_patterns_.empty() && path_patterns_.empty(); }
    /// Whether any pattern matches.  path: the full path; name: its last component.
    bool matches(std::string_view path, std::string_view name) const;

private:
    std::vector<std::string> name_patterns_;
    std::vector<std::string> path_patterns_;
};

} // namespace syskit::fs

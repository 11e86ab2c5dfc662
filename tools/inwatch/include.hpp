// include: --include and --includei, inotifywait's filters: only events whose path matches a
// POSIX extended regular expression are reported.
#pragma once

#include "notify/inotify.hpp"

#include <regex.h>

#include <memory>
#include <string>

namespace syskit::inwatch {

/// A compiled POSIX extended regular expression (regcomp(3)), freed with the object.
class PathRegex {
public:
    /// Compiles pattern, ignoring case when icase.  nullptr, with what regcomp said in
    /// error, when it is not a valid expression.
    static std::shared_ptr<const PathRegex> compile(const std::string& pattern, bool icase, std::string& error);

    ~PathRegex() { regfree(&re_); }
    PathRegex(const PathRegex&) = delete;
    PathRegex& operator=(const PathRegex&) = delete;

    /// Whether the expression matches anywhere in s (anchor it with ^ and $ to match all of it).
    bool matches(const std::string& s) const { return regexec(&re_, s.c_str(), 0, nullptr, 0) == 0; }

    /// Whether an event is one to report: its path, or for a paired move either of its paths,
    /// matches (inotifywait matches the watched directory's path joined with the name).
    bool admits(const notify::Event& e) const { return matches(e.path) || (!e.from.empty() && matches(e.from)); }

private:
    /// Takes over re, which regcomp filled.
    explicit PathRegex(const regex_t& re) : re_(re) {}
    regex_t re_;
};

} // namespace syskit::inwatch

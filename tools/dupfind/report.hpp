// report: dupfind's groups, counts and actions as text, JSON lines or NUL-separated paths.
#pragma once

#include "act.hpp"
#include "finder.hpp"
#include "hash.hpp"

#include "cli/diag.hpp"
#include "out/text.hpp"

#include <vector>

namespace syskit::dupfind {

struct ReportOptions {
    cli::Format format = cli::Format::text;
    bool null = false;      ///< -0: paths each followed by a NUL, a NUL after each group
    bool escape = false;    ///< escape control characters in paths (stdout is a terminal)
    bool hardlinks = false; ///< every name of a file with several, not only its first
    HashKind hash = HashKind::xxh3; ///< the algorithm the digests come from
    bool color = false;     ///< --color: the kept file of each group (the first) in bold, in text
};

/// Prints each group: its files' names one a line and a blank line after it; with -0 each
/// name and then the group's end as NUL-terminated records; in JSON one object per group
/// (size, hash, algorithm, paths).
void print_groups(out::Sink& sink, const std::vector<Group>& groups, const ReportOptions& o);

/// Prints how many groups and copies there are, and the bytes removing the copies frees.
void print_summary(out::Sink& sink, const std::vector<Group>& groups, const ReportOptions& o);

/// Prints one action done, or to do without --apply: its command, or in JSON an object
/// with the path, the file kept, the command and whether it was applied.
void print_action(out::Sink& sink, const Done& done, bool applied, const ReportOptions& o);

} // namespace syskit::dupfind

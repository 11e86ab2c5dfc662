// config: logroll's configuration files, in logrotate's block syntax (the subset logroll
// supports), parsed into one entry per block with every directive resolved; and the same
// entries written back as text, for --convert.
#pragma once

#include "names.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::logroll::config {

enum class Interval { none, hourly, daily, weekly, monthly, yearly };

/// "daily", "weekly", ...; "" for none.
std::string_view interval_name(Interval i);

/// What a block (or, outside any block, the defaults that follow) says about its logs.
struct Directives {
    Interval interval = Interval::none;
    std::optional<std::uint64_t> size;    ///< rotate once bigger than this, whatever the time
    std::optional<std::uint64_t> maxsize; ///< with an interval: rotate before it is due past this
    std::optional<std::uint64_t> minsize; ///< with an interval: not before the log is this big
    std::uint64_t rotate = 0;             ///< rotated copies kept; logrotate's default, 0, keeps none
    std::optional<std::int64_t> maxage;   ///< seconds: rotated copies last written longer ago go
    bool compress = false;
    Compression algorithm = Compression::gzip; ///< when compress: gzip, or zstd from compresscmd
    bool delaycompress = false;
    bool dateext = false;       ///< timestamped names (NAME.20240131T235959Z) rather than numbered
    std::string dateformat;     ///< as given; logroll's stamp replaces it (kept for --convert)
    bool copytruncate = false;
    bool missingok = false;
    bool ifempty = true;
    bool sharedscripts = false;
    bool create = false;
    std::optional<mode_t> create_mode; ///< unset: the rotated log's mode
    std::string create_owner, create_group; ///< "": the rotated log's
    std::string olddir;         ///< "": beside the log; relative: to the log's directory
    std::string su_user, su_group; ///< "" when no su
    bool scripts_as_root = false; ///< with su: scripts keep logroll's own ids (logrotate's way)
    std::string prerotate, postrotate, firstaction, lastaction;
    double script_timeout = 300; ///< seconds a script may run before it is killed
};

/// A message about one line of a configuration file.
struct Note {
    std::string file;
    unsigned line = 0;
    std::string text;
};

/// One block: its patterns and what applies to them (the defaults before it included).
struct Block {
    std::vector<std::string> patterns;
    Directives d;
    std::string file;
    unsigned line = 0;
    /// Comments --convert writes into the block: a directive ignored, or what logroll does
    /// instead of what logrotate would.
    std::vector<std::string> comments;
};

struct Config {
    std::vector<Block> blocks;   ///< in the order the files define them
    std::vector<Note> warnings;  ///< directives ignored, and why
    std::vector<Note> errors;    ///< what made a block or a file be refused
    std::vector<std::string> tabooext{",v", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist",
                                      ".dpkg-new", ".dpkg-old", ".dpkg-tmp", ".rhn-cfg-tmp-*", ".rpmnew",
                                      ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new", ".ucf-old", "~"};
    std::vector<std::string> taboopat;
    /// Comments on the defaults outside any block, for --convert.
    std::vector<std::string> global_comments;
};

/// Reads the text an include names (a file, or the files of a directory): false, with
/// error set, when it cannot.
using Includer = std::function<bool(const std::string& path, Directives& defaults, Config& into, unsigned depth,
                                    std::string& error)>;

/// Parses text, the contents of the file called name, into cfg: each block takes the
/// defaults set before it (defaults, updated by what the text sets outside blocks).  A block
/// with a refused or unknown directive is left out and the reason added to cfg.errors; a
/// syntax error (an unclosed block or script, a stray brace) leaves out the rest of the text.
/// include calls includer, with depth + 1; none given, include is an error.
void parse(std::string_view text, const std::string& name, Directives& defaults, Config& cfg,
           const Includer& includer = {}, unsigned depth = 0);

/// Loads path: a file, or every file of a directory in name order (hidden ones and those
/// with a taboo extension left out, as logrotate's include does), includes followed on the
/// file system.  False, with error set, when path itself cannot be read.
bool load(const std::string& path, Config& cfg, std::string& error);

/// Whether a directory entry is left out by include: hidden, or a taboo extension or
/// pattern.
bool taboo(const Config& cfg, std::string_view name);

/// The block as logroll's configuration text: its patterns and every directive that differs
/// from the defaults, with its comments, ready to be parsed again to the same block.
std::string to_text(const Block& b);

} // namespace syskit::logroll::config

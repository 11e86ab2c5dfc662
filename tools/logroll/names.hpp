// names: the names of rotated logs, made and recognised: NAME.20240131T235959Z (UTC, sorts
// by time), NAME.20240131T235959Z.2 (the third rotation in that second), NAME.7 (--numbered),
// each optionally followed by .gz or .zst.  Retention deletes only what parse_rotated accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::logroll {

enum class Scheme { timestamp, numbered };
enum class Compression { none, gzip, zstd };

/// ".gz", ".zst", or "" for none.
std::string_view extension(Compression c);

/// 20240131T235959Z for t seconds since the epoch, in UTC.
std::string stamp(std::int64_t t);

/// The time a stamp names; nullopt unless s is exactly what stamp() makes of some time
/// (so 20240230T000000Z, a day February does not have, is refused).
std::optional<std::int64_t> parse_stamp(std::string_view s);

/// The name of a rotated file.  timestamp: base.STAMP, or base.STAMP.seq when seq > 0 (a
/// collision in the same second); numbered: base.seq.  Without a compression extension.
std::string rotated_name(std::string_view base, Scheme scheme, std::int64_t time, std::uint64_t seq);

/// A rotated file recognised in the log's directory.
struct Rotated {
    std::string name;
    Scheme scheme = Scheme::timestamp;
    std::int64_t time = 0;  ///< timestamp: the stamp's time; numbered: 0
    std::uint64_t seq = 0;  ///< timestamp: the collision counter; numbered: the number
    Compression compression = Compression::none;

    /// What a rotation and its compressed copy share: ordered oldest first.
    bool operator<(const Rotated& o) const { return time != o.time ? time < o.time : seq < o.seq; }
    bool same_rotation(const Rotated& o) const { return time == o.time && seq == o.seq; }
};

/// Whether name is a rotated file of base in scheme, and which.  Numbers have no leading
/// zero and at most 18 digits; anything else (base.1~, base.old, .base.1.tmp) is not ours.
std::optional<Rotated> parse_rotated(std::string_view base, Scheme scheme, std::string_view name);

} // namespace syskit::logroll

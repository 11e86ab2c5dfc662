// retention: which rotated files --keep, --max-age and --max-total let go, oldest first.
#pragma once

#include "names.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace syskit::logroll {

struct Retention {
    std::optional<std::uint64_t> keep;      ///< rotations kept, newest first
    std::optional<std::int64_t> max_age;    ///< seconds since a rotated file's last write
    std::optional<std::uint64_t> max_total; ///< bytes the rotated files may take together

    bool any() const { return keep || max_age || max_total; }
};

/// A rotated file as the directory shows it.
struct Candidate {
    Rotated rotated;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
};

/// The files to delete, oldest first.  A rotation and its compressed copy (both present
/// while it is compressed, or after a crash) count as one rotation and go together.  A
/// rotation goes when it is past the newest keep ones, when its newest file was last
/// written more than max_age before now, or when it and the newer ones take more than
/// max_total bytes.
std::vector<Candidate> select_expired(std::vector<Candidate> all, const Retention& r, std::int64_t now);

} // namespace syskit::logroll

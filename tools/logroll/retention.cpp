#include "retention.hpp"

#include <algorithm>

namespace syskit::logroll {

std::vector<Candidate> select_expired(std::vector<Candidate> all, const Retention& r, std::int64_t now) {
    // Newest first; a rotation's files next to each other.
    std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
        if (b.rotated < a.rotated)
            return true;
        if (a.rotated < b.rotated)
            return false;
        return a.rotated.name < b.rotated.name;
    });
    std::vector<Candidate> expired;
    std::uint64_t kept = 0, total = 0;
    bool over_total = false;
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        std::uint64_t size = 0;
        std::int64_t mtime = all[i].mtime;
        for (; j < all.size() && all[j].rotated.same_rotation(all[i].rotated); ++j) {
            size += all[j].size;
            mtime = std::max(mtime, all[j].mtime);
        }
        total += size;
        over_total = over_total || (r.max_total && total > *r.max_total);
        bool go = (r.keep && kept >= *r.keep) || (r.max_age && now - mtime > *r.max_age) || over_total;
        if (go)
            expired.insert(expired.end(), all.begin() + static_cast<std::ptrdiff_t>(i),
                           all.begin() + static_cast<std::ptrdiff_t>(j));
        else
            ++kept;
        i = j;
    }
    std::reverse(expired.begin(), expired.end());
    return expired;
}

} // namespace syskit::logroll

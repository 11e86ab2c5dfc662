#include "keep.hpp"

#include <algorithm>

namespace syskit::dupfind {

Keep parse_keep(std::string_view text) {
    Keep k;
    if (text == "first")
        k.rule = KeepRule::first;
    else if (text == "oldest")
        k.rule = KeepRule::oldest;
    else if (text == "newest")
        k.rule = KeepRule::newest;
    else if (text == "shortest-path")
        k.rule = KeepRule::shortest_path;
    else {
        k.rule = KeepRule::glob;
        k.glob.add(std::string(text));
    }
    return k;
}

void order_group(Group& group, const Keep& keep) {
    auto first = [](const File& a, const File& b) {
        const Name &x = a.names[0], &y = b.names[0];
        return x.root != y.root ? x.root < y.root : x.path < y.path;
    };
    auto matches = [&](const File& f) {
        for (const Name& n : f.names) {
            std::string_view p = n.path;
            std::size_t slash = p.rfind('/');
            if (keep.glob.matches(p, slash == std::string_view::npos ? p : p.substr(slash + 1)))
                return true;
        }
        return false;
    };
    std::stable_sort(group.files.begin(), group.files.end(), [&](const File& a, const File& b) {
        switch (keep.rule) {
        case KeepRule::first:
            break;
        case KeepRule::oldest:
        case KeepRule::newest:
            if (a.mtime_sec != b.mtime_sec || a.mtime_nsec != b.mtime_nsec) {
                bool older = a.mtime_sec != b.mtime_sec ? a.mtime_sec < b.mtime_sec : a.mtime_nsec < b.mtime_nsec;
                return keep.rule == KeepRule::oldest ? older : !older;
            }
            break;
        case KeepRule::shortest_path:
            if (a.names[0].path.size() != b.names[0].path.size())
                return a.names[0].path.size() < b.names[0].path.size();
            break;
        case KeepRule::glob: {
            bool ma = matches(a), mb = matches(b);
            if (ma != mb)
                return ma;
            break;
        }
        }
        return first(a, b);
    });
}

} // namespace syskit::dupfind

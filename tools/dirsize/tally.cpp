#include "tally.hpp"

#include <algorithm>
#include <cerrno>
#include <unordered_map>

namespace syskit::dirsize {

// Not in an anonymous namespace: Tally::Worker holds them, and a member of a type with
// internal linkage in a class with external linkage is what -Wsubobject-linkage warns of.
struct DirSum {
    std::uint64_t own = 0; ///< the directory itself and the files directly in it
    int depth = 0;
};

/// A file with several names: counted once, under its first name, after the walk.
struct Linked {
    fs::FileId id;
    std::string path;
    std::string parent;
    std::uint64_t size;
    int depth;
};

namespace {

bool larger(const Sized& a, const Sized& b) { return a.size != b.size ? a.size > b.size : a.path < b.path; }

/// Keeps the n largest of what it is offered.
void offer(std::vector<Sized>& heap, std::size_t n, Sized s) {
    if (heap.size() < n) {
        heap.push_back(std::move(s));
        std::push_heap(heap.begin(), heap.end(), larger);
    } else if (larger(s, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), larger);
        heap.back() = std::move(s);
        std::push_heap(heap.begin(), heap.end(), larger);
    }
}

} // namespace

struct Tally::Worker {
    std::uint64_t total = 0;
    std::uint64_t errors = 0;
    std::unordered_map<std::string, DirSum> dirs;
    std::string last_parent;
    DirSum* last_sum = nullptr;
    std::vector<Linked> linked;
    std::vector<Sized> files; ///< a heap of the largest
    std::vector<Sized> entries; ///< with all_entries
    std::vector<fs::FileId> counted; ///< with remember_all

    DirSum& dir(std::string_view parent) {
        if (!last_sum || last_parent != parent) {
            last_parent.assign(parent);
            last_sum = &dirs[last_parent];
        }
        return *last_sum;
    }
};

bool post_order_less(std::string_view a, std::string_view b) {
    std::size_t i = 0, n = std::min(a.size(), b.size());
    while (i < n && a[i] == b[i])
        ++i;
    // A directory given with a trailing slash ("t/") holds "t/a" just as "t" does.
    auto holds = [](std::string_view dir, std::string_view p, std::size_t common) {
        return common == dir.size() && common < p.size() && (p[common] == '/' || (!dir.empty() && dir.back() == '/'));
    };
    if (holds(a, b, i))
        return false; // a holds b: a comes after
    if (holds(b, a, i))
        return true;
    // Within a component, '/' (its end) sorts before any byte, and a name's end before '/'.
    auto rank = [](std::string_view s, std::size_t k) {
        return k == s.size() ? -1 : s[k] == '/' ? 0 : static_cast<unsigned char>(s[k]) + 1;
    };
    return rank(a, i) < rank(b, i);
}

RootTotal Tally::walk(const std::string& root, fs::WalkOptions wopt,
                      const std::function<void(const fs::Entry&)>& on_error, fs::WalkCounters* counters) {
    wopt.roots = {root};
    wopt.flags |= fs::walk_stat;
    std::vector<Worker> workers(fs::walk_threads(wopt));
    dev_t root_dev = 0;
    bool found = false;

    fs::walk(
        wopt,
        [&](const fs::Entry& e) {
            Worker& w = workers[e.worker];
            if (!e.loop_of.empty()) {
                on_error(e);
                return fs::Action::prune;
            }
            // Following links, a directory reached again below itself was counted as the
            // ancestor it is: du -L passes over it in silence.
            if (opt_.follow && e.error == ELOOP && e.st)
                return fs::Action::prune;
            if (e.error || !e.st || e.link_error) {
                ++w.errors;
                on_error(e);
                return fs::Action::next;
            }
            const struct statx& st = *e.st;
            fs::FileId id = fs::file_id(st);
            if (opt_.remember_all && counted_.count(id))
                return fs::Action::prune; // an earlier root counted it, and what it holds
            if (opt_.follow) {
                std::lock_guard lock(seen_mu_);
                if (!seen_.insert(id).second)
                    return fs::Action::prune; // reached before by another path
            }
            if (e.depth == 0) {
                root_dev = id.dev;
                found = true;
            } else if (opt_.one_file_system && id.dev != root_dev) {
                return fs::Action::prune; // du -x counts nothing of another file system
            }
            std::uint64_t size = opt_.apparent ? st.stx_size : st.stx_blocks * 512;
            bool is_dir = S_ISDIR(st.stx_mode);
            std::string_view parent =
                e.depth == 0 ? std::string_view() : e.depth == 1 ? std::string_view(root)
                                                                 : e.path.substr(0, e.path.size() - e.name.size() - 1);
            if (!is_dir && st.stx_nlink > 1 && !opt_.follow) {
                w.linked.push_back({id, std::string(e.path), std::string(e.depth == 0 ? e.path : parent), size, e.depth});
                return fs::Action::next;
            }
            w.total += size;
            if (opt_.remember_all)
                w.counted.push_back(id);
            if (opt_.per_directory) {
                if (is_dir || e.depth == 0) { // a file given as a root stands for itself
                    DirSum& d = w.dirs[std::string(e.path)];
                    d.own += size;
                    d.depth = e.depth;
                } else {
                    w.dir(parent).own += size;
                }
            }
            if (opt_.largest_files && !is_dir)
                offer(w.files, opt_.largest_files, Sized{std::string(e.path), size, e.depth});
            if (opt_.all_entries && !is_dir && e.depth > 0)
                w.entries.push_back(Sized{std::string(e.path), size, e.depth});
            return fs::Action::next;
        },
        counters);

    RootTotal result;
    result.total.path = root;
    result.found = found;
    std::unordered_map<std::string, DirSum> dirs;
    std::vector<Linked> linked;
    std::vector<Sized> files;
    for (Worker& w : workers) {
        result.total.size += w.total;
        result.errors += w.errors;
        for (auto& [path, sum] : w.dirs) {
            DirSum& d = dirs[path];
            d.own += sum.own;
            d.depth = std::max(d.depth, sum.depth);
        }
        std::move(w.linked.begin(), w.linked.end(), std::back_inserter(linked));
        for (Sized& f : w.files)
            offer(files, opt_.largest_files, std::move(f));
        std::move(w.entries.begin(), w.entries.end(), std::back_inserter(result.entries));
        counted_.insert(w.counted.begin(), w.counted.end());
    }

    // Each multiply-linked file counts once, under the name that sorts first.
    std::sort(linked.begin(), linked.end(), [](const Linked& a, const Linked& b) {
        return a.id.dev != b.id.dev ? a.id.dev < b.id.dev : a.id.ino != b.id.ino ? a.id.ino < b.id.ino : a.path < b.path;
    });
    for (std::size_t i = 0; i < linked.size(); ++i) {
        if (i > 0 && linked[i].id == linked[i - 1].id)
            continue;
        if (opt_.remember_all && !counted_.insert(linked[i].id).second)
            continue;
        result.total.size += linked[i].size;
        if (opt_.per_directory)
            dirs[linked[i].parent].own += linked[i].size;
        if (opt_.largest_files)
            offer(files, opt_.largest_files, Sized{linked[i].path, linked[i].size, linked[i].depth});
        if (opt_.all_entries && linked[i].depth > 0)
            result.entries.push_back(Sized{linked[i].path, linked[i].size, linked[i].depth});
    }
    if (opt_.follow) {
        if (opt_.remember_all)
            counted_.insert(seen_.begin(), seen_.end());
        seen_.clear();
    }

    if (opt_.per_directory) {
        // Deepest first, each directory's total is final when it is added to its parent's.
        std::vector<std::pair<const std::string*, DirSum*>> order;
        order.reserve(dirs.size());
        for (auto& [path, sum] : dirs)
            order.emplace_back(&path, &sum);
        std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second->depth > b.second->depth; });
        for (auto& [path, sum] : order) {
            result.directories.push_back(Sized{*path, sum->own, sum->depth});
            if (sum->depth == 0)
                continue;
            std::string parent = sum->depth == 1 ? root : path->substr(0, path->rfind('/'));
            auto it = dirs.find(parent);
            if (it != dirs.end())
                it->second.own += sum->own;
        }
    }
    std::sort(files.begin(), files.end(), larger);
    result.files = std::move(files);
    return result;
}

} // namespace syskit::dirsize

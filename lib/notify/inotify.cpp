#include "notify/inotify.hpp"

#include "fs/walk.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace syskit::notify {

namespace {

/// Events a recursive watcher needs for itself, whatever the user asked for.
constexpr std::uint32_t tree_events = IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE;

std::string join(std::string_view dir, std::string_view name) {
    std::string p(dir);
    if (!name.empty()) {
        if (p.empty() || p.back() != '/')
            p += '/';
        p += name;
    }
    return p;
}

std::string read_proc_value(const char* path) {
    std::ifstream in(path);
    std::string v;
    in >> v;
    return v.empty() ? "?" : v;
}

} // namespace

const std::vector<EventName>& event_names() {
    static const std::vector<EventName> names{
        {"ACCESS", IN_ACCESS},         {"MODIFY", IN_MODIFY},           {"ATTRIB", IN_ATTRIB},
        {"CLOSE_WRITE", IN_CLOSE_WRITE}, {"CLOSE_NOWRITE", IN_CLOSE_NOWRITE}, {"OPEN", IN_OPEN},
        {"MOVED_FROM", IN_MOVED_FROM}, {"MOVED_TO", IN_MOVED_TO},       {"CREATE", IN_CREATE},
        {"DELETE", IN_DELETE},         {"DELETE_SELF", IN_DELETE_SELF}, {"MOVE_SELF", IN_MOVE_SELF},
        {"UNMOUNT", IN_UNMOUNT},       {"Q_OVERFLOW", IN_Q_OVERFLOW},   {"IGNORED", IN_IGNORED},
        {"ISDIR", IN_ISDIR},
    };
    return names;
}

std::string mask_names(std::uint32_t mask) {
    std::string s;
    for (const auto& [name, bit] : event_names()) {
        if (mask & bit) {
            if (!s.empty())
                s += ',';
            s += name;
        }
    }
    return s;
}

std::uint32_t parse_events(std::string_view list, std::string& bad) {
    static const std::vector<std::pair<std::string_view, std::uint32_t>> words{
        {"access", IN_ACCESS},         {"modify", IN_MODIFY},       {"attrib", IN_ATTRIB},
        {"close_write", IN_CLOSE_WRITE}, {"close_nowrite", IN_CLOSE_NOWRITE}, {"close", IN_CLOSE},
        {"open", IN_OPEN},             {"moved_from", IN_MOVED_FROM}, {"moved_to", IN_MOVED_TO},
        {"move", IN_MOVE},             {"create", IN_CREATE},       {"delete", IN_DELETE},
        {"delete_self", IN_DELETE_SELF}, {"move_self", IN_MOVE_SELF}, {"unmount", IN_UNMOUNT},
        {"all", IN_ALL_EVENTS},
    };
    std::uint32_t mask = 0;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        std::string_view w = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        pos = comma == std::string_view::npos ? list.size() + 1 : comma + 1;
        auto it = std::find_if(words.begin(), words.end(), [&](const auto& p) { return p.first == w; });
        if (it == words.end()) {
            bad = std::string(w);
            return 0;
        }
        mask |= it->second;
    }
    return mask;
}

bool parse_records(const char* buf, std::size_t size, const std::function<void(const RawEvent&)>& each) {
    std::size_t off = 0;
    while (off < size) {
        struct inotify_event head;
        if (size - off < sizeof head)
            return false;
        std::memcpy(&head, buf + off, sizeof head); // records are not aligned for us
        off += sizeof head;
        if (head.len > size - off)
            return false;
        std::string_view name;
        if (head.len > 0) {
            const char* n = buf + off;
            const void* nul = std::memchr(n, '\0', head.len);
            if (!nul)
                return false;
            name = std::string_view(n, static_cast<std::size_t>(static_cast<const char*>(nul) - n));
        }
        off += head.len;
        each(RawEvent{head.wd, head.mask, head.cookie, name});
    }
    return true;
}

Watcher::Watcher(std::uint32_t mask, bool recursive, fs::GlobSet exclude, Report report)
    : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), mask_(mask), recursive_(recursive), exclude_(std::move(exclude)),
      report_(std::move(report)) {
    if (!fd_)
        throw std::system_error(errno, std::generic_category(), "inotify_init1");
    // The kernel sizes this instance's queue from the limit now; a later change of the
    // limit does not resize it.
    queue_size_ = read_proc_value("/proc/sys/fs/inotify/max_queued_events");
}

int Watcher::add_watch(const std::string& path) {
    std::uint32_t watch_mask = mask_ | IN_MOVED_FROM | IN_MOVED_TO | IN_EXCL_UNLINK | (recursive_ ? tree_events : 0);
    int wd = inotify_add_watch(fd_.get(), path.c_str(), watch_mask);
    if (wd < 0)
        return -errno;
    std::lock_guard lock(mu_);
    auto [it, added] = paths_.try_emplace(wd, path);
    if (!added && it->second != path) { // the same directory reached by a new name
        wds_.erase(it->second);
        it->second = path;
    }
    wds_[path] = wd;
    return wd;
}

std::size_t Watcher::count_directories(const std::string& root) {
    fs::WalkOptions o;
    o.roots = {root};
    o.exclude = exclude_;
    std::atomic<std::size_t> dirs{0};
    fs::walk(o, [&](const fs::Entry& e) {
        if (e.type == S_IFDIR && !e.error)
            ++dirs;
        return fs::Action::next;
    });
    return dirs;
}

bool Watcher::watch_tree(const std::string& root, bool report_found, std::vector<Event>* found) {
    fs::WalkOptions o;
    o.roots = {root};
    o.exclude = exclude_;
    o.max_depth = recursive_ ? -1 : 1; // without recursion only the root's own entries
    o.threads = report_found ? 1 : 0; // a scan on arrival is small; the first set-up is not
    if (report_found && (mask_ & IN_MODIFY))
        o.flags = fs::walk_stat; // a file's size tells whether it was written
    std::mutex found_mu;
    bool full = false;
    fs::walk(o, [&](const fs::Entry& e) {
        if (e.error) {
            if (e.error != ENOENT) // gone already: its delete event tells
                report_(e.path, std::strerror(e.error));
            return fs::Action::next;
        }
        if (e.type == S_IFDIR && (recursive_ || e.depth == 0)) {
            int wd = add_watch(std::string(e.path));
            if (wd == -ENOSPC) {
                full = true;
                return fs::Action::stop;
            }
            if (wd < 0 && wd != -ENOENT)
                report_(e.path, std::strerror(-wd));
        }
        if (report_found && e.depth > 0) {
            std::lock_guard lock(found_mu);
            bool dir = e.type == S_IFDIR;
            std::uint32_t could = IN_CREATE | (dir ? IN_ISDIR : 0u);
            if (e.type == S_IFREG)
                could |= IN_CLOSE_WRITE | (e.st && e.st->stx_size > 0 ? IN_MODIFY : 0u);
            found->push_back(Event{std::string(e.path), {}, could, dir, true});
        }
        return fs::Action::next;
    });
    if (!full)
        return true;
    report_(root, fmt::format("out of inotify watches: /proc/sys/fs/inotify/max_user_watches is {} and this "
                              "tree needs {} (one per directory); raise it with sysctl "
                              "fs.inotify.max_user_watches=N",
                              read_proc_value("/proc/sys/fs/inotify/max_user_watches"), count_directories(root)));
    return false;
}

bool Watcher::add_root(const std::string& root) {
    int wd = add_watch(root);
    if (wd < 0) {
        if (wd == -ENOSPC)
            report_(root, fmt::format("out of inotify watches: /proc/sys/fs/inotify/max_user_watches is {}",
                                      read_proc_value("/proc/sys/fs/inotify/max_user_watches")));
        else
            report_(root, std::strerror(-wd));
        return false;
    }
    roots_.push_back(root);
    root_wds_.insert(wd);
    return !recursive_ || watch_tree(root, false, nullptr);
}

void Watcher::rescan(std::vector<Event>& out) {
    std::vector<Event> found;
    for (const std::string& root : roots_)
        watch_tree(root, true, &found);
    // Most of what a rescan finds is old: only its creation may have been missed.
    synthesize(found, IN_CREATE, out);
}

void Watcher::synthesize(const std::vector<Event>& found, std::uint32_t kinds, std::vector<Event>& out) const {
    for (const Event& f : found)
        for (std::uint32_t bit : {IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE})
            if (f.mask & bit & kinds & mask_)
                out.push_back(Event{f.path, {}, bit | (f.mask & IN_ISDIR), f.is_dir, true});
}

void Watcher::handle(const RawEvent& raw, std::vector<Event>& out) {
    if (raw.mask & IN_Q_OVERFLOW) {
        report_("", fmt::format("the kernel's event queue of {} events overflowed (the size "
                                "/proc/sys/fs/inotify/max_queued_events gave it when the watch began): "
                                "events were lost; rescanning",
                                queue_size_));
        rescan(out);
        return;
    }
    auto it = paths_.find(raw.wd);
    if (it == paths_.end())
        return; // a watch already removed
    const std::string dir = it->second;
    if (raw.mask & IN_UNMOUNT)
        report_(dir, "its file system was unmounted");
    if (raw.mask & IN_IGNORED) {
        if (root_wds_.count(raw.wd))
            report_(dir, "no longer watched: it was deleted, moved away or unmounted");
        wds_.erase(dir);
        paths_.erase(raw.wd);
        synthesized_.erase(raw.wd);
        root_wds_.erase(raw.wd);
        return;
    }
    std::string path = join(dir, raw.name);
    std::string_view leaf = raw.name.empty() ? std::string_view(dir) : raw.name;
    if (!exclude_.empty() && exclude_.matches(path, leaf))
        return;
    const bool is_dir = raw.mask & IN_ISDIR;

    if (raw.mask & (IN_DELETE | IN_MOVED_FROM)) {
        auto s = synthesized_.find(raw.wd);
        if (s != synthesized_.end())
            s->second.erase(std::string(raw.name));
    }
    if (raw.mask & IN_CREATE) {
        auto s = synthesized_.find(raw.wd);
        if (s != synthesized_.end() && s->second.erase(std::string(raw.name)))
            return; // a scan reported it already
    }

    if (raw.mask & IN_MOVED_FROM) {
        pending_from_.push_back(PendingFrom{raw.cookie, path, is_dir, 0});
        return;
    }
    if (raw.mask & IN_MOVED_TO) {
        auto from = std::find_if(pending_from_.begin(), pending_from_.end(),
                                 [&](const PendingFrom& p) { return p.cookie == raw.cookie; });
        if (from != pending_from_.end()) {
            if (is_dir && recursive_) {
                // The watches below keep their descriptors: give them their new paths.
                std::string old_prefix = from->path + '/';
                for (auto& [wd, p] : paths_) {
                    std::string renamed;
                    if (p == from->path)
                        renamed = path;
                    else if (p.compare(0, old_prefix.size(), old_prefix) == 0)
                        renamed = path + '/' + p.substr(old_prefix.size());
                    else
                        continue;
                    wds_.erase(p);
                    wds_[renamed] = wd;
                    p = std::move(renamed);
                }
            }
            if (mask_ & (IN_MOVED_FROM | IN_MOVED_TO))
                out.push_back(Event{path, from->path, IN_MOVED_FROM | IN_MOVED_TO | (raw.mask & IN_ISDIR), is_dir, false});
            pending_from_.erase(from);
            // A directory renamed before its create was handled never got its watch: the
            // scan at the create found nothing under the old name.
            if (is_dir && recursive_ && !wds_.count(path))
                watch_new_directory(path, true, out);
            return;
        }
    }

    if (raw.mask & mask_)
        out.push_back(Event{path, {}, raw.mask & (mask_ | IN_ISDIR), is_dir, false});

    if (recursive_ && is_dir && (raw.mask & (IN_CREATE | IN_MOVED_TO)))
        watch_new_directory(path, raw.mask & IN_CREATE, out);
}

void Watcher::watch_new_directory(const std::string& path, bool made_here, std::vector<Event>& out) {
    // Watch it at once, then report what was made in it before the watch landed.
    std::vector<Event> found;
    watch_tree(path, true, &found);
    for (const Event& f : found) {
        std::size_t slash = f.path.rfind('/');
        auto parent = wds_.find(f.path.substr(0, slash));
        if (parent != wds_.end())
            synthesized_[parent->second].insert(f.path.substr(slash + 1));
    }
    // Made before its watch landed, a file may have been written and closed already too;
    // what a directory moved in holds was written elsewhere, and only arrives.
    synthesize(found, made_here ? IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE : IN_CREATE, out);
}

bool Watcher::read_events(std::vector<Event>& out) {
    alignas(struct inotify_event) static thread_local char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd_.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            report_("inotify", std::strerror(errno));
            return false;
        }
        if (!parse_records(buf, static_cast<std::size_t>(n), [&](const RawEvent& e) { handle(e, out); })) {
            report_("inotify", "a malformed event record");
            return false;
        }
    }
    // A move's halves come in one read; one left waiting a whole read left the tree.
    for (auto it = pending_from_.begin(); it != pending_from_.end();) {
        if (it->generation++ == 0) {
            ++it;
            continue;
        }
        moved_out(it->path, it->is_dir, out);
        it = pending_from_.erase(it);
    }
    return true;
}

void Watcher::flush(std::vector<Event>& out) {
    for (const PendingFrom& p : pending_from_)
        moved_out(p.path, p.is_dir, out);
    pending_from_.clear();
}

void Watcher::moved_out(const std::string& path, bool is_dir, std::vector<Event>& out) {
    if (mask_ & IN_MOVED_FROM)
        out.push_back(Event{path, {}, IN_MOVED_FROM | (is_dir ? IN_ISDIR : 0u), is_dir, false});
    if (is_dir && recursive_)
        forget(path);
}

void Watcher::forget(const std::string& path) {
    std::string prefix = path + '/';
    for (auto it = paths_.begin(); it != paths_.end();) {
        if (it->second == path || it->second.compare(0, prefix.size(), prefix) == 0) {
            inotify_rm_watch(fd_.get(), it->first);
            wds_.erase(it->second);
            synthesized_.erase(it->first);
            it = paths_.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace syskit::notify

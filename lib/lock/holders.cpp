#include "lock/holders.hpp"

#include "fs/dir.hpp"
#include "fs/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string_view>

namespace syskit::lock {

namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A lock line seen in the fdinfo of one descriptor of one process, with the process's
/// command and the descriptor's path read right then: a holder that exits a moment later
/// is still reported whole.
struct Seen {
    pid_t pid;
    int fd;
    LockLine lock;
    std::string command;
    std::string path;
};

std::string fd_path(const std::string& proc, pid_t pid, int fd) {
    std::string link = proc + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    std::string target(PATH_MAX, '\0');
    ssize_t n = readlink(link.c_str(), target.data(), target.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= target.size())
        return {};
    target.resize(static_cast<std::size_t>(n));
    return target;
}

/// Every lock line of every descriptor of every process under proc that is one of wanted.
std::vector<Seen> scan_fdinfo(const std::string& proc, const std::vector<LockLine>& wanted) {
    std::vector<Seen> seen;
    fs::DirReader procs = fs::DirReader::open(AT_FDCWD, proc.c_str());
    if (!procs)
        return seen;
    std::string text, sub;
    while (const fs::DirEntry* p = procs.next()) {
        if (!all_digits(p->name))
            continue;
        sub = p->name;
        sub += "/fdinfo";
        // Processes come and go, and another user's fdinfo needs privilege: skip what fails.
        fs::DirReader fds = fs::DirReader::open(procs.fd(), sub.c_str());
        if (!fds)
            continue;
        pid_t pid = static_cast<pid_t>(std::strtol(p->name.data(), nullptr, 10));
        std::string command;
        while (const fs::DirEntry* f = fds.next()) {
            if (!all_digits(f->name))
                continue;
            if (!fs::read_file(f->name.data(), text, SIZE_MAX, fds.fd()) || text.find("lock:") == std::string::npos)
                continue;
            int fd = static_cast<int>(std::strtol(f->name.data(), nullptr, 10));
            for (auto& l : parse_fdinfo_locks(text)) {
                bool want = std::any_of(wanted.begin(), wanted.end(), [&](const LockLine& w) { return w.same_lock(l); });
                if (!want)
                    continue;
                if (command.empty())
                    command = process_command(pid, proc);
                seen.push_back({pid, fd, std::move(l), command, fd_path(proc, pid, fd)});
            }
        }
    }
    return seen;
}

bool same_file(const LockLine& a, const LockLine& b) {
    return a.has_inode && b.has_inode && a.dev_major == b.dev_major && a.dev_minor == b.dev_minor &&
           a.inode == b.inode;
}

/// The path of a descriptor of pid open on the file of l, or empty: what lslocks(8) does
/// for a lock it has a pid for.  fstatat follows each /proc/PID/fd link to the open file.
std::string path_in(const std::string& proc, pid_t pid, const LockLine& l) {
    std::string sub = proc + "/" + std::to_string(pid) + "/fd";
    fs::DirReader fds = fs::DirReader::open(AT_FDCWD, sub.c_str());
    if (!fds)
        return {};
    while (const fs::DirEntry* f = fds.next()) {
        struct stat st;
        if (!all_digits(f->name) || fstatat(fds.fd(), f->name.data(), &st, 0) != 0)
            continue;
        if (major(st.st_dev) == l.dev_major && minor(st.st_dev) == l.dev_minor &&
            static_cast<std::uint64_t>(st.st_ino) == l.inode)
            return fd_path(proc, pid, static_cast<int>(std::strtol(f->name.data(), nullptr, 10)));
    }
    return {};
}

/// Where the file of a waiting request is, from its inode: the path of a descriptor that
/// holds a lock on it (seen), else of one of the waiting process's (a POSIX request names
/// it), else of any process's.  Empty when no readable descriptor is open on it.
std::string waiting_path(const std::string& proc, const LockLine& l, const std::vector<Seen>& seen) {
    if (!l.has_inode)
        return {};
    for (const Seen& s : seen)
        if (same_file(s.lock, l) && !s.path.empty())
            return s.path;
    if (l.pid > 0)
        if (std::string p = path_in(proc, l.pid, l); !p.empty())
            return p;
    fs::DirReader procs = fs::DirReader::open(AT_FDCWD, proc.c_str());
    if (!procs)
        return {};
    while (const fs::DirEntry* p = procs.next()) {
        if (!all_digits(p->name))
            continue;
        if (std::string path = path_in(proc, static_cast<pid_t>(std::strtol(p->name.data(), nullptr, 10)), l);
            !path.empty())
            return path;
    }
    return {};
}

bool matches(const HoldingQuery& q, const LockLine& l) {
    if (l.waiting && !q.waiting)
        return false;
    if (!q.file)
        return true;
    return l.has_inode && l.dev_major == q.file->dev_major && l.dev_minor == q.file->dev_minor &&
           l.inode == q.file->inode;
}

FileKey key_of(const struct stat& st) {
    return {major(st.st_dev), minor(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

} // namespace

int file_key(int fd, FileKey* key) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    *key = key_of(st);
    return 0;
}

int file_key(const char* path, FileKey* key) {
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    *key = key_of(st);
    return 0;
}

std::string process_command(pid_t pid, const std::string& proc) {
    if (pid <= 0)
        return {};
    std::string comm;
    if (!fs::read_file((proc + "/" + std::to_string(pid) + "/comm").c_str(), comm))
        return {};
    if (!comm.empty() && comm.back() == '\n')
        comm.pop_back();
    return comm;
}

int list_holdings(const HoldingQuery& query, std::vector<Holding>* out, const std::string& proc) {
    std::string text;
    if (!fs::read_file((proc + "/locks").c_str(), text))
        return errno;
    std::vector<LockLine> locks;
    for (auto& l : parse_proc_locks(text))
        if (matches(query, l))
            locks.push_back(std::move(l));
    bool any_held = std::any_of(locks.begin(), locks.end(), [](const LockLine& l) { return !l.waiting; });
    std::vector<Seen> seen = any_held ? scan_fdinfo(proc, locks) : std::vector<Seen>{};
    std::sort(seen.begin(), seen.end(),
              [](const Seen& a, const Seen& b) { return a.pid != b.pid ? a.pid < b.pid : a.fd < b.fd; });

    std::vector<bool> done(locks.size());
    for (std::size_t i = 0; i < locks.size(); ++i) {
        if (done[i])
            continue;
        const LockLine& l = locks[i];
        for (std::size_t j = i + 1; j < locks.size(); ++j)
            if (locks[j].same_lock(l))
                done[j] = true;
        pid_t last = -1;
        bool found = false;
        for (const Seen& s : seen) {
            // One Holding per process, through the lowest descriptor (seen is sorted).
            if (!s.lock.same_lock(l) || s.pid == last)
                continue;
            last = s.pid;
            found = true;
            out->push_back({l, s.pid, s.command, s.fd, s.path});
        }
        if (!found) {
            pid_t pid = l.pid > 0 ? l.pid : -1;
            out->push_back({l, pid, process_command(pid, proc), -1, l.waiting ? waiting_path(proc, l, seen) : ""});
        }
    }
    return 0;
}

} // namespace syskit::lock

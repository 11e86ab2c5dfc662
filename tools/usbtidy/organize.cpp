#include "organize.hpp"

#include "journal.hpp"

#include "fs/dir.hpp"
#include "fs/fd.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace syskit::usbtidy {

namespace {

/// Moves journaled per fdatasync: 100,000 files cost 25 flushes, not 100,000.
constexpr std::size_t batch_size = 4096;
/// Collisions tried before a file is given up on.
constexpr unsigned max_tries = 1000;

struct Candidate {
    std::string name, folder;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
};

struct Folder {
    fs::UniqueFd fd;
    bool exists = false;        ///< dry run: whether it is there already
    std::set<std::string> taken; ///< dry run: names planned into it
};

std::string join(std::string_view dir, std::string_view a, std::string_view b = {}) {
    std::string s(dir);
    if (s.empty() || s.back() != '/')
        s += '/';
    s += a;
    if (!b.empty()) {
        s += '/';
        s += b;
    }
    return s;
}

Record folder_record(Record::Kind kind, const std::string& folder) {
    Record r;
    r.kind = kind;
    r.folder = folder;
    return r;
}

bool fatal_errno(int err) { return err != ENOENT && err != EEXIST; }

} // namespace

Summary organize(int dirfd, const Rules& rules, const OrganizeOptions& o, const Events& ev) {
    Summary sum;
    auto problem = [&](std::string_view subject, std::string_view what) {
        ++sum.problems;
        ev.problem(subject, what);
    };
    struct stat dir_st;
    struct statfs dir_fs;
    if (::fstat(dirfd, &dir_st) != 0 || ::fstatfs(dirfd, &dir_fs) != 0) {
        problem(o.dir, fmt::format("fstat: {}", std::strerror(errno)));
        return sum;
    }
    JournalWriter journal;
    std::string why;
    if (!o.dry_run && !journal.open(dirfd, static_cast<std::uint32_t>(dir_fs.f_type), why)) {
        problem(o.dir, why);
        return sum;
    }

    // The listing first, then the moves: the folders being filled are entries of the
    // directory being listed.
    std::vector<Candidate> files;
    {
        auto reader = fs::DirReader::open(dirfd, ".");
        if (!reader) {
            problem(o.dir, fmt::format("open: {}", std::strerror(errno)));
            return sum;
        }
        while (auto e = reader.next()) {
            if (left_alone(e->name) || (e->type != 0 && e->type != S_IFREG))
                continue;
            struct stat st;
            if (::fstatat(dirfd, e->name.data(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno != ENOENT)
                    problem(join(o.dir, e->name), fmt::format("fstatat: {}", std::strerror(errno)));
                continue;
            }
            if (!S_ISREG(st.st_mode))
                continue;
            files.push_back({std::string(e->name), rules.folder_for(e->name), static_cast<std::uint64_t>(st.st_size),
                             static_cast<std::int64_t>(st.st_mtim.tv_sec)});
        }
        if (reader.error()) {
            problem(o.dir, fmt::format("getdents64: {}", std::strerror(reader.error())));
            return sum;
        }
    }
    std::sort(files.begin(), files.end(), [](const Candidate& a, const Candidate& b) { return a.name < b.name; });

    // The folders: those missing are journaled, then made, then every one is opened.
    std::map<std::string, Folder> folders;
    for (auto& f : files)
        folders.try_emplace(f.folder);
    if (!o.dry_run)
        journal.add(folder_record(Record::Kind::run, {}));
    std::vector<std::string> to_make;
    for (auto& [name, folder] : folders) {
        struct stat st;
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            folder.exists = true;
            continue;
        }
        if (errno != ENOENT) {
            problem(join(o.dir, name), fmt::format("fstatat: {}", std::strerror(errno)));
            continue;
        }
        to_make.push_back(name);
        if (!o.dry_run)
            journal.add(folder_record(Record::Kind::mkdir, name));
    }
    if (!o.dry_run) {
        if (!journal.commit(why)) {
            problem(o.dir, why);
            sum.stopped = true;
            return sum;
        }
        bool late_exists = false;
        for (auto& name : to_make)
            if (::mkdirat(dirfd, name.c_str(), 0777) != 0) {
                if (errno != EEXIST) {
                    problem(join(o.dir, name), fmt::format("mkdirat: {}", std::strerror(errno)));
                    continue;
                }
                journal.add(folder_record(Record::Kind::exists, name));
                late_exists = true;
            }
        if (late_exists && !journal.commit(why)) {
            problem(o.dir, why);
            sum.stopped = true;
            return sum;
        }
        for (auto& [name, folder] : folders) {
            folder.fd.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            struct stat st;
            if (!folder.fd) {
                problem(join(o.dir, name), errno == ENOTDIR || errno == ELOOP
                                               ? std::string("is not a folder; its files stay where they are")
                                               : fmt::format("openat: {}", std::strerror(errno)));
            } else if (::fstat(folder.fd.get(), &st) != 0 || st.st_dev != dir_st.st_dev) {
                // renameat2 would fail with EXDEV: a rename never crosses file systems.
                problem(join(o.dir, name), "is on another file system (a mount point); its files stay where they are");
                folder.fd.reset();
            }
        }
    } else {
        for (auto& [name, folder] : folders) {
            if (!folder.exists)
                continue;
            folder.fd.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!folder.fd)
                problem(join(o.dir, name), "is not a folder; its files would stay where they are");
        }
    }
    std::erase_if(files, [&](const Candidate& f) {
        auto& folder = folders[f.folder];
        return !folder.fd && (!o.dry_run ? true : folder.exists);
    });

    for (std::size_t start = 0; start < files.size(); start += batch_size) {
        auto end = std::min(files.size(), start + batch_size);
        if (o.dry_run) {
            for (auto i = start; i < end; ++i) {
                auto& f = files[i];
                auto& folder = folders[f.folder];
                std::string name = f.name;
                struct stat st;
                for (unsigned tries = 1; folder.taken.count(name) ||
                                         (folder.fd && ::fstatat(folder.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0);
                     ++tries)
                    name = numbered_name(f.name, tries);
                folder.taken.insert(name);
                ++sum.moved;
                ev.moved({f.name, f.folder, name});
            }
            continue;
        }
        for (auto i = start; i < end; ++i) {
            auto& f = files[i];
            journal.add({Record::Kind::move, f.name, f.folder, f.name, f.size, f.mtime});
        }
        if (!journal.commit(why)) {
            problem(o.dir, why);
            sum.stopped = true;
            break;
        }
        for (auto i = start; i < end && !sum.stopped; ++i) {
            auto& f = files[i];
            int folder_fd = folders[f.folder].fd.get();
            std::string name = f.name;
            for (unsigned tries = 1;; ++tries) {
                if (::renameat2(dirfd, f.name.c_str(), folder_fd, name.c_str(), RENAME_NOREPLACE) == 0) {
                    ++sum.moved;
                    ev.moved({f.name, f.folder, name});
                    break;
                }
                int err = errno;
                if (err == ENOENT) {
                    problem(join(o.dir, f.name), "vanished before it could be moved");
                    break;
                }
                if (fatal_errno(err)) {
                    problem(join(o.dir, f.name),
                            fmt::format("renameat2 to {}/{}: {}{}", f.folder, name, std::strerror(err),
                                        err == EINVAL ? " (the file system lacks RENAME_NOREPLACE)" : ""));
                    sum.stopped = true;
                    break;
                }
                if (tries > max_tries) {
                    problem(join(o.dir, f.name), fmt::format("{} names taken in {}; left where it is", max_tries,
                                                             f.folder));
                    break;
                }
                name = numbered_name(f.name, tries);
                journal.add({Record::Kind::move, f.name, f.folder, name, f.size, f.mtime});
                if (!journal.commit(why)) {
                    problem(o.dir, why);
                    sum.stopped = true;
                    break;
                }
            }
        }
        if (sum.stopped)
            break;
    }
    if (!o.dry_run) {
        // The renames reach the drive now, not when the kernel gets round to it.
        for (auto& [name, folder] : folders)
            if (folder.fd && ::fsync(folder.fd.get()) != 0 && !sum.stopped)
                problem(join(o.dir, name), fmt::format("fsync: {}", std::strerror(errno)));
        if (::fsync(dirfd) != 0 && !sum.stopped)
            problem(o.dir, fmt::format("fsync: {}", std::strerror(errno)));
    }
    return sum;
}

namespace {

/// Whether st is the file a move record describes, as far as a FAT file system can tell
/// after a remount: the same size, and a modification time within its 2 s resolution.
bool same_file(const struct stat& st, const Record& r) {
    return S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) == r.size &&
           std::llabs(static_cast<long long>(st.st_mtim.tv_sec) - r.mtime) <= 2;
}

} // namespace

Summary undo(int dirfd, const std::string& dir, const Events& ev) {
    Summary sum;
    auto problem = [&](std::string_view subject, std::string_view what) {
        ++sum.problems;
        ev.problem(subject, what);
    };
    std::string data;
    if (!fs::read_file(journal_name, data, std::size_t(1) << 30, dirfd, O_NOFOLLOW)) {
        problem(join(dir, journal_name), errno == ENOENT ? std::string("no journal: nothing was organized here")
                                                         : fmt::format("open: {}", std::strerror(errno)));
        return sum;
    }
    std::string why;
    auto parsed = parse_journal(data, why);
    if (!parsed) {
        problem(join(dir, journal_name), why + "; nothing moved");
        return sum;
    }
    struct statfs dir_fs;
    if (::fstatfs(dirfd, &dir_fs) != 0) {
        problem(dir, fmt::format("fstatfs: {}", std::strerror(errno)));
        return sum;
    }
    if (static_cast<std::uint32_t>(dir_fs.f_type) != parsed->fs_type) {
        problem(join(dir, journal_name),
                fmt::format("written on another file system (type {:x}; {} is on type {:x}); nothing moved",
                            parsed->fs_type, dir, static_cast<std::uint32_t>(dir_fs.f_type)));
        return sum;
    }

    auto& recs = parsed->records;
    std::map<std::string, fs::UniqueFd> folders;
    auto folder_fd = [&](const std::string& name) {
        auto [it, added] = folders.try_emplace(name);
        if (added)
            it->second.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        return it->second.get();
    };
    // Runs, newest first; within a run, records newest first.  A run's earlier record for a
    // name was a try that found the folder's name taken, and is skipped.
    std::size_t run_end = recs.size();
    while (run_end > 0 && !sum.stopped) {
        std::size_t run_start = run_end;
        while (run_start > 0 && recs[run_start - 1].kind != Record::Kind::run)
            --run_start;
        std::set<std::string> done_src, kept_folders;
        for (std::size_t i = run_end; i-- > run_start && !sum.stopped;) {
            auto& r = recs[i];
            if (r.kind == Record::Kind::exists) {
                kept_folders.insert(r.folder);
                continue;
            }
            if (r.kind == Record::Kind::mkdir) {
                if (kept_folders.count(r.folder))
                    continue;
                folders.erase(r.folder);
                if (::unlinkat(dirfd, r.folder.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
                    problem(join(dir, r.folder), errno == ENOTEMPTY || errno == EEXIST
                                                      ? std::string("not empty: left in place")
                                                      : fmt::format("rmdir: {}", std::strerror(errno)));
                continue;
            }
            if (r.kind != Record::Kind::move || !done_src.insert(r.src).second)
                continue;
            int ffd = folder_fd(r.folder);
            struct stat src_st, dst_st;
            bool src_there = ::fstatat(dirfd, r.src.c_str(), &src_st, AT_SYMLINK_NOFOLLOW) == 0;
            bool dst_there = ffd >= 0 && ::fstatat(ffd, r.name.c_str(), &dst_st, AT_SYMLINK_NOFOLLOW) == 0;
            if (src_there) {
                // Never moved (the run stopped between journal and rename), or back already;
                // unless a different file has taken the name since.
                if (dst_there && !same_file(src_st, r) && same_file(dst_st, r))
                    problem(join(dir, r.src), fmt::format("taken by another file; {}/{} left where it is", r.folder,
                                                          r.name));
                continue;
            }
            if (!dst_there) {
                problem(join(dir, r.folder, r.name), fmt::format("gone; {} cannot be restored", r.src));
                continue;
            }
            if (::renameat2(ffd, r.name.c_str(), dirfd, r.src.c_str(), RENAME_NOREPLACE) == 0) {
                ++sum.moved;
                ev.moved({r.src, r.folder, r.name});
                continue;
            }
            int err = errno;
            problem(join(dir, r.folder, r.name), fmt::format("renameat2 to {}: {}", r.src, std::strerror(err)));
            if (fatal_errno(err))
                sum.stopped = true;
        }
        run_end = run_start > 0 ? run_start - 1 : 0;
    }
    folders.clear();
    if (sum.problems == 0) {
        if (::unlinkat(dirfd, journal_name, 0) != 0)
            problem(join(dir, journal_name), fmt::format("unlink: {}", std::strerror(errno)));
    }
    if (::fsync(dirfd) != 0 && !sum.stopped)
        problem(dir, fmt::format("fsync: {}", std::strerror(errno)));
    return sum;
}

} // namespace syskit::usbtidy

#include "act.hpp"

#include "cli/diag.hpp"
#include "cli/walk.hpp"
#include "fs/beneath.hpp"
#include "fs/fd.hpp"
#include "out/text.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace syskit::dupfind {

namespace {

std::string quote(const std::string& p) {
    std::string q = out::shell_quote(p);
    return !p.empty() && p[0] == '-' ? "./" + q : q;
}

/// Holds SIGINT, SIGTERM and SIGHUP while it lives: they are delivered when the swap is done.
class SignalHold {
public:
    SignalHold() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, &old_);
    }
    ~SignalHold() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

private:
    sigset_t old_;
};

std::string temp_name() {
    static std::atomic<unsigned> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format(".dupfind-{}-{}-{:08x}.tmp", getpid(), counter++, static_cast<std::uint32_t>(rng()));
}

bool same_id(int dirfd, const std::string& name, const fs::FileId& id) {
    struct stat st;
    return fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == id.dev && st.st_ino == id.ino;
}

/// The path the kernel gives for what fd refers to (its /proc/self/fd link); empty when
/// it cannot say (a path longer than PATH_MAX).
std::string fd_path(int fd) {
    char buf[PATH_MAX];
    ssize_t n = readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), buf, sizeof buf);
    return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n))
                                                             : std::string();
}

/// Opens an absolute path with O_PATH, following no symbolic link on the way or at the end.
fs::UniqueFd open_absolute(std::string_view path) {
    fs::UniqueFd slash(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!slash)
        return {};
    std::size_t skip = path.find_first_not_of('/');
    return fs::open_beneath(slash.get(), skip == std::string_view::npos ? std::string_view() : path.substr(skip));
}

bool same_file(int fd, const fs::FileId& id) {
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == id.dev && st.st_ino == id.ino;
}

/// path joined with rel, which may be empty.
std::string below(const std::string& path, std::string_view rel) {
    if (rel.empty())
        return path;
    return path + (path.back() == '/' ? "" : "/") + std::string(rel);
}

/// The directory holding name, opened beneath its held root with nothing followed, and the
/// name's last component.
fs::UniqueFd open_parent(const ActContext& ctx, const Name& name, std::string& base) {
    const fs::UniqueFd& root_fd = ctx.held.fds[name.root];
    if (!root_fd) {
        errno = ctx.held.errs[name.root];
        return {};
    }
    std::string_view rel = fs::below_root(name.path, ctx.roots[name.root]);
    if (rel.empty()) { // the root itself is the file: its directory, from where the root was
        const std::string& path = ctx.held.paths[name.root];
        std::size_t slash = path.rfind('/');
        base = path.substr(slash + 1);
        return open_absolute(std::string_view(path).substr(0, slash));
    }
    std::size_t slash = rel.rfind('/');
    base = std::string(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
    fs::UniqueFd dir = fs::open_beneath(root_fd.get(), slash == std::string_view::npos ? "" : rel.substr(0, slash));
    struct stat st;
    if (dir && (fstat(dir.get(), &st) != 0 || !S_ISDIR(st.st_mode))) {
        errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR; // a symlink swapped in for the directory
        return {};
    }
    return dir;
}

/// The target of a symbolic link to keep: its path beneath its held root (with -L, where
/// the links followed lead), checked against a descriptor of the kept file opened beneath
/// that root.  False when the kept file is no longer where it was.
bool link_target(const ActContext& ctx, const File& keep, std::string& target) {
    const Name& n = keep.names[0];
    const fs::UniqueFd& root_fd = ctx.held.fds[n.root];
    if (!root_fd)
        return false;
    std::string_view rel = fs::below_root(n.path, ctx.roots[n.root]);
    fs::UniqueFd kept;
    if (rel.empty())
        kept.reset(fcntl(root_fd.get(), F_DUPFD_CLOEXEC, 0));
    else if (n.follow)
        kept.reset(openat(root_fd.get(), std::string(rel).c_str(), O_PATH | O_CLOEXEC));
    else
        kept = fs::open_beneath(root_fd.get(), rel);
    if (!kept || !same_file(kept.get(), keep.id))
        return false;
    std::string now = fd_path(kept.get());
    target = n.follow ? now : below(ctx.held.paths[n.root], rel);
    // The kernel names the held file by the path the link gets, and that path, with no
    // symbolic link allowed, still leads to it.
    fs::UniqueFd again = open_absolute(target);
    return !target.empty() && now == target && again && same_file(again.get(), keep.id);
}

} // namespace

std::string action_command(ActionKind kind, const std::string& keep, const std::string& target, const std::string& path) {
    switch (kind) {
    case ActionKind::remove: return "rm " + quote(path);
    case ActionKind::hardlink: return "ln -f " + quote(keep) + " " + quote(path);
    case ActionKind::symlink: return "ln -sf " + quote(target) + " " + quote(path);
    case ActionKind::reflink: return "cp --reflink=always " + quote(keep) + " " + quote(path);
    case ActionKind::none: break;
    }
    return {};
}

HeldRoots hold_roots(const std::vector<std::string>& roots, bool follow) {
    HeldRoots held;
    for (const std::string& root : roots) {
        fs::UniqueFd fd(open(root.c_str(), O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)));
        held.errs.push_back(fd ? 0 : errno);
        held.paths.push_back(cli::absolute_path(root));
        held.fds.push_back(std::move(fd));
    }
    return held;
}

std::string absolute_path(const ActContext& ctx, const Name& name) {
    return below(ctx.held.paths[name.root], fs::below_root(name.path, ctx.roots[name.root]));
}

bool apply_action(const ActContext& ctx, const File& keep, const File& copy, const Name& name, std::string& error,
                  std::string* target) {
    auto fail = [&](std::string why) {
        error = std::move(why);
        return false;
    };
    const std::string_view kept_name = keep.names[0].path;
    int kfd = open_unchanged(keep, keep.names[0], ctx.roots);
    if (kfd < 0)
        return fail(errno == ESTALE ? fmt::format("the file kept, {}, changed since it was hashed; left alone", kept_name)
                                    : fmt::format("{}: {}", kept_name, std::strerror(errno)));
    fs::UniqueFd keep_fd(kfd);
    int cfd = open_unchanged(copy, name, ctx.roots);
    if (cfd < 0)
        return fail(errno == ESTALE ? "changed since it was hashed; left alone" : std::strerror(errno));
    fs::UniqueFd copy_fd(cfd);
    int err = 0;
    if (!same_bytes(keep_fd.get(), copy_fd.get(), copy.size, err))
        return fail(err ? std::strerror(err) : fmt::format("its bytes differ from {}; left alone", kept_name));

    std::string link;
    if (ctx.kind == ActionKind::symlink && !link_target(ctx, keep, link))
        return fail(fmt::format("the file kept, {}, is no longer where it was; left alone", kept_name));
    if (target)
        *target = link;

    std::string base;
    fs::UniqueFd dir = open_parent(ctx, name, base);
    if (!dir)
        return fail(errno == ELOOP ? "a symbolic link now stands on its path; not followed" : std::strerror(errno));
    if (!same_id(dir.get(), base, copy.id))
        return fail("changed since it was hashed; left alone");
    struct stat cst;
    if (fstat(copy_fd.get(), &cst) != 0)
        return fail(std::strerror(errno));

    SignalHold hold;
    std::string tmp = temp_name();
    if (ctx.kind == ActionKind::remove) {
        if (renameat2(dir.get(), base.c_str(), dir.get(), tmp.c_str(), RENAME_NOREPLACE) != 0)
            return fail(std::strerror(errno));
        if (!same_id(dir.get(), tmp, copy.id)) {
            renameat2(dir.get(), tmp.c_str(), dir.get(), base.c_str(), RENAME_NOREPLACE);
            return fail("changed just before removal; left alone");
        }
        if (unlinkat(dir.get(), tmp.c_str(), 0) != 0)
            return fail(std::strerror(errno));
        return true;
    }

    // Make the replacement under the temporary name.
    switch (ctx.kind) {
    case ActionKind::hardlink:
        if (linkat(AT_FDCWD, fmt::format("/proc/self/fd/{}", keep_fd.get()).c_str(), dir.get(), tmp.c_str(),
                   AT_SYMLINK_FOLLOW) != 0)
            return fail(errno == EXDEV ? fmt::format("cannot hard link to {}: another file system", kept_name)
                                       : std::string("link: ") + std::strerror(errno));
        break;
    case ActionKind::symlink:
        if (symlinkat(link.c_str(), dir.get(), tmp.c_str()) != 0)
            return fail(std::string("symlink: ") + std::strerror(errno));
        break;
    case ActionKind::reflink: {
        fs::UniqueFd out(openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!out)
            return fail(std::strerror(errno));
        if (ioctl(out.get(), FICLONE, keep_fd.get()) != 0) {
            int e = errno;
            unlinkat(dir.get(), tmp.c_str(), 0);
            if (e == EOPNOTSUPP || e == EINVAL || e == ENOTTY || e == EXDEV)
                return fail(fmt::format("reflink: the file system cannot share extents here ({})", std::strerror(e)));
            return fail(std::string("reflink: ") + std::strerror(e));
        }
        // The clone takes the copy's place: give it the copy's owner and mode.
        if (fchown(out.get(), cst.st_uid, cst.st_gid) != 0 && errno != EPERM) {
            unlinkat(dir.get(), tmp.c_str(), 0);
            return fail(std::strerror(errno));
        }
        fchmod(out.get(), cst.st_mode & 07777);
        break;
    }
    case ActionKind::remove:
    case ActionKind::none:
        break;
    }

    if (renameat2(dir.get(), tmp.c_str(), dir.get(), base.c_str(), RENAME_EXCHANGE) != 0) {
        int e = errno;
        unlinkat(dir.get(), tmp.c_str(), 0);
        return fail(std::string("renameat2: ") + std::strerror(e));
    }
    // tmp now holds what was at base: it must be the copy that was compared.
    if (!same_id(dir.get(), tmp, copy.id)) {
        renameat2(dir.get(), tmp.c_str(), dir.get(), base.c_str(), RENAME_EXCHANGE);
        unlinkat(dir.get(), tmp.c_str(), 0);
        return fail("changed just before it was replaced; left alone");
    }
    if (unlinkat(dir.get(), tmp.c_str(), 0) != 0)
        return fail(std::string("unlink: ") + std::strerror(errno));
    return true;
}

bool act(const std::vector<Group>& groups, const ActContext& ctx, bool apply,
         const std::function<void(const Done&)>& done) {
    bool ok = true;
    for (const Group& g : groups) {
        const File& kept = g.files[0];
        std::string target = absolute_path(ctx, kept.names[0]);
        for (std::size_t i = 1; i < g.files.size(); ++i) {
            for (const Name& n : g.files[i].names) {
                std::string why, made = target;
                if (apply && !apply_action(ctx, kept, g.files[i], n, why, &made)) {
                    cli::error(n.path, why);
                    ok = false;
                    continue;
                }
                std::string cmd = action_command(ctx.kind, std::string(kept.names[0].path), made, std::string(n.path));
                done(Done{n, kept.names[0], cmd});
            }
        }
    }
    return ok;
}

} // namespace syskit::dupfind

#include "checks.hpp"

#include "capability.hpp"
#include "fs/fd.hpp"
#include "secrets.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syskit::permscan {

namespace {

constexpr std::array<CheckInfo, check_count> checks{{
    {"world-writable-file", Severity::high, true},
    {"world-writable-dir", Severity::high, true},
    {"setuid", Severity::high, true},
    {"setgid", Severity::medium, true},
    {"exposed-secret", Severity::high, true},
    {"dangling-symlink", Severity::low, true},
    {"symlink-loop", Severity::low, true},
    {"unknown-owner", Severity::medium, true},
    {"writable-executable", Severity::high, true},
    {"device-outside-dev", Severity::high, true},
    {"file-capabilities", Severity::medium, true},
    {"group-writable", Severity::low, false},
}};

/// "group", "others" or "group and others", for the bits of mask that mode has.
std::string who(mode_t mode, mode_t group_bits, mode_t other_bits) {
    bool g = mode & group_bits, o = mode & other_bits;
    return g && o ? "group and others" : g ? "group" : "others";
}

/// "readable", "writable" or "readable and writable" by group/others.
std::string access(mode_t mode) {
    bool r = mode & (S_IRGRP | S_IROTH), w = mode & (S_IWGRP | S_IWOTH);
    std::string what = r && w ? "readable and writable" : r ? "readable" : w ? "writable" : "open";
    return what + " by " + who(mode, S_IRWXG, S_IRWXO);
}

/// The first limit bytes of the file name in dirfd, or as many as could be read.
std::string read_prefix(int dirfd, const char* name, std::size_t limit) {
    const int flags = O_NOFOLLOW | O_NONBLOCK;
    std::string data;
    // O_NOATIME needs ownership or CAP_FOWNER: without them, the file is opened without it.
    if (!fs::read_file(name, data, limit, dirfd, flags | O_NOATIME) && errno == EPERM)
        fs::read_file(name, data, limit, dirfd, flags);
    return data;
}

std::string read_link(int dirfd, const char* name) {
    std::string target(256, '\0');
    for (;;) {
        ssize_t n = readlinkat(dirfd, name, target.data(), target.size());
        if (n < 0)
            return {};
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

} // namespace

std::string_view severity_name(Severity s) {
    switch (s) {
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    }
    return "high";
}

std::optional<Severity> parse_severity(std::string_view name) {
    for (Severity s : {Severity::low, Severity::medium, Severity::high})
        if (severity_name(s) == name)
            return s;
    return std::nullopt;
}

const CheckInfo& info(Check c) { return checks[static_cast<std::size_t>(c)]; }

std::optional<Check> parse_check(std::string_view id) {
    for (std::size_t i = 0; i < check_count; ++i)
        if (checks[i].id == id)
            return static_cast<Check>(i);
    return std::nullopt;
}

std::optional<std::string> Owners::user(uid_t uid) {
    std::lock_guard lock(mu_);
    auto it = users_.find(uid);
    if (it != users_.end())
        return it->second;
    struct passwd pw, *result = nullptr;
    char buf[4096];
    std::optional<std::string> name;
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result)
        name = result->pw_name;
    users_.emplace(uid, name);
    return name;
}

std::optional<std::string> Owners::group(gid_t gid) {
    std::lock_guard lock(mu_);
    auto it = groups_.find(gid);
    if (it != groups_.end())
        return it->second;
    struct group gr, *result = nullptr;
    char buf[16384];
    std::optional<std::string> name;
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &result) == 0 && result)
        name = result->gr_name;
    groups_.emplace(gid, name);
    return name;
}

namespace {

/// One entry under inspection, and where its findings go.
struct Inspected {
    const ScanOptions& opt;
    const fs::Entry& e;
    const struct statx& st;
    mode_t mode;
    std::string_view rel; ///< the path below its root
    const char* at;       ///< its name relative to e.dirfd
    std::vector<Finding>& out;

    bool on(Check c) const { return opt.enabled[static_cast<std::size_t>(c)]; }

    Finding* add(Check c, std::string reason) const {
        Finding f;
        f.path = std::string(e.path);
        f.root = e.root;
        f.rel = std::string(rel);
        f.check = c;
        f.reason = std::move(reason);
        f.mode = mode;
        f.uid = st.stx_uid;
        f.gid = st.stx_gid;
        f.size = st.stx_size;
        f.mtime = st.stx_mtime.tv_sec;
        f.id = fs::file_id(st);
        out.push_back(std::move(f));
        return &out.back();
    }
};

/// A regular file: writable by others, set-id, a writable executable, file capabilities.
void check_file(const Inspected& v, Owners& owners) {
    const mode_t mode = v.mode;
    if (v.on(Check::world_writable_file) && (mode & S_IWOTH))
        v.add(Check::world_writable_file, "any user can change its content");
    bool allowed = v.opt.allow.matches(v.e.path, v.e.name);
    if (v.on(Check::setuid) && (mode & S_ISUID) && !allowed) {
        auto user = owners.user(v.st.stx_uid);
        v.add(Check::setuid,
              fmt::format("runs with the privileges of user {}", user ? *user : std::to_string(v.st.stx_uid)));
    }
    if (v.on(Check::setgid) && (mode & S_ISGID) && !allowed) {
        auto group = owners.group(v.st.stx_gid);
        v.add(Check::setgid,
              fmt::format("runs with the privileges of group {}", group ? *group : std::to_string(v.st.stx_gid)));
    }
    const bool executable = mode & (S_IXUSR | S_IXGRP | S_IXOTH);
    if (v.on(Check::writable_executable) && executable && (mode & (S_IWGRP | S_IWOTH)))
        v.add(Check::writable_executable, fmt::format("executable writable by {}", who(mode, S_IWGRP, S_IWOTH)));
    if (v.on(Check::group_writable) && (mode & S_IWGRP))
        v.add(Check::group_writable, "writable by its group");
    if (v.on(Check::file_capabilities) && executable) {
        // Capabilities take effect only at execve(2), which needs an execute bit.
        std::string proc = fmt::format("/proc/self/fd/{}/{}", v.e.dirfd, v.e.name);
        const char* xpath = v.e.dirfd == AT_FDCWD ? v.at : proc.c_str();
        char value[64];
        ssize_t n = lgetxattr(xpath, "security.capability", value, sizeof value);
        if (n >= 0 || errno == ERANGE) {
            auto text =
                n >= 0 ? decode_capabilities(std::string_view(value, static_cast<std::size_t>(n))) : std::nullopt;
            v.add(Check::file_capabilities,
                  text ? "carries file capabilities " + *text : "carries a malformed security.capability attribute");
        }
    }
}

/// A directory: writable by others without the sticky bit, or by its group.
void check_directory(const Inspected& v) {
    if (v.on(Check::world_writable_dir) && (v.mode & S_IWOTH) && !(v.mode & S_ISVTX))
        v.add(Check::world_writable_dir, "any user can delete or rename what it holds (no sticky bit)");
    if (v.on(Check::group_writable) && (v.mode & S_IWGRP))
        v.add(Check::group_writable, "writable by its group");
}

/// Keys, credentials and .ssh open to group or others (the caller checked they are).
void check_secret(const Inspected& v) {
    const mode_t mode = v.mode, type = mode & S_IFMT;
    switch (classify_name(v.e.name)) {
    case SecretName::ssh_private_key:
        if (type == S_IFREG)
            v.add(Check::exposed_secret, "SSH private key " + access(mode));
        break;
    case SecretName::key_or_pem:
        if (type == S_IFREG && holds_private_key(read_prefix(v.e.dirfd, v.at, secret_scan_limit)))
            v.add(Check::exposed_secret, "private key " + access(mode));
        break;
    case SecretName::credentials:
        if (type == S_IFREG)
            v.add(Check::exposed_secret, "credentials " + access(mode));
        break;
    case SecretName::authorized_keys:
        if (type == S_IFREG && (mode & (S_IWGRP | S_IWOTH)))
            v.add(Check::exposed_secret, fmt::format("authorized keys writable by {}", who(mode, S_IWGRP, S_IWOTH)));
        break;
    case SecretName::ssh_dir:
        if (type == S_IFDIR)
            v.add(Check::exposed_secret, ".ssh directory open to " + who(mode, S_IRWXG, S_IRWXO) + ", not 0700");
        break;
    case SecretName::none:
        break;
    }
}

/// A symbolic link whose target is missing, or whose resolution loops.
void check_symlink(const Inspected& v) {
    struct stat target;
    if (fstatat(v.e.dirfd, v.at, &target, 0) == 0)
        return;
    int err = errno;
    Check c = err == ELOOP ? Check::symlink_loop : Check::dangling_symlink;
    if ((err == ENOENT || err == ENOTDIR || err == ELOOP) && v.on(c)) {
        Finding* f = v.add(c, "");
        f->target = read_link(v.e.dirfd, v.at);
        f->reason = c == Check::symlink_loop ? fmt::format("resolving it loops ({})", std::strerror(err))
                                             : "its target does not exist";
    }
}

/// A character or block device anywhere but under /dev.
void check_device(const Inspected& v) {
    const std::string& abs = v.opt.absolute_roots[v.e.root];
    std::string full = abs;
    if (!v.rel.empty() && !full.empty() && full.back() != '/')
        full += '/';
    full += v.rel;
    bool in_dev = full == "/dev" || full.rfind("/dev/", 0) == 0;
    if (!in_dev)
        v.add(Check::device_outside_dev,
              fmt::format("{} device {}:{} outside /dev", (v.mode & S_IFMT) == S_IFCHR ? "character" : "block",
                          v.st.stx_rdev_major, v.st.stx_rdev_minor));
}

/// A uid or gid that names no user or group.
void check_owner(const Inspected& v, Owners& owners) {
    bool user = owners.user(v.st.stx_uid).has_value(), group = owners.group(v.st.stx_gid).has_value();
    if (user && group)
        return;
    std::string why = !user ? fmt::format("uid {} has no passwd entry", v.st.stx_uid) : "";
    if (!group)
        why += fmt::format("{}gid {} has no group entry", why.empty() ? "" : ", ", v.st.stx_gid);
    v.add(Check::unknown_owner, why);
}

} // namespace

void inspect(const ScanOptions& opt, Owners& owners, const fs::Entry& e, std::vector<Finding>& out) {
    if (e.error || !e.st)
        return;
    const Inspected v{opt, e, *e.st, e.st->stx_mode, fs::below_root(e.path, opt.roots[e.root]), e.at_name.data(), out};
    const mode_t type = v.mode & S_IFMT;
    if (type == S_IFREG)
        check_file(v, owners);
    if (type == S_IFDIR)
        check_directory(v);
    if (v.on(Check::exposed_secret) && (v.mode & (S_IRWXG | S_IRWXO)))
        check_secret(v);
    if (type == S_IFLNK && (v.on(Check::dangling_symlink) || v.on(Check::symlink_loop)))
        check_symlink(v);
    if (v.on(Check::device_outside_dev) && (type == S_IFCHR || type == S_IFBLK))
        check_device(v);
    if (v.on(Check::unknown_owner))
        check_owner(v, owners);
}

} // namespace syskit::permscan

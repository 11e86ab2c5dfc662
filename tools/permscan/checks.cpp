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

std::string read_prefix(int dirfd, const char* name, std::size_t limit) {
    fs::UniqueFd fd(openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME));
    if (!fd && errno == EPERM) // O_NOATIME needs ownership or CAP_FOWNER
        fd.reset(openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    std::string data;
    if (!fd)
        return data;
    data.resize(limit);
    std::size_t got = 0;
    while (got < limit) {
        ssize_t n = read(fd.get(), data.data() + got, limit - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    data.resize(got);
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

void inspect(const ScanOptions& opt, Owners& owners, const fs::Entry& e, std::vector<Finding>& out) {
    if (e.error || !e.st)
        return;
    const struct statx& st = *e.st;
    const mode_t mode = st.stx_mode;
    const mode_t type = mode & S_IFMT;
    auto on = [&](Check c) { return opt.enabled[static_cast<std::size_t>(c)]; };
    const std::string_view rel = fs::below_root(e.path, opt.roots[e.root]);
    auto add = [&](Check c, std::string reason) {
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
    };
    const char* at = e.at_name.data();

    if (type == S_IFREG) {
        if (on(Check::world_writable_file) && (mode & S_IWOTH))
            add(Check::world_writable_file, "any user can change its content");
        bool allowed = opt.allow.matches(e.path, e.name);
        if (on(Check::setuid) && (mode & S_ISUID) && !allowed) {
            auto user = owners.user(st.stx_uid);
            add(Check::setuid, fmt::format("runs with the privileges of user {}",
                                           user ? *user : std::to_string(st.stx_uid)));
        }
        if (on(Check::setgid) && (mode & S_ISGID) && !allowed) {
            auto group = owners.group(st.stx_gid);
            add(Check::setgid, fmt::format("runs with the privileges of group {}",
                                           group ? *group : std::to_string(st.stx_gid)));
        }
        const bool executable = mode & (S_IXUSR | S_IXGRP | S_IXOTH);
        if (on(Check::writable_executable) && executable && (mode & (S_IWGRP | S_IWOTH)))
            add(Check::writable_executable,
                fmt::format("executable writable by {}", who(mode, S_IWGRP, S_IWOTH)));
        if (on(Check::group_writable) && (mode & S_IWGRP))
            add(Check::group_writable, "writable by its group");
        if (on(Check::file_capabilities) && executable) {
            // Capabilities take effect only at execve(2), which needs an execute bit.
            std::string proc = fmt::format("/proc/self/fd/{}/{}", e.dirfd, e.name);
            const char* xpath = e.dirfd == AT_FDCWD ? at : proc.c_str();
            char value[64];
            ssize_t n = lgetxattr(xpath, "security.capability", value, sizeof value);
            if (n >= 0 || errno == ERANGE) {
                auto text = n >= 0 ? decode_capabilities(std::string_view(value, static_cast<std::size_t>(n)))
                                   : std::nullopt;
                add(Check::file_capabilities,
                    text ? "carries file capabilities " + *text : "carries a malformed security.capability attribute");
            }
        }
    }
    if (type == S_IFDIR) {
        if (on(Check::world_writable_dir) && (mode & S_IWOTH) && !(mode & S_ISVTX))
            add(Check::world_writable_dir, "any user can delete or rename what it holds (no sticky bit)");
        if (on(Check::group_writable) && (mode & S_IWGRP))
            add(Check::group_writable, "writable by its group");
    }

    if (on(Check::exposed_secret) && (mode & (S_IRWXG | S_IRWXO))) {
        switch (classify_name(e.name)) {
        case SecretName::ssh_private_key:
            if (type == S_IFREG)
                add(Check::exposed_secret, "SSH private key " + access(mode));
            break;
        case SecretName::key_or_pem:
            if (type == S_IFREG && holds_private_key(read_prefix(e.dirfd, at, secret_scan_limit)))
                add(Check::exposed_secret, "private key " + access(mode));
            break;
        case SecretName::credentials:
            if (type == S_IFREG)
                add(Check::exposed_secret, "credentials " + access(mode));
            break;
        case SecretName::authorized_keys:
            if (type == S_IFREG && (mode & (S_IWGRP | S_IWOTH)))
                add(Check::exposed_secret,
                    fmt::format("authorized keys writable by {}", who(mode, S_IWGRP, S_IWOTH)));
            break;
        case SecretName::ssh_dir:
            if (type == S_IFDIR)
                add(Check::exposed_secret, ".ssh directory open to " + who(mode, S_IRWXG, S_IRWXO) + ", not 0700");
            break;
        case SecretName::none:
            break;
        }
    }

    if (type == S_IFLNK && (on(Check::dangling_symlink) || on(Check::symlink_loop))) {
        struct stat target;
        if (fstatat(e.dirfd, at, &target, 0) != 0) {
            int err = errno;
            Check c = err == ELOOP ? Check::symlink_loop : Check::dangling_symlink;
            if ((err == ENOENT || err == ENOTDIR || err == ELOOP) && on(c)) {
                Finding* f = add(c, "");
                f->target = read_link(e.dirfd, at);
                f->reason = c == Check::symlink_loop ? fmt::format("resolving it loops ({})", std::strerror(err))
                                                     : "its target does not exist";
            }
        }
    }

    if (on(Check::device_outside_dev) && (type == S_IFCHR || type == S_IFBLK)) {
        const std::string& abs = opt.absolute_roots[e.root];
        std::string full = abs;
        if (!rel.empty() && !full.empty() && full.back() != '/')
            full += '/';
        full += rel;
        bool in_dev = full == "/dev" || full.rfind("/dev/", 0) == 0;
        if (abs.empty() || !in_dev)
            add(Check::device_outside_dev,
                fmt::format("{} device {}:{} outside /dev", type == S_IFCHR ? "character" : "block",
                            st.stx_rdev_major, st.stx_rdev_minor));
    }

    if (on(Check::unknown_owner)) {
        bool user = owners.user(st.stx_uid).has_value(), group = owners.group(st.stx_gid).has_value();
        if (!user || !group) {
            std::string why = !user ? fmt::format("uid {} has no passwd entry", st.stx_uid) : "";
            if (!group)
                why += fmt::format("{}gid {} has no group entry", why.empty() ? "" : ", ", st.stx_gid);
            add(Check::unknown_owner, why);
        }
    }
}

} // namespace syskit::permscan

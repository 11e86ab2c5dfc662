#include "fix.hpp"

#include "cli/diag.hpp"
#include "fs/beneath.hpp"
#include "fs/mode.hpp"
#include "out/json.hpp"
#include "out/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syskit::permscan {

namespace {

/// chmod's symbolic form of removing bits: "o-w", "go-w", "u-s,o-w".
std::string symbolic_clear(mode_t clear) {
    struct Who {
        char name;
        std::string perms;
    } who[] = {{'u', ""}, {'g', ""}, {'o', ""}};
    if (clear & S_IWUSR) who[0].perms += 'w';
    if (clear & S_ISUID) who[0].perms += 's';
    if (clear & S_IWGRP) who[1].perms += 'w';
    if (clear & S_ISGID) who[1].perms += 's';
    if (clear & S_IWOTH) who[2].perms += 'w';
    std::string arg;
    bool done[3] = {};
    for (int i = 0; i < 3; ++i) {
        if (done[i] || who[i].perms.empty())
            continue;
        std::string names;
        for (int j = i; j < 3; ++j) {
            if (!done[j] && who[j].perms == who[i].perms) {
                names += who[j].name;
                done[j] = true;
            }
        }
        arg += (arg.empty() ? "" : ",") + names + "-" + who[i].perms;
    }
    return arg;
}

} // namespace

std::optional<Change> change_for(const Finding& f, bool fix_setid) {
    switch (f.check) {
    case Check::world_writable_file:
    case Check::world_writable_dir:
        return Change{S_IWOTH, 0};
    case Check::writable_executable:
        return Change{S_IWGRP | S_IWOTH, 0};
    case Check::group_writable:
        return Change{S_IWGRP, 0};
    case Check::exposed_secret:
        return Change{0, S_ISDIR(f.mode) ? mode_t{0700} : mode_t{0600}};
    case Check::setuid:
        return fix_setid ? std::optional(Change{S_ISUID, 0}) : std::nullopt;
    case Check::setgid:
        return fix_setid ? std::optional(Change{S_ISGID, 0}) : std::nullopt;
    case Check::dangling_symlink:
    case Check::symlink_loop:
    case Check::unknown_owner:
    case Check::device_outside_dev:
    case Check::file_capabilities:
        return std::nullopt;
    }
    return std::nullopt;
}

Change merge(const Change& a, const Change& b) { return Change{a.clear | b.clear, a.exact ? a.exact : b.exact}; }

mode_t changed_mode(const Change& c, mode_t now) {
    mode_t m = now & 07777;
    if (c.exact)
        m = c.exact | (S_ISDIR(now) ? now & (S_ISUID | S_ISGID) : 0);
    return m & ~c.clear;
}

std::string change_command(const Change& c, const std::string& path) {
    // An exact mode is only ever set on keys (files: chmod 600 drops their set-id bits too)
    // and on .ssh (a directory: no set-id check clears its bits), so it needs no clause more.
    std::string arg = c.exact ? fmt::format("{:o}", c.exact) : symbolic_clear(c.clear);
    std::string cmd = "chmod " + arg + " ";
    if (!path.empty() && path[0] == '-')
        cmd += "-- ";
    return cmd + out::shell_quote(path);
}

ApplyResult apply_change(int root_fd, const Finding& f, const Change& c, mode_t& from, mode_t& to,
                         std::string& error) {
    fs::UniqueFd fd = fs::open_beneath(root_fd, f.rel);
    if (!fd) {
        error = errno == ELOOP ? "a symbolic link now stands on its path; not followed" : std::strerror(errno);
        return ApplyResult::failed;
    }
    struct stat st;
    if (fstat(fd.get(), &st) != 0) {
        error = std::strerror(errno);
        return ApplyResult::failed;
    }
    if (S_ISLNK(st.st_mode)) {
        error = "it is now a symbolic link; not followed";
        return ApplyResult::failed;
    }
    if (st.st_dev != f.id.dev || st.st_ino != f.id.ino) {
        error = "it was replaced after the scan; not changed";
        return ApplyResult::failed;
    }
    from = st.st_mode & 07777;
    to = changed_mode(c, st.st_mode);
    if (to == from)
        return ApplyResult::unchanged;
    if (fs::chmod_fd(fd.get(), to) != 0) {
        error = std::strerror(errno);
        return ApplyResult::failed;
    }
    return ApplyResult::changed;
}

bool fix_findings(const std::vector<Finding>& findings, const std::vector<std::string>& roots, bool fix_setid,
                  bool apply, const ReportOptions& ro, out::Sink& sink) {
    bool ok = true;
    std::vector<fs::UniqueFd> root_fds(roots.size());
    for (std::size_t i = 0; i < findings.size();) {
        // Findings are sorted by path: merge each path's changes into one chmod.
        const Finding& f = findings[i];
        std::optional<Change> change;
        for (; i < findings.size() && findings[i].path == f.path; ++i) {
            if (auto c = change_for(findings[i], fix_setid))
                change = change ? merge(*change, *c) : *c;
        }
        if (!change)
            continue;
        mode_t from = f.mode & 07777, to = changed_mode(*change, f.mode);
        if (apply) {
            fs::UniqueFd& root_fd = root_fds[f.root];
            if (!root_fd)
                root_fd.reset(open(roots[f.root].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
            if (!root_fd) {
                cli::error_errno(roots[f.root], errno);
                ok = false;
                continue;
            }
            std::string why;
            ApplyResult r = apply_change(root_fd.get(), f, *change, from, to, why);
            if (r == ApplyResult::failed) {
                cli::error(f.path, "not changed: " + why);
                ok = false;
            }
            if (r != ApplyResult::changed)
                continue;
        }
        std::string cmd = change_command(*change, f.path);
        if (ro.format == cli::Format::json)
            sink.line(out::Object()
                          .add("path", f.path)
                          .add("chmod", cmd.substr(6, cmd.find(' ', 6) - 6))
                          .add("mode", fs::mode_octal(from))
                          .add("new_mode", fs::mode_octal(to))
                          .add("applied", apply)
                          .str());
        else
            sink.line(out::shown(cmd, ro.escape));
    }
    return ok;
}

} // namespace syskit::permscan

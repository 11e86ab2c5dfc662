// act: what dupfind does to the copies it found, shown as commands or made safely.
#pragma once

#include "finder.hpp"

#include "fs/fd.hpp"

#include <functional>
#include <string>
#include <vector>

namespace syskit::dupfind {

enum class ActionKind { none, remove, hardlink, symlink, reflink };

/// The command a dry run prints for one name of a copy: "rm PATH", "ln -f KEEP PATH",
/// "ln -sf TARGET PATH", "cp --reflink=always KEEP PATH"; paths quoted for a shell.
/// target: where a symlink would point (the kept file's absolute path).
std::string action_command(ActionKind kind, const std::string& keep, const std::string& target, const std::string& path);

/// The PATHs, opened before the walk and held to the end: acting reaches every name
/// beneath these descriptors, never through a path that could be swapped meanwhile.
struct HeldRoots {
    std::vector<fs::UniqueFd> fds;  ///< O_PATH, one per root; empty where it could not be opened
    std::vector<int> errs;          ///< why, for an empty descriptor
    /// Each made absolute by realpath(3) when it was opened: where the kept files are
    /// expected to stay, and what symlinks to them are made with.
    std::vector<std::string> paths;
};

/// Opens each root with O_PATH, following a symbolic link only when follow is set (-L,
/// as the walk does), and records where each is.
HeldRoots hold_roots(const std::vector<std::string>& roots, bool follow);

struct ActContext {
    const std::vector<std::string>& roots;
    const HeldRoots& held;
    ActionKind kind;
};

/// The kept file's absolute path as it was when the roots were opened: the target a dry
/// run shows for a symlink.
std::string absolute_path(const ActContext& ctx, const Name& name);

/// Replaces (or removes) name, a name of copy, with the kept file keep, after checking that
/// both are still the files that were hashed (inode, size, mtime) and that their bytes are
/// equal.  The directory holding name is reached beneath its held root, following no
/// symbolic link.  A symlink's target is the kept file's path beneath its held root, checked
/// against the descriptor held for the kept file: the kernel must name that file by the
/// same path, and the path, resolved again with no symbolic link allowed, must lead to it;
/// otherwise the kept file is no longer where it was and nothing is done.  The new link, symlink or clone is made under a temporary name in the same
/// directory and swapped in with renameat2(RENAME_EXCHANGE); the swapped-out file is
/// checked to be the one verified before it is unlinked, and swapped back if not.  So the
/// name is never missing and never half-written, and a file replaced in between is never
/// lost.  SIGINT, SIGTERM and SIGHUP wait until the swap is done.  Returns true on
/// success; otherwise error says why.  target, when given, gets a symlink's target.
bool apply_action(const ActContext& ctx, const File& keep, const File& copy, const Name& name, std::string& error,
                  std::string* target = nullptr);

/// What was done to one name of a copy, or would be without --apply.
struct Done {
    const Name& name;           ///< the copy's name acted on
    const Name& keep;           ///< the kept file's first name
    const std::string& command; ///< the command doing the same (action_command)
};

/// Acts on every name of every copy in groups (each group's kept file first, as
/// order_group leaves it): with apply, makes the change with apply_action; then, or at once
/// without apply, calls done.  A change that fails is reported on stderr and not passed to
/// done.  Returns false when a change failed.
bool act(const std::vector<Group>& groups, const ActContext& ctx, bool apply,
         const std::function<void(const Done&)>& done);

} // namespace syskit::dupfind

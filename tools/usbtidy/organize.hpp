// organize: moving a directory's files into folders by extension, and undoing it, through
// renameat2(RENAME_NOREPLACE) within the directory's file system and a journal written
// before every move (journal.hpp).
#pragma once

#include "rules.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace syskit::usbtidy {

/// One file moved (or, in a dry run, to be moved): DIR/src <-> DIR/folder/name.
struct Move {
    std::string src, folder, name;
};

/// What organize and undo tell their caller as they go.
struct Events {
    /// A file moved: into its folder (organize) or back (undo).
    std::function<void(const Move&)> moved;
    /// Something went wrong: subject (a path under DIR, or DIR) and what, naming the call.
    std::function<void(std::string_view subject, std::string_view message)> problem;
};

struct Summary {
    std::size_t moved = 0;
    std::size_t problems = 0;
    bool stopped = false; ///< the run ended early: a failed journal write, a drive gone
};

struct OrganizeOptions {
    std::string dir; ///< DIR as the user named it, for messages
    bool dry_run = false;
};

/// Moves the regular files directly in the directory dirfd is open on into the folders
/// rules gives, creating the folders; hidden names, system folders, directories, symbolic
/// links and special files stay.  Each batch of moves is journaled and flushed before it
/// starts; a name taken in the folder gets " (1)", " (2)", ... before its extension.
/// A dry run reports the same moves and changes nothing.
Summary organize(int dirfd, const Rules& rules, const OrganizeOptions& o, const Events& ev);

/// Puts back every file the journal of dirfd's directory records as moved, newest run
/// first, removes the folders organize created if they are empty, then the journal.  A file
/// whose old name is taken again is left where it is and reported; the journal is kept
/// then, and undo can run again.
Summary undo(int dirfd, const std::string& dir, const Events& ev);

} // namespace syskit::usbtidy

// journal: organize's record of every move, written and flushed to the drive before the move,
// so that undo can put each file back even after a crash or a stick pulled mid-run.
//
// The file, DIR/.usbtidy-journal, is text: a header line, then one record a line.  Names are
// escaped byte for byte (\xHH for every byte outside '!'..'~' and for '\'), so a name with a
// newline, a space or bytes that are not UTF-8 fits on one line and comes back unchanged.
// Each line ends with " #" and the CRC-32 of what precedes it, in 8 hex digits:
//
//   usbtidy-journal 1 fs=4d44 #xxxxxxxx        the file system's statfs type, in hex
//   run #xxxxxxxx                              an organize run starts
//   mkdir FOLDER #xxxxxxxx                     about to create FOLDER
//   exists FOLDER #xxxxxxxx                    FOLDER turned out to exist: not ours to remove
//   move SIZE MTIME SRC FOLDER NAME #xxxxxxxx  about to rename SRC to FOLDER/NAME
//
// A last line cut short (no newline, or a bad checksum) is what a crash or a pulled stick
// leaves while a batch is written: the moves it describes never started, and it is ignored.
// Anything else that does not parse makes the whole journal refused.
#pragma once

#include "fs/fd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::usbtidy {

/// The journal's name inside the organized directory.
inline constexpr const char* journal_name = ".usbtidy-journal";

struct Record {
    enum class Kind { run, mkdir, exists, move };
    Kind kind = Kind::run;
    std::string src;    ///< move: the name in DIR
    std::string folder; ///< mkdir, exists, move: the folder in DIR
    std::string name;   ///< move: the name in the folder
    std::uint64_t size = 0;
    std::int64_t mtime = 0; ///< seconds since the epoch

    bool operator==(const Record&) const = default;
};

/// A parsed journal.
struct Parsed {
    std::uint32_t fs_type = 0;   ///< statfs f_type of the file system it was written on
    std::vector<Record> records;
    std::size_t valid_size = 0;  ///< bytes up to the end of the last good line
};

/// Parses a journal's bytes.  nullopt with why set ("not a usbtidy journal", "line 7:
/// bad checksum", ...) when it is foreign or corrupt.  A cut-short last line is dropped.
std::optional<Parsed> parse_journal(std::string_view data, std::string& why);

/// The header line, newline included.
std::string header_line(std::uint32_t fs_type);

/// A record's line, newline included.
std::string record_line(const Record& r);

/// s escaped for a journal field (never empty: an empty s cannot be written).
void append_escaped(std::string& out, std::string_view s);

/// The journal of an organize run, open for appending.
class JournalWriter {
public:
    /// Opens DIR's journal (dirfd) for appending, creating it with a header when missing.  An
    /// existing one is read first: a foreign or corrupt one, or one written on another kind of
    /// file system than fs_type, is refused; a cut-short last line is cut off.  False with why
    /// set (the call and the reason) on failure; nothing is changed then.
    bool open(int dirfd, std::uint32_t fs_type, std::string& why);

    /// Adds a record to the batch in memory.
    void add(const Record& r) { batch_ += record_line(r); }

    /// Writes the batch and waits for it to reach the drive (fdatasync).  Only then may the
    /// moves it describes start.  False with why set on failure.
    bool commit(std::string& why);

private:
    fs::UniqueFd fd_;
    std::string batch_;
};

} // namespace syskit::usbtidy

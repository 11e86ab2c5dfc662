// rules: which folder a file goes to, by its extension: the book's folder per extension, or
// the groups of a --rules file (images/, documents/, ...); and which names are left alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::usbtidy {

/// The folder of files without an extension, and of those a rules file does not name.
inline constexpr std::string_view other_folder = "other";

/// Where files go.  Default-constructed: each extension its own folder (the book's rule).
class Rules {
public:
    Rules() = default;

    /// The folder for a file named name: its extension's group under a rules file, else the
    /// extension itself in lower case; other_folder when it has none.
    std::string folder_for(std::string_view name) const;

    /// Parses a rules file: one group a line, "FOLDER: EXT EXT ...", extensions with or
    /// without their dot and in any case, "*" for every extension no other line names;
    /// blank lines and lines starting with '#' ignored.  On a mistake returns nullopt and
    /// sets why to "line N: what is wrong".
    static std::optional<Rules> parse(std::string_view text, std::string& why);

    /// The groups, extension (lower case) -> folder, for tests.
    const std::map<std::string, std::string, std::less<>>& groups() const { return groups_; }
    bool by_group() const { return by_group_; }

private:
    bool by_group_ = false;
    std::map<std::string, std::string, std::less<>> groups_;
    std::string fallback_ = std::string(other_folder);
};

/// A file's extension as organize uses it: the bytes after the last '.', when that dot is not
/// the first byte and 1 to 16 bytes follow it with no space or control character; empty
/// otherwise.  Not lower-cased.
std::string_view extension_of(std::string_view name);

/// name with its ASCII letters in lower case (other bytes, UTF-8 or not, as they are).
std::string ascii_lower(std::string_view name);

/// Whether organize leaves the entry named name alone: hidden names (a leading '.', which
/// covers .Trashes, .Spotlight-V100, .fseventsd and usbtidy's own journal) and the folders
/// systems keep on removable drives (System Volume Information, $RECYCLE.BIN, ...).
bool left_alone(std::string_view name);

/// Whether name can be a folder organize creates: one path component, not hidden, not a
/// system folder, at most 255 bytes, no control characters.  why says what is wrong.
bool valid_folder(std::string_view name, std::string& why);

/// The name to try after `tries` collisions: "photo (1).jpg", "photo (2).jpg", "notes (1)"
/// (the counter goes before the extension extension_of finds).
std::string numbered_name(std::string_view name, unsigned tries);

} // namespace syskit::usbtidy

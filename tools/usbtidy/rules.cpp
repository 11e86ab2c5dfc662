#include "rules.hpp"

#include <fmt/format.h>

#include <array>

namespace syskit::usbtidy {

namespace {

constexpr std::size_t max_extension = 16;

// Folders Windows, macOS and cameras keep on removable drives.  The hidden ones (.Trashes,
// .Spotlight-V100, .fseventsd, .TemporaryItems) are covered by the leading dot.
constexpr std::array<std::string_view, 4> system_folders{"System Volume Information", "$RECYCLE.BIN", "RECYCLER",
                                                         "LOST.DIR"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::string ascii_lower(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view extension_of(std::string_view name) {
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0)
        return {};
    auto ext = name.substr(dot + 1);
    if (ext.empty() || ext.size() > max_extension)
        return {};
    for (unsigned char c : ext)
        if (c <= 0x20 || c == 0x7f)
            return {};
    return ext;
}

bool left_alone(std::string_view name) {
    if (name.empty() || name.front() == '.')
        return true;
    for (auto s : system_folders)
        if (name == s)
            return true;
    return false;
}

bool valid_folder(std::string_view name, std::string& why) {
    if (name.empty())
        why = "a folder name is empty";
    else if (name.size() > 255)
        why = "the folder name is longer than 255 bytes";
    else if (name.find('/') != std::string_view::npos)
        why = fmt::format("'{}' is not a folder name (it has a '/')", name);
    else if (has_control(name))
        why = "the folder name has a control character";
    else if (left_alone(name))
        why = fmt::format("'{}' is hidden or a system folder, which usbtidy leaves alone", name);
    else
        return true;
    return false;
}

std::string numbered_name(std::string_view name, unsigned tries) {
    auto ext = extension_of(name);
    if (ext.empty())
        return fmt::format("{} ({})", name, tries);
    auto stem = name.substr(0, name.size() - ext.size() - 1);
    return fmt::format("{} ({}).{}", stem, tries, ext);
}

std::string Rules::folder_for(std::string_view name) const {
    auto ext = extension_of(name);
    if (ext.empty())
        return std::string(other_folder);
    auto lower = ascii_lower(ext);
    if (!by_group_)
        return lower;
    auto it = groups_.find(lower);
    return it == groups_.end() ? fallback_ : it->second;
}

std::optional<Rules> Rules::parse(std::string_view text, std::string& why) {
    Rules rules;
    rules.by_group_ = true;
    bool fallback_set = false;
    std::size_t number = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto raw = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++number;
        auto fail = [&](const std::string& what) {
            why = fmt::format("line {}: {}", number, what);
            return std::nullopt;
        };
        auto line = trim(raw);
        if (line.empty() || line.front() == '#')
            continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return fail("expected 'FOLDER: EXT EXT ...'");
        auto folder = trim(line.substr(0, colon));
        std::string folder_why;
        if (!valid_folder(folder, folder_why))
            return fail(folder_why);
        auto rest = line.substr(colon + 1);
        bool any = false;
        while (!rest.empty()) {
            while (!rest.empty() && is_space(rest.front()))
                rest.remove_prefix(1);
            auto end = rest.find_first_of(" \t\r");
            auto word = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
            if (word.empty())
                continue;
            any = true;
            if (word == "*") {
                if (fallback_set)
                    return fail("'*' is given twice");
                fallback_set = true;
                rules.fallback_ = std::string(folder);
                continue;
            }
            if (word.front() == '.')
                word.remove_prefix(1);
            if (word.empty() || word.size() > max_extension || word.find('.') != std::string_view::npos ||
                has_control(word))
                return fail(fmt::format("'{}' is not an extension (1 to {} bytes after the dot)", word,
                                        max_extension));
            auto [it, added] = rules.groups_.emplace(ascii_lower(word), std::string(folder));
            if (!added)
                return fail(fmt::format("extension '{}' is already in group '{}'", it->first, it->second));
        }
        if (!any)
            return fail(fmt::format("group '{}' lists no extension", folder));
    }
    if (rules.groups_.empty() && !fallback_set) {
        why = "no group: the file maps no extension to a folder";
        return std::nullopt;
    }
    return rules;
}

} // namespace syskit::usbtidy

#include "journal.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace syskit::usbtidy {

namespace {

constexpr std::string_view magic = "usbtidy-journal";
constexpr std::size_t max_field = 255;

std::uint32_t crc_of(std::string_view s) {
    return static_cast<std::uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

void seal(std::string& line) {
    line += fmt::format(" #{:08x}\n", crc_of(line));
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/// Undoes append_escaped; false for a bad escape, a byte that should have been escaped, or
/// a result that is not one path component.
bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c == '\\') {
            if (i + 3 >= in.size() || in[i + 1] != 'x')
                return false;
            int hi = hex_digit(in[i + 2]), lo = hex_digit(in[i + 3]);
            if (hi < 0 || lo < 0)
                return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 3;
        } else if (c < '!' || c > '~') {
            return false;
        } else {
            out += static_cast<char>(c);
        }
    }
    return !out.empty() && out.size() <= max_field && out != "." && out != ".." &&
           out.find('/') == std::string::npos && out.find('\0') == std::string::npos;
}

template <class T>
bool number(std::string_view s, T& v) {
    if (s.empty() || s.size() > 20)
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> fields(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        auto sp = s.find(' ', start);
        out.push_back(s.substr(start, sp - start));
        if (sp == std::string_view::npos)
            return out;
        start = sp + 1;
    }
}

/// One line without its newline: its body after checking the checksum, or nullopt.
std::optional<std::string_view> checked_body(std::string_view line) {
    if (line.size() < 11 || line[line.size() - 10] != ' ' || line[line.size() - 9] != '#')
        return std::nullopt;
    auto body = line.substr(0, line.size() - 10);
    std::uint32_t want = 0;
    auto hex = line.substr(line.size() - 8);
    for (char c : hex) {
        int d = hex_digit(c);
        if (d < 0)
            return std::nullopt;
        want = want * 16 + static_cast<std::uint32_t>(d);
    }
    if (crc_of(body) != want)
        return std::nullopt;
    return body;
}

bool parse_record(std::string_view body, Record& r, std::string& what) {
    auto f = fields(body);
    auto name = [&](std::size_t i, std::string& into) {
        if (unescape(f[i], into))
            return true;
        what = fmt::format("field {} is not an escaped file name", i + 1);
        return false;
    };
    if (f[0] == "run" && f.size() == 1) {
        r.kind = Record::Kind::run;
        return true;
    }
    if ((f[0] == "mkdir" || f[0] == "exists") && f.size() == 2) {
        r.kind = f[0] == "mkdir" ? Record::Kind::mkdir : Record::Kind::exists;
        return name(1, r.folder);
    }
    if (f[0] == "move" && f.size() == 6) {
        r.kind = Record::Kind::move;
        if (!number(f[1], r.size) || !number(f[2], r.mtime)) {
            what = "bad size or time";
            return false;
        }
        return name(3, r.src) && name(4, r.folder) && name(5, r.name);
    }
    what = "not a record usbtidy writes";
    return false;
}

} // namespace

void append_escaped(std::string& out, std::string_view s) {
    for (unsigned char c : s) {
        if (c < '!' || c > '~' || c == '\\')
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
}

std::string header_line(std::uint32_t fs_type) {
    std::string line = fmt::format("{} 1 fs={:x}", magic, fs_type);
    seal(line);
    return line;
}

std::string record_line(const Record& r) {
    std::string line;
    switch (r.kind) {
    case Record::Kind::run: line = "run"; break;
    case Record::Kind::mkdir: line = "mkdir "; append_escaped(line, r.folder); break;
    case Record::Kind::exists: line = "exists "; append_escaped(line, r.folder); break;
    case Record::Kind::move:
        line = fmt::format("move {} {} ", r.size, r.mtime);
        append_escaped(line, r.src);
        line += ' ';
        append_escaped(line, r.folder);
        line += ' ';
        append_escaped(line, r.name);
        break;
    }
    seal(line);
    return line;
}

std::optional<Parsed> parse_journal(std::string_view data, std::string& why) {
    Parsed p;
    auto nl = data.find('\n');
    if (data.substr(0, magic.size() + 1) != std::string(magic) + " " || nl == std::string_view::npos) {
        why = "not a usbtidy journal";
        return std::nullopt;
    }
    auto header = checked_body(data.substr(0, nl));
    if (!header) {
        why = "line 1: bad checksum";
        return std::nullopt;
    }
    auto hf = fields(*header);
    if (hf.size() != 3 || hf[1] != "1") {
        why = fmt::format("line 1: journal version '{}' is not one this usbtidy reads", hf.size() > 1 ? hf[1] : "");
        return std::nullopt;
    }
    auto fs = hf[2];
    if (fs.substr(0, 3) != "fs=" || fs.size() < 4 || fs.size() > 11) {
        why = "line 1: no file system type";
        return std::nullopt;
    }
    for (char c : fs.substr(3)) {
        int d = hex_digit(c);
        if (d < 0) {
            why = "line 1: no file system type";
            return std::nullopt;
        }
        p.fs_type = p.fs_type * 16 + static_cast<std::uint32_t>(d);
    }
    std::size_t pos = nl + 1;
    p.valid_size = pos;
    std::size_t number = 1;
    while (pos < data.size()) {
        ++number;
        auto end = data.find('\n', pos);
        if (end == std::string_view::npos)
            break; // cut short by a crash: its moves never started
        auto body = checked_body(data.substr(pos, end - pos));
        bool last = end + 1 == data.size();
        Record r;
        std::string what = "bad checksum";
        if (!body || !parse_record(*body, r, what)) {
            if (last && !body)
                break;
            why = fmt::format("line {}: {}", number, what);
            return std::nullopt;
        }
        p.records.push_back(std::move(r));
        pos = end + 1;
        p.valid_size = pos;
    }
    return p;
}

bool JournalWriter::open(int dirfd, std::uint32_t fs_type, std::string& why) {
    fs::UniqueFd fd(::openat(dirfd, journal_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) {
        why = fmt::format("openat({}): {}", journal_name, std::strerror(errno));
        return false;
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        why = fmt::format("{}: not a regular file", journal_name);
        return false;
    }
    std::string data;
    if (!fs::read_all(fd.get(), data)) {
        why = fmt::format("read({}): {}", journal_name, std::strerror(errno));
        return false;
    }
    if (data.empty()) {
        batch_ = header_line(fs_type);
        fd_ = std::move(fd);
        // The journal's own directory entry must be on the drive before any move it covers.
        if (!commit(why))
            return false;
        if (::fsync(dirfd) != 0) {
            why = fmt::format("fsync(.): {}", std::strerror(errno));
            return false;
        }
        return true;
    }
    auto parsed = parse_journal(data, why);
    if (!parsed) {
        why = fmt::format("{}: {}; refusing to add to it (move it away to start afresh)", journal_name, why);
        return false;
    }
    if (parsed->fs_type != fs_type) {
        why = fmt::format("{}: written on another file system (type {:x}, this one is {:x})", journal_name,
                          parsed->fs_type, fs_type);
        return false;
    }
    if (parsed->valid_size != data.size() && ::ftruncate(fd.get(), static_cast<off_t>(parsed->valid_size)) != 0) {
        why = fmt::format("ftruncate({}): {}", journal_name, std::strerror(errno));
        return false;
    }
    if (::lseek(fd.get(), 0, SEEK_END) < 0) {
        why = fmt::format("lseek({}): {}", journal_name, std::strerror(errno));
        return false;
    }
    fd_ = std::move(fd);
    return true;
}

bool JournalWriter::commit(std::string& why) {
    if (batch_.empty())
        return true;
    if (!fs::write_all(fd_.get(), batch_.data(), batch_.size()) || ::fdatasync(fd_.get()) != 0) {
        why = fmt::format("write({}): {}", journal_name, std::strerror(errno));
        return false;
    }
    batch_.clear();
    return true;
}

} // namespace syskit::usbtidy

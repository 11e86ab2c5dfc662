#include "holdings.hpp"

#include "out/color.hpp"
#include "out/json.hpp"
#include "out/text.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace syskit::fdlock {

namespace {

/// COMMAND as one field: \xHH for what would split it or confuse a reader.
std::string command_field(const std::string& comm) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (unsigned char c : comm) {
        if (c <= ' ' || c == 0x7f || c == '\\') {
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 0xf];
        } else {
            s += static_cast<char>(c);
        }
    }
    return s;
}

std::string device(const lock::LockLine& l) {
    static constexpr char hex[] = "0123456789abcdef";
    // As /proc/locks prints it: at least two hex digits each.
    auto two = [](unsigned n) {
        std::string s;
        do {
            s.insert(s.begin(), hex[n & 0xf]);
            n >>= 4;
        } while (n != 0);
        return s.size() < 2 ? "0" + s : s;
    };
    return two(l.dev_major) + ":" + two(l.dev_minor);
}

std::string bytes(std::int64_t start, std::int64_t length) {
    if (start == 0 && length == 0)
        return "the whole file";
    return "bytes " + std::to_string(start) + "-" + (length == 0 ? "EOF" : std::to_string(start + length - 1));
}

} // namespace

std::string text_line(const lock::Holding& h, bool terminal, bool color) {
    auto maybe_escaped = [&](const std::string& s) { return terminal ? out::escape_for_terminal(s) : s; };
    std::string s = h.pid > 0 ? std::to_string(h.pid) : "-";
    s += ' ';
    s += h.command.empty() ? "-" : maybe_escaped(command_field(h.command));
    s += ' ';
    s += h.lock.type;
    s += ' ';
    s += out::paint(h.lock.waiting ? h.lock.mode + '*' : h.lock.mode,
                    h.lock.waiting            ? out::sgr::yellow
                    : h.lock.mode == "WRITE" ? out::sgr::red
                                              : out::sgr::green,
                    color);
    s += ' ';
    s += std::to_string(h.lock.start);
    s += ' ';
    s += h.lock.end ? std::to_string(*h.lock.end) : "EOF";
    s += ' ';
    s += h.path.empty() ? "-" : maybe_escaped(h.path);
    return s;
}

std::string json_line(const lock::Holding& h) {
    out::Object o;
    if (h.pid > 0)
        o.add("pid", h.pid);
    else
        o.add_raw("pid", "null");
    if (h.command.empty())
        o.add_raw("command", "null");
    else
        o.add("command", h.command);
    o.add("type", h.lock.type).add("mode", h.lock.mode).add("start", h.lock.start);
    if (h.lock.end)
        o.add("end", *h.lock.end);
    else
        o.add_raw("end", "null");
    o.add("waiting", h.lock.waiting);
    if (h.fd >= 0)
        o.add("fd", h.fd);
    else
        o.add_raw("fd", "null");
    if (h.path.empty())
        o.add_raw("path", "null");
    else
        o.add("path", h.path);
    if (h.lock.has_inode)
        o.add("device", device(h.lock)).add("inode", h.lock.inode);
    else
        o.add_raw("device", "null").add_raw("inode", "null");
    return o.str();
}

lock::Range range_of(const lock::LockLine& l) {
    return {l.start, l.end ? *l.end - l.start + 1 : 0};
}

bool blocks(const lock::LockLine& l, lock::Mode mode, const lock::Range& range) {
    if (l.waiting || (l.type != "POSIX" && l.type != "OFDLCK"))
        return false;
    return lock::overlaps(range_of(l), range) && (mode == lock::Mode::exclusive || l.mode == "WRITE");
}

std::string describe_holders(const lock::FileKey& file, lock::Mode mode, const lock::Range& range,
                             const std::optional<lock::Conflict>& conflict) {
    std::vector<lock::Holding> holdings;
    lock::list_holdings({file, false}, &holdings);
    std::vector<pid_t> named;
    bool unknown = false;
    std::string s;
    auto name = [&](pid_t pid, const std::string& comm) {
        if (std::find(named.begin(), named.end(), pid) != named.end())
            return;
        named.push_back(pid);
        s += s.empty() ? "" : ", ";
        s += "pid " + std::to_string(pid) + " (";
        // Waiting on itself: it inherited a descriptor holding the lock (exec 9>FILE in the shell).
        s += pid == getpid() ? "this fdlock, through a descriptor it inherited"
                             : comm.empty() ? "?" : out::escape_for_terminal(comm);
        s += ")";
    };
    for (const auto& h : holdings) {
        if (!blocks(h.lock, mode, range))
            continue;
        if (h.pid > 0)
            name(h.pid, h.command);
        else
            unknown = true;
    }
    if (named.empty() && conflict && conflict->pid > 0)
        name(conflict->pid, lock::process_command(conflict->pid));
    // An OFD lock's holder is found through its descriptors: another user's cannot be read
    // without privilege, and an exiting process has left its descriptor table a moment
    // before its locks go.
    if (unknown)
        s += s.empty() ? "an OFD lock whose holder cannot be seen: another user's process, or one exiting"
                       : ", and a holder that cannot be seen";
    return s;
}

std::string describe_request(const lock::Request& r) {
    std::string s = r.mode == lock::Mode::shared ? "a shared " : "an exclusive ";
    s += r.owner == lock::Owner::ofd ? "OFD" : "POSIX";
    s += " lock on ";
    s += bytes(r.range.start, r.range.length);
    return s;
}

int print_holdings(const lock::HoldingQuery& query, const std::optional<lock::Range>& range, cli::Format format,
                   bool is_holder, bool color) {
    std::vector<lock::Holding> holdings;
    if (int err = lock::list_holdings(query, &holdings)) {
        cli::error("/proc/locks", std::strerror(err));
        return cli::exit_trouble;
    }
    out::Sink sink;
    const bool escape = out::escape_stdout();
    std::size_t printed = 0;
    for (const auto& h : holdings) {
        // fdlock itself holds what it inherited from the shell (exec 9>FILE): not news.
        if (h.pid == getpid() || (range && !lock::overlaps(range_of(h.lock), *range)))
            continue;
        sink.line(format == cli::Format::json ? json_line(h) : text_line(h, escape, color));
        ++printed;
    }
    return out::finish(sink, is_holder && printed > 0 ? cli::exit_found : cli::exit_ok);
}

} // namespace syskit::fdlock

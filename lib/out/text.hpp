// text: the stdout sink every tool writes its results to, and text for people and shells.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace syskit::out {

/// Buffered writer on a file descriptor (stdout by default) with write(2) underneath, so
/// a failed write (a full disk, a closed pipe) is seen and reported instead of lost.
class Sink {
public:
    explicit Sink(int fd = 1) : fd_(fd) { buf_.reserve(capacity); }
    ~Sink() { flush(); }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    void write(std::string_view s);
    /// s followed by a newline: a text or JSON-lines record.
    void line(std::string_view s);
    /// s followed by a NUL byte: a path for xargs -0.
    void record0(std::string_view s);
    /// s followed by the byte end, inline: the path of a tool that prints millions of small
    /// records, where a call per piece costs as much as the copy.
    void record(std::string_view s, char end) {
        if (buf_.size() + s.size() < capacity) {
            buf_.append(s);
            buf_ += end;
            return;
        }
        write(s);
        write(std::string_view(&end, 1));
    }
    /// Writes out what is buffered.  Returns false, and keeps the errno in error(), when a
    /// write failed; later writes are dropped.
    bool flush();
    int error() const { return error_; }

private:
    static constexpr std::size_t capacity = 1 << 16;
    int fd_;
    int error_ = 0;
    std::string buf_;
};

/// The end of every tool's run: flushes sink (the results on stdout) and returns status, or,
/// when a write failed (a full disk, a closed pipe), reports "tool: stdout: error" and
/// returns exit_trouble.
int finish(Sink& sink, int status);

/// Whether names printed on stdout are escaped: when it is a terminal, where a hostile name
/// could move the cursor; never into a pipe or file, where they must arrive as they are.
bool escape_stdout();

/// s escaped for a terminal when escape is true, as it is otherwise.
inline std::string shown(std::string_view s, bool escape);

/// A byte string made safe for a terminal: control characters as C escapes (\n, \t, \033),
/// bytes that are not valid UTF-8 as \xHH, and a backslash doubled, so a hostile file name
/// cannot move the cursor or change colours.
std::string escape_for_terminal(std::string_view s);

inline std::string shown(std::string_view s, bool escape) {
    return escape ? escape_for_terminal(s) : std::string(s);
}

/// s quoted for a POSIX shell: 'it'\''s', so a printed command can be run as it is.
std::string shell_quote(std::string_view s);

/// A size for people as du -h prints it, rounded up: 0, 1023, 1.0K, 15M, 2.3G.  With si,
/// powers of 1000 as du --si prints them: 999, 1.1k, 15M.
std::string human_size(std::uint64_t bytes, bool si = false);

} // namespace syskit::out

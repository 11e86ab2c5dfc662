// log: structured log lines for daemons, in logfmt or JSON, one write(2) per line (book
// chapter 11).  Safe to call from any thread; SIGHUP handlers call reopen() after rotation.
#pragma once

#include "fs/fd.hpp"

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace syskit::log {

enum class Format { logfmt, json };
enum class Level { debug, info, warn, error };

std::string_view level_name(Level l);

/// A field's value: text, a number or a flag.
using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;
using Fields = std::initializer_list<std::pair<std::string_view, Value>>;

class Logger {
public:
    /// Logs to fd (standard error by default), which the logger does not own.
    explicit Logger(Format format = Format::logfmt, int fd = 2);
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    /// Logs to the file at path from now on, appending (created 0640 if missing).  False with
    /// error set when it cannot be opened.
    bool open(const std::string& path, std::string& error);
    /// Opens the file again, for after it was renamed by a log rotator.  The new file takes
    /// the old one's descriptor number (dup3), so a line being written concurrently goes to
    /// one file or the other, never to a closed descriptor.  True when logging to stderr.
    bool reopen(std::string& error);

    void set_min_level(Level l) { min_ = l; }
    /// Colours the level of each logfmt line from now on (a daemon's --color, when its log
    /// goes to a terminal): error in bold red, warn in bold yellow.  JSON lines stay plain.
    void set_color(bool on) { color_ = on; }
    /// One line: time, level, msg, then the fields in order.
    void log(Level level, std::string_view msg, Fields fields = {});
    void info(std::string_view msg, Fields fields = {}) { log(Level::info, msg, fields); }
    void warn(std::string_view msg, Fields fields = {}) { log(Level::warn, msg, fields); }
    void error(std::string_view msg, Fields fields = {}) { log(Level::error, msg, fields); }

    /// The line log() would write, without the time field (for tests).
    std::string format_line(Level level, std::string_view msg, Fields fields, std::string_view time) const;

private:
    Format format_;
    int fd_;             ///< where lines go: file_'s descriptor, or the one given
    fs::UniqueFd file_;  ///< the file open() opened; empty when logging to the given fd
    std::string path_;
    std::mutex reopen_mu_;
    Level min_ = Level::info;
    bool color_ = false;
};

} // namespace syskit::log

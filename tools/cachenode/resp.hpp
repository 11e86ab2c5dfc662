// resp: the Redis serialization protocol: parsing requests (multibulk and inline) and encoding
// replies in version 2 and, for clients that chose it with HELLO 3, version 3.  Nothing here
// allocates in proportion to a length a client claims.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode::resp {

struct ParseLimits {
    std::size_t max_args = 1024 * 1024;        ///< elements of a multibulk request
    std::size_t max_bulk = 512u << 20;         ///< bytes of one argument
    std::size_t max_request = 512u << 20;      ///< bytes of one whole request
    static constexpr std::size_t max_line = 64 * 1024; ///< a length line or an inline request
};

enum class Parse {
    complete,   ///< argv holds one request, consumed its length (argv may be empty: skip it)
    incomplete, ///< nothing yet: wait for more bytes
    error,      ///< malformed or too large: send error, then close the connection
};

/// An incremental request parser, one per connection.  It remembers how far it got into an
/// incomplete request, so a large one arriving in many reads is parsed once, not once per read.
class Parser {
public:
    explicit Parser(const ParseLimits& limits = {}) : limits_(limits) {}
    void set_limits(const ParseLimits& limits) { limits_ = limits; }
    const ParseLimits& limits() const { return limits_; }

    /// Parses the request at the start of in, which must begin where the last call's in began
    /// unless that call returned complete (then in starts after what it consumed).  argv's
    /// views point into in.  Every length is checked against the limits before waiting for the
    /// bytes it announces, so a client claiming 2 GB gets an error at once, not a buffer.
    Parse parse(std::string_view in, std::vector<std::string_view>& argv, std::size_t& consumed,
                std::string& error);

private:
    Parse inline_request(std::string_view in, std::vector<std::string_view>& argv, std::size_t& consumed,
                         std::string& error);
    void reset();

    ParseLimits limits_;
    // Progress through the current multibulk request.
    std::size_t pos_ = 0;
    std::int64_t expected_ = -1; ///< elements announced; -1: header not read yet
    std::vector<std::pair<std::size_t, std::size_t>> spans_; ///< offset and length of each argument
    std::vector<std::string> inline_args_; ///< an inline request's arguments, unquoted
};

// Replies, appended to out.
void simple(std::string& out, std::string_view s);
/// msg starts with its error code: "ERR syntax error", "WRONGPASS ...".
void error(std::string& out, std::string_view msg);
void integer(std::string& out, std::int64_t v);
void bulk(std::string& out, std::string_view s);
void null_bulk(std::string& out);
void array(std::string& out, std::size_t n);

/// A container's HELP reply in Redis's shape (simple strings in either protocol): the usage
/// line "CONTAINER <subcommand> ...", then lines (each subcommand's synopsis with its
/// description indented under it), then HELP and its own description, last.
void help(std::string& out, std::string_view container, std::initializer_list<std::string_view> lines);

/// A command as a client sends it (to another node: a forwarded request, a migrated key),
/// appended to out: an array of bulk strings, one per argument.
void command(std::string& out, std::initializer_list<std::string_view> args);

// Replies whose form depends on the version the client speaks (resp3: it chose 3 with HELLO).
/// A null: RESP3's "_", RESP2's null bulk string.
void null(std::string& out, bool resp3);
/// A null where RESP2 has a null array ("*-1": EXEC aborted, COMMAND INFO of an unknown name).
void null_array(std::string& out, bool resp3);
/// The header of a map of n pairs (then 2n replies): RESP3's "%", a flat RESP2 array.
void map(std::string& out, std::size_t n, bool resp3);
/// The header of a set of n members: RESP3's "~", a RESP2 array.
void set(std::string& out, std::size_t n, bool resp3);
/// A double as Redis writes one: RESP3's ",", a RESP2 bulk string.
void double_reply(std::string& out, double v, bool resp3);
/// Text with a format (three letters, "txt"): RESP3's verbatim "=", a RESP2 bulk string.
void verbatim(std::string& out, std::string_view format, std::string_view text, bool resp3);
/// A boolean: RESP3's "#t"/"#f", RESP2's integer 1 or 0.
void boolean(std::string& out, bool v, bool resp3);

} // namespace syskit::cachenode::resp

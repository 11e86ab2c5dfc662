// hub: the chat room itself, apart from any socket: members and their names, joins and leaves
// announced, messages broadcast, the last messages kept and replayed to newcomers.  What it
// says goes out through a callback, one line (without its newline) to one member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::sockkit {

class Hub {
public:
    /// Sends line to the member id.  It may make that member leave (a full queue) at once.
    using Send = std::function<void(std::uint64_t id, std::string_view line)>;
    /// Asks for the member id's connection to be closed once what it was sent is out.
    using Close = std::function<void(std::uint64_t id)>;

    Hub(std::size_t history, Send send, Close close)
        : history_max_(history), send_(std::move(send)), close_(std::move(close)) {}

    /// A new connection, at now_ms; who: how to show it in the announcement ("uid 1000 gid
    /// 1000 pid 42").  It joins with its first line: "/name NAME" joins as NAME, anything
    /// else joins as guest-ID first; or as guest-ID once grace_ms have passed without a line
    /// (tick()).  Joining replays the history to it, tells it its name and who is here, and
    /// announces it to the others.
    void connect(std::uint64_t id, std::string_view who, std::uint64_t now_ms);
    /// Joins, as guest-ID, every connection waiting since before now_ms - grace_ms.
    void tick(std::uint64_t now_ms);
    /// A line from id: "/name NAME" renames, "/who" lists the members, "/quit" leaves,
    /// anything else is a message for the others ("NAME: text"), kept in the history.
    void line(std::uint64_t id, std::string_view text);
    /// id has gone; reason (empty: it just left) goes into the announcement.
    void leave(std::uint64_t id, std::string_view reason);

    /// How long a connection may stay silent before it joins under a guest name.
    static constexpr std::uint64_t grace_ms = 1000;

    std::size_t members() const { return members_.size(); }
    const std::deque<std::string>& history() const { return history_; }
    /// The name of member id; empty when there is none.
    std::string name_of(std::uint64_t id) const;

    /// text with every control character (and DEL) made '?', so a message cannot move another
    /// member's cursor or clear their screen (tabs stay), and every byte that is not UTF-8 made
    /// '?', so that browsers, which take text frames only as UTF-8, can be sent every line.
    static std::string clean(std::string_view text);

private:
    void join(std::uint64_t id, std::string name, const std::string& who);
    void broadcast(std::string_view line, std::uint64_t except);
    std::string who_is_here() const;

    std::size_t history_max_;
    Send send_;
    Close close_;
    std::map<std::uint64_t, std::string> members_; ///< id -> name, in the order of joining
    struct Waiting {
        std::string who;
        std::uint64_t since_ms;
    };
    std::map<std::uint64_t, Waiting> waiting_; ///< connected, not joined yet
    std::deque<std::string> history_;
};

} // namespace syskit::sockkit

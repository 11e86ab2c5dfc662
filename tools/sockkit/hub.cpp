#include "hub.hpp"

#include "options.hpp"
#include "utf8.hpp"

namespace syskit::sockkit {

std::string Hub::clean(std::string_view text) {
    std::string s = to_utf8(text);
    for (char& ch : s) {
        auto u = static_cast<unsigned char>(ch);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            ch = '?';
    }
    return s;
}

std::string Hub::name_of(std::uint64_t id) const {
    auto it = members_.find(id);
    return it == members_.end() ? std::string() : it->second;
}

std::string Hub::who_is_here() const {
    std::string s;
    for (auto& [id, name] : members_)
        s += (s.empty() ? "" : ", ") + name;
    return s;
}

void Hub::broadcast(std::string_view line, std::uint64_t except) {
    // A send may make a member leave, and leaving broadcasts in turn: walk a copy.
    std::vector<std::uint64_t> ids;
    ids.reserve(members_.size());
    for (auto& [id, name] : members_)
        if (id != except)
            ids.push_back(id);
    for (auto id : ids)
        if (members_.count(id))
            send_(id, line);
}

void Hub::connect(std::uint64_t id, std::string_view who, std::uint64_t now_ms) {
    waiting_[id] = Waiting{std::string(who), now_ms};
}

void Hub::tick(std::uint64_t now_ms) {
    std::vector<std::uint64_t> due;
    for (auto& [id, w] : waiting_)
        if (now_ms >= w.since_ms + grace_ms)
            due.push_back(id);
    for (auto id : due) {
        auto it = waiting_.find(id);
        if (it == waiting_.end())
            continue;
        std::string who = std::move(it->second.who);
        waiting_.erase(it);
        join(id, "guest-" + std::to_string(id), who);
    }
}

void Hub::join(std::uint64_t id, std::string name, const std::string& who) {
    members_[id] = name;
    for (std::size_t i = 0; i < history_.size() && members_.count(id); ++i)
        send_(id, history_[i]);
    if (!members_.count(id))
        return;
    send_(id, "* you are " + name + "; here: " + who_is_here());
    broadcast("* " + name + " joined (" + who + ")", id);
}

void Hub::line(std::uint64_t id, std::string_view text) {
    if (auto w = waiting_.find(id); w != waiting_.end()) {
        std::string who = std::move(w->second.who);
        waiting_.erase(w);
        std::string_view want = text.substr(0, 6) == "/name " ? text.substr(6) : std::string_view();
        bool taken = false;
        for (auto& [other, name] : members_)
            taken = taken || name == want;
        if (valid_name(want) && !taken) {
            join(id, std::string(want), who);
            return;
        }
        join(id, "guest-" + std::to_string(id), who);
    }
    auto it = members_.find(id);
    if (it == members_.end() || text.empty())
        return;
    if (text.substr(0, 6) == "/name ") {
        std::string_view want = text.substr(6);
        if (!valid_name(want)) {
            send_(id, "! a name is 1 to 32 letters, digits, '-', '_' or '.'");
            return;
        }
        for (auto& [other, name] : members_)
            if (name == want && other != id) {
                send_(id, "! the name " + std::string(want) + " is taken");
                return;
            }
        std::string old = it->second;
        it->second = want;
        broadcast("* " + old + " is now " + std::string(want), 0);
        return;
    }
    if (text == "/who") {
        send_(id, "* here: " + who_is_here());
        return;
    }
    if (text == "/quit") {
        leave(id, "");
        close_(id);
        return;
    }
    std::string message = it->second + ": " + clean(text);
    if (history_max_ > 0) {
        history_.push_back(message);
        if (history_.size() > history_max_)
            history_.pop_front();
    }
    broadcast(message, id);
}

void Hub::leave(std::uint64_t id, std::string_view reason) {
    if (waiting_.erase(id))
        return;
    auto it = members_.find(id);
    if (it == members_.end())
        return;
    std::string name = it->second;
    members_.erase(it);
    broadcast("* " + name + " left" + (reason.empty() ? "" : " (" + std::string(reason) + ")"), 0);
}

} // namespace syskit::sockkit

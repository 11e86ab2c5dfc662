// room: one Hub shared by every kind of client (chat lines on a socket, WebSocket browsers):
// each client registers how to send it a line and how to close it.
#pragma once

#include "hub.hpp"

#include <functional>
#include <unordered_map>

namespace syskit::sockkit {

class Room {
public:
    explicit Room(std::size_t history);
    Hub& hub() { return hub_; }
    /// Client id gets the hub's lines through send (one line, no newline) and is closed with
    /// close.
    void add(std::uint64_t id, std::function<void(std::string_view)> send, std::function<void()> close);
    void remove(std::uint64_t id);

private:
    struct Client {
        std::function<void(std::string_view)> send;
        std::function<void()> close;
    };
    std::unordered_map<std::uint64_t, Client> clients_;
    Hub hub_;
};

} // namespace syskit::sockkit

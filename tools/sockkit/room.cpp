#include "room.hpp"

namespace syskit::sockkit {

Room::Room(std::size_t history)
    : hub_(
          history,
          [this](std::uint64_t id, std::string_view line) {
              if (auto it = clients_.find(id); it != clients_.end())
                  it->second.send(line);
          },
          [this](std::uint64_t id) {
              if (auto it = clients_.find(id); it != clients_.end())
                  it->second.close();
          }) {}

void Room::add(std::uint64_t id, std::function<void(std::string_view)> send, std::function<void()> close) {
    clients_[id] = Client{std::move(send), std::move(close)};
}

void Room::remove(std::uint64_t id) { clients_.erase(id); }

} // namespace syskit::sockkit

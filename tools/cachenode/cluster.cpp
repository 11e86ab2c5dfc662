#include "cluster.hpp"

#include "auth.hpp"
#include "cluster_common.hpp"
#include "resp.hpp"
#include "store.hpp"

#include "fs/fd.hpp"
#include "metrics/metrics.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

namespace syskit::cachenode::cluster {

namespace {

/// Redis's reply to an argument that is to be an integer and is not one.
constexpr std::string_view not_an_integer = "ERR value is not an integer or out of range";

/// The longest WAIT, its timeout 0 ("no limit") included.
constexpr long long max_wait_ms = 10000;

template <class T>
bool parse_num(std::string_view s, T& v) {
    if (s.empty())
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size();
}

/// A slot argument: Redis's "Invalid or out of range slot" when it is not 0..16383.
bool parse_slot(std::string_view s, unsigned& slot, std::string& out) {
    long long v = -1;
    if (!parse_num(s, v) || v < 0 || v >= static_cast<long long>(slot_count)) {
        resp::error(out, "ERR Invalid or out of range slot");
        return false;
    }
    slot = static_cast<unsigned>(v);
    return true;
}

/// Redis's reply to a CLUSTER subcommand given more arguments than any of its forms takes.
void too_many_arguments(std::span<const std::string_view> argv, std::string& out) {
    resp::error(out, fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try CLUSTER HELP.",
                                 argv[1].substr(0, 128)));
}

/// The optional option after CLUSTER RESET or FAILOVER: its position in words (-1: none was
/// given); false with Redis's errors when it is none of them (a syntax error), or more
/// arguments follow.
bool option_of(std::span<const std::string_view> argv, std::initializer_list<std::string_view> words, int& which,
               std::string& out) {
    which = -1;
    if (argv.size() > 3) {
        too_many_arguments(argv, out);
        return false;
    }
    if (argv.size() == 3)
        for (std::size_t i = 0; i < words.size(); ++i)
            if (iequals(argv[2], words.begin()[i]))
                which = static_cast<int>(i);
    if (argv.size() == 3 && which < 0) {
        resp::error(out, "ERR syntax error");
        return false;
    }
    return true;
}

std::string lower(std::string_view s) {
    std::string l(s.substr(0, 64));
    for (char& ch : l)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return l;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i <= s.size()) {
        std::size_t j = s.find(sep, i);
        if (j == std::string_view::npos)
            j = s.size();
        if (j > i)
            parts.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return parts;
}

std::string flags_text(const Node& n, bool myself) {
    std::string f;
    auto add = [&](std::string_view w) {
        if (!f.empty())
            f += ',';
        f += w;
    };
    if (myself)
        add("myself");
    if (n.flags & f_master)
        add("master");
    if (n.flags & f_replica)
        add("slave");
    if (n.flags & f_pfail)
        add("fail?");
    if (n.flags & f_fail)
        add("fail");
    if (n.flags & f_handshake)
        add("handshake");
    if (n.flags & f_noaddr)
        add("noaddr");
    if (n.flags & f_nofailover)
        add("nofailover");
    if (f.empty())
        f = "noflags";
    return f;
}

} // namespace

std::string new_id() {
    unsigned char raw[id_len / 2];
    std::size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n > 0)
            got += static_cast<std::size_t>(n);
    }
    std::string id;
    for (unsigned char b : raw)
        id += fmt::format("{:02x}", b);
    return id;
}

State::State(const ClusterConfig& cfg, std::string ip, std::uint16_t port, Store& store)
    : cfg_(cfg), store_(store), bus_port_(cfg.bus_port ? cfg.bus_port : static_cast<std::uint16_t>(port + 10000)),
      init_ip_(std::move(ip)), init_port_(port), local_(new std::atomic<std::uint8_t>[slot_count]),
      repl_(store, cfg.repl_backlog) {
    for (unsigned s = 0; s < slot_count; ++s)
        local_[s].store(0, std::memory_order_relaxed);
}

Node* State::find(std::string_view id) {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : it->second.get();
}

std::string State::myself_id() const {
    std::lock_guard lock(mu_);
    return myself_;
}

std::string State::addr(const Node& n) const { return fmt::format("{}:{}", n.ip, n.port); }

std::optional<State::PeerView> State::owner_of(unsigned slot) const {
    std::lock_guard lock(mu_);
    const Node* n = slot < slot_count ? owner_[slot] : nullptr;
    if (!n)
        return std::nullopt;
    return PeerView{n->id, addr(*n), n == &me(), (n->flags & (f_pfail | f_fail)) != 0};
}

std::vector<State::NodeView> State::view() const {
    std::lock_guard lock(mu_);
    std::vector<NodeView> all;
    const Node* mine = &me();
    for (auto& [id, n] : nodes_) {
        NodeView v{n->id, n->ip, n->master_id, n->port, n->cport, n->flags, n.get() == mine, n->link_up,
                   n->pong_received, n->config_epoch, {}, {}, {}};
        for (unsigned s = 0; s < slot_count; ++s) {
            if (owner_[s] != n.get())
                continue;
            if (!v.slots.empty() && v.slots.back().second + 1 == s)
                v.slots.back().second = s;
            else
                v.slots.emplace_back(s, s);
            if (v.myself && migrating_[s])
                v.migrating.emplace_back(s, migrating_[s]->id);
        }
        if (v.myself)
            for (unsigned s = 0; s < slot_count; ++s)
                if (importing_[s])
                    v.importing.emplace_back(s, importing_[s]->id);
        all.push_back(std::move(v));
    }
    return all;
}

std::optional<State::PeerView> State::node_at(std::string_view where) const {
    std::lock_guard lock(mu_);
    for (auto& [id, n] : nodes_)
        if (!(n->flags & f_handshake) && addr(*n) == where)
            return PeerView{n->id, addr(*n), n.get() == &me(), (n->flags & (f_pfail | f_fail)) != 0};
    return std::nullopt;
}

bool State::load(std::string& error) {
    std::lock_guard lock(mu_);
    std::ifstream in(cfg_.config_file, std::ios::binary);
    if (in) {
        std::stringstream ss;
        ss << in.rdbuf();
        if (!parse_file(ss.str(), error)) {
            error = cfg_.config_file + ": " + error;
            return false;
        }
        // The address in the file may be stale: the command line says where we are now.
        me().port = init_port_;
        me().cport = bus_port_;
        if (!init_ip_.empty())
            me().ip = init_ip_;
    } else if (errno != ENOENT) {
        error = cfg_.config_file + ": open: " + std::strerror(errno);
        return false;
    } else {
        auto n = std::make_unique<Node>();
        n->id = new_id();
        n->ip = init_ip_;
        n->port = init_port_;
        n->cport = bus_port_;
        n->created = wall_ms();
        myself_ = n->id;
        nodes_.emplace(n->id, std::move(n));
    }
    changed();
    return save_locked(error);
}

bool State::parse_file(std::string_view text, std::string& error) {
    struct Pending {
        unsigned slot;
        std::string peer;
        bool migrating;
    };
    std::vector<Pending> moving;
    std::vector<std::pair<unsigned, std::string>> owned;
    for (std::string_view line : split(text, '\n')) {
        auto w = split(line, ' ');
        if (w.empty())
            continue;
        if (w[0] == "vars") {
            for (std::size_t i = 1; i + 1 < w.size(); i += 2) {
                if (w[i] == "currentEpoch" && !parse_num(w[i + 1], current_epoch_))
                    return error = "bad currentEpoch", false;
                if (w[i] == "lastVoteEpoch" && !parse_num(w[i + 1], last_vote_epoch_))
                    return error = "bad lastVoteEpoch", false;
            }
            continue;
        }
        if (w.size() < 8 || w[0].size() != id_len)
            return error = fmt::format("not a node line: '{}'", line.substr(0, 100)), false;
        auto n = std::make_unique<Node>();
        n->id = std::string(w[0]);
        std::string_view a = w[1].substr(0, w[1].find(','));
        std::size_t at = a.find('@'), colon = a.rfind(':', at);
        if (at == std::string_view::npos || colon == std::string_view::npos ||
            !parse_num(a.substr(colon + 1, at - colon - 1), n->port) || !parse_num(a.substr(at + 1), n->cport))
            return error = fmt::format("bad address '{}'", w[1]), false;
        n->ip = std::string(a.substr(0, colon));
        n->flags = 0;
        bool myself = false;
        for (std::string_view f : split(w[2], ',')) {
            if (f == "myself")
                myself = true;
            else if (f == "master")
                n->flags |= f_master;
            else if (f == "slave")
                n->flags |= f_replica;
            else if (f == "fail?")
                n->flags |= f_pfail;
            else if (f == "fail")
                n->flags |= f_fail;
            else if (f == "handshake")
                n->flags |= f_handshake;
            else if (f == "noaddr")
                n->flags |= f_noaddr;
            else if (f == "nofailover")
                n->flags |= f_nofailover;
        }
        if (n->flags & f_handshake)
            continue; // a handshake that did not finish before the restart: forgotten
        if (w[3] != "-")
            n->master_id = std::string(w[3]);
        if (!parse_num(w[6], n->config_epoch))
            return error = fmt::format("bad config epoch '{}'", w[6]), false;
        for (std::size_t i = 8; i < w.size(); ++i) {
            std::string_view s = w[i];
            if (s.front() == '[') {
                std::size_t arrow = s.find("->-"), back = s.find("-<-");
                bool mig = arrow != std::string_view::npos;
                std::size_t p = mig ? arrow : back;
                unsigned slot = 0;
                if (p == std::string_view::npos || s.back() != ']' || !parse_num(s.substr(1, p - 1), slot) ||
                    slot >= slot_count)
                    return error = fmt::format("bad slot '{}'", s), false;
                moving.push_back({slot, std::string(s.substr(p + 3, s.size() - p - 4)), mig});
                continue;
            }
            std::size_t dash = s.find('-');
            unsigned lo = 0, hi = 0;
            if (!parse_num(s.substr(0, dash), lo) ||
                (dash != std::string_view::npos && !parse_num(s.substr(dash + 1), hi)))
                return error = fmt::format("bad slot '{}'", s), false;
            if (dash == std::string_view::npos)
                hi = lo;
            if (lo > hi || hi >= slot_count)
                return error = fmt::format("bad slot range '{}'", s), false;
            for (unsigned x = lo; x <= hi; ++x)
                owned.emplace_back(x, n->id);
        }
        if (myself) {
            if (!myself_.empty())
                return error = "two nodes are 'myself'", false;
            myself_ = n->id;
        }
        std::string id = n->id;
        nodes_[id] = std::move(n);
    }
    if (myself_.empty())
        return error = "no node is 'myself'", false;
    for (auto& [slot, id] : owned)
        set_owner(slot, find(id));
    for (auto& m : moving)
        if (Node* peer = find(m.peer))
            (m.migrating ? migrating_ : importing_)[m.slot] = peer;
    return true;
}

std::string State::file_text_locked() const {
    return nodes_text_locked(true) +
           fmt::format("vars currentEpoch {} lastVoteEpoch {}\n", current_epoch_, last_vote_epoch_);
}

bool State::save_locked(std::string& error) {
    dirty_ = false;
    return write_file(file_text_locked(), error);
}

bool State::write_file(const std::string& text, std::string& error) {
    std::lock_guard lock(save_mu_);
    std::string tmp = cfg_.config_file + ".tmp";
    fs::UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
        error = tmp + ": open: " + std::strerror(errno);
        return false;
    }
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = tmp + ": write: " + std::strerror(errno);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (fsync(fd.get()) != 0) {
        error = tmp + ": fsync: " + std::strerror(errno);
        return false;
    }
    if (rename(tmp.c_str(), cfg_.config_file.c_str()) != 0) {
        error = cfg_.config_file + ": rename: " + std::strerror(errno);
        return false;
    }
    // The rename itself reaches the disk with the directory.
    std::string dir = cfg_.config_file.find('/') == std::string::npos
                          ? "."
                          : cfg_.config_file.substr(0, std::max<std::size_t>(1, cfg_.config_file.rfind('/')));
    fs::UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd)
        fsync(dfd.get());
    return true;
}

void State::changed() {
    dirty_ = true;
    update_state();
}

void State::update_state() {
    // The cluster is up when every slot has an owner that is not failed, and this node, if it
    // serves slots, can reach a majority of the masters that serve slots.
    bool ok = true;
    for (unsigned s = 0; s < slot_count && ok; ++s)
        ok = owner_[s] && !(owner_[s]->flags & f_fail);
    if (ok) {
        std::size_t size = 0, reachable = 0;
        for (auto& [id, n] : nodes_) {
            if (!(n->flags & f_master) || (n->flags & f_handshake))
                continue;
            bool has = std::find(owner_.begin(), owner_.end(), n.get()) != owner_.end();
            if (!has)
                continue;
            ++size;
            if (!(n->flags & (f_pfail | f_fail)))
                ++reachable;
        }
        ok = reachable >= size / 2 + 1;
    }
    ok_ = ok;
    const Node* mine = &me();
    replica_.store(mine->flags & f_replica, std::memory_order_relaxed);
    for (unsigned s = 0; s < slot_count; ++s)
        local_[s].store(ok && owner_[s] == mine && !migrating_[s] && !importing_[s], std::memory_order_relaxed);
}

std::string State::nodes_text() const {
    std::lock_guard lock(mu_);
    return nodes_text_locked(false);
}

std::string State::nodes_text_locked(bool for_file) const {
    std::string t;
    for (auto& [id, np] : nodes_)
        t += node_line_locked(*np, for_file) + '\n';
    return t;
}

std::string State::node_line_locked(const Node& n, bool for_file) const {
    const Node* mine = &me();
    bool myself = &n == mine;
    std::string t = fmt::format("{} {}:{}@{} {} {} {} {} {} {}", n.id, n.ip, n.port, n.cport, flags_text(n, myself),
                                n.master_id.empty() ? "-" : n.master_id, myself ? 0 : n.ping_sent,
                                myself ? 0 : n.pong_received, n.config_epoch,
                                myself || n.link_up || for_file ? "connected" : "disconnected");
    for (unsigned s = 0; s < slot_count;) {
        if (owner_[s] != &n) {
            ++s;
            continue;
        }
        unsigned e = s;
        while (e + 1 < slot_count && owner_[e + 1] == &n)
            ++e;
        t += e == s ? fmt::format(" {}", s) : fmt::format(" {}-{}", s, e);
        s = e + 1;
    }
    if (myself)
        for (unsigned s = 0; s < slot_count; ++s) {
            if (migrating_[s])
                t += fmt::format(" [{}->-{}]", s, migrating_[s]->id);
            if (importing_[s])
                t += fmt::format(" [{}-<-{}]", s, importing_[s]->id);
        }
    return t;
}

std::uint64_t State::keys_in_slot(unsigned slot) const { return store_.keys_in_slot(slot); }

std::vector<std::string> State::keys_of_slot(unsigned slot, std::size_t max) const {
    return store_.keys_of_slot(slot, max);
}

bool State::route(std::span<const std::string_view> argv, const KeySpec& ks, ClientFlags& client,
                  std::string& out) {
    // RESTORE-ASKING (MIGRATE's) is asking by itself.
    bool asking = client.asking || ks.flags.find("asking") != std::string_view::npos;
    client.asking = false;
    if (paused_until_.load(std::memory_order_relaxed) && ks.flags.find("write") != std::string_view::npos) {
        // A replica takes over by a manual failover: writes wait until it has, then go to it
        // (MOVED below), or until the pause ends.
        std::unique_lock lock(mu_);
        for (std::int64_t now = wall_ms(), until = paused_until_; now < until;
             now = wall_ms(), until = paused_until_)
            unpaused_.wait_for(lock, std::chrono::milliseconds(until - now));
    }
    if (ks.first <= 0 || static_cast<std::size_t>(ks.first) >= argv.size()) {
        // A write without keys (FLUSHALL) would change a replica's copy behind its master's back.
        if (replica_.load(std::memory_order_relaxed) && ks.flags.find("write") != std::string_view::npos) {
            resp::error(out, "READONLY You can't write against a read only replica.");
            return false;
        }
        return true;
    }
    std::size_t last = ks.last < 0 ? argv.size() + ks.last : static_cast<std::size_t>(ks.last);
    last = std::min(last, argv.size() - 1);
    std::size_t step = ks.step > 0 ? static_cast<std::size_t>(ks.step) : 1;
    unsigned slot = key_slot(argv[ks.first]);
    bool multi = false;
    for (std::size_t i = ks.first + step; i <= last; i += step) {
        multi = true;
        if (key_slot(argv[i]) != slot) {
            resp::error(out, "CROSSSLOT Keys in request don't hash to the same slot");
            return false;
        }
    }
    if (serves(slot))
        return true;
    std::lock_guard lock(mu_);
    if (!ok_) {
        resp::error(out, "CLUSTERDOWN The cluster is down");
        return false;
    }
    Node* owner = owner_[slot];
    if (!owner) {
        resp::error(out, "CLUSTERDOWN Hash slot not served");
        return false;
    }
    Node& mine = me();
    auto missing = [&] {
        std::size_t gone = 0, total = 0;
        for (std::size_t i = ks.first; i <= last; i += step, ++total)
            gone += !store_.exists(argv[i]);
        return std::pair{gone, total};
    };
    if (owner == &mine) {
        if (Node* to = migrating_[slot]) {
            auto [gone, total] = missing();
            if (gone && multi && gone != total) {
                resp::error(out, "TRYAGAIN Multiple keys request during rehashing of slot");
                return false;
            }
            if (gone) {
                resp::error(out, fmt::format("ASK {} {}", slot, addr(*to)));
                return false;
            }
        }
        return true;
    }
    if (importing_[slot] && asking) {
        auto [gone, total] = missing();
        if (multi && gone) {
            resp::error(out, "TRYAGAIN Multiple keys request during rehashing of slot");
            return false;
        }
        return true;
    }
    if (client.readonly && ks.flags.find("write") == std::string_view::npos && (mine.flags & f_replica) &&
        mine.master_id == owner->id)
        return true;
    resp::error(out, fmt::format("MOVED {} {}", slot, addr(*owner)));
    return false;
}

std::string State::replication_section() const {
    auto acks = repl_.replicas();
    auto [first, histlen] = repl_.backlog();
    auto [replid2, offset2] = repl_.second_id();
    auto [full, partial] = repl_.syncs();
    std::lock_guard lock(mu_);
    const Node& mine = me();
    std::string t = "# Replication\r\n";
    const Node* master = (mine.flags & f_replica) ? nodes_.count(mine.master_id) ? nodes_.at(mine.master_id).get()
                                                                                 : nullptr
                                                   : nullptr;
    std::uint64_t offset = repl_.offset();
    if (mine.flags & f_replica) {
        bool up = master_link_up_.load(std::memory_order_relaxed);
        std::int64_t io = master_last_io_.load(std::memory_order_relaxed);
        t += fmt::format("role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n"
                         "master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:{}\r\n"
                         "slave_repl_offset:{}\r\nslave_priority:100\r\nslave_read_only:1\r\n"
                         "replica_announced:1\r\n",
                         master ? master->ip : "", master ? master->port : 0, up ? "up" : "down",
                         io ? (wall_ms() - io) / 1000 : -1, offset, offset);
        if (!up)
            t += fmt::format("master_link_down_since_seconds:{}\r\n", io ? (wall_ms() - io) / 1000 : -1);
        t += "connected_slaves:0\r\n";
    } else {
        t += fmt::format("role:master\r\nconnected_slaves:{}\r\n", acks.size());
        std::size_t i = 0;
        std::int64_t now = wall_ms();
        for (auto& [id, ack] : acks) {
            auto it = nodes_.find(id);
            if (it == nodes_.end())
                continue;
            t += fmt::format("slave{}:ip={},port={},state=online,offset={},lag={}\r\n", i++, it->second->ip,
                             it->second->port, ack.offset, (now - ack.at) / 1000);
        }
    }
    // sync_full and sync_partial_ok are in Redis's Stats section; here they sit with the rest
    // of replication.
    t += fmt::format("master_failover_state:{}\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\n"
                     "second_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\n"
                     "repl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\nsync_full:{}\r\n"
                     "sync_partial_ok:{}\r\n",
                     paused_until_.load() > wall_ms() ? "waiting-for-sync" : "no-failover", repl_.replid(), replid2,
                     offset, offset2, histlen || first ? 1 : 0, repl_.backlog_size(), histlen || first ? first + 1 : 0,
                     histlen, full, partial);
    return t;
}

void State::role(std::string& out) const {
    auto acks = repl_.replicas();
    std::uint64_t offset = repl_.offset();
    std::lock_guard lock(mu_);
    const Node& mine = me();
    if (mine.flags & f_replica) {
        auto it = nodes_.find(mine.master_id);
        resp::array(out, 5);
        resp::bulk(out, "slave");
        resp::bulk(out, it == nodes_.end() ? "" : it->second->ip);
        resp::integer(out, it == nodes_.end() ? 0 : it->second->port);
        resp::bulk(out, master_link_up_.load() ? "connected" : "connect");
        resp::integer(out, static_cast<std::int64_t>(offset));
        return;
    }
    resp::array(out, 3);
    resp::bulk(out, "master");
    resp::integer(out, static_cast<std::int64_t>(offset));
    std::vector<const Node*> known;
    for (auto& [id, ack] : acks)
        if (auto it = nodes_.find(id); it != nodes_.end())
            known.push_back(it->second.get());
    resp::array(out, known.size());
    for (const Node* n : known) {
        resp::array(out, 3);
        resp::bulk(out, n->ip);
        resp::bulk(out, std::to_string(n->port));
        resp::bulk(out, std::to_string(acks.at(n->id).offset));
    }
}

void State::wait(std::span<const std::string_view> argv, std::string& out) {
    long long n = 0, timeout = 0;
    if (!parse_num(argv[1], n) || !parse_num(argv[2], timeout) || n < 0) {
        resp::error(out, not_an_integer);
        return;
    }
    if (timeout < 0) {
        resp::error(out, "ERR timeout is negative");
        return;
    }
    {
        std::lock_guard lock(mu_);
        if (me().flags & f_replica) {
            resp::error(out, "ERR WAIT cannot be used with replica instances.");
            return;
        }
    }
    // The wait holds this connection's event loop, so it is bounded even when Redis's would not be.
    if (timeout == 0 || timeout > max_wait_ms)
        timeout = max_wait_ms;
    resp::integer(out, static_cast<std::int64_t>(repl_.wait(static_cast<std::size_t>(n), timeout)));
}

std::string State::metrics() const {
    auto acks = repl_.replicas();
    std::uint64_t offset = repl_.offset();
    std::lock_guard lock(mu_);
    metrics::Writer w;
    w.family("cachenode_replication_offset_bytes",
             "The replication offset: bytes of the write stream a master wrote or a replica applied.", "gauge")
        .sample("cachenode_replication_offset_bytes", {{"role", (me().flags & f_replica) ? "replica" : "master"}},
                offset);
    w.family("cachenode_replica_lag_bytes", "A master's replicas: bytes of the stream not acknowledged yet.", "gauge");
    for (auto& [id, ack] : acks)
        w.sample("cachenode_replica_lag_bytes", {{"replica", id}}, offset - std::min(offset, ack.offset));
    auto [full, partial] = repl_.syncs();
    w.family("cachenode_replica_syncs_total",
             "Replicas this node fed: from a full copy of the keys, or continuing the stream from the backlog.",
             "counter")
        .sample("cachenode_replica_syncs_total", {{"kind", "full"}}, full)
        .sample("cachenode_replica_syncs_total", {{"kind", "partial"}}, partial);
    return w.str();
}

std::string State::info_section() const {
    return "# Cluster\r\ncluster_enabled:1\r\n";
}

void State::cmd_info(std::string& out) const {
    unsigned assigned = 0, pfail = 0, fail = 0;
    std::size_t size = 0;
    std::vector<const Node*> counted;
    for (unsigned s = 0; s < slot_count; ++s) {
        const Node* o = owner_[s];
        if (!o)
            continue;
        ++assigned;
        pfail += (o->flags & f_pfail) != 0;
        fail += (o->flags & f_fail) != 0;
        if (std::find(counted.begin(), counted.end(), o) == counted.end())
            counted.push_back(o);
    }
    size = counted.size();
    std::string t = fmt::format("cluster_state:{}\r\ncluster_slots_assigned:{}\r\ncluster_slots_ok:{}\r\n"
                                "cluster_slots_pfail:{}\r\ncluster_slots_fail:{}\r\ncluster_known_nodes:{}\r\n"
                                "cluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n"
                                "cluster_stats_messages_sent:{}\r\ncluster_stats_messages_received:{}\r\n"
                                "total_cluster_links_buffer_limit_exceeded:0\r\n",
                                ok_ ? "ok" : "fail", assigned, assigned - pfail - fail, pfail, fail, nodes_.size(),
                                size, current_epoch_, me().config_epoch, sent_, received_);
    resp::bulk(out, t);
}

void State::cmd_slots(std::string& out) const {
    struct Range {
        unsigned lo, hi;
        const Node* n;
    };
    std::vector<Range> ranges;
    for (unsigned s = 0; s < slot_count;) {
        const Node* o = owner_[s];
        unsigned e = s;
        while (e + 1 < slot_count && owner_[e + 1] == o)
            ++e;
        if (o)
            ranges.push_back({s, e, o});
        s = e + 1;
    }
    auto node_entry = [&](const Node& n) {
        resp::array(out, 4);
        resp::bulk(out, n.ip);
        resp::integer(out, n.port);
        resp::bulk(out, n.id);
        resp::array(out, 0);
    };
    resp::array(out, ranges.size());
    for (const Range& r : ranges) {
        std::vector<const Node*> replicas;
        for (auto& [id, n] : nodes_)
            if ((n->flags & f_replica) && n->master_id == r.n->id && !(n->flags & f_fail))
                replicas.push_back(n.get());
        resp::array(out, 3 + replicas.size());
        resp::integer(out, r.lo);
        resp::integer(out, r.hi);
        node_entry(*r.n);
        for (const Node* rep : replicas)
            node_entry(*rep);
    }
}

void State::cmd_shards(std::string& out) const {
    std::vector<const Node*> masters;
    for (auto& [id, n] : nodes_)
        if ((n->flags & f_master) && !(n->flags & f_handshake))
            masters.push_back(n.get());
    resp::array(out, masters.size());
    for (const Node* m : masters) {
        std::vector<std::pair<unsigned, unsigned>> ranges;
        for (unsigned s = 0; s < slot_count;) {
            if (owner_[s] != m) {
                ++s;
                continue;
            }
            unsigned e = s;
            while (e + 1 < slot_count && owner_[e + 1] == m)
                ++e;
            ranges.emplace_back(s, e);
            s = e + 1;
        }
        std::vector<const Node*> members{m};
        for (auto& [id, n] : nodes_)
            if ((n->flags & f_replica) && n->master_id == m->id)
                members.push_back(n.get());
        resp::array(out, 4);
        resp::bulk(out, "slots");
        resp::array(out, ranges.size() * 2);
        for (auto [lo, hi] : ranges) {
            resp::integer(out, lo);
            resp::integer(out, hi);
        }
        resp::bulk(out, "nodes");
        resp::array(out, members.size());
        for (const Node* n : members) {
            resp::array(out, 14);
            resp::bulk(out, "id");
            resp::bulk(out, n->id);
            // As Redis 7 with tls-cluster: the port of a TLS cluster's nodes is their TLS port.
            resp::bulk(out, peer_tls() ? "tls-port" : "port");
            resp::integer(out, n->port);
            resp::bulk(out, "ip");
            resp::bulk(out, n->ip);
            resp::bulk(out, "endpoint");
            resp::bulk(out, n->ip);
            resp::bulk(out, "role");
            resp::bulk(out, (n->flags & f_replica) ? "replica" : "master");
            resp::bulk(out, "replication-offset");
            resp::integer(out, static_cast<std::int64_t>(n == &me() ? repl_.offset() : n->repl_offset));
            resp::bulk(out, "health");
            resp::bulk(out, (n->flags & f_fail) ? "fail" : "online");
        }
    }
}

void State::cmd_addslots(std::span<const std::string_view> argv, bool range, bool add, std::string& out) {
    if (range && argv.size() % 2 != 0) {
        resp::error(out, fmt::format("ERR wrong number of arguments for 'cluster|{}' command", lower(argv[1])));
        return;
    }
    std::vector<bool> seen(slot_count, false);
    std::vector<unsigned> slots;
    for (std::size_t i = 2; i < argv.size(); i += range ? 2 : 1) {
        unsigned lo = 0, hi = 0;
        if (!parse_slot(argv[i], lo, out))
            return;
        hi = lo;
        if (range) {
            if (!parse_slot(argv[i + 1], hi, out))
                return;
            if (lo > hi) {
                resp::error(out, fmt::format("ERR start slot number {} is greater than end slot number {}", lo, hi));
                return;
            }
        }
        for (unsigned s = lo; s <= hi; ++s) {
            if (seen[s]) {
                resp::error(out, fmt::format("ERR Slot {} specified multiple times", s));
                return;
            }
            seen[s] = true;
            slots.push_back(s);
        }
    }
    std::lock_guard lock(mu_);
    for (unsigned s : slots) {
        if (add && owner_[s]) {
            resp::error(out, fmt::format("ERR Slot {} is already busy", s));
            return;
        }
        if (!add && !owner_[s]) {
            resp::error(out, fmt::format("ERR Slot {} is already unassigned", s));
            return;
        }
    }
    for (unsigned s : slots) {
        set_owner(s, add ? &me() : nullptr);
        if (add)
            importing_[s] = nullptr;
    }
    changed();
    resp::simple(out, "OK");
}

void State::cmd_setslot(std::span<const std::string_view> argv, std::string& out) {
    unsigned slot = 0;
    if (!parse_slot(argv[2], slot, out))
        return;
    std::string_view how = argv[3];
    bool needs_node = iequals(how, "IMPORTING") || iequals(how, "MIGRATING") || iequals(how, "NODE");
    if (!needs_node && !iequals(how, "STABLE")) {
        resp::error(out, "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
        return;
    }
    if ((needs_node && argv.size() != 5) || (!needs_node && argv.size() != 4)) {
        resp::error(out, "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
        return;
    }
    std::lock_guard lock(mu_);
    Node& mine = me();
    if (mine.flags & f_replica) {
        resp::error(out, "ERR Please use SETSLOT only with masters.");
        return;
    }
    // The node named, looked up where Redis looks it up, and refused in its words.
    Node* n = needs_node ? find(argv[4]) : nullptr;
    auto known = [&](std::string_view unknown) {
        if (!n)
            resp::error(out, fmt::format("ERR {} {}", unknown, argv[4].substr(0, 64)));
        return n != nullptr;
    };
    if (iequals(how, "MIGRATING")) {
        if (owner_[slot] != &mine) {
            resp::error(out, fmt::format("ERR I'm not the owner of hash slot {}", slot));
            return;
        }
        if (!known("I don't know about node"))
            return;
        if (n == &mine) {
            resp::error(out, "ERR Target node is myself");
            return;
        }
        migrating_[slot] = n;
    } else if (iequals(how, "IMPORTING")) {
        if (owner_[slot] == &mine) {
            resp::error(out, fmt::format("ERR I'm already the owner of hash slot {}", slot));
            return;
        }
        if (!known("I don't know about node"))
            return;
        if (n == &mine) {
            resp::error(out, "ERR Source node is myself");
            return;
        }
        importing_[slot] = n;
    } else if (iequals(how, "STABLE")) {
        migrating_[slot] = importing_[slot] = nullptr;
    } else {
        if (!known("Unknown node"))
            return;
        if (n->flags & f_replica) {
            resp::error(out, fmt::format("ERR Target node {} is not a master", n->id));
            return;
        }
        if (owner_[slot] == &mine && n != &mine && keys_in_slot(slot) != 0) {
            resp::error(out, fmt::format("ERR Can't assign hashslot {} to a different node while I still hold keys "
                                         "for this hash slot.",
                                         slot));
            return;
        }
        if (migrating_[slot] && n != &mine)
            migrating_[slot] = nullptr;
        bool was_importing = importing_[slot] != nullptr;
        if (n == &mine && was_importing) {
            importing_[slot] = nullptr;
            // This node takes the slot over without an election: a new epoch, so that its
            // claim wins over the old owner's when the bus spreads it.
            bump_epoch();
        }
        set_owner(slot, n);
    }
    changed();
    resp::simple(out, "OK");
}

State::NodeMap::iterator State::remove_locked(NodeMap::iterator it) {
    Node* n = it->second.get();
    for (unsigned s = 0; s < slot_count; ++s) {
        if (owner_[s] == n)
            set_owner(s, nullptr);
        if (migrating_[s] == n)
            migrating_[s] = nullptr;
        if (importing_[s] == n)
            importing_[s] = nullptr;
    }
    auto next = nodes_.erase(it);
    changed();
    return next;
}

void State::cmd_meet(std::span<const std::string_view> argv, std::string& out) {
    if (argv.size() > 5) {
        too_many_arguments(argv, out);
        return;
    }
    std::string ip(argv[2]);
    long long port = -1, cport = -1;
    in6_addr a{};
    bool ip_ok = inet_pton(AF_INET, ip.c_str(), &a) == 1 || inet_pton(AF_INET6, ip.c_str(), &a) == 1;
    if (!parse_num(argv[3], port)) {
        resp::error(out, fmt::format("ERR Invalid TCP base port specified: {}", argv[3].substr(0, 64)));
        return;
    }
    if (argv.size() == 5 && !parse_num(argv[4], cport)) {
        resp::error(out, fmt::format("ERR Invalid TCP bus port specified: {}", argv[4].substr(0, 64)));
        return;
    }
    if (argv.size() == 4)
        cport = port + 10000;
    if (!ip_ok || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) {
        resp::error(out, fmt::format("ERR Invalid node address specified: {}:{}", ip.substr(0, 64), port));
        return;
    }
    std::lock_guard lock(mu_);
    bool pending = std::any_of(nodes_.begin(), nodes_.end(), [&](auto& kv) {
        return (kv.second->flags & f_handshake) && kv.second->ip == ip && kv.second->port == port;
    });
    if (!pending) {
        auto n = std::make_unique<Node>();
        n->id = new_id();
        n->ip = ip;
        n->port = static_cast<std::uint16_t>(port);
        n->cport = static_cast<std::uint16_t>(cport);
        n->flags = f_handshake | f_meet;
        n->created = wall_ms();
        nodes_.emplace(n->id, std::move(n));
    }
    resp::simple(out, "OK");
}

void State::cmd_forget(std::span<const std::string_view> argv, std::string& out) {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(argv[2]);
    if (it == nodes_.end()) {
        resp::error(out, fmt::format("ERR Unknown node {}", argv[2].substr(0, 64)));
        return;
    }
    if (it->second.get() == &me()) {
        resp::error(out, "ERR I tried hard but I can't forget myself...");
        return;
    }
    if ((me().flags & f_replica) && me().master_id == it->first) {
        resp::error(out, "ERR Can't forget my master!");
        return;
    }
    // Gossip from nodes that have not forgotten it yet must not bring it back at once.
    forgotten_[it->first] = wall_ms() + 60000;
    remove_locked(it);
    resp::simple(out, "OK");
}

State::ClaimTaken State::take_claims(std::string_view sender, std::uint64_t epoch, const SlotBits& claimed) {
    std::lock_guard lock(mu_);
    Node* n = find(sender);
    return n && n != &me() ? take_claims_locked(*n, epoch, claimed) : ClaimTaken{};
}

State::ClaimTaken State::take_claims_locked(Node& sender, std::uint64_t epoch, const SlotBits& claimed) {
    Node& mine = me();
    Node* my_master = (mine.flags & f_replica) ? find(mine.master_id) : nullptr;
    ClaimTaken took;
    for (unsigned s = 0; s < slot_count; ++s) {
        Node* cur = owner_[s];
        if (!(claimed[s / 8] & (1u << (s % 8)))) {
            // Kept, for the routing, until someone claims it: a node that let the slot go
            // (DELSLOTS, or SETSLOT NODE to another) may have a newer epoch than the node that
            // takes it over, which could then never take it here.
            if (cur == &sender)
                unclaimed_.set(s);
            continue;
        }
        if (cur == &sender) {
            unclaimed_.reset(s);
            continue;
        }
        if (importing_[s])
            continue;
        // An owner that has turned replica keeps no claim either: its pings carry its new
        // master's config epoch, which would otherwise shield its old slots from that very
        // master.
        if (cur && !unclaimed_.test(s) && (cur->flags & f_master) && cur->config_epoch >= epoch)
            continue;
        if (cur == &mine)
            migrating_[s] = nullptr;
        took.lost_mine |= cur == &mine;
        took.lost_masters |= cur && cur == my_master;
        set_owner(s, &sender);
        took.moved = true;
    }
    if (took.moved)
        changed();
    return took;
}

bool State::bump_epoch() {
    Node& mine = me();
    std::uint64_t max = current_epoch_;
    for (auto& [id, n] : nodes_)
        max = std::max(max, n->config_epoch);
    if (mine.config_epoch != 0 && mine.config_epoch == max)
        return false;
    current_epoch_ = max + 1;
    mine.config_epoch = current_epoch_;
    return true;
}

void State::cmd_reset(std::span<const std::string_view> argv, std::string& out) {
    int option = -1;
    if (!option_of(argv, {"HARD", "SOFT"}, option, out))
        return;
    bool hard = option == 0;
    std::lock_guard lock(mu_);
    Node& mine = me();
    if ((mine.flags & f_master) && store_.size() != 0) {
        resp::error(out, "ERR CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    owner_.fill(nullptr);
    unclaimed_.reset();
    migrating_.fill(nullptr);
    importing_.fill(nullptr);
    if (mine.flags & f_replica) {
        // A replica's keys are its master's: as Redis, it starts over empty.
        store_.flush();
        repl_.restart();
    }
    election_ = {};
    manual_until_ = 0;
    auto keep = std::move(nodes_.at(myself_));
    nodes_.clear();
    keep->flags = f_master;
    keep->master_id.clear();
    if (hard) {
        current_epoch_ = last_vote_epoch_ = 0;
        keep->config_epoch = 0;
        keep->id = new_id();
        myself_ = keep->id;
    }
    nodes_.emplace(keep->id, std::move(keep));
    changed();
    resp::simple(out, "OK");
}

std::size_t State::voters_locked() const {
    std::size_t size = 0;
    for (auto& [id, m] : nodes_)
        if ((m->flags & f_master) && std::find(owner_.begin(), owner_.end(), m.get()) != owner_.end())
            ++size;
    return size;
}

void State::follow_locked(Node& master) {
    Node& mine = me();
    mine.flags = static_cast<std::uint16_t>((mine.flags & ~f_master) | f_replica);
    mine.master_id = master.id;
    for (unsigned s = 0; s < slot_count; ++s) {
        if (owner_[s] == &mine)
            set_owner(s, nullptr);
        migrating_[s] = importing_[s] = nullptr;
    }
    election_ = {};
    manual_until_ = 0;
    paused_until_ = 0;
    unpaused_.notify_all();
    announce_ = true;
    changed();
}

void State::promote_locked(std::uint64_t epoch) {
    Node& mine = me();
    Node* old = find(mine.master_id);
    mine.flags = static_cast<std::uint16_t>((mine.flags & ~f_replica) | f_master);
    mine.master_id.clear();
    mine.config_epoch = epoch;
    current_epoch_ = std::max(current_epoch_, epoch);
    if (old)
        for (unsigned s = 0; s < slot_count; ++s)
            if (owner_[s] == old) {
                set_owner(s, &mine);
                migrating_[s] = importing_[s] = nullptr;
            }
    repl_.promote();
    election_ = {};
    manual_until_ = 0;
    announce_ = true;
    master_link_up_ = false;
    changed();
}

void State::cmd_replicate(std::span<const std::string_view> argv, std::string& out) {
    std::lock_guard lock(mu_);
    Node* n = find(argv[2]);
    Node& mine = me();
    if (!n) {
        resp::error(out, fmt::format("ERR Unknown node {}", argv[2].substr(0, 64)));
        return;
    }
    if (n == &mine) {
        resp::error(out, "ERR Can't replicate myself");
        return;
    }
    if (!(n->flags & f_master)) {
        resp::error(out, "ERR I can only replicate a master, not a replica.");
        return;
    }
    bool has_slots = std::find(owner_.begin(), owner_.end(), &mine) != owner_.end();
    if ((mine.flags & f_master) && (has_slots || store_.size() != 0)) {
        resp::error(out, "ERR To set a master the node must be empty and without assigned slots.");
        return;
    }
    follow_locked(*n);
    resp::simple(out, "OK");
}

void State::cmd_replicas(std::span<const std::string_view> argv, std::string& out) {
    std::lock_guard lock(mu_);
    Node* n = find(argv[2]);
    if (!n) {
        resp::error(out, fmt::format("ERR Unknown node {}", argv[2].substr(0, 64)));
        return;
    }
    if (!(n->flags & f_master)) {
        resp::error(out, "ERR The specified node is not a master");
        return;
    }
    std::vector<std::string> lines;
    for (auto& [id, r] : nodes_)
        if ((r->flags & f_replica) && r->master_id == n->id)
            lines.push_back(node_line_locked(*r, false));
    resp::array(out, lines.size());
    for (const auto& l : lines)
        resp::bulk(out, l);
}

void State::cmd_failover(std::span<const std::string_view> argv, std::string& out) {
    int option = -1;
    if (!option_of(argv, {"FORCE", "TAKEOVER"}, option, out))
        return;
    bool force = option == 0, takeover = option == 1;
    std::lock_guard lock(mu_);
    Node& mine = me();
    if (!(mine.flags & f_replica)) {
        resp::error(out, "ERR You should send CLUSTER FAILOVER to a replica");
        return;
    }
    Node* master = find(mine.master_id);
    if (!master) {
        resp::error(out, "ERR I'm a replica but my master is unknown to me");
        return;
    }
    if (!force && !takeover && ((master->flags & f_fail) || !master->link_up)) {
        resp::error(out, "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
        return;
    }
    std::int64_t now = wall_ms();
    if (takeover) {
        // No election: a config epoch above every other, taken alone, as Redis's TAKEOVER.
        std::uint64_t max = current_epoch_;
        for (auto& [id, n] : nodes_)
            max = std::max(max, n->config_epoch);
        promote_locked(max + 1);
    } else if (force) {
        election_ = {};
        election_.start = now;
        election_.force = true;
    } else {
        manual_until_ = now + 5000;
    }
    resp::simple(out, "OK");
}

void State::command(std::span<const std::string_view> argv, std::string& out) {
    std::string_view sub = argv[1];
    if (iequals(sub, "INFO")) {
        std::lock_guard lock(mu_);
        cmd_info(out);
    } else if (iequals(sub, "MYID")) {
        resp::bulk(out, myself_id());
    } else if (iequals(sub, "NODES")) {
        resp::bulk(out, nodes_text());
    } else if (iequals(sub, "SLOTS")) {
        std::lock_guard lock(mu_);
        cmd_slots(out);
    } else if (iequals(sub, "SHARDS")) {
        std::lock_guard lock(mu_);
        cmd_shards(out);
    } else if (iequals(sub, "KEYSLOT")) {
        resp::integer(out, key_slot(argv[2]));
    } else if (iequals(sub, "COUNTKEYSINSLOT")) {
        long long slot = -1;
        if (!parse_num(argv[2], slot))
            resp::error(out, not_an_integer);
        else if (slot < 0 || slot >= static_cast<long long>(slot_count))
            resp::error(out, "ERR Invalid slot");
        else
            resp::integer(out, static_cast<std::int64_t>(keys_in_slot(static_cast<unsigned>(slot))));
    } else if (iequals(sub, "GETKEYSINSLOT")) {
        long long slot = -1, count = -1;
        if (!parse_num(argv[2], slot) || !parse_num(argv[3], count)) {
            resp::error(out, not_an_integer);
            return;
        }
        if (slot < 0 || slot >= static_cast<long long>(slot_count) || count < 0) {
            resp::error(out, "ERR Invalid slot or number of keys");
            return;
        }
        auto keys = keys_of_slot(static_cast<unsigned>(slot), static_cast<std::size_t>(count));
        resp::array(out, keys.size());
        for (const auto& k : keys)
            resp::bulk(out, k);
    } else if (iequals(sub, "ADDSLOTS") || iequals(sub, "DELSLOTS")) {
        cmd_addslots(argv, false, iequals(sub, "ADDSLOTS"), out);
    } else if (iequals(sub, "ADDSLOTSRANGE") || iequals(sub, "DELSLOTSRANGE")) {
        cmd_addslots(argv, true, iequals(sub, "ADDSLOTSRANGE"), out);
    } else if (iequals(sub, "MEET")) {
        cmd_meet(argv, out);
    } else if (iequals(sub, "FORGET")) {
        cmd_forget(argv, out);
    } else if (iequals(sub, "SETSLOT")) {
        cmd_setslot(argv, out);
    } else if (iequals(sub, "RESET")) {
        cmd_reset(argv, out);
    } else if (iequals(sub, "SET-CONFIG-EPOCH")) {
        long long epoch = -1;
        if (!parse_num(argv[2], epoch)) {
            resp::error(out, not_an_integer);
            return;
        }
        if (epoch < 0) {
            resp::error(out, fmt::format("ERR Invalid config epoch specified: {}", argv[2].substr(0, 64)));
            return;
        }
        std::lock_guard lock(mu_);
        if (nodes_.size() > 1) {
            resp::error(out, "ERR The user can assign a config epoch only when the node does not know any other "
                             "node.");
            return;
        }
        if (me().config_epoch != 0) {
            resp::error(out, "ERR Node config epoch is already non-zero");
            return;
        }
        me().config_epoch = static_cast<std::uint64_t>(epoch);
        current_epoch_ = std::max(current_epoch_, me().config_epoch);
        changed();
        resp::simple(out, "OK");
    } else if (iequals(sub, "BUMPEPOCH")) {
        std::lock_guard lock(mu_);
        Node& mine = me();
        bool bumped = bump_epoch();
        if (bumped)
            changed();
        resp::simple(out, fmt::format("{} {}", bumped ? "BUMPED" : "STILL", mine.config_epoch));
    } else if (iequals(sub, "REPLICATE")) {
        cmd_replicate(argv, out);
    } else if (iequals(sub, "REPLICAS") || iequals(sub, "SLAVES")) {
        cmd_replicas(argv, out);
    } else if (iequals(sub, "FAILOVER")) {
        cmd_failover(argv, out);
    } else if (iequals(sub, "SAVECONFIG")) {
        std::lock_guard lock(mu_);
        std::string why;
        if (save_locked(why))
            resp::simple(out, "OK");
        else
            resp::error(out, "ERR error saving the cluster node config: " + why);
    } else {
        // HELP, the one left.  The synopses are Redis 7.0's, for the subcommands this node has.
        resp::help(
            out, "CLUSTER",
            {"ADDSLOTS <slot> [<slot> ...]", "    Make this node serve the slots given.",
             "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
             "    Make this node serve every slot of the ranges given.", "BUMPEPOCH",
             "    Give this node a config epoch above every other, unless its own is already the highest.",
             "COUNTKEYSINSLOT <slot>", "    Count this node's keys in <slot>.", "DELSLOTS <slot> [<slot> ...]",
             "    Stop serving the slots given: they become unassigned in this node's view.",
             "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
             "    Stop serving every slot of the ranges given.", "FAILOVER [FORCE|TAKEOVER]",
             "    Make this replica the master of its master's slots: with its master's agreement, without it",
             "    (FORCE: elected by the other masters), or alone (TAKEOVER: no election).", "FORGET <node-id>",
             "    Drop <node-id> from this node's view, and keep it out for a minute.",
             "GETKEYSINSLOT <slot> <count>", "    Name up to <count> of this node's keys in <slot>.", "INFO",
             "    Describe the cluster's state as this node sees it.", "KEYSLOT <key>",
             "    Give the hash slot of <key>.", "MEET <ip> <port> [<bus-port>]",
             "    Bring the node at <ip>:<port> into this node's cluster (bus port: <port> + 10000 unless given).",
             "MYID", "    Give this node's id.", "NODES",
             "    Describe every node this node knows, a line each:",
             "    <id> <ip:port@bus-port> <flags> <master> <ping-sent> <pong-received> <epoch> <link> <slot> ...",
             "REPLICATE <node-id>", "    Make this node, empty and without slots, a replica of the master <node-id>.",
             "REPLICAS <node-id>", "    Describe the replicas of the master <node-id>, as NODES does.",
             "RESET [HARD|SOFT]",
             "    Forget every other node and every slot; HARD also takes a new id and sets the epochs to 0.",
             "    SOFT is the default.", "SAVECONFIG", "    Write the nodes file now.",
             "SET-CONFIG-EPOCH <epoch>", "    Give this node, alone in its cluster, its first config epoch.",
             "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
             "    Mark <slot> as coming from or going to <node-id>, end its move, or give it to <node-id>.",
             "SHARDS", "    Describe each shard: its ranges of slots and its nodes.", "SLOTS",
             "    Describe each range of slots: its start, its end, then the address, port and id of its master",
             "    and of each of its replicas."});
    }
}

} // namespace syskit::cachenode::cluster

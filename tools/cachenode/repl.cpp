#include "repl.hpp"

#include "cluster.hpp"
#include "dump.hpp"
#include "store.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace syskit::cachenode::cluster {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

bool get_u64(std::string_view in, std::size_t& pos, std::uint64_t& v) {
    if (in.size() - pos < 8)
        return false;
    v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t{static_cast<unsigned char>(in[pos + i])} << (8 * i);
    pos += 8;
    return true;
}

/// A length-prefixed field of a copy's record.
bool get_field(std::string_view in, std::size_t& pos, std::string_view& s) {
    std::uint64_t n = 0;
    if (!get_u64(in, pos, n) || in.size() - pos < n)
        return false;
    s = in.substr(pos, static_cast<std::size_t>(n));
    pos += static_cast<std::size_t>(n);
    return true;
}

/// A command as a RESP array of bulk strings: what the stream holds.
void append_command(std::string& out, std::span<const std::string_view> argv) {
    out += '*';
    out += std::to_string(argv.size());
    out += "\r\n";
    for (std::string_view a : argv) {
        out += '$';
        out += std::to_string(a.size());
        out += "\r\n";
        out += a;
        out += "\r\n";
    }
}

} // namespace

Replication::Replication(Store& store, std::size_t backlog) : store_(store), cap_(backlog), replid_(new_id()) {}

std::string Replication::replid() const {
    std::lock_guard lock(mu_);
    return replid_;
}

std::uint64_t Replication::offset() const {
    std::lock_guard lock(mu_);
    return end_;
}

std::pair<std::uint64_t, std::uint64_t> Replication::backlog() const {
    std::lock_guard lock(mu_);
    return active_.load() ? std::pair{start_, std::uint64_t{buf_.size()}}
                          : std::pair{std::uint64_t{0}, std::uint64_t{0}};
}

void Replication::feed(std::span<const std::string_view> argv, bool ok) {
    if (!active_.load(std::memory_order_relaxed))
        return;
    {
        std::lock_guard lock(mu_);
        std::size_t before = buf_.size();
        if (iequals(argv[0], "migrate")) {
            // The keys left this node (unless COPY): on the replicas they are deleted; the
            // replicas do not migrate anything themselves.
            bool copy = std::any_of(argv.begin() + 3, argv.end(), [](std::string_view a) { return iequals(a, "copy"); });
            if (!ok || copy)
                return;
            std::vector<std::string_view> del{"DEL"};
            if (!argv[3].empty())
                del.push_back(argv[3]);
            auto keys = std::find_if(argv.begin() + 6, argv.end(), [](std::string_view a) { return iequals(a, "keys"); });
            if (keys != argv.end())
                del.insert(del.end(), keys + 1, argv.end());
            if (del.size() == 1)
                return;
            append_command(buf_, del);
        } else {
            append_command(buf_, argv);
        }
        end_ += buf_.size() - before;
        if (buf_.size() > 2 * cap_) {
            std::size_t drop = buf_.size() - cap_;
            buf_.erase(0, drop);
            start_ += drop;
        }
    }
    if (wake_)
        wake_();
}

std::size_t Replication::wait(std::size_t n, std::int64_t timeout_ms) {
    std::unique_lock lock(mu_);
    std::uint64_t target = end_;
    auto count = [&] {
        return static_cast<std::size_t>(
            std::count_if(acks_.begin(), acks_.end(), [&](const auto& a) { return a.second.offset >= target; }));
    };
    acked_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return count() >= n; });
    return count();
}

std::string Replication::copy(std::uint64_t& offset) {
    std::lock_guard writes(write_mu_);
    std::string out;
    {
        Store::Lock all(store_);
        std::vector<std::string> keys;
        for (unsigned i = 0; i < store_.shard_count(); ++i)
            store_.for_each(i, [&](std::string_view key, std::string_view, std::int64_t) { keys.emplace_back(key); });
        std::int64_t now = store_.now();
        Value v;
        std::string payload;
        for (const std::string& key : keys) {
            std::int64_t at = 0;
            if (!store_.snapshot(key, v, at))
                continue;
            payload.clear();
            dump::encode(v, payload);
            put_u64(out, key.size());
            out += key;
            // The time left, not the deadline: the replica's monotonic clock is its own.
            put_u64(out, at ? static_cast<std::uint64_t>(std::max<std::int64_t>(1, at - now)) : 0);
            put_u64(out, payload.size());
            out += payload;
        }
    }
    std::lock_guard lock(mu_);
    if (!active_) {
        active_ = true;
        start_ = end_;
        buf_.clear();
    }
    offset = end_;
    return out;
}

bool Replication::can_continue(std::string_view replid, std::uint64_t offset) const {
    std::lock_guard lock(mu_);
    return active_ && replid == replid_ && offset >= start_ && offset <= end_;
}

bool Replication::read(std::uint64_t from, std::size_t max, std::string& out) const {
    std::lock_guard lock(mu_);
    if (!active_ || from < start_ || from > end_)
        return false;
    std::size_t at = static_cast<std::size_t>(from - start_);
    out.append(buf_, at, std::min(max, buf_.size() - at));
    return true;
}

void Replication::ack(const std::string& node, std::uint64_t offset) {
    {
        std::lock_guard lock(mu_);
        acks_[node] = {offset, std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()};
    }
    acked_.notify_all();
}

void Replication::detach(const std::string& node) {
    std::lock_guard lock(mu_);
    acks_.erase(node);
}

std::map<std::string, Replication::Ack> Replication::replicas() const {
    std::lock_guard lock(mu_);
    return acks_;
}

bool Replication::load(std::string_view copy, std::string_view replid, std::uint64_t offset, std::string& error) {
    std::lock_guard writes(write_mu_);
    store_.flush();
    std::int64_t now = store_.now();
    std::size_t pos = 0;
    Value v;
    while (pos < copy.size()) {
        std::string_view key, payload;
        std::uint64_t ttl = 0;
        if (!get_field(copy, pos, key) || !get_u64(copy, pos, ttl) || !get_field(copy, pos, payload) ||
            dump::decode(payload, v) != dump::Decode::ok) {
            error = "malformed copy from the master";
            return false;
        }
        store_.put(key, v, ttl ? now + static_cast<std::int64_t>(ttl) : 0);
    }
    std::lock_guard lock(mu_);
    replid_ = std::string(replid);
    end_ = offset;
    active_ = false;
    buf_.clear();
    pending_.clear();
    return true;
}

bool Replication::apply(std::uint64_t at, std::string_view bytes) {
    {
        std::lock_guard lock(mu_);
        if (at != end_)
            return false;
        end_ += bytes.size();
    }
    pending_ += bytes;
    std::size_t used = exec_ ? exec_(pending_) : pending_.size();
    pending_.erase(0, used);
    return true;
}

void Replication::promote() {
    std::lock_guard lock(mu_);
    replid_ = new_id();
    active_ = false;
    buf_.clear();
    start_ = end_;
    pending_.clear();
    acks_.clear();
}

} // namespace syskit::cachenode::cluster

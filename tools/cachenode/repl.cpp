#include "repl.hpp"

#include "cluster.hpp"
#include "cluster_common.hpp"
#include "dump.hpp"
#include "store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

namespace syskit::cachenode::cluster {

namespace {

/// This thread's Batch: how many are open, and whether a feed in them is still to wake the bus.
thread_local unsigned batch_depth = 0;
thread_local bool wake_deferred = false;

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

/// "*N\r\n" or "$N\r\n" appended to out.
void append_length(std::string& out, char type, std::size_t n) {
    char buf[24];
    buf[0] = type;
    char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, n).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(buf, end);
}

/// A command as a RESP array of bulk strings: what the stream holds.
void append_command(std::string& out, std::span<const std::string_view> argv) {
    append_length(out, '*', argv.size());
    for (std::string_view a : argv) {
        append_length(out, '$', a.size());
        out += a;
        out += "\r\n";
    }
}

/// Reads the "*N\r\n" or "$N\r\n" at pos; false when it is not all there yet.  Anything
/// else there (a stream that is not append_command()'s) reads as a length that runs to the end
/// of in, so that the session that runs it rejects it.
bool read_length(std::string_view in, std::size_t& pos, char type, std::uint64_t& n) {
    std::size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos)
        return false;
    const char* first = in.data() + pos + 1;
    const char* last = in.data() + eol;
    if (in[pos] != type || first == last || std::from_chars(first, last, n).ptr != last) {
        pos = in.size();
        n = 0;
        return true;
    }
    pos = eol + 2;
    return true;
}

/// Where the command that starts at pos in the stream in ends, and its name; npos when it is
/// not all there yet.
std::size_t command_end(std::string_view in, std::size_t pos, std::string_view& name) {
    std::uint64_t argc = 0;
    if (!read_length(in, pos, '*', argc))
        return std::string_view::npos;
    name = {};
    for (std::uint64_t i = 0; i < argc && pos < in.size(); ++i) {
        std::uint64_t len = 0;
        if (!read_length(in, pos, '$', len))
            return std::string_view::npos;
        if (in.size() - pos < len + 2)
            return std::string_view::npos;
        if (i == 0)
            name = in.substr(pos, len);
        pos += len + 2;
    }
    return pos;
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

bool Replication::append_locked(std::span<const std::string_view> argv, bool ok) {
    if (!iequals(argv[0], "migrate")) {
        append_command(buf_, argv);
        return true;
    }
    // The keys left this node (unless COPY): on the replicas they are deleted; the replicas do
    // not migrate anything themselves.
    bool copy = std::any_of(argv.begin() + 3, argv.end(), [](std::string_view a) { return iequals(a, "copy"); });
    if (!ok || copy)
        return false;
    std::vector<std::string_view> del{"DEL"};
    if (!argv[3].empty())
        del.push_back(argv[3]);
    auto keys = std::find_if(argv.begin() + 6, argv.end(), [](std::string_view a) { return iequals(a, "keys"); });
    if (keys != argv.end())
        del.insert(del.end(), keys + 1, argv.end());
    if (del.size() == 1)
        return false;
    append_command(buf_, del);
    return true;
}

void Replication::trim_locked() {
    if (buf_.size() > 2 * cap_) {
        std::size_t drop = buf_.size() - cap_;
        buf_.erase(0, drop);
        start_ += drop;
    }
}

void Replication::feed(std::span<const std::string_view> argv, bool ok) {
    if (!active_.load(std::memory_order_relaxed))
        return;
    {
        std::lock_guard lock(mu_);
        std::size_t before = buf_.size();
        if (in_transaction_ && !multi_fed_) {
            constexpr std::string_view multi[] = {"MULTI"};
            append_command(buf_, multi);
        }
        if (!append_locked(argv, ok)) {
            buf_.resize(before);
            return;
        }
        multi_fed_ = in_transaction_;
        end_ += buf_.size() - before;
        trim_locked();
    }
    if (!in_transaction_)
        wake();
}

void Replication::wake() {
    if (batch_depth > 0)
        wake_deferred = true;
    else if (wake_)
        wake_();
}

Replication::Batch::Batch(Replication& r) : r_(r) { ++batch_depth; }

Replication::Batch::~Batch() {
    if (--batch_depth == 0 && wake_deferred) {
        wake_deferred = false;
        r_.wake();
    }
}

Replication::Transaction::~Transaction() {
    bool fed = r_.multi_fed_;
    r_.in_transaction_ = r_.multi_fed_ = false;
    if (!fed)
        return;
    {
        std::lock_guard lock(r_.mu_);
        std::size_t before = r_.buf_.size();
        constexpr std::string_view exec[] = {"EXEC"};
        append_command(r_.buf_, exec);
        r_.end_ += r_.buf_.size() - before;
        r_.trim_locked();
    }
    r_.wake();
}

std::size_t Replication::wait(std::size_t n, std::int64_t timeout_ms) {
    if (wake_deferred && wake_) {
        // This read's writes are to reach the replicas before the end of the read.
        wake_deferred = false;
        wake_();
    }
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
    ++full_syncs_;
    offset = end_;
    return out;
}

bool Replication::can_continue(std::string_view replid, std::uint64_t offset) {
    std::lock_guard lock(mu_);
    bool ours = replid == replid_ || (!replid2_.empty() && replid == replid2_ && offset <= offset2_);
    bool ok = active_ && ours && offset >= start_ && offset <= end_;
    partial_syncs_ += ok;
    return ok;
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

std::pair<std::string, std::int64_t> Replication::second_id() const {
    std::lock_guard lock(mu_);
    if (replid2_.empty())
        return {std::string(id_len, '0'), -1};
    // Redis's convention: the offset of the first byte the second id does not cover.
    return {replid2_, static_cast<std::int64_t>(offset2_) + 1};
}

std::pair<std::uint64_t, std::uint64_t> Replication::syncs() const {
    std::lock_guard lock(mu_);
    return {full_syncs_, partial_syncs_};
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
    replid2_.clear();
    end_ = start_ = offset;
    active_ = true;
    buf_.clear();
    drop_pending_locked();
    return true;
}

void Replication::drop_pending_locked() {
    pending_.clear();
    scanned_ = 0;
    scan_in_multi_ = false;
}

bool Replication::apply(std::uint64_t at, std::string_view bytes, std::string_view replid) {
    std::string units;
    {
        std::lock_guard lock(mu_);
        if (at == end_ && !pending_.empty())
            drop_pending_locked(); // a new link: the unit it cut is sent again
        else if (at != end_ + pending_.size())
            return false;
        if (!replid.empty())
            replid_ = std::string(replid);
        pending_ += bytes;
        std::size_t whole = 0;
        for (std::string_view name;;) {
            std::size_t end = command_end(pending_, scanned_, name);
            if (end == std::string_view::npos)
                break;
            scanned_ = end;
            if (iequals(name, "multi"))
                scan_in_multi_ = true;
            else if (iequals(name, "exec"))
                scan_in_multi_ = false;
            if (!scan_in_multi_)
                whole = scanned_;
        }
        units.assign(pending_, 0, whole);
        pending_.erase(0, whole);
        scanned_ -= whole;
        end_ += whole;
        // What this replica applied is its backlog: its master's other replicas continue from
        // it should it be promoted.
        if (active_) {
            buf_ += units;
            trim_locked();
        }
    }
    if (!units.empty() && exec_)
        exec_(units);
    return true;
}

void Replication::promote() {
    std::lock_guard lock(mu_);
    replid2_ = replid_;
    offset2_ = end_;
    replid_ = new_id();
    if (!active_) {
        active_ = true;
        start_ = end_;
        buf_.clear();
    }
    drop_pending_locked();
    acks_.clear();
}

void Replication::restart() {
    std::lock_guard lock(mu_);
    replid_ = new_id();
    replid2_.clear();
    active_ = false;
    buf_.clear();
    start_ = end_;
    drop_pending_locked();
    acks_.clear();
}

} // namespace syskit::cachenode::cluster

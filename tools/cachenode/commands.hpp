// commands: the RESP2 commands cachenode answers, and the per-connection session that parses
// requests (resp.hpp), runs them against the store and writes the replies.
#pragma once

#include "auth.hpp"
#include "config.hpp"
#include "net/tcp.hpp"
#include "resp.hpp"
#include "stats.hpp"
#include "store.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode {

/// What every session of every thread shares.
struct Shared {
    Store& store;
    const Config& cfg;
    Stats& stats;
    const Auth& auth;
    /// client-output-buffer-limit for normal clients; CONFIG SET changes it.
    net::OutputLimits output_limits;
    /// CLIENT ID's source.
    std::atomic<std::uint64_t> next_client_id{1};
};

/// What a connection is to CLIENT and HELLO.
struct ClientState {
    std::uint64_t id = 0;
    std::string name;
    enum class Reply { on, off, skip } reply = Reply::on;
    int resp = 2; ///< the protocol version HELLO chose
};

/// How much reply one on_data produces before it stops and waits for the client to read
/// (net::ServerOptions::max_pending_output, which pauses reading at the same mark).
constexpr std::size_t output_pause = std::size_t{1} << 20;

/// Requests a client sends before AUTH may be this large, and no larger (Redis's limits).
constexpr resp::ParseLimits unauthenticated_limits{10, 16 * 1024, 16 * 1024};

/// The limits on requests from an authenticated client.
resp::ParseLimits request_limits(const Config& cfg);

class RespSession final : public net::Session {
public:
    RespSession(Shared& shared, WorkerStats& stats);
    net::After on_data(std::string_view in, std::size_t& consumed, std::string& out) override;
    bool stalled() const override { return stalled_; }

    /// Runs one request; sets quit when the connection is to close after the reply.
    void execute(std::span<const std::string_view> argv, std::string& out, bool& quit);

private:
    Shared& sh_;
    WorkerStats& ws_;
    resp::Parser parser_;
    std::vector<std::string_view> argv_;
    std::string error_;
    bool authed_;
    bool stalled_ = false;
    ClientState client_;
    bool skip_next_ = false; ///< CLIENT REPLY SKIP: drop the next command's reply

    /// MULTI ... EXEC: the queued commands, and whether one was refused (EXECABORT).
    bool in_multi_ = false;
    bool multi_dirty_ = false;
    std::vector<std::vector<std::string>> queued_;
    /// WATCH: each key as it was when watched; EXEC runs only if every one is the same.
    struct Watched {
        std::string key;
        bool found;
        std::uint64_t value_hash;
        std::size_t value_len;
        std::int64_t expire_at;
    };
    std::vector<Watched> watched_;
    Watched snapshot(std::string_view key);
    /// Runs MULTI, EXEC, DISCARD, WATCH and UNWATCH, and queues commands inside MULTI; false
    /// when argv is none of that, for execute() to run.
    bool transaction(std::string_view name, std::span<const std::string_view> argv, std::string& out,
                     bool& quit);
};

/// The INFO text for the given section ("" or "default" or "all": every section).
std::string info_text(const Shared& sh, std::string_view section);

} // namespace syskit::cachenode

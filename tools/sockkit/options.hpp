// options: sockkit's command line (subcommands echo, chat, http, ws, udp), parsed into one struct and
// checked as a whole.
#pragma once

#include "net/address.hpp"

#include "cli/diag.hpp"
#include "log/log.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace syskit::sockkit {

enum class Command { none, echo_serve, echo_send, chat_serve, chat_join, http_serve, http_get, ws_serve, udp_send, udp_recv, bench };

struct Options {
    Command command = Command::none;
    net::Address address;
    mode_t mode = 0600;                ///< --mode: the socket file's permissions
    std::string cert, key;             ///< --tls CERT KEY (servers)
    std::string ca;                    ///< --ca FILE (clients): TLS, trusting FILE
    std::optional<std::string> text;   ///< echo send TEXT
    std::size_t history = 100;         ///< chat serve --history
    std::size_t max_queue = 1u << 20;  ///< --max-queue: bytes waiting for one client
    std::size_t max_line = 4096;       ///< chat serve --max-line
    std::vector<uid_t> allow_uid;      ///< chat serve --allow-uid (empty: anyone)
    std::vector<gid_t> allow_gid;
    std::string name;                  ///< chat join --name
    std::string root;                  ///< http serve --root
    bool echo = false;                 ///< http serve --echo
    std::string url_path, method; ///< http get; method: -X, else GET or POST (-d)
    std::optional<std::string> data;   ///< http get -d
    bool chat = false;                 ///< ws serve --chat
    std::optional<net::Address> ws_address; ///< chat serve --ws ADDR: browsers join there
    std::size_t max_frame = std::size_t{1} << 20;   ///< --max-frame: the largest WebSocket frame
    std::size_t max_message = std::size_t{4} << 20; ///< --max-message: the largest message
    std::string file;                  ///< udp send FILE, udp recv OUTFILE
    double loss = 0;                   ///< udp --loss: the share of datagrams dropped
    std::uint32_t chunk = 1400;        ///< udp send --chunk: bytes of the file per datagram
    std::uint32_t window = 1024;       ///< udp send --window: the most chunks in flight
    double timeout = 10;               ///< udp --timeout: seconds of silence before giving up
    std::uint64_t bench_count = 20000;         ///< bench --count: round trips
    std::size_t bench_size = 64;               ///< bench --size: bytes per round trip
    std::uint64_t bench_bytes = 512ull << 20;  ///< bench --bytes: the bulk transfer
    log::Format log_format = log::Format::logfmt;

    struct Raw {
        std::string address, mode, history, max_queue, max_line, ws, max_frame, max_message, loss, chunk, window,
            timeout, bench_count, bench_size, bench_bytes;
        std::vector<std::string> tls, allow_uid, allow_gid;
    } raw;
};

/// Declares sockkit's subcommands and their options on app, storing into o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw into typed fields and checks how the options combine: what is wrong, or nullopt.
std::optional<cli::Problem> finish(Options& o);

/// Whether name is a chat name: 1 to 32 letters, digits, '-', '_' or '.'.
bool valid_name(std::string_view name);

} // namespace syskit::sockkit

#include "options.hpp"

#include "cli/duration.hpp"
#include "cli/log_format.hpp"
#include "cli/size.hpp"

#include <CLI/CLI.hpp>

#include <tuple>

namespace syskit::sockkit {

namespace {

void add_address(CLI::App* sub, Options& o, const char* help) {
    sub->add_option("ADDR", o.raw.address, help)->type_name("");
}

void add_server(CLI::App* sub, Options& o) {
    sub->add_option("--mode", o.raw.mode, "A unix: socket file's permissions, octal (default 600: owner only)")
        ->type_name("MODE");
    sub->add_option("--tls", o.raw.tls, "tcp: serve TLS with the PEM certificate chain CERT and key KEY")
        ->type_name("CERT KEY")
        ->expected(2);
    sub->add_option("--max-queue", o.raw.max_queue,
                    "Bytes that may wait to be sent to one client (default 1M)")
        ->type_name("SIZE");
    cli::add_log_format(*sub, o.log_format);
}

void add_ws_limits(CLI::App* sub, Options& o) {
    sub->add_option("--max-frame", o.raw.max_frame, "WebSocket: the largest frame a client may send (default 1M)")
        ->type_name("SIZE");
    sub->add_option("--max-message", o.raw.max_message,
                    "WebSocket: the largest message, its fragments joined (default 4M)")
        ->type_name("SIZE");
}

void add_client(CLI::App* sub, Options& o) {
    sub->add_option("--ca", o.ca, "tcp: speak TLS, trusting the certificates in the PEM file FILE")
        ->type_name("FILE");
}

std::optional<std::size_t> count(const std::string& text, std::size_t max) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    std::size_t n = std::stoul(text);
    return n <= max ? std::optional(n) : std::nullopt;
}

} // namespace

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 32)
        return false;
    for (char ch : name)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.'))
            return false;
    return true;
}

void add_options(CLI::App& app, Options& o) {
    app.require_subcommand(1);
    // The shared options (-q, --color) are the tool's, and may follow the subcommand too.
    app.fallthrough();
    auto leaf = [&o](CLI::App* group, const char* name, const char* help, Command c) {
        auto* sub = group->add_subcommand(name, help);
        sub->callback([&o, c] { o.command = c; });
        return sub;
    };

    auto* echo = app.add_subcommand("echo", "Echo server and client (book chapter 7, 10)")->require_subcommand(1);
    auto* s = leaf(echo, "serve", "Send every byte each client sends back to it", Command::echo_serve);
    add_address(s, o, "Where to listen: unix:PATH, abstract:NAME or tcp:HOST:PORT");
    add_server(s, o);
    s = leaf(echo, "send", "Send TEXT and a newline (or standard input) and print what comes back",
             Command::echo_send);
    add_address(s, o, "The server: unix:PATH, abstract:NAME or tcp:HOST:PORT");
    s->add_option("TEXT", o.text, "What to send; without it, standard input")->type_name("");
    add_client(s, o);

    auto* chat = app.add_subcommand("chat", "Chat with names and history (book chapter 7)")->require_subcommand(1);
    s = leaf(chat, "serve", "A chat hub: broadcast lines, announce joins and leaves, replay history",
             Command::chat_serve);
    add_address(s, o, "Where to listen: unix:PATH, abstract:NAME or tcp:HOST:PORT");
    add_server(s, o);
    s->add_option("--history", o.raw.history, "Replay the last N messages to newcomers (default 100)")
        ->type_name("N");
    s->add_option("--max-line", o.raw.max_line, "The longest line a client may send (default 4K)")
        ->type_name("SIZE");
    s->add_option("--allow-uid", o.raw.allow_uid, "unix: admit only peers of this uid (repeatable)")
        ->type_name("UID");
    s->add_option("--allow-gid", o.raw.allow_gid, "unix: admit only peers of this gid (repeatable)")
        ->type_name("GID");
    s->add_option("--ws", o.raw.ws, "Let browsers join the same chat by WebSocket on ADDR (the page is at /)")
        ->type_name("ADDR");
    add_ws_limits(s, o);
    s = leaf(chat, "join", "Join a chat: standard input goes out, what others say comes out",
             Command::chat_join);
    add_address(s, o, "The hub: unix:PATH, abstract:NAME or tcp:HOST:PORT");
    s->add_option("--name", o.name, "The name others see (default: given by the hub)")->type_name("NAME");
    add_client(s, o);

    auto* http = app.add_subcommand("http", "HTTP/1.1 over any socket (book chapter 7, 10)")->require_subcommand(1);
    s = leaf(http, "serve", "Serve the files below --root, or describe each request back (--echo)",
             Command::http_serve);
    add_address(s, o, "Where to listen: unix:PATH, abstract:NAME or tcp:HOST:PORT");
    add_server(s, o);
    s->add_option("--root", o.root, "Serve the files below DIR (GET, HEAD, OPTIONS)")->type_name("DIR");
    s->add_flag("--echo", o.echo, "Answer every request with a description of it");
    s = leaf(http, "get", "Send one request and print the status line, headers and body", Command::http_get);
    add_address(s, o, "The server: unix:PATH, abstract:NAME or tcp:HOST:PORT");
    s->add_option("URLPATH", o.url_path, "The target: /path?query")->type_name("");
    s->add_option("-X,--request", o.method, "The method (default GET, POST with -d)")->type_name("METHOD");
    s->add_option("-d,--data", o.data, "Send DATA as the body")->type_name("DATA");
    add_client(s, o);

    auto* ws = app.add_subcommand("ws", "WebSocket (RFC 6455) for browsers (book chapter 10)")->require_subcommand(1);
    s = leaf(ws, "serve", "Serve the page at / and WebSocket echo, or with --chat a chat", Command::ws_serve);
    add_address(s, o, "Where to listen: tcp:HOST:PORT (or unix:PATH, abstract:NAME behind a proxy)");
    add_server(s, o);
    s->add_flag("--chat", o.chat, "A chat room instead of echo (chat serve --ws adds line clients)");
    s->add_option("--history", o.raw.history, "--chat: replay the last N messages to newcomers (default 100)")
        ->type_name("N");
    add_ws_limits(s, o);

    auto* udp = app.add_subcommand("udp", "A file sent reliably over UDP (book chapter 10)")->require_subcommand(1);
    auto add_udp = [&o](CLI::App* sub) {
        sub->add_option("--loss", o.raw.loss, "Drop this share of the datagrams sent and received (0 to 0.9)")
            ->type_name("P");
        sub->add_option("--timeout", o.raw.timeout, "Give up after SECS without a datagram from the other side (10)")
            ->type_name("SECS");
    };
    s = leaf(udp, "send", "Send FILE to a udp recv at ADDR", Command::udp_send);
    s->add_option("FILE", o.file, "The file to send")->type_name("");
    add_address(s, o, "The receiver: udp:HOST:PORT");
    add_udp(s);
    s->add_option("--chunk", o.raw.chunk, "Bytes of the file per datagram (default 1400; up to 65487)")
        ->type_name("SIZE");
    s->add_option("--window", o.raw.window, "The most chunks in flight (default 1024)")->type_name("N");
    s = leaf(udp, "recv", "Receive one file on ADDR into OUTFILE", Command::udp_recv);
    add_address(s, o, "Where to listen: udp:HOST:PORT");
    s->add_option("OUTFILE", o.file, "Where the file goes (OUTFILE.part until it is complete and checked)")
        ->type_name("");
    add_udp(s);

    s = leaf(&app, "bench", "Unix socket against TCP loopback: round-trip latency and bulk throughput",
             Command::bench);
    s->add_option("--count", o.raw.bench_count, "Round trips to time (default 20000)")->type_name("N");
    s->add_option("--size", o.raw.bench_size, "Bytes per round trip (default 64)")->type_name("SIZE");
    s->add_option("--bytes", o.raw.bench_bytes, "Bytes of the bulk transfer (default 512M)")->type_name("SIZE");
}

std::optional<cli::Problem> finish(Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    if (o.command == Command::bench) {
        if (!r.bench_count.empty()) {
            auto v = count(r.bench_count, 100000000);
            if (!v || *v == 0)
                return Problem{"--count", "'" + r.bench_count + "' is not a count from 1 to 100000000"};
            o.bench_count = *v;
        }
        for (auto [text, opt, into, max] : {std::tuple{&r.bench_size, "--size", &o.bench_size, std::uint64_t{1} << 20},
                                             std::tuple{&r.bench_bytes, "--bytes", &o.bench_bytes, std::uint64_t{1} << 40}}) {
            if (text->empty())
                continue;
            auto v = cli::parse_size(*text);
            if (!v || *v == 0 || *v > max)
                return Problem{opt, "'" + *text + "' is not a size from 1 byte to " + (max == (1u << 20) ? "1M" : "1T")};
            *into = *v;
        }
        return std::nullopt;
    }
    if (r.address.empty())
        return Problem{"ADDR", "missing: unix:PATH, abstract:NAME or tcp:HOST:PORT"};
    std::string why;
    auto a = net::parse_address(r.address, why);
    if (!a)
        return Problem{r.address, why};
    const bool udp = o.command == Command::udp_send || o.command == Command::udp_recv;
    if (udp != (a->family == net::Family::udp))
        return Problem{r.address, udp ? "is not a udp:HOST:PORT address"
                                      : "is a UDP address; this subcommand takes unix:, abstract: or tcp:"};
    if (udp && o.file.empty())
        return Problem{o.command == Command::udp_send ? "FILE" : "OUTFILE", "missing: the file to send or write"};
    if (!r.loss.empty()) {
        auto v = cli::parse_seconds(r.loss, 0.9);
        if (!v)
            return Problem{"--loss", "'" + r.loss + "' is not a share from 0 to 0.9"};
        o.loss = *v;
    }
    if (!r.timeout.empty()) {
        auto v = cli::parse_seconds(r.timeout, 86400);
        if (!v || *v <= 0)
            return Problem{"--timeout", "'" + r.timeout + "' is not a number of seconds above 0"};
        o.timeout = *v;
    }
    if (!r.chunk.empty()) {
        auto v = cli::parse_size(r.chunk);
        if (!v || *v < 16 || *v > 65487)
            return Problem{"--chunk", "'" + r.chunk + "' is not a size from 16 to 65487 bytes"};
        o.chunk = static_cast<std::uint32_t>(*v);
    }
    if (!r.window.empty()) {
        auto v = count(r.window, 65536);
        if (!v || *v < 1)
            return Problem{"--window", "'" + r.window + "' is not a count from 1 to 65536"};
        o.window = static_cast<std::uint32_t>(*v);
    }
    o.address = *a;
    if (!r.mode.empty()) {
        if (a->family != net::Family::unix_path)
            return Problem{"--mode", "is for a unix: socket file"};
        if (r.mode.size() > 4 || r.mode.find_first_not_of("01234567") != std::string::npos)
            return Problem{"--mode", "'" + r.mode + "' is not an octal mode such as 600 or 660"};
        o.mode = static_cast<mode_t>(std::stoul(r.mode, nullptr, 8));
        if (o.mode > 0777)
            return Problem{"--mode", "'" + r.mode + "' has bits beyond 777"};
    }
    if (!r.ws.empty()) {
        auto w = net::parse_address(r.ws, why);
        if (!w)
            return Problem{"--ws", "'" + r.ws + "': " + why};
        if (w->family == net::Family::udp)
            return Problem{"--ws", "'" + r.ws + "' is a UDP address; WebSocket runs over a stream"};
        o.ws_address = *w;
    }
    if (!r.tls.empty()) {
        if (a->family != net::Family::tcp && !(o.ws_address && o.ws_address->family == net::Family::tcp))
            return Problem{"--tls", "is for tcp: addresses (a Unix socket is already private to the machine)"};
        o.cert = r.tls[0];
        o.key = r.tls[1];
    }
    if (!o.ca.empty() && a->family != net::Family::tcp)
        return Problem{"--ca", "is for tcp: addresses"};
    if (!r.max_queue.empty()) {
        auto v = cli::parse_size(r.max_queue);
        if (!v)
            return Problem{"--max-queue", cli::not_a_size(r.max_queue)};
        if (*v < 4096)
            return Problem{"--max-queue", "'" + r.max_queue + "' is too small (at least 4K)"};
        o.max_queue = *v;
    }
    for (auto [text, opt, into] : {std::tuple{&r.max_frame, "--max-frame", &o.max_frame},
                                   std::tuple{&r.max_message, "--max-message", &o.max_message}}) {
        if (text->empty())
            continue;
        auto v = cli::parse_size(*text);
        if (!v)
            return Problem{opt, cli::not_a_size(*text)};
        if (*v < 125 || *v > (std::uint64_t{1} << 30))
            return Problem{opt, "'" + *text + "' is out of range (125 bytes to 1G)"};
        *into = *v;
    }
    if (o.max_message < o.max_frame)
        o.max_message = o.max_frame;
    if (!r.max_line.empty()) {
        auto v = cli::parse_size(r.max_line);
        if (!v)
            return Problem{"--max-line", cli::not_a_size(r.max_line)};
        if (*v < 16 || *v > (std::uint64_t{16} << 20))
            return Problem{"--max-line", "'" + r.max_line + "' is out of range (16 bytes to 16M)"};
        o.max_line = *v;
    }
    if (!r.history.empty()) {
        auto v = count(r.history, 1000000);
        if (!v)
            return Problem{"--history", "'" + r.history + "' is not a count from 0 to 1000000"};
        o.history = *v;
    }
    if ((!r.allow_uid.empty() || !r.allow_gid.empty()) && !a->local())
        return Problem{!r.allow_uid.empty() ? "--allow-uid" : "--allow-gid",
                       "needs a unix: or abstract: address: only a Unix socket tells who the peer is"};
    for (auto& u : r.allow_uid) {
        auto v = count(u, 4294967294u);
        if (!v)
            return Problem{"--allow-uid", "'" + u + "' is not a numeric uid"};
        o.allow_uid.push_back(static_cast<uid_t>(*v));
    }
    for (auto& g : r.allow_gid) {
        auto v = count(g, 4294967294u);
        if (!v)
            return Problem{"--allow-gid", "'" + g + "' is not a numeric gid"};
        o.allow_gid.push_back(static_cast<gid_t>(*v));
    }
    if (!o.name.empty() && !valid_name(o.name))
        return Problem{"--name", "'" + o.name + "' is not 1 to 32 letters, digits, '-', '_' or '.'"};
    if (o.command == Command::http_serve) {
        if (o.root.empty() == !o.echo)
            return Problem{o.echo ? "--echo" : "--root", o.echo ? "cannot be combined with --root"
                                                                : "missing: serve files with --root DIR, or --echo"};
    }
    if (o.command == Command::http_get) {
        if (o.url_path.empty() || o.url_path[0] != '/')
            return Problem{"URLPATH", o.url_path.empty() ? "missing: the path to request, such as /"
                                                         : "'" + o.url_path + "' does not start with '/'"};
        if (o.url_path.find_first_of(" \r\n") != std::string::npos)
            return Problem{"URLPATH", "contains a space or a line break; percent-encode it"};
        if (o.method.empty())
            o.method = o.data ? "POST" : "GET";
        if (o.method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") != std::string::npos)
            return Problem{"--request", "'" + o.method + "' is not a method such as GET or POST"};
    }
    return std::nullopt;
}

} // namespace syskit::sockkit

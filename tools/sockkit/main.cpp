// sockkit: Unix and TCP sockets from the shell: echo, chat with history, HTTP over any socket,
// WebSocket for browsers (book chapters 7 and 10).
#include "bench.hpp"
#include "chat.hpp"
#include "echo.hpp"
#include "http_client.hpp"
#include "http_server.hpp"
#include "options.hpp"
#include "serve.hpp"
#include "transfer.hpp"
#include "ws_server.hpp"

#include "cli/cli.hpp"
#include "log/log.hpp"

#include <signal.h>

using namespace syskit;
using namespace syskit::sockkit;

int main(int argc, char** argv) {
    cli::Tool tool("sockkit", "sockkit - Unix, TCP and UDP sockets: echo, chat, HTTP, WebSocket, file transfer");
    Options o;
    add_options(tool.app(), o);
    tool.add_quiet("Servers log only warnings and errors; no progress notes on stderr").add_color();
    tool.footer("Addresses: unix:PATH, abstract:NAME, tcp:HOST:PORT, udp:HOST:PORT.");
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(o))
        return cli::usage_error(*problem);

    // A peer that has gone must show as EPIPE on a write, not kill the process.
    ::signal(SIGPIPE, SIG_IGN);
    log::Logger logger(o.log_format);
    logger.set_color(tool.color_stderr());
    if (tool.quiet())
        logger.set_min_level(log::Level::warn);
    int status = cli::exit_ok;
    switch (o.command) {
    case Command::echo_serve: {
        EchoService echo;
        status = serve(o, {{o.address, &echo, {.max_queue = o.max_queue, .overflow = Overflow::pause, .pause_when_full = true}}}, logger);
        break;
    }
    case Command::echo_send:
        status = echo_send(o);
        break;
    case Command::chat_serve:
        status = chat_serve(o, logger);
        break;
    case Command::chat_join:
        status = chat_join(o);
        break;
    case Command::http_serve:
        status = http_serve(o, logger);
        break;
    case Command::http_get:
        status = http_get(o);
        break;
    case Command::ws_serve:
        status = ws_serve(o, logger);
        break;
    case Command::udp_send:
        status = udp_send(o);
        break;
    case Command::udp_recv:
        status = udp_recv(o);
        break;
    case Command::bench:
        status = bench(o);
        break;
    case Command::none:
        break;
    }
    return status;
}

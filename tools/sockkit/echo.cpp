#include "echo.hpp"

#include "client.hpp"

#include "fs/fd.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace syskit::sockkit {

namespace {

/// At most this much sent and not yet echoed: a server that stops reading while its replies
/// wait must find them read, or both ends block in write(2).  It stays below what the socket
/// buffers and a server hold between them (socat's PIPE echo: a 64K pipe and two socket
/// buffers), so a write never waits for a reply to be read.
constexpr std::uint64_t window = 128 * 1024;

} // namespace

int echo_send(const Options& o) {
    Stream s;
    std::string why;
    if (!s.connect(o.address, o.ca, why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    std::uint64_t sent = 0, received = 0;
    bool input_open = true;
    if (o.text) {
        std::string line = *o.text + "\n";
        if (!s.write_all(line, why)) {
            cli::error(o.address.str(), why);
            return cli::exit_trouble;
        }
        sent = line.size();
        input_open = false;
    }
    std::string buf(65536, '\0');
    for (;;) {
        if (!input_open && received >= sent)
            return cli::exit_ok;
        if (!s.pending()) {
            pollfd fds[2] = {{s.fd(), POLLIN, 0}, {0, POLLIN, 0}};
            const bool reading_input = input_open && sent - received < window;
            if (poll(fds, reading_input ? 2 : 1, -1) < 0) {
                if (errno == EINTR)
                    continue;
                cli::error("poll", std::strerror(errno));
                return cli::exit_trouble;
            }
            if (reading_input && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = ::read(0, buf.data(), buf.size());
                if (n < 0 && errno != EINTR) {
                    cli::error("standard input", std::strerror(errno));
                    return cli::exit_trouble;
                }
                if (n == 0) {
                    input_open = false;
                    s.shutdown_write();
                } else if (n > 0) {
                    if (!s.write_all(std::string_view(buf.data(), static_cast<std::size_t>(n)), why)) {
                        cli::error(o.address.str(), why);
                        return cli::exit_trouble;
                    }
                    sent += static_cast<std::uint64_t>(n);
                }
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
        }
        ssize_t n = s.read(buf.data(), buf.size(), why);
        if (n < 0) {
            cli::error(o.address.str(), why);
            return cli::exit_trouble;
        }
        if (n == 0) {
            if (received < sent) {
                cli::error(o.address.str(), "the server closed the connection before echoing everything");
                return cli::exit_found;
            }
            return cli::exit_ok;
        }
        if (!fs::write_all(1, buf.data(), static_cast<std::size_t>(n))) {
            cli::error("standard output", std::strerror(errno));
            return cli::exit_trouble;
        }
        received += static_cast<std::uint64_t>(n);
    }
}

} // namespace syskit::sockkit

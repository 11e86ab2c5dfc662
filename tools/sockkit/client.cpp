#include "client.hpp"

#include "cli/diag.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace syskit::sockkit {

bool Stream::connect(const net::Address& a, const std::string& ca, std::string& error) {
    fd_ = net::connect_to(a, error);
    if (!fd_)
        return false;
    if (a.local()) {
        // On a Unix socket the sender's buffer bounds what is in flight (the receiver's is not
        // used): 1 MiB rather than 208 KiB lets a bulk sender run longer between the server's
        // reads, fewer wake-ups on both sides.  Best effort: net.core.wmem_max caps it.  TCP
        // tunes its own, which setting it would stop.
        int size = 1 << 20;
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if (!ca.empty()) {
        tls_ = net::TlsClient::connect(fd_.get(), ca, a.host, error);
        if (!tls_)
            return false;
    }
    return true;
}

namespace {

/// call() again while a signal interrupts it: what it returns, Stream::would_block for
/// EAGAIN, or -1 with errno set.
template <typename Call>
ssize_t uninterrupted(Call call) {
    for (;;) {
        ssize_t r = call();
        if (r >= 0)
            return r;
        if (errno == EAGAIN)
            return Stream::would_block;
        if (errno != EINTR)
            return -1;
    }
}

} // namespace

ssize_t Stream::read(char* buf, std::size_t n, std::string& error) {
    if (tls_) {
        return tls_->read(buf, n, error);
    }
    ssize_t r = uninterrupted([&] { return ::read(fd_.get(), buf, n); });
    if (r != -1)
        return r;
    // A reset after the server has said all it had to say ends the stream like an EOF.
    if (errno == ECONNRESET)
        return 0;
    error = std::string("read: ") + std::strerror(errno);
    return -1;
}

bool Stream::write_all(std::string_view data, std::string& error) {
    if (tls_) {
        return tls_->write_all(data, error);
    }
    // On a blocking socket write_some never gives would_block.
    while (!data.empty()) {
        ssize_t w = write_some(data, error);
        if (w < 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(w));
    }
    return true;
}

void Stream::set_nonblocking() { ::fcntl(fd_.get(), F_SETFL, ::fcntl(fd_.get(), F_GETFL) | O_NONBLOCK); }

ssize_t Stream::write_some(std::string_view data, std::string& error) {
    if (tls_)
        return tls_->write_some(data, error);
    ssize_t w = uninterrupted([&] { return ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL); });
    if (w == -1) {
        int err = errno;
        error = std::string("write: ") + std::strerror(err);
        errno = err;
    }
    return w;
}

void Stream::shutdown_write() {
    if (!tls_)
        ::shutdown(fd_.get(), SHUT_WR);
}

} // namespace syskit::sockkit

namespace syskit::sockkit {

namespace {

/// Whether standard input is a regular file, which sendfile(2) can send.
bool stdin_is_file() {
    struct stat sb;
    return ::fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode);
}

} // namespace

int run_session(Stream& s, const std::string& subject, const Session& session) {
    s.set_nonblocking();
    Session::State st;
    st.input_ended = !session.read_stdin;
    // Standard input sent as it is from a file: sendfile(2) moves it from the page cache to
    // the socket, with no copy through this process (under TLS it must be encrypted here).
    const bool send_file = !st.input_ended && !session.input && !s.tls() && stdin_is_file();
    std::string out = session.greeting, why;
    std::size_t out_at = 0; // bytes of out already sent
    st.sent = out.size();
    bool shut = false;
    // Large reads: fewer calls per byte on either side.
    std::string buf(256 * 1024, '\0');
    for (;;) {
        while (out_at < out.size()) {
            ssize_t w = s.write_some(std::string_view(out).substr(out_at), why);
            if (w == Stream::would_block)
                break;
            if (w < 0) {
                // The server may have closed after saying why: read that before leaving.
                if (errno != EPIPE && errno != ECONNRESET) {
                    cli::error(subject, why);
                    return cli::exit_trouble;
                }
                st.refused = why;
                st.input_ended = true;
                out.clear();
                out_at = 0;
                break;
            }
            out_at += static_cast<std::size_t>(w);
        }
        bool all_sent = out_at == out.size();
        if (all_sent) {
            out.clear();
            out_at = 0;
        }
        while (send_file && all_sent && !st.input_ended && st.refused.empty()) {
            ssize_t n = ::sendfile(s.fd(), STDIN_FILENO, nullptr, 1 << 30);
            if (n > 0) {
                st.sent += static_cast<std::uint64_t>(n);
            } else if (n == 0) {
                st.input_ended = true;
            } else if (errno == EAGAIN) {
                break;
            } else if (errno == EPIPE || errno == ECONNRESET) {
                // As for a write: the server may have said why before it closed.
                st.refused = std::string("sendfile: ") + std::strerror(errno);
                st.input_ended = true;
            } else if (errno != EINTR) {
                cli::error(subject, std::string("sendfile: ") + std::strerror(errno));
                return cli::exit_trouble;
            }
        }
        if (st.input_ended && all_sent && st.refused.empty()) {
            if (session.shutdown_at_end && !shut) {
                s.shutdown_write();
                shut = true;
            }
            if (session.complete && session.complete(st))
                return cli::exit_ok;
        }
        if (!s.pending()) {
            short events = POLLIN;
            // send_file with input left: the socket was full.
            if (!all_sent || s.wants_write() || (send_file && !st.input_ended))
                events |= POLLOUT;
            pollfd fds[2] = {{s.fd(), events, 0}, {STDIN_FILENO, POLLIN, 0}};
            const bool reading_input = !send_file && !st.input_ended && all_sent;
            if (::poll(fds, reading_input ? 2 : 1, -1) < 0) {
                if (errno == EINTR)
                    continue;
                cli::error("poll", std::strerror(errno));
                return cli::exit_trouble;
            }
            if (reading_input && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
                if (n < 0 && errno != EINTR && errno != EAGAIN) {
                    cli::error("standard input", std::strerror(errno));
                    return cli::exit_trouble;
                }
                if (n >= 0) {
                    st.input_ended = n == 0;
                    std::string_view piece(buf.data(), static_cast<std::size_t>(n));
                    out = session.input ? session.input(piece, n == 0) : std::string(piece);
                    st.sent += out.size();
                }
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
        }
        // Everything the socket holds now, so that the server's writes never wait on ours: a
        // read that fills the buffer may have left more.
        for (bool more = true; more;) {
            ssize_t n = s.read(buf.data(), buf.size(), why);
            if (n == Stream::would_block)
                break;
            if (n < 0) {
                cli::error(subject, why);
                return cli::exit_trouble;
            }
            if (n == 0)
                return session.closed(st);
            if (!fs::write_all(STDOUT_FILENO, buf.data(), static_cast<std::size_t>(n))) {
                cli::error("standard output", std::strerror(errno));
                return cli::exit_trouble;
            }
            st.received += static_cast<std::uint64_t>(n);
            more = static_cast<std::size_t>(n) == buf.size() || s.pending();
            if (st.input_ended && out.empty() && st.refused.empty() && session.complete && session.complete(st))
                return cli::exit_ok;
        }
    }
}

} // namespace syskit::sockkit

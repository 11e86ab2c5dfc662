// client: the client end of a stream connection, plain or TLS, with blocking reads and writes.
#pragma once

#include "net/address.hpp"
#include "net/tls_client.hpp"

#include "fs/fd.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace syskit::sockkit {

class Stream {
public:
    /// Connects to a; with ca not empty, speaks TLS over it, trusting the certificates in ca.
    /// False with error naming the call when it cannot (the caller names the address).
    bool connect(const net::Address& a, const std::string& ca, std::string& error);
    /// Up to n bytes: how many, 0 at the end of the stream, -1 with error set, or after
    /// set_nonblocking() would_block when none are there yet.
    ssize_t read(char* buf, std::size_t n, std::string& error);
    bool write_all(std::string_view data, std::string& error);

    /// What read and write_some return when the socket is not ready (after set_nonblocking()).
    static constexpr ssize_t would_block = net::TlsClient::would_block;
    /// Makes the socket non-blocking, for write_some and a read that never waits.
    void set_nonblocking();
    /// Writes what the socket takes now of data: how many bytes, would_block, or -1 with error
    /// set and errno kept (EPIPE, ECONNRESET: the server closed).
    ssize_t write_some(std::string_view data, std::string& error);
    /// Whether the socket must become writable before the last would_block can end (under
    /// TLS a read may have to write first); otherwise it must become readable, or was a write.
    bool wants_write() const { return tls_ && tls_->wants_write(); }
    /// Tells the server nothing more will come: shutdown(SHUT_WR) on a plain connection; under
    /// TLS, where that would end the session, nothing.
    void shutdown_write();
    bool tls() const { return tls_ != nullptr; }
    /// Whether read() has bytes that poll(2) on fd() cannot see (decrypted, inside OpenSSL).
    bool pending() const { return tls_ && tls_->pending(); }
    int fd() const { return fd_.get(); }

private:
    fs::UniqueFd fd_;
    std::unique_ptr<net::TlsClient> tls_;
};

/// A client session run by run_session: what it sends, and how it ends.
struct Session {
    /// Sent first: echo's TEXT, chat's /name.
    std::string greeting;
    /// Whether standard input is read (else it counts as ended from the start).
    bool read_stdin = true;
    /// Whether shutdown_write() follows the last bytes sent once standard input has ended.
    bool shutdown_at_end = false;
    /// What to send for a piece of standard input, called once more with end at its end;
    /// empty: standard input as it is (echo), which a regular file on a plain connection
    /// sends with sendfile(2), the kernel's one copy.
    std::function<std::string(std::string_view piece, bool end)> input;
    /// Where the session stands, for the two callbacks below.
    struct State {
        std::uint64_t sent = 0, received = 0; ///< bytes sent (greeting included), bytes printed
        bool input_ended = false;             ///< standard input ended (or is not read)
        std::string refused;                  ///< why the server refused a write (it closed), if it did
    };
    /// Whether the session is over, asked when everything was sent after standard input
    /// ended, and after each piece printed (echo: all came back); empty: when the server closes.
    std::function<bool(const State&)> complete;
    /// The exit status when the server ends the stream (it may say why first).
    std::function<int(const State&)> closed;
};

/// Runs a session on the connected s, named subject in messages: both directions at once,
/// with poll(2) and a non-blocking socket, so that the client never sits in a write while the
/// server's answers pile up (a server that answers as it reads, blocked in its own write, would
/// then never read again).  Standard input is read only when what it gave has been sent, so
/// memory stays bounded.  Returns the exit status.
int run_session(Stream& s, const std::string& subject, const Session& session);

} // namespace syskit::sockkit

// address: socket addresses as a command line writes them (unix:PATH, abstract:NAME,
// tcp:HOST:PORT, udp:HOST:PORT), and listening or connecting on them, with the life of a Unix
// socket file: created with a chosen mode, a stale one replaced, a live one never, removed
// when the listener goes (book chapters 7 and 10).
#pragma once

#include "fs/fd.hpp"

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::net {

enum class Family {
    unix_path, ///< a socket file in the file system
    abstract,  ///< Linux's abstract namespace: a name with no file, gone with its last socket
    tcp,
    udp,
};

struct Address {
    Family family = Family::tcp;
    std::string path; ///< unix_path: the file; abstract: the name (without the leading NUL)
    std::string host; ///< tcp, udp: a host name or an IPv4 or IPv6 literal
    std::uint16_t port = 0;

    /// As it is written on a command line: "unix:/run/x.sock", "tcp:[::1]:80".
    std::string str() const;
    /// Whether it is a Unix-domain address (a file or an abstract name).
    bool local() const { return family == Family::unix_path || family == Family::abstract; }
};

/// Parses "unix:PATH", "abstract:NAME", "tcp:HOST:PORT" or "udp:HOST:PORT" (an IPv6 host in
/// brackets: "tcp:[::1]:8080").  nullopt with error set, in words, when text is none of them.
std::optional<Address> parse_address(std::string_view text, std::string& error);

/// The sockaddr of a, resolving a host name with getaddrinfo(3) (the first address it gives).
/// False with error set when the name does not resolve or the path is too long.
bool socket_address(const Address& a, sockaddr_storage& ss, socklen_t& len, std::string& error);

/// A listening stream socket (tcp, unix_path or abstract) or a bound datagram socket (udp),
/// non-blocking and close-on-exec.  For unix_path, the socket file it made is removed when the
/// Listener goes, unless another file has taken its place meanwhile.
class Listener {
public:
    Listener() = default;
    Listener(Listener&& o) noexcept;
    Listener& operator=(Listener&& o) noexcept;
    ~Listener();

    /// Binds and listens on a.  A socket file is created with exactly mode (umask aside); an
    /// existing one that nobody listens on (connect(2) refused) is replaced; one that a server
    /// answers on, or a file that is not a socket, makes it fail.  False with error naming the
    /// call ("bind: Permission denied"; the caller names the address) when it cannot.
    bool open(const Address& a, mode_t mode, int backlog, std::string& error);
    int fd() const { return fd_.get(); }
    /// Closes the socket and removes its file (unix_path).
    void close();

private:
    fs::UniqueFd fd_;
    std::string path_; ///< the socket file to remove; empty when none
    dev_t dev_ = 0;
    ino_t ino_ = 0;
};

/// A blocking stream socket (close-on-exec) connected to a (tcp, unix_path or abstract), or a
/// UDP socket connected to a; empty with error naming the call on failure ("connect:
/// Connection refused"; the caller names the address).
fs::UniqueFd connect_to(const Address& a, std::string& error);

/// The credentials of the process at the other end of a Unix socket (SO_PEERCRED): its pid,
/// uid and gid when it connected.  False with errno set on failure.
struct PeerCred {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};
bool peer_credentials(int fd, PeerCred& cred);

} // namespace syskit::net

#include "net/address.hpp"

#include <netdb.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace syskit::net {

namespace {

/// "call(subject): error", or "call: error" without a subject (the caller names the address).
std::string call_error(const char* call, const std::string& subject, int err) {
    return std::string(call) + (subject.empty() ? "" : "(" + subject + ")") + ": " + std::strerror(err);
}

bool stream_family(const Address& a) { return a.family != Family::udp; }

} // namespace

std::string Address::str() const {
    switch (family) {
    case Family::unix_path:
        return "unix:" + path;
    case Family::abstract:
        return "abstract:" + path;
    case Family::tcp:
    case Family::udp:
        break;
    }
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return (family == Family::tcp ? "tcp:" : "udp:") + h + ":" + std::to_string(port);
}

std::optional<Address> parse_address(std::string_view text, std::string& error) {
    Address a;
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        error = "not an address: write unix:PATH, abstract:NAME, tcp:HOST:PORT or udp:HOST:PORT";
        return std::nullopt;
    }
    std::string_view kind = text.substr(0, colon), rest = text.substr(colon + 1);
    if (kind == "unix" || kind == "abstract") {
        a.family = kind == "unix" ? Family::unix_path : Family::abstract;
        // sun_path holds 108 bytes: a path needs its terminating NUL, an abstract name its
        // leading one.
        if (rest.empty() || rest.size() > sizeof(sockaddr_un::sun_path) - 1) {
            error = rest.empty() ? "the " + std::string(kind) + " address has no " +
                                       (kind == "unix" ? "path" : "name")
                                 : "longer than the 107 bytes a Unix socket address holds";
            return std::nullopt;
        }
        if (rest.find('\0') != std::string_view::npos) {
            error = "contains a NUL byte";
            return std::nullopt;
        }
        a.path = rest;
        return a;
    }
    if (kind != "tcp" && kind != "udp") {
        error = fmt::format("'{}' is not unix, abstract, tcp or udp", kind);
        return std::nullopt;
    }
    a.family = kind == "tcp" ? Family::tcp : Family::udp;
    auto port_colon = rest.rfind(':');
    if (port_colon == std::string_view::npos) {
        error = "no port: write " + std::string(kind) + ":HOST:PORT";
        return std::nullopt;
    }
    std::string_view host = rest.substr(0, port_colon), port = rest.substr(port_colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string_view::npos) {
        error = "an IPv6 host goes in brackets: " + std::string(kind) + ":[::1]:PORT";
        return std::nullopt;
    }
    if (host.empty()) {
        error = "no host: write " + std::string(kind) + ":HOST:PORT (0.0.0.0 for every IPv4 address)";
        return std::nullopt;
    }
    unsigned long n = 0;
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        (n = std::stoul(std::string(port))) > 65535) {
        error = "'" + std::string(port) + "' is not a port number (0 to 65535)";
        return std::nullopt;
    }
    a.host = host;
    a.port = static_cast<std::uint16_t>(n);
    return a;
}

bool socket_address(const Address& a, sockaddr_storage& ss, socklen_t& len, std::string& error) {
    ss = {};
    if (a.local()) {
        auto* un = reinterpret_cast<sockaddr_un*>(&ss);
        un->sun_family = AF_UNIX;
        if (a.path.size() > sizeof un->sun_path - 1) {
            error = a.str() + ": longer than a Unix socket address holds";
            return false;
        }
        // An abstract name starts with a NUL byte and is exactly as long as len says: no
        // terminator, so "x" and "x\0" are different names.
        std::size_t at = a.family == Family::abstract ? 1 : 0;
        std::memcpy(un->sun_path + at, a.path.data(), a.path.size());
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + at + a.path.size() +
                                     (a.family == Family::unix_path ? 1 : 0));
        return true;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = a.family == Family::tcp ? SOCK_STREAM : SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    std::string port = std::to_string(a.port);
    int rc = getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res);
    if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
        // AI_ADDRCONFIG hides ::1 on a host with only loopback configured; try without it.
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res);
    }
    if (rc != 0) {
        error = "getaddrinfo(" + a.host + "): " + gai_strerror(rc);
        return false;
    }
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

Listener::Listener(Listener&& o) noexcept
    : fd_(std::move(o.fd_)), path_(std::exchange(o.path_, {})), dev_(o.dev_), ino_(o.ino_) {}

Listener& Listener::operator=(Listener&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::move(o.fd_);
        path_ = std::exchange(o.path_, {});
        dev_ = o.dev_;
        ino_ = o.ino_;
    }
    return *this;
}

Listener::~Listener() { close(); }

void Listener::close() {
    if (!path_.empty()) {
        // Only the file this listener made: a server started after it may own the path now.
        struct stat st {};
        if (lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ && st.st_ino == ino_)
            unlink(path_.c_str());
        path_.clear();
    }
    fd_.reset();
}

bool Listener::open(const Address& a, mode_t mode, int backlog, std::string& error) {
    close();
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (!socket_address(a, ss, len, error))
        return false;
    const std::string subject; // the caller's message names the address
    const int type = stream_family(a) ? SOCK_STREAM : SOCK_DGRAM;
    fs::UniqueFd fd(socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = call_error("socket", subject, errno);
        return false;
    }
    if (!a.local()) {
        int one = 1;
        // SO_REUSEADDR: a restarted server binds at once while old connections sit in TIME_WAIT.
        if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
            error = call_error("setsockopt", subject, errno);
            return false;
        }
    }
    auto try_bind = [&] {
        if (a.family != Family::unix_path)
            return bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
        // bind(2) makes the file with 0777 less the umask: a umask of exactly ~mode gives mode,
        // with no moment where the file is more open than asked.  Nothing else runs yet.
        mode_t old = umask(~mode & 0777);
        int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
        int err = errno;
        umask(old);
        errno = err;
        return rc;
    };
    if (try_bind() != 0) {
        int err = errno;
        if (err != EADDRINUSE || a.family != Family::unix_path) {
            error = call_error("bind", subject, err);
            return false;
        }
        struct stat st {};
        if (lstat(a.path.c_str(), &st) != 0) {
            error = call_error("lstat", a.path, errno);
            return false;
        }
        if (!S_ISSOCK(st.st_mode)) {
            error = "exists and is not a socket; not replacing it";
            return false;
        }
        // A socket file outlives a server that died without removing it.  Only a refused
        // connection proves nobody listens; anything else (accepted, or a full backlog) means a
        // live server, whose file must stay.
        fs::UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!probe) {
            error = call_error("socket", subject, errno);
            return false;
        }
        if (connect(probe.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0 || errno != ECONNREFUSED) {
            error = "a server is listening on this socket; not replacing it";
            return false;
        }
        if (unlink(a.path.c_str()) != 0 && errno != ENOENT) {
            error = call_error("unlink", "stale socket " + a.path, errno);
            return false;
        }
        if (try_bind() != 0) {
            error = call_error("bind", subject, errno);
            return false;
        }
    }
    if (a.family == Family::unix_path) {
        struct stat st {};
        if (lstat(a.path.c_str(), &st) == 0) {
            path_ = a.path;
            dev_ = st.st_dev;
            ino_ = st.st_ino;
        }
    }
    if (type == SOCK_STREAM && listen(fd.get(), backlog) != 0) {
        error = call_error("listen", subject, errno);
        fd_ = std::move(fd);
        close();
        return false;
    }
    fd_ = std::move(fd);
    return true;
}

fs::UniqueFd connect_to(const Address& a, std::string& error) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (!socket_address(a, ss, len, error))
        return {};
    fs::UniqueFd fd(socket(ss.ss_family, (stream_family(a) ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = call_error("socket", {}, errno);
        return {};
    }
    int rc;
    do
        rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        error = call_error("connect", {}, errno);
        return {};
    }
    return fd;
}

bool peer_credentials(int fd, PeerCred& cred) {
    ucred uc{};
    socklen_t len = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
        return false;
    cred.pid = uc.pid;
    cred.uid = uc.uid;
    cred.gid = uc.gid;
    return true;
}

} // namespace syskit::net

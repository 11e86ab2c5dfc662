// svc: the systemd service protocols a daemon speaks, written out rather than linked from
// libsystemd: readiness notification (sd_notify(3): one datagram to the Unix socket named by
// $NOTIFY_SOCKET) and socket activation (sd_listen_fds(3): descriptors from 3 on, counted by
// $LISTEN_FDS for the process $LISTEN_PID).
#pragma once

#include <string>
#include <string_view>

namespace syskit::svc {

/// The first descriptor the service manager passes (SD_LISTEN_FDS_START).
constexpr int listen_fds_start = 3;

/// Sends state, newline-separated assignments such as "READY=1" or
/// "READY=1\nSTATUS=serving", to the service manager: one datagram on a Unix datagram socket
/// to the address in $NOTIFY_SOCKET, a path, or an abstract name when it begins with '@'.
/// Returns 0 when the datagram was sent or when $NOTIFY_SOCKET is unset or empty (not run by a
/// service manager that listens), else the errno of the failing call (EAFNOSUPPORT for an
/// address of another kind, such as vsock:, ENAMETOOLONG for one longer than a Unix socket
/// address holds).
int notify(std::string_view state);

/// Takes the descriptors the service manager passed: when $LISTEN_PID is this process's
/// id, count is $LISTEN_FDS and descriptors listen_fds_start to listen_fds_start + count - 1
/// are the passed ones, each made close-on-exec; otherwise count is 0.  $LISTEN_PID,
/// $LISTEN_FDS and $LISTEN_FDNAMES are unset in every case, so that a child the daemon starts
/// does not take them for its own.  False with error naming the variable and what is wrong
/// with it (not a number, negative, more descriptors than a process can have) or the failing
/// fcntl(2).
bool listen_fds(int& count, std::string& error);

} // namespace syskit::svc

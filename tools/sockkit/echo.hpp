// echo: the first server and client of chapters 7 and 10: every byte a client sends comes back.
#pragma once

#include "options.hpp"
#include "server.hpp"

namespace syskit::sockkit {

/// Sends every byte received back to its sender.
class EchoService : public Service {
public:
    void received(Conn& c, std::string_view data) override { c.send(data); }
};

/// echo send: sends o.text and a newline, or standard input, and copies what comes back to
/// standard output until as much has come back as was sent (or the server closes).  Returns
/// the exit status; 1 when the server closed before echoing everything.
int echo_send(const Options& o);

} // namespace syskit::sockkit

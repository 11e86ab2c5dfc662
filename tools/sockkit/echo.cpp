#include "echo.hpp"

#include "client.hpp"

#include "cli/diag.hpp"

namespace syskit::sockkit {

int echo_send(const Options& o) {
    Stream s;
    std::string why;
    if (!s.connect(o.address, o.ca, why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    const std::string subject = o.address.str();
    Session session;
    if (o.text)
        session.greeting = *o.text + "\n";
    session.read_stdin = !o.text;
    session.shutdown_at_end = !o.text;
    session.complete = [](const Session::State& st) { return st.received >= st.sent; };
    session.closed = [&](const Session::State& st) {
        if (!st.refused.empty()) {
            cli::error(subject, st.refused);
            return cli::exit_trouble;
        }
        if (st.received < st.sent) {
            cli::error(subject, "the server closed the connection before echoing everything");
            return cli::exit_found;
        }
        return cli::exit_ok;
    };
    return run_session(s, subject, session);
}

} // namespace syskit::sockkit

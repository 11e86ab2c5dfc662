// transfer: udp send and udp recv, a file sent reliably over UDP: a window of chunks in flight,
// selective acknowledgements, retransmission of only what is missing, back-off when the
// receiver stops answering, a SHA-256 of the whole file checked before the file is renamed
// into place, and a receiver that can resume after a restart (book chapter 10).
#pragma once

#include "options.hpp"

#include <cstdint>
#include <random>

namespace syskit::sockkit {

/// The --loss simulation: drops a share of the datagrams a side sends.
class Loss {
public:
    explicit Loss(double p) : p_(p), rng_(std::random_device{}()) {}
    bool drop() { return p_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p_; }

private:
    double p_;
    std::mt19937_64 rng_;
};

/// udp send: sends o.file to o.address; the exit status.  Prints a summary line on stdout.
int udp_send(const Options& o);

/// udp recv: receives one file on o.address into o.file; the exit status.
int udp_recv(const Options& o);

} // namespace syskit::sockkit

// options: pipekit's command line, one subcommand per job, parsed into one struct and
// checked as a whole.
#pragma once

#include "codec.hpp"
#include "level.hpp"

#include "cli/diag.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::pipekit {

enum class Command { none, run, fifo, send, recv, filter, pump };

struct RunOptions {
    std::vector<std::string> stages;              ///< each stage's text, as given
    std::vector<std::vector<std::string>> argv;   ///< each stage split into words
    bool status = false;                          ///< --status: print each stage's status
    double timeout = 0;                           ///< 0: none
    double kill_after = 5;                        ///< SIGKILL this long after the timeout's SIGTERM
};

struct FifoOptions {
    std::string dir;  ///< default: $TMPDIR, else /tmp
    mode_t mode = 0600;
};

/// send and recv: the mailbox.
struct MailOptions {
    std::string fifo, file;      ///< file: send's input ("" or "-": stdin)
    bool frame = false, null = false, verbose = false;
    bool no_eod = false;         ///< send: send none; recv: expect none, the end is the last writer's close
    bool atomic = false;         ///< send: writes of PIPE_BUF bytes at most, no lock
    std::string eod = "EOD";
    Compression compress = Compression::none;
    double timeout = -1;         ///< < 0: wait for ever
    std::uint64_t max_frame = 1 << 20;
};

struct FilterOptions {
    std::string source;          ///< "" or "-": stdin
    Level level = Level::error;  ///< the least severe level kept
    bool all = false;            ///< --level all: every line, with a level or not
    bool follow = false, count = false;
    bool color = false;          ///< --color: the lines kept painted by level, as journalctl does
};

struct PumpOptions {
    std::uint64_t buffer = 0;     ///< 0: no buffer of our own
    std::uint64_t rate = 0;       ///< bytes per second, 0: no limit
    std::optional<std::uint64_t> size; ///< --size, for the progress line's ETA
    bool quiet = false;                ///< -q: no progress line
};

struct Options {
    Command command = Command::none;
    RunOptions run;
    FifoOptions fifo;
    MailOptions send, recv;
    FilterOptions filter;
    PumpOptions pump;

    /// The raw text of the options parsed by finish().
    struct Raw {
        std::string run_timeout, kill_after = "5", mode = "0600", level = "error", buffer, rate, size;
        std::string send_compress = "none", recv_compress = "none", send_timeout, recv_timeout;
        std::string send_max = "1M", recv_max = "1M";
    } raw;
};

/// Declares pipekit's subcommands and their options on app, storing into o.raw and o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw into o's typed fields, splits run's stages into words and checks how the
/// options combine: what is wrong with the command line, or nullopt.  app: the parsed
/// command line, to know which subcommand was chosen.
std::optional<cli::Problem> finish(const CLI::App& app, Options& o);

} // namespace syskit::pipekit

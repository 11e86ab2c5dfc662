// fdlock: runs a command while holding an fcntl lock, the fcntl counterpart of flock(1)
// (book chapter 5: a distributed lock manager, process timeouts).
#include "holdings.hpp"
#include "options.hpp"
#include "run.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"
#include "fs/fd.hpp"
#include "lock/holders.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <system_error>

using namespace syskit;
using namespace syskit::fdlock;

namespace {

/// Makes sure descriptors 0, 1 and 2 are open: otherwise the lock file would take one of
/// their numbers and be handed to the command as its standard input or output.
void open_standard_descriptors() {
    for (int fd = 0; fd < 3; ++fd) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            fs::UniqueFd null(open("/dev/null", O_RDWR));
            if (null.get() == fd)
                null.release();
        }
    }
}

/// --holder FILE and --list.
int holdings(const Options& o, bool color) {
    lock::HoldingQuery query;
    query.waiting = o.action == Action::list;
    if (o.action == Action::holder) {
        lock::FileKey key;
        if (int err = lock::file_key(o.operand.c_str(), &key)) {
            cli::error(o.operand, std::strerror(err));
            return cli::exit_trouble;
        }
        query.file = key;
    }
    return print_holdings(query, o.range, o.format, o.action == Action::holder, color);
}

} // namespace

int main(int argc, char** argv) {
    open_standard_descriptors();
    cli::Tool tool("fdlock", "Hold an fcntl lock on a file while a command runs, or on a descriptor of the shell.");
    tool.add_color();
    Options o;
    add_options(tool.app(), o);
    // Only what comes before FILE, and FILE, are fdlock's; the rest is the command.
    cli::Command command = cli::command_after_operand(tool.app(), argc, argv);
    if (auto rc = tool.parse(command.argc, argv))
        return *rc;
    o.command = std::move(command.argv);
    if (auto problem = finish(o))
        return cli::usage_error(*problem);

    switch (o.action) {
    case Action::holder:
    case Action::list:
        return holdings(o, tool.color_stdout());
    case Action::descriptor:
        return lock_descriptor(o);
    case Action::run:
        break;
    }
    try {
        return lock_and_run(o);
    } catch (const std::system_error& e) {
        cli::error("event loop", e.what());
        return cli::exit_trouble;
    }
}

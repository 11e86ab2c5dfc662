// pipekit: book chapter 6's pipes as a tool: pipelines without a shell, safe FIFOs, the task
// mailbox, the log filter, and a pump.
#include "filter.hpp"
#include "mailbox.hpp"
#include "options.hpp"
#include "pipeline.hpp"
#include "pump.hpp"

#include "cli/cli.hpp"
#include "fs/fifo.hpp"
#include "out/text.hpp"

#include <cstdlib>

using namespace syskit;
using namespace syskit::pipekit;

int main(int argc, char** argv) {
    cli::Tool tool("pipekit", "pipekit - pipelines without a shell, safe FIFOs, a FIFO mailbox, a log filter, a pump");
    Options o;
    add_options(tool.app(), o);
    tool.add_quiet("No progress line (pump), no warnings on stderr").add_color();
    tool.footer("'pipekit COMMAND --help' shows a command's options.");
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(tool.app(), o))
        return cli::usage_error(*problem);
    o.pump.quiet = tool.quiet();
    o.filter.color = tool.color_stdout();

    switch (o.command) {
    case Command::run:
        return run_pipeline(o.run);
    case Command::fifo: {
        std::string dir = o.fifo.dir;
        if (dir.empty()) {
            const char* tmp = std::getenv("TMPDIR");
            dir = tmp && *tmp ? tmp : "/tmp";
        }
        std::string path, error;
        if (!fs::make_fifo(dir, "pipekit", o.fifo.mode, path, error)) {
            cli::error("", error);
            return cli::exit_trouble;
        }
        out::Sink sink;
        sink.line(path);
        return out::finish(sink, cli::exit_ok);
    }
    case Command::send:
        return send(o.send);
    case Command::recv:
        return recv(o.recv);
    case Command::filter:
        return filter(o.filter);
    case Command::pump:
    case Command::none:
        break;
    }
    return pump(o.pump);
}

#include "options.hpp"

#include "cli/duration.hpp"
#include "cli/log_format.hpp"

#include <CLI/CLI.hpp>

namespace syskit::usbtidy {

namespace {

/// The longest --timeout: an hour, longer than any drive takes to mount.
constexpr double max_timeout = 3600;

} // namespace

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.require_subcommand(0, 1);
    // The shared options (-q, --color) are the tool's, and may follow the subcommand too.
    app.fallthrough();
    auto org = app.add_subcommand("organize", "Move DIR's files into folders by extension, journaled for undo");
    org->add_option("DIR", o.dir, "The directory to tidy: a drive's mount point")->type_name("");
    org->add_flag("-n,--dry-run", o.dry_run, "Print the moves, make none");
    org->add_option("--rules", o.rules, "Group extensions into folders as FILE says (images: jpg png ...)")
        ->type_name("FILE");
    org->add_option("--format", r.format, "Output: text (FROM -> TO), or json (one object per line)")
        ->type_name("text|json");
    org->callback([&r] { r.organize = true; });

    auto un = app.add_subcommand("undo", "Put back what organize moved in DIR, from its journal");
    un->add_option("DIR", o.dir, "The directory organize tidied")->type_name("");
    un->add_option("--format", r.format, "Output: text (FROM -> TO), or json (one object per line)")
        ->type_name("text|json");
    un->callback([&r] { r.undo = true; });

    auto li = app.add_subcommand("list", "List USB storage devices: partitions, labels, file systems, mounts");
    li->add_option("--format", r.format, "Output: text (a table), or json (one object per line)")
        ->type_name("text|json");
    li->callback([&r] { r.list = true; });

    auto wa = app.add_subcommand("watch", "Organize each USB drive when it is plugged in and mounted");
    wa->add_option("--label", o.label, "Only the file system labelled L")->type_name("L");
    wa->add_option("--uuid", o.uuid, "Only the file system with UUID U")->type_name("U");
    wa->add_flag("--any", o.any, "Every USB file system");
    wa->add_flag("--mount", o.mount, "Mount it through UDisks2 instead of waiting for the desktop to");
    wa->add_flag("--notify", o.notify, "Say what moved in a desktop notification");
    wa->add_option("--exec", o.exec, "After organizing, run CMD with /bin/sh -c (the mount point is $1)")
        ->type_name("CMD");
    wa->add_option("--rules", o.rules, "Group extensions into folders as FILE says")->type_name("FILE");
    wa->add_option("--timeout", r.timeout, "Seconds to wait for the mount (default 30)")->type_name("SECS");
    cli::add_log_format(*wa, o.log_format);
    wa->callback([&r] { r.watch = true; });
}

std::optional<cli::Problem> finish(Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    o.command = r.organize ? Command::organize
                : r.undo   ? Command::undo
                : r.list   ? Command::list
                : r.watch  ? Command::watch
                           : Command::none;
    if (o.command == Command::none)
        return Problem{"", "a command is missing: organize, undo, list or watch"};
    if (r.format == "text")
        o.format = cli::Format::text;
    else if (r.format == "json")
        o.format = cli::Format::json;
    else
        return Problem{"--format", "'" + r.format + "' is not text or json"};
    if ((o.command == Command::organize || o.command == Command::undo) && o.dir.empty())
        return Problem{"DIR", "missing: the directory to " +
                                  std::string(o.command == Command::organize ? "organize" : "restore")};
    if (o.command != Command::watch)
        return std::nullopt;

    int chosen = !o.label.empty() + !o.uuid.empty() + o.any;
    if (chosen == 0)
        return Problem{"watch", "say which drives to tidy: --label L, --uuid U or --any"};
    if (chosen > 1)
        return Problem{o.any ? "--any" : "--uuid", "choose one of --label, --uuid and --any"};
    if (!r.timeout.empty()) {
        auto v = cli::parse_seconds(r.timeout, max_timeout);
        if (!v || *v <= 0)
            return Problem{"--timeout", "'" + r.timeout + "' is not a number of seconds above 0, at most 3600"};
        o.timeout = *v;
    }
    return std::nullopt;
}

} // namespace syskit::usbtidy

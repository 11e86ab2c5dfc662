#include "report.hpp"

#include "out/json.hpp"
#include "out/plural.hpp"

#include <fmt/format.h>

namespace syskit::dupfind {

namespace {

/// The names a group shows for a file: its first, or all with --hardlinks.
std::vector<const Name*> shown_names(const File& f, bool hardlinks) {
    std::vector<const Name*> names{&f.names[0]};
    if (hardlinks)
        for (std::size_t i = 1; i < f.names.size(); ++i)
            names.push_back(&f.names[i]);
    return names;
}

} // namespace

void print_groups(out::Sink& sink, const std::vector<Group>& groups, const ReportOptions& o) {
    for (const Group& g : groups) {
        if (o.format == cli::Format::json) {
            std::string paths = "[";
            for (const File& f : g.files)
                for (const Name* n : shown_names(f, o.hardlinks)) {
                    if (paths.size() > 1)
                        paths += ',';
                    paths += '"';
                    out::append_json_string(paths, n->path);
                    paths += '"';
                }
            paths += ']';
            sink.line(out::Object()
                          .add("size", g.size)
                          .add("hash", to_hex(g.digest))
                          .add("algorithm", hash_name(o.hash))
                          .add_raw("paths", paths)
                          .str());
            continue;
        }
        for (const File& f : g.files)
            for (const Name* n : shown_names(f, o.hardlinks)) {
                if (o.null)
                    sink.record0(n->path);
                else if (o.color && &f == &g.files[0])
                    sink.line(fmt::format("\033[1m{}\033[0m", out::shown(n->path, o.escape)));
                else
                    sink.line(out::shown(n->path, o.escape));
            }
        if (o.null)
            sink.record0("");
        else
            sink.line("");
    }
}

void print_summary(out::Sink& sink, const std::vector<Group>& groups, const ReportOptions& o) {
    std::uint64_t copies = 0, reclaimable = 0;
    for (const Group& g : groups) {
        copies += g.files.size() - 1;
        reclaimable += g.size * (g.files.size() - 1);
    }
    if (o.format == cli::Format::json)
        sink.line(out::Object()
                      .add("groups", static_cast<std::uint64_t>(groups.size()))
                      .add("duplicates", copies)
                      .add("reclaimable_bytes", reclaimable)
                      .str());
    else
        sink.line(fmt::format("{}, {}, {} ({}) reclaimable", out::plural(groups.size(), "duplicate group"),
                              out::plural(copies, "duplicate file"), out::plural(reclaimable, "byte"),
                              out::human_size(reclaimable)));
}

void print_action(out::Sink& sink, const Done& done, bool applied, const ReportOptions& o) {
    if (o.format == cli::Format::json)
        sink.line(out::Object()
                      .add("path", done.name.path)
                      .add("keep", done.keep.path)
                      .add("command", done.command)
                      .add("applied", applied)
                      .str());
    else
        sink.line(out::shown(done.command, o.escape));
}

} // namespace syskit::dupfind

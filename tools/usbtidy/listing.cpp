#include "listing.hpp"

#include "mounts.hpp"

#include "out/color.hpp"
#include "out/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace syskit::usbtidy {

void report_devices(out::Sink& sink, cli::Format format, bool escape, const std::vector<Listed>& rows,
                    bool color) {
    if (format == cli::Format::json) {
        for (auto& r : rows) {
            out::Object o;
            o.add("device", r.dev.node).add("type", r.dev.type).add("disk", r.dev.disk).add("fstype", r.dev.fs_type);
            o.add("label", r.dev.label).add("uuid", r.dev.uuid).add("model", r.dev.model).add("size", r.dev.size);
            if (r.mount_point.empty())
                o.add_raw("mountpoint", "null");
            else
                o.add("mountpoint", r.mount_point);
            sink.line(o.str());
        }
        return;
    }
    using Row = std::array<std::string, 7>;
    std::vector<Row> table{{"DEVICE", "TYPE", "FSTYPE", "LABEL", "UUID", "SIZE", "MOUNTPOINT"}};
    auto or_dash = [&](const std::string& s) { return s.empty() ? std::string("-") : out::shown(s, escape); };
    for (auto& r : rows)
        table.push_back({out::shown(r.dev.node, escape), r.dev.type, or_dash(r.dev.fs_type), or_dash(r.dev.label),
                         or_dash(r.dev.uuid), out::human_size(r.dev.size), or_dash(r.mount_point)});
    std::array<std::size_t, 7> width{};
    for (auto& row : table)
        for (std::size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    for (std::size_t r = 0; r < table.size(); ++r) {
        const Row& row = table[r];
        std::string line;
        for (std::size_t i = 0; i + 1 < row.size(); ++i)
            line += fmt::format("{:<{}}  ", row[i], width[i]);
        // The last column, unpadded, is the only one a colour cannot misalign: a mounted
        // drive's mount point in green.
        sink.line(line + out::paint(row.back(), out::sgr::green, color && r > 0 && !rows[r - 1].mount_point.empty()));
    }
}

int run_list(cli::Format format, out::Sink& sink, bool color) {
    Udev u(udev_new());
    if (!u) {
        cli::error("udev_new", std::strerror(errno));
        return cli::exit_trouble;
    }
    std::vector<Device> devices;
    std::string why;
    if (!enumerate_usb(u.get(), devices, why)) {
        cli::error("udev", why);
        return cli::exit_trouble;
    }
    std::vector<Listed> rows;
    for (auto& d : devices) {
        why.clear();
        auto m = find_mount(d.node, d.devnum, why);
        if (!why.empty()) {
            cli::error("mount table", why);
            return cli::exit_trouble;
        }
        rows.push_back({std::move(d), m ? m->target : ""});
    }
    report_devices(sink, format, out::escape_stdout(), rows, color);
    return cli::exit_ok;
}

} // namespace syskit::usbtidy

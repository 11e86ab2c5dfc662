#include "devices.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace syskit::usbtidy {

namespace {

std::string prop(udev_device* d, const char* key) {
    const char* v = udev_device_get_property_value(d, key);
    return v ? v : "";
}

/// udev's ID_FS_LABEL_ENC decoded: blkid's label with "\\xHH" for spaces and unsafe bytes,
/// where ID_FS_LABEL has them replaced with '_'.
std::string decode_udev(std::string_view enc) {
    std::string out;
    for (std::size_t i = 0; i < enc.size(); ++i) {
        if (enc[i] == '\\' && i + 3 < enc.size() && enc[i + 1] == 'x' && std::isxdigit((unsigned char)enc[i + 2]) &&
            std::isxdigit((unsigned char)enc[i + 3])) {
            out += static_cast<char>(std::stoi(std::string(enc.substr(i + 2, 2)), nullptr, 16));
            i += 3;
        } else {
            out += enc[i];
        }
    }
    return out;
}

} // namespace

bool Device::has_filesystem() const {
    if (fs_type.empty() || (type != "partition" && type != "disk"))
        return false;
    return fs_usage.empty() || fs_usage == "filesystem";
}

std::optional<Device> usb_block_device(udev_device* d) {
    const char* subsystem = udev_device_get_subsystem(d);
    const char* devtype = udev_device_get_devtype(d);
    const char* node = udev_device_get_devnode(d);
    if (!subsystem || std::string_view(subsystem) != "block" || !devtype || !node)
        return std::nullopt;
    std::string_view type(devtype);
    if (type != "disk" && type != "partition")
        return std::nullopt;
    // The parent is owned by d; it is not unreferenced.
    if (prop(d, "ID_BUS") != "usb" && !udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device"))
        return std::nullopt;
    Device dev;
    dev.node = node;
    dev.name = udev_device_get_sysname(d) ? udev_device_get_sysname(d) : "";
    dev.syspath = udev_device_get_syspath(d) ? udev_device_get_syspath(d) : "";
    dev.type = type;
    dev.disk = dev.node;
    if (type == "partition") {
        udev_device* parent = udev_device_get_parent_with_subsystem_devtype(d, "block", "disk");
        if (parent && udev_device_get_devnode(parent))
            dev.disk = udev_device_get_devnode(parent);
    }
    dev.fs_type = prop(d, "ID_FS_TYPE");
    dev.fs_usage = prop(d, "ID_FS_USAGE");
    auto label_enc = prop(d, "ID_FS_LABEL_ENC");
    dev.label = label_enc.empty() ? prop(d, "ID_FS_LABEL") : decode_udev(label_enc);
    dev.uuid = prop(d, "ID_FS_UUID");
    auto vendor = prop(d, "ID_VENDOR"), model = prop(d, "ID_MODEL");
    dev.model = vendor.empty() ? model : model.empty() ? vendor : vendor + ' ' + model;
    for (char& c : dev.model)
        if (c == '_')
            c = ' ';
    if (const char* sectors = udev_device_get_sysattr_value(d, "size"))
        dev.size = std::strtoull(sectors, nullptr, 10) * 512;
    dev.devnum = udev_device_get_devnum(d);
    return dev;
}

bool enumerate_usb(udev* u, std::vector<Device>& out, std::string& why) {
    UdevEnumerate e(udev_enumerate_new(u));
    if (!e) {
        why = std::string("udev_enumerate_new: ") + std::strerror(errno);
        return false;
    }
    int rc = udev_enumerate_add_match_subsystem(e.get(), "block");
    if (rc >= 0)
        rc = udev_enumerate_scan_devices(e.get());
    if (rc < 0) {
        why = std::string("udev_enumerate_scan_devices: ") + std::strerror(-rc);
        return false;
    }
    udev_list_entry* entry;
    udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e.get())) {
        UdevDevice d(udev_device_new_from_syspath(u, udev_list_entry_get_name(entry)));
        if (!d)
            continue; // gone since the scan
        if (auto dev = usb_block_device(d.get()))
            out.push_back(std::move(*dev));
    }
    std::sort(out.begin(), out.end(), [](const Device& a, const Device& b) {
        return a.disk != b.disk ? a.disk < b.disk : a.type != b.type ? a.type == "disk" : a.node < b.node;
    });
    return true;
}

} // namespace syskit::usbtidy

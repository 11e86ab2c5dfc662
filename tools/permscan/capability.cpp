#include "capability.hpp"

#include <cstdint>
#include <map>

namespace syskit::permscan {

namespace {

constexpr std::string_view cap_names[] = {
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
    "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
    "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
    "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct",
    "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
    "cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control",
    "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
    "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
};

// From <linux/capability.h>: the revision sits in the top byte of magic_etc.
constexpr std::uint32_t revision_mask = 0xFF000000;
constexpr std::uint32_t flag_effective = 0x000001;
constexpr std::uint32_t revision_1 = 0x01000000, revision_2 = 0x02000000, revision_3 = 0x03000000;

std::uint32_t le32(std::string_view s, std::size_t at) {
    auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
    return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
}

} // namespace

std::optional<std::string> decode_capabilities(std::string_view raw) {
    if (raw.size() < 4)
        return std::nullopt;
    std::uint32_t magic = le32(raw, 0);
    std::size_t words;
    switch (magic & revision_mask) {
    case revision_1: words = 1; if (raw.size() != 12) return std::nullopt; break;
    case revision_2: words = 2; if (raw.size() != 20) return std::nullopt; break;
    case revision_3: words = 2; if (raw.size() != 24) return std::nullopt; break;
    default: return std::nullopt;
    }
    if (magic & ~revision_mask & ~flag_effective)
        return std::nullopt;
    bool effective = magic & flag_effective;

    // Capabilities grouped by their flags, in capability order within a group, as getcap does.
    std::map<std::string, std::string> by_flags;
    for (std::size_t w = 0; w < words; ++w) {
        std::uint32_t permitted = le32(raw, 4 + w * 8);
        std::uint32_t inheritable = le32(raw, 8 + w * 8);
        for (unsigned bit = 0; bit < 32; ++bit) {
            bool p = permitted >> bit & 1, i = inheritable >> bit & 1;
            if (!p && !i)
                continue;
            std::string flags = std::string(effective && p ? "e" : "") + (i ? "i" : "") + (p ? "p" : "");
            unsigned cap = static_cast<unsigned>(w) * 32 + bit;
            std::string name = cap < std::size(cap_names) ? std::string(cap_names[cap]) : "cap_" + std::to_string(cap);
            std::string& list = by_flags[flags];
            if (!list.empty())
                list += ',';
            list += name;
        }
    }
    if (by_flags.empty())
        return std::string("(none)");
    std::string text;
    for (const auto& [flags, list] : by_flags) {
        if (!text.empty())
            text += ' ';
        text += list + '=' + flags;
    }
    return text;
}

} // namespace syskit::permscan

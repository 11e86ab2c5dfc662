// capability: decoding the security.capability extended attribute (file capabilities).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace syskit::permscan {

/// Decodes a security.capability value (struct vfs_cap_data, revisions 1 to 3, little
/// endian) into getcap(8)'s text: "cap_net_admin,cap_net_raw=ep".  Returns nullopt when
/// the bytes are not a valid value; raw is untrusted.
std::optional<std::string> decode_capabilities(std::string_view raw);

} // namespace syskit::permscan

// checks: what permscan looks for, and the inspection of one walked entry.
#pragma once

#include "fs/glob.hpp"
#include "fs/walk.hpp"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace syskit::permscan {

enum class Severity { low, medium, high };

std::string_view severity_name(Severity s);
std::optional<Severity> parse_severity(std::string_view name);

/// Every check, in the order reports list them.  The ids are stable: scripts filter on them.
enum class Check {
    world_writable_file,
    world_writable_dir,
    setuid,
    setgid,
    exposed_secret,
    dangling_symlink,
    symlink_loop,
    unknown_owner,
    writable_executable,
    device_outside_dev,
    file_capabilities,
    group_writable,
};
inline constexpr std::size_t check_count = 12;

struct CheckInfo {
    std::string_view id;
    Severity severity;
    bool by_default; ///< run without --check or --all
};

const CheckInfo& info(Check c);
std::optional<Check> parse_check(std::string_view id);

/// One problem found on one path.
struct Finding {
    std::string path;      ///< as printed: the root joined with the names below it
    std::size_t root = 0;  ///< index of the root it was found under
    std::string rel;       ///< path relative to the root, "" for the root itself
    Check check = Check::world_writable_file;
    std::string reason;
    std::string target;    ///< a symlink's target, for the symlink checks
    mode_t mode = 0;       ///< type and permission bits
    uid_t uid = 0;
    gid_t gid = 0;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
    fs::FileId id;         ///< what a fix must find again at rel
};

struct ScanOptions {
    std::array<bool, check_count> enabled{}; ///< indexed by Check
    fs::GlobSet allow;                       ///< set-id files accepted as known
    std::vector<std::string> roots;
    /// Each root made absolute (cli::absolute_path), to tell what lies under /dev.
    std::vector<std::string> absolute_roots;
};

/// Names of users and groups, looked up once per id and shared by the walk's threads.
class Owners {
public:
    /// The user name, or nullopt when uid has no passwd entry.
    std::optional<std::string> user(uid_t uid);
    std::optional<std::string> group(gid_t gid);

private:
    std::mutex mu_;
    std::unordered_map<uid_t, std::optional<std::string>> users_;
    std::unordered_map<gid_t, std::optional<std::string>> groups_;
};

/// Looks at one entry the walker found and appends what is wrong with it.  Thread-safe:
/// the walker calls it from every worker.  Reads a file's content only for *.key/*.pem
/// names open to group or others, and its security.capability attribute only for
/// executables.
void inspect(const ScanOptions& options, Owners& owners, const fs::Entry& entry, std::vector<Finding>& out);

} // namespace syskit::permscan

#include "once.hpp"

#include "watched.hpp"

#include "cli/diag.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace syskit::logroll {

int run_once(const Options& o, Rotator& rotator, log::Logger& log) {
    const std::string file = rotator.path(rotator.base());
    struct statx stx{};
    if (::statx(rotator.dirfd(), rotator.base().c_str(), AT_SYMLINK_NOFOLLOW, STATX_SIZE | STATX_BTIME | STATX_MTIME,
                &stx) != 0) {
        cli::error(file, std::strerror(errno));
        return cli::exit_trouble;
    }
    if (!S_ISREG(stx.stx_mode)) {
        cli::error(file, "not a regular file");
        return cli::exit_trouble;
    }
    const std::uint64_t size = stx.stx_size;
    // The log's age is its birth time's; a file system that does not record it (statx leaves
    // STATX_BTIME out) gets the last change of its contents instead.
    const std::int64_t born = (stx.stx_mask & STATX_BTIME) ? stx.stx_btime.tv_sec : stx.stx_mtime.tv_sec;
    const char* reason = nullptr;
    if (size > 0) {
        if (!o.size && !o.age)
            reason = "forced";
        else if (o.size && size >= *o.size)
            reason = "size";
        else if (o.age && std::time(nullptr) - born >= *o.age)
            reason = "age";
    }
    if (!reason) {
        if (o.dry_run)
            log.info("nothing to do", {{"file", file}, {"bytes", size}, {"dry_run", true}});
        return cli::exit_found;
    }
    if (o.dry_run) {
        const std::string to = rotator.next_name();
        log.info("would rotate",
                 {{"file", file}, {"to", rotator.path(to)}, {"bytes", size}, {"reason", reason}, {"dry_run", true}});
        if (o.rotate.retention.any()) {
            std::optional<Candidate> pending;
            if (auto r = parse_rotated(rotator.base(), o.rotate.scheme, to))
                pending = Candidate{std::move(*r), size, std::time(nullptr)};
            rotator.apply_retention(true, pending);
        }
        return cli::exit_ok;
    }
    if (!rotate_watched(o, rotator, log, reason))
        return cli::exit_trouble;
    return rotator.wait() ? cli::exit_ok : cli::exit_trouble;
}

} // namespace syskit::logroll

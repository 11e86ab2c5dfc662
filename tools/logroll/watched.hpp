// watched: rotating a log another program writes (watch and one-shot modes): rename it and
// tell the writer to reopen, or copy and truncate it.
#pragma once

#include "options.hpp"
#include "rotate.hpp"

#include "log/log.hpp"

#include <string_view>

namespace syskit::logroll {

/// Rotates the log by o.method, logs it with reason, and hands the rotated file to the
/// rotator's background work.  With rename, the writer is told to reopen (--signal to the
/// --pidfile's process, or --reopen-cmd) and, when the rotated file is to be compressed,
/// waited for (at most 10 s) until it has created the log again.  The compressor and
/// retention leave the rotated file alone for as long as a writer holds it open, so that
/// no line it still writes there is lost.  Returns false, having logged why,
/// when the rotation failed; the log is then as it was.
bool rotate_watched(const Options& o, Rotator& rotator, log::Logger& log, std::string_view reason);

} // namespace syskit::logroll

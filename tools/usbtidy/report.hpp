// report: what usbtidy prints on stdout: the moves organize and undo make, and list's devices.
#pragma once

#include "organize.hpp"

#include "cli/diag.hpp"
#include "out/text.hpp"

#include <string>

namespace syskit::usbtidy {

/// One move as a line: "FROM -> TO" (names escaped when stdout is a terminal), or a JSON
/// object {"from": ..., "to": ...} with names escaped losslessly.  back: undo's direction,
/// FOLDER/NAME -> SRC.  color (--color): TO, where the file is now, in green.
void report_move(out::Sink& sink, cli::Format format, bool escape, const Move& m, bool back, bool color = false);

} // namespace syskit::usbtidy

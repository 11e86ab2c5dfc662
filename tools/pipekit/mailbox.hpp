// mailbox: the book's task mailbox on a FIFO: `send` writes records and an end-of-data
// record, `recv` prints records until it (book chapter 6).
#pragma once

#include "options.hpp"

namespace syskit::pipekit {

/// Exit status of a timeout, as timeout(1) uses it.
constexpr int exit_timeout = 124;

/// Writes the records of o.file (standard input when empty or "-") into the FIFO o.fifo,
/// then, unless o.no_eod, the end-of-data record.  Records (lines, or frames with o.frame)
/// are gathered into writes of whole records, up to 512 KiB, each made under an exclusive
/// flock(2) on the FIFO, so that several pipekit writers never interleave; with o.atomic every
/// write is at most PIPE_BUF bytes (a longer record alone, under the lock), which no writer,
/// pipekit or not, can interleave with.  Returns the exit status: 0, 124 (no
/// reader within o.timeout), 2 (the FIFO refused, a record too long, the reader went away:
/// EPIPE, reported with how many records had been written).
int send(const MailOptions& o);

/// Reads records from the FIFO o.fifo and prints each on stdout followed by a newline (a NUL
/// with o.null) until the end-of-data record, or with o.no_eod until the last writer has gone
/// at a record boundary.  Returns the exit status: 0, 124 (nothing came for o.timeout
/// seconds), 2 (the last writer went away before the end-of-data record, or in the middle of
/// a record, a frame longer than o.max_frame, a corrupt compressed record; what was complete
/// before it has been printed).
int recv(const MailOptions& o);

} // namespace syskit::pipekit

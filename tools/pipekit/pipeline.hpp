// pipeline: the stages of `pipekit run` joined by pipes and run without a shell, in a process
// group of their own, with pipefail's exit status and an optional timeout (book chapter 6).
#pragma once

#include "options.hpp"

#include <string>
#include <vector>

namespace syskit::pipekit {

/// Where a command runs from: name itself when it holds a '/', else the first executable
/// regular file of that name in $PATH (/bin:/usr/bin when unset), as execvp(3) searches.
/// Returns 0 and fills path, or the errno to report: ENOENT (nowhere), EACCES (found but not
/// executable), EISDIR (a directory).
int find_program(const std::string& name, std::string& path);

/// The exit status `set -o pipefail` gives a pipeline whose stages ended with statuses: the
/// last one that is not 0, or 0.
int pipefail_status(const std::vector<int>& statuses);

/// Runs the pipeline: every stage's command is looked up first, so that one that cannot be
/// run is named before anything starts (exit 2); then each stage is forked with pipe2's pipes
/// between it and its neighbours, the first reading pipekit's standard input and the last
/// writing its standard output.  The stages form one process group, given the terminal when
/// pipekit has it; SIGINT, SIGTERM and SIGHUP sent to pipekit are passed on to the group.
/// With o.timeout, the group gets SIGTERM when it expires, SIGKILL o.kill_after seconds later,
/// and the status is 124.  Otherwise the status is pipefail_status() of the stages' statuses
/// (128 + N for a stage killed by signal N).  With o.status, the statuses are printed on
/// stderr first.
int run_pipeline(const RunOptions& o);

} // namespace syskit::pipekit

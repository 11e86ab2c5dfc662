// reader: reads many files in the order their data lies on the disk, with a bounded number
// of reads in flight on each device, so that a cold cache is read in few long sweeps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace syskit::dupfind {

/// One file to read: where it is and how much of it.
struct ReadJob {
    dev_t dev = 0;            ///< the file system's device: reads in flight are bounded per device
    std::uint64_t where = 0;  ///< sort key: the physical offset of its data, or its inode number
    std::uint64_t limit = 0;  ///< how many bytes from the start will be read
    std::size_t index = 0;    ///< the caller's
    bool partial = false;     ///< the file is longer than limit
};

/// Reads in flight on a device (the files opened and told to read ahead, not yet hashed):
/// 16 where /sys/dev/block/MAJ:MIN (or the disk holding that partition) says the disk
/// rotates, where the elevator then has enough to sort within a sweep without long reads of
/// one file starving the others; 128 on other disks (SSDs and virtual disks, whose
/// throughput grows with the queue's depth), virtio disks among them whatever their flag
/// says; 32 when sysfs does not say (a network or virtual file system).
unsigned reads_in_flight(dev_t dev);

/// The physical offset of the first extent of the file open on fd (FIEMAP ioctl), or 0
/// when the file system does not tell (no FIEMAP, a hole, data inline in the inode).
std::uint64_t first_physical(int fd);

/// Reads the jobs, sorted by device then where, on threads workers.  For each, open(job)
/// gives a descriptor (or -1 with errno set); a window of reads_in_flight(dev) jobs ahead
/// of the workers is opened early and its reads started, so the disk always has that many
/// requests to sort: a quarter of the window at a time, with one io_uring_enter for the lot
/// (a read with RWF_NOWAIT of each file's first limit bytes, 1 MiB at most, which starts the
/// read-ahead of what is not cached and returns), or where io_uring is not to be had, file
/// by file (posix_fadvise WILLNEED); SEQUENTIAL beyond 1 MiB, RANDOM for a partial job.
/// Then read(job, fd, err, worker) runs on a worker with the descriptor (fd -1 and err the
/// errno when it could not be opened; job is the element of jobs, sorted by then), and afterwards the pages of a file that was not in
/// the page cache before are dropped from it (POSIX_FADV_DONTNEED): a run does not push
/// out what the machine had cached, nor keep what only it read.  The descriptor is closed
/// after read returns.
///
/// cold false: the caller found the files it read so far in the page cache.  Then the probe
/// of the page cache and the posix_fadvise calls are left out, a system call or three per
/// file that would bring nothing: the jobs are opened and read in the same order, that is all.
void read_in_order(std::vector<ReadJob>& jobs, unsigned threads, bool cold, const std::function<int(const ReadJob&)>& open,
                   const std::function<void(const ReadJob&, int fd, int err, unsigned worker)>& read);

} // namespace syskit::dupfind

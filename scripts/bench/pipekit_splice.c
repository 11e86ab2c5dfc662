/* pipekit_splice: the floor of scripts/bench/pipekit.sh, the smallest splice(2) loop there is:
 * standard input to standard output, 1 MiB at a time, until the end.  One side must be a pipe.
 * Like pipekit pump, it first grows the pipes on both sides to 1 MiB (F_SETPIPE_SZ, best
 * effort), so that the floor is the fastest loop of its kind and not one that wakes its
 * neighbours every 64 KiB.  It is also the benchmark's source (a cached file into a pipe) and
 * sink (a pipe into /dev/null), so that neither end of a measured pipeline costs more than the
 * kernel's moves; its pipes being large, every pipeline measured gets them alike. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int main(void) {
    fcntl(0, F_SETPIPE_SZ, 1 << 20);
    fcntl(1, F_SETPIPE_SZ, 1 << 20);
    for (;;) {
        ssize_t n = splice(0, NULL, 1, NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR) {
            perror("pipekit_splice: splice");
            return 1;
        }
    }
}

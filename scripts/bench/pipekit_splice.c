/* pipekit_splice: the floor of scripts/bench/pipekit.sh, the smallest splice(2) loop there is:
 * standard input to standard output, 1 MiB at a time, until the end.  One side must be a pipe.
 * It is also the benchmark's source (a cached file into a pipe) and sink (a pipe into
 * /dev/null), so that neither end of a measured pipeline costs more than the kernel's moves. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int main(void) {
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

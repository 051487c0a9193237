/* append_pwrite.c - what one append by pwrite(2) costs, the system call a put makes with the
 * default flags: 1,000,000 pwrites of 128 bytes at the end of a new file, with the file's
 * space left as it is (MODE 0), allocated ahead without changing its size
 * (fallocate FALLOC_FL_KEEP_SIZE, MODE 1), extended by ftruncate (MODE 2) or allocated and
 * extended by fallocate (MODE 3). Prints the mean time of a call.
 *
 *   cc -O2 -Wall -Wextra bench/micro/append_pwrite.c -o /tmp/append_pwrite
 *   for m in 0 1 2 3; do /tmp/append_pwrite /tmp/a.dat $m; done
 *
 * The file is removed at the end. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CALLS 1000000L
#define LEN 128

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: append_pwrite FILE MODE(0-3)\n");
        return 2;
    }
    int mode = atoi(argv[2]);
    unlink(argv[1]);
    int fd = open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    off_t total = (off_t)CALLS * LEN;
    int rc = 0;
    if (mode == 1) rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, total);
    if (mode == 2) rc = ftruncate(fd, total);
    if (mode == 3) rc = fallocate(fd, 0, 0, total);
    if (rc != 0) {
        perror("preparing the file");
        return 1;
    }
    char buf[LEN];
    memset(buf, 'x', sizeof buf);
    double t0 = now();
    for (long i = 0; i < CALLS; i++) {
        if (pwrite(fd, buf, LEN, (off_t)i * LEN) != LEN) {
            perror("pwrite");
            return 1;
        }
    }
    double dt = now() - t0;
    printf("mode %d: %.0f ns a pwrite of %d bytes\n", mode, dt * 1e9 / CALLS, LEN);
    close(fd);
    unlink(argv[1]);
    return 0;
}

/* first_touch.c - what a first pass of random reads over a store file pays for mapping its
 * pages, which a repeated pass does not: maps FILE read-only (shared, as the library does),
 * reads one byte at each of 1,000,000 random 128-byte-aligned places twice, and prints each
 * pass's time and the minor page faults of the first (the kernel maps 64 KiB around each
 * fault by default: debugfs's fault_around_bytes). With MODE 1 the mapping is
 * madvised MADV_HUGEPAGE (to see whether the kernel maps the file with 2 MiB pages:
 * FilePmdMapped in the smaps lines printed), with MODE 2 MADV_RANDOM.
 *
 *   cc -O2 bench/micro/first_touch.c -o /tmp/first_touch
 *   /tmp/first_touch STORE_FILE [MODE]
 *
 * Run it twice: the first run may also read the file from disk. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t pass(const volatile uint8_t *m, size_t blocks) {
    uint64_t x = 88172645463325252ull, s = 0;
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s += m[(x % blocks) * 128];
    }
    return s;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: first_touch FILE [MODE]\n");
        return 2;
    }
    int mode = argc > 2 ? atoi(argv[2]) : 0;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 1 << 20) {
        fprintf(stderr, "%s: not a readable file of at least 1 MiB\n", argv[1]);
        return 1;
    }
    size_t len = (size_t)st.st_size, two = (size_t)2 << 20;
    /* A 2 MiB-aligned address, so that 2 MiB pages could be used at all. */
    uint8_t *r = mmap(NULL, len + two, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) return 1;
    uint8_t *a = (uint8_t *)(((uintptr_t)r + two - 1) & ~(uintptr_t)(two - 1));
    uint8_t *m = mmap(a, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    if (m == MAP_FAILED) return 1;
    if (mode == 1 && madvise(m, len, MADV_HUGEPAGE) != 0) perror("madvise");
    if (mode == 2 && madvise(m, len, MADV_RANDOM) != 0) perror("madvise");
    struct rusage u0, u1;
    getrusage(RUSAGE_SELF, &u0);
    double t0 = now();
    uint64_t s = pass(m, len / 128);
    double t1 = now();
    getrusage(RUSAGE_SELF, &u1);
    s += pass(m, len / 128);
    double t2 = now();
    printf("first pass: %.1f ms, %ld minor faults; second pass: %.1f ms (sum %lu)\n", (t1 - t0) * 1e3,
           u1.ru_minflt - u0.ru_minflt, (t2 - t1) * 1e3, (unsigned long)s);
    fflush(stdout);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "grep -A25 ' %s$' /proc/%d/smaps | grep -E '^(Rss|FilePmdMapped)'", argv[1], (int)getpid());
    return system(cmd) == 0 ? 0 : 1;
}

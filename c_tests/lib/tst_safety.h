/*
 * tst_safety.h - helpers shared by the data-safety tests (test_crash, test_power_loss,
 * test_disk_full, test_large_file), on top of tst_test.h.
 *
 * - Deterministic values: tst_sv_fill(seed, buf, len) fills a buffer from a 64-bit seed
 *   (never a lone 0x00, which is the tombstone marker), so a process that did not write a
 *   value (the parent of a killed child) can recompute its bytes.
 * - Checks run in a forked child: tst_child_counts_send() hands the child's passed/failed
 *   counters to the parent through a pipe, tst_child_counts_take() adds them to the
 *   parent's, so the final "N passed, N failed" line covers both processes.
 * - tst_sv_mix(): a 64-bit mixing function for seeds.
 */
#ifndef SRD_SAFETY_H
#define SRD_SAFETY_H

#include "tst_test.h"

#include <signal.h>
#include <sys/wait.h>

static inline uint64_t tst_sv_mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The bytes of a value are a pure function of (seed, len). */
static inline void tst_sv_fill(uint64_t seed, uint8_t *buf, size_t len) {
    tst_rng r = {tst_sv_mix(seed)};
    tst_rng_fill(&r, buf, len);
    if (len == 1 && buf[0] == 0) buf[0] = 0x5A;
}

/* 1 if p[0..len) are the bytes tst_sv_fill(seed, ., len) would produce (no allocation). */
static inline int tst_sv_equals(uint64_t seed, const uint8_t *p, size_t len) {
    tst_rng r = {tst_sv_mix(seed)};
    size_t i = 0;
    while (i < len) {
        uint64_t v = tst_rng_next(&r);
        for (int k = 0; k < 8 && i < len; k++, i++) {
            uint8_t b = (uint8_t)(v >> (8 * k));
            if (len == 1 && b == 0) b = 0x5A;
            if (p[i] != b) return 0;
        }
    }
    return 1;
}

/* Writes the whole buffer to a pipe or file descriptor; 0 on success. */
static inline int tst_write_full(int fd, const void *buf, size_t len) {
    const uint8_t *p = (const uint8_t *)buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads exactly len bytes; returns len, 0 at EOF before any byte, -1 on error/short. */
static inline ssize_t tst_read_full(int fd, void *buf, size_t len) {
    uint8_t *p = (uint8_t *)buf;
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* In a child: sends its check counters to the parent. */
static inline void tst_child_counts_send(int fd) {
    unsigned long c[2] = {atomic_load(&tst_test_g.passed), atomic_load(&tst_test_g.failed)};
    (void)tst_write_full(fd, c, sizeof c);
}

/* In the parent: adds a child's counters; returns 0 if none arrived (child died early). */
static inline int tst_child_counts_take(int fd) {
    unsigned long c[2];
    if (tst_read_full(fd, c, sizeof c) != (ssize_t)sizeof c) return 0;
    atomic_fetch_add(&tst_test_g.passed, c[0]);
    atomic_fetch_add(&tst_test_g.failed, c[1]);
    return 1;
}

/*
 * Runs fn(arg) in a forked child whose checks count towards this process's totals; the
 * child's exit status must be 0. Returns 1 if the child ran to completion.
 */
static inline int tst_run_in_child(const char *what, void (*fn)(void *), void *arg) {
    int p[2];
    if (!CHECK(pipe(p) == 0)) return 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (!CHECK(pid >= 0)) {
        close(p[0]);
        close(p[1]);
        return 0;
    }
    if (pid == 0) {
        close(p[0]);
        atomic_store(&tst_test_g.passed, 0);
        atomic_store(&tst_test_g.failed, 0);
        fn(arg);
        tst_child_counts_send(p[1]);
        close(p[1]);
        fflush(stdout);
        fflush(stderr);
        exit(0);
    }
    close(p[1]);
    int got = tst_child_counts_take(p[0]);
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int ok = CHECK_MSG(got, "%s: the child process sent no results", what);
    ok &= CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                    "%s: child exit status 0x%x (signal %d)", what, status,
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return ok;
}

/* Copies a file byte for byte (dst replaced); 0 on success. */
static inline int tst_copy_file(const char *src, const char *dst) {
    size_t n = 0;
    uint8_t *b = tst_slurp(src, &n);
    if (b == NULL) return -1;
    int rc = tst_spit(dst, b, n);
    free(b);
    return rc;
}

#endif /* SRD_SAFETY_H */

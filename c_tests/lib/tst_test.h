/*
 * tst_test.h - a tiny header-only harness shared by the C test programs.
 *
 * - CHECK* macros record a failure with file:line (plus the current context
 *   string, e.g. a seed or a cut offset) and keep going; they return 1 when the
 *   check passed so callers can stop a branch early: `if (!CHECK(p)) return;`.
 * - tst_test_init() creates a private scratch directory below argv[1] (or
 *   $SRD_TEST_DIR, or /tmp); tst_path() names files inside it.
 * - tst_test_finish() prints "<name>: N passed, N failed", removes the scratch
 *   directory when everything passed, and returns the process exit code.
 * - SRD_TEST_SCALE (a positive number, default 1) scales iteration counts down
 *   (e.g. 0.05 under valgrind) or up.
 *
 * Counters are atomic, so checks may run on several threads at once.
 */
#ifndef SRD_TEST_H
#define SRD_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "simd_r_drive.h"

#define SRD_TEST_MAX_PRINTED_FAILURES 100

struct tst_test_state {
    const char *name;
    char dir[PATH_MAX];
    double scale;
    atomic_ulong passed;
    atomic_ulong failed;
    atomic_ulong printed;
};

static struct tst_test_state tst_test_g;
static _Thread_local char tst_test_ctx[512];

/* ------------------------------------------------------------------ */
/* Context and failure reporting                                       */
/* ------------------------------------------------------------------ */

/* Sets a context string (seed, step, offset...) printed with each failure on this thread. */
static inline void tst_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tst_ctx(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tst_test_ctx, sizeof tst_test_ctx, fmt, ap);
    va_end(ap);
}

static inline void tst_ctx_clear(void) { tst_test_ctx[0] = '\0'; }

static inline void tst_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void tst_fail_(const char *file, int line, const char *fmt, ...) {
    unsigned long n = atomic_fetch_add(&tst_test_g.failed, 1);
    (void)n;
    unsigned long printed = atomic_fetch_add(&tst_test_g.printed, 1);
    if (printed < SRD_TEST_MAX_PRINTED_FAILURES) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fprintf(stderr, "%s:%d: FAILED: %s%s%s%s\n", file, line, msg,
                tst_test_ctx[0] ? " [" : "", tst_test_ctx, tst_test_ctx[0] ? "]" : "");
    } else if (printed == SRD_TEST_MAX_PRINTED_FAILURES) {
        fprintf(stderr, "... further failure messages suppressed\n");
    }
}

static inline int tst_pass_(void) {
    atomic_fetch_add(&tst_test_g.passed, 1);
    return 1;
}

static inline int tst_check_(int ok, const char *file, int line, const char *expr) {
    if (ok) return tst_pass_();
    tst_fail_(file, line, "CHECK(%s)", expr);
    return 0;
}

static inline int tst_check_msg_(int ok, const char *file, int line, const char *expr,
                                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static inline int tst_check_msg_(int ok, const char *file, int line, const char *expr,
                                 const char *fmt, ...) {
    if (ok) return tst_pass_();
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tst_fail_(file, line, "CHECK(%s): %s", expr, msg);
    return 0;
}

static inline int tst_check_eq_(long long a, long long b, const char *file, int line,
                                const char *ea, const char *eb) {
    if (a == b) return tst_pass_();
    tst_fail_(file, line, "CHECK_EQ(%s, %s): %lld != %lld", ea, eb, a, b);
    return 0;
}

static inline int tst_check_eq_u_(unsigned long long a, unsigned long long b, const char *file,
                                  int line, const char *ea, const char *eb) {
    if (a == b) return tst_pass_();
    tst_fail_(file, line, "CHECK_EQ(%s, %s): %llu != %llu", ea, eb, a, b);
    return 0;
}

static inline const char *tst_status_name_(int32_t s) {
    switch (s) {
    case 0: return "SRD_OK";
    case 1: return "SRD_NOT_FOUND";
    case 2: return "SRD_INVALID_ARGUMENT";
    case 3: return "SRD_IO";
    case 4: return "SRD_CORRUPT";
    case 5: return "SRD_LOCKED";
    case 6: return "SRD_READ_ONLY";
    case 7: return "SRD_PANIC";
    case 8: return "SRD_BUSY";
    default: return "?";
    }
}

static inline int tst_check_status_(int32_t got, int32_t want, const char *file, int line,
                                    const char *expr) {
    if (got == want) return tst_pass_();
    tst_fail_(file, line, "%s returned %d (%s), expected %d (%s); last error: \"%s\"", expr,
              (int)got, tst_status_name_(got), (int)want, tst_status_name_(want),
              srd_last_error_message());
    return 0;
}

static inline int tst_check_mem_(const void *got, const void *want, size_t n, const char *file,
                                 int line, const char *eg, const char *ew) {
    if (got == NULL || want == NULL) {
        if (n == 0) return tst_pass_();
        tst_fail_(file, line, "CHECK_MEM(%s, %s, %zu): NULL pointer", eg, ew, n);
        return 0;
    }
    if (memcmp(got, want, n) == 0) return tst_pass_();
    const unsigned char *a = (const unsigned char *)got, *b = (const unsigned char *)want;
    size_t i = 0;
    while (i < n && a[i] == b[i]) i++;
    tst_fail_(file, line, "CHECK_MEM(%s, %s, %zu): first difference at byte %zu (0x%02x != 0x%02x)",
              eg, ew, n, i, a[i], b[i]);
    return 0;
}

#define CHECK(cond) tst_check_((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_MSG(cond, ...) tst_check_msg_((cond) ? 1 : 0, __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_EQ(a, b) tst_check_eq_((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_U(a, b) \
    tst_check_eq_u_((unsigned long long)(a), (unsigned long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_STATUS(expr, want) \
    tst_check_status_((int32_t)(expr), (int32_t)(want), __FILE__, __LINE__, #expr)
#define CHECK_OK(expr) CHECK_STATUS(expr, SRD_OK)
#define CHECK_MEM(got, want, n) tst_check_mem_((got), (want), (n), __FILE__, __LINE__, #got, #want)
#define CHECK_STR(got, want)                                                                    \
    CHECK_MSG((got) != NULL && strcmp((got), (want)) == 0, "\"%s\" != \"%s\"",                  \
              (got) ? (got) : "(null)", (want))

/* Aborts the program after a failure from which nothing sensible can follow. */
#define REQUIRE(cond)                                                                           \
    do {                                                                                        \
        if (!CHECK(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: required check failed, stopping\n", __FILE__, __LINE__);    \
            exit(tst_test_finish());                                                            \
        }                                                                                       \
    } while (0)

/* ------------------------------------------------------------------ */
/* Scratch directory                                                   */
/* ------------------------------------------------------------------ */

static inline int tst_mkdir_p(const char *path) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

static inline int tst_rm_cb_(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static inline void tst_rm_rf(const char *path) {
    nftw(path, tst_rm_cb_, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int tst_test_finish(void);

/* argv[1] (or $SRD_TEST_DIR, or /tmp) is the base; a fresh unique directory is made inside. */
static inline void tst_test_init(int argc, char **argv, const char *name) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    tst_test_g.name = name;
    const char *base = argc > 1 ? argv[1] : getenv("SRD_TEST_DIR");
    if (base == NULL || base[0] == '\0') base = "/tmp";
    if (tst_mkdir_p(base) != 0) {
        fprintf(stderr, "cannot create scratch base %s: %s\n", base, strerror(errno));
        exit(2);
    }
    snprintf(tst_test_g.dir, sizeof tst_test_g.dir, "%s/%s.XXXXXX", base, name);
    if (mkdtemp(tst_test_g.dir) == NULL) {
        fprintf(stderr, "mkdtemp %s failed: %s\n", tst_test_g.dir, strerror(errno));
        exit(2);
    }
    tst_test_g.scale = 1.0;
    const char *s = getenv("SRD_TEST_SCALE");
    if (s != NULL && s[0] != '\0') {
        double v = strtod(s, NULL);
        if (v > 0.0) tst_test_g.scale = v;
    }
    printf("%s: scratch dir %s, SRD_TEST_SCALE=%g\n", name, tst_test_g.dir, tst_test_g.scale);
}

/* A path inside the scratch directory (a ring of per-thread buffers: valid for 16 calls). */
static inline const char *tst_path(const char *file) {
    static _Thread_local char bufs[16][PATH_MAX];
    static _Thread_local unsigned next;
    char *b = bufs[next++ % 16];
    int n = snprintf(b, PATH_MAX, "%s/%s", tst_test_g.dir, file);
    if (n < 0 || n >= PATH_MAX) {
        fprintf(stderr, "scratch path too long: %s/%s\n", tst_test_g.dir, file);
        abort();
    }
    return b;
}

static inline double tst_scale(void) { return tst_test_g.scale; }

/* n scaled by SRD_TEST_SCALE, at least `min`. */
static inline long tst_scaled(long n, long min) {
    double v = (double)n * tst_test_g.scale;
    long r = (long)v;
    return r < min ? min : r;
}

static inline int tst_test_finish(void) {
    unsigned long p = atomic_load(&tst_test_g.passed);
    unsigned long f = atomic_load(&tst_test_g.failed);
    if (p == 0 && f == 0) {
        fprintf(stderr, "%s: no checks ran\n", tst_test_g.name);
        f = 1;
    }
    printf("%s: %lu passed, %lu failed\n", tst_test_g.name, p, f);
    if (f == 0 && getenv("SRD_TEST_KEEP") == NULL) {
        tst_rm_rf(tst_test_g.dir);
    } else if (f != 0) {
        printf("%s: scratch files kept in %s\n", tst_test_g.name, tst_test_g.dir);
    }
    fflush(stdout);
    return f == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/* Size of a file, or -1 if it does not exist. */
static inline long long tst_file_len(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long long)st.st_size;
}

/* XORs the byte at `off` of the file with `mask`, in place. Returns 1 on success. */
static inline int tst_xor_byte(const char *path, uint64_t off, uint8_t mask) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return 0;
    uint8_t b = 0;
    int ok = pread(fd, &b, 1, (off_t)off) == 1;
    b ^= mask;
    ok = ok && pwrite(fd, &b, 1, (off_t)off) == 1;
    return close(fd) == 0 && ok;
}

static inline int tst_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Whole file into a malloc'd buffer (never NULL on success, even for empty files). */
static inline uint8_t *tst_slurp(const char *path, size_t *out_len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = (uint8_t *)malloc(len ? len : 1);
    size_t off = 0;
    while (buf && off < len) {
        ssize_t r = pread(fd, buf + off, len - off, (off_t)off);
        if (r <= 0) {
            free(buf);
            buf = NULL;
            break;
        }
        off += (size_t)r;
    }
    close(fd);
    if (buf) *out_len = len;
    return buf;
}

/* Replaces the file's content with data[0..len). Returns 0 on success. */
static inline int tst_spit(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = pwrite(fd, (const uint8_t *)data + off, len - off, (off_t)off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

/* Makes the file equal to data[0..len) assuming its first `same` bytes already match. */
static inline int tst_restore_tail(const char *path, const void *data, size_t len, size_t same) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = 0;
    if (ftruncate(fd, (off_t)same) != 0) rc = -1;
    size_t off = same;
    while (rc == 0 && off < len) {
        ssize_t w = pwrite(fd, (const uint8_t *)data + off, len - off, (off_t)off);
        if (w <= 0) rc = -1;
        else off += (size_t)w;
    }
    if (close(fd) != 0) rc = -1;
    return rc;
}

/* 1 if the file's bytes equal data[0..len). */
static inline int tst_file_equals(const char *path, const void *data, size_t len) {
    size_t got_len = 0;
    uint8_t *got = tst_slurp(path, &got_len);
    if (got == NULL) return 0;
    int eq = got_len == len && memcmp(got, data, len) == 0;
    free(got);
    return eq;
}

/* ------------------------------------------------------------------ */
/* Deterministic random numbers (splitmix64)                           */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t s;
} tst_rng;

static inline uint64_t tst_rng_next(tst_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static inline uint64_t tst_rng_below(tst_rng *r, uint64_t n) { return tst_rng_next(r) % n; }

static inline void tst_rng_fill(tst_rng *r, uint8_t *buf, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint64_t v = tst_rng_next(r);
        for (int k = 0; k < 8 && i < n; k++, i++) buf[i] = (uint8_t)(v >> (8 * k));
    }
}

/* ------------------------------------------------------------------ */
/* On-disk layout (FORMAT.md): payloads 64-aligned, 20 metadata bytes   */
/* ------------------------------------------------------------------ */

#define SRD_FMT_ALIGN 64u
#define SRD_FMT_META 20u

static inline uint64_t tst_align_up(uint64_t x) {
    return (x + (SRD_FMT_ALIGN - 1)) & ~(uint64_t)(SRD_FMT_ALIGN - 1);
}

/* Where a value entry of `len` payload bytes appended at `prev_end` ends. */
static inline uint64_t tst_value_entry_end(uint64_t prev_end, uint64_t len) {
    return tst_align_up(prev_end) + len + SRD_FMT_META;
}

/* Where a tombstone appended at `prev_end` ends (one 0x00 byte, no padding). */
static inline uint64_t tst_tombstone_end(uint64_t prev_end) { return prev_end + 1 + SRD_FMT_META; }

static inline uint64_t tst_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ------------------------------------------------------------------ */
/* Small API helpers                                                   */
/* ------------------------------------------------------------------ */

#define SRD_U8(s) ((const uint8_t *)(s))

/* srd_file_size, or UINT64_MAX on failure. */
static inline uint64_t tst_size_of(const srd_store *s) {
    uint64_t v = UINT64_MAX;
    if (srd_file_size(s, &v) != SRD_OK) return UINT64_MAX;
    return v;
}

/* srd_count, or UINT64_MAX on failure. */
static inline uint64_t tst_count_of(const srd_store *s) {
    uint64_t v = UINT64_MAX;
    if (srd_count(s, &v) != SRD_OK) return UINT64_MAX;
    return v;
}

static inline double tst_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif /* SRD_TEST_H */

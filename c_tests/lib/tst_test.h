/*
 * tst_test.h - the harness shared by the C test programs (compiled once, in tst_test.c,
 * into the tst_harness library).
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

#ifndef SRD_BROKEN
#define SRD_BROKEN 9
#endif

#define SRD_TEST_MAX_PRINTED_FAILURES 100

struct tst_test_state {
    const char *name;
    char dir[PATH_MAX];
    double scale;
    atomic_ulong passed;
    atomic_ulong failed;
    atomic_ulong printed;
};

/* The program's counters and scratch directory (defined in tst_test.c). */
extern struct tst_test_state tst_test_g;

/* ------------------------------------------------------------------ */
/* Context and failure reporting                                       */
/* ------------------------------------------------------------------ */

/* Sets a context string (seed, step, offset...) printed with each failure on this thread. */
void tst_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tst_ctx_clear(void);

void tst_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Counts one passed check; returns 1. */
int tst_pass_(void);
int tst_check_msg_(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Failure reports of the checks below (their bodies are in tst_test.c). */
void tst_check_failed_(const char *file, int line, const char *expr);
void tst_check_eq_failed_(long long a, long long b, const char *file, int line, const char *ea,
                          const char *eb);
void tst_check_eq_u_failed_(unsigned long long a, unsigned long long b, const char *file,
                            int line, const char *ea, const char *eb);
void tst_check_status_failed_(int32_t got, int32_t want, const char *file, int line,
                              const char *expr);
/* 1 if got[0..n) equals want[0..n) (NULL is equal only for n == 0). */
int tst_mem_same_(const void *got, const void *want, size_t n);
void tst_check_mem_failed_(const void *got, const void *want, size_t n, const char *file,
                           int line, const char *eg, const char *ew);

/* The checks stay inline so that the compiler sees that a check returns 1 exactly when its
 * condition held (`if (!CHECK(p != NULL)) return;` proves p non-NULL to -Wformat-overflow,
 * -Wnull-dereference and the like); they only count and call the reports above. */
static inline int tst_check_(int ok, const char *file, int line, const char *expr) {
    if (ok) {
        tst_pass_();
        return 1;
    }
    tst_check_failed_(file, line, expr);
    return 0;
}

static inline int tst_check_eq_(long long a, long long b, const char *file, int line,
                                const char *ea, const char *eb) {
    if (a == b) {
        tst_pass_();
        return 1;
    }
    tst_check_eq_failed_(a, b, file, line, ea, eb);
    return 0;
}

static inline int tst_check_eq_u_(unsigned long long a, unsigned long long b, const char *file,
                                  int line, const char *ea, const char *eb) {
    if (a == b) {
        tst_pass_();
        return 1;
    }
    tst_check_eq_u_failed_(a, b, file, line, ea, eb);
    return 0;
}

static inline int tst_check_status_(int32_t got, int32_t want, const char *file, int line,
                                    const char *expr) {
    if (got == want) {
        tst_pass_();
        return 1;
    }
    tst_check_status_failed_(got, want, file, line, expr);
    return 0;
}

static inline int tst_check_mem_(const void *got, const void *want, size_t n, const char *file,
                                 int line, const char *eg, const char *ew) {
    if (tst_mem_same_(got, want, n)) {
        tst_pass_();
        return 1;
    }
    tst_check_mem_failed_(got, want, n, file, line, eg, ew);
    return 0;
}

/* The name of a status code ("SRD_OK" .. "SRD_BROKEN", or "(unknown status)"). */
const char *tst_status_name(int32_t s);

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

int tst_mkdir_p(const char *path);
void tst_rm_rf(const char *path);

/* argv[1] (or $SRD_TEST_DIR, or /tmp) is the base; a fresh unique directory is made inside. */
void tst_test_init(int argc, char **argv, const char *name);
/* Prints the totals, removes the scratch directory if all passed; the exit code. */
int tst_test_finish(void);

/* A path inside the scratch directory (a ring of per-thread buffers: valid for 16 calls). */
const char *tst_path(const char *file);

double tst_scale(void);
/* n scaled by SRD_TEST_SCALE, at least `min`. */
long tst_scaled(long n, long min);

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/* Size of a file, or -1 if it does not exist. */
long long tst_file_len(const char *path);
/* 1 if the file at `path` is `len` bytes of store, then nothing or only 0xFE bytes: the space a
   read-write handle opened with SRD_OPEN_RESERVE reserves ahead of its tail (srd_close cuts it). */
int tst_file_is_store_then_reserved(const char *path, uint64_t len);
/* XORs the byte at `off` of the file with `mask`, in place. Returns 1 on success. */
int tst_xor_byte(const char *path, uint64_t off, uint8_t mask);
int tst_file_exists(const char *path);
/* Whole file into a malloc'd buffer (never NULL on success, even for empty files). */
uint8_t *tst_slurp(const char *path, size_t *out_len);
/* Replaces the file's content with data[0..len). Returns 0 on success. */
int tst_spit(const char *path, const void *data, size_t len);
/* Makes the file equal to data[0..len) assuming its first `same` bytes already match. */
int tst_restore_tail(const char *path, const void *data, size_t len, size_t same);
/* 1 if the file's bytes equal data[0..len). */
int tst_file_equals(const char *path, const void *data, size_t len);
/* Copies a file byte for byte (dst replaced); 0 on success. */
int tst_copy_file(const char *src, const char *dst);
/* The path of this program (/proc/self/exe, resolved once), for fork + exec of itself;
 * NULL if it cannot be read. */
const char *tst_self_exe(void);

/* ------------------------------------------------------------------ */
/* Deterministic random numbers (splitmix64)                           */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t s;
} tst_rng;

uint64_t tst_rng_next(tst_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t tst_rng_below(tst_rng *r, uint64_t n);
void tst_rng_fill(tst_rng *r, uint8_t *buf, size_t n);

/* ------------------------------------------------------------------ */
/* On-disk layout (FORMAT.md): payloads 64-aligned, 20 metadata bytes   */
/* ------------------------------------------------------------------ */

#define SRD_FMT_ALIGN 64u
#define SRD_FMT_META 20u

uint64_t tst_align_up(uint64_t x);
/* Where a value entry of `len` payload bytes appended at `prev_end` ends. */
uint64_t tst_value_entry_end(uint64_t prev_end, uint64_t len);
/* Where a tombstone appended at `prev_end` ends (one 0x00 byte, no padding). */
uint64_t tst_tombstone_end(uint64_t prev_end);
/* Where the batch marker that begins a batch of more than one entry, appended at
 * `prev_end`, ends (FORMAT.md, "Batches": a 16-byte value, padded like any value). */
uint64_t tst_marker_end(uint64_t prev_end);
/* The batch marker's key hash and value length. */
#define TST_BATCH_KEY_HASH 0x7372645f62617463ull
#define TST_BATCH_MARKER_LEN 16u

/* A record of the entries a test appended to a store, in file order, with where each ends
 * (test_recovery keeps the values, test_power_loss the seeds they are computed from). */
#define TST_HISTORY_MAX 256

struct tst_hist_ent {
    int key;            /* the test's index of the key */
    const uint8_t *val; /* the value's bytes, if the test keeps them (NULL: tombstone) */
    uint64_t seed;      /* or the seed they are computed from */
    size_t len;         /* 0 for a tombstone */
    uint64_t end;       /* file offset where the entry ends */
    /* For an entry of a batch of more than one entry: where the batch (its marker) starts
     * and where its last entry ends; 0 and 0 otherwise. A cut inside a batch recovers to
     * `batch_start` (FORMAT.md, "Batches"). */
    uint64_t batch_start;
    uint64_t batch_end;
};

struct tst_history {
    struct tst_hist_ent e[TST_HISTORY_MAX];
    int n;
};

/* Where the last recorded entry ends (0: none). */
uint64_t tst_history_end(const struct tst_history *h);
/* Where a store holding the history's file cut at `cut` ends once recovered: the end of
 * the last entry that ends at or before `cut`, or, if that entry's batch does not, where
 * the batch starts. Entries ending at or before the result are the recovered state. */
uint64_t tst_history_recovered_end(const struct tst_history *h, uint64_t cut);
/* Marks the last `n` recorded entries (appended by one call that began at `start`) as one
 * batch, if `n` > 1 (then their ends must already count the marker). */
void tst_history_mark_batch(struct tst_history *h, int n, uint64_t start);

/* Little-endian integers. */
uint64_t tst_le64(const uint8_t *p);
uint32_t tst_le32(const uint8_t *p);
void tst_put_le32(uint8_t *p, uint32_t v);
void tst_put_le64(uint8_t *p, uint64_t v);

/* CRC-32/ISO-HDLC (reflected 0xEDB88320, init and xorout 0xFFFFFFFF), the crc32fast crate's. */
uint32_t tst_crc32(const uint8_t *p, size_t n);

/* ------------------------------------------------------------------ */
/* Small API helpers                                                   */
/* ------------------------------------------------------------------ */

#define SRD_U8(s) ((const uint8_t *)(s))

/* srd_file_size, or UINT64_MAX on failure. */
uint64_t tst_size_of(const srd_store *s);
/* srd_count, or UINT64_MAX on failure. */
uint64_t tst_count_of(const srd_store *s);

/* Monotonic seconds. */
double tst_now(void);
/* Sleeps `us` microseconds (restarted after signals). */
void tst_sleep_us(long us);

#endif /* SRD_TEST_H */

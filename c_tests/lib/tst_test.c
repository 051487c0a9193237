/* tst_test.c - the harness core (see tst_test.h). */
#include "tst_test.h"

#include <pthread.h>

struct tst_test_state tst_test_g;
static _Thread_local char tst_test_ctx[512];

/* ------------------------------------------------------------------ */
/* Context and failure reporting                                       */
/* ------------------------------------------------------------------ */

/* Sets a context string (seed, step, offset...) printed with each failure on this thread. */
void tst_ctx(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tst_test_ctx, sizeof tst_test_ctx, fmt, ap);
    va_end(ap);
}

void tst_ctx_clear(void) { tst_test_ctx[0] = '\0'; }

void tst_fail_(const char *file, int line, const char *fmt, ...) {
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

int tst_pass_(void) {
    atomic_fetch_add(&tst_test_g.passed, 1);
    return 1;
}

void tst_check_failed_(const char *file, int line, const char *expr) {
    tst_fail_(file, line, "CHECK(%s)", expr);
}

int tst_check_msg_(int ok, const char *file, int line, const char *expr,
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

void tst_check_eq_failed_(long long a, long long b, const char *file, int line, const char *ea,
                          const char *eb) {
    tst_fail_(file, line, "CHECK_EQ(%s, %s): %lld != %lld", ea, eb, a, b);
}

void tst_check_eq_u_failed_(unsigned long long a, unsigned long long b, const char *file,
                            int line, const char *ea, const char *eb) {
    tst_fail_(file, line, "CHECK_EQ(%s, %s): %llu != %llu", ea, eb, a, b);
}

const char *tst_status_name(int32_t s) {
    switch (s) {
    case SRD_OK: return "SRD_OK";
    case SRD_NOT_FOUND: return "SRD_NOT_FOUND";
    case SRD_INVALID_ARGUMENT: return "SRD_INVALID_ARGUMENT";
    case SRD_IO: return "SRD_IO";
    case SRD_CORRUPT: return "SRD_CORRUPT";
    case SRD_LOCKED: return "SRD_LOCKED";
    case SRD_READ_ONLY: return "SRD_READ_ONLY";
    case SRD_PANIC: return "SRD_PANIC";
    case SRD_BUSY: return "SRD_BUSY";
    case SRD_BROKEN: return "SRD_BROKEN";
    case SRD_CONFLICT: return "SRD_CONFLICT";
    default: return "(unknown status)";
    }
}

void tst_check_status_failed_(int32_t got, int32_t want, const char *file, int line,
                              const char *expr) {
    tst_fail_(file, line, "%s returned %d (%s), expected %d (%s); last error: \"%s\"", expr,
              (int)got, tst_status_name(got), (int)want, tst_status_name(want),
              srd_last_error_message());
}

int tst_mem_same_(const void *got, const void *want, size_t n) {
    if (got == NULL || want == NULL) return n == 0;
    return memcmp(got, want, n) == 0;
}

void tst_check_mem_failed_(const void *got, const void *want, size_t n, const char *file,
                           int line, const char *eg, const char *ew) {
    if (got == NULL || want == NULL) {
        tst_fail_(file, line, "CHECK_MEM(%s, %s, %zu): NULL pointer", eg, ew, n);
        return;
    }
    const unsigned char *a = (const unsigned char *)got, *b = (const unsigned char *)want;
    size_t i = 0;
    while (i < n && a[i] == b[i]) i++;
    tst_fail_(file, line, "CHECK_MEM(%s, %s, %zu): first difference at byte %zu (0x%02x != 0x%02x)",
              eg, ew, n, i, a[i], b[i]);
}

/* ------------------------------------------------------------------ */
/* Scratch directory                                                   */
/* ------------------------------------------------------------------ */

int tst_mkdir_p(const char *path) {
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

static int tst_rm_cb_(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

void tst_rm_rf(const char *path) {
    nftw(path, tst_rm_cb_, 16, FTW_DEPTH | FTW_PHYS);
}

/* argv[1] (or $SRD_TEST_DIR, or /tmp) is the base; a fresh unique directory is made inside. */
void tst_test_init(int argc, char **argv, const char *name) {
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
const char *tst_path(const char *file) {
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

double tst_scale(void) { return tst_test_g.scale; }

/* n scaled by SRD_TEST_SCALE, at least `min`. */
long tst_scaled(long n, long min) {
    double v = (double)n * tst_test_g.scale;
    long r = (long)v;
    return r < min ? min : r;
}

int tst_test_finish(void) {
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
long long tst_file_len(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long long)st.st_size;
}

int tst_file_is_store_then_reserved(const char *path, uint64_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size >= len;
    uint8_t buf[65536];
    for (off_t at = (off_t)len; ok && at < st.st_size;) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        if (n <= 0) {
            ok = 0;
            break;
        }
        for (ssize_t i = 0; i < n; i++) ok &= buf[i] == 0xFE;
        at += n;
    }
    close(fd);
    return ok;
}

/* XORs the byte at `off` of the file with `mask`, in place. Returns 1 on success. */
int tst_xor_byte(const char *path, uint64_t off, uint8_t mask) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return 0;
    uint8_t b = 0;
    int ok = pread(fd, &b, 1, (off_t)off) == 1;
    b ^= mask;
    ok = ok && pwrite(fd, &b, 1, (off_t)off) == 1;
    return close(fd) == 0 && ok;
}

int tst_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Whole file into a malloc'd buffer (never NULL on success, even for empty files). */
uint8_t *tst_slurp(const char *path, size_t *out_len) {
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
int tst_spit(const char *path, const void *data, size_t len) {
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
int tst_restore_tail(const char *path, const void *data, size_t len, size_t same) {
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
int tst_file_equals(const char *path, const void *data, size_t len) {
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

uint64_t tst_rng_next(tst_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
uint64_t tst_rng_below(tst_rng *r, uint64_t n) { return tst_rng_next(r) % n; }

void tst_rng_fill(tst_rng *r, uint8_t *buf, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint64_t v = tst_rng_next(r);
        for (int k = 0; k < 8 && i < n; k++, i++) buf[i] = (uint8_t)(v >> (8 * k));
    }
}

/* ------------------------------------------------------------------ */
/* On-disk layout (FORMAT.md): payloads 64-aligned, 20 metadata bytes   */
/* ------------------------------------------------------------------ */

uint64_t tst_align_up(uint64_t x) {
    return (x + (SRD_FMT_ALIGN - 1)) & ~(uint64_t)(SRD_FMT_ALIGN - 1);
}

/* Where a value entry of `len` payload bytes appended at `prev_end` ends. */
uint64_t tst_value_entry_end(uint64_t prev_end, uint64_t len) {
    return tst_align_up(prev_end) + len + SRD_FMT_META;
}

/* Where a tombstone appended at `prev_end` ends (one 0x00 byte, no padding). */
uint64_t tst_tombstone_end(uint64_t prev_end) { return prev_end + 1 + SRD_FMT_META; }

uint64_t tst_marker_end(uint64_t prev_end) { return tst_value_entry_end(prev_end, TST_BATCH_MARKER_LEN); }

uint64_t tst_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ------------------------------------------------------------------ */
/* Small API helpers                                                   */
/* ------------------------------------------------------------------ */

/* srd_file_size, or UINT64_MAX on failure. */
uint64_t tst_size_of(const srd_store *s) {
    uint64_t v = UINT64_MAX;
    if (srd_file_size(s, &v) != SRD_OK) return UINT64_MAX;
    return v;
}

/* srd_count, or UINT64_MAX on failure. */
uint64_t tst_count_of(const srd_store *s) {
    uint64_t v = UINT64_MAX;
    if (srd_count(s, &v) != SRD_OK) return UINT64_MAX;
    return v;
}

double tst_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tst_sleep_us(long us) {
    if (us <= 0) return;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int tst_copy_file(const char *src, const char *dst) {
    size_t n = 0;
    uint8_t *b = tst_slurp(src, &n);
    if (b == NULL) return -1;
    int rc = tst_spit(dst, b, n);
    free(b);
    return rc;
}

const char *tst_self_exe(void) {
    static char path[PATH_MAX];
    if (path[0] == '\0') {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n <= 0) return NULL;
        path[n] = '\0';
    }
    return path;
}

uint64_t tst_history_end(const struct tst_history *h) {
    return h->n ? h->e[h->n - 1].end : 0;
}

uint64_t tst_history_recovered_end(const struct tst_history *h, uint64_t cut) {
    uint64_t rec = 0;
    for (int i = 0; i < h->n && h->e[i].end <= cut; i++) {
        if (h->e[i].batch_end > cut) return h->e[i].batch_start;
        rec = h->e[i].end;
    }
    return rec;
}

void tst_history_mark_batch(struct tst_history *h, int n, uint64_t start) {
    if (n < 2) return;
    uint64_t end = h->e[h->n - 1].end;
    for (int i = h->n - n; i < h->n; i++) {
        h->e[i].batch_start = start;
        h->e[i].batch_end = end;
    }
}

uint32_t tst_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void tst_put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void tst_put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t tst_crc_table[256];
static pthread_once_t tst_crc_once = PTHREAD_ONCE_INIT;

static void tst_crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        tst_crc_table[i] = c;
    }
}

uint32_t tst_crc32(const uint8_t *p, size_t n) {
    pthread_once(&tst_crc_once, tst_crc_init);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = tst_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/*
 * test_large_file.c - a store larger than 4 GiB (LONG mode: only with SRD_LONG_TESTS=1).
 *
 * Without SRD_LONG_TESTS=1 it prints a skip line and exits 0 (it stays registered in ctest).
 * Run it with
 *     SRD_LONG_TESTS=1 ctest -R large_file --output-on-failure      (from a build directory)
 * or  SRD_LONG_TESTS=1 ./test_large_file <scratch dir>
 * It needs about 4.5 GiB of free disk space in the scratch directory (it checks for
 * 5.5 GiB with statvfs and skips with a message if there is less), takes roughly a minute
 * or two, and deletes its store at the end, pass or fail (unless SRD_TEST_KEEP=1).
 *
 * Layout written: 40 small values (2 bytes to 5 KB); four values of 1.1 GiB and a few odd
 * bytes each, written with srd_stream_* in 8 MiB chunks (the fourth one's payload spans
 * file offset 2^32); then, beyond 4 GiB, 40 small values, a 3 MiB value written with
 * srd_write, a batch, a delete and an overwrite. Every value's bytes are a function of
 * (value, position), so any byte can be recomputed.
 * Checks, before and after a read-write reopen, and with a read-only handle:
 *   - every value compared word by word with its expected bytes (through the zero-copy
 *     srd_read pointer), every small value byte-exact, deleted keys absent, srd_count;
 *   - srd_entry_offset of every large value and srd_file_size equal the FORMAT.md layout
 *     (no offset truncated to 32 bits); the 8 KiB around offset 2^32 read through
 *     srd_entry_read_at and through the pointer;
 *   - srd_verify (every checksum of the 4.4 GiB file) sound; iteration yields every live
 *     value with its length, oldest first.
 */
#include "tst_safety.h"

#include <sys/statvfs.h>

#define NSMALL 40
#define NBIG 4
#define CHUNK (8u << 20)
#define GIB (1024ull * 1024 * 1024)
#define TWO32 (1ull << 32)

static const uint64_t big_len[NBIG] = {GIB + 100 * 1024 * 1024 + 12345, GIB + 100 * 1024 * 1024 + 1,
                                       GIB + 100 * 1024 * 1024 + 4097, GIB + 100 * 1024 * 1024 + 777};
static uint64_t big_off[NBIG]; /* expected payload offsets */

/* Word k of value `seed`: position-addressable so any byte can be checked cheaply. */
static inline uint64_t word_at(uint64_t seed, uint64_t k) { return tst_sv_mix(seed * 0x100000001B3ull + k); }

static inline uint8_t byte_at(uint64_t seed, uint64_t i) {
    return (uint8_t)(word_at(seed, i / 8) >> (8 * (i % 8)));
}

static void fill_range(uint64_t seed, uint64_t from, uint8_t *buf, size_t n) {
    /* from is a multiple of 8 in every call */
    size_t i = 0;
    uint64_t k = from / 8;
    while (i + 8 <= n) {
        uint64_t w = word_at(seed, k++);
        memcpy(buf + i, &w, 8);
        i += 8;
    }
    for (; i < n; i++) buf[i] = byte_at(seed, from + i);
}

/* Index of the first byte of p[0..len) that differs from the value's bytes, or len. */
static uint64_t first_mismatch(uint64_t seed, const uint8_t *p, uint64_t len) {
    uint64_t i = 0, k = 0;
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != word_at(seed, k)) break;
        i += 8;
        k++;
    }
    for (; i < len; i++)
        if (p[i] != byte_at(seed, i)) return i;
    return len;
}

static char small_name[2 * NSMALL + 8][32];
static const uint8_t *SK(int i) { return (const uint8_t *)small_name[i]; }
static size_t SKL(int i) { return strlen(small_name[i]); }
static uint64_t small_seed(int i, int version) { return 0x5A11 + (uint64_t)i * 131 + (uint64_t)version * 7; }
static size_t small_len(int i) { return 2 + ((size_t)i * 977) % 5000; }

struct expect {
    int present[2 * NSMALL + 8];
    uint64_t seed[2 * NSMALL + 8];
    uint64_t len[2 * NSMALL + 8];
};

static const uint8_t *BK(int b) {
    static char names[NBIG][16];
    snprintf(names[b], sizeof names[b], "big-%d", b);
    return (const uint8_t *)names[b];
}

static int check_store(const char *label, const srd_store *s, const struct expect *e,
                       uint64_t want_size) {
    int ok = 1;
    double t0 = tst_now();
    tst_ctx("%s", label);
    ok &= CHECK_EQ_U(tst_size_of(s), want_size);
    uint64_t live = 0;
    /* the large values: offsets and every byte */
    for (int b = 0; b < NBIG; b++) {
        srd_entry *en = NULL;
        if (!CHECK_OK(srd_read_entry(s, BK(b), 5, &en))) {
            ok = 0;
            continue;
        }
        live++;
        uint64_t off = 0;
        CHECK_OK(srd_entry_offset(en, &off));
        ok &= CHECK_EQ_U(off, big_off[b]);
        size_t n = 0;
        const uint8_t *p = srd_entry_data(en, &n);
        ok &= CHECK_EQ_U(n, big_len[b]);
        if (p != NULL && n == big_len[b]) {
            uint64_t bad = first_mismatch(1000 + (uint64_t)b, p, n);
            ok &= CHECK_MSG(bad == n, "big-%d: first wrong byte at value offset %" PRIu64
                                      " (file offset %" PRIu64 ")",
                            b, bad, off + bad);
            ok &= CHECK_EQ_U((uintptr_t)p % 64, 0);
        }
        /* the bytes around file offset 2^32, through the copying API too */
        if (off <= TWO32 && TWO32 < off + big_len[b]) {
            uint64_t at = TWO32 - off - 4096;
            uint8_t buf[8192];
            size_t got = 0;
            ok &= CHECK_OK(srd_entry_read_at(en, at, buf, sizeof buf, &got));
            ok &= CHECK_EQ_U(got, sizeof buf);
            int same = 1;
            for (size_t i = 0; i < got; i++) same &= buf[i] == byte_at(1000 + (uint64_t)b, at + i);
            ok &= CHECK_MSG(same, "big-%d: bytes around file offset 2^32 differ (srd_entry_read_at)", b);
            const uint8_t *q = NULL;
            size_t qn = 0;
            if (CHECK_OK(srd_read(s, BK(b), 5, &q, &qn)))
                ok &= CHECK_MSG(memcmp(q + at, buf, sizeof buf) == 0,
                                "big-%d: srd_read bytes around 2^32 differ", b);
        }
        srd_entry_free(en);
    }
    /* the small values, before and beyond 4 GiB */
    for (int i = 0; i < 2 * NSMALL + 8; i++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, SK(i), SKL(i), &p, &n);
        if (!e->present[i]) {
            ok &= CHECK_STATUS(st, SRD_NOT_FOUND);
            continue;
        }
        live++;
        if (!CHECK_OK(st)) {
            ok = 0;
            continue;
        }
        ok &= CHECK_EQ_U(n, e->len[i]);
        if (n == e->len[i])
            ok &= CHECK_MSG(first_mismatch(e->seed[i], p, n) == n, "small value %s differs",
                            small_name[i]);
    }
    ok &= CHECK_EQ_U(tst_count_of(s), live);
    /* iteration: every live value once, with its length */
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h, seen = 0;
        const uint8_t *p;
        size_t n;
        while (srd_iter_next(it, &h, &p, &n) == SRD_OK) seen++;
        ok &= CHECK_EQ_U(seen, live);
        srd_iter_free(it);
    }
    printf("  %s: %" PRIu64 " live values, every byte checked, %.1f s\n", label, live,
           tst_now() - t0);
    tst_ctx_clear();
    return ok;
}

static int verify_all(const char *label, const srd_store *s, uint64_t want_size) {
    double t0 = tst_now();
    srd_verify_report rep;
    memset(&rep, 0, sizeof rep);
    int ok = CHECK_OK(srd_verify(s, &rep));
    ok &= CHECK_EQ_U(rep.bad_entries, 0);
    ok &= CHECK_EQ_U(rep.file_size, want_size);
    printf("  %s: srd_verify checked %" PRIu64 " entries, %" PRIu64 " payload bytes, %.1f s\n", label,
           rep.entries_checked, rep.bytes_checked, tst_now() - t0);
    return ok;
}

int main(int argc, char **argv) {
    const char *long_tests = getenv("SRD_LONG_TESTS");
    if (long_tests == NULL || strcmp(long_tests, "1") != 0) {
        printf("test_large_file: SKIPPED - a long test (writes a 4.4 GiB store); run it with "
               "SRD_LONG_TESTS=1\n");
        return 0;
    }
    tst_test_init(argc, argv, "test_large_file");
    struct statvfs vfs;
    const uint64_t need = 5ull * GIB + GIB / 2;
    if (statvfs(tst_test_g.dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < need) {
        printf("test_large_file: SKIPPED - %.1f GiB free in %s, it needs 5.5 GiB\n",
               (double)((uint64_t)vfs.f_bavail * vfs.f_frsize) / (double)GIB, tst_test_g.dir);
        tst_rm_rf(tst_test_g.dir);
        return 0;
    }
    for (int i = 0; i < 2 * NSMALL + 8; i++) snprintf(small_name[i], sizeof small_name[i], "small-%03d", i);
    const char *path = tst_path("large.srd");
    struct expect e;
    memset(&e, 0, sizeof e);
    double t0 = tst_now();
    srd_store *s = NULL;
    REQUIRE(CHECK_OK(srd_open(path, 0, &s)));
    uint64_t end = 0;
    uint8_t *buf = (uint8_t *)malloc(CHUNK > 3u << 20 ? CHUNK : 3u << 20);
    REQUIRE(buf != NULL);

    /* small values first */
    for (int i = 0; i < NSMALL; i++) {
        size_t n = small_len(i);
        fill_range(small_seed(i, 0), 0, buf, n);
        REQUIRE(CHECK_OK(srd_write(s, SK(i), SKL(i), buf, n)));
        e.present[i] = 1, e.seed[i] = small_seed(i, 0), e.len[i] = n;
        end = tst_value_entry_end(end, n);
    }
    REQUIRE(CHECK_EQ_U(tst_size_of(s), end));

    /* four values of 1.1 GiB by streaming */
    for (int b = 0; b < NBIG; b++) {
        double tb = tst_now();
        srd_stream *st = NULL;
        REQUIRE(CHECK_OK(srd_stream_begin(s, BK(b), 5, &st)));
        big_off[b] = tst_align_up(end);
        for (uint64_t off = 0; off < big_len[b];) {
            size_t n = big_len[b] - off < CHUNK ? (size_t)(big_len[b] - off) : CHUNK;
            fill_range(1000 + (uint64_t)b, off, buf, n);
            if (!CHECK_OK(srd_stream_write(st, buf, n))) break;
            off += n;
        }
        REQUIRE(CHECK_OK(srd_stream_commit(st)));
        end = tst_value_entry_end(end, big_len[b]);
        REQUIRE(CHECK_EQ_U(tst_size_of(s), end));
        printf("  big-%d: %" PRIu64 " bytes at file offset %" PRIu64 "..%" PRIu64 "%s, %.1f s\n", b,
               big_len[b], big_off[b], big_off[b] + big_len[b],
               big_off[b] <= TWO32 && TWO32 < big_off[b] + big_len[b] ? " (spans 2^32)" : "",
               tst_now() - tb);
    }
    REQUIRE(end > TWO32);

    /* beyond 4 GiB: small values, a 3 MiB value, a batch, a delete, an overwrite */
    for (int i = NSMALL; i < 2 * NSMALL; i++) {
        size_t n = small_len(i);
        fill_range(small_seed(i, 0), 0, buf, n);
        CHECK_OK(srd_write(s, SK(i), SKL(i), buf, n));
        e.present[i] = 1, e.seed[i] = small_seed(i, 0), e.len[i] = n;
        end = tst_value_entry_end(end, n);
    }
    {
        int i = 2 * NSMALL;
        size_t n = 3u << 20;
        fill_range(small_seed(i, 0), 0, buf, n);
        CHECK_OK(srd_write(s, SK(i), SKL(i), buf, n));
        e.present[i] = 1, e.seed[i] = small_seed(i, 0), e.len[i] = n;
        end = tst_value_entry_end(end, n);
    }
    {
        uint8_t *a = (uint8_t *)malloc(70000), *b2 = (uint8_t *)malloc(64);
        REQUIRE(a != NULL && b2 != NULL);
        int i = 2 * NSMALL + 1, j = 2 * NSMALL + 2;
        fill_range(small_seed(i, 0), 0, a, 70000);
        fill_range(small_seed(j, 0), 0, b2, 64);
        srd_kv items[2] = {{SK(i), SKL(i), a, 70000}, {SK(j), SKL(j), b2, 64}};
        CHECK_OK(srd_write_batch(s, items, 2));
        e.present[i] = 1, e.seed[i] = small_seed(i, 0), e.len[i] = 70000;
        e.present[j] = 1, e.seed[j] = small_seed(j, 0), e.len[j] = 64;
        end = tst_value_entry_end(tst_value_entry_end(end, 70000), 64);
        free(a);
        free(b2);
    }
    CHECK_OK(srd_delete(s, SK(3), SKL(3))); /* a key from before 4 GiB */
    e.present[3] = 0;
    end = tst_tombstone_end(end);
    {
        size_t n = 999;
        fill_range(small_seed(5, 1), 0, buf, n);
        CHECK_OK(srd_write(s, SK(5), SKL(5), buf, n)); /* overwrite a key from before 4 GiB */
        e.seed[5] = small_seed(5, 1), e.len[5] = n;
        end = tst_value_entry_end(end, n);
    }
    CHECK_EQ_U(tst_size_of(s), end);
    CHECK_EQ(tst_file_len(path), (long long)end);
    printf("test_large_file: wrote %.2f GiB in %.1f s\n", (double)end / (double)GIB, tst_now() - t0);

    check_store("as written", s, &e, end);
    srd_close(s);

    /* reopen read-write: recovery walks the chain across 4 GiB; first reads verify checksums */
    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_NO_CREATE, &s))) {
        CHECK_EQ(tst_file_len(path), (long long)end);
        check_store("after a read-write reopen", s, &e, end);
        verify_all("after a read-write reopen", s, end);
        /* one more write after reopen lands beyond 4 GiB at the right place */
        int i = 2 * NSMALL + 3;
        fill_range(small_seed(i, 0), 0, buf, 100);
        if (CHECK_OK(srd_write(s, SK(i), SKL(i), buf, 100))) {
            e.present[i] = 1, e.seed[i] = small_seed(i, 0), e.len[i] = 100;
            end = tst_value_entry_end(end, 100);
        }
        CHECK_EQ_U(tst_size_of(s), end);
        srd_close(s);
    }
    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
        check_store("read-only", s, &e, end);
        srd_close(s);
    }
    free(buf);
    if (getenv("SRD_TEST_KEEP") == NULL) remove(path); /* 4.4 GiB: never left behind */
    printf("test_large_file: %.1f s in all\n", tst_now() - t0);
    return tst_test_finish();
}

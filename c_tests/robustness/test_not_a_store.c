/*
 * test_not_a_store.c - files that are not stores are refused and never changed.
 *
 * Every candidate is opened read-only, read-write, read-write with SRD_OPEN_NO_CREATE,
 * with SRD_OPEN_SYNC and with SRD_OPEN_READ_ONLY|SRD_OPEN_NO_VERIFY. Each open must give
 * SRD_CORRUPT or SRD_INVALID_ARGUMENT, with a message and *out_store unwritten, and the
 * path must be exactly as before: same inode, type, size, bytes and mtime, and no other
 * file appears in its directory. Byte contents are also given to srd_open_bytes (must be
 * SRD_CORRUPT).
 *
 * Candidates:
 *   - text: a line, a multi-line document, JSON, CSV, a shell script;
 *   - random bytes of 1, 19, 20, 21, 63, 64, 65, 84, 85, 100, 4096, 65536 and 1 MiB;
 *   - all zeros (1, 20, 21, 64, 84, 85, 4096, 65536, 1 MiB), all 0xFF (100, 4096);
 *   - a copy of this test's executable (an ELF file);
 *   - files "written by old, incompatible versions of the format", built by hand:
 *       * entries without the 64-byte pre-padding (payload right at prev_tail), with and
 *         without tombstones;
 *       * 32-byte instead of 64-byte alignment;
 *       * 16-byte metadata (key hash + prev_tail, no checksum; or key hash + u32
 *         prev_tail + crc), padded and unpadded;
 *       * big-endian metadata fields, padded and unpadded;
 *       * metadata before the payload instead of after it;
 *       * a 64-byte file header (magic + version) in front of otherwise valid entries;
 *       * a valid store shifted by one byte;
 *   - a directory, a symlink to a directory, a FIFO (opened in a child process with a
 *     deadline: it must not hang), /dev/null.
 * Controls: an empty file and the hand-built real format (alignment 64, little-endian
 * 20-byte metadata) do open, which proves the builder writes real entries.
 */
#include "tst_api.h"
#include "tst_fmt.h"
#include "tst_robust.h"

#include <dirent.h>

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n++;
    closedir(d);
    return n;
}

static const uint32_t open_flags[] = {
    SRD_OPEN_READ_ONLY,
    0,
    SRD_OPEN_NO_CREATE,
    SRD_OPEN_SYNC,
    SRD_OPEN_READ_ONLY | SRD_OPEN_NO_VERIFY,
};
#define NFLAGS (sizeof open_flags / sizeof open_flags[0])

static unsigned long n_candidates, n_opens, n_corrupt, n_invalid, n_bad;

/* Opens `path` every way; each must be refused and leave the path exactly as it was. */
static void expect_refused(const char *what, const char *path) {
    tst_ctx("%s", what);
    n_candidates++;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int dir_entries = count_dir_entries(dir);
    struct tst_snap snap;
    tst_snap_take(&snap, path);
    int refused_all = 1;
    for (size_t i = 0; i < NFLAGS; i++) {
        srd_store *s = (srd_store *)(uintptr_t)0x1;
        int32_t st = srd_open(path, open_flags[i], &s);
        n_opens++;
        if (st == SRD_CORRUPT) n_corrupt++;
        else if (st == SRD_INVALID_ARGUMENT) n_invalid++;
        else n_bad++;
        if (!CHECK_MSG(st == SRD_CORRUPT || st == SRD_INVALID_ARGUMENT,
                       "%s: srd_open(flags 0x%x) returned %s, expected SRD_CORRUPT or "
                       "SRD_INVALID_ARGUMENT",
                       what, open_flags[i], tst_status_name(st))) {
            refused_all = 0;
            if (st == SRD_OK && s != NULL && s != (srd_store *)(uintptr_t)0x1) {
                uint64_t live = 0, entries = 0, size = 0;
                srd_count(s, &live);
                srd_entry_count(s, &entries);
                srd_file_size(s, &size);
                fprintf(stderr,
                        "    %s: opened (flags 0x%x) as a store of %llu entries, %llu live keys, "
                        "%llu of %zu bytes\n",
                        what, open_flags[i], (unsigned long long)entries, (unsigned long long)live,
                        (unsigned long long)size, snap.len);
                srd_close(s);
            }
        } else {
            CHECK_MSG(s == (srd_store *)(uintptr_t)0x1, "%s: *out_store written on failure", what);
            CHECK_MSG(srd_last_error_message()[0] != '\0', "%s: no error message", what);
        }
        CHECK_UNCHANGED(&snap, path);
    }
    CHECK_MSG(count_dir_entries(dir) == dir_entries, "%s: files appeared or vanished in %s",
              what, dir);
    if (refused_all) printf("  refused every way, unchanged: %s\n", what);
    tst_snap_free(&snap);
    tst_ctx_clear();
}

static int file_no = 0;

/* Writes `bytes` to a fresh file, checks refusal, and checks srd_open_bytes too. */
static void candidate_bytes(const char *what, const uint8_t *bytes, size_t len) {
    char name[64];
    snprintf(name, sizeof name, "cand-%03d.bin", file_no++);
    const char *path = tst_path(name);
    REQUIRE(tst_spit(path, bytes, len) == 0);
    /* An old mtime, so that any write would be visible even within one clock tick. */
    struct timespec times[2] = {{1000000000, 123456789}, {1000000000, 123456789}};
    REQUIRE(utimensat(AT_FDCWD, path, times, 0) == 0);
    expect_refused(what, path);

    tst_ctx("%s (srd_open_bytes)", what);
    srd_store *s = (srd_store *)(uintptr_t)0x1;
    int32_t st = srd_open_bytes(bytes, len, &s);
    CHECK_MSG(st == SRD_CORRUPT, "%s: srd_open_bytes returned %s", what, tst_status_name(st));
    if (st == SRD_OK) srd_close(s);
    else CHECK(s == (srd_store *)(uintptr_t)0x1);
    tst_ctx_clear();
}

/* ------------------------------------------------------------------ */

/* A small history of entries (some overwrites; tombstones if asked) in a given layout. */
static void build_history(struct tst_fbuf *f, unsigned align, enum tst_meta_kind mk, int tombstones) {
    static const char *keys[] = {"alpha", "beta", "gamma", "delta"};
    for (int i = 0; i < 8; i++) {
        const char *k = keys[i % 4];
        if (tombstones && (i == 5 || i == 6)) {
            tst_fb_entry(f, align, mk, tst_hash_of(keys[i - 4]), NULL, 0);
            continue;
        }
        size_t n = (size_t)(5 + 37 * i);
        uint8_t v[512];
        tst_rng r = {(uint64_t)i * 31 + 7};
        tst_rng_fill(&r, v, n);
        v[0] |= 1;
        tst_fb_entry(f, align, mk, tst_hash_of(k), v, n);
    }
}

static void test_controls(void) {
    /* Empty file: a valid empty store. */
    const char *empty = tst_path("control-empty.srd");
    REQUIRE(tst_spit(empty, "", 0) == 0);
    srd_store *s = NULL;
    if (CHECK_OK(srd_open(empty, SRD_OPEN_READ_ONLY, &s))) {
        CHECK_EQ_U(tst_count_of(s), 0);
        srd_close(s);
    }
    /* The builder's real format opens and reads back. */
    struct tst_fbuf f = {0};
    build_history(&f, 64, META_LE20, 1);
    const char *real = tst_path("control-real.srd");
    REQUIRE(tst_spit(real, f.p, f.n) == 0);
    s = NULL;
    if (CHECK_OK(srd_open(real, SRD_OPEN_READ_ONLY, &s))) {
        srd_verify_report rep;
        CHECK_OK(srd_verify(s, &rep));
        CHECK_EQ_U(rep.entries_checked, 8);
        CHECK_EQ_U(tst_count_of(s), 2); /* alpha, beta overwritten; gamma, delta deleted */
        srd_close(s);
    }
    tst_fb_free(&f);
}

static void test_text_and_random(void) {
    const char *line = "hello world\n";
    candidate_bytes("text: one line", (const uint8_t *)line, strlen(line));

    struct tst_fbuf doc = {0};
    for (int i = 0; i < 40; i++) {
        char l[128];
        int n = snprintf(l, sizeof l, "Line %d: the quick brown fox jumps over the lazy dog.\n", i);
        tst_fb_put(&doc, l, (size_t)n);
    }
    candidate_bytes("text: multi-line document", doc.p, doc.n);
    tst_fb_free(&doc);

    const char *json = "{\n  \"name\": \"simd-r-drive\",\n  \"entries\": [1, 2, 3],\n  \"ok\": true\n}\n";
    candidate_bytes("text: JSON", (const uint8_t *)json, strlen(json));
    const char *csv = "key,value\nalpha,1\nbeta,2\ngamma,3\n";
    candidate_bytes("text: CSV", (const uint8_t *)csv, strlen(csv));
    const char *sh = "#!/bin/sh\nset -eu\necho \"not a store\"\nexit 0\n";
    candidate_bytes("text: shell script", (const uint8_t *)sh, strlen(sh));

    static const size_t rnd_sizes[] = {1, 19, 20, 21, 63, 64, 65, 84, 85, 100, 4096, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof rnd_sizes / sizeof rnd_sizes[0]; i++) {
        size_t n = rnd_sizes[i];
        uint8_t *b = (uint8_t *)malloc(n);
        REQUIRE(b != NULL);
        tst_rng r = {0xabcdef + n};
        tst_rng_fill(&r, b, n);
        char what[64];
        snprintf(what, sizeof what, "random bytes (%zu)", n);
        candidate_bytes(what, b, n);
        free(b);
    }
    static const size_t zero_sizes[] = {1, 20, 21, 64, 84, 85, 4096, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof zero_sizes / sizeof zero_sizes[0]; i++) {
        size_t n = zero_sizes[i];
        uint8_t *b = (uint8_t *)calloc(n, 1);
        REQUIRE(b != NULL);
        char what[64];
        snprintf(what, sizeof what, "all zeros (%zu)", n);
        candidate_bytes(what, b, n);
        free(b);
    }
    for (size_t n = 100; n <= 4096; n = n == 100 ? 4096 : 8192) {
        uint8_t *b = (uint8_t *)malloc(n);
        REQUIRE(b != NULL);
        memset(b, 0xff, n);
        char what[64];
        snprintf(what, sizeof what, "all 0xFF (%zu)", n);
        candidate_bytes(what, b, n);
        free(b);
    }
    size_t elf_len = 0;
    uint8_t *elf = tst_slurp(tst_self_exe(), &elf_len);
    if (CHECK(elf != NULL && elf_len > 0)) candidate_bytes("an ELF executable (this test)", elf, elf_len);
    free(elf);
}

static void test_old_formats(void) {
    struct {
        const char *what;
        unsigned align;
        enum tst_meta_kind mk;
        int tombstones;
    } v[] = {
        {"old format: no pre-padding (payload right at prev_tail)", 1, META_LE20, 0},
        {"old format: no pre-padding, with tombstones", 1, META_LE20, 1},
        {"old format: 32-byte alignment", 32, META_LE20, 0},
        {"old format: 16-byte metadata (hash, prev_tail; no checksum), padded", 64, META_HASH_PREV16, 0},
        {"old format: 16-byte metadata (hash, prev_tail; no checksum), unpadded", 1, META_HASH_PREV16, 1},
        {"old format: 16-byte metadata (hash, u32 prev_tail, crc), padded", 64, META_HASH_P32_CRC16, 0},
        {"old format: 16-byte metadata (hash, u32 prev_tail, crc), unpadded", 1, META_HASH_P32_CRC16, 0},
        {"old format: big-endian metadata, padded", 64, META_BE20, 1},
        {"old format: big-endian metadata, unpadded", 1, META_BE20, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct tst_fbuf f = {0};
        build_history(&f, v[i].align, v[i].mk, v[i].tombstones);
        candidate_bytes(v[i].what, f.p, f.n);
        tst_fb_free(&f);
    }

    /* Metadata before the payload: [hash][prev_tail][crc][len u32][payload], padded. */
    {
        struct tst_fbuf f = {0};
        for (int i = 0; i < 6; i++) {
            uint64_t prev = f.n;
            tst_fb_fill(&f, 0, (size_t)((64 - prev % 64) % 64));
            uint8_t val[300];
            size_t n = (size_t)(10 + 41 * i);
            tst_rng r = {(uint64_t)i + 99};
            tst_rng_fill(&r, val, n);
            tst_fb_le(&f, tst_hash_of(i % 2 ? "odd" : "even"), 8);
            tst_fb_le(&f, prev, 8);
            tst_fb_le(&f, tst_crc32(val, n), 4);
            tst_fb_le(&f, n, 4);
            tst_fb_put(&f, val, n);
        }
        candidate_bytes("old format: metadata before the payload", f.p, f.n);
        tst_fb_free(&f);
    }
    /* A 64-byte header ("SRDRIVE", version 1) in front of entries whose offsets count it. */
    {
        struct tst_fbuf f = {0};
        tst_fb_put(&f, "SRDRIVE\0", 8);
        tst_fb_le(&f, 1, 4);
        tst_fb_fill(&f, 0, 52);
        uint64_t h = tst_hash_of("k");
        for (int i = 0; i < 5; i++) {
            uint8_t val[64];
            memset(val, 'a' + i, sizeof val);
            tst_fb_entry(&f, 64, META_LE20, h, val, (size_t)(20 + 9 * i));
        }
        candidate_bytes("old format: 64-byte file header before the entries", f.p, f.n);
        tst_fb_free(&f);
    }
    /* A real store shifted by one byte. */
    {
        struct tst_fbuf f = {0};
        tst_fb_put(&f, "\x01", 1);
        struct tst_fbuf g = {0};
        build_history(&g, 64, META_LE20, 1);
        tst_fb_put(&f, g.p, g.n);
        candidate_bytes("a valid store with one byte in front of it", f.p, f.n);
        tst_fb_free(&f);
        tst_fb_free(&g);
    }
}

struct fifo_arg {
    const char *path;
};

/* In a child: every open of the FIFO must return at once with INVALID_ARGUMENT/CORRUPT. */
static int fifo_child(void *p) {
    struct fifo_arg *a = (struct fifo_arg *)p;
    for (size_t i = 0; i < NFLAGS; i++) {
        srd_store *s = (srd_store *)(uintptr_t)0x1;
        int32_t st = srd_open(a->path, open_flags[i], &s);
        if (st != SRD_INVALID_ARGUMENT && st != SRD_CORRUPT) {
            fprintf(stderr, "fifo: srd_open(flags 0x%x) returned %s\n", open_flags[i],
                    tst_status_name(st));
            return 10 + (int)i;
        }
        if (s != (srd_store *)(uintptr_t)0x1) return 30;
        if (srd_last_error_message()[0] == '\0') return 31;
    }
    return 0;
}

static void test_special_paths(void) {
    const char *dir = tst_path("a-directory");
    REQUIRE(mkdir(dir, 0755) == 0);
    expect_refused("a directory", dir);

    const char *link = tst_path("link-to-directory");
    REQUIRE(symlink(dir, link) == 0);
    expect_refused("a symlink to a directory", link);

    const char *fifo = tst_path("a-fifo");
    REQUIRE(mkfifo(fifo, 0644) == 0);
    struct fifo_arg a = {fifo};
    int sig = 0;
    double t0 = tst_now();
    int rc = tst_run_child(fifo_child, &a, 20.0, &sig);
    CHECK_MSG(rc != -1, "srd_open on a FIFO hung (killed after 20 s)");
    CHECK_MSG(rc != -2, "srd_open on a FIFO crashed the process (signal %d)", sig);
    CHECK_MSG(rc == 0, "srd_open on a FIFO: child exit %d (10+i: wrong status for flags[i])", rc);
    printf("  FIFO: every open refused in %.3f s (no hang)\n", tst_now() - t0);
    /* Nothing of the FIFO changed either (it is still a FIFO, no bytes in it). */
    struct stat st;
    CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));

    /* /dev/null: a character device, never a store. Checked in the parent as well. */
    struct tst_snap snap;
    tst_snap_take(&snap, "/dev/null");
    for (size_t i = 0; i < NFLAGS; i++) {
        srd_store *s = (srd_store *)(uintptr_t)0x1;
        int32_t r = srd_open("/dev/null", open_flags[i], &s);
        CHECK_MSG(r == SRD_INVALID_ARGUMENT || r == SRD_CORRUPT,
                  "/dev/null flags 0x%x: %s", open_flags[i], tst_status_name(r));
        if (r == SRD_OK) srd_close(s);
    }
    struct stat dn;
    CHECK(stat("/dev/null", &dn) == 0 && S_ISCHR(dn.st_mode));
    tst_snap_free(&snap);
    printf("  refused every way: /dev/null\n");
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_not_a_store");
    REQUIRE(tst_self_exe() != NULL);

    test_controls();
    test_text_and_random();
    test_old_formats();
    test_special_paths();

    printf("test_not_a_store: %lu candidates, %lu opens: %lu SRD_CORRUPT, %lu "
           "SRD_INVALID_ARGUMENT, %lu accepted or other status (must be 0)\n",
           n_candidates, n_opens, n_corrupt, n_invalid, n_bad);
    CHECK_EQ_U(n_bad, 0);
    return tst_test_finish();
}

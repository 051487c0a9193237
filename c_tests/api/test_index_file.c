/*
 * test_index_file.c - the index file <path>.idx: used for the very file it was saved from,
 * ignored when stale or damaged, never written by read-only handles or with
 * SRD_OPEN_NO_INDEX_FILE.
 *
 * Split from test_features.c. Each test_* function states the behaviour it proves.
 * Outputs must be written only on success (checked with sentinels); failures must leave
 * the file untouched.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_proc.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* The model of these stores: keys idx-key-0 .. n-1 hold "value-I-1"; of the `extra`
 * keys appended after them, the even ones hold "value-I-2" and the odd ones were deleted.
 * Writes key i's value into v and returns 1, or returns 0 if the key is absent. */
static int model_value(uint32_t i, uint32_t n, char *v, size_t vn) {
    if (i >= n && (i - n) % 2 == 1) return 0;
    snprintf(v, vn, "value-%u-%u", i, i >= n ? 2u : 1u);
    return 1;
}

/* Checks every `step`-th key of the model through s. */
static void expect_model(srd_store *s, uint32_t n, uint32_t extra, uint32_t step) {
    char k[32], v[32];
    for (uint32_t i = 0; i < n + extra; i += step) {
        snprintf(k, sizeof k, "idx-key-%u", i);
        if (model_value(i, n, v, sizeof v))
            tst_expect_value(s, k, v, strlen(v));
        else
            tst_expect_absent(s, k);
    }
}

/* The index file: a large store closed by a read-write handle leaves
 * <path>.idx; the next open uses it and answers exactly as before, also for
 * values appended afterwards by a handle that saved none; a damaged or stale
 * index file is ignored; SRD_OPEN_NO_INDEX_FILE neither reads nor writes it. */
static void check_index_store(const char *p, uint32_t flags, uint32_t n, uint32_t extra) {
    srd_store *s = tst_open_flags(p, flags | SRD_OPEN_READ_ONLY);
    if (!s) return;
    uint64_t count = 0;
    CHECK_OK(srd_count(s, &count));
    CHECK_EQ_U(count, (uint64_t)n + extra - extra / 2);
    expect_model(s, n, extra, 97);
    tst_expect_absent(s, "idx-key-never");
    srd_close(s);
}

static void test_index_file_speeds_reopen_and_is_ignored_when_stale_or_damaged(void) {
    const char *p = tst_path("index-file.srd");
    char idx[4096];
    snprintf(idx, sizeof idx, "%s.idx", p);
    const uint32_t n = 70000;
    srd_store *s = tst_open_flags(p, SRD_OPEN_NO_INDEX_FILE);
    if (!s) return;
    {
        static srd_kv kv[1000];
        static char keys[1000][32], vals[1000][32];
        for (uint32_t b = 0; b < n; b += 1000) {
            for (uint32_t j = 0; j < 1000; j++) {
                snprintf(keys[j], sizeof keys[j], "idx-key-%u", b + j);
                snprintf(vals[j], sizeof vals[j], "value-%u-1", b + j);
                kv[j] = (srd_kv){(const uint8_t *)keys[j], strlen(keys[j]), (const uint8_t *)vals[j],
                                 strlen(vals[j])};
            }
            CHECK_OK(srd_write_batch(s, kv, 1000));
        }
    }
    srd_close(s);
    CHECK_MSG(!tst_file_exists(idx), "SRD_OPEN_NO_INDEX_FILE wrote an index file");
    check_index_store(p, 0, n, 0);
    CHECK_MSG(!tst_file_exists(idx), "a read-only handle wrote an index file");

    s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_write(s, (const uint8_t *)"idx-key-0", 9, (const uint8_t *)"value-0-1", 9));
    srd_close(s);
    CHECK_MSG(tst_file_exists(idx), "closing a large store saved no index file");
    check_index_store(p, 0, n, 0);
    check_index_store(p, SRD_OPEN_NO_INDEX_FILE, n, 0);

    /* Appended by a handle that saves no index: overwrites of new keys and deletes. */
    const uint32_t extra = 3000;
    s = tst_open_flags(p, SRD_OPEN_NO_INDEX_FILE);
    if (!s) return;
    char k[32], v[32];
    for (uint32_t i = n; i < n + extra; i++) {
        snprintf(k, sizeof k, "idx-key-%u", i);
        snprintf(v, sizeof v, "value-%u-2", i);
        CHECK_OK(srd_write(s, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v)));
        if ((i - n) % 2 == 1) CHECK_OK(srd_delete(s, (const uint8_t *)k, strlen(k)));
    }
    srd_close(s);
    check_index_store(p, 0, n, extra);

    /* A damaged index file is ignored. */
    long long len = tst_file_len(idx);
    REQUIRE(len > 4096);
    int fd = open(idx, O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    for (long long at = 0; at < len; at += len / 7) {
        unsigned char b;
        REQUIRE(pread(fd, &b, 1, at) == 1);
        b ^= 0x5a;
        REQUIRE(pwrite(fd, &b, 1, at) == 1);
    }
    close(fd);
    check_index_store(p, 0, n, extra);

    /* A stale one (from before a compaction) too. */
    s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_write(s, (const uint8_t *)"idx-key-0", 9, (const uint8_t *)"value-0-1", 9));
    srd_close(s);
    char saved[4200];
    snprintf(saved, sizeof saved, "%s.saved", idx);
    REQUIRE(rename(idx, saved) == 0);
    s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_compact(s));
    srd_close(s);
    REQUIRE(rename(saved, idx) == 0);
    check_index_store(p, 0, n, extra);
}

/* A damaged index file found after the open (a 4 KiB page of its table zeroed, as a
 * power cut leaves a copy it tore): an open reads only its header and segment digests,
 * so the damage is met by the first lookup that enters the page's segment. Whoever meets
 * it never answers from it: a child process holding the parent's read-write handle across
 * fork() (which may read but not write), read-only handles in 3 other processes at once,
 * and the parent all read every key right; the copy is removed, and the parent's next
 * close saves a good one. */
struct damaged_ctx {
    const char *p;
    srd_store *s;
    uint32_t n, extra;
};

static void read_all_through(srd_store *s, uint32_t n, uint32_t extra) {
    expect_model(s, n, extra, 7);
    char k[32];
    for (uint32_t i = 0; i < 2000; i++) {
        snprintf(k, sizeof k, "idx-absent-%u", i);
        tst_expect_absent(s, k);
    }
}

static void child_reads_inherited(void *arg) {
    struct damaged_ctx *c = arg;
    read_all_through(c->s, c->n, c->extra);
    /* The handle is the parent's: reads work, writes do not. */
    CHECK_STATUS(srd_write(c->s, (const uint8_t *)"k", 1, (const uint8_t *)"v", 1), SRD_BROKEN);
}

/* In a child process with no checks of its own: opens read-only and reads every key;
 * returns 0 if every answer was right. */
static int read_only_reader_ok(const char *p, uint32_t n, uint32_t extra) {
    srd_store *s = NULL;
    if (srd_open(p, SRD_OPEN_READ_ONLY, &s) != SRD_OK) return 2;
    int bad = 0;
    char k[32], v[32];
    for (uint32_t i = 0; i < n + extra && !bad; i++) {
        snprintf(k, sizeof k, "idx-key-%u", i);
        const uint8_t *got = NULL;
        size_t got_len = 0;
        int32_t st = srd_read(s, (const uint8_t *)k, strlen(k), &got, &got_len);
        if (!model_value(i, n, v, sizeof v)) {
            bad = st != SRD_NOT_FOUND;
            continue;
        }
        bad = st != SRD_OK || got_len != strlen(v) || memcmp(got, v, got_len) != 0;
    }
    srd_close(s);
    return bad ? 1 : 0;
}

static void damage_index_page(const char *idx) {
    long long len = tst_file_len(idx);
    REQUIRE(len > 3 * 4096);
    int fd = open(idx, O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    static unsigned char zeros[4096];
    /* A page in the middle of the table (past the header and the segment digests). */
    off_t at = (off_t)(len / 2) & ~(off_t)4095;
    REQUIRE(pwrite(fd, zeros, sizeof zeros, at) == (ssize_t)sizeof zeros);
    close(fd);
}

static void test_index_file_damaged_after_open_is_never_answered_from(void) {
    const char *p = tst_path("index-file.srd");
    char idx[4096];
    snprintf(idx, sizeof idx, "%s.idx", p);
    const uint32_t n = 70000, extra = 3000;
    /* Left by the test above: a good copy for the current file. */
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_write(s, (const uint8_t *)"idx-key-0", 9, (const uint8_t *)"value-0-1", 9));
    srd_close(s);
    REQUIRE(tst_file_exists(idx));

    damage_index_page(idx);
    s = tst_open_rw(p);
    if (!s) return;
    struct damaged_ctx c = {p, s, n, extra};
    tst_run_in_child("reads through a handle inherited across fork", 60, TST_CHILD_QUICK_EXIT,
                     child_reads_inherited, &c);
    read_all_through(s, n, extra);
    CHECK_MSG(!tst_file_exists(idx), "a damaged index file was kept");
    srd_close(s);
    CHECK_MSG(tst_file_exists(idx), "no good index file saved after the repair");
    check_index_store(p, 0, n, extra);

    /* Read-only handles in several processes at once. */
    damage_index_page(idx);
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        REQUIRE(pids[i] >= 0);
        if (pids[i] == 0) _exit(read_only_reader_ok(p, n, extra));
    }
    for (int i = 0; i < 3; i++) {
        int st = 0;
        CHECK_MSG(tst_wait(pids[i], 120, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "a read-only process read wrong values through a damaged index file");
    }
    CHECK_MSG(!tst_file_exists(idx), "read-only handles kept a damaged index file");
    check_index_store(p, 0, n, extra);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_index_file");

    test_index_file_speeds_reopen_and_is_ignored_when_stale_or_damaged();
    test_index_file_damaged_after_open_is_never_answered_from();
    return tst_test_finish();
}

/*
 * test_disk_full.c - writes that run out of space fail cleanly and lose nothing.
 *
 * "Disk full" is simulated in a forked child with setrlimit(RLIMIT_FSIZE) (a write that
 * would grow a file past the limit fails with EFBIG; SIGXFSZ is ignored so the process
 * survives). With the limit set just above the store's current size, each of these must
 * fail with SRD_IO and a message (srd_last_error_message) naming the store's path or the
 * OS error, and leave the store exactly as before: the file size on disk and srd_file_size
 * unchanged, every earlier value byte-exact, nothing of the failed call visible, reads
 * working, srd_verify sound:
 *   - srd_write of a value that crosses the limit, and of one whose payload fits but whose
 *     20 metadata bytes do not;
 *   - srd_write_batch whose first items fit and later ones do not;
 *   - srd_delete and srd_delete_batch (tombstones that do not fit);
 *   - a stream: srd_stream_write crossing the limit fails, the stream is poisoned (later
 *     writes and the commit fail with SRD_IO); a stream whose data fits but whose metadata
 *     does not (the commit fails); a stream whose alignment padding does not fit (begin
 *     fails);
 *   - srd_compact with the limit one byte below the compacted size (measured by compacting
 *     a copy) and at a third of the file (the store file is byte-for-byte unchanged and no
 *     <path>.compact.tmp is left); with the limit exactly at the compacted size it succeeds.
 * Between failures, small writes that fit still succeed. Then the limit is raised: every
 * kind of write succeeds again, compaction succeeds, and everything survives a reopen.
 * Runs without and with SRD_OPEN_SYNC.
 */
#include "tst_safety.h"

#include <sys/resource.h>

#define NK 40

struct model {
    uint64_t seed[NK];
    size_t len[NK]; /* 0: absent */
};

static char key_name[NK][24];
static const uint8_t *KEY(int k) { return (const uint8_t *)key_name[k]; }
static size_t KLEN(int k) { return strlen(key_name[k]); }
static unsigned long g_failures_tried;

static uint8_t *vbytes(uint64_t seed, size_t len) {
    uint8_t *v = (uint8_t *)malloc(len ? len : 1);
    if (v == NULL) abort();
    tst_sv_fill(seed, v, len);
    return v;
}

static int set_fsize_limit(rlim_t soft) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0) return -1;
    if (rl.rlim_max != RLIM_INFINITY && soft > rl.rlim_max) soft = rl.rlim_max;
    rl.rlim_cur = soft;
    return setrlimit(RLIMIT_FSIZE, &rl);
}

static int raise_fsize_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0) return -1;
    rl.rlim_cur = rl.rlim_max;
    return setrlimit(RLIMIT_FSIZE, &rl);
}

/* Every key reads back as in the model; count and verify agree. */
static int check_model(const srd_store *s, const struct model *m) {
    int ok = 1;
    uint64_t live = 0;
    for (int k = 0; k < NK && ok; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, KEY(k), KLEN(k), &p, &n);
        if (m->len[k] == 0) {
            ok &= CHECK_STATUS(st, SRD_NOT_FOUND);
            if (!ok) fprintf(stderr, "    key %s should be absent\n", key_name[k]);
            continue;
        }
        live++;
        ok &= CHECK_OK(st);
        if (ok) ok &= CHECK_EQ_U(n, m->len[k]);
        if (ok) ok &= CHECK_MSG(tst_sv_equals(m->seed[k], p, n), "key %s: bytes differ", key_name[k]);
    }
    ok &= CHECK_EQ_U(tst_count_of(s), live);
    srd_verify_report rep;
    memset(&rep, 0, sizeof rep);
    ok &= CHECK_OK(srd_verify(s, &rep));
    ok &= CHECK_EQ_U(rep.bad_entries, 0);
    return ok;
}

static int put(srd_store *s, struct model *m, int k, size_t len, uint64_t seed) {
    uint8_t *v = vbytes(seed, len);
    int ok = CHECK_OK(srd_write(s, KEY(k), KLEN(k), v, len));
    free(v);
    if (ok) {
        m->seed[k] = seed;
        m->len[k] = len;
    }
    return ok;
}

/* After a call that should have failed for lack of space: SRD_IO, a message, nothing changed. */
static void expect_full(const char *what, int32_t rc, const srd_store *s, const char *path,
                        const struct model *m, uint64_t size_before) {
    tst_ctx("%s", what);
    g_failures_tried++;
    const char *msg = srd_last_error_message();
    char copy[512];
    snprintf(copy, sizeof copy, "%s", msg ? msg : "");
    CHECK_STATUS(rc, SRD_IO);
    CHECK_MSG(copy[0] != '\0', "no error message");
    CHECK_MSG(strstr(copy, path) != NULL || strstr(copy, "File too large") != NULL ||
                  strstr(copy, "os error 27") != NULL,
              "the message names neither the path nor the OS error: \"%s\"", copy);
    CHECK_EQ(tst_file_len(path), (long long)size_before);
    CHECK_EQ_U(tst_size_of(s), size_before);
    check_model(s, m);
    printf("  %-58s -> %s: \"%s\"\n", what, tst_status_name(rc), copy);
    tst_ctx_clear();
}

static void scenario(void *arg) {
    uint32_t flags = *(const uint32_t *)arg;
    const char *label = flags & SRD_OPEN_SYNC ? "SRD_OPEN_SYNC" : "no sync";
    signal(SIGXFSZ, SIG_IGN);
    const char *path = tst_path(flags & SRD_OPEN_SYNC ? "full-sync.srd" : "full.srd");
    char real[PATH_MAX], tmp[PATH_MAX + 16];
    struct model m;
    memset(&m, 0, sizeof m);
    srd_store *s = NULL;
    REQUIRE(CHECK_OK(srd_open(path, flags, &s)));
    REQUIRE(realpath(path, real) != NULL);
    snprintf(tmp, sizeof tmp, "%s.compact.tmp", real);
    printf("disk full (%s): %s\n", label, path);

    /* earlier data: values of 1 byte to 6 KB, overwrites, a delete (so the tail is unaligned) */
    uint64_t seed = 1000;
    for (int k = 0; k < 30; k++) put(s, &m, k, 1 + (size_t)(k * 211) % 6000, seed++);
    for (int k = 0; k < 10; k++) put(s, &m, k, 100 + (size_t)k * 500, seed++); /* garbage to compact */
    CHECK_OK(srd_delete(s, KEY(29), KLEN(29)));
    m.len[29] = 0;
    REQUIRE(check_model(s, &m));
    uint64_t size = tst_size_of(s);
    REQUIRE(size != UINT64_MAX && size % 64 != 0);

    /* 1. a single write that crosses the limit; then a small one that fits */
    uint8_t *big = vbytes(seed++, 10000);
    REQUIRE(set_fsize_limit(size + 5000) == 0);
    expect_full("srd_write of 10000 bytes, 5000 bytes left", srd_write(s, KEY(30), KLEN(30), big, 10000),
                s, path, &m, size);
    expect_full("srd_write overwriting a key, 5000 bytes left", srd_write(s, KEY(3), KLEN(3), big, 10000),
                s, path, &m, size);
    tst_ctx("small write after a failed one (%s)", label);
    put(s, &m, 31, 100, seed++);
    CHECK_EQ_U(tst_size_of(s), tst_value_entry_end(size, 100));
    size = tst_size_of(s);
    CHECK(check_model(s, &m));

    /* 2. the payload fits, its metadata does not */
    uint64_t pay = tst_align_up(size);
    REQUIRE(set_fsize_limit(pay + 3000 + 10) == 0);
    expect_full("srd_write whose 20 metadata bytes do not fit", srd_write(s, KEY(32), KLEN(32), big, 3000),
                s, path, &m, size);

    /* 3. a batch whose first items fit */
    REQUIRE(set_fsize_limit(size + 4000) == 0);
    {
        srd_kv items[5] = {{KEY(33), KLEN(33), big, 1000},
                           {KEY(4), KLEN(4), big + 1, 1000},
                           {KEY(34), KLEN(34), big + 2, 1000},
                           {KEY(5), KLEN(5), big + 3, 3000},
                           {KEY(35), KLEN(35), big + 4, 10}};
        expect_full("srd_write_batch: 3 of 5 items fit", srd_write_batch(s, items, 5), s, path, &m,
                    size);
    }

    /* 4. a tombstone that does not fit; 5. a delete batch that does not fit */
    REQUIRE(set_fsize_limit(size + 10) == 0);
    expect_full("srd_delete, 10 bytes left (a tombstone is 21)", srd_delete(s, KEY(6), KLEN(6)), s, path,
                &m, size);
    REQUIRE(set_fsize_limit(size + 50) == 0);
    {
        srd_key keys[4] = {{KEY(7), KLEN(7)}, {KEY(8), KLEN(8)}, {KEY(9), KLEN(9)}, {KEY(10), KLEN(10)}};
        expect_full("srd_delete_batch of 4 keys, room for 2 tombstones", srd_delete_batch(s, keys, 4), s,
                    path, &m, size);
    }

    /* 6. a stream that crosses the limit: poisoned, commit fails, store as before */
    REQUIRE(set_fsize_limit(size + 20000) == 0);
    {
        srd_stream *st = NULL;
        tst_ctx("stream crossing the limit (%s)", label);
        if (CHECK_OK(srd_stream_begin(s, KEY(11), KLEN(11), &st))) {
            int32_t rc = SRD_OK;
            int chunks = 0;
            while (rc == SRD_OK && chunks < 100) {
                rc = srd_stream_write(st, big, 4096);
                chunks++;
            }
#ifdef TST_GENERIC_UNIX
            /* The generic Unix path spools every stream to STORE.stream.tmp,
             * which starts empty: the limit stops it after as many chunks. */
            CHECK_EQ(chunks, (int)((size + 20000) / 4096) + 1);
#else
            CHECK_EQ(chunks, 5); /* 4 chunks fit in 20000 bytes, the 5th does not */
#endif
            char msg[512];
            snprintf(msg, sizeof msg, "%s", srd_last_error_message());
            CHECK_STATUS(rc, SRD_IO);
            CHECK_MSG(strstr(msg, path) != NULL || strstr(msg, "File too large") != NULL,
                      "stream write message: \"%s\"", msg);
            printf("  %-58s -> %s: \"%s\"\n", "srd_stream_write past the limit", tst_status_name(rc),
                   msg);
            CHECK_STATUS(srd_stream_write(st, big, 10), SRD_IO); /* poisoned */
            int32_t crc = srd_stream_commit(st);
            expect_full("srd_stream_commit after the failed stream write", crc, s, path, &m, size);
        }
    }

    /* 7. a stream whose data fits but whose metadata does not */
    REQUIRE(set_fsize_limit(tst_align_up(size) + 5000 + 10) == 0);
    {
        srd_stream *st = NULL;
        tst_ctx("stream, metadata does not fit (%s)", label);
        if (CHECK_OK(srd_stream_begin(s, KEY(12), KLEN(12), &st))) {
            CHECK_OK(srd_stream_write(st, big, 2500));
            CHECK_OK(srd_stream_write(st, big + 2500, 2500));
            expect_full("srd_stream_commit whose metadata does not fit", srd_stream_commit(st), s, path,
                        &m, size);
        }
    }

    /* 8. a stream whose alignment padding does not fit */
    REQUIRE(size % 64 != 0 && tst_align_up(size) - size >= 2);
    REQUIRE(set_fsize_limit(size + 1) == 0);
    {
        srd_stream *st = NULL;
        int32_t rc = srd_stream_begin(s, KEY(13), KLEN(13), &st);
#ifdef TST_GENERIC_UNIX
        /* The generic Unix path spools the stream and writes its padding with the value at
         * commit: begin succeeds, the commit is what does not fit. */
        if (CHECK_OK(rc)) {
            CHECK_OK(srd_stream_write(st, big, 10));
            expect_full("srd_stream_commit whose padding does not fit", srd_stream_commit(st), s,
                        path, &m, size);
        }
#else
        if (rc == SRD_OK) srd_stream_abort(st);
        expect_full("srd_stream_begin whose padding does not fit", rc, s, path, &m, size);
#endif
    }

    /* a small write that fits still works, at the right offset */
    REQUIRE(set_fsize_limit(size + 200) == 0);
    tst_ctx("small write between failures (%s)", label);
    uint64_t want_end = tst_value_entry_end(size, 50);
    put(s, &m, 36, 50, seed++);
    CHECK_EQ_U(tst_size_of(s), want_end);
    size = want_end;

    /* 9. compaction with the limit below the compacted size: one byte below it (the very last
       write of the temporary file fails), and a third of the file */
    {
        size_t before_len = 0;
        uint8_t *before = tst_slurp(path, &before_len);
        REQUIRE(before != NULL && before_len == size);
        /* the compacted size, from a clean compaction of a copy */
        const char *copy = tst_path(flags & SRD_OPEN_SYNC ? "copy-sync.srd" : "copy.srd");
        REQUIRE(tst_spit(copy, before, before_len) == 0);
        srd_store *c = NULL;
        REQUIRE(CHECK_OK(srd_open(copy, 0, &c)));
        REQUIRE(CHECK_OK(srd_compact(c)));
        uint64_t compacted = tst_size_of(c);
        srd_close(c);
        remove(copy);
        REQUIRE(compacted < size && compacted > size / 3);
        const rlim_t limits[2] = {(rlim_t)compacted - 1, (rlim_t)(size / 3)};
        const char *names[2] = {"srd_compact, limit 1 byte below the compacted size",
                                "srd_compact, limit at a third of the file"};
        for (int i = 0; i < 2; i++) {
            REQUIRE(set_fsize_limit(limits[i]) == 0);
            int32_t rc = srd_compact(s);
            expect_full(names[i], rc, s, path, &m, size);
            tst_ctx("%s (%s)", names[i], label);
            CHECK_MSG(tst_file_equals(path, before, before_len), "a failed compaction changed the store");
            CHECK_MSG(!tst_file_exists(tmp), "a failed compaction left %s", tmp);
            tst_ctx_clear();
        }
        free(before);
        /* exactly enough room: the compaction fits */
        REQUIRE(set_fsize_limit((rlim_t)compacted) == 0);
        tst_ctx("srd_compact with the limit equal to the compacted size (%s)", label);
        CHECK_OK(srd_compact(s));
        CHECK_EQ_U(tst_size_of(s), compacted);
        CHECK_EQ(tst_file_len(path), (long long)compacted);
        CHECK_MSG(!tst_file_exists(tmp), "compaction left %s", tmp);
        CHECK(check_model(s, &m));
        size = compacted;
        tst_ctx_clear();
    }

    /* the limit raised: everything works again */
    REQUIRE(raise_fsize_limit() == 0);
    tst_ctx("after raising the limit (%s)", label);
    CHECK(put(s, &m, 30, 10000, seed++));
    CHECK(put(s, &m, 3, 10000, seed++));
    {
        uint64_t s1 = seed++, s2 = seed++;
        uint8_t *a = vbytes(s1, 1000), *b = vbytes(s2, 3000);
        srd_kv items[2] = {{KEY(33), KLEN(33), a, 1000}, {KEY(5), KLEN(5), b, 3000}};
        if (CHECK_OK(srd_write_batch(s, items, 2))) {
            m.seed[33] = s1, m.len[33] = 1000;
            m.seed[5] = s2, m.len[5] = 3000;
        }
        free(a);
        free(b);
    }
    if (CHECK_OK(srd_delete(s, KEY(6), KLEN(6)))) m.len[6] = 0;
    {
        srd_key keys[2] = {{KEY(7), KLEN(7)}, {KEY(8), KLEN(8)}};
        if (CHECK_OK(srd_delete_batch(s, keys, 2))) m.len[7] = m.len[8] = 0;
    }
    {
        uint64_t s1 = seed++;
        uint8_t *v = vbytes(s1, 20000);
        srd_stream *st = NULL;
        if (CHECK_OK(srd_stream_begin(s, KEY(11), KLEN(11), &st))) {
            CHECK_OK(srd_stream_write(st, v, 12345));
            CHECK_OK(srd_stream_write(st, v + 12345, 20000 - 12345));
            if (CHECK_OK(srd_stream_commit(st))) m.seed[11] = s1, m.len[11] = 20000;
        }
        free(v);
    }
    CHECK(check_model(s, &m));
    uint64_t pre = tst_size_of(s);
    CHECK_OK(srd_compact(s)); /* the overwrites and deletes above are garbage again */
    CHECK_MSG(tst_size_of(s) < pre, "compaction did not shrink the store");
    CHECK_MSG(!tst_file_exists(tmp), "compaction left its temporary file");
    CHECK(check_model(s, &m));
    srd_close(s);

    s = NULL;
    tst_ctx("reopen (%s)", label);
    if (CHECK_OK(srd_open(path, flags | SRD_OPEN_NO_CREATE, &s))) {
        CHECK(check_model(s, &m));
        srd_close(s);
    }
    tst_ctx_clear();
    free(big);
    printf("disk full (%s): %lu out-of-space failures, each SRD_IO with the store unchanged; "
           "after raising the limit, writes and compaction succeed and survive reopen\n",
           label, g_failures_tried);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_disk_full");
    for (int k = 0; k < NK; k++) snprintf(key_name[k], sizeof key_name[k], "full-key-%02d", k);
    uint32_t modes[2] = {0, SRD_OPEN_SYNC};
    tst_run_in_child("disk full, no sync", 0, TST_CHILD_EXIT, scenario, &modes[0]);
    tst_run_in_child("disk full, SRD_OPEN_SYNC", 0, TST_CHILD_EXIT, scenario, &modes[1]);
    return tst_test_finish();
}

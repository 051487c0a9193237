/*
 * test_streams.c - streaming writes: visibility only after the commit, abort and failed
 * commits that leave the file byte for byte unchanged, SRD_BUSY on the owning thread, other
 * threads waiting for the commit, finishing on another thread, close while streaming, a
 * process killed mid-stream, and I/O failures that poison a stream.
 *
 * Split from test_features.c. Each test_* function states the behaviour it proves.
 * Outputs must be written only on success (checked with sentinels); failures must leave
 * the file untouched.
 */
#include "tst_test.h"
#include "tst_api.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ */
/* streams                                                             */
/* ------------------------------------------------------------------ */

static void test_stream_multi_chunk_value_is_invisible_until_commit_then_exact(void) {
    const char *p = tst_path("stream-big.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "before", "x"); /* the stream's value must be padded to 64 */
    tst_put_str(s, "big", "old-value");
    size_t total = (size_t)tst_scaled(6L << 20, 2L << 20) + 12345;
    uint8_t *data = tst_pattern(total, 4242);
    uint64_t count0 = tst_count_of(s), entries0 = tst_entry_count_of(s), size0 = tst_size_of(s);
    const uint8_t *borrowed = NULL; /* must stay valid while the stream grows the file */
    size_t borrowed_len = 0;
    CHECK_OK(srd_read(s, SRD_U8("big"), 3, &borrowed, &borrowed_len));

    srd_stream *st = tst_begin_stream(s, "big");
    if (!st) {
        free(data);
        srd_close(s);
        return;
    }
    tst_rng rng = {77};
    size_t off = 0;
    int chunks = 0;
    while (off < total) {
        size_t c = 1 + (size_t)tst_rng_below(&rng, 700000);
        if (chunks % 3 == 1) c = 1 + (size_t)tst_rng_below(&rng, 100); /* tiny, uneven */
        if (c > total - off) c = total - off;
        CHECK_OK(srd_stream_write(st, data + off, c));
        CHECK_OK(srd_stream_write(st, data + off, 0)); /* len 0 is a no-op */
        off += c;
        chunks++;
        if (chunks == 3) {
            /* nothing of the value is visible before the commit */
            tst_expect_str(s, "big", "old-value");
            CHECK_EQ_U(tst_count_of(s), count0);
            CHECK_EQ_U(tst_entry_count_of(s), entries0);
            CHECK_EQ_U(tst_size_of(s), size0);
            tst_expect_absent(s, "never-written");
            /* a read-only handle opened now sees the stream's bytes as a torn tail */
            srd_store *ro = tst_open_ro(p);
            if (ro) {
                tst_expect_str(ro, "big", "old-value");
                CHECK_EQ_U(tst_count_of(ro), count0);
                CHECK_EQ_U(tst_size_of(ro), size0);
                srd_close(ro);
            }
            srd_verify_report rep;
            CHECK_OK(srd_verify(s, &rep));
            CHECK_EQ_U(rep.file_size, size0);
        }
    }
    CHECK(chunks >= 6);
    CHECK_OK(srd_stream_commit(st));
    if (CHECK(borrowed != NULL) && CHECK_EQ_U(borrowed_len, 9)) CHECK_MEM(borrowed, "old-value", 9);
    srd_entry *e = NULL;
    if (CHECK_OK(srd_read_entry(s, SRD_U8("big"), 3, &e))) {
        uint32_t crc = 0;
        uint64_t eoff = 0;
        CHECK_OK(srd_entry_checksum(e, &crc));
        CHECK_EQ_U(crc, tst_crc32(data, total));
        CHECK_OK(srd_entry_offset(e, &eoff));
        CHECK_EQ_U(eoff, tst_align_up(size0));
        CHECK_OK(srd_entry_verify(e));
        srd_entry_free(e);
    }

    const uint8_t *v = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, SRD_U8("big"), 3, &v, &n)) && CHECK_EQ_U(n, total)) {
        CHECK_MEM(v, data, total);
        CHECK_EQ_U((uintptr_t)v % 64, 0);
    }
    CHECK_EQ_U(tst_count_of(s), count0);
    CHECK_EQ_U(tst_entry_count_of(s), entries0 + 1);
    CHECK_EQ_U(tst_size_of(s), tst_value_entry_end(size0, total));
    CHECK_EQ(tst_file_len(p), (long long)tst_size_of(s));
    /* the metadata is the format's: hash, prev_tail, CRC-32 of the whole value */
    uint8_t meta[20];
    CHECK(tst_read_file_at(p, tst_size_of(s) - 20, meta, 20));
    CHECK_EQ_U(tst_le64(meta), tst_hash_of("big"));
    CHECK_EQ_U(tst_le64(meta + 8), size0);
    CHECK_EQ_U(tst_le32(meta + 16), tst_crc32(data, total));
    srd_verify_report rep;
    CHECK_OK(srd_verify(s, &rep));
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) {
        free(data);
        return;
    }
    if (CHECK_OK(srd_read(s, SRD_U8("big"), 3, &v, &n)) && CHECK_EQ_U(n, total))
        CHECK_MEM(v, data, total);
    tst_expect_str(s, "before", "x");
    /* a stream by hash, on a store opened with SRD_OPEN_SYNC too */
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_SYNC);
    if (s) {
        srd_stream *st2 = NULL;
        if (CHECK_OK(srd_stream_begin_with_hash(s, tst_hash_of("hashed"), &st2))) {
            CHECK_OK(srd_stream_write(st2, SRD_U8("he"), 2));
            CHECK_OK(srd_stream_write(st2, SRD_U8("llo"), 3));
            CHECK_OK(srd_stream_commit(st2));
        }
        tst_expect_str(s, "hashed", "hello");
        srd_close(s);
    }
    free(data);
}

static void test_stream_abort_leaves_the_file_byte_for_byte_unchanged(void) {
    const char *p = tst_path("stream-abort.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "a", "1");
    tst_put_str(s, "b", "22");
    CHECK_OK(srd_sync(s));
    size_t orig_len = 0;
    uint8_t *orig = tst_slurp(p, &orig_len);
    REQUIRE(orig != NULL);
    uint64_t entries0 = tst_entry_count_of(s);

    size_t big = (size_t)tst_scaled(1L << 20, 256L << 10) + 3;
    uint8_t *data = tst_pattern(big, 5);
    srd_stream *st = tst_begin_stream(s, "a");
    if (st) {
        CHECK_OK(srd_stream_write(st, data, big / 2));
        CHECK_OK(srd_stream_write(st, data + big / 2, big - big / 2));
        srd_stream_abort(st);
    }
    CHECK(tst_file_equals(p, orig, orig_len));
    CHECK_EQ_U(tst_size_of(s), orig_len);
    CHECK_EQ_U(tst_entry_count_of(s), entries0);
    tst_expect_str(s, "a", "1");
    /* an abort with nothing written, and one by hash */
    st = tst_begin_stream(s, "c");
    srd_stream_abort(st);
    CHECK(tst_file_equals(p, orig, orig_len));
    srd_stream *sh = NULL;
    if (CHECK_OK(srd_stream_begin_with_hash(s, tst_hash_of("c"), &sh))) {
        CHECK_OK(srd_stream_write(sh, SRD_U8("zzz"), 3));
        srd_stream_abort(sh);
    }
    CHECK(tst_file_equals(p, orig, orig_len));
    srd_stream_abort(NULL); /* a no-op */

    /* later writes (plain and streamed) work and survive reopen */
    tst_put_str(s, "after", "abort");
    CHECK_EQ_U(tst_size_of(s), tst_value_entry_end(orig_len, 5));
    st = tst_begin_stream(s, "streamed");
    if (st) {
        CHECK_OK(srd_stream_write(st, data, 1000));
        CHECK_OK(srd_stream_commit(st));
    }
    srd_close(s);
    s = tst_open_rw(p);
    if (s) {
        tst_expect_str(s, "a", "1");
        tst_expect_str(s, "b", "22");
        tst_expect_str(s, "after", "abort");
        tst_expect_value(s, "streamed", data, 1000);
        tst_expect_absent(s, "c");
        srd_verify_report rep;
        CHECK_OK(srd_verify(s, &rep));
        CHECK_EQ_U(rep.entries_checked, entries0 + 2);
        srd_close(s);
    }
    free(orig);
    free(data);
}

static void test_stream_on_an_empty_store_starts_at_offset_zero_and_becomes_the_last_value(void) {
    const char *p = tst_path("stream-empty-store.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    srd_stream *st = tst_begin_stream(s, "first");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("abc"), 3));
        srd_stream_abort(st);
    }
    CHECK_EQ(tst_file_len(p), 0);
    CHECK_EQ_U(tst_size_of(s), 0);
    tst_expect_no_last(s);
    st = tst_begin_stream(s, "first");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("abc"), 3));
        CHECK_OK(srd_stream_commit(st));
    }
    CHECK_EQ_U(tst_value_offset(s, "first"), 0);
    CHECK_EQ_U(tst_size_of(s), 3 + 20);
    tst_expect_last(s, "first", "abc");
    tst_put_str(s, "second", "x");
    st = tst_begin_stream(s, "third");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("333"), 3));
        CHECK_OK(srd_stream_commit(st));
    }
    tst_expect_last(s, "third", "333");
    CHECK_EQ_U(tst_value_offset(s, "third"), 128);
    srd_close(s);
}

static void test_stream_commit_of_empty_or_single_zero_byte_is_invalid_and_changes_nothing(void) {
    const char *p = tst_path("stream-invalid.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    size_t orig_len = 0;
    uint8_t *orig = tst_slurp(p, &orig_len);
    REQUIRE(orig != NULL);
    const uint8_t zero = 0;

    srd_stream *st = tst_begin_stream(s, "k");
    if (st) CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_str(s, "k", "v");

    st = tst_begin_stream(s, "k");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("x"), 0));
        CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
    }
    CHECK(tst_file_equals(p, orig, orig_len));

    st = tst_begin_stream(s, "k");
    if (st) {
        CHECK_OK(srd_stream_write(st, &zero, 1));
        CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
        CHECK(srd_last_error_message()[0] != '\0');
    }
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_str(s, "k", "v");
    CHECK_EQ_U(tst_size_of(s), orig_len);

    /* the stream was released by the failed commits: this thread may write again */
    CHECK_OK(srd_write(s, SRD_U8("k2"), 2, SRD_U8("w"), 1));
    /* two zero bytes, or one 0x01, are values */
    st = tst_begin_stream(s, "zz");
    if (st) {
        CHECK_OK(srd_stream_write(st, &zero, 1));
        CHECK_OK(srd_stream_write(st, &zero, 1));
        CHECK_OK(srd_stream_commit(st));
    }
    const uint8_t *v = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, SRD_U8("zz"), 2, &v, &n))) CHECK(n == 2 && v[0] == 0 && v[1] == 0);
    st = tst_begin_stream(s, "one");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("\x01"), 1));
        CHECK_OK(srd_stream_commit(st));
    }
    if (CHECK_OK(srd_read(s, SRD_U8("one"), 3, &v, &n))) CHECK(n == 1 && v[0] == 1);
    srd_close(s);
    s = tst_open_ro(p);
    if (s) {
        tst_expect_str(s, "k", "v");
        if (CHECK_OK(srd_read(s, SRD_U8("zz"), 2, &v, &n))) CHECK_EQ_U(n, 2);
        srd_close(s);
    }
    free(orig);
}

static void test_stream_owner_thread_gets_busy_for_writes_deletes_compaction_and_streams(void) {
    const char *p = tst_path("stream-busy.srd");
    const char *p2 = tst_path("stream-busy-other.srd");
    srd_store *s = tst_open_rw(p);
    srd_store *o = tst_open_rw(p2);
    if (!s || !o) {
        srd_close(s);
        srd_close(o);
        return;
    }
    tst_put_str(s, "k", "v");
    tst_put_str(s, "gone", "soon");
    tst_put_str(o, "ok", "from-other");
    tst_put_str(o, "mv", "move-me");
    srd_stream *st = tst_begin_stream(s, "streamed");
    if (!st) {
        srd_close(s);
        srd_close(o);
        return;
    }
    CHECK_OK(srd_stream_write(st, SRD_U8("abc"), 3));
    uint64_t size0 = tst_size_of(s), entries0 = tst_entry_count_of(s);

    CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, SRD_U8("w"), 1), SRD_BUSY);
    CHECK_STATUS(srd_write(s, SRD_U8("new"), 3, SRD_U8("w"), 1), SRD_BUSY);
    CHECK_STATUS(srd_write_with_hash(s, tst_hash_of("new"), SRD_U8("w"), 1), SRD_BUSY);
    srd_kv kv = {SRD_U8("new"), 3, SRD_U8("w"), 1};
    CHECK_STATUS(srd_write_batch(s, &kv, 1), SRD_BUSY);
    CHECK_STATUS(srd_delete(s, SRD_U8("gone"), 4), SRD_BUSY);
    CHECK_STATUS(srd_delete_with_hash(s, tst_hash_of("gone")), SRD_BUSY);
    srd_key dk = {SRD_U8("gone"), 4};
    CHECK_STATUS(srd_delete_batch(s, &dk, 1), SRD_BUSY);
    CHECK_STATUS(srd_rename(s, SRD_U8("k"), 1, SRD_U8("k3"), 2), SRD_BUSY);
    CHECK_STATUS(srd_compact(s), SRD_BUSY);
    CHECK_STATUS(srd_compact_progress(s, NULL, NULL), SRD_BUSY);
    CHECK_STATUS(srd_copy(o, SRD_U8("ok"), 2, s), SRD_BUSY);
    CHECK_STATUS(srd_move(o, SRD_U8("mv"), 2, s), SRD_BUSY);
    CHECK_OK(srd_exists(o, SRD_U8("mv"), 2)); /* the failed move left the source alone */
    srd_stream *st2 = SENTINEL_STREAM;
    CHECK_STATUS(srd_stream_begin(s, SRD_U8("other"), 5, &st2), SRD_BUSY);
    CHECK_STATUS(srd_stream_begin_with_hash(s, tst_hash_of("other"), &st2), SRD_BUSY);
    CHECK(st2 == SENTINEL_STREAM);
    CHECK(srd_last_error_message()[0] != '\0');

    /* nothing changed, and readers are not blocked */
    CHECK_EQ_U(tst_size_of(s), size0);
    CHECK_EQ_U(tst_entry_count_of(s), entries0);
    tst_expect_str(s, "k", "v");
    tst_expect_str(s, "gone", "soon");
    tst_expect_absent(s, "new");
    tst_expect_absent(s, "k3");
    tst_expect_absent(s, "ok");
    CHECK_OK(srd_exists(s, SRD_U8("k"), 1));
    CHECK_OK(srd_sync(s));
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) srd_iter_free(it);
    /* other stores are unaffected by this thread's stream, even a second stream there */
    CHECK_OK(srd_write(o, SRD_U8("ok2"), 3, SRD_U8("y"), 1));
    srd_stream *so = tst_begin_stream(o, "o-stream");
    if (so) {
        CHECK_OK(srd_stream_write(so, SRD_U8("os"), 2));
        CHECK_OK(srd_stream_commit(so));
        tst_expect_str(o, "o-stream", "os");
    }

    CHECK_OK(srd_stream_commit(st));
    tst_expect_str(s, "streamed", "abc");
    /* after the commit, everything works again from this thread */
    CHECK_OK(srd_write(s, SRD_U8("new"), 3, SRD_U8("w"), 1));
    CHECK_OK(srd_delete(s, SRD_U8("gone"), 4));
    CHECK_OK(srd_rename(s, SRD_U8("k"), 1, SRD_U8("k3"), 2));
    CHECK_OK(srd_copy(o, SRD_U8("ok"), 2, s));
    CHECK_OK(srd_compact(s));
    srd_stream *st3 = tst_begin_stream(s, "again");
    if (st3) {
        CHECK_OK(srd_stream_write(st3, SRD_U8("z"), 1));
        CHECK_OK(srd_stream_commit(st3));
    }
    tst_expect_str(s, "again", "z");
    tst_expect_str(s, "k3", "v");
    tst_expect_str(s, "ok", "from-other");
    srd_close(s);
    srd_close(o);
}

enum blocked_kind { BLOCKED_WRITE, BLOCKED_DELETE, BLOCKED_STREAM, BLOCKED_COMPACT };

struct blocked_op {
    srd_store *s;
    enum blocked_kind kind;
    atomic_int *commit_started;
    atomic_int started;
    atomic_int done;
    int32_t status;
    int saw_commit_started;
};

static void *blocked_op_thread(void *arg) {
    struct blocked_op *b = (struct blocked_op *)arg;
    atomic_store(&b->started, 1);
    switch (b->kind) {
    case BLOCKED_WRITE:
        b->status = srd_write(b->s, SRD_U8("from-thread"), 11, SRD_U8("T"), 1);
        break;
    case BLOCKED_DELETE:
        b->status = srd_delete(b->s, SRD_U8("to-delete"), 9);
        break;
    case BLOCKED_STREAM: {
        srd_stream *st = NULL;
        b->status = srd_stream_begin(b->s, SRD_U8("thread-stream"), 13, &st);
        /* the begin returned: the main stream must already be committing */
        b->saw_commit_started = atomic_load(b->commit_started);
        if (b->status == SRD_OK) {
            srd_stream_write(st, SRD_U8("TS"), 2);
            b->status = srd_stream_commit(st);
        }
        atomic_store(&b->done, 1);
        return NULL;
    }
    case BLOCKED_COMPACT:
        b->status = srd_compact(b->s);
        break;
    }
    b->saw_commit_started = atomic_load(b->commit_started);
    atomic_store(&b->done, 1);
    return NULL;
}

static void test_stream_makes_other_threads_writers_wait_until_commit(void) {
    const char *p = tst_path("stream-blocks.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "to-delete", "x");

    /* round 0: a writer, a deleter and a second stream wait for a commit;
       round 1: a compactor waits for a commit; round 2: a writer waits for an abort */
    const char *const stream_key[] = {"main-stream", "main-stream-2", "main-stream-3"};
    for (int round = 0; round < 3; round++) {
        tst_ctx("round %d", round);
        atomic_int commit_started = 0;
        uint64_t size_before = tst_size_of(s);
        srd_stream *st = tst_begin_stream(s, stream_key[round]);
        if (!st) break;
        CHECK_OK(srd_stream_write(st, SRD_U8("part1-"), 6));
        struct blocked_op ops[3];
        int nops = round == 0 ? 3 : 1;
        pthread_t th[3];
        for (int i = 0; i < nops; i++) {
            memset(&ops[i], 0, sizeof ops[i]);
            ops[i].s = s;
            ops[i].kind = round == 0 ? (enum blocked_kind)i
                          : round == 1 ? BLOCKED_COMPACT
                                       : BLOCKED_WRITE;
            ops[i].commit_started = &commit_started;
            ops[i].status = SENTINEL_STATUS;
            REQUIRE(pthread_create(&th[i], NULL, blocked_op_thread, &ops[i]) == 0);
        }
        for (int i = 0; i < nops; i++)
            while (!atomic_load(&ops[i].started)) usleep(1000);
        usleep(300 * 1000);
        for (int i = 0; i < nops; i++) CHECK_MSG(!atomic_load(&ops[i].done), "op %d finished while the stream was open", i);
        if (round == 0) {
            tst_expect_absent(s, "from-thread");
            tst_expect_str(s, "to-delete", "x");
            tst_expect_absent(s, "thread-stream");
        }
        CHECK_OK(srd_stream_write(st, SRD_U8("part2"), 5));
        atomic_store(&commit_started, 1);
        if (round < 2) CHECK_OK(srd_stream_commit(st));
        else srd_stream_abort(st);
        int all_joined = 1;
        for (int i = 0; i < nops; i++) {
            int joined = tst_join_within(th[i], 60);
            CHECK_MSG(joined, "op %d still blocked 60 s after the commit/abort (deadlock)", i);
            all_joined &= joined;
        }
        if (!all_joined) exit(tst_test_finish());
        for (int i = 0; i < nops; i++) {
            tst_ctx("round %d, op %d", round, i);
            CHECK_OK(ops[i].status);
            CHECK_MSG(ops[i].saw_commit_started, "op %d completed before the commit/abort", i);
        }
        tst_ctx("round %d", round);
        if (round < 2) {
            tst_expect_str(s, stream_key[round], "part1-part2");
        } else {
            /* aborted: the waiting write took the place the stream had */
            tst_expect_absent(s, stream_key[round]);
            tst_expect_str(s, "from-thread", "T");
            CHECK_EQ_U(tst_value_offset(s, "from-thread"), tst_align_up(size_before));
            CHECK_EQ_U(tst_size_of(s), tst_value_entry_end(size_before, 1));
        }
        if (round == 0) {
            /* the waiting writers landed after the stream's value in the file */
            uint64_t ms = tst_value_offset(s, "main-stream");
            CHECK(tst_value_offset(s, "from-thread") > ms);
            CHECK(tst_value_offset(s, "thread-stream") > ms);
            tst_expect_str(s, "from-thread", "T");
            tst_expect_str(s, "thread-stream", "TS");
            tst_expect_absent(s, "to-delete");
        }
    }
    tst_ctx_clear();
    srd_close(s);
    s = tst_open_ro(p);
    if (s) {
        tst_expect_str(s, "main-stream", "part1-part2");
        tst_expect_str(s, "main-stream-2", "part1-part2");
        tst_expect_str(s, "thread-stream", "TS");
        tst_expect_absent(s, "main-stream-3");
        srd_close(s);
    }
}

struct stream_handoff {
    srd_store *s;
    srd_stream *st;
    const uint8_t *data;
    size_t from, to;
    int32_t write_status, commit_status, begin_status;
};

static void *finish_stream_thread(void *arg) {
    struct stream_handoff *h = (struct stream_handoff *)arg;
    h->write_status = srd_stream_write(h->st, h->data + h->from, h->to - h->from);
    h->commit_status = srd_stream_commit(h->st);
    return NULL;
}

static void *begin_stream_thread(void *arg) {
    struct stream_handoff *h = (struct stream_handoff *)arg;
    h->begin_status = srd_stream_begin(h->s, SRD_U8("begun-elsewhere"), 15, &h->st);
    if (h->begin_status == SRD_OK)
        h->write_status = srd_stream_write(h->st, h->data + h->from, h->to - h->from);
    return NULL;
}

static void test_stream_may_be_finished_on_another_thread_than_it_began(void) {
    const char *p = tst_path("stream-handoff.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t *data = tst_pattern(200000, 31);

    /* begun here, finished by another thread */
    struct stream_handoff h = {s, NULL, data, 70000, 200000, -1, -1, -1};
    h.st = tst_begin_stream(s, "handed-off");
    if (h.st) {
        CHECK_OK(srd_stream_write(h.st, data, 70000));
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, finish_stream_thread, &h) == 0);
        CHECK(tst_join_within(t, 60));
        CHECK_OK(h.write_status);
        CHECK_OK(h.commit_status);
        tst_expect_value(s, "handed-off", data, 200000);
        /* the stream is over: this thread is not BUSY any more */
        CHECK_OK(srd_write(s, SRD_U8("after"), 5, SRD_U8("1"), 1));
    }

    /* begun by a thread that then exits, written and committed here */
    struct stream_handoff g = {s, NULL, data, 0, 1000, -1, -1, -1};
    pthread_t t2;
    REQUIRE(pthread_create(&t2, NULL, begin_stream_thread, &g) == 0);
    CHECK(tst_join_within(t2, 60));
    if (CHECK_OK(g.begin_status)) {
        CHECK_OK(g.write_status);
        CHECK_OK(srd_stream_write(g.st, data + 1000, 500));
        CHECK_OK(srd_stream_commit(g.st));
        tst_expect_value(s, "begun-elsewhere", data, 1500);
        CHECK_OK(srd_write(s, SRD_U8("after2"), 6, SRD_U8("2"), 1));
    }
    srd_close(s);
    s = tst_open_ro(p);
    if (s) {
        tst_expect_value(s, "handed-off", data, 200000);
        tst_expect_value(s, "begun-elsewhere", data, 1500);
        tst_expect_str(s, "after2", "2");
        srd_close(s);
    }
    free(data);
}

static void test_stream_keeps_a_closed_store_and_its_lock_alive_until_finished(void) {
    const char *p = tst_path("stream-close.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    size_t orig_len = 0;
    uint8_t *orig = tst_slurp(p, &orig_len);
    REQUIRE(orig != NULL);

    /* close, then commit */
    srd_stream *st = tst_begin_stream(s, "late");
    if (!st) {
        srd_close(s);
        free(orig);
        return;
    }
    CHECK_OK(srd_stream_write(st, SRD_U8("first-"), 6));
    srd_close(s);
    srd_store *x = SENTINEL_STORE;
    CHECK_STATUS(srd_open(p, 0, &x), SRD_LOCKED); /* the stream holds the writer lock */
    CHECK(x == SENTINEL_STORE);
    srd_store *ro = tst_open_ro(p);
    if (ro) {
        tst_expect_absent(ro, "late");
        srd_close(ro);
    }
    CHECK_OK(srd_stream_write(st, SRD_U8("second"), 6));
    CHECK_OK(srd_stream_commit(st));
    s = tst_open_rw(p); /* the lock was released with the stream */
    if (!s) {
        free(orig);
        return;
    }
    tst_expect_str(s, "late", "first-second");
    tst_expect_str(s, "k", "v");
    srd_close(s);

    /* close, then abort: file as it was, lock released */
    REQUIRE(tst_spit(p, orig, orig_len) == 0);
    s = tst_open_rw(p);
    if (!s) {
        free(orig);
        return;
    }
    st = tst_begin_stream(s, "aborted");
    if (st) {
        CHECK_OK(srd_stream_write(st, orig, orig_len));
        srd_close(s);
        CHECK_STATUS(srd_open(p, 0, &x), SRD_LOCKED);
        srd_stream_abort(st);
    } else {
        srd_close(s);
    }
    CHECK(tst_file_equals(p, orig, orig_len));
    s = tst_open_rw(p);
    if (s) {
        tst_expect_absent(s, "aborted");
        tst_expect_str(s, "k", "v");
        srd_close(s);
    }
    free(orig);
}

static void test_stream_rejects_read_only_stores_and_null_arguments(void) {
    const char *p = tst_path("stream-errors.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    srd_close(s);
    long long len0 = tst_file_len(p);

    srd_store *ro = tst_open_ro(p);
    if (ro) {
        srd_stream *st = SENTINEL_STREAM;
        CHECK_STATUS(srd_stream_begin(ro, SRD_U8("k"), 1, &st), SRD_READ_ONLY);
        CHECK_STATUS(srd_stream_begin_with_hash(ro, tst_hash_of("k"), &st), SRD_READ_ONLY);
        CHECK(st == SENTINEL_STREAM);
        srd_close(ro);
    }
    CHECK_EQ(tst_file_len(p), len0);

    s = tst_open_rw(p);
    if (!s) return;
    srd_stream *st = SENTINEL_STREAM;
    CHECK_STATUS(srd_stream_begin(NULL, SRD_U8("k"), 1, &st), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_begin(s, NULL, 1, &st), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_begin(s, SRD_U8("k"), 0, &st), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_begin(s, SRD_U8("k"), 1, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_begin_with_hash(NULL, 1, &st), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_begin_with_hash(s, 1, NULL), SRD_INVALID_ARGUMENT);
    CHECK(st == SENTINEL_STREAM);
    CHECK_STATUS(srd_stream_write(NULL, SRD_U8("x"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_commit(NULL), SRD_INVALID_ARGUMENT);
    srd_stream_abort(NULL);
    CHECK_EQ(tst_file_len(p), len0);
    /* the failed begins left no stream behind: this thread may write */
    CHECK_OK(srd_write(s, SRD_U8("k"), 1, SRD_U8("w"), 1));

    /* a NULL data pointer with a length is refused and adds nothing to the value */
    st = tst_begin_stream(s, "nd");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("ab"), 2));
        CHECK_OK(srd_stream_write(st, NULL, 0));
        CHECK_STATUS(srd_stream_write(st, NULL, 5), SRD_INVALID_ARGUMENT);
        CHECK_OK(srd_stream_write(st, SRD_U8("cd"), 2));
        CHECK_OK(srd_stream_commit(st));
        tst_expect_str(s, "nd", "abcd");
    }
    srd_close(s);
}

/* `test_streams --crash-mid-stream <path>`: begins a stream, writes 1 MiB, dies. */
static int crash_mid_stream(const char *path) {
    srd_store *s = NULL;
    if (srd_open(path, 0, &s) != SRD_OK) return 10;
    srd_stream *st = NULL;
    if (srd_stream_begin(s, SRD_U8("doomed"), 6, &st) != SRD_OK) return 11;
    static uint8_t chunk[1 << 16];
    memset(chunk, 0x5C, sizeof chunk);
    for (int i = 0; i < 16; i++)
        if (srd_stream_write(st, chunk, sizeof chunk) != SRD_OK) return 12;
    _exit(0); /* no commit, no abort, no close: as if the process crashed */
}

static void test_stream_cut_short_by_a_crash_is_recovered_on_open(void) {
    const char *p = tst_path("stream-crash.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "kept", "yes");
    srd_close(s);
    size_t orig_len = 0;
    uint8_t *orig = tst_slurp(p, &orig_len);
    REQUIRE(orig != NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        execl(tst_self_exe(), tst_self_exe(), "--crash-mid-stream", p, (char *)NULL);
        _exit(99);
    }
    int wst = 0;
    REQUIRE(waitpid(pid, &wst, 0) == pid);
    CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
#ifdef TST_GENERIC_UNIX
    /* The generic Unix path has no range locks to mark a stream written in
     * place: it is spooled beside the store, which a crash leaves behind. */
    CHECK(tst_file_len(p) == (long long)orig_len);
    {
        char spool[4096];
        snprintf(spool, sizeof spool, "%s.stream.tmp", p);
        CHECK(tst_file_len(spool) > (1 << 20) - 1); /* the bytes reached the spool */
    }
#else
    CHECK(tst_file_len(p) > (long long)orig_len + (1 << 20) - 1); /* the bytes reached the file */
#endif
    s = tst_open_ro(p); /* read-only: recovered in memory */
    if (s) {
        tst_expect_absent(s, "doomed");
        tst_expect_str(s, "kept", "yes");
        CHECK_EQ_U(tst_size_of(s), orig_len);
        srd_verify_report r;
        CHECK_OK(srd_verify(s, &r));
        CHECK_EQ_U(r.file_size, orig_len);
        CHECK_EQ_U(r.entries_checked, 1);
        srd_close(s);
    }
    s = tst_open_rw(p); /* read-write: cut back */
    if (s) {
        tst_expect_absent(s, "doomed");
        CHECK(tst_file_equals(p, orig, orig_len));
        tst_put_str(s, "after", "crash");
        srd_close(s);
    }
    free(orig);
}

/* Lowers RLIMIT_FSIZE so that writes past `limit` bytes of any file fail with EFBIG. */
static int set_file_size_limit(rlim_t limit) {
    struct rlimit r;
    if (getrlimit(RLIMIT_FSIZE, &r) != 0) return 0;
    r.rlim_cur = limit;
    return setrlimit(RLIMIT_FSIZE, &r) == 0;
}

static void test_io_failures_poison_streams_and_leave_every_file_unchanged(void) {
    const char *p = tst_path("io-fail.srd");
    const char *p2 = tst_path("io-fail-src.srd");
    struct rlimit saved;
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
    srd_store *s = tst_open_rw(p);
    srd_store *src = tst_open_rw(p2);
    if (!s || !src) {
        srd_close(s);
        srd_close(src);
        return;
    }
    uint8_t *big = tst_pattern(100000, 17);
    tst_put_str(s, "k", "v");
    tst_put(s, "old", big, 1000);
    tst_put(src, "mv-big", big, 2000);
    size_t orig_len = 0;
    uint8_t *orig = tst_slurp(p, &orig_len);
    REQUIRE(orig != NULL);
    REQUIRE(set_file_size_limit(64 * 1024));

    /* 1. a stream write past the limit: SRD_IO, the stream is poisoned, commit fails */
    srd_stream *st = tst_begin_stream(s, "big");
    if (st) {
        CHECK_OK(srd_stream_write(st, big, 40000));
        CHECK_STATUS(srd_stream_write(st, big + 40000, 40000), SRD_IO);
        CHECK(srd_last_error_message()[0] != '\0');
        CHECK(srd_stream_write(st, SRD_U8("x"), 1) != SRD_OK);
        /* still this thread's stream until it is finished */
        CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, SRD_U8("w"), 1), SRD_BUSY);
        tst_expect_absent(s, "big");
        CHECK_STATUS(srd_stream_commit(st), SRD_IO);
    }
    CHECK(tst_file_equals(p, orig, orig_len));
    CHECK_EQ_U(tst_size_of(s), orig_len);
    tst_expect_absent(s, "big");
    tst_expect_str(s, "k", "v");

    /* 2. a poisoned stream that is aborted */
    st = tst_begin_stream(s, "big");
    if (st) {
        CHECK_STATUS(srd_stream_write(st, big, 100000), SRD_IO);
        srd_stream_abort(st);
    }
    CHECK(tst_file_equals(p, orig, orig_len));

    /* 3. the payload fits but the commit's metadata does not */
    REQUIRE(set_file_size_limit((rlim_t)(tst_align_up(orig_len) + 1000 + 10)));
    st = tst_begin_stream(s, "meta");
    if (st) {
        CHECK_OK(srd_stream_write(st, big, 1000));
        CHECK_STATUS(srd_stream_commit(st), SRD_IO);
    }
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_absent(s, "meta");

    /* 4. appends by hash, rename and move past the limit: SRD_IO, nothing changed */
    REQUIRE(set_file_size_limit((rlim_t)(orig_len + 100)));
    CHECK_STATUS(srd_write_with_hash(s, tst_hash_of("h"), big, 5000), SRD_IO);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("new"), 3), SRD_IO);
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_value(s, "old", big, 1000);
    tst_expect_absent(s, "new");
    CHECK_STATUS(srd_exists_with_hash(s, tst_hash_of("h")), SRD_NOT_FOUND);
    tst_ctx("move into a destination past the limit");
    CHECK_STATUS(srd_move(src, SRD_U8("mv-big"), 6, s), SRD_IO);
    CHECK_STATUS(srd_copy(src, SRD_U8("mv-big"), 6, s), SRD_IO);
    tst_expect_value(src, "mv-big", big, 2000); /* never lost */
    tst_expect_absent(s, "mv-big");
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_ctx_clear();

    /* 5. compaction whose new file cannot be written: SRD_IO, store unchanged */
    REQUIRE(set_file_size_limit(200));
    struct tst_progress_log log;
    memset(&log, 0, sizeof log);
    CHECK_STATUS(srd_compact_progress(s, tst_progress_cb, &log), SRD_IO);
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_value(s, "old", big, 1000);

    /* the limit lifted, everything works again and survives reopen */
    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, SIG_DFL);
    st = tst_begin_stream(s, "big");
    if (st) {
        CHECK_OK(srd_stream_write(st, big, 100000));
        CHECK_OK(srd_stream_commit(st));
    }
    CHECK_OK(srd_rename(s, SRD_U8("old"), 3, SRD_U8("new"), 3));
    CHECK_OK(srd_move(src, SRD_U8("mv-big"), 6, s));
    CHECK_OK(srd_compact(s));
    srd_close(s);
    srd_close(src);
    s = tst_open_ro(p);
    if (s) {
        tst_expect_value(s, "big", big, 100000);
        tst_expect_value(s, "new", big, 1000);
        tst_expect_value(s, "mv-big", big, 2000);
        tst_expect_str(s, "k", "v");
        srd_verify_report r;
        CHECK_OK(srd_verify(s, &r));
        srd_close(s);
    }
    free(orig);
    free(big);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--crash-mid-stream") == 0) return crash_mid_stream(argv[2]);
    tst_self_exe(); /* resolved before any fork */
    tst_test_init(argc, argv, "test_streams");

    test_stream_multi_chunk_value_is_invisible_until_commit_then_exact();
    test_stream_abort_leaves_the_file_byte_for_byte_unchanged();
    test_stream_on_an_empty_store_starts_at_offset_zero_and_becomes_the_last_value();
    test_stream_commit_of_empty_or_single_zero_byte_is_invalid_and_changes_nothing();
    test_stream_owner_thread_gets_busy_for_writes_deletes_compaction_and_streams();
    test_stream_makes_other_threads_writers_wait_until_commit();
    test_stream_may_be_finished_on_another_thread_than_it_began();
    test_stream_keeps_a_closed_store_and_its_lock_alive_until_finished();
    test_stream_rejects_read_only_stores_and_null_arguments();
    test_stream_cut_short_by_a_crash_is_recovered_on_open();
    test_io_failures_poison_streams_and_leave_every_file_unchanged();
    return tst_test_finish();
}

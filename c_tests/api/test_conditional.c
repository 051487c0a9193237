/*
 * test_conditional.c - the conditional writes of 0.1.2: srd_write_if_absent,
 * srd_write_if_version, srd_delete_if_version, srd_version_of and SRD_CONFLICT.
 *
 * Each test_* function states the behaviour it proves. A conflict must write nothing (the
 * file keeps its size and bytes); a version is the offset srd_entry_offset gives for the
 * entry srd_read_entry returns; compaction moves versions; read-only handles refuse the
 * writes but answer srd_version_of; a thread holding a stream gets SRD_BUSY; a
 * compare-and-swap counter driven by several threads through one handle loses nothing.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_robust.h"

#include <pthread.h>

#define K(s) SRD_U8(s), strlen(s)

static uint64_t version_of(const srd_store *s, const char *key) {
    uint64_t v = SENTINEL_U64;
    if (!CHECK_OK(srd_version_of(s, K(key), &v))) return SENTINEL_U64;
    return v;
}

/* ------------------------------------------------------------------ */

static void test_write_if_absent_writes_only_when_the_key_has_no_live_value(void) {
    const char *p = tst_path("absent.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_write_if_absent(s, K("a"), SRD_U8("first"), 5));
    tst_expect_str(s, "a", "first");

    struct tst_snap before;
    tst_snap_take(&before, p);
    uint64_t size0 = tst_size_of(s), entries0 = tst_entry_count_of(s);
    CHECK_STATUS(srd_write_if_absent(s, K("a"), SRD_U8("second"), 6), SRD_CONFLICT);
    CHECK(strlen(srd_last_error_message()) > 0);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    CHECK_SAME_BYTES(&before, p); /* a conflict writes nothing */
    CHECK_EQ_U(tst_size_of(s), size0);
    CHECK_EQ_U(tst_entry_count_of(s), entries0);
    tst_expect_str(s, "a", "first");
    tst_snap_free(&before);

    /* A deleted key has no live value: the write goes through. */
    CHECK_OK(srd_delete(s, K("a")));
    CHECK_OK(srd_write_if_absent(s, K("a"), SRD_U8("third"), 5));
    tst_expect_str(s, "a", "third");
    /* The same key written by hash is the same key. */
    uint64_t h = tst_hash_of("b");
    CHECK_OK(srd_write_with_hash(s, h, SRD_U8("by-hash"), 7));
    CHECK_STATUS(srd_write_if_absent(s, K("b"), SRD_U8("by-name"), 7), SRD_CONFLICT);
    tst_expect_str(s, "b", "by-hash");
    srd_close(s);

    s = tst_open_ro(p);
    if (!s) return;
    tst_expect_str(s, "a", "third");
    tst_expect_str(s, "b", "by-hash");
    srd_close(s);
}

static void test_version_is_the_entry_offset_and_changes_on_every_write(void) {
    const char *p = tst_path("version.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint64_t v = SENTINEL_U64;
    CHECK_STATUS(srd_version_of(s, K("k"), &v), SRD_NOT_FOUND);
    CHECK_EQ_U(v, SENTINEL_U64);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    tst_put_str(s, "pad", "x");
    tst_put_str(s, "k", "v1");
    uint64_t v1 = version_of(s, "k");
    CHECK_EQ_U(v1, tst_value_offset(s, "k"));
    CHECK_EQ_U(v1 % 64, 0);
    srd_entry *e = NULL;
    if (CHECK_OK(srd_read_entry(s, K("k"), &e))) {
        uint64_t off = 0;
        CHECK_OK(srd_entry_offset(e, &off));
        CHECK_EQ_U(off, v1);
        /* The version's bytes in the file are the value. */
        char buf[2];
        CHECK(tst_read_file_at(p, v1, buf, 2) && memcmp(buf, "v1", 2) == 0);
        srd_entry_free(e);
    }
    /* Writing another key does not change k's version. */
    tst_put_str(s, "other", "o");
    CHECK_EQ_U(version_of(s, "k"), v1);

    /* write_if_version with the right version: a new version. */
    CHECK_OK(srd_write_if_version(s, K("k"), v1, SRD_U8("v2"), 2));
    uint64_t v2 = version_of(s, "k");
    CHECK(v2 > v1);
    tst_expect_str(s, "k", "v2");

    /* The old version conflicts now; nothing is written. */
    struct tst_snap before;
    tst_snap_take(&before, p);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v1, SRD_U8("stale"), 5), SRD_CONFLICT);
    CHECK_STATUS(srd_delete_if_version(s, K("k"), v1), SRD_CONFLICT);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v2 + 64, SRD_U8("wrong"), 5), SRD_CONFLICT);
    CHECK_STATUS(srd_write_if_version(s, K("nokey"), 0, SRD_U8("x"), 1), SRD_CONFLICT);
    CHECK_STATUS(srd_delete_if_version(s, K("nokey"), 0), SRD_CONFLICT);
    CHECK_STATUS(srd_write_if_version(s, K("nokey"), UINT64_MAX, SRD_U8("x"), 1), SRD_CONFLICT);
    CHECK_SAME_BYTES(&before, p);
    tst_snap_free(&before);
    tst_expect_str(s, "k", "v2");

    /* A plain overwrite makes a new version too: the CAS with v2 conflicts. */
    tst_put_str(s, "k", "v3");
    uint64_t v3 = version_of(s, "k");
    CHECK(v3 != v2);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v2, SRD_U8("x"), 1), SRD_CONFLICT);
    tst_expect_str(s, "k", "v3");

    /* delete_if_version with the right version deletes; then no version, and a CAS conflicts. */
    CHECK_OK(srd_delete_if_version(s, K("k"), v3));
    tst_expect_absent(s, "k");
    v = SENTINEL_U64;
    CHECK_STATUS(srd_version_of(s, K("k"), &v), SRD_NOT_FOUND);
    CHECK_EQ_U(v, SENTINEL_U64);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v3, SRD_U8("x"), 1), SRD_CONFLICT);
    CHECK_STATUS(srd_delete_if_version(s, K("k"), v3), SRD_CONFLICT);
    srd_close(s);

    s = tst_open_ro(p);
    if (!s) return;
    tst_expect_absent(s, "k");
    tst_expect_str(s, "other", "o");
    srd_close(s);
}

static void test_compaction_changes_versions_so_old_versions_conflict(void) {
    const char *p = tst_path("compact.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t big[5000];
    tst_fill_pattern(big, sizeof big, 3);
    tst_put(s, "dead", big, sizeof big);
    tst_put_str(s, "dead", "gone soon");
    CHECK_OK(srd_delete(s, K("dead")));
    tst_put_str(s, "k", "before compaction");
    uint64_t v_before = version_of(s, "k");
    CHECK_OK(srd_compact(s));
    uint64_t v_after = version_of(s, "k");
    CHECK(v_after != v_before);
    CHECK_EQ_U(v_after, tst_value_offset(s, "k"));
    CHECK_STATUS(srd_write_if_version(s, K("k"), v_before, SRD_U8("x"), 1), SRD_CONFLICT);
    CHECK_STATUS(srd_delete_if_version(s, K("k"), v_before), SRD_CONFLICT);
    tst_expect_str(s, "k", "before compaction");
    CHECK_OK(srd_write_if_version(s, K("k"), v_after, SRD_U8("after"), 5));
    tst_expect_str(s, "k", "after");
    srd_close(s);
    /* Versions survive a reopen unchanged (they are file offsets). */
    s = tst_open_rw(p);
    if (!s) return;
    uint64_t v = version_of(s, "k");
    CHECK_EQ_U(v, tst_value_offset(s, "k"));
    CHECK_OK(srd_delete_if_version(s, K("k"), v));
    srd_close(s);
}

static void test_read_only_handle_refuses_conditional_writes_but_gives_versions(void) {
    const char *p = tst_path("ro.srd");
    srd_store *w = tst_open_rw(p);
    if (!w) return;
    tst_put_str(w, "k", "value");
    uint64_t v = version_of(w, "k");
    srd_close(w);
    srd_store *r = tst_open_ro(p);
    if (!r) return;
    struct tst_snap before;
    tst_snap_take(&before, p);
    CHECK_EQ_U(version_of(r, "k"), v);
    CHECK_STATUS(srd_write_if_absent(r, K("new"), SRD_U8("x"), 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_write_if_version(r, K("k"), v, SRD_U8("x"), 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete_if_version(r, K("k"), v), SRD_READ_ONLY);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    CHECK_UNCHANGED(&before, p);
    tst_snap_free(&before);
    tst_expect_str(r, "k", "value");
    srd_close(r);
}

static void test_conditional_writes_on_a_streaming_thread_are_busy_and_change_nothing(void) {
    const char *p = tst_path("busy.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "value");
    uint64_t v = version_of(s, "k");
    uint64_t size0 = tst_size_of(s);
    srd_stream *st = tst_begin_stream(s, "streamed");
    if (!st) {
        srd_close(s);
        return;
    }
    CHECK_OK(srd_stream_write(st, SRD_U8("streamed bytes"), 14));
    CHECK_STATUS(srd_write_if_absent(s, K("new"), SRD_U8("x"), 1), SRD_BUSY);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v, SRD_U8("x"), 1), SRD_BUSY);
    CHECK_STATUS(srd_delete_if_version(s, K("k"), v), SRD_BUSY);
    /* srd_version_of is a read: it works beside the stream. */
    CHECK_EQ_U(version_of(s, "k"), v);
    CHECK_OK(srd_stream_commit(st));
    tst_expect_absent(s, "new");
    tst_expect_str(s, "k", "value");
    tst_expect_str(s, "streamed", "streamed bytes");
    CHECK(tst_size_of(s) > size0);
    CHECK_EQ_U(version_of(s, "k"), v);
    CHECK_OK(srd_write_if_version(s, K("k"), v, SRD_U8("x"), 1));
    srd_close(s);
}

static void test_conflict_status_has_its_own_text(void) {
    CHECK_EQ(SRD_CONFLICT, 10);
    const char *t = srd_status_str(SRD_CONFLICT);
    CHECK(t != NULL && strlen(t) > 0);
    if (t) {
        CHECK(strstr(t, "conflict") != NULL);
        CHECK(strcmp(t, srd_status_str(999)) != 0);
        for (int32_t k = 0; k < SRD_CONFLICT; k++) CHECK_MSG(strcmp(t, srd_status_str(k)) != 0, "same text as %d", k);
    }
}

static void test_conditional_functions_validate_their_arguments(void) {
    const char *p = tst_path("args.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "value");
    uint64_t v = version_of(s, "k");
    struct tst_snap before;
    tst_snap_take(&before, p);
    const uint8_t *x = SRD_U8("x");
    const uint8_t zero = 0;
    /* srd_write_if_absent */
    CHECK_STATUS(srd_write_if_absent(NULL, K("n"), x, 1), SRD_INVALID_ARGUMENT);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    CHECK(strlen(srd_last_error_message()) > 0);
    CHECK_STATUS(srd_write_if_absent(s, NULL, 3, x, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_absent(s, x, 0, x, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_absent(s, NULL, 0, x, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_absent(s, K("n"), NULL, 4), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_absent(s, K("n"), x, 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_absent(s, K("n"), NULL, 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_absent(s, K("n"), &zero, 1), SRD_INVALID_ARGUMENT);
    /* an invalid argument is reported before the condition: even for a present key */
    CHECK_STATUS(srd_write_if_absent(s, K("k"), &zero, 1), SRD_INVALID_ARGUMENT);
    /* srd_write_if_version */
    CHECK_STATUS(srd_write_if_version(NULL, K("k"), v, x, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_version(s, NULL, 1, v, x, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_version(s, x, 0, v, x, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v, NULL, 2), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v, x, 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_if_version(s, K("k"), v, &zero, 1), SRD_INVALID_ARGUMENT);
    /* srd_delete_if_version */
    CHECK_STATUS(srd_delete_if_version(NULL, K("k"), v), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_delete_if_version(s, NULL, 1, v), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_delete_if_version(s, x, 0, v), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_delete_if_version(s, NULL, 0, v), SRD_INVALID_ARGUMENT);
    /* srd_version_of: outputs untouched */
    uint64_t out = SENTINEL_U64;
    CHECK_STATUS(srd_version_of(NULL, K("k"), &out), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_version_of(s, K("k"), NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_version_of(s, NULL, 1, &out), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_version_of(s, x, 0, &out), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_version_of(s, NULL, 0, &out), SRD_INVALID_ARGUMENT);
    CHECK_EQ_U(out, SENTINEL_U64);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    CHECK_SAME_BYTES(&before, p);
    tst_snap_free(&before);
    tst_expect_str(s, "k", "value");
    tst_expect_absent(s, "n");
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* A compare-and-swap counter on several threads of one handle         */
/* ------------------------------------------------------------------ */

#define CAS_THREADS 4
struct cas_arg {
    srd_store *s;
    long incs;
    long conflicts;
    long errors;
};

static void *cas_worker(void *p) {
    struct cas_arg *a = (struct cas_arg *)p;
    for (long i = 0; i < a->incs;) {
        uint64_t v = 0;
        const uint8_t *val = NULL;
        size_t n = 0;
        /* version first, then the value: a value from a newer version can only make the
         * CAS below conflict, never succeed with a stale count. */
        srd_status st = srd_version_of(a->s, K("counter"), &v);
        if (st != SRD_OK) {
            a->errors++;
            return NULL;
        }
        srd_entry *e = NULL;
        if (srd_read_entry(a->s, K("counter"), &e) != SRD_OK) {
            a->errors++;
            return NULL;
        }
        val = srd_entry_data(e, &n);
        uint64_t off = 0;
        srd_entry_offset(e, &off);
        uint64_t cur = 0;
        if (n == 8) memcpy(&cur, val, 8);
        srd_entry_free(e);
        if (off != v) { /* raced with a writer between the two reads: retry */
            a->conflicts++;
            continue;
        }
        cur++;
        st = srd_write_if_version(a->s, K("counter"), v, (const uint8_t *)&cur, 8);
        if (st == SRD_OK)
            i++;
        else if (st == SRD_CONFLICT)
            a->conflicts++;
        else {
            a->errors++;
            return NULL;
        }
    }
    return NULL;
}

static void test_cas_counter_on_several_threads_loses_no_increment(void) {
    const char *p = tst_path("cas.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint64_t start = 0x100; /* 8 bytes, never the single 0x00 byte */
    CHECK_OK(srd_write(s, K("counter"), (const uint8_t *)&start, 8));
    long per = tst_scaled(1500, 50);
    struct cas_arg args[CAS_THREADS];
    pthread_t th[CAS_THREADS];
    for (int t = 0; t < CAS_THREADS; t++) {
        args[t] = (struct cas_arg){s, per, 0, 0};
        REQUIRE(pthread_create(&th[t], NULL, cas_worker, &args[t]) == 0);
    }
    long conflicts = 0;
    for (int t = 0; t < CAS_THREADS; t++) {
        CHECK(tst_join_within(th[t], 300));
        CHECK_EQ(args[t].errors, 0);
        conflicts += args[t].conflicts;
    }
    const uint8_t *v = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, K("counter"), &v, &n)) && CHECK_EQ_U(n, 8)) {
        uint64_t c;
        memcpy(&c, v, 8);
        CHECK_EQ_U(c, 0x100 + (uint64_t)per * CAS_THREADS);
    }
    /* every successful CAS appended exactly one entry */
    CHECK_EQ_U(tst_entry_count_of(s), 1 + (uint64_t)per * CAS_THREADS);
    printf("  CAS counter: %d threads x %ld increments, %ld conflicts retried, none lost\n",
           CAS_THREADS, per, conflicts);
    srd_close(s);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_conditional");
    test_write_if_absent_writes_only_when_the_key_has_no_live_value();
    test_version_is_the_entry_offset_and_changes_on_every_write();
    test_compaction_changes_versions_so_old_versions_conflict();
    test_read_only_handle_refuses_conditional_writes_but_gives_versions();
    test_conditional_writes_on_a_streaming_thread_are_busy_and_change_nothing();
    test_conflict_status_has_its_own_text();
    test_conditional_functions_validate_their_arguments();
    test_cas_counter_on_several_threads_loses_no_increment();
    return tst_test_finish();
}

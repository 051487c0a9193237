/*
 * test_verify.c - srd_verify (exact report totals, flipped bytes, a read-only store with a
 * torn tail), compaction progress, srd_reclaimable_bytes and srd_entry_count.
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
/* verify, compaction progress, reclaimable bytes, entry count          */
/* ------------------------------------------------------------------ */

static void fill_report_sentinels(srd_verify_report *r) {
    r->entries_checked = r->bytes_checked = r->file_size = r->first_bad_offset = r->bad_entries =
        SENTINEL_U64;
}

static void test_verify_reports_a_sound_store_with_exact_totals(void) {
    const char *p = tst_path("verify-ok.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    srd_verify_report r;
    fill_report_sentinels(&r);
    CHECK_OK(srd_verify(s, &r)); /* empty store */
    CHECK_EQ_U(r.entries_checked, 0);
    CHECK_EQ_U(r.bytes_checked, 0);
    CHECK_EQ_U(r.file_size, 0);
    CHECK_EQ_U(r.first_bad_offset, UINT64_MAX);
    CHECK_EQ_U(r.bad_entries, 0);

    /* values, overwrites, tombstones, a batch, a stream: count every entry and payload byte */
    uint64_t entries = 0, payload = 0;
    tst_rng rng = {3};
    int nkeys = (int)tst_scaled(400, 30);
    for (int i = 0; i < nkeys; i++) {
        char k[16];
        snprintf(k, sizeof k, "v%d", i % (nkeys / 2));
        size_t len = 1 + (size_t)tst_rng_below(&rng, 5000);
        uint8_t *v = tst_pattern(len, (uint32_t)i);
        tst_put(s, k, v, len);
        free(v);
        entries++;
        payload += len;
        if (i % 7 == 3) {
            CHECK_OK(srd_delete(s, SRD_U8(k), strlen(k)));
            entries++;
            payload += 1;
        }
    }
    srd_kv kv[3] = {{SRD_U8("b1"), 2, SRD_U8("x"), 1},
                    {SRD_U8("b2"), 2, SRD_U8("yy"), 2},
                    {SRD_U8("b1"), 2, SRD_U8("zzz"), 3}};
    CHECK_OK(srd_write_batch(s, kv, 3));
    entries += 3;
    payload += 6;
    srd_stream *st = tst_begin_stream(s, "streamed");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("12345"), 5));
        CHECK_OK(srd_stream_commit(st));
        entries++;
        payload += 5;
    }
    CHECK_EQ_U(tst_entry_count_of(s), entries);

    for (int with_cb = 0; with_cb < 3; with_cb++) {
        tst_ctx("variant %d", with_cb);
        fill_report_sentinels(&r);
        struct tst_progress_log log;
        memset(&log, 0, sizeof log);
        if (with_cb == 0) CHECK_OK(srd_verify(s, &r));
        else if (with_cb == 1) CHECK_OK(srd_verify_progress(s, &r, tst_progress_cb, &log));
        else CHECK_OK(srd_verify_progress(s, &r, NULL, NULL));
        CHECK_EQ_U(r.entries_checked, entries);
        CHECK_EQ_U(r.bytes_checked, payload);
        CHECK_EQ_U(r.file_size, tst_size_of(s));
        CHECK_EQ_U(r.first_bad_offset, UINT64_MAX);
        CHECK_EQ_U(r.bad_entries, 0);
        if (with_cb == 1) tst_check_progress(&log, tst_size_of(s));
    }
    tst_ctx_clear();
    srd_close(s);
    s = tst_open_ro(p);
    if (s) {
        fill_report_sentinels(&r);
        CHECK_OK(srd_verify(s, &r));
        CHECK_EQ_U(r.entries_checked, entries);
        CHECK_EQ_U(r.file_size, (uint64_t)tst_file_len(p));
        CHECK_EQ_U(tst_entry_count_of(s), entries);
        CHECK_STATUS(srd_verify(NULL, &r), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_verify(s, NULL), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_verify_progress(NULL, &r, NULL, NULL), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_verify_progress(s, NULL, tst_progress_cb, NULL), SRD_INVALID_ARGUMENT);
        srd_close(s);
    }
}

static void test_verify_finds_flipped_payload_bytes_and_fills_the_report(void) {
    const char *p = tst_path("verify-src.srd");
    const char *c1 = tst_path("verify-copy1.srd");
    const char *c2 = tst_path("verify-copy2.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    char keys[6][8];
    uint64_t offs[6];
    size_t lens[6];
    for (int i = 0; i < 6; i++) {
        snprintf(keys[i], sizeof keys[i], "f%d", i);
        lens[i] = (size_t)(100 + i * 333);
        uint8_t *v = tst_pattern(lens[i], (uint32_t)i + 50);
        tst_put(s, keys[i], v, lens[i]);
        free(v);
        offs[i] = tst_value_offset(s, keys[i]);
    }
    CHECK_OK(srd_delete(s, SRD_U8("f5"), 2));
    uint64_t total = tst_size_of(s);
    srd_close(s);
    REQUIRE(tst_copy_file(p, c1) == 0 && tst_copy_file(p, c2) == 0);

    /* one flipped byte in f3 */
    uint64_t flip = offs[3] + 77;
    REQUIRE(tst_flip_byte(c1, flip));
    s = tst_open_ro(c1);
    if (s) {
        srd_verify_report r;
        fill_report_sentinels(&r);
        struct tst_progress_log log;
        memset(&log, 0, sizeof log);
        CHECK_STATUS(srd_verify_progress(s, &r, tst_progress_cb, &log), SRD_CORRUPT);
        /* the message says where the first problem is */
        char where[32];
        snprintf(where, sizeof where, "%" PRIu64, r.first_bad_offset);
        CHECK_MSG(strstr(srd_last_error_message(), where) != NULL, "message \"%s\" lacks offset %s",
                  srd_last_error_message(), where);
        CHECK_EQ_U(r.entries_checked, 7);
        CHECK_EQ_U(r.file_size, total);
        CHECK_EQ_U(r.bad_entries, 1);
        CHECK(r.first_bad_offset <= flip);
        CHECK(r.first_bad_offset >= offs[2] + lens[2] + 20); /* after the previous entry */
        tst_check_progress(&log, total);
        fill_report_sentinels(&r);
        CHECK_STATUS(srd_verify(s, &r), SRD_CORRUPT);
        CHECK_EQ_U(r.bad_entries, 1);
        /* only that key is affected */
        const uint8_t *v;
        size_t n;
        CHECK_STATUS(srd_read(s, SRD_U8("f3"), 2, &v, &n), SRD_CORRUPT);
        CHECK_OK(srd_read(s, SRD_U8("f2"), 2, &v, &n));
        CHECK_OK(srd_read(s, SRD_U8("f4"), 2, &v, &n));
        srd_close(s);
    }
    /* two flipped bytes, in f1 and in the deleted f5 (dead versions are checked too):
       the lowest is reported */
    REQUIRE(tst_flip_byte(c2, offs[5] + 5));
    REQUIRE(tst_flip_byte(c2, offs[1] + lens[1] - 1));
    s = tst_open_ro(c2);
    if (s) {
        srd_verify_report r;
        fill_report_sentinels(&r);
        CHECK_STATUS(srd_verify(s, &r), SRD_CORRUPT);
        CHECK_EQ_U(r.bad_entries, 2);
        CHECK_EQ_U(r.entries_checked, 7);
        CHECK(r.first_bad_offset <= offs[1] + lens[1] - 1);
        CHECK(r.first_bad_offset >= offs[0] + lens[0] + 20);
        srd_close(s);
    }
    /* the original is still sound */
    s = tst_open_ro(p);
    if (s) {
        srd_verify_report r;
        CHECK_OK(srd_verify(s, &r));
        CHECK_EQ_U(r.bad_entries, 0);
        srd_close(s);
    }
}

static void test_compact_progress_reclaimable_bytes_and_entry_count_agree(void) {
    const char *p = tst_path("compact-progress.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint64_t rb = SENTINEL_U64, ec = SENTINEL_U64;
    CHECK_OK(srd_reclaimable_bytes(s, &rb));
    CHECK_EQ_U(rb, 0);
    CHECK_OK(srd_entry_count(s, &ec));
    CHECK_EQ_U(ec, 0);

    /* distinct keys only: nothing to reclaim, compaction keeps the size */
    tst_put_str(s, "a", "1");
    tst_put_str(s, "b", "22");
    CHECK_OK(srd_reclaimable_bytes(s, &rb));
    CHECK_EQ_U(rb, 0);
    /* the documented small case: delete "a" -> "b" moves to offset 0 */
    CHECK_OK(srd_delete(s, SRD_U8("a"), 1));
    uint64_t before = tst_size_of(s);
    CHECK_EQ_U(before, 64 + 2 + 20 + 21);
    CHECK_OK(srd_reclaimable_bytes(s, &rb));
    CHECK_EQ_U(rb, before - 22);
    CHECK_EQ_U(tst_entry_count_of(s), 3);
    CHECK_OK(srd_compact(s));
    CHECK_EQ_U(tst_size_of(s), 22);
    CHECK_EQ_U(tst_entry_count_of(s), 1);

    /* many versions and tombstones */
    int n = (int)tst_scaled(500, 40);
    uint64_t written = tst_entry_count_of(s);
    for (int i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i % 37);
        uint8_t *v = tst_pattern((size_t)(1 + i % 190), (uint32_t)i);
        tst_put(s, k, v, (size_t)(1 + i % 190));
        free(v);
        written++;
        if (i % 5 == 4) {
            CHECK_OK(srd_delete(s, SRD_U8(k), strlen(k)));
            written++;
        }
    }
    uint64_t live = tst_count_of(s);
    CHECK_EQ_U(tst_entry_count_of(s), written);
    before = tst_size_of(s);
    CHECK_OK(srd_reclaimable_bytes(s, &rb));
    CHECK(rb > 0);
    struct tst_progress_log log;
    memset(&log, 0, sizeof log);
    CHECK_OK(srd_compact_progress(s, tst_progress_cb, &log));
    tst_check_progress(&log, live);
    uint64_t after = tst_size_of(s);
    CHECK_EQ_U(rb, before - after);
    CHECK_EQ(tst_file_len(p), (long long)after);
    CHECK_OK(srd_reclaimable_bytes(s, &rb));
    CHECK_EQ_U(rb, 0);
    CHECK_EQ_U(tst_entry_count_of(s), live);
    CHECK_EQ_U(tst_count_of(s), live);
    srd_verify_report r;
    CHECK_OK(srd_verify(s, &r));
    CHECK_EQ_U(r.entries_checked, live);
    /* NULL progress is allowed; an empty store reports 0 of 0 */
    CHECK_OK(srd_compact_progress(s, NULL, NULL));
    CHECK_EQ_U(tst_size_of(s), after);
    srd_close(s);

    s = tst_open_rw(tst_path("compact-progress-empty.srd"));
    if (s) {
        memset(&log, 0, sizeof log);
        CHECK_OK(srd_compact_progress(s, tst_progress_cb, &log));
        tst_check_progress(&log, 0);
        srd_close(s);
    }

    /* read-only handles: compaction refused, queries fine; NULL arguments */
    s = tst_open_ro(p);
    if (s) {
        memset(&log, 0, sizeof log);
        CHECK_STATUS(srd_compact_progress(s, tst_progress_cb, &log), SRD_READ_ONLY);
        CHECK_OK(srd_reclaimable_bytes(s, &rb));
        CHECK_EQ_U(rb, 0);
        CHECK_EQ_U(tst_entry_count_of(s), live);
        uint64_t u = SENTINEL_U64;
        CHECK_STATUS(srd_reclaimable_bytes(NULL, &u), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_reclaimable_bytes(s, NULL), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_entry_count(NULL, &u), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_entry_count(s, NULL), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_compact_progress(NULL, NULL, NULL), SRD_INVALID_ARGUMENT);
        CHECK_EQ_U(u, SENTINEL_U64);
        srd_close(s);
    }
}

static void test_verify_of_a_read_only_store_with_a_torn_tail_checks_the_recovered_part(void) {
    const char *p = tst_path("verify-torn.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "a", "alpha");
    tst_put_str(s, "b", "beta");
    uint64_t good = tst_size_of(s);
    srd_close(s);
    int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "torn-tail-bytes", 15) == 15);
    close(fd);
    s = tst_open_ro(p);
    if (!s) return;
    srd_verify_report r;
    fill_report_sentinels(&r);
    CHECK_OK(srd_verify(s, &r));
    CHECK_EQ_U(r.file_size, good);
    CHECK_EQ_U(r.file_size, tst_size_of(s));
    CHECK_EQ_U(r.entries_checked, 2);
    CHECK_EQ_U(r.bytes_checked, 9);
    CHECK_EQ_U(r.first_bad_offset, UINT64_MAX);
    CHECK_EQ_U(tst_entry_count_of(s), 2);
    CHECK_EQ(tst_file_len(p), (long long)good + 15); /* the read-only open left the file alone */
    srd_close(s);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_verify");

    test_verify_reports_a_sound_store_with_exact_totals();
    test_verify_finds_flipped_payload_bytes_and_fills_the_report();
    test_verify_of_a_read_only_store_with_a_torn_tail_checks_the_recovered_part();
    test_compact_progress_reclaimable_bytes_and_entry_count_agree();
    return tst_test_finish();
}

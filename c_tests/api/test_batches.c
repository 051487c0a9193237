/*
 * test_batches.c - srd_read_batch and srd_read_batch_with_hash: per-key statuses, pointers
 * equal to srd_read's, outputs untouched on invalid input, a damaged value reported in its own
 * slot only, and one consistent view while another thread writes batches.
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
/* srd_read_batch, srd_read_batch_with_hash                            */
/* ------------------------------------------------------------------ */

static void fill_result_sentinels(srd_read_result *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        r[i].value = SENTINEL_PTR;
        r[i].value_len = SENTINEL_LEN;
        r[i].status = SENTINEL_STATUS;
    }
}

static int results_untouched(const srd_read_result *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (r[i].value != SENTINEL_PTR || r[i].value_len != SENTINEL_LEN ||
            r[i].status != SENTINEL_STATUS)
            return 0;
    return 1;
}

static void test_read_batch_reports_each_key_and_matches_srd_read(void) {
    const char *p = tst_path("read-batch.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    char keys[8][16];
    uint8_t *vals[8];
    size_t lens[8];
    for (int i = 0; i < 8; i++) {
        snprintf(keys[i], sizeof keys[i], "rb-%d", i);
        lens[i] = (size_t)(1 + i * 37);
        vals[i] = tst_pattern(lens[i], (uint32_t)i + 100);
        tst_put(s, keys[i], vals[i], lens[i]);
    }
    CHECK_OK(srd_delete(s, SRD_U8(keys[3]), strlen(keys[3])));
    CHECK_OK(srd_delete(s, SRD_U8(keys[6]), strlen(keys[6])));
    tst_put_str(s, keys[5], "overwritten"); /* newest value wins */

    /* present, absent, deleted, overwritten, repeated */
    const char *ask[] = {keys[0], "absent", keys[3], keys[5], keys[7], keys[0], keys[6], keys[1]};
    const int want_idx[] = {0, -1, -1, 5, 7, 0, -1, 1};
    enum { N = sizeof ask / sizeof ask[0] };
    srd_key k[N];
    uint64_t hashes[N];
    for (int i = 0; i < N; i++) {
        k[i].key = SRD_U8(ask[i]);
        k[i].key_len = strlen(ask[i]);
        hashes[i] = tst_hash_of(ask[i]);
    }
    for (int pass = 0; pass < 2; pass++) {
        srd_read_result r[N];
        fill_result_sentinels(r, N);
        if (pass == 0) {
            if (!CHECK_OK(srd_read_batch(s, k, N, r))) continue;
        } else {
            if (!CHECK_OK(srd_read_batch_with_hash(s, hashes, N, r))) continue;
        }
        for (int i = 0; i < N; i++) {
            tst_ctx("pass %d, slot %d (%s)", pass, i, ask[i]);
            if (want_idx[i] < 0) {
                CHECK_STATUS(r[i].status, SRD_NOT_FOUND);
                CHECK(r[i].value == NULL);
                CHECK_EQ_U(r[i].value_len, 0);
                continue;
            }
            if (!CHECK_STATUS(r[i].status, SRD_OK)) continue;
            const uint8_t *v = NULL;
            size_t n = 0;
            CHECK_OK(srd_read(s, k[i].key, k[i].key_len, &v, &n));
            CHECK(r[i].value == v);
            CHECK_EQ_U(r[i].value_len, n);
            CHECK_EQ_U((uintptr_t)r[i].value % 64, 0);
            if (want_idx[i] == 5) {
                if (CHECK_EQ_U(r[i].value_len, 11)) CHECK_MEM(r[i].value, "overwritten", 11);
            } else if (CHECK_EQ_U(r[i].value_len, lens[want_idx[i]])) {
                CHECK_MEM(r[i].value, vals[want_idx[i]], lens[want_idx[i]]);
            }
        }
        tst_ctx_clear();
        CHECK(r[0].value == r[5].value); /* the same key twice gives the same pointer */
    }

    /* count 0 is a no-op, even with NULL arrays; out stays untouched */
    srd_read_result r1[1];
    fill_result_sentinels(r1, 1);
    CHECK_OK(srd_read_batch(s, NULL, 0, NULL));
    CHECK_OK(srd_read_batch(s, k, 0, r1));
    CHECK_OK(srd_read_batch_with_hash(s, NULL, 0, NULL));
    CHECK_OK(srd_read_batch_with_hash(s, hashes, 0, r1));
    CHECK(results_untouched(r1, 1));

    /* NULL out / keys with a count, NULL store */
    CHECK_STATUS(srd_read_batch(s, k, 2, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_batch_with_hash(s, hashes, 2, NULL), SRD_INVALID_ARGUMENT);
    srd_read_result r2[N];
    fill_result_sentinels(r2, N);
    CHECK_STATUS(srd_read_batch(s, NULL, 2, r2), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_batch_with_hash(s, NULL, 2, r2), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_batch(NULL, k, N, r2), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_batch_with_hash(NULL, hashes, N, r2), SRD_INVALID_ARGUMENT);
    CHECK(results_untouched(r2, N));

    /* one invalid key (empty, or NULL with a length) anywhere fails the whole call */
    for (int bad = 0; bad < 2; bad++) {
        for (int pos = 0; pos < N; pos += N - 1) {
            srd_key kb[N];
            memcpy(kb, k, sizeof kb);
            if (bad == 0) kb[pos].key_len = 0;
            else kb[pos].key = NULL;
            tst_ctx("bad key kind %d at %d", bad, pos);
            fill_result_sentinels(r2, N);
            CHECK_STATUS(srd_read_batch(s, kb, N, r2), SRD_INVALID_ARGUMENT);
            CHECK(results_untouched(r2, N));
        }
    }
    tst_ctx_clear();
    for (int i = 0; i < 8; i++) free(vals[i]);
    srd_close(s);
}

static void test_read_batch_reports_a_corrupt_value_in_its_slot_only(void) {
    const char *p = tst_path("read-batch-corrupt.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t *v0 = tst_pattern(300, 1), *v1 = tst_pattern(300, 2), *v2 = tst_pattern(300, 3);
    tst_put(s, "c0", v0, 300);
    tst_put(s, "c1", v1, 300);
    tst_put(s, "c2", v2, 300);
    uint64_t off1 = tst_value_offset(s, "c1");
    srd_close(s);
    REQUIRE(off1 != UINT64_MAX);
    REQUIRE(tst_flip_byte(p, off1 + 123));

    for (int ro = 0; ro < 2; ro++) {
        s = tst_open_flags(p, ro ? SRD_OPEN_READ_ONLY : 0);
        if (!s) return;
        tst_ctx("read-only %d", ro);
        for (int pass = 0; pass < 2; pass++) {
            srd_key k[4] = {{SRD_U8("c0"), 2}, {SRD_U8("c1"), 2}, {SRD_U8("c2"), 2},
                            {SRD_U8("zz"), 2}};
            uint64_t h[4] = {tst_hash_of("c0"), tst_hash_of("c1"), tst_hash_of("c2"), tst_hash_of("zz")};
            srd_read_result r[4];
            fill_result_sentinels(r, 4);
            int32_t st = pass == 0 ? srd_read_batch(s, k, 4, r) : srd_read_batch_with_hash(s, h, 4, r);
            if (!CHECK_OK(st)) continue;
            CHECK_STATUS(r[0].status, SRD_OK);
            CHECK_STATUS(r[1].status, SRD_CORRUPT);
            CHECK(r[1].value == NULL);
            CHECK_EQ_U(r[1].value_len, 0);
            CHECK_STATUS(r[2].status, SRD_OK);
            CHECK_STATUS(r[3].status, SRD_NOT_FOUND);
            if (r[0].status == SRD_OK && CHECK_EQ_U(r[0].value_len, 300)) CHECK_MEM(r[0].value, v0, 300);
            if (r[2].status == SRD_OK && CHECK_EQ_U(r[2].value_len, 300)) CHECK_MEM(r[2].value, v2, 300);
        }
        srd_close(s);
    }
    tst_ctx_clear();
    free(v0);
    free(v1);
    free(v2);
}

#define PAIR_KEYS 32

struct pair_writer {
    srd_store *s;
    long rounds;
    atomic_int done;
    int32_t status;
};

static void pair_key(char *buf, size_t cap, int i) { snprintf(buf, cap, "pair-%02d", i); }

static void *pair_writer_thread(void *arg) {
    struct pair_writer *w = (struct pair_writer *)arg;
    char keys[PAIR_KEYS][16];
    for (int j = 0; j < PAIR_KEYS; j++) pair_key(keys[j], sizeof keys[j], j);
    w->status = SRD_OK;
    for (long i = 1; i <= w->rounds && w->status == SRD_OK; i++) {
        char v[32];
        int n = snprintf(v, sizeof v, "%ld", i);
        srd_kv kv[PAIR_KEYS];
        for (int j = 0; j < PAIR_KEYS; j++)
            kv[j] = (srd_kv){SRD_U8(keys[j]), strlen(keys[j]), SRD_U8(v), (size_t)n};
        w->status = srd_write_batch(w->s, kv, PAIR_KEYS);
    }
    atomic_store(&w->done, 1);
    return NULL;
}

/* The version all PAIR_KEYS slots show, or -1 if they differ (or one failed). */
static long batch_version(const srd_read_result *r) {
    long v = -2;
    for (int j = 0; j < PAIR_KEYS; j++) {
        if (r[j].status != SRD_OK || r[j].value_len == 0 || r[j].value_len > 30) return -1;
        char b[32] = {0};
        memcpy(b, r[j].value, r[j].value_len);
        long x = atol(b);
        if (v == -2) v = x;
        else if (x != v) return -1;
    }
    return v;
}

static void test_read_batch_sees_one_consistent_view_under_concurrent_batches(void) {
    const char *p = tst_path("read-batch-consistent.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    char keys[PAIR_KEYS][16];
    srd_key k[PAIR_KEYS];
    uint64_t h[PAIR_KEYS];
    for (int j = 0; j < PAIR_KEYS; j++) {
        pair_key(keys[j], sizeof keys[j], j);
        k[j].key = SRD_U8(keys[j]);
        k[j].key_len = strlen(keys[j]);
        h[j] = tst_hash_of(keys[j]);
        tst_put_str(s, keys[j], "0");
    }
    struct pair_writer w = {s, tst_scaled(10000, 200), 0, -1};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, pair_writer_thread, &w) == 0);
    long reads = 0, torn = 0, last_seen = 0, went_back = 0, versions = 0;
    while (!atomic_load(&w.done) || reads < 10) {
        srd_read_result r[PAIR_KEYS];
        int32_t st = (reads & 1) ? srd_read_batch_with_hash(s, h, PAIR_KEYS, r)
                                 : srd_read_batch(s, k, PAIR_KEYS, r);
        if (!CHECK_OK(st)) break;
        reads++;
        long v = batch_version(r);
        if (v < 0) {
            torn++;
            continue;
        }
        if (v < last_seen) went_back++;
        if (v != last_seen) versions++;
        last_seen = v;
    }
    CHECK(tst_join_within(t, 120));
    CHECK_OK(w.status);
    printf("test_batches: %ld batch reads during %ld batch writes saw %ld versions\n", reads,
           w.rounds, versions);
    srd_read_result fin[PAIR_KEYS];
    if (CHECK_OK(srd_read_batch(s, k, PAIR_KEYS, fin))) CHECK_EQ(batch_version(fin), w.rounds);
    CHECK_MSG(torn == 0, "%ld of %ld batch reads mixed two versions", torn, reads);
    CHECK_MSG(went_back == 0, "%ld batch reads went back in time", went_back);
    srd_close(s);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_batches");

    test_read_batch_reports_each_key_and_matches_srd_read();
    test_read_batch_reports_a_corrupt_value_in_its_slot_only();
    test_read_batch_sees_one_consistent_view_under_concurrent_batches();
    return tst_test_finish();
}

/*
 * test_nested.c - nested stores (a store in a store in a store, opened in place, outliving its
 * source) and srd_open_bytes over caller memory.
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
/* nested stores                                                       */
/* ------------------------------------------------------------------ */

/* Every kind of change on a read-only store gives SRD_READ_ONLY; `existing` is a live key. */
static void expect_read_only_everywhere(srd_store *s, const char *existing) {
    size_t el = strlen(existing);
    tst_ctx("nested store writes");
    CHECK_STATUS(srd_write(s, SRD_U8("w"), 1, SRD_U8("x"), 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_write_with_hash(s, 1, SRD_U8("x"), 1), SRD_READ_ONLY);
    srd_kv kv = {SRD_U8("w"), 1, SRD_U8("x"), 1};
    CHECK_STATUS(srd_write_batch(s, &kv, 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete(s, SRD_U8(existing), el), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete_with_hash(s, tst_hash_of(existing)), SRD_READ_ONLY);
    srd_key k = {SRD_U8(existing), el};
    CHECK_STATUS(srd_delete_batch(s, &k, 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_rename(s, SRD_U8(existing), el, SRD_U8("l2"), 2), SRD_READ_ONLY);
    CHECK_OK(srd_exists(s, SRD_U8(existing), el));
    CHECK_STATUS(srd_compact(s), SRD_READ_ONLY);
    CHECK_STATUS(srd_compact_progress(s, NULL, NULL), SRD_READ_ONLY);
    srd_stream *st = SENTINEL_STREAM;
    CHECK_STATUS(srd_stream_begin(s, SRD_U8("w"), 1, &st), SRD_READ_ONLY);
    CHECK(st == SENTINEL_STREAM);
    CHECK_OK(srd_sync(s)); /* a no-op on read-only stores */
    tst_ctx_clear();
}

static uint8_t *build_store_bytes(const char *path, const char *const *keys, const uint8_t *const *vals,
                                  const size_t *lens, int n, size_t *out_len) {
    srd_store *s = tst_open_rw(path);
    if (!s) return NULL;
    for (int i = 0; i < n; i++) tst_put(s, keys[i], vals[i], lens[i]);
    srd_close(s);
    return tst_slurp(path, out_len);
}

static void test_nested_stores_open_in_place_zero_copy_and_outlive_their_source(void) {
    /* innermost: a 64-byte aligned array and a few more values */
    size_t leaf_len = 4096 * 3 + 8;
    uint8_t *leaf = tst_pattern(leaf_len, 1001);
    const char *ik[] = {"pre", "leaf", "x"};
    const uint8_t *iv[] = {SRD_U8("odd"), leaf, SRD_U8("y")};
    const size_t il[] = {3, leaf_len, 1};
    size_t inner_len = 0;
    uint8_t *inner = build_store_bytes(tst_path("inner.srd"), ik, iv, il, 3, &inner_len);
    REQUIRE(inner != NULL);
    const char *mk[] = {"pad", "inner", "tail"};
    const uint8_t *mv[] = {SRD_U8("abcde"), inner, SRD_U8("t")};
    const size_t ml[] = {5, inner_len, 1};
    size_t middle_len = 0;
    uint8_t *middle = build_store_bytes(tst_path("middle.srd"), mk, mv, ml, 3, &middle_len);
    REQUIRE(middle != NULL);

    const char *po = tst_path("outer.srd");
    srd_store *outer = tst_open_rw(po);
    if (!outer) return;
    tst_put_str(outer, "z", "1");
    tst_put(outer, "middle", middle, middle_len);

    srd_entry *e_mid = NULL;
    REQUIRE(srd_read_entry(outer, SRD_U8("middle"), 6, &e_mid) == SRD_OK);
    size_t dm_len = 0;
    const uint8_t *dm = srd_entry_data(e_mid, &dm_len);
    CHECK_EQ_U(dm_len, middle_len);
    srd_store *s_mid = SENTINEL_STORE;
    REQUIRE(srd_open_entry(e_mid, &s_mid) == SRD_OK);
    CHECK(s_mid != SENTINEL_STORE);
    tst_expect_str(s_mid, "pad", "abcde");
    tst_expect_str(s_mid, "tail", "t");
    CHECK_EQ_U(tst_count_of(s_mid), 3);
    CHECK_EQ_U(tst_size_of(s_mid), middle_len);

    srd_entry *e_in = NULL;
    REQUIRE(srd_read_entry(s_mid, SRD_U8("inner"), 5, &e_in) == SRD_OK);
    size_t di_len = 0;
    const uint8_t *di = srd_entry_data(e_in, &di_len);
    CHECK_EQ_U(di_len, inner_len);
    CHECK(tst_in_range(di, di_len, dm, dm_len)); /* the middle store's value is in the outer's */
    CHECK_EQ_U((uintptr_t)di % 64, 0);
    uint64_t off_in = 0;
    CHECK_OK(srd_entry_offset(e_in, &off_in)); /* offset inside the middle store's bytes */
    CHECK(di == dm + off_in);
    srd_store *s_in = NULL;
    REQUIRE(srd_open_entry(e_in, &s_in) == SRD_OK);

    const uint8_t *lp = NULL;
    size_t ln = 0;
    if (CHECK_OK(srd_read(s_in, SRD_U8("leaf"), 4, &lp, &ln))) {
        CHECK_EQ_U(ln, leaf_len);
        CHECK_MEM(lp, leaf, leaf_len);
        CHECK_EQ_U((uintptr_t)lp % 64, 0);
        /* zero-copy: the innermost value lies inside the outer pinned entry's bytes */
        CHECK(tst_in_range(lp, ln, dm, dm_len));
        CHECK(tst_in_range(lp, ln, di, di_len));
        uint64_t off_leaf = tst_value_offset(s_in, "leaf");
        CHECK(lp == dm + off_in + off_leaf);
        const uint8_t *op = NULL;
        size_t on = 0;
        CHECK_OK(srd_read(outer, SRD_U8("middle"), 6, &op, &on));
        CHECK(op == dm);
    }
    tst_expect_str(s_in, "pre", "odd");
    /* batch reads, iteration, last value and verify work on nested stores */
    srd_read_result rr[2];
    srd_key bk[2] = {{SRD_U8("leaf"), 4}, {SRD_U8("nope"), 4}};
    if (CHECK_OK(srd_read_batch(s_in, bk, 2, rr))) {
        CHECK(rr[0].status == SRD_OK && rr[0].value == lp);
        CHECK_STATUS(rr[1].status, SRD_NOT_FOUND);
    }
    srd_iter *it = NULL;
    size_t items = 0;
    if (CHECK_OK(srd_iter_new(s_in, &it))) {
        uint64_t h;
        const uint8_t *v;
        size_t n;
        while (srd_iter_next(it, &h, &v, &n) == SRD_OK) {
            CHECK(tst_in_range(v, n, dm, dm_len));
            items++;
        }
        srd_iter_free(it);
    }
    CHECK_EQ_U(items, 3);
    tst_expect_last(s_in, "x", "y");
    srd_verify_report rep;
    CHECK_OK(srd_verify(s_in, &rep));
    CHECK_EQ_U(rep.entries_checked, 3);
    CHECK_EQ_U(rep.file_size, inner_len);
    uint64_t rb = 1;
    CHECK_OK(srd_reclaimable_bytes(s_in, &rb));
    CHECK_EQ_U(rb, 0);
    expect_read_only_everywhere(s_in, "leaf");
    expect_read_only_everywhere(s_mid, "pad");
    CHECK_STATUS(srd_copy(outer, SRD_U8("z"), 1, s_mid), SRD_READ_ONLY);
    CHECK_STATUS(srd_move(s_mid, SRD_U8("pad"), 3, outer), SRD_READ_ONLY);
    CHECK_OK(srd_copy(s_in, SRD_U8("pre"), 3, outer)); /* a nested store can be a source */
    tst_expect_str(outer, "pre", "odd");

    /* lifetimes: free the source entries, rewrite, compact and close the outer store */
    srd_entry_free(e_mid);
    tst_put_str(outer, "middle", "replaced");
    CHECK_OK(srd_compact(outer));
    srd_close(outer);
    tst_expect_str(s_mid, "pad", "abcde");
    if (CHECK_OK(srd_read(s_in, SRD_U8("leaf"), 4, &lp, &ln))) CHECK_MEM(lp, leaf, leaf_len);
    srd_entry *pinned_leaf = NULL;
    CHECK_OK(srd_read_entry(s_in, SRD_U8("leaf"), 4, &pinned_leaf));
    srd_entry_free(e_in);
    srd_close(s_mid);
    tst_expect_value(s_in, "leaf", leaf, leaf_len);
    srd_close(s_in);
    /* a pinned entry of the innermost store outlives all three stores */
    if (pinned_leaf) {
        size_t pl = 0;
        const uint8_t *pd = srd_entry_data(pinned_leaf, &pl);
        CHECK(pl == leaf_len && memcmp(pd, leaf, leaf_len) == 0);
        CHECK_OK(srd_entry_verify(pinned_leaf));
        srd_store *again = NULL;
        CHECK_STATUS(srd_open_entry(pinned_leaf, &again), SRD_CORRUPT); /* not a store */
        srd_entry_free(pinned_leaf);
    }
    free(leaf);
    free(inner);
    free(middle);
}

static void test_open_bytes_over_caller_memory_and_rejects_garbage(void) {
    size_t val_len = 1000;
    uint8_t *val = tst_pattern(val_len, 77);
    const char *k[] = {"one", "arr", "two"};
    const uint8_t *v[] = {SRD_U8("1"), val, SRD_U8("22")};
    const size_t l[] = {1, val_len, 2};
    size_t len = 0;
    uint8_t *bytes = build_store_bytes(tst_path("bytes.srd"), k, v, l, 3, &len);
    REQUIRE(bytes != NULL);

    /* a 64-byte aligned buffer: values are 64-byte aligned pointers into it */
    size_t cap = (len + 63) / 64 * 64;
    uint8_t *al = (uint8_t *)aligned_alloc(64, cap);
    REQUIRE(al != NULL);
    memcpy(al, bytes, len);
    srd_store *s = SENTINEL_STORE;
    if (CHECK_OK(srd_open_bytes(al, len, &s))) {
        const uint8_t *p = NULL;
        size_t n = 0;
        if (CHECK_OK(srd_read(s, SRD_U8("arr"), 3, &p, &n))) {
            CHECK(n == val_len && memcmp(p, val, n) == 0);
            CHECK(tst_in_range(p, n, al, len));
            CHECK_EQ_U((uintptr_t)p % 64, 0);
        }
        tst_expect_str(s, "one", "1");
        tst_expect_str(s, "two", "22");
        CHECK_EQ_U(tst_count_of(s), 3);
        CHECK_EQ_U(tst_size_of(s), len);
        expect_read_only_everywhere(s, "one");
        srd_stream *st = SENTINEL_STREAM;
        CHECK_STATUS(srd_stream_begin_with_hash(s, 1, &st), SRD_READ_ONLY);
        srd_entry *e = NULL;
        CHECK_OK(srd_read_entry(s, SRD_U8("arr"), 3, &e));
        srd_close(s);
        if (e) { /* entries from it stay valid while the buffer does */
            size_t en = 0;
            const uint8_t *ed = srd_entry_data(e, &en);
            CHECK(en == val_len && memcmp(ed, val, en) == 0 && tst_in_range(ed, en, al, len));
            srd_entry_free(e);
        }
    }
    CHECK(memcmp(al, bytes, len) == 0); /* the library never writes caller memory */

    /* a malloc'd buffer at an odd address still opens and reads correctly */
    uint8_t *mb = (uint8_t *)malloc(len + 1);
    REQUIRE(mb != NULL);
    memcpy(mb + 1, bytes, len);
    s = NULL;
    if (CHECK_OK(srd_open_bytes(mb + 1, len, &s))) {
        const uint8_t *p = NULL;
        size_t n = 0;
        if (CHECK_OK(srd_read(s, SRD_U8("arr"), 3, &p, &n))) {
            CHECK(n == val_len && memcmp(p, val, n) == 0);
            CHECK(tst_in_range(p, n, mb + 1, len));
        }
        srd_close(s);
    }
    /* a torn tail (garbage after the last entry) is ignored */
    uint8_t *torn = (uint8_t *)aligned_alloc(64, cap + 64);
    REQUIRE(torn != NULL);
    memcpy(torn, bytes, len);
    memcpy(torn + len, "garbage", 7);
    s = NULL;
    if (CHECK_OK(srd_open_bytes(torn, len + 7, &s))) {
        tst_expect_str(s, "two", "22");
        CHECK_EQ_U(tst_size_of(s), len);
        srd_close(s);
    }
    /* an empty buffer is an empty store */
    s = NULL;
    if (CHECK_OK(srd_open_bytes(al, 0, &s))) {
        CHECK_EQ_U(tst_count_of(s), 0);
        srd_close(s);
    }

    /* garbage bytes: SRD_CORRUPT, output untouched */
    uint8_t garbage[4096];
    tst_rng rng = {2024};
    tst_rng_fill(&rng, garbage, sizeof garbage);
    s = SENTINEL_STORE;
    CHECK_STATUS(srd_open_bytes(garbage, sizeof garbage, &s), SRD_CORRUPT);
    CHECK(s == SENTINEL_STORE);
    /* a store whose middle is damaged: its chain is broken -> CORRUPT */
    memcpy(mb, bytes, len);
    uint64_t meta_of_first = tst_align_up(0) + 1; /* "one" (1 byte) ends at 1, metadata 1..21 */
    mb[meta_of_first + 8] ^= 0x40;                /* its prev_tail */
    CHECK_STATUS(srd_open_bytes(mb, len, &s), SRD_CORRUPT);
    CHECK(s == SENTINEL_STORE);
    CHECK_STATUS(srd_open_bytes(NULL, 10, &s), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_open_bytes(bytes, len, NULL), SRD_INVALID_ARGUMENT);
    CHECK(s == SENTINEL_STORE);

    /* srd_open_entry: a value that is not a store, NULL arguments */
    srd_store *fs = tst_open_rw(tst_path("not-a-store.srd"));
    if (fs) {
        tst_put(fs, "junk", garbage, sizeof garbage);
        srd_entry *e = NULL;
        if (CHECK_OK(srd_read_entry(fs, SRD_U8("junk"), 4, &e))) {
            CHECK_STATUS(srd_open_entry(e, &s), SRD_CORRUPT);
            CHECK_STATUS(srd_open_entry(e, NULL), SRD_INVALID_ARGUMENT);
            CHECK(s == SENTINEL_STORE);
            srd_entry_free(e);
        }
        srd_close(fs);
    }
    CHECK_STATUS(srd_open_entry(NULL, &s), SRD_INVALID_ARGUMENT);
    CHECK(s == SENTINEL_STORE);
    free(al);
    free(mb);
    free(torn);
    free(bytes);
    free(val);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_nested");

    test_nested_stores_open_in_place_zero_copy_and_outlive_their_source();
    test_open_bytes_over_caller_memory_and_rejects_garbage();
    return tst_test_finish();
}

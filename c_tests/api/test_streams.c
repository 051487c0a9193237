/*
 * test_features.c - the functions added beyond the original core API, success and
 * error paths: key hashing and namespaces, the _with_hash variants, batch reads,
 * srd_read_last, streaming writes (visibility, abort, SRD_BUSY, blocking of other
 * threads, close while streaming), pinned entry metadata, rename/copy/move, iteration
 * (snapshots, partitions), verification and compaction progress, reclaimable bytes,
 * entry counts and nested stores.
 *
 * Each test_* function states the behaviour it proves. Outputs must be written only
 * on success (checked with sentinels); failures must leave the file untouched.
 */
#include "tst_test.h"
#include "tst_api.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define XXH3_EMPTY UINT64_C(0x2D06800538D394C2)
#define XXH3_A UINT64_C(0xE6C632B61E964E1F)

/* ------------------------------------------------------------------ */
/* srd_hash_key, srd_namespace_key                                     */
/* ------------------------------------------------------------------ */

static void test_hash_key_gives_known_xxh3_vectors_and_rejects_null_with_length(void) {
    uint64_t h = SENTINEL_U64;
    CHECK_OK(srd_hash_key(SRD_U8(""), 0, &h));
    CHECK_EQ_U(h, XXH3_EMPTY);
    h = SENTINEL_U64;
    CHECK_OK(srd_hash_key(NULL, 0, &h)); /* NULL is readable for 0 bytes */
    CHECK_EQ_U(h, XXH3_EMPTY);
    h = SENTINEL_U64;
    CHECK_OK(srd_hash_key(SRD_U8("a"), 1, &h));
    CHECK_EQ_U(h, XXH3_A);
    /* the key's bytes only, not a terminator */
    CHECK_OK(srd_hash_key(SRD_U8("ab"), 1, &h));
    CHECK_EQ_U(h, XXH3_A);
    /* deterministic, and different keys differ */
    uint64_t h1 = SENTINEL_U64, h2 = SENTINEL_U64;
    uint8_t big[4096];
    tst_fill_pattern(big, sizeof big, 7);
    CHECK_OK(srd_hash_key(big, sizeof big, &h1));
    CHECK_OK(srd_hash_key(big, sizeof big, &h2));
    CHECK_EQ_U(h1, h2);
    big[4095] ^= 1;
    CHECK_OK(srd_hash_key(big, sizeof big, &h2));
    CHECK(h1 != h2);

    /* errors leave the output alone */
    h = SENTINEL_U64;
    CHECK_STATUS(srd_hash_key(NULL, 1, &h), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_hash_key(NULL, 5, &h), SRD_INVALID_ARGUMENT);
    CHECK_EQ_U(h, SENTINEL_U64);
    CHECK(srd_last_error_message()[0] != '\0');
    CHECK_STATUS(srd_hash_key(SRD_U8("a"), 1, NULL), SRD_INVALID_ARGUMENT);
}

static void test_hash_key_is_the_hash_the_store_writes_and_looks_up(void) {
    const char *p = tst_path("hash-consistency.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    /* the key "a" written by name is found under the known vector */
    tst_put_str(s, "a", "value-of-a");
    const uint8_t *v = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read_with_hash(s, XXH3_A, &v, &n))) {
        CHECK_EQ_U(n, 10);
        CHECK_MEM(v, "value-of-a", 10);
    }
    /* ... and the file's metadata holds exactly that hash (FORMAT.md) */
    uint8_t meta[20];
    uint64_t sz = tst_size_of(s);
    CHECK(tst_read_file_at(p, sz - 20, meta, 20));
    CHECK_EQ_U(tst_le64(meta), XXH3_A);
    CHECK_EQ_U(tst_le64(meta), tst_hash_of("a"));
    /* the empty key cannot be written by name, but its hash can be used directly */
    CHECK_OK(srd_write_with_hash(s, XXH3_EMPTY, SRD_U8("empty-key"), 9));
    sz = tst_size_of(s);
    CHECK(tst_read_file_at(p, sz - 20, meta, 20));
    CHECK_EQ_U(tst_le64(meta), XXH3_EMPTY);
    if (CHECK_OK(srd_read_with_hash(s, XXH3_EMPTY, &v, &n))) CHECK_MEM(v, "empty-key", 9);
    /* a long binary key: the store's metadata hash equals srd_hash_key */
    uint8_t key[1000];
    tst_fill_pattern(key, sizeof key, 99);
    CHECK_OK(srd_write(s, key, sizeof key, SRD_U8("long"), 4));
    uint64_t h = 0;
    CHECK_OK(srd_hash_key(key, sizeof key, &h));
    CHECK(tst_read_file_at(p, tst_size_of(s) - 20, meta, 20));
    CHECK_EQ_U(tst_le64(meta), h);
    CHECK_OK(srd_exists_with_hash(s, h));
    srd_close(s);
}

static void test_namespace_key_is_le_prefix_hash_then_le_key_hash(void) {
    uint8_t out[SRD_NAMESPACE_KEY_LEN + 4];
    uint8_t want[SRD_NAMESPACE_KEY_LEN];
    CHECK_EQ(SRD_NAMESPACE_KEY_LEN, 16);
    memset(out, 0xAB, sizeof out);
    CHECK_OK(srd_namespace_key(SRD_U8("users"), 5, SRD_U8("alice"), 5, out));
    tst_put_le64(want, tst_hash_of("users"));
    tst_put_le64(want + 8, tst_hash_of("alice"));
    CHECK_MEM(out, want, 16);
    for (int i = 16; i < 20; i++) CHECK_EQ(out[i], 0xAB); /* exactly 16 bytes written */

    /* the known vectors: prefix "a", empty key */
    CHECK_OK(srd_namespace_key(SRD_U8("a"), 1, SRD_U8(""), 0, out));
    tst_put_le64(want, XXH3_A);
    tst_put_le64(want + 8, XXH3_EMPTY);
    CHECK_MEM(out, want, 16);
    CHECK_OK(srd_namespace_key(SRD_U8("a"), 1, NULL, 0, out));
    CHECK_MEM(out, want, 16);

    /* errors: empty prefix, NULL with a length, NULL output; output untouched */
    memset(out, 0xAB, sizeof out);
    CHECK_STATUS(srd_namespace_key(SRD_U8("x"), 0, SRD_U8("k"), 1, out), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_namespace_key(NULL, 0, SRD_U8("k"), 1, out), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_namespace_key(NULL, 3, SRD_U8("k"), 1, out), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_namespace_key(SRD_U8("p"), 1, NULL, 3, out), SRD_INVALID_ARGUMENT);
    for (size_t i = 0; i < sizeof out; i++) CHECK_EQ(out[i], 0xAB);
    CHECK_STATUS(srd_namespace_key(SRD_U8("p"), 1, SRD_U8("k"), 1, NULL), SRD_INVALID_ARGUMENT);
}

static void test_namespace_keys_work_as_keys_and_separate_namespaces(void) {
    const char *p = tst_path("namespaces.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t k1[16], k2[16];
    CHECK_OK(srd_namespace_key(SRD_U8("ns1"), 3, SRD_U8("id"), 2, k1));
    CHECK_OK(srd_namespace_key(SRD_U8("ns2"), 3, SRD_U8("id"), 2, k2));
    CHECK(memcmp(k1, k2, 16) != 0);
    CHECK_OK(srd_write(s, k1, 16, SRD_U8("one"), 3));
    CHECK_OK(srd_write(s, k2, 16, SRD_U8("two"), 3));
    tst_put_str(s, "id", "plain");
    const uint8_t *v = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, k1, 16, &v, &n)) && CHECK_EQ_U(n, 3)) CHECK_MEM(v, "one", 3);
    if (CHECK_OK(srd_read(s, k2, 16, &v, &n)) && CHECK_EQ_U(n, 3)) CHECK_MEM(v, "two", 3);
    tst_expect_str(s, "id", "plain");
    /* the stored hash is the hash of the 16 key bytes */
    uint64_t h = 0, eh = 1;
    CHECK_OK(srd_hash_key(k1, 16, &h));
    srd_entry *e = NULL;
    if (CHECK_OK(srd_read_entry_with_hash(s, h, &e))) {
        CHECK_OK(srd_entry_key_hash(e, &eh));
        CHECK_EQ_U(eh, h);
        srd_entry_free(e);
    }
    CHECK_EQ_U(tst_count_of(s), 3);
    srd_close(s);
    s = tst_open_ro(p);
    if (!s) return;
    if (CHECK_OK(srd_read(s, k2, 16, &v, &n)) && CHECK_EQ_U(n, 3)) CHECK_MEM(v, "two", 3);
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* _with_hash variants                                                 */
/* ------------------------------------------------------------------ */

static void test_with_hash_variants_address_the_same_key_as_by_name(void) {
    const char *p = tst_path("with-hash.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint64_t hn = tst_hash_of("by-name"), hh = tst_hash_of("by-hash");

    /* written by name, read by hash */
    tst_put_str(s, "by-name", "N-value");
    const uint8_t *v = NULL, *v2 = NULL;
    size_t n = 0, n2 = 0;
    if (CHECK_OK(srd_read_with_hash(s, hn, &v, &n))) {
        CHECK_EQ_U(n, 7);
        CHECK_MEM(v, "N-value", 7);
        CHECK_EQ_U((uintptr_t)v % 64, 0);
        CHECK_OK(srd_read(s, SRD_U8("by-name"), 7, &v2, &n2));
        CHECK(v == v2);
    }
    CHECK_OK(srd_exists_with_hash(s, hn));
    srd_entry *e = NULL;
    if (CHECK_OK(srd_read_entry_with_hash(s, hn, &e))) {
        size_t el = 0;
        const uint8_t *d = srd_entry_data(e, &el);
        CHECK_EQ_U(el, 7);
        CHECK_MEM(d, "N-value", 7);
        uint64_t kh = 0;
        CHECK_OK(srd_entry_key_hash(e, &kh));
        CHECK_EQ_U(kh, hn);
        srd_entry_free(e);
    }

    /* written by hash, read by name */
    CHECK_OK(srd_write_with_hash(s, hh, SRD_U8("H-value"), 7));
    tst_expect_str(s, "by-hash", "H-value");
    CHECK_OK(srd_exists(s, SRD_U8("by-hash"), 7));
    e = NULL;
    if (CHECK_OK(srd_read_entry(s, SRD_U8("by-hash"), 7, &e))) {
        size_t el = 0;
        const uint8_t *d = srd_entry_data(e, &el);
        CHECK_EQ_U(el, 7);
        CHECK_MEM(d, "H-value", 7);
        srd_entry_free(e);
    }
    /* overwriting by the other route replaces the value: still one key */
    tst_put_str(s, "by-hash", "H2");
    if (CHECK_OK(srd_read_with_hash(s, hh, &v, &n))) CHECK(n == 2 && memcmp(v, "H2", 2) == 0);
    CHECK_EQ_U(tst_count_of(s), 2);

    /* deleted by hash: gone by name and by hash; second delete NOT_FOUND */
    uint64_t size_before = tst_size_of(s);
    CHECK_OK(srd_delete_with_hash(s, hn));
    CHECK_EQ_U(tst_size_of(s), tst_tombstone_end(size_before));
    tst_expect_absent(s, "by-name");
    CHECK_STATUS(srd_exists_with_hash(s, hn), SRD_NOT_FOUND);
    size_before = tst_size_of(s);
    CHECK_STATUS(srd_delete_with_hash(s, hn), SRD_NOT_FOUND);
    CHECK_EQ_U(tst_size_of(s), size_before);
    /* deleted by name: gone by hash */
    CHECK_OK(srd_delete(s, SRD_U8("by-hash"), 7));
    CHECK_STATUS(srd_exists_with_hash(s, hh), SRD_NOT_FOUND);

    /* not-found paths leave outputs alone */
    v = SENTINEL_PTR;
    n = SENTINEL_LEN;
    CHECK_STATUS(srd_read_with_hash(s, hn, &v, &n), SRD_NOT_FOUND);
    CHECK_STATUS(srd_read_with_hash(s, 12345, &v, &n), SRD_NOT_FOUND);
    CHECK(v == SENTINEL_PTR && n == SENTINEL_LEN);
    e = SENTINEL_ENTRY;
    CHECK_STATUS(srd_read_entry_with_hash(s, hh, &e), SRD_NOT_FOUND);
    CHECK(e == SENTINEL_ENTRY);
    CHECK_STATUS(srd_exists_with_hash(s, 12345), SRD_NOT_FOUND);
    CHECK_STATUS(srd_delete_with_hash(s, 12345), SRD_NOT_FOUND);

    /* invalid arguments: nothing written, outputs untouched */
    size_before = tst_size_of(s);
    uint8_t zero = 0;
    CHECK_STATUS(srd_write_with_hash(NULL, hh, SRD_U8("x"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_with_hash(s, hh, SRD_U8("x"), 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_with_hash(s, hh, NULL, 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_with_hash(s, hh, NULL, 4), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_with_hash(s, hh, &zero, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_delete_with_hash(NULL, hh), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_exists_with_hash(NULL, hh), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_with_hash(NULL, hh, &v, &n), SRD_INVALID_ARGUMENT);
    tst_put_str(s, "k", "v");
    size_before = tst_size_of(s);
    uint64_t hk = tst_hash_of("k");
    CHECK_STATUS(srd_read_with_hash(s, hk, NULL, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_with_hash(s, hk, &v, NULL), SRD_INVALID_ARGUMENT);
    CHECK(v == SENTINEL_PTR && n == SENTINEL_LEN);
    CHECK_STATUS(srd_read_entry_with_hash(NULL, hk, &e), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_entry_with_hash(s, hk, NULL), SRD_INVALID_ARGUMENT);
    CHECK(e == SENTINEL_ENTRY);
    CHECK_EQ_U(tst_size_of(s), size_before);
    CHECK_EQ(tst_file_len(p), (long long)size_before);
    CHECK_OK(srd_write_with_hash(s, hh, SRD_U8("\0\0"), 2)); /* two zero bytes are a value */
    srd_close(s);

    /* survives reopen; read-only handles refuse hashed writes and deletes */
    s = tst_open_ro(p);
    if (!s) return;
    if (CHECK_OK(srd_read_with_hash(s, hh, &v, &n))) CHECK(n == 2 && v[0] == 0 && v[1] == 0);
    CHECK_OK(srd_read_with_hash(s, hk, &v, &n));
    long long len_before = tst_file_len(p);
    CHECK_STATUS(srd_write_with_hash(s, hh, SRD_U8("x"), 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete_with_hash(s, hh), SRD_READ_ONLY);
    CHECK_EQ(tst_file_len(p), len_before);
    CHECK_OK(srd_exists_with_hash(s, hh));
    srd_close(s);
}

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

/* ------------------------------------------------------------------ */
/* srd_read_last                                                       */
/* ------------------------------------------------------------------ */

static void expect_last(const srd_store *s, const char *key, const char *val) {
    uint64_t h = SENTINEL_U64;
    const uint8_t *v = SENTINEL_PTR;
    size_t n = SENTINEL_LEN;
    if (!CHECK_OK(srd_read_last(s, &h, &v, &n))) return;
    CHECK_EQ_U(h, tst_hash_of(key));
    if (CHECK_EQ_U(n, strlen(val))) CHECK_MEM(v, val, n);
    CHECK_EQ_U((uintptr_t)v % 64, 0);
    const uint8_t *rv = NULL;
    size_t rn = 0;
    if (CHECK_OK(srd_read(s, SRD_U8(key), strlen(key), &rv, &rn))) CHECK(rv == v);
}

static void expect_no_last(const srd_store *s) {
    uint64_t h = SENTINEL_U64;
    const uint8_t *v = SENTINEL_PTR;
    size_t n = SENTINEL_LEN;
    CHECK_STATUS(srd_read_last(s, &h, &v, &n), SRD_NOT_FOUND);
    CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
}

static void test_read_last_returns_the_newest_live_value(void) {
    const char *p = tst_path("read-last.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    expect_no_last(s);
    tst_put_str(s, "a", "A1");
    expect_last(s, "a", "A1");
    tst_put_str(s, "b", "B1");
    tst_put_str(s, "c", "C1");
    expect_last(s, "c", "C1");
    tst_put_str(s, "b", "B2"); /* overwrite at the tail */
    expect_last(s, "b", "B2");
    CHECK_OK(srd_delete(s, SRD_U8("b"), 1)); /* delete at the tail */
    expect_last(s, "c", "C1");
    CHECK_OK(srd_delete(s, SRD_U8("c"), 1));
    expect_last(s, "a", "A1");
    tst_put_str(s, "d", "D1");
    tst_put_str(s, "a", "A2");
    CHECK_OK(srd_delete(s, SRD_U8("a"), 1));
    expect_last(s, "d", "D1");
    srd_close(s);

    s = tst_open_ro(p);
    if (!s) return;
    expect_last(s, "d", "D1");
    uint64_t h;
    const uint8_t *v;
    size_t n;
    CHECK_STATUS(srd_read_last(NULL, &h, &v, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_last(s, NULL, &v, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_last(s, &h, NULL, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_last(s, &h, &v, NULL), SRD_INVALID_ARGUMENT);
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_delete(s, SRD_U8("d"), 1));
    expect_no_last(s); /* only tombstones and dead versions remain */
    srd_close(s);
    s = tst_open_rw(p);
    if (!s) return;
    expect_no_last(s);
    tst_put_str(s, "e", "E1");
    CHECK_OK(srd_compact(s));
    expect_last(s, "e", "E1");
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* streams                                                             */
/* ------------------------------------------------------------------ */

static srd_stream *begin_stream(srd_store *s, const char *key) {
    srd_stream *st = NULL;
    if (!CHECK_OK(srd_stream_begin(s, SRD_U8(key), strlen(key), &st))) return NULL;
    CHECK(st != NULL);
    return st;
}

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

    srd_stream *st = begin_stream(s, "big");
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
    srd_stream *st = begin_stream(s, "a");
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
    st = begin_stream(s, "c");
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
    st = begin_stream(s, "streamed");
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
    srd_stream *st = begin_stream(s, "first");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("abc"), 3));
        srd_stream_abort(st);
    }
    CHECK_EQ(tst_file_len(p), 0);
    CHECK_EQ_U(tst_size_of(s), 0);
    expect_no_last(s);
    st = begin_stream(s, "first");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("abc"), 3));
        CHECK_OK(srd_stream_commit(st));
    }
    CHECK_EQ_U(tst_value_offset(s, "first"), 0);
    CHECK_EQ_U(tst_size_of(s), 3 + 20);
    expect_last(s, "first", "abc");
    tst_put_str(s, "second", "x");
    st = begin_stream(s, "third");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("333"), 3));
        CHECK_OK(srd_stream_commit(st));
    }
    expect_last(s, "third", "333");
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

    srd_stream *st = begin_stream(s, "k");
    if (st) CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_str(s, "k", "v");

    st = begin_stream(s, "k");
    if (st) {
        CHECK_OK(srd_stream_write(st, SRD_U8("x"), 0));
        CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
    }
    CHECK(tst_file_equals(p, orig, orig_len));

    st = begin_stream(s, "k");
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
    st = begin_stream(s, "zz");
    if (st) {
        CHECK_OK(srd_stream_write(st, &zero, 1));
        CHECK_OK(srd_stream_write(st, &zero, 1));
        CHECK_OK(srd_stream_commit(st));
    }
    const uint8_t *v = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, SRD_U8("zz"), 2, &v, &n))) CHECK(n == 2 && v[0] == 0 && v[1] == 0);
    st = begin_stream(s, "one");
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
    srd_stream *st = begin_stream(s, "streamed");
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
    srd_stream *so = begin_stream(o, "o-stream");
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
    srd_stream *st3 = begin_stream(s, "again");
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

/* Joins with a deadline; 0 if the thread did not finish (a deadlock). */
static int join_within(pthread_t t, double seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)seconds;
    return pthread_timedjoin_np(t, NULL, &ts) == 0;
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
        srd_stream *st = begin_stream(s, stream_key[round]);
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
            int joined = join_within(th[i], 60);
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
    h.st = begin_stream(s, "handed-off");
    if (h.st) {
        CHECK_OK(srd_stream_write(h.st, data, 70000));
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, finish_stream_thread, &h) == 0);
        CHECK(join_within(t, 60));
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
    CHECK(join_within(t2, 60));
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
    srd_stream *st = begin_stream(s, "late");
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
    st = begin_stream(s, "aborted");
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
    st = begin_stream(s, "nd");
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

/* ------------------------------------------------------------------ */
/* pinned entry functions                                              */
/* ------------------------------------------------------------------ */

static void test_busy_status_has_its_own_text(void) {
    CHECK_EQ(SRD_BUSY, 8);
    const char *b = srd_status_str(SRD_BUSY);
    if (!CHECK(b != NULL && b[0] != '\0')) return;
    CHECK(strcmp(b, srd_status_str(-1)) != 0); /* not "unknown status code" */
    for (int32_t c = SRD_OK; c < SRD_BUSY; c++) CHECK(strcmp(b, srd_status_str(c)) != 0);
    CHECK_EQ(SRD_BROKEN, 9);
    const char *k = srd_status_str(SRD_BROKEN);
    if (!CHECK(k != NULL && k[0] != '\0')) return;
    CHECK(strcmp(k, srd_status_str(-1)) != 0);
    for (int32_t c = SRD_OK; c < SRD_BROKEN; c++) CHECK(strcmp(k, srd_status_str(c)) != 0);
    CHECK(strcmp(srd_status_str(10), srd_status_str(-1)) == 0);
}

static void test_crc32_helper_matches_the_check_value(void) {
    CHECK_EQ_U(tst_crc32(SRD_U8("123456789"), 9), 0xCBF43926u);
    CHECK_EQ_U(tst_crc32(SRD_U8(""), 0), 0);
}

static void test_entry_metadata_functions_describe_the_value_in_the_file(void) {
    const char *p = tst_path("entry-meta.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    const size_t sizes[] = {1, 3, 63, 64, 65, 1000, 100003};
    enum { NS = sizeof sizes / sizeof sizes[0] };
    uint8_t *vals[NS];
    char keys[NS][16];
    for (int i = 0; i < NS; i++) {
        snprintf(keys[i], sizeof keys[i], "e%d", i);
        vals[i] = tst_pattern(sizes[i], (uint32_t)i * 3 + 1);
        tst_put(s, keys[i], vals[i], sizes[i]);
        tst_put_str(s, "spacer", "odd-length"); /* forces padding before the next value */
    }
    for (int i = 0; i < NS; i++) {
        tst_ctx("value %d (%zu bytes)", i, sizes[i]);
        srd_entry *e = NULL;
        if (!CHECK_OK(srd_read_entry(s, SRD_U8(keys[i]), strlen(keys[i]), &e))) continue;
        size_t len = 0;
        const uint8_t *d = srd_entry_data(e, &len);
        CHECK_EQ_U(len, sizes[i]);

        /* srd_entry_read_at: chunked reassembly equals the value */
        uint8_t *buf = (uint8_t *)malloc(sizes[i] + 16);
        REQUIRE(buf != NULL);
        size_t got = 0, caps[] = {1, 7, 64, 4099, 1 << 20};
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            if (caps[c] == 1 && sizes[i] > 10000) continue; /* byte by byte only for small values */
            memset(buf, 0xEE, sizes[i] + 16);
            got = 0;
            size_t rounds = 0;
            while (got < sizes[i] && rounds < 200000) {
                size_t n = SENTINEL_LEN;
                if (!CHECK_OK(srd_entry_read_at(e, got, buf + got, caps[c], &n))) break;
                size_t want_n = sizes[i] - got < caps[c] ? sizes[i] - got : caps[c];
                if (!CHECK_EQ_U(n, want_n)) break;
                got += n;
                rounds++;
            }
            CHECK_EQ_U(got, sizes[i]);
            CHECK_MEM(buf, vals[i], sizes[i]);
            CHECK_EQ(buf[sizes[i]], 0xEE); /* never more than cap */
        }
        size_t n = SENTINEL_LEN;
        CHECK_OK(srd_entry_read_at(e, sizes[i], buf, 10, &n)); /* offset == len */
        CHECK_EQ_U(n, 0);
        n = SENTINEL_LEN;
        CHECK_OK(srd_entry_read_at(e, 0, buf, 0, &n)); /* cap 0 */
        CHECK_EQ_U(n, 0);
        n = SENTINEL_LEN;
        CHECK_OK(srd_entry_read_at(e, 0, NULL, 0, &n));
        CHECK_EQ_U(n, 0);
        n = SENTINEL_LEN;
        CHECK_OK(srd_entry_read_at(e, sizes[i] - 1, buf, 100, &n)); /* the last byte */
        if (CHECK_EQ_U(n, 1)) CHECK_EQ(buf[0], vals[i][sizes[i] - 1]);
        n = SENTINEL_LEN;
        CHECK_STATUS(srd_entry_read_at(e, sizes[i] + 1, buf, 10, &n), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_entry_read_at(e, UINT64_MAX, buf, 10, &n), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_entry_read_at(e, 0, NULL, 10, &n), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_entry_read_at(e, 0, buf, 10, NULL), SRD_INVALID_ARGUMENT);
        CHECK_EQ_U(n, SENTINEL_LEN);
        free(buf);

        /* key hash, checksum, offset, verify */
        uint64_t kh = SENTINEL_U64;
        CHECK_OK(srd_entry_key_hash(e, &kh));
        CHECK_EQ_U(kh, tst_hash_of(keys[i]));
        uint32_t crc = SENTINEL_U32;
        CHECK_OK(srd_entry_checksum(e, &crc));
        CHECK_EQ_U(crc, tst_crc32(vals[i], sizes[i]));
        uint64_t off = SENTINEL_U64;
        CHECK_OK(srd_entry_offset(e, &off));
        CHECK_EQ_U(off % 64, 0);
        CHECK_EQ_U((uintptr_t)d % 64, 0);
        uint8_t *fbuf = (uint8_t *)malloc(sizes[i] + 20);
        REQUIRE(fbuf != NULL);
        if (CHECK(tst_read_file_at(p, off, fbuf, sizes[i] + 20))) {
            CHECK_MEM(fbuf, vals[i], sizes[i]);
            CHECK_EQ_U(tst_le64(fbuf + sizes[i]), kh);          /* metadata: key hash */
            CHECK_EQ_U(tst_le32(fbuf + sizes[i] + 16), crc);        /* metadata: CRC */
        }
        free(fbuf);
        CHECK_OK(srd_entry_verify(e));
        srd_entry_free(e);
    }
    tst_ctx_clear();

    /* NULL entry and NULL outputs */
    srd_entry *e = NULL;
    REQUIRE(srd_read_entry(s, SRD_U8("e1"), 2, &e) == SRD_OK);
    uint8_t b[4];
    size_t n = SENTINEL_LEN;
    uint64_t u = SENTINEL_U64;
    uint32_t c = SENTINEL_U32;
    CHECK_STATUS(srd_entry_read_at(NULL, 0, b, 4, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_key_hash(NULL, &u), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_checksum(NULL, &c), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_offset(NULL, &u), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_verify(NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_key_hash(e, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_checksum(e, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_entry_offset(e, NULL), SRD_INVALID_ARGUMENT);
    CHECK(n == SENTINEL_LEN && u == SENTINEL_U64 && c == SENTINEL_U32);

    /* the entry's metadata stays valid after compaction and close */
    uint64_t off_before = SENTINEL_U64;
    CHECK_OK(srd_entry_offset(e, &off_before));
    CHECK_OK(srd_compact(s));
    srd_close(s);
    CHECK_OK(srd_entry_verify(e));
    uint64_t kh = 0;
    CHECK_OK(srd_entry_key_hash(e, &kh));
    CHECK_EQ_U(kh, tst_hash_of("e1"));
    CHECK_OK(srd_entry_checksum(e, &c));
    CHECK_EQ_U(c, tst_crc32(vals[1], sizes[1]));
    n = 0;
    CHECK_OK(srd_entry_read_at(e, 0, b, 3, &n));
    if (CHECK_EQ_U(n, 3)) CHECK_MEM(b, vals[1], 3);
    srd_entry_free(e);
    for (int i = 0; i < NS; i++) free(vals[i]);
}

static void test_entry_verify_detects_a_damaged_value_read_without_verification(void) {
    const char *p = tst_path("entry-verify.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t *v = tst_pattern(5000, 8);
    /* Not the first entry: damage there makes srd_open refuse the file. */
    tst_put_str(s, "first", "the first entry");
    tst_put(s, "dmg", v, 5000);
    tst_put_str(s, "ok", "fine");
    uint64_t off = tst_value_offset(s, "dmg");
    srd_close(s);
    REQUIRE(off != UINT64_MAX);
    REQUIRE(tst_flip_byte(p, off + 4321));

    /* with verification, the read itself fails */
    s = tst_open_ro(p);
    if (s) {
        srd_entry *e = SENTINEL_ENTRY;
        CHECK_STATUS(srd_read_entry(s, SRD_U8("dmg"), 3, &e), SRD_CORRUPT);
        CHECK(e == SENTINEL_ENTRY);
        srd_close(s);
    }
    /* without, the entry is handed out and srd_entry_verify finds the damage */
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_VERIFY);
    if (s) {
        srd_entry *e = NULL;
        if (CHECK_OK(srd_read_entry(s, SRD_U8("dmg"), 3, &e))) {
            CHECK_STATUS(srd_entry_verify(e), SRD_CORRUPT);
            CHECK(srd_last_error_message()[0] != '\0');
            uint32_t c = 0;
            CHECK_OK(srd_entry_checksum(e, &c)); /* the stored CRC, of the original value */
            CHECK_EQ_U(c, tst_crc32(v, 5000));
            size_t n = 0;
            const uint8_t *d = srd_entry_data(e, &n);
            CHECK(n == 5000 && (d[4321] ^ v[4321]) == 0xFF);
            srd_entry_free(e);
        }
        if (CHECK_OK(srd_read_entry(s, SRD_U8("ok"), 2, &e))) {
            CHECK_OK(srd_entry_verify(e));
            srd_entry_free(e);
        }
        srd_close(s);
    }
    free(v);
}

/* ------------------------------------------------------------------ */
/* rename, copy, move                                                  */
/* ------------------------------------------------------------------ */

static void test_rename_moves_the_value_and_tombstones_the_old_key(void) {
    const char *p = tst_path("rename.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t *v = tst_pattern(777, 12);
    tst_put(s, "old", v, 777);
    tst_put_str(s, "other", "o");
    const uint8_t *oldp = NULL;
    size_t oldn = 0;
    CHECK_OK(srd_read(s, SRD_U8("old"), 3, &oldp, &oldn));

    /* errors: missing old key, same key, invalid keys, NULL store; nothing written */
    uint64_t size0 = tst_size_of(s), entries0 = tst_entry_count_of(s);
    CHECK_STATUS(srd_rename(s, SRD_U8("missing"), 7, SRD_U8("new"), 3), SRD_NOT_FOUND);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("old"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("oldx"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 0, SRD_U8("new"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("new"), 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, NULL, 3, SRD_U8("new"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, NULL, 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(NULL, SRD_U8("old"), 3, SRD_U8("new"), 3), SRD_INVALID_ARGUMENT);
    CHECK_EQ_U(tst_size_of(s), size0);
    CHECK_EQ(tst_file_len(p), (long long)size0);
    CHECK_EQ_U(tst_entry_count_of(s), entries0);
    tst_expect_absent(s, "new");

    CHECK_OK(srd_rename(s, SRD_U8("old"), 3, SRD_U8("new"), 3));
    tst_expect_value(s, "new", v, 777);
    tst_expect_absent(s, "old");
    CHECK_EQ_U(tst_count_of(s), 2);
    CHECK_EQ_U(tst_entry_count_of(s), entries0 + 2);
    CHECK_MEM(oldp, v, 777); /* earlier borrowed pointers stay valid */
    /* one append: the new key's entry, then the old key's tombstone */
    uint64_t size1 = tst_size_of(s);
    CHECK_EQ_U(size1, tst_tombstone_end(tst_value_entry_end(size0, 777)));
    uint8_t tail[21];
    if (CHECK(tst_read_file_at(p, size1 - 21, tail, 21))) {
        CHECK_EQ(tail[0], 0);
        CHECK_EQ_U(tst_le64(tail + 1), tst_hash_of("old"));
        CHECK_EQ_U(tst_le64(tail + 9), size1 - 21);
    }
    uint8_t meta[20];
    if (CHECK(tst_read_file_at(p, size1 - 21 - 20, meta, 20))) {
        CHECK_EQ_U(tst_le64(meta), tst_hash_of("new"));
        CHECK_EQ_U(tst_le64(meta + 8), size0);
    }
    CHECK_EQ_U(tst_value_offset(s, "new"), tst_align_up(size0));

    /* renaming onto an existing key replaces its value */
    CHECK_OK(srd_rename(s, SRD_U8("new"), 3, SRD_U8("other"), 5));
    tst_expect_value(s, "other", v, 777);
    tst_expect_absent(s, "new");
    CHECK_EQ_U(tst_count_of(s), 1);
    /* the old key is really gone: renaming it again is NOT_FOUND */
    CHECK_STATUS(srd_rename(s, SRD_U8("new"), 3, SRD_U8("x"), 1), SRD_NOT_FOUND);
    /* a large value (written from the mapping itself) */
    uint8_t *large = tst_pattern(3 << 20, 44);
    tst_put(s, "large", large, 3 << 20);
    CHECK_OK(srd_rename(s, SRD_U8("large"), 5, SRD_U8("large2"), 6));
    tst_expect_value(s, "large2", large, 3 << 20);
    tst_expect_absent(s, "large");
    srd_close(s);
    s = tst_open_ro(p);
    if (s) {
        tst_expect_value(s, "large2", large, 3 << 20);
        srd_verify_report r;
        CHECK_OK(srd_verify(s, &r));
        srd_close(s);
    }
    free(large);

    s = tst_open_ro(p);
    if (!s) {
        free(v);
        return;
    }
    tst_expect_value(s, "other", v, 777);
    tst_expect_absent(s, "old");
    tst_expect_absent(s, "new");
    long long len = tst_file_len(p);
    CHECK_STATUS(srd_rename(s, SRD_U8("other"), 5, SRD_U8("y"), 1), SRD_READ_ONLY);
    CHECK_EQ(tst_file_len(p), len);
    srd_close(s);
    free(v);
}

static void test_copy_and_move_between_stores_and_refuse_the_same_file(void) {
    const char *pa = tst_path("xfer-a.srd");
    const char *pb = tst_path("xfer-b.srd");
    const char *link = tst_path("xfer-a-link.srd");
    srd_store *a = tst_open_rw(pa);
    srd_store *b = tst_open_rw(pb);
    if (!a || !b) {
        srd_close(a);
        srd_close(b);
        return;
    }
    uint8_t *big = tst_pattern(300000, 9);
    tst_put(a, "big", big, 300000);
    tst_put_str(a, "small", "s");
    tst_put_str(a, "mv", "moving");
    tst_put_str(b, "b-only", "b");

    /* copy: both keep the value */
    CHECK_OK(srd_copy(a, SRD_U8("big"), 3, b));
    tst_expect_value(b, "big", big, 300000);
    tst_expect_value(a, "big", big, 300000);
    CHECK_OK(srd_copy(a, SRD_U8("small"), 5, b));
    tst_expect_str(b, "small", "s");
    tst_put_str(b, "small", "changed-in-b"); /* independent copies */
    tst_expect_str(a, "small", "s");

    /* missing key: NOT_FOUND, destination untouched */
    uint64_t bsize = tst_size_of(b);
    CHECK_STATUS(srd_copy(a, SRD_U8("nope"), 4, b), SRD_NOT_FOUND);
    CHECK_STATUS(srd_move(a, SRD_U8("nope"), 4, b), SRD_NOT_FOUND);
    CHECK_EQ_U(tst_size_of(b), bsize);

    /* the same file: same handle, a read-only handle, a symlinked path */
    uint64_t asize = tst_size_of(a);
    CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
    srd_store *a_ro = tst_open_ro(pa);
    if (a_ro) {
        CHECK_STATUS(srd_copy(a_ro, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a_ro), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_move(a, SRD_U8("small"), 5, a_ro), SRD_INVALID_ARGUMENT);
    }
    REQUIRE(symlink("xfer-a.srd", link) == 0); /* relative to the link's directory */
    srd_store *a_link = tst_open_ro(link);
    if (a_link) {
        CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a_link), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_copy(a_link, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
        srd_close(a_link);
    }
    CHECK_EQ_U(tst_size_of(a), asize);
    tst_expect_str(a, "small", "s");

    /* a read-only destination: READ_ONLY, nothing written; read-only source is fine */
    srd_store *b_ro = tst_open_ro(pb);
    if (b_ro) {
        long long blen = tst_file_len(pb);
        CHECK_STATUS(srd_copy(a, SRD_U8("mv"), 2, b_ro), SRD_READ_ONLY);
        CHECK_STATUS(srd_move(a, SRD_U8("mv"), 2, b_ro), SRD_READ_ONLY);
        CHECK_EQ(tst_file_len(pb), blen);
        tst_expect_str(a, "mv", "moving"); /* the failed move left the source alone */
        /* read-only source: copy works, move is READ_ONLY */
        CHECK_STATUS(srd_move(b_ro, SRD_U8("b-only"), 6, a), SRD_READ_ONLY);
        tst_expect_absent(a, "b-only");
        CHECK_OK(srd_copy(b_ro, SRD_U8("b-only"), 6, a));
        tst_expect_str(a, "b-only", "b");
        srd_close(b_ro);
    }
    if (a_ro) {
        /* a read-only handle of A is a fine source for another file */
        CHECK_OK(srd_copy(a_ro, SRD_U8("small"), 5, b));
        tst_expect_str(b, "small", "s");
        srd_close(a_ro);
    }

    /* NULL arguments */
    CHECK_STATUS(srd_copy(NULL, SRD_U8("mv"), 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_copy(a, SRD_U8("mv"), 2, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_copy(a, NULL, 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_copy(a, SRD_U8("mv"), 0, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(NULL, SRD_U8("mv"), 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, SRD_U8("mv"), 2, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, NULL, 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, SRD_U8("mv"), 0, b), SRD_INVALID_ARGUMENT);
    tst_expect_str(a, "mv", "moving");

    /* move: gone from the source, in the destination, across reopening both */
    CHECK_OK(srd_move(a, SRD_U8("mv"), 2, b));
    tst_expect_absent(a, "mv");
    tst_expect_str(b, "mv", "moving");
    CHECK_OK(srd_move(a, SRD_U8("big"), 3, b)); /* replaces b's copy */
    tst_expect_absent(a, "big");
    tst_expect_value(b, "big", big, 300000);
    CHECK_STATUS(srd_move(a, SRD_U8("mv"), 2, b), SRD_NOT_FOUND);
    srd_close(a);
    srd_close(b);
    a = tst_open_rw(pa);
    b = tst_open_rw(pb);
    if (a && b) {
        tst_expect_absent(a, "mv");
        tst_expect_absent(a, "big");
        tst_expect_str(b, "mv", "moving");
        tst_expect_value(b, "big", big, 300000);
        tst_expect_str(a, "small", "s");
        tst_expect_str(b, "small", "s");
        /* after a compaction the file is a new inode: still recognised as the same */
        CHECK_OK(srd_compact(a));
        srd_store *a2 = tst_open_ro(pa);
        if (a2) {
            CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a2), SRD_INVALID_ARGUMENT);
            CHECK_STATUS(srd_copy(a2, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
            srd_close(a2);
        }
    }
    srd_close(a);
    srd_close(b);
    free(big);
}

/* ------------------------------------------------------------------ */
/* iteration                                                           */
/* ------------------------------------------------------------------ */

struct model_entry {
    char key[24];
    uint64_t hash;
    uint8_t *val;
    size_t len;
    int live;
};

struct model {
    struct model_entry *e;
    size_t n;
};

static void model_free(struct model *m) {
    for (size_t i = 0; i < m->n; i++) free(m->e[i].val);
    free(m->e);
}

static size_t model_live(const struct model *m) {
    size_t c = 0;
    for (size_t i = 0; i < m->n; i++) c += m->e[i].live != 0;
    return c;
}

static void model_set(srd_store *s, struct model_entry *me, tst_rng *rng) {
    size_t len = 1 + (size_t)tst_rng_below(rng, 300);
    free(me->val);
    me->val = tst_pattern(len, (uint32_t)tst_rng_next(rng));
    me->len = len;
    me->live = 1;
    tst_put(s, me->key, me->val, len);
}

/* Writes n keys with overwrites and deletes; the model holds what must be live. */
static void model_build(srd_store *s, struct model *m, size_t n, uint64_t seed) {
    tst_rng rng = {seed};
    m->n = n;
    m->e = (struct model_entry *)calloc(n, sizeof *m->e);
    REQUIRE(m->e != NULL);
    for (size_t i = 0; i < n; i++) {
        snprintf(m->e[i].key, sizeof m->e[i].key, "it-%zu", i);
        m->e[i].hash = tst_hash_of(m->e[i].key);
        model_set(s, &m->e[i], &rng);
    }
    for (size_t r = 0; r < n; r++) {
        struct model_entry *me = &m->e[tst_rng_below(&rng, n)];
        if (tst_rng_below(&rng, 3) == 0) {
            if (me->live) {
                CHECK_OK(srd_delete(s, SRD_U8(me->key), strlen(me->key)));
                me->live = 0;
            }
        } else {
            model_set(s, me, &rng);
        }
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Index of the model entry with hash h, via a sorted (hash << 0, index) table. */
struct hash_index {
    uint64_t *hashes; /* sorted */
    size_t *idx;
    size_t n;
};

static struct hash_index hash_index_build(const struct model *m) {
    struct hash_index hi;
    hi.n = m->n;
    hi.hashes = (uint64_t *)malloc(m->n * sizeof(uint64_t));
    hi.idx = (size_t *)malloc(m->n * sizeof(size_t));
    REQUIRE(hi.hashes && hi.idx);
    for (size_t i = 0; i < m->n; i++) hi.hashes[i] = m->e[i].hash;
    qsort(hi.hashes, m->n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 0; i < m->n; i++) {
        uint64_t *f = (uint64_t *)bsearch(&m->e[i].hash, hi.hashes, m->n, sizeof(uint64_t), cmp_u64);
        REQUIRE(f != NULL);
        hi.idx[f - hi.hashes] = i;
    }
    return hi;
}

static long hash_index_find(const struct hash_index *hi, uint64_t h) {
    uint64_t *f = (uint64_t *)bsearch(&h, hi->hashes, hi->n, sizeof(uint64_t), cmp_u64);
    return f ? (long)hi->idx[f - hi->hashes] : -1;
}

static void hash_index_free(struct hash_index *hi) {
    free(hi->hashes);
    free(hi->idx);
}

/* Drains an iterator, checking every entry against the model; counts per model index. */
static size_t drain_and_check(const srd_store *s, srd_iter *it, const struct model *m,
                              const struct hash_index *hi, unsigned *seen) {
    size_t yielded = 0;
    uint64_t prev_off = 0;
    const uint8_t *prev_ptr = NULL;
    for (;;) {
        uint64_t h = SENTINEL_U64;
        const uint8_t *v = SENTINEL_PTR;
        size_t n = SENTINEL_LEN;
        int32_t st = srd_iter_next(it, &h, &v, &n);
        if (st == SRD_NOT_FOUND) {
            CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
            break;
        }
        if (!CHECK_OK(st)) break;
        yielded++;
        long i = hash_index_find(hi, h);
        if (!CHECK_MSG(i >= 0, "hash %016" PRIx64 " is not a key ever written", h)) continue;
        const struct model_entry *me = &m->e[i];
        seen[i]++;
        CHECK_MSG(me->live, "%s is deleted but was yielded", me->key);
        if (CHECK_EQ_U(n, me->len)) CHECK_MEM(v, me->val, n);
        CHECK_EQ_U((uintptr_t)v % 64, 0);
        /* file order: the pointer and the value's file offset both increase */
        CHECK(prev_ptr == NULL || v > prev_ptr);
        prev_ptr = v;
        if (s != NULL) {
            srd_entry *e = NULL;
            uint64_t off = 0;
            if (CHECK_OK(srd_read_entry_with_hash(s, h, &e))) {
                CHECK_OK(srd_entry_offset(e, &off));
                CHECK_MSG(yielded == 1 || off > prev_off, "offset %" PRIu64 " after %" PRIu64, off, prev_off);
                prev_off = off;
                srd_entry_free(e);
            }
        }
    }
    return yielded;
}

static void test_iter_yields_exactly_the_live_entries_in_file_order(void) {
    const char *p = tst_path("iter.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    /* an empty store yields nothing */
    srd_iter *it = SENTINEL_ITER;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h = SENTINEL_U64;
        const uint8_t *v = SENTINEL_PTR;
        size_t n = SENTINEL_LEN;
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND);
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND);
        CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
        srd_iter_free(it);
    }
    struct model m;
    model_build(s, &m, (size_t)tst_scaled(2000, 60), 1234);
    struct hash_index hi = hash_index_build(&m);
    unsigned *seen = (unsigned *)calloc(m.n, sizeof(unsigned));
    REQUIRE(seen != NULL);
    size_t live = model_live(&m);
    CHECK(live > 0 && live < m.n);
    CHECK_EQ_U(tst_count_of(s), live);

    for (int reopen = 0; reopen < 2; reopen++) {
        tst_ctx("reopened %d", reopen);
        memset(seen, 0, m.n * sizeof(unsigned));
        it = NULL;
        if (!CHECK_OK(srd_iter_new(s, &it))) break;
        size_t y = drain_and_check(s, it, &m, &hi, seen);
        CHECK_EQ_U(y, live);
        for (size_t i = 0; i < m.n; i++)
            CHECK_MSG(seen[i] == (m.e[i].live ? 1u : 0u), "%s seen %u times (live %d)", m.e[i].key,
                      seen[i], m.e[i].live);
        uint64_t h;
        const uint8_t *v;
        size_t n;
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND); /* stays exhausted */
        srd_iter_free(it);
        srd_close(s);
        s = tst_open_ro(p);
        if (!s) break;
    }
    tst_ctx_clear();

    /* NULL arguments */
    it = SENTINEL_ITER;
    CHECK_STATUS(srd_iter_new(NULL, &it), SRD_INVALID_ARGUMENT);
    CHECK(it == SENTINEL_ITER);
    if (s) {
        CHECK_STATUS(srd_iter_new(s, NULL), SRD_INVALID_ARGUMENT);
        if (CHECK_OK(srd_iter_new(s, &it))) {
            uint64_t h = SENTINEL_U64;
            const uint8_t *v = SENTINEL_PTR;
            size_t n = SENTINEL_LEN;
            CHECK_STATUS(srd_iter_next(it, NULL, &v, &n), SRD_INVALID_ARGUMENT);
            CHECK_STATUS(srd_iter_next(it, &h, NULL, &n), SRD_INVALID_ARGUMENT);
            CHECK_STATUS(srd_iter_next(it, &h, &v, NULL), SRD_INVALID_ARGUMENT);
            CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
            srd_iter_free(it);
        }
    }
    uint64_t h;
    const uint8_t *v;
    size_t n;
    CHECK_STATUS(srd_iter_next(NULL, &h, &v, &n), SRD_INVALID_ARGUMENT);
    srd_iter_free(NULL);
    srd_close(s);
    free(seen);
    hash_index_free(&hi);
    model_free(&m);
}

static void test_iter_is_a_snapshot_unaffected_by_writes_compaction_and_close(void) {
    const char *p = tst_path("iter-snapshot.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    struct model m;
    model_build(s, &m, (size_t)tst_scaled(1000, 40), 99);
    /* the snapshot: a deep copy of the model now */
    struct model snap;
    snap.n = m.n;
    snap.e = (struct model_entry *)calloc(m.n, sizeof *snap.e);
    REQUIRE(snap.e != NULL);
    for (size_t i = 0; i < m.n; i++) {
        snap.e[i] = m.e[i];
        snap.e[i].val = (uint8_t *)malloc(m.e[i].len);
        REQUIRE(snap.e[i].val != NULL);
        memcpy(snap.e[i].val, m.e[i].val, m.e[i].len);
    }
    struct hash_index hi = hash_index_build(&snap);
    size_t live = model_live(&snap);
    const uint8_t **ptrs = (const uint8_t **)calloc(m.n, sizeof *ptrs);
    unsigned *seen = (unsigned *)calloc(m.n, sizeof(unsigned));
    REQUIRE(ptrs && seen);

    srd_iter *it = NULL;
    if (!CHECK_OK(srd_iter_new(s, &it))) {
        srd_close(s);
        return;
    }
    size_t yielded = 0;
    tst_rng rng = {5};
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) {
            /* between halves: overwrite, delete, add, compact, close */
            for (size_t i = 0; i < m.n; i++) {
                if (i % 3 == 0) model_set(s, &m.e[i], &rng);
                else if (i % 3 == 1 && m.e[i].live) {
                    CHECK_OK(srd_delete(s, SRD_U8(m.e[i].key), strlen(m.e[i].key)));
                    m.e[i].live = 0;
                }
            }
            for (int i = 0; i < 50; i++) {
                char k[32];
                snprintf(k, sizeof k, "added-%d", i);
                tst_put_str(s, k, "new");
            }
            CHECK_OK(srd_compact(s));
            tst_put_str(s, "after-compact", "x");
            srd_close(s);
            s = NULL;
        }
        size_t limit = phase == 0 ? live / 2 : SIZE_MAX;
        const uint8_t *prev = NULL;
        while (yielded < limit) {
            uint64_t h = 0;
            const uint8_t *v = NULL;
            size_t n = 0;
            int32_t st = srd_iter_next(it, &h, &v, &n);
            if (st == SRD_NOT_FOUND) break;
            if (!CHECK_OK(st)) break;
            yielded++;
            long i = hash_index_find(&hi, h);
            if (!CHECK_MSG(i >= 0, "yielded a key written after the snapshot")) continue;
            seen[i]++;
            CHECK(snap.e[i].live);
            if (CHECK_EQ_U(n, snap.e[i].len)) CHECK_MEM(v, snap.e[i].val, n);
            CHECK_EQ_U((uintptr_t)v % 64, 0);
            CHECK(prev == NULL || v > prev);
            prev = v;
            ptrs[i] = v;
        }
    }
    CHECK_EQ_U(yielded, live);
    for (size_t i = 0; i < m.n; i++) CHECK_EQ_U(seen[i], snap.e[i].live ? 1 : 0);
    /* every pointer it returned still shows the snapshot's bytes */
    for (size_t i = 0; i < m.n; i++)
        if (ptrs[i] != NULL) CHECK_MEM(ptrs[i], snap.e[i].val, snap.e[i].len);
    srd_iter_free(it);

    /* the store itself moved on */
    s = tst_open_ro(p);
    if (s) {
        CHECK_EQ_U(tst_count_of(s), model_live(&m) + 51);
        srd_close(s);
    }
    free(ptrs);
    free(seen);
    hash_index_free(&hi);
    model_free(&m);
    model_free(&snap);
}

struct part_job {
    const srd_store *s;
    const struct model *m;
    const struct hash_index *hi;
    uint32_t part, parts;
    unsigned *seen;
    size_t yielded;
    int32_t status;
};

static void *part_thread(void *arg) {
    struct part_job *j = (struct part_job *)arg;
    srd_iter *it = NULL;
    j->status = srd_iter_new_part(j->s, j->part, j->parts, &it);
    if (j->status != SRD_OK) return NULL;
    j->yielded = drain_and_check(NULL, it, j->m, j->hi, j->seen);
    srd_iter_free(it);
    return NULL;
}

static void test_iter_parts_split_the_live_entries_exactly_once(void) {
    const char *p = tst_path("iter-parts.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    struct model m;
    model_build(s, &m, (size_t)tst_scaled(1500, 50), 4321);
    struct hash_index hi = hash_index_build(&m);
    size_t live = model_live(&m);
    unsigned *seen = (unsigned *)calloc(m.n, sizeof(unsigned));
    REQUIRE(seen != NULL);

    for (uint32_t parts = 1; parts <= 8; parts++) {
        memset(seen, 0, m.n * sizeof(unsigned));
        size_t total = 0;
        for (uint32_t part = 0; part < parts; part++) {
            tst_ctx("part %u of %u", part, parts);
            srd_iter *it = NULL;
            if (!CHECK_OK(srd_iter_new_part(s, part, parts, &it))) continue;
            total += drain_and_check(s, it, &m, &hi, seen);
            srd_iter_free(it);
        }
        tst_ctx("parts %u", parts);
        CHECK_EQ_U(total, live);
        for (size_t i = 0; i < m.n; i++)
            CHECK_MSG(seen[i] == (m.e[i].live ? 1u : 0u), "%s seen %u times", m.e[i].key, seen[i]);
    }
    tst_ctx_clear();

    /* four parts scanned by four threads at once */
    memset(seen, 0, m.n * sizeof(unsigned));
    struct part_job jobs[4];
    pthread_t th[4];
    unsigned *seen_t[4];
    for (int t = 0; t < 4; t++) {
        seen_t[t] = (unsigned *)calloc(m.n, sizeof(unsigned));
        REQUIRE(seen_t[t] != NULL);
        jobs[t] = (struct part_job){s, &m, &hi, (uint32_t)t, 4, seen_t[t], 0, -1};
        REQUIRE(pthread_create(&th[t], NULL, part_thread, &jobs[t]) == 0);
    }
    size_t total = 0;
    for (int t = 0; t < 4; t++) {
        CHECK(join_within(th[t], 120));
        CHECK_OK(jobs[t].status);
        total += jobs[t].yielded;
        for (size_t i = 0; i < m.n; i++) seen[i] += seen_t[t][i];
        free(seen_t[t]);
    }
    CHECK_EQ_U(total, live);
    for (size_t i = 0; i < m.n; i++) CHECK_EQ_U(seen[i], m.e[i].live ? 1 : 0);

    /* invalid partitions and NULL arguments */
    srd_iter *it = SENTINEL_ITER;
    CHECK_STATUS(srd_iter_new_part(s, 0, 0, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, 1, 1, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, 4, 4, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, 9, 4, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, UINT32_MAX, UINT32_MAX, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(NULL, 0, 2, &it), SRD_INVALID_ARGUMENT);
    CHECK(it == SENTINEL_ITER);
    CHECK_STATUS(srd_iter_new_part(s, 0, 2, NULL), SRD_INVALID_ARGUMENT);
    /* many parts: still each live entry once */
    memset(seen, 0, m.n * sizeof(unsigned));
    total = 0;
    const uint32_t many = 1000;
    for (uint32_t part = 0; part < many; part++) {
        srd_iter *pi = NULL;
        if (!CHECK_OK(srd_iter_new_part(s, part, many, &pi))) break;
        total += drain_and_check(NULL, pi, &m, &hi, seen);
        srd_iter_free(pi);
    }
    CHECK_EQ_U(total, live);
    srd_close(s);
    free(seen);
    hash_index_free(&hi);
    model_free(&m);
}

static void test_iter_reports_a_damaged_value_and_continues(void) {
    const char *p = tst_path("iter-corrupt.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "i0", "zero");
    tst_put_str(s, "i1", "one-is-damaged");
    tst_put_str(s, "i2", "two");
    uint64_t off = tst_value_offset(s, "i1");
    srd_close(s);
    REQUIRE(tst_flip_byte(p, off + 2));
    /* with SRD_OPEN_NO_VERIFY the damaged value is yielded like the others */
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_VERIFY);
    if (s) {
        srd_iter *it = NULL;
        size_t ok = 0;
        if (CHECK_OK(srd_iter_new(s, &it))) {
            uint64_t h;
            const uint8_t *v;
            size_t n;
            int32_t st;
            while ((st = srd_iter_next(it, &h, &v, &n)) == SRD_OK) ok++;
            CHECK_STATUS(st, SRD_NOT_FOUND);
            srd_iter_free(it);
        }
        CHECK_EQ_U(ok, 3);
        srd_close(s);
    }
    s = tst_open_ro(p);
    if (!s) return;
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h = 0;
        const uint8_t *v = NULL;
        size_t n = 0;
        if (CHECK_OK(srd_iter_next(it, &h, &v, &n))) CHECK_EQ_U(h, tst_hash_of("i0"));
        h = SENTINEL_U64;
        v = SENTINEL_PTR;
        n = SENTINEL_LEN;
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_CORRUPT);
        CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
        if (CHECK_OK(srd_iter_next(it, &h, &v, &n))) {
            CHECK_EQ_U(h, tst_hash_of("i2"));
            CHECK(n == 3 && memcmp(v, "two", 3) == 0);
        }
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND);
        srd_iter_free(it);
    }
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* verify, compaction progress, reclaimable bytes, entry count          */
/* ------------------------------------------------------------------ */

struct progress_log {
    uint64_t calls;
    uint64_t first_total, last_done, last_total;
    int total_changed, went_back, done_over_total;
};

static void progress_cb(void *user, uint64_t done, uint64_t total) {
    struct progress_log *l = (struct progress_log *)user;
    if (l->calls == 0) l->first_total = total;
    else {
        if (total != l->first_total) l->total_changed = 1;
        if (done < l->last_done) l->went_back = 1;
    }
    if (done > total) l->done_over_total = 1;
    l->last_done = done;
    l->last_total = total;
    l->calls++;
}

static void check_progress(const struct progress_log *l, uint64_t want_total) {
    CHECK(l->calls >= 1);
    CHECK(l->calls <= 1000);
    CHECK_EQ_U(l->first_total, want_total);
    CHECK_EQ_U(l->last_total, want_total);
    CHECK_EQ_U(l->last_done, want_total); /* ends with done == total */
    CHECK(!l->total_changed);
    CHECK(!l->went_back);
    CHECK(!l->done_over_total);
}

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
    srd_stream *st = begin_stream(s, "streamed");
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
        struct progress_log log;
        memset(&log, 0, sizeof log);
        if (with_cb == 0) CHECK_OK(srd_verify(s, &r));
        else if (with_cb == 1) CHECK_OK(srd_verify_progress(s, &r, progress_cb, &log));
        else CHECK_OK(srd_verify_progress(s, &r, NULL, NULL));
        CHECK_EQ_U(r.entries_checked, entries);
        CHECK_EQ_U(r.bytes_checked, payload);
        CHECK_EQ_U(r.file_size, tst_size_of(s));
        CHECK_EQ_U(r.first_bad_offset, UINT64_MAX);
        CHECK_EQ_U(r.bad_entries, 0);
        if (with_cb == 1) check_progress(&log, tst_size_of(s));
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
        CHECK_STATUS(srd_verify_progress(s, NULL, progress_cb, NULL), SRD_INVALID_ARGUMENT);
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
        struct progress_log log;
        memset(&log, 0, sizeof log);
        CHECK_STATUS(srd_verify_progress(s, &r, progress_cb, &log), SRD_CORRUPT);
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
        check_progress(&log, total);
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
    struct progress_log log;
    memset(&log, 0, sizeof log);
    CHECK_OK(srd_compact_progress(s, progress_cb, &log));
    check_progress(&log, live);
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
        CHECK_OK(srd_compact_progress(s, progress_cb, &log));
        check_progress(&log, 0);
        srd_close(s);
    }

    /* read-only handles: compaction refused, queries fine; NULL arguments */
    s = tst_open_ro(p);
    if (s) {
        memset(&log, 0, sizeof log);
        CHECK_STATUS(srd_compact_progress(s, progress_cb, &log), SRD_READ_ONLY);
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
    expect_last(s_in, "x", "y");
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

/* `test_features --crash-mid-stream <path>`: begins a stream, writes 1 MiB, dies. */
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

static char self_exe[PATH_MAX];

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
        execl(self_exe, self_exe, "--crash-mid-stream", p, (char *)NULL);
        _exit(99);
    }
    int wst = 0;
    REQUIRE(waitpid(pid, &wst, 0) == pid);
    CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    CHECK(tst_file_len(p) > (long long)orig_len + (1 << 20) - 1); /* the bytes reached the file */
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
    CHECK(join_within(t, 120));
    CHECK_OK(w.status);
    printf("test_features: %ld batch reads during %ld batch writes saw %ld versions\n", reads,
           w.rounds, versions);
    srd_read_result fin[PAIR_KEYS];
    if (CHECK_OK(srd_read_batch(s, k, PAIR_KEYS, fin))) CHECK_EQ(batch_version(fin), w.rounds);
    CHECK_MSG(torn == 0, "%ld of %ld batch reads mixed two versions", torn, reads);
    CHECK_MSG(went_back == 0, "%ld batch reads went back in time", went_back);
    srd_close(s);
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
    srd_stream *st = begin_stream(s, "big");
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
    st = begin_stream(s, "big");
    if (st) {
        CHECK_STATUS(srd_stream_write(st, big, 100000), SRD_IO);
        srd_stream_abort(st);
    }
    CHECK(tst_file_equals(p, orig, orig_len));

    /* 3. the payload fits but the commit's metadata does not */
    REQUIRE(set_file_size_limit((rlim_t)(tst_align_up(orig_len) + 1000 + 10)));
    st = begin_stream(s, "meta");
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
    struct progress_log log;
    memset(&log, 0, sizeof log);
    CHECK_STATUS(srd_compact_progress(s, progress_cb, &log), SRD_IO);
    CHECK(tst_file_equals(p, orig, orig_len));
    tst_expect_value(s, "old", big, 1000);

    /* the limit lifted, everything works again and survives reopen */
    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, SIG_DFL);
    st = begin_stream(s, "big");
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
    char k[32], v[32];
    for (uint32_t i = 0; i < n + extra; i += 97) {
        snprintf(k, sizeof k, "idx-key-%u", i);
        if (i >= n && (i - n) % 2 == 1) {
            tst_expect_absent(s, k);
            continue;
        }
        snprintf(v, sizeof v, "value-%u-%u", i, i >= n ? 2u : 1u);
        tst_expect_value(s, k, v, strlen(v));
    }
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

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--crash-mid-stream") == 0) return crash_mid_stream(argv[2]);
    if (realpath(argv[0], self_exe) == NULL) snprintf(self_exe, sizeof self_exe, "%s", argv[0]);
    tst_test_init(argc, argv, "test_features");

    test_crc32_helper_matches_the_check_value();
    test_busy_status_has_its_own_text();
    test_hash_key_gives_known_xxh3_vectors_and_rejects_null_with_length();
    test_hash_key_is_the_hash_the_store_writes_and_looks_up();
    test_namespace_key_is_le_prefix_hash_then_le_key_hash();
    test_namespace_keys_work_as_keys_and_separate_namespaces();
    test_with_hash_variants_address_the_same_key_as_by_name();
    test_read_batch_reports_each_key_and_matches_srd_read();
    test_read_batch_reports_a_corrupt_value_in_its_slot_only();
    test_read_batch_sees_one_consistent_view_under_concurrent_batches();
    test_read_last_returns_the_newest_live_value();
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
    test_entry_metadata_functions_describe_the_value_in_the_file();
    test_entry_verify_detects_a_damaged_value_read_without_verification();
    test_rename_moves_the_value_and_tombstones_the_old_key();
    test_copy_and_move_between_stores_and_refuse_the_same_file();
    test_iter_yields_exactly_the_live_entries_in_file_order();
    test_iter_is_a_snapshot_unaffected_by_writes_compaction_and_close();
    test_iter_parts_split_the_live_entries_exactly_once();
    test_iter_reports_a_damaged_value_and_continues();
    test_verify_reports_a_sound_store_with_exact_totals();
    test_verify_finds_flipped_payload_bytes_and_fills_the_report();
    test_verify_of_a_read_only_store_with_a_torn_tail_checks_the_recovered_part();
    test_compact_progress_reclaimable_bytes_and_entry_count_agree();
    test_io_failures_poison_streams_and_leave_every_file_unchanged();
    test_nested_stores_open_in_place_zero_copy_and_outlive_their_source();
    test_open_bytes_over_caller_memory_and_rejects_garbage();
    test_index_file_speeds_reopen_and_is_ignored_when_stale_or_damaged();
    return tst_test_finish();
}

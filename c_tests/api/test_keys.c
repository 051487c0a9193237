/*
 * test_keys.c - srd_hash_key and srd_namespace_key (known XXH3-64 vectors, the hash written to
 * the file, le64(hash(prefix)) ++ le64(hash(key))) and the _with_hash variants, which must
 * name the same key as by name.
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

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_keys");

    test_hash_key_gives_known_xxh3_vectors_and_rejects_null_with_length();
    test_hash_key_is_the_hash_the_store_writes_and_looks_up();
    test_namespace_key_is_le_prefix_hash_then_le_key_hash();
    test_namespace_keys_work_as_keys_and_separate_namespaces();
    test_with_hash_variants_address_the_same_key_as_by_name();
    return tst_test_finish();
}

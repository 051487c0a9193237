/*
 * test_entries.c - pinned entry functions (srd_entry_read_at, offsets, key hash, CRC-32
 * computed in the test, srd_entry_verify) and the text of SRD_BUSY.
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
    CHECK_EQ(SRD_CONFLICT, 10);
    const char *c10 = srd_status_str(SRD_CONFLICT);
    if (!CHECK(c10 != NULL && c10[0] != '\0')) return;
    for (int32_t c = SRD_OK; c < SRD_CONFLICT; c++) CHECK(strcmp(c10, srd_status_str(c)) != 0);
    CHECK(strcmp(srd_status_str(11), srd_status_str(-1)) == 0);
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

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_entries");

    test_crc32_helper_matches_the_check_value();
    test_busy_status_has_its_own_text();
    test_entry_metadata_functions_describe_the_value_in_the_file();
    test_entry_verify_detects_a_damaged_value_read_without_verification();
    return tst_test_finish();
}

/* tst_api.c - helpers shared by the API suites (see tst_api.h). */
#include "tst_api.h"

srd_store *tst_open_ok(const char *path, uint32_t flags) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, flags, &s))) return NULL;
    return s;
}

srd_store *tst_open_flags(const char *path, uint32_t flags) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, flags, &s))) return NULL;
    CHECK(s != NULL);
    return s;
}

srd_store *tst_open_rw(const char *path) { return tst_open_flags(path, 0); }
srd_store *tst_open_ro(const char *path) { return tst_open_flags(path, SRD_OPEN_READ_ONLY); }

int tst_put(srd_store *s, const char *key, const void *val, size_t len) {
    return CHECK_OK(srd_write(s, SRD_U8(key), strlen(key), (const uint8_t *)val, len));
}

int tst_put_str(srd_store *s, const char *key, const char *val) {
    return tst_put(s, key, val, strlen(val));
}

void tst_expect_value(const srd_store *s, const char *key, const void *val, size_t len) {
    const uint8_t *p = NULL;
    size_t n = 0;
    if (!CHECK_OK(srd_read(s, SRD_U8(key), strlen(key), &p, &n))) {
        fprintf(stderr, "    (key \"%s\")\n", key);
        return;
    }
    if (CHECK_EQ_U(n, len)) CHECK_MEM(p, val, len);
    CHECK_EQ_U((uintptr_t)p % 64, 0);
}

void tst_expect_str(const srd_store *s, const char *key, const char *val) {
    tst_expect_value(s, key, val, strlen(val));
}

void tst_expect_absent(const srd_store *s, const char *key) {
    const uint8_t *p = SENTINEL_PTR;
    size_t n = SENTINEL_LEN;
    CHECK_STATUS(srd_read(s, SRD_U8(key), strlen(key), &p, &n), SRD_NOT_FOUND);
    CHECK(p == SENTINEL_PTR);
    CHECK(n == SENTINEL_LEN);
    CHECK_STATUS(srd_exists(s, SRD_U8(key), strlen(key)), SRD_NOT_FOUND);
    srd_entry *e = SENTINEL_ENTRY;
    CHECK_STATUS(srd_read_entry(s, SRD_U8(key), strlen(key), &e), SRD_NOT_FOUND);
    CHECK(e == SENTINEL_ENTRY);
}

void tst_fill_pattern(uint8_t *buf, size_t len, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    if (len == 1 && buf[0] == 0) buf[0] = 1; /* a lone 0x00 is a tombstone, not a value */
}

uint8_t *tst_pattern(size_t len, uint32_t seed) {
    uint8_t *b = (uint8_t *)malloc(len ? len : 1);
    REQUIRE(b != NULL);
    tst_fill_pattern(b, len, seed);
    return b;
}

uint64_t tst_hash_of(const char *key) {
    uint64_t h = SENTINEL_U64;
    CHECK_OK(srd_hash_key(SRD_U8(key), strlen(key), &h));
    return h;
}

uint64_t tst_value_offset(const srd_store *s, const char *key) {
    srd_entry *e = NULL;
    uint64_t off = UINT64_MAX;
    if (!CHECK_OK(srd_read_entry(s, SRD_U8(key), strlen(key), &e))) return UINT64_MAX;
    CHECK_OK(srd_entry_offset(e, &off));
    srd_entry_free(e);
    return off;
}

uint64_t tst_entry_count_of(const srd_store *s) {
    uint64_t v = UINT64_MAX;
    if (srd_entry_count(s, &v) != SRD_OK) return UINT64_MAX;
    return v;
}

int tst_in_range(const void *p, size_t n, const void *base, size_t base_len) {
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return a >= b && a + n <= b + base_len;
}

int tst_read_file_at(const char *path, uint64_t off, void *buf, size_t n) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    int ok = fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n;
    fclose(f);
    return ok;
}

int tst_flip_byte(const char *path, uint64_t off) { return tst_xor_byte(path, off, 0xFF); }

void tst_expect_last(const srd_store *s, const char *key, const char *val) {
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

void tst_expect_no_last(const srd_store *s) {
    uint64_t h = SENTINEL_U64;
    const uint8_t *v = SENTINEL_PTR;
    size_t n = SENTINEL_LEN;
    CHECK_STATUS(srd_read_last(s, &h, &v, &n), SRD_NOT_FOUND);
    CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
}

srd_stream *tst_begin_stream(srd_store *s, const char *key) {
    srd_stream *st = NULL;
    if (!CHECK_OK(srd_stream_begin(s, SRD_U8(key), strlen(key), &st))) return NULL;
    CHECK(st != NULL);
    return st;
}

int tst_join_within(pthread_t t, double seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)seconds;
    return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

void tst_progress_cb(void *user, uint64_t done, uint64_t total) {
    struct tst_progress_log *l = (struct tst_progress_log *)user;
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

void tst_check_progress(const struct tst_progress_log *l, uint64_t want_total) {
    CHECK(l->calls >= 1);
    CHECK(l->calls <= 1000);
    CHECK_EQ_U(l->first_total, want_total);
    CHECK_EQ_U(l->last_total, want_total);
    CHECK_EQ_U(l->last_done, want_total); /* ends with done == total */
    CHECK(!l->total_changed);
    CHECK(!l->went_back);
    CHECK(!l->done_over_total);
}

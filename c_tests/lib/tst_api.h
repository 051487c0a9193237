/* Helpers shared by the API and feature suites (test_api.c, test_features.c):
 * opening stores, writing and checking values by string key. Included after
 * tst_test.h. */
#ifndef SRD_API_HELPERS_H
#define SRD_API_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Values no call may write into an output it leaves untouched. */
#define SENTINEL_STORE ((srd_store *)(uintptr_t)0x5A5A5A50u)
#define SENTINEL_ENTRY ((srd_entry *)(uintptr_t)0x5A5A5A60u)
#define SENTINEL_PTR ((const uint8_t *)(uintptr_t)0x5A5A5A70u)
#define SENTINEL_LEN ((size_t)0xA5A5A5A5u)
#define SENTINEL_U64 UINT64_C(0xA5A5A5A5DEADBEEF)

static inline srd_store *open_flags(const char *path, uint32_t flags) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, flags, &s))) return NULL;
    CHECK(s != NULL);
    return s;
}

static inline srd_store *open_rw(const char *path) { return open_flags(path, 0); }
static inline srd_store *open_ro(const char *path) { return open_flags(path, SRD_OPEN_READ_ONLY); }

static inline int put(srd_store *s, const char *key, const void *val, size_t len) {
    return CHECK_OK(srd_write(s, SRD_U8(key), strlen(key), (const uint8_t *)val, len));
}

static inline int put_str(srd_store *s, const char *key, const char *val) {
    return put(s, key, val, strlen(val));
}

/* Checks that key reads back as exactly val[0..len) through srd_read. */
static inline void expect_value(const srd_store *s, const char *key, const void *val, size_t len) {
    const uint8_t *p = NULL;
    size_t n = 0;
    if (!CHECK_OK(srd_read(s, SRD_U8(key), strlen(key), &p, &n))) {
        fprintf(stderr, "    (key \"%s\")\n", key);
        return;
    }
    if (CHECK_EQ_U(n, len)) CHECK_MEM(p, val, len);
    CHECK_EQ_U((uintptr_t)p % 64, 0);
}

static inline void expect_str(const srd_store *s, const char *key, const char *val) {
    expect_value(s, key, val, strlen(val));
}

static inline void expect_absent(const srd_store *s, const char *key) {
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

static inline void fill_pattern(uint8_t *buf, size_t len, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    if (len == 1 && buf[0] == 0) buf[0] = 1; /* a lone 0x00 is a tombstone, not a value */
}

#endif

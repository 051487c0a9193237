/*
 * tst_api.h - helpers shared by the API suites (c_tests/api/): opening stores, writing and
 * checking values by string key, sentinels for outputs that must stay untouched, and small
 * look-ups (key hash, value offset, entry count). On top of tst_test.h; compiled once in
 * tst_api.c.
 */
#ifndef SRD_API_HELPERS_H
#define SRD_API_HELPERS_H

#include "tst_test.h"

#include <pthread.h>

/* Values no call may write into an output it leaves untouched. */
#define SENTINEL_STORE ((srd_store *)(uintptr_t)0x5A5A5A50u)
#define SENTINEL_ENTRY ((srd_entry *)(uintptr_t)0x5A5A5A60u)
#define SENTINEL_PTR ((const uint8_t *)(uintptr_t)0x5A5A5A70u)
#define SENTINEL_LEN ((size_t)0xA5A5A5A5u)
#define SENTINEL_U64 UINT64_C(0xA5A5A5A5DEADBEEF)
#define SENTINEL_STREAM ((srd_stream *)(uintptr_t)0x5A5A5A80u)
#define SENTINEL_ITER ((srd_iter *)(uintptr_t)0x5A5A5A90u)
#define SENTINEL_U32 UINT32_C(0xA5A5DEAD)
#define SENTINEL_STATUS ((srd_status)0x7777)

/* srd_open, one check (SRD_OK); NULL on failure. */
srd_store *tst_open_ok(const char *path, uint32_t flags);
/* srd_open, two checks (SRD_OK, a non-NULL handle); NULL on failure. */
srd_store *tst_open_flags(const char *path, uint32_t flags);
srd_store *tst_open_rw(const char *path);
srd_store *tst_open_ro(const char *path);

/* srd_write by string key, checked. */
int tst_put(srd_store *s, const char *key, const void *val, size_t len);
int tst_put_str(srd_store *s, const char *key, const char *val);

/* Checks that key reads back as exactly val[0..len) through srd_read, 64-byte aligned. */
void tst_expect_value(const srd_store *s, const char *key, const void *val, size_t len);
void tst_expect_str(const srd_store *s, const char *key, const char *val);
/* Checks that srd_read, srd_exists and srd_read_entry give SRD_NOT_FOUND, outputs untouched. */
void tst_expect_absent(const srd_store *s, const char *key);

/* A deterministic byte pattern from a 32-bit seed (never a lone 0x00). */
void tst_fill_pattern(uint8_t *buf, size_t len, uint32_t seed);
/* The same pattern in a malloc'd buffer (never NULL). */
uint8_t *tst_pattern(size_t len, uint32_t seed);

/* srd_hash_key of a string key, checked (SENTINEL_U64 on failure). */
uint64_t tst_hash_of(const char *key);
/* File offset of the value of `key` (via a pinned entry), or UINT64_MAX. */
uint64_t tst_value_offset(const srd_store *s, const char *key);
/* srd_entry_count, or UINT64_MAX on failure. */
uint64_t tst_entry_count_of(const srd_store *s);
/* 1 if p[0..n) lies inside base[0..base_len). */
int tst_in_range(const void *p, size_t n, const void *base, size_t base_len);

/* Reads n bytes at `off` of the file with stdio. Returns 1 on success. */
int tst_read_file_at(const char *path, uint64_t off, void *buf, size_t n);
/* XORs the byte at `off` of the file with 0xFF. Returns 1 on success. */
int tst_flip_byte(const char *path, uint64_t off);

/* srd_read_last gives `key` with value `val` (64-aligned, the same pointer as srd_read's). */
void tst_expect_last(const srd_store *s, const char *key, const char *val);
/* srd_read_last gives SRD_NOT_FOUND, outputs untouched. */
void tst_expect_no_last(const srd_store *s);

/* srd_stream_begin, checked (SRD_OK, a non-NULL stream); NULL on failure. */
srd_stream *tst_begin_stream(srd_store *s, const char *key);

/* Joins with a deadline; 0 if the thread did not finish (a deadlock). */
int tst_join_within(pthread_t t, double seconds);

/* What a srd_progress_fn saw (tst_progress_cb's user pointer). */
struct tst_progress_log {
    uint64_t calls;
    uint64_t first_total, last_done, last_total;
    int total_changed, went_back, done_over_total;
};

void tst_progress_cb(void *user, uint64_t done, uint64_t total);
/* At least 1 and at most 1000 calls, a constant total equal to want_total, done never
 * going back or past the total, ending with done == total. */
void tst_check_progress(const struct tst_progress_log *l, uint64_t want_total);

#endif

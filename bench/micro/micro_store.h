/* micro_store.h - what first_pass.c and key_stores.c share: a clock, their keys (the 8
 * little-endian bytes of i, 7 zero bytes and 0x5a), a failure report, and the load of a store
 * of N such keys with values of 100 bytes (batches of 1,000, after srd_reserve). Each
 * program defines PROGRAM (its name, for messages) before including this file. */
#ifndef MICRO_STORE_H
#define MICRO_STORE_H

#include <simd_r_drive.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void key_of(uint64_t i, uint8_t k[16]) {
    memset(k, 0, 16);
    memcpy(k, &i, 8);
    k[15] = 0x5a;
}

static int fail(const char *what, srd_status st) {
    fprintf(stderr, "%s: %s: %s: %s\n", PROGRAM, what, srd_status_str(st), srd_last_error_message());
    return 1;
}

static int load(const char *path, uint64_t n) {
    srd_store *s;
    srd_status st = srd_open(path, 0, &s);
    if (st != SRD_OK) return fail("open", st);
    if ((st = srd_reserve(s, n)) != SRD_OK) return fail("reserve", st);
    static uint8_t keys[1000][16];
    static srd_kv items[1000];
    uint8_t v[100];
    memset(v, 'v', sizeof v);
    for (uint64_t at = 0; at < n; at += 1000) {
        size_t m = n - at < 1000 ? (size_t)(n - at) : 1000;
        for (size_t j = 0; j < m; j++) {
            key_of(at + j, keys[j]);
            items[j] = (srd_kv){keys[j], 16, v, sizeof v};
        }
        if ((st = srd_write_batch(s, items, m)) != SRD_OK) return fail("write", st);
    }
    srd_close(s);
    return 0;
}

#endif

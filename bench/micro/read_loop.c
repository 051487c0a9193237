/* read_loop.c - the scale section's reads in a loop of their own: loads a store of N keys
 * (16-byte keys, 100-byte values, batches of 1,000 in the scale section's shuffled order),
 * or opens one loaded before, then times 2 passes of the scale section's 1,000,000 random
 * hits (keys laid out in read order) and PASSES passes of its 1,000,000 random misses,
 * through srd_read, each value's bytes summed. A pass of hits also reports its first 50,000
 * reads apart: after an open those check the index copy's segments on first touch and map
 * the store's pages for the first time (see the README's "At scale").
 *
 * Two more passes of the same misses show what the way a caller writes a key just before
 * the call costs (README, "Performance"): the key copied from the array into a buffer on the
 * stack as two 8-byte words, then written there by make_key, one byte at a time. The
 * library's hash loads a key 8 bytes at a time; such a load cannot be forwarded from the
 * narrower stores, and waits until they reach the cache, after the previous read's cache
 * miss: the reads stop overlapping.
 *
 *   cc -O3 -Iinclude -Ibench/src bench/micro/read_loop.c bench/src/common.c \
 *      target/release/libsimd_r_drive.a -lpthread -ldl -lm -o /tmp/read_loop
 *   /tmp/read_loop load /tmp/r.srd 10000000      # once: the store and its index copy
 *   /tmp/read_loop read /tmp/r.srd 10000000 3 [FLAGS]
 *
 * FLAGS are srd_open flags for the reading handle (8: SRD_OPEN_NO_VERIFY, to see what the
 * checksum state costs a read). Unlike the scale section, the store here was written by
 * another process, a while before, so the page cache may hold it in large folios that the
 * kernel maps with 2 MiB pages: reads run several times faster than in the scale section,
 * and the costs of the read path itself show more. Alternate builds (A B A B) and compare
 * medians: this VM's speed drifts by tens of percent within minutes. */
#define _GNU_SOURCE
#include "bench.h"

#include <simd_r_drive.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READS 1000000
#define HEAD 50000

static uint8_t *keys_of(const uint32_t *idx) {
    uint8_t *t = xmalloc((size_t)READS * KEY_LEN);
    for (uint64_t i = 0; i < READS; i++) make_key(idx[i], t + i * KEY_LEN);
    return t;
}

static void load(const char *path, uint64_t n) {
    char idx[4200];
    snprintf(idx, sizeof idx, "%s.idx", path);
    remove(path);
    remove(idx);
    srd_store *s;
    if (srd_open(path, 0, &s) != SRD_OK || srd_reserve(s, n) != SRD_OK) die("open %s: %s", path, srd_last_error_message());
    uint32_t *order = shuffled(n, 42);
    uint8_t *kb = xmalloc(1000 * KEY_LEN);
    srd_kv kv[1000];
    for (uint64_t at = 0; at < n; at += 1000) {
        size_t m = (size_t)(n - at < 1000 ? n - at : 1000);
        for (size_t j = 0; j < m; j++) {
            uint64_t i = order[at + j];
            make_key(i, kb + j * KEY_LEN);
            kv[j] = (srd_kv){kb + j * KEY_LEN, KEY_LEN, value_of(i, 100), 100};
        }
        if (srd_write_batch(s, kv, m) != SRD_OK) die("write: %s", srd_last_error_message());
    }
    srd_close(s);
    free(order);
    free(kb);
}

int main(int argc, char **argv) {
    if (argc < 4) die("usage: read_loop load|read PATH KEYS [PASSES [FLAGS]]");
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (n < 1000 || n > 0x7fffffffu) die("KEYS: between 1000 and 2^31");
    value_pool_init();
    if (strcmp(argv[1], "load") == 0) {
        load(argv[2], n);
        return 0;
    }
    int passes = argc > 4 ? atoi(argv[4]) : 3;
    uint32_t flags = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0;
    uint8_t *hits = keys_of(uniform(READS, n, 0, 1001));
    uint32_t *miss_idx = uniform(READS, n, n, 1002);
    uint8_t *misses = keys_of(miss_idx);
    srd_store *s;
    double t0 = now_sec();
    if (srd_open(argv[2], flags, &s) != SRD_OK) die("open: %s", srd_last_error_message());
    printf("open: %.3f ms\n", (now_sec() - t0) * 1e3);
    /* Passes: 0 and 1 hits, then misses (the last two with keys written on the stack). */
    for (int p = 0; p < 2 + passes + 2; p++) {
        const uint8_t *keys = p < 2 ? hits : misses;
        int written = p >= 2 + passes ? p - (2 + passes) + 1 : 0; /* 1: two words, 2: make_key */
        uint64_t sum = 0, found = 0;
        double th = 0;
        t0 = now_sec();
        for (uint64_t i = 0; i < READS; i++) {
            const uint8_t *v, *k = keys + i * KEY_LEN;
            size_t len;
            uint64_t w[2];
            uint8_t kb[KEY_LEN];
            if (written == 1) {
                memcpy(w, k, KEY_LEN);
                k = (const uint8_t *)w;
            } else if (written == 2) {
                make_key(miss_idx[i], kb);
                k = kb;
            }
            srd_status st = srd_read(s, k, KEY_LEN, &v, &len);
            if (st == SRD_OK) {
                found++;
                sum += touch(v, len);
            } else if (st != SRD_NOT_FOUND) {
                die("read: %s", srd_last_error_message());
            }
            if (i == HEAD - 1) th = now_sec();
        }
        double t1 = now_sec(), dt = t1 - t0;
        if (found != (p < 2 ? READS : 0)) die("pass %d found %lu", p, (unsigned long)found);
        const char *name = p == 0        ? "first hits"
                           : p == 1      ? "repeat hits"
                           : written == 1 ? "misses, key copied as two 8-byte words"
                           : written == 2 ? "misses, key written byte by byte"
                                          : "misses";
        printf("%s: %.2fM/s (sum %lu)", name, (double)READS / dt / 1e6, (unsigned long)sum);
        if (p < 2)
            printf("; first %d reads %.0f ns each, the other %d %.0f ns each", HEAD, (th - t0) * 1e9 / HEAD,
                   READS - HEAD, (t1 - th) * 1e9 / (READS - HEAD));
        printf("\n");
    }
    srd_close(s);
    return 0;
}

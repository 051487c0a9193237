/* key_stores.c - how the way a caller writes a key just before srd_read() changes the rate
 * of random reads: 1,000,000 random misses (the reads whose cache misses overlap most),
 * three times, with the 16-byte key
 *   0  read from an array filled before the loop;
 *   1  written on the stack in the loop by memset, memcpy of 8 bytes, then one byte (the
 *      library's hash loads the key 8 bytes at a time: such a load overlaps two of those
 *      stores, the CPU cannot forward it from them, and it waits until they are written to
 *      the cache, which happens only after every earlier instruction retires, including
 *      the previous read's cache miss: the reads no longer overlap);
 *   2  written on the stack in the loop as two 8-byte words (each load is served by one
 *      store).
 *
 *   cc -O2 -Wall -Wextra -Iinclude bench/micro/key_stores.c target/release/libsimd_r_drive.a \
 *      -lpthread -ldl -lm -o /tmp/key_stores
 *   /tmp/key_stores load /tmp/k.srd 10000000     # once: a store of N keys
 *   /tmp/key_stores read /tmp/k.srd 10000000
 *
 * Keys are the 8 little-endian bytes of i, 7 zero bytes and 0x5a; values are 100 bytes. */
#include <simd_r_drive.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READS 1000000L

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
    fprintf(stderr, "key_stores: %s: %s: %s\n", what, srd_status_str(st), srd_last_error_message());
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

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: key_stores load|read STORE KEYS\n");
        return 2;
    }
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (n == 0) return 2;
    if (!strcmp(argv[1], "load")) return load(argv[2], n);

    srd_store *s;
    srd_status st = srd_open(argv[2], SRD_OPEN_READ_ONLY, &s);
    if (st != SRD_OK) return fail("open", st);
    uint64_t *ids = malloc(READS * sizeof *ids);
    uint8_t *pre = malloc(READS * 16);
    if (!ids || !pre) return 1;
    uint64_t x = 88172645463325252ull;
    for (long r = 0; r < READS; r++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ids[r] = n + x % n; /* absent: the store holds 0 .. n-1 */
        key_of(ids[r], pre + r * 16);
    }
    const char *names[3] = {"keys in an array filled before", "memset + memcpy + 1 byte",
                            "two 8-byte words"};
    for (int round = 0; round < 3; round++) {
        for (int mode = 0; mode < 3; mode++) {
            double t0 = now();
            long absent = 0;
            for (long r = 0; r < READS; r++) {
                uint8_t kb[16];
                uint64_t w[2];
                const uint8_t *k;
                if (mode == 0) {
                    k = pre + r * 16;
                } else if (mode == 1) {
                    key_of(ids[r], kb);
                    k = kb;
                } else {
                    w[0] = ids[r];
                    w[1] = 0x5a00000000000000ull; /* byte 15, little-endian */
                    k = (const uint8_t *)w;
                }
                const uint8_t *v;
                size_t len;
                st = srd_read(s, k, 16, &v, &len);
                if (st == SRD_NOT_FOUND) absent++;
                else return fail("read", st);
            }
            double dt = now() - t0;
            if (absent != READS) return 1;
            printf("round %d, %-32s %6.2fM misses/s\n", round + 1, names[mode], READS / dt / 1e6);
        }
    }
    free(ids);
    free(pre);
    srd_close(s);
    return 0;
}

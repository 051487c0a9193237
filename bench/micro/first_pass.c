/* first_pass.c - where a first pass of random hits after an open loses time against the same
 * hits repeated: opens a store read-only, then reads the same 1,000,000 random keys twice
 * through srd_read (each value's bytes summed) and prints, for each pass, the mean time of
 * a read over the first 50,000 reads and over the whole pass. The first reads after an open
 * check the index copy's segments the first time they enter them and map the store's pages
 * for the first time; see the README's "At scale".
 *
 *   cc -O2 -Wall -Wextra -Iinclude bench/micro/first_pass.c target/release/libsimd_r_drive.a \
 *      -lpthread -ldl -lm -o /tmp/first_pass
 *   /tmp/first_pass load /tmp/f.srd 10000000      # once: a store of N keys and its index copy
 *   /tmp/first_pass read /tmp/f.srd 10000000      # as often as wanted
 *
 * Keys are the 8 little-endian bytes of i, 7 zero bytes and 0x5a; values are 100 bytes. */
#include <simd_r_drive.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READS 1000000L
#define HEAD 50000L

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
    fprintf(stderr, "first_pass: %s: %s: %s\n", what, srd_status_str(st), srd_last_error_message());
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
        fprintf(stderr, "usage: first_pass load|read STORE KEYS\n");
        return 2;
    }
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (n == 0) return 2;
    if (!strcmp(argv[1], "load")) return load(argv[2], n);

    /* Keys laid out in read order before the open, so that building them costs nothing
     * inside the timed loops. */
    uint8_t *keys = malloc(READS * 16);
    if (!keys) return 1;
    uint64_t x = 88172645463325252ull;
    for (long r = 0; r < READS; r++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        key_of(x % n, keys + r * 16);
    }
    srd_store *s;
    srd_status st = srd_open(argv[2], SRD_OPEN_READ_ONLY, &s);
    if (st != SRD_OK) return fail("open", st);
    uint64_t sum = 0;
    for (int pass = 0; pass < 2; pass++) {
        double t0 = now(), th = t0;
        for (long r = 0; r < READS; r++) {
            const uint8_t *v;
            size_t len;
            if ((st = srd_read(s, keys + r * 16, 16, &v, &len)) != SRD_OK) return fail("read", st);
            for (size_t i = 0; i < len; i++) sum += v[i];
            if (r == HEAD - 1) th = now();
        }
        double t1 = now();
        printf("pass %d: first %ld reads %7.1f ns each, all %ld reads %7.1f ns each\n", pass + 1, HEAD,
               (th - t0) * 1e9 / HEAD, READS, (t1 - t0) * 1e9 / READS);
    }
    printf("sum of the bytes read: %llu\n", (unsigned long long)sum);
    free(keys);
    srd_close(s);
    return 0;
}

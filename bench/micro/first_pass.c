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
 * Keys and values: see micro_store.h. */
#define PROGRAM "first_pass"
#include "micro_store.h"

#include <stdlib.h>

#define READS 1000000L
#define HEAD 50000L

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

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
 * Keys and values: see micro_store.h. */
#define PROGRAM "key_stores"
#include "micro_store.h"

#include <stdlib.h>

#define READS 1000000L

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

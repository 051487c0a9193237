/* probe_ceiling.c - what a miss at 10M keys could cost at best on this machine: a loop of
 * nothing but the index probe's one cache miss (the 16 control bytes of the 8-byte word that
 * holds a random slot and the next word, in a 16 MiB array as at 10M keys, compared with
 * SSE2 as Table::find does), with PAD
 * instructions of independent work between lookups standing in for the rest of a call
 * (argument checks, the key's hash, the reader's critical section). srd_read takes about
 * 186 instructions a miss (callgrind), so PAD near 150 to 200 is the ceiling for the
 * scale section's misses at 10M keys; PAD 0 shows how many misses the memory system
 * overlaps when nothing else runs. The array is evicted from the cache first (1 GiB of
 * other memory written), as the scale section's misses find it after the hits.
 *
 *   cc -O2 bench/micro/probe_ceiling.c -o /tmp/probe_ceiling
 *   for p in 0 48 96 144 192; do /tmp/probe_ceiling $p; done
 *
 * Alternate runs and compare medians: this VM's speed drifts by tens of percent. */
#define _GNU_SOURCE
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define SLOTS ((size_t)1 << 24) /* 16M slots: 10M keys at most 3/4 full */
#define LOOKUPS 1000000

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv) {
    int pad = argc > 1 ? atoi(argv[1]) : 0;
    if (pad < 0 || pad > 100000) {
        fprintf(stderr, "usage: probe_ceiling [PAD]\n");
        return 2;
    }
    uint8_t *ctrl = mmap(NULL, SLOTS + 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ctrl == MAP_FAILED) return 1;
    /* 60% of the slots in use, as at 10M keys in 16M slots. */
    for (size_t i = 0; i < SLOTS; i++) {
        uint64_t r = mix(i);
        ctrl[i] = (r % 10) < 6 ? (uint8_t)(0x80 | ((r >> 8) & 0x7f)) : 0;
    }
    size_t junk = (size_t)1 << 30;
    uint8_t *j = malloc(junk);
    if (!j) return 1;
    memset(j, 1, junk);
    free(j);

    uint64_t found = 0, sink = 0;
    double t0 = now();
    for (uint64_t i = 0; i < LOOKUPS; i++) {
        uint64_t h = mix(i + 12345);
        /* Independent work: four chains of adds that no lookup waits for. */
        uint64_t a0 = i, a1 = i, a2 = i, a3 = i;
        for (int p = 0; p < pad; p += 8)
            __asm__ volatile("add $1,%0\n\tadd $1,%1\n\tadd $1,%2\n\tadd $1,%3\n\t"
                             "add $1,%0\n\tadd $1,%1\n\tadd $1,%2\n\tadd $1,%3"
                             : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3));
        sink += a0 ^ a1 ^ a2 ^ a3;
        /* The word that holds slot s and the next (the array has 16 bytes to spare at its end
         * instead of find's wrap to the first word). */
        size_t s = h & (SLOTS - 1), k = s & ~(size_t)7;
        __m128i g = _mm_loadu_si128((const __m128i *)(ctrl + k));
        unsigned empty = (~(unsigned)_mm_movemask_epi8(g) & 0xffff) >> (s & 7);
        unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8((char)(0x80 | (h >> 57))))) >> (s & 7);
        if (same & ((empty & -empty) - 1)) found++;
    }
    double dt = now() - t0;
    printf("pad %d: %.2fM lookups/s (candidates %lu, %lu)\n", pad, LOOKUPS / dt / 1e6, (unsigned long)found,
           (unsigned long)(sink & 1));
    return 0;
}

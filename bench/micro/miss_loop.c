/* miss_loop.c - a standalone loop of random misses (and hits) through srd_read, to compare
 * builds of the read path with less noise than the full benchmark: it builds a store of
 * 1,000,000 keys of 16 bytes (values of 100 bytes) once, then times PASSES passes of
 * 1,000,000 reads of absent keys picked at random from a 32 MB key table (as the
 * benchmark does: the key itself is a cache miss), and one pass of hits.
 *
 *   cc -O2 -Iinclude bench/micro/miss_loop.c target/release/libsimd_r_drive.a \
 *      -lpthread -ldl -lm -o /tmp/miss_loop && /tmp/miss_loop /tmp/miss_loop.srd 12 [FLAGS]
 *
 * FLAGS are extra srd_open flags for the reading handle (16: SRD_OPEN_NO_INDEX_FILE, to
 * read through an index built in memory instead of the mapped index file).
 *
 * Alternate two builds (A B A B ...) and compare the medians: this VM's speed drifts by
 * tens of percent within minutes. */
#include <simd_r_drive.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/tmp/miss_loop.srd";
    int passes = argc > 2 ? atoi(argv[2]) : 12;
    uint32_t flags = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 0; /* extra open flags */
    const size_t n = 1000000, vlen = 100;
    uint8_t *keys = malloc(2 * n * 16), *val = malloc(vlen);
    uint32_t *idx = malloc(n * sizeof *idx);
    if (!keys || !val || !idx) return 1;
    for (size_t i = 0; i < 2 * n; i++) {
        char b[17];
        snprintf(b, sizeof b, "%016zx", i);
        memcpy(keys + i * 16, b, 16);
    }
    memset(val, 0x5a, vlen);
    if (access(path, F_OK) != 0) { /* keys 0..n-1 present, n..2n-1 absent */
        srd_store *w;
        if (srd_open(path, 0, &w) != SRD_OK) return fprintf(stderr, "%s\n", srd_last_error_message()), 1;
        srd_kv kv[1000];
        for (size_t at = 0; at < n; at += 1000) {
            for (size_t j = 0; j < 1000; j++) kv[j] = (srd_kv){keys + (at + j) * 16, 16, val, vlen};
            if (srd_write_batch(w, kv, 1000) != SRD_OK) return fprintf(stderr, "%s\n", srd_last_error_message()), 1;
        }
        srd_close(w);
    }
    srd_store *s;
    if (srd_open(path, SRD_OPEN_READ_ONLY | flags, &s) != SRD_OK) return fprintf(stderr, "%s\n", srd_last_error_message()), 1;
    uint64_t x = 88172645463325252ull;
    for (int p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)(n + next(&x) % n);
        size_t found = 0;
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            const uint8_t *v;
            size_t l;
            found += srd_read(s, keys + (size_t)idx[i] * 16, 16, &v, &l) == SRD_OK;
        }
        double t1 = now();
        printf("misses pass %d: %.3gM reads/s (%zu found, must be 0)\n", p + 1, (double)n / (t1 - t0) / 1e6, found);
    }
    for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)(next(&x) % n);
    uint64_t sum = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        const uint8_t *v;
        size_t l;
        if (srd_read(s, keys + (size_t)idx[i] * 16, 16, &v, &l) == SRD_OK) sum += v[0] + v[l - 1];
    }
    double t1 = now();
    printf("hits: %.3gM reads/s (checksum %llu)\n", (double)n / (t1 - t0) / 1e6, (unsigned long long)sum);
    srd_close(s);
    free(keys);
    free(val);
    free(idx);
    return 0;
}

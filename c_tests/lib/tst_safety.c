/* tst_safety.c - recomputable values (see tst_safety.h). */
#include "tst_safety.h"

uint64_t tst_sv_mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The bytes of a value are a pure function of (seed, len). */
void tst_sv_fill(uint64_t seed, uint8_t *buf, size_t len) {
    tst_rng r = {tst_sv_mix(seed)};
    tst_rng_fill(&r, buf, len);
    if (len == 1 && buf[0] == 0) buf[0] = 0x5A;
}

/* 1 if p[0..len) are the bytes tst_sv_fill(seed, ., len) would produce (no allocation). */
int tst_sv_equals(uint64_t seed, const uint8_t *p, size_t len) {
    tst_rng r = {tst_sv_mix(seed)};
    size_t i = 0;
    while (i < len) {
        uint64_t v = tst_rng_next(&r);
        for (int k = 0; k < 8 && i < len; k++, i++) {
            uint8_t b = (uint8_t)(v >> (8 * k));
            if (len == 1 && b == 0) b = 0x5A;
            if (p[i] != b) return 0;
        }
    }
    return 1;
}

/*
 * tst_safety.h - helpers shared by the data-safety tests (test_crash, test_power_loss,
 * test_disk_full, test_large_file) and test_reliability, on top of tst_test.h and
 * tst_proc.h; compiled once in tst_safety.c.
 *
 * - Deterministic values: tst_sv_fill(seed, buf, len) fills a buffer from a 64-bit seed
 *   (never a lone 0x00, which is the tombstone marker), so a process that did not write a
 *   value (the parent of a killed child) can recompute its bytes.
 * - tst_sv_mix(): a 64-bit mixing function for seeds.
 * (Checks run in a forked child, whose counts join the parent's: tst_run_in_child in
 * tst_proc.h.)
 */
#ifndef SRD_SAFETY_H
#define SRD_SAFETY_H

#include "tst_proc.h"
#include "tst_test.h"

uint64_t tst_sv_mix(uint64_t z);
/* The bytes of a value are a pure function of (seed, len). */
void tst_sv_fill(uint64_t seed, uint8_t *buf, size_t len);
/* 1 if p[0..len) are the bytes tst_sv_fill(seed, ., len) would produce (no allocation). */
int tst_sv_equals(uint64_t seed, const uint8_t *p, size_t len);

#endif /* SRD_SAFETY_H */

/*
 * tst_fmt.h - building store files (and look-alikes) byte by byte, for the robustness
 * tests: a growable buffer and an entry writer parameterised by alignment and metadata
 * layout so that files "written by older, incompatible versions of the format" can be
 * produced by hand (CRC-32: tst_crc32 in tst_test.h). Compiled once in tst_fmt.c.
 */
#ifndef SRD_FMT_BUILD_H
#define SRD_FMT_BUILD_H

#include "tst_test.h"

struct tst_fbuf {
    uint8_t *p;
    size_t n, cap;
};

void tst_fb_reserve(struct tst_fbuf *f, size_t more);
void tst_fb_put(struct tst_fbuf *f, const void *d, size_t n);
void tst_fb_fill(struct tst_fbuf *f, uint8_t byte, size_t n);
/* The low `bytes` bytes of v, little-endian / big-endian. */
void tst_fb_le(struct tst_fbuf *f, uint64_t v, int bytes);
void tst_fb_be(struct tst_fbuf *f, uint64_t v, int bytes);
void tst_fb_free(struct tst_fbuf *f);

/* Metadata layouts. META_LE20 with alignment 64 is the real format (FORMAT.md). */
enum tst_meta_kind {
    META_LE20,          /* key hash u64, prev_tail u64, crc u32; little-endian */
    META_BE20,          /* the same fields, big-endian */
    META_HASH_PREV16,   /* 16 bytes: key hash u64, prev_tail u64 (no checksum) */
    META_HASH_P32_CRC16 /* 16 bytes: key hash u64, prev_tail u32, crc u32 */
};

size_t tst_meta_size(enum tst_meta_kind mk);

/* Appends one entry: padding to `align` (1 = none; tombstones never padded), the payload
 * (NULL = tombstone, one 0x00 byte), then the metadata in layout `mk`. */
void tst_fb_entry(struct tst_fbuf *f, unsigned align, enum tst_meta_kind mk, uint64_t key_hash,
                  const uint8_t *val, size_t len);

#endif /* SRD_FMT_BUILD_H */

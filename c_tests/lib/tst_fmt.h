/*
 * tst_fmt.h - building store files (and look-alikes) byte by byte, for the
 * robustness tests: a growable buffer, CRC-32/ISO-HDLC (the crc32fast crate's), and an
 * entry writer parameterised by alignment and metadata layout so that files "written by
 * older, incompatible versions of the format" can be produced by hand.
 */
#ifndef SRD_FMT_BUILD_H
#define SRD_FMT_BUILD_H

#include "tst_test.h"

struct fbuf {
    uint8_t *p;
    size_t n, cap;
};

static inline void fb_reserve(struct fbuf *f, size_t more) {
    if (f->n + more <= f->cap) return;
    size_t c = f->cap ? f->cap : 256;
    while (c < f->n + more) c *= 2;
    uint8_t *q = (uint8_t *)realloc(f->p, c);
    if (q == NULL) abort();
    f->p = q;
    f->cap = c;
}

static inline void fb_put(struct fbuf *f, const void *d, size_t n) {
    fb_reserve(f, n);
    if (n) memcpy(f->p + f->n, d, n);
    f->n += n;
}

static inline void fb_fill(struct fbuf *f, uint8_t byte, size_t n) {
    fb_reserve(f, n);
    if (n) memset(f->p + f->n, byte, n);
    f->n += n;
}

static inline void fb_le(struct fbuf *f, uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * i));
    fb_put(f, b, (size_t)bytes);
}

static inline void fb_be(struct fbuf *f, uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    fb_put(f, b, (size_t)bytes);
}

static inline void fb_free(struct fbuf *f) {
    free(f->p);
    f->p = NULL;
    f->n = f->cap = 0;
}

/* CRC-32/ISO-HDLC (reflected 0xEDB88320, init and xorout 0xFFFFFFFF). */
static inline uint32_t tst_crc32(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* Metadata layouts. META_LE20 with alignment 64 is the real format (FORMAT.md). */
enum tst_meta_kind {
    META_LE20,          /* key hash u64, prev_tail u64, crc u32; little-endian */
    META_BE20,          /* the same fields, big-endian */
    META_HASH_PREV16,   /* 16 bytes: key hash u64, prev_tail u64 (no checksum) */
    META_HASH_P32_CRC16 /* 16 bytes: key hash u64, prev_tail u32, crc u32 */
};

static inline size_t tst_meta_size(enum tst_meta_kind mk) {
    return (mk == META_LE20 || mk == META_BE20) ? 20 : 16;
}

/* Appends one entry: padding to `align` (1 = none; tombstones never padded), the payload
 * (NULL = tombstone, one 0x00 byte), then the metadata in layout `mk`. */
static inline void fb_entry(struct fbuf *f, unsigned align, enum tst_meta_kind mk, uint64_t key_hash,
                            const uint8_t *val, size_t len) {
    uint64_t prev = f->n;
    static const uint8_t zero = 0;
    if (val == NULL) {
        val = &zero;
        len = 1;
    } else if (align > 1) {
        fb_fill(f, 0, (size_t)((align - prev % align) % align));
    }
    fb_put(f, val, len);
    uint32_t crc = tst_crc32(val, len);
    switch (mk) {
    case META_LE20:
        fb_le(f, key_hash, 8);
        fb_le(f, prev, 8);
        fb_le(f, crc, 4);
        break;
    case META_BE20:
        fb_be(f, key_hash, 8);
        fb_be(f, prev, 8);
        fb_be(f, crc, 4);
        break;
    case META_HASH_PREV16:
        fb_le(f, key_hash, 8);
        fb_le(f, prev, 8);
        break;
    case META_HASH_P32_CRC16:
        fb_le(f, key_hash, 8);
        fb_le(f, prev, 4);
        fb_le(f, crc, 4);
        break;
    }
}

#endif /* SRD_FMT_BUILD_H */

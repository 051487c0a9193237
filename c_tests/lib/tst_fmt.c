/* tst_fmt.c - hand-built store files (see tst_fmt.h). */
#include "tst_fmt.h"

void tst_fb_reserve(struct tst_fbuf *f, size_t more) {
    if (f->n + more <= f->cap) return;
    size_t c = f->cap ? f->cap : 256;
    while (c < f->n + more) c *= 2;
    uint8_t *q = (uint8_t *)realloc(f->p, c);
    if (q == NULL) abort();
    f->p = q;
    f->cap = c;
}

void tst_fb_put(struct tst_fbuf *f, const void *d, size_t n) {
    tst_fb_reserve(f, n);
    if (n) memcpy(f->p + f->n, d, n);
    f->n += n;
}

void tst_fb_fill(struct tst_fbuf *f, uint8_t byte, size_t n) {
    tst_fb_reserve(f, n);
    if (n) memset(f->p + f->n, byte, n);
    f->n += n;
}

void tst_fb_le(struct tst_fbuf *f, uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * i));
    tst_fb_put(f, b, (size_t)bytes);
}

void tst_fb_be(struct tst_fbuf *f, uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    tst_fb_put(f, b, (size_t)bytes);
}

void tst_fb_free(struct tst_fbuf *f) {
    free(f->p);
    f->p = NULL;
    f->n = f->cap = 0;
}

size_t tst_meta_size(enum tst_meta_kind mk) {
    return (mk == META_LE20 || mk == META_BE20) ? 20 : 16;
}

void tst_fb_entry(struct tst_fbuf *f, unsigned align, enum tst_meta_kind mk, uint64_t key_hash,
                  const uint8_t *val, size_t len) {
    uint64_t prev = f->n;
    static const uint8_t zero = 0;
    if (val == NULL) {
        val = &zero;
        len = 1;
    } else if (align > 1) {
        tst_fb_fill(f, 0, (size_t)((align - prev % align) % align));
    }
    tst_fb_put(f, val, len);
    uint32_t crc = tst_crc32(val, len);
    switch (mk) {
    case META_LE20:
        tst_fb_le(f, key_hash, 8);
        tst_fb_le(f, prev, 8);
        tst_fb_le(f, crc, 4);
        break;
    case META_BE20:
        tst_fb_be(f, key_hash, 8);
        tst_fb_be(f, prev, 8);
        tst_fb_be(f, crc, 4);
        break;
    case META_HASH_PREV16:
        tst_fb_le(f, key_hash, 8);
        tst_fb_le(f, prev, 8);
        break;
    case META_HASH_P32_CRC16:
        tst_fb_le(f, key_hash, 8);
        tst_fb_le(f, prev, 4);
        tst_fb_le(f, crc, 4);
        break;
    }
}

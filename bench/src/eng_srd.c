/* eng_srd.c - simd-r-drive through its C API (include/simd_r_drive.h). */
#include "bench.h"

#include <simd_r_drive.h>
#include <stdio.h>
#include <stdlib.h>

/* Extra open flags, for experiments (e.g. -DSRD_BENCH_OPEN_FLAGS=SRD_OPEN_NO_VERIFY).
 * The benchmark runs two engines: "srd" with the default flags (one pwrite per append) and
 * "srd-prealloc" with SRD_OPEN_PREALLOCATE (the opt-in fast path for small writes; build
 * with -DSRD_BENCH_OPEN_FLAGS=SRD_OPEN_RESERVE to measure the other one, which copies into
 * 0xFE space cut at close). */
#ifndef SRD_BENCH_OPEN_FLAGS
#define SRD_BENCH_OPEN_FLAGS 0
#endif

static void err(const char *what, srd_status st) {
    fprintf(stderr, "srd_bench: srd: %s: %s: %s\n", what, srd_status_str(st), srd_last_error_message());
}

static const char *version(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "simd-r-drive C %s", srd_version_string());
    return buf;
}

/* `expected` (the keys the store will hold) goes to srd_reserve, as tkrzw gets num_buckets:
 * the index is sized once instead of doubling through the load. On a reopen of the full
 * store there is nothing more to reserve. */
static eng *open_with(const char *dir, int flags, uint32_t extra, uint64_t expected) {
    char path[4200];
    snprintf(path, sizeof path, "%s/store.srd", dir);
    srd_store *s;
    srd_status st =
        srd_open(path, SRD_BENCH_OPEN_FLAGS | extra | ((flags & ENG_DURABLE) ? SRD_OPEN_SYNC : 0), &s);
    if (st != SRD_OK) {
        err("open", st);
        return NULL;
    }
    uint64_t have = 0;
    if ((st = srd_count(s, &have)) != SRD_OK || (expected > have && (st = srd_reserve(s, expected - have)) != SRD_OK)) {
        err("reserve", st);
        srd_close(s);
        return NULL;
    }
    return (eng *)s;
}

static eng *open_(const char *dir, int flags, uint64_t expected) {
    return open_with(dir, flags, 0, expected);
}

static eng *open_prealloc(const char *dir, int flags, uint64_t expected) {
    return open_with(dir, flags, SRD_OPEN_PREALLOCATE, expected);
}

static const char *version_prealloc(void) {
    static char buf[96];
    snprintf(buf, sizeof buf, "simd-r-drive C %s, opened with SRD_OPEN_PREALLOCATE", srd_version_string());
    return buf;
}

static void close_(eng *e) { srd_close((srd_store *)e); }
static wr *writer(eng *e) { return (wr *)e; }
static void writer_free(wr *w) { (void)w; }
static rd *reader(eng *e) { return (rd *)e; }
static void reader_free(rd *r) { (void)r; }

static int put_batch(wr *w, const bkv *items, size_t n) {
    if (n == 0) return 0;
    /* bkv has srd_kv's layout, but the API takes srd_kv: copy the pointers. */
    srd_kv kv[1024], *p = n <= 1024 ? kv : malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (srd_kv){items[i].key, items[i].key_len, items[i].val, items[i].val_len};
    srd_status st = srd_write_batch((srd_store *)w, p, n);
    if (p != kv) free(p);
    if (st != SRD_OK) err("write_batch", st);
    return st == SRD_OK ? 0 : -1;
}

static int put(wr *w, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    srd_status st = srd_write((srd_store *)w, k, kl, v, vl);
    if (st != SRD_OK) err("write", st);
    return st == SRD_OK ? 0 : -1;
}

static int get(rd *r, const uint8_t *k, size_t kl, uint64_t *sum) {
    const uint8_t *v;
    size_t len;
    srd_status st = srd_read((const srd_store *)r, k, kl, &v, &len);
    if (st == SRD_OK) {
        *sum += touch(v, len);
        return 1;
    }
    if (st == SRD_NOT_FOUND) return 0;
    err("read", st);
    return -1;
}

static int64_t get_batch(rd *r, const uint8_t *const *keys, size_t n, uint64_t *sum) {
    static __thread srd_key ks[256]; /* per thread, no zeroing per call */
    static __thread srd_read_result res[256];
    if (n == 0 || n > 256) return n == 0 ? 0 : -1;
    for (size_t i = 0; i < n; i++) ks[i] = (srd_key){keys[i], KEY_LEN};
    srd_status st = srd_read_batch((const srd_store *)r, ks, n, res);
    if (st != SRD_OK) {
        err("read_batch", st);
        return -1;
    }
    int64_t found = 0;
    for (size_t i = 0; i < n; i++) {
        if (res[i].status == SRD_OK) {
            *sum += touch(res[i].value, res[i].value_len);
            found++;
        } else if (res[i].status != SRD_NOT_FOUND) {
            err("read_batch item", res[i].status);
            return -1;
        }
    }
    return found;
}

static int64_t scan(eng *e, uint64_t *sum) {
    srd_iter *it;
    srd_status st = srd_iter_new((const srd_store *)e, &it);
    if (st != SRD_OK) {
        err("iter_new", st);
        return -1;
    }
    int64_t n = 0;
    uint64_t h;
    const uint8_t *v;
    size_t len;
    while ((st = srd_iter_next(it, &h, &v, &len)) == SRD_OK) {
        *sum += touch(v, len);
        n++;
    }
    srd_iter_free(it);
    if (st != SRD_NOT_FOUND) {
        err("iter_next", st);
        return -1;
    }
    return n;
}

const engine_ops srd_ops = {
    "srd", version, open_, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, get_batch, scan,
};

const engine_ops srd_prealloc_ops = {
    "srd-prealloc", version_prealloc, open_prealloc, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, get_batch, scan,
};

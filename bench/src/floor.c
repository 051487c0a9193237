/*
 * floor.c - the physical limits of this machine for each workload, measured
 * with the same data as the engines:
 *
 * - reads: a bare in-memory hash map (open addressing, 64-bit key hash ->
 *   file offset) plus touching every byte of the value in a memory-mapped
 *   file of the same size as an srd store of the same data (values on
 *   64-byte boundaries), page cache warm;
 * - writes: write(2) of the same key and value bytes (one call per batch, per
 *   put, per large value);
 * - durable puts: a write(2) + fdatasync(2) loop, from 1 and from 2 threads;
 * - scan: touching every value of the mapped file in file order;
 * - reopen: open(2) + mmap(2) + touching one value;
 * - size on disk: the raw key and value bytes; memory: one 8-byte hash and one
 *   8-byte offset per key (computed, not measured).
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *NAME = "floor";

static inline uint64_t hash16(const uint8_t *k) {
    uint64_t a, b;
    memcpy(&a, k, 8);
    memcpy(&b, k + 8, 8);
    __uint128_t m = (__uint128_t)(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
    uint64_t h = (uint64_t)m ^ (uint64_t)(m >> 64);
    return h ? h : 1;
}

typedef struct slot {
    uint64_t h, off;
} slot;

typedef struct fmap {
    slot *tab;
    uint64_t mask;
    const uint8_t *base;
    size_t len, vlen;
} fmap;

static void fmap_build(fmap *m, uint64_t n, size_t stride) {
    uint64_t cap = 1;
    while (cap < 2 * n) cap <<= 1;
    m->tab = calloc(cap, sizeof(slot));
    if (!m->tab) die("out of memory");
    m->mask = cap - 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t h = hash16(K(i)), p = h & m->mask;
        while (m->tab[p].h) p = (p + 1) & m->mask;
        m->tab[p] = (slot){h, i * stride};
    }
}

/* 1 and the touched bytes added to *sum if found, else 0. */
static inline int fmap_get(const fmap *m, const uint8_t *k, uint64_t *sum) {
    uint64_t h = hash16(k), p = h & m->mask;
    for (;;) {
        const slot *s = &m->tab[p];
        if (s->h == h) {
            *sum += touch(m->base + s->off, m->vlen);
            return 1;
        }
        if (!s->h) return 0;
        p = (p + 1) & m->mask;
    }
}

static void xwrite(int fd, const void *buf, size_t len) {
    const uint8_t *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write: %s", strerror(errno));
        }
        p += w;
        len -= (size_t)w;
    }
}

static int create(const char *path) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) die("open %s: %s", path, strerror(errno));
    return fd;
}

static const uint8_t *map_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die("open %s: %s", path, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    *len = (size_t)st.st_size;
    void *p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap %s: %s", path, strerror(errno));
    close(fd);
    return p;
}

/* write(2) of key+value per batch: entries/s. */
static double write_batches(const char *path, const uint32_t *order, uint64_t n, size_t vlen, size_t batch) {
    int fd = create(path);
    size_t rec = KEY_LEN + vlen;
    uint8_t *buf = xmalloc(batch * rec);
    double t0 = now_sec();
    for (uint64_t at = 0; at < n; at += batch) {
        size_t m = (size_t)(n - at < batch ? n - at : batch);
        for (size_t j = 0; j < m; j++) {
            uint64_t i = order[at + j];
            memcpy(buf + j * rec, K(i), KEY_LEN);
            memcpy(buf + j * rec + KEY_LEN, value_of(i, vlen), vlen);
        }
        xwrite(fd, buf, m * rec);
    }
    double t1 = now_sec();
    close(fd);
    free(buf);
    return (double)n / (t1 - t0);
}

/* The values of 0..n-1 at i*stride, as an srd store of the same data lays them out. */
static void write_value_file(const char *path, uint64_t n, size_t vlen, size_t stride) {
    int fd = create(path);
    size_t chunk = 4096;
    uint8_t *buf = calloc(chunk, stride);
    for (uint64_t at = 0; at < n; at += chunk) {
        size_t m = (size_t)(n - at < chunk ? n - at : chunk);
        memset(buf, 0, chunk * stride);
        for (size_t j = 0; j < m; j++) memcpy(buf + j * stride, value_of(at + j, vlen), vlen);
        xwrite(fd, buf, m * stride);
    }
    close(fd);
    free(buf);
}

static size_t stride_of(size_t vlen) { return (vlen + 20 + 63) / 64 * 64; } /* value + srd metadata, aligned */

typedef struct fthr {
    const fmap *m;
    const uint32_t *idx;
    uint64_t count, found, sum;
    pthread_barrier_t *bar;
} fthr;

static void *fread_thread(void *arg) {
    fthr *t = arg;
    pthread_barrier_wait(t->bar);
    uint64_t s = 0, f = 0;
    for (uint64_t i = 0; i < t->count; i++) f += (uint64_t)fmap_get(t->m, K(t->idx[i]), &s);
    t->sum = s;
    t->found = f;
    pthread_barrier_wait(t->bar);
    return NULL;
}

static double reads(const fmap *m, const uint32_t *idx, uint64_t count, uint64_t *sum, uint64_t *found) {
    uint64_t s = 0, f = 0;
    double t0 = now_sec();
    for (uint64_t i = 0; i < count; i++) f += (uint64_t)fmap_get(m, K(idx[i]), &s);
    double t1 = now_sec();
    *sum = s;
    *found = f;
    return (double)count / (t1 - t0);
}

typedef struct dthr {
    int fd;
    uint64_t first, step, count;
    size_t vlen;
    pthread_barrier_t *bar;
} dthr;

static void *durable_thread(void *arg) {
    dthr *t = arg;
    uint8_t rec[KEY_LEN + 4096];
    pthread_barrier_wait(t->bar);
    for (uint64_t j = 0; j < t->count; j++) {
        uint64_t i = t->first + j * t->step;
        memcpy(rec, K(i), KEY_LEN);
        memcpy(rec + KEY_LEN, value_of(i, t->vlen), t->vlen);
        xwrite(t->fd, rec, KEY_LEN + t->vlen);
        if (fdatasync(t->fd) != 0) die("fdatasync: %s", strerror(errno));
    }
    pthread_barrier_wait(t->bar);
    return NULL;
}

static double run_dthreads(int nt, dthr *ts) {
    pthread_t th[2];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nt + 1);
    for (int i = 0; i < nt; i++) {
        ts[i].bar = &bar;
        pthread_create(&th[i], NULL, durable_thread, &ts[i]);
    }
    pthread_barrier_wait(&bar);
    double t0 = now_sec();
    pthread_barrier_wait(&bar);
    double t1 = now_sec();
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    return t1 - t0;
}

void run_floor(const cfg *c, const char *base, int run) {
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/floor", base);
    rm_rf(dir);
    mkdir_p(dir);
    emit_meta(NAME, "version", "hash map + mmap, write(2), write(2)+fdatasync(2)");

    /* 1. bulk load floor: write() of the same bytes, one call per batch */
    uint32_t *order = shuffled(c->n, 42);
    snprintf(path, sizeof path, "%s/bulk", dir);
    emit(NAME, run, "bulk_load", write_batches(path, order, c->n, c->vlen, c->batch), c->n);
    unlink(path);
    emit(NAME, run, "disk_per_key", (double)(KEY_LEN + c->vlen), c->n * (KEY_LEN + c->vlen));

    /* reads: hash map + mapped file of the same size as the store */
    size_t stride = stride_of(c->vlen);
    snprintf(path, sizeof path, "%s/values", dir);
    write_value_file(path, c->n, c->vlen, stride);

    /* 6. reopen floor: open + mmap + touch one value */
    uint64_t s = 0;
    double t0 = now_sec();
    size_t len;
    const uint8_t *base_map = map_file(path, &len);
    s += touch(base_map + (uint64_t)order[0] * stride, c->vlen);
    double t1 = now_sec();
    emit(NAME, run, "reopen_ms", (t1 - t0) * 1e3, s);

    fmap m = {0};
    fmap_build(&m, c->n, stride);
    m.base = base_map;
    m.len = len;
    m.vlen = c->vlen;
    uint32_t *hits = uniform(c->reads, c->n, 0, 1001);
    uint32_t *misses = uniform(c->reads, c->n, c->n, 1002);
    uint64_t found;
    double r1 = reads(&m, hits, c->reads, &s, &found);
    if (found != c->reads) die("floor: hit not found");
    emit(NAME, run, "hit_1t", r1, s);
    emit(NAME, run, "batch_read", r1, s);
    emit(NAME, run, "mem_per_key", 16.0, 16 * c->n);
    double rm = reads(&m, misses, c->reads, &s, &found);
    if (found != 0) die("floor: miss found");
    emit(NAME, run, "miss", rm, s);

    fthr ts[2];
    pthread_t th[2];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 3);
    for (int i = 0; i < 2; i++) {
        ts[i] = (fthr){&m, hits + i * (c->reads / 2), c->reads / 2, 0, 0, &bar};
        pthread_create(&th[i], NULL, fread_thread, &ts[i]);
    }
    pthread_barrier_wait(&bar);
    t0 = now_sec();
    pthread_barrier_wait(&bar);
    t1 = now_sec();
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    emit(NAME, run, "hit_2t", (double)(2 * (c->reads / 2)) / (t1 - t0), ts[0].sum + ts[1].sum);

    /* 5. scan floor: every value in file order */
    s = 0;
    t0 = now_sec();
    for (uint64_t i = 0; i < c->n; i++) s += touch(base_map + i * stride, c->vlen);
    t1 = now_sec();
    emit(NAME, run, "scan", (double)c->n / (t1 - t0), s);
    munmap((void *)base_map, len);
    free(m.tab);
    unlink(path);
    free(hits);
    free(misses);
    free(order);

    /* 2. single puts floor: one write() of key + value per put */
    order = shuffled(c->puts, 43);
    snprintf(path, sizeof path, "%s/puts", dir);
    emit(NAME, run, "single_put", write_batches(path, order, c->puts, c->vlen, 1), c->puts);
    unlink(path);
    free(order);

    /* 7. large values: write() of each value; touch of the mapped file */
    snprintf(path, sizeof path, "%s/large", dir);
    int fd = create(path);
    double mb = (double)c->large_n * (double)c->large_len / 1e6;
    t0 = now_sec();
    for (uint64_t i = 0; i < c->large_n; i++) xwrite(fd, value_of(i, c->large_len), c->large_len);
    t1 = now_sec();
    close(fd);
    emit(NAME, run, "large_write", mb / (t1 - t0), c->large_n);
    order = shuffled(c->large_n, 44);
    const uint8_t *lm = map_file(path, &len);
    s = 0;
    t0 = now_sec();
    for (uint64_t j = 0; j < c->large_n; j++) s += touch(lm + (uint64_t)order[j] * c->large_len, c->large_len);
    t1 = now_sec();
    emit(NAME, run, "large_read", mb / (t1 - t0), s);
    munmap((void *)lm, len);
    unlink(path);
    free(order);

    /* 8. durable puts floor: write() + fdatasync() per put, from 1 thread,
     * then from 2 threads at once on the same O_APPEND file (the file
     * system may then share one journal commit between the two). */
    snprintf(path, sizeof path, "%s/durable", dir);
    fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
    if (fd < 0) die("open %s: %s", path, strerror(errno));
    dthr dt[2] = {{fd, 0, 1, c->durable, c->vlen, NULL}};
    double dur = run_dthreads(1, dt);
    emit(NAME, run, "durable_1t", (double)c->durable / dur, c->durable);
    for (int i = 0; i < 2; i++) dt[i] = (dthr){fd, c->durable + (uint64_t)i, 2, c->durable / 2, c->vlen, NULL};
    dur = run_dthreads(2, dt);
    emit(NAME, run, "durable_2t", (double)(2 * (c->durable / 2)) / dur, c->durable);
    close(fd);
    unlink(path);

    /* 9. tiny values */
    order = shuffled(c->tiny_n, 45);
    snprintf(path, sizeof path, "%s/tinyload", dir);
    emit(NAME, run, "tiny_load", write_batches(path, order, c->tiny_n, c->tiny_len, c->batch), c->tiny_n);
    unlink(path);
    free(order);
    stride = stride_of(c->tiny_len);
    snprintf(path, sizeof path, "%s/tiny", dir);
    write_value_file(path, c->tiny_n, c->tiny_len, stride);
    memset(&m, 0, sizeof m);
    fmap_build(&m, c->tiny_n, stride);
    m.base = map_file(path, &m.len);
    m.vlen = c->tiny_len;
    uint32_t *tr = uniform(c->reads, c->tiny_n, 0, 1003);
    double rt = reads(&m, tr, c->reads, &s, &found);
    if (found != c->reads) die("floor: tiny not found");
    emit(NAME, run, "tiny_read", rt, s);
    munmap((void *)m.base, m.len);
    free(m.tab);
    free(tr);
    unlink(path);
    rm_rf(dir);
}

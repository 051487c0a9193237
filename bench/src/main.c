/*
 * srd_bench - one engine (or the machine's floor) through every workload.
 *
 *   srd_bench --engine NAME --dir DIR [--run N] [--quick]
 *   srd_bench --engine NAME --dir DIR [--run N] [--quick] --scale KEYS
 *   srd_bench --list
 *
 * --scale runs only the scale section at one store size (scale.c) instead of
 * the workloads below.
 *
 * Prints one CSV line per figure on stdout:
 *   R,engine,run,metric,value,check
 * where check is a checksum of what was read (the sum of every value byte
 * touched), equal for every engine that returns the right values.
 * bench/scripts/report.py turns these lines into the table and the CSV.
 * A benchmark never fails on speed; it exits non-zero only if an engine
 * returns an error or a wrong answer.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cfg FULL = {1000000, 100, 1000, 100000, 1000000, 1000, 1u << 20, 2000, 1000000, 8, 64};
static const cfg QUICK = {50000, 100, 1000, 5000, 50000, 50, 1u << 20, 100, 50000, 8, 64};

void run_floor(const cfg *c, const char *base, int run); /* floor.c */
void run_scale(const engine_ops *ops, uint64_t keys, const char *base, int run, int quick); /* scale.c */

static const engine_ops *const ENGINES[] = {
    &srd_ops,
    &srd_prealloc_ops,
#ifdef HAVE_LMDB
    &lmdb_ops,
#endif
#ifdef HAVE_ROCKSDB
    &rocksdb_ops,
#endif
#ifdef HAVE_LEVELDB
    &leveldb_ops,
#endif
#ifdef HAVE_SQLITE
    &sqlite_ops,
#endif
#ifdef HAVE_TKRZW
    &tkrzw_ops,
#endif
};
#define N_ENGINES (sizeof ENGINES / sizeof ENGINES[0])

uint8_t *KEYS;

static const engine_ops *E;
static int RUN;

static void fail(const char *what) { die("%s: %s failed", E->name, what); }

/* ---- loads --------------------------------------------------------------- */

static void load(wr *w, const uint32_t *order, uint64_t n, size_t vlen, size_t batch) {
    bkv *items = xmalloc(batch * sizeof *items);
    for (uint64_t at = 0; at < n; at += batch) {
        size_t m = (size_t)(n - at < batch ? n - at : batch);
        for (size_t j = 0; j < m; j++) {
            uint64_t i = order[at + j];
            items[j] = (bkv){K(i), KEY_LEN, value_of(i, vlen), vlen};
        }
        if (E->put_batch(w, items, m) != 0) fail("batch put");
    }
    free(items);
}

/* ---- reads --------------------------------------------------------------- */

/* Reads keys idx[0..count); returns how many were found, sums their bytes. */
static uint64_t read_seq(rd *r, const uint32_t *idx, uint64_t count, uint64_t *sum) {
    uint64_t found = 0, s = 0;
    for (uint64_t i = 0; i < count; i++) {
        int rc = E->get(r, K(idx[i]), KEY_LEN, &s);
        if (rc < 0) fail("get");
        found += (uint64_t)rc;
    }
    *sum += s;
    return found;
}

typedef struct thr {
    eng *e;
    pthread_barrier_t *bar;
    const uint32_t *idx;  /* reads: key indices */
    uint64_t count;
    uint64_t first, step; /* puts: keys first, first+step, ... */
    size_t vlen;
    uint64_t found, sum;
    int err;
} thr;

static void *read_thread(void *arg) {
    thr *t = arg;
    rd *r = E->reader(t->e);
    if (!r) t->err = 1;
    pthread_barrier_wait(t->bar);
    if (r) t->found = read_seq(r, t->idx, t->count, &t->sum);
    pthread_barrier_wait(t->bar);
    if (r) E->reader_free(r);
    return NULL;
}

static void *put_thread(void *arg) {
    thr *t = arg;
    wr *w = E->writer(t->e);
    if (!w) t->err = 1;
    pthread_barrier_wait(t->bar);
    for (uint64_t j = 0; w && j < t->count && !t->err; j++) {
        uint64_t i = t->first + j * t->step;
        if (E->put(w, K(i), KEY_LEN, value_of(i, t->vlen), t->vlen) != 0) t->err = 1;
    }
    pthread_barrier_wait(t->bar);
    if (w) E->writer_free(w);
    return NULL;
}

/* Runs `nt` threads of `fn` between two barriers; returns the seconds between them. */
static double run_threads(int nt, void *(*fn)(void *), thr *ts) {
    pthread_t th[8];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nt + 1);
    for (int i = 0; i < nt; i++) {
        ts[i].bar = &bar;
        if (pthread_create(&th[i], NULL, fn, &ts[i]) != 0) die("pthread_create");
    }
    pthread_barrier_wait(&bar);
    double t0 = now_sec();
    pthread_barrier_wait(&bar);
    double t1 = now_sec();
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    return t1 - t0;
}

static void fresh(char *out, size_t cap, const char *base, const char *what) {
    snprintf(out, cap, "%s/%s/%s", base, E->name, what);
    rm_rf(out);
    mkdir_p(out);
}

/* ---- the workloads ------------------------------------------------------- */

static void w_main(const cfg *c, const char *base) {
    char dir[4096];
    fresh(dir, sizeof dir, base, "main");
    uint32_t *order = shuffled(c->n, 42);
    uint32_t *hits = uniform(c->reads, c->n, 0, 1001);
    uint32_t *misses = uniform(c->reads, c->n, c->n, 1002);

    /* 1. bulk load */
    eng *e = E->open(dir, 0, c->n);
    if (!e) fail("open");
    wr *w = E->writer(e);
    if (!w) fail("writer");
    double t0 = now_sec();
    load(w, order, c->n, c->vlen, c->batch);
    double t1 = now_sec();
    emit(E->name, RUN, "bulk_load", (double)c->n / (t1 - t0), c->n);
    E->writer_free(w);
    E->close(e);

    /* 10a. size on disk after workload 1 (the store closed) */
    uint64_t disk = disk_usage(dir);
    emit(E->name, RUN, "disk_per_key", (double)disk / (double)c->n, disk);

    /* 6. reopen: (closed above) open, read one key; page cache warm */
    malloc_trim(0);
    uint64_t rss0 = rss_anon();
    uint64_t s = 0;
    t0 = now_sec();
    e = E->open(dir, 0, c->n);
    if (!e) fail("reopen");
    rd *r = E->reader(e);
    if (!r) fail("reader");
    if (E->get(r, K(order[0]), KEY_LEN, &s) != 1) fail("read after reopen");
    t1 = now_sec();
    emit(E->name, RUN, "reopen_ms", (t1 - t0) * 1e3, s);

    /* 3. random hits, 1 thread */
    s = 0;
    t0 = now_sec();
    uint64_t found = read_seq(r, hits, c->reads, &s);
    t1 = now_sec();
    if (found != c->reads) fail("random hits (a key was not found)");
    emit(E->name, RUN, "hit_1t", (double)c->reads / (t1 - t0), s);

    /* 10b. resident (anonymous) memory of the open store, per live key */
    uint64_t rss1 = rss_anon();
    double mem = rss1 > rss0 ? (double)(rss1 - rss0) : 0.0;
    emit(E->name, RUN, "mem_per_key", mem / (double)c->n, rss1 - rss0);

    /* 4. random misses */
    s = 0;
    t0 = now_sec();
    found = read_seq(r, misses, c->reads, &s);
    t1 = now_sec();
    if (found != 0) fail("random misses (an absent key was found)");
    emit(E->name, RUN, "miss", (double)c->reads / (t1 - t0), s);

    /* extra: batch reads of read_batch keys, where the engine has them */
    if (E->get_batch) {
        const uint8_t **keys = xmalloc(c->read_batch * sizeof *keys);
        s = 0;
        found = 0;
        t0 = now_sec();
        for (uint64_t at = 0; at < c->reads; at += c->read_batch) {
            size_t m = (size_t)(c->reads - at < c->read_batch ? c->reads - at : c->read_batch);
            for (size_t j = 0; j < m; j++) keys[j] = K(hits[at + j]);
            int64_t f = E->get_batch(r, keys, m, &s);
            if (f < 0) fail("batch read");
            found += (uint64_t)f;
        }
        t1 = now_sec();
        if (found != c->reads) fail("batch read (a key was not found)");
        emit(E->name, RUN, "batch_read", (double)c->reads / (t1 - t0), s);
        free(keys);
    }
    E->reader_free(r);

    /* 3b. random hits, 2 threads (each half of the same sequence) */
    thr ts[2];
    memset(ts, 0, sizeof ts);
    for (int i = 0; i < 2; i++) {
        ts[i].e = e;
        ts[i].idx = hits + i * (c->reads / 2);
        ts[i].count = c->reads / 2;
    }
    double dt = run_threads(2, read_thread, ts);
    if (ts[0].err || ts[1].err || ts[0].found + ts[1].found != 2 * (c->reads / 2))
        fail("random hits, 2 threads");
    emit(E->name, RUN, "hit_2t", (double)(2 * (c->reads / 2)) / dt, ts[0].sum + ts[1].sum);

    /* 5. full scan */
    s = 0;
    t0 = now_sec();
    int64_t cnt = E->scan(e, &s);
    t1 = now_sec();
    if (cnt != (int64_t)c->n) {
        fprintf(stderr, "srd_bench: %s: scan saw %ld entries, expected %lu\n", E->name, (long)cnt,
                (unsigned long)c->n);
        fail("scan");
    }
    emit(E->name, RUN, "scan", (double)cnt / (t1 - t0), s);

    E->close(e);
    rm_rf(dir);
    free(order);
    free(hits);
    free(misses);
}

static void w_single_puts(const cfg *c, const char *base) {
    char dir[4096];
    fresh(dir, sizeof dir, base, "puts");
    uint32_t *order = shuffled(c->puts, 43);
    eng *e = E->open(dir, 0, c->puts);
    if (!e) fail("open");
    wr *w = E->writer(e);
    if (!w) fail("writer");
    double t0 = now_sec();
    for (uint64_t j = 0; j < c->puts; j++) {
        uint64_t i = order[j];
        if (E->put(w, K(i), KEY_LEN, value_of(i, c->vlen), c->vlen) != 0) fail("put");
    }
    double t1 = now_sec();
    emit(E->name, RUN, "single_put", (double)c->puts / (t1 - t0), c->puts);
    E->writer_free(w);
    E->close(e);
    rm_rf(dir);
    free(order);
}

static void w_large(const cfg *c, const char *base) {
    char dir[4096];
    fresh(dir, sizeof dir, base, "large");
    uint32_t *order = shuffled(c->large_n, 44);
    double mb = (double)c->large_n * (double)c->large_len / 1e6;
    eng *e = E->open(dir, 0, c->large_n);
    if (!e) fail("open");
    wr *w = E->writer(e);
    if (!w) fail("writer");
    double t0 = now_sec();
    for (uint64_t i = 0; i < c->large_n; i++)
        if (E->put(w, K(i), KEY_LEN, value_of(i, c->large_len), c->large_len) != 0) fail("large put");
    double t1 = now_sec();
    emit(E->name, RUN, "large_write", mb / (t1 - t0), c->large_n);
    E->writer_free(w);
    rd *r = E->reader(e);
    if (!r) fail("reader");
    uint64_t s = 0;
    t0 = now_sec();
    uint64_t found = read_seq(r, order, c->large_n, &s);
    t1 = now_sec();
    if (found != c->large_n) fail("large read (a key was not found)");
    emit(E->name, RUN, "large_read", mb / (t1 - t0), s);
    E->reader_free(r);
    E->close(e);
    /* the same reads right after a reopen (page cache warm): a store that
     * checks checksums does it on these first reads */
    e = E->open(dir, 0, c->large_n);
    if (!e) fail("reopen");
    r = E->reader(e);
    if (!r) fail("reader");
    s = 0;
    t0 = now_sec();
    found = read_seq(r, order, c->large_n, &s);
    t1 = now_sec();
    if (found != c->large_n) fail("large read after reopen (a key was not found)");
    emit(E->name, RUN, "large_reopen_read", mb / (t1 - t0), s);
    E->reader_free(r);
    E->close(e);
    rm_rf(dir);
    free(order);
}

static void w_durable(const cfg *c, const char *base) {
    char dir[4096];
    fresh(dir, sizeof dir, base, "durable");
    eng *e = E->open(dir, ENG_DURABLE, 2 * c->durable);
    if (!e) fail("open durable");
    thr ts[2];
    memset(ts, 0, sizeof ts);
    ts[0] = (thr){.e = e, .count = c->durable, .first = 0, .step = 1, .vlen = c->vlen};
    double dt = run_threads(1, put_thread, ts);
    if (ts[0].err) fail("durable put");
    emit(E->name, RUN, "durable_1t", (double)c->durable / dt, c->durable);
    memset(ts, 0, sizeof ts);
    for (int i = 0; i < 2; i++)
        ts[i] = (thr){.e = e, .count = c->durable / 2, .first = c->durable + (uint64_t)i, .step = 2,
                      .vlen = c->vlen};
    dt = run_threads(2, put_thread, ts);
    if (ts[0].err || ts[1].err) fail("durable put, 2 threads");
    emit(E->name, RUN, "durable_2t", (double)(2 * (c->durable / 2)) / dt, c->durable);
    E->close(e);
    rm_rf(dir);
}

static void w_tiny(const cfg *c, const char *base) {
    char dir[4096];
    fresh(dir, sizeof dir, base, "tiny");
    uint32_t *order = shuffled(c->tiny_n, 45);
    uint32_t *reads = uniform(c->reads, c->tiny_n, 0, 1003);
    eng *e = E->open(dir, 0, c->tiny_n);
    if (!e) fail("open");
    wr *w = E->writer(e);
    if (!w) fail("writer");
    double t0 = now_sec();
    load(w, order, c->tiny_n, c->tiny_len, c->batch);
    double t1 = now_sec();
    emit(E->name, RUN, "tiny_load", (double)c->tiny_n / (t1 - t0), c->tiny_n);
    E->writer_free(w);
    rd *r = E->reader(e);
    if (!r) fail("reader");
    uint64_t s = 0;
    t0 = now_sec();
    uint64_t found = read_seq(r, reads, c->reads, &s);
    t1 = now_sec();
    if (found != c->reads) fail("tiny reads (a key was not found)");
    emit(E->name, RUN, "tiny_read", (double)c->reads / (t1 - t0), s);
    E->reader_free(r);
    E->close(e);
    rm_rf(dir);
    free(order);
    free(reads);
}

static void usage(void) {
    fprintf(stderr, "usage: srd_bench --engine NAME --dir DIR [--run N] [--quick] [--scale KEYS]\n"
                    "       srd_bench --list    (engines compiled in, and 'floor')\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *name = NULL, *base = NULL;
    const cfg *c = &FULL;
    uint64_t scale = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--engine") && i + 1 < argc) name = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) base = argv[++i];
        else if (!strcmp(argv[i], "--run") && i + 1 < argc) RUN = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) c = &QUICK;
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc) scale = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--list")) {
            for (size_t k = 0; k < N_ENGINES; k++) printf("%s\n", ENGINES[k]->name);
            printf("floor\n");
            return 0;
        } else usage();
    }
    if (!name || !base) usage();

    value_pool_init();
    if (scale) {
        if (!strcmp(name, "floor")) die("the scale section has no floor");
        for (size_t k = 0; k < N_ENGINES; k++)
            if (!strcmp(ENGINES[k]->name, name)) E = ENGINES[k];
        if (!E) die("unknown engine %s (see --list)", name);
        emit_meta(E->name, "version", E->version());
        run_scale(E, scale, base, RUN, c == &QUICK);
        return 0;
    }
    uint64_t nkeys = 2 * c->n;
    if (c->tiny_n > nkeys) nkeys = c->tiny_n;
    if (2 * c->durable > nkeys) nkeys = 2 * c->durable;
    KEYS = key_table(nkeys);

    if (!strcmp(name, "floor")) {
        run_floor(c, base, RUN);
        return 0;
    }
    for (size_t k = 0; k < N_ENGINES; k++)
        if (!strcmp(ENGINES[k]->name, name)) E = ENGINES[k];
    if (!E) die("unknown engine %s (see --list)", name);
    emit_meta(E->name, "version", E->version());

    w_main(c, base);
    w_single_puts(c, base);
    w_large(c, base);
    w_durable(c, base);
    w_tiny(c, base);
    return 0;
}

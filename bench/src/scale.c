/*
 * scale.c - the scale section: one engine, one store size per process.
 *
 *   srd_bench --engine NAME --dir DIR --run N --scale KEYS [--quick]
 *
 * Loads KEYS entries (16-byte keys, 100-byte values, batches of 1,000 through
 * the engine's batch put, keys in a shuffled order), closes the store, then
 * measures what grows with the store:
 *
 *   scale_load@KEYS         the load (setup, reported, not a target)   entries/s
 *   scale_disk_per_key@KEYS allocated bytes of the closed store, per key
 *   scale_reopen_ms@KEYS    open + read one key: the median of 5 cycles of
 *                           open, read, (untimed) close; page cache warm   ms
 *   scale_mem_open@KEYS     RssAnon after a fresh open, minus before, per key
 *   scale_first_hit@KEYS    1,000,000 uniform random hits right after that open
 *   scale_repeat_hit@KEYS   the same 1,000,000 hits again               reads/s
 *   scale_mem_hits@KEYS     RssAnon after both passes of hits, minus before
 *                           the open, per key
 *   scale_miss@KEYS         1,000,000 random reads of absent keys       reads/s
 *   scale_scan@KEYS         a full scan (the count is checked)          entries/s
 *
 * The keys of each read sequence are laid out in read order (16 MB for 1M
 * reads), so the benchmark's own cost per read does not grow with the store.
 * The same generators and seeds as main.c (load order 42, hits 1001, misses
 * 1002): at 1,000,000 keys the hits read what main.c's hit_1t reads.
 * crate-twin/src/main.rs implements the same section for the crate.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_VLEN 100
#define S_BATCH 1000
#define S_READS 1000000
#define S_CYCLES 5

static const engine_ops *E;
static int RUN;
static uint64_t N;

static void sfail(const char *what) { die("%s: scale %lu: %s failed", E->name, (unsigned long)N, what); }

static void emit_at(const char *metric, double value, uint64_t check) {
    char m[96];
    snprintf(m, sizeof m, "scale_%s@%lu", metric, (unsigned long)N);
    emit(E->name, RUN, m, value, check);
}

/* The keys of idx[0..count), one after the other. */
static uint8_t *key_seq(const uint32_t *idx, uint64_t count) {
    uint8_t *t = xmalloc(count * KEY_LEN);
    for (uint64_t i = 0; i < count; i++) make_key(idx[i], t + i * KEY_LEN);
    return t;
}

static uint64_t read_keys(rd *r, const uint8_t *keys, uint64_t count, uint64_t *sum) {
    uint64_t found = 0, s = 0;
    for (uint64_t i = 0; i < count; i++) {
        int rc = E->get(r, keys + i * KEY_LEN, KEY_LEN, &s);
        if (rc < 0) sfail("get");
        found += (uint64_t)rc;
    }
    *sum += s;
    return found;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void run_scale(const engine_ops *ops, uint64_t keys, const char *base, int run, int quick) {
    E = ops;
    RUN = run;
    N = keys;
    if (N < 1000 || N > 0xFFFFFFFFull / 2) die("--scale KEYS: between 1000 and 2^31");
    uint64_t reads = quick ? S_READS / 20 : S_READS;

    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s/scale", base, E->name);
    rm_rf(dir);
    mkdir_p(dir);

    uint32_t *order = shuffled(N, 42);
    uint32_t *idx = uniform(reads, N, 0, 1001);
    uint8_t *hits = key_seq(idx, reads);
    free(idx);
    idx = uniform(reads, N, N, 1002);
    uint8_t *misses = key_seq(idx, reads);
    free(idx);

    /* the load: setup, its rate reported */
    eng *e = E->open(dir, 0, N);
    if (!e) sfail("open");
    wr *w = E->writer(e);
    if (!w) sfail("writer");
    uint8_t *bkeys = xmalloc(S_BATCH * KEY_LEN);
    bkv *items = xmalloc(S_BATCH * sizeof *items);
    double t0 = now_sec();
    for (uint64_t at = 0; at < N; at += S_BATCH) {
        size_t m = (size_t)(N - at < S_BATCH ? N - at : S_BATCH);
        for (size_t j = 0; j < m; j++) {
            uint64_t i = order[at + j];
            make_key(i, bkeys + j * KEY_LEN);
            items[j] = (bkv){bkeys + j * KEY_LEN, KEY_LEN, value_of(i, S_VLEN), S_VLEN};
        }
        if (E->put_batch(w, items, m) != 0) sfail("batch put");
    }
    double t1 = now_sec();
    emit_at("load", (double)N / (t1 - t0), N);
    free(items);
    E->writer_free(w);
    E->close(e);

    uint64_t disk = disk_usage(dir);
    emit_at("disk_per_key", (double)disk / (double)N, disk);

    /* (a) reopen + 1 read, S_CYCLES times; the median */
    double ms[S_CYCLES];
    uint64_t s = 0;
    for (int c = 0; c < S_CYCLES; c++) {
        uint8_t k[KEY_LEN];
        make_key(order[c], k);
        t0 = now_sec();
        e = E->open(dir, 0, N);
        if (!e) sfail("reopen");
        rd *r = E->reader(e);
        if (!r) sfail("reader");
        if (E->get(r, k, KEY_LEN, &s) != 1) sfail("read after reopen");
        t1 = now_sec();
        ms[c] = (t1 - t0) * 1e3;
        E->reader_free(r);
        E->close(e);
    }
    qsort(ms, S_CYCLES, sizeof ms[0], cmp_double);
    emit_at("reopen_ms", ms[S_CYCLES / 2], s);

    /* (b) memory after a fresh open */
    malloc_trim(0);
    uint64_t rss0 = rss_anon();
    e = E->open(dir, 0, N);
    if (!e) sfail("reopen");
    rd *r = E->reader(e);
    if (!r) sfail("reader");
    uint64_t rss1 = rss_anon();
    emit_at("mem_open", rss1 > rss0 ? (double)(rss1 - rss0) / (double)N : 0.0, rss1 > rss0 ? rss1 - rss0 : 0);

    /* (c) first hits, (d) the same hits again */
    const char *hit_names[2] = {"first_hit", "repeat_hit"};
    for (int pass = 0; pass < 2; pass++) {
        s = 0;
        t0 = now_sec();
        uint64_t found = read_keys(r, hits, reads, &s);
        t1 = now_sec();
        if (found != reads) sfail("random hits (a key was not found)");
        emit_at(hit_names[pass], (double)reads / (t1 - t0), s);
    }
    uint64_t rss2 = rss_anon();
    emit_at("mem_hits", rss2 > rss0 ? (double)(rss2 - rss0) / (double)N : 0.0, rss2 > rss0 ? rss2 - rss0 : 0);

    /* (e) misses */
    s = 0;
    t0 = now_sec();
    uint64_t found = read_keys(r, misses, reads, &s);
    t1 = now_sec();
    if (found != 0) sfail("random misses (an absent key was found)");
    emit_at("miss", (double)reads / (t1 - t0), s);
    E->reader_free(r);

    /* (f) full scan */
    s = 0;
    t0 = now_sec();
    int64_t cnt = E->scan(e, &s);
    t1 = now_sec();
    if (cnt != (int64_t)N) {
        fprintf(stderr, "srd_bench: %s: scan saw %ld entries, expected %lu\n", E->name, (long)cnt,
                (unsigned long)N);
        sfail("scan");
    }
    emit_at("scan", (double)cnt / (t1 - t0), s);

    E->close(e);
    rm_rf(dir);
    free(order);
    free(hits);
    free(misses);
    free(bkeys);
}

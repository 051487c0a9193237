/* eng_tkrzw.c - tkrzw's HashDBM through its C API (tkrzw_langc.h).
 * Opened with dbm=HashDBM and num_buckets = 2 x the expected keys (its
 * documented sizing). Non-durable: plain sets (they reach the OS, no fsync).
 * Durable: each set is followed by tkrzw_dbm_synchronize(hard=true).
 * Reads and the scan use record processors, so values are not copied. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <tkrzw_langc.h>

struct eng {
    TkrzwDBM *dbm;
    int durable;
};

static int fail(const char *what) {
    fprintf(stderr, "srd_bench: tkrzw: %s: %s\n", what, tkrzw_get_last_status_message());
    return -1;
}

static const char *version(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "tkrzw %s HashDBM", TKRZW_PACKAGE_VERSION);
    return buf;
}

static eng *open_(const char *dir, int flags, uint64_t expected) {
    char path[4200], params[256];
    snprintf(path, sizeof path, "%s/db.tkh", dir);
    uint64_t buckets = 2 * expected < 1024 ? 1024 : 2 * expected;
    snprintf(params, sizeof params, "dbm=HashDBM,num_buckets=%lu", (unsigned long)buckets);
    eng *e = calloc(1, sizeof *e);
    e->durable = (flags & ENG_DURABLE) != 0;
    e->dbm = tkrzw_dbm_open(path, true, params);
    if (!e->dbm) {
        fail("open");
        return NULL;
    }
    return e;
}

static void close_(eng *e) {
    if (!tkrzw_dbm_close(e->dbm)) fail("close");
    free(e);
}
static wr *writer(eng *e) { return (wr *)e; }
static void writer_free(wr *w) { (void)w; }

static int sync_if_durable(eng *e) {
    if (e->durable && !tkrzw_dbm_synchronize(e->dbm, true, NULL, NULL, "")) return fail("synchronize");
    return 0;
}

static int put_batch(wr *w, const bkv *items, size_t n) {
    eng *e = (eng *)w;
    TkrzwKeyValuePair *recs = xmalloc(n * sizeof *recs);
    for (size_t i = 0; i < n; i++)
        recs[i] = (TkrzwKeyValuePair){(const char *)items[i].key, (int32_t)items[i].key_len,
                                      (const char *)items[i].val, (int32_t)items[i].val_len};
    bool ok = tkrzw_dbm_set_multi(e->dbm, recs, (int32_t)n, true);
    free(recs);
    if (!ok) return fail("set_multi");
    return sync_if_durable(e);
}

static int put(wr *w, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    eng *e = (eng *)w;
    if (!tkrzw_dbm_set(e->dbm, (const char *)k, (int32_t)kl, (const char *)v, (int32_t)vl, true))
        return fail("set");
    return sync_if_durable(e);
}

static rd *reader(eng *e) { return (rd *)e; }
static void reader_free(rd *r) { (void)r; }

typedef struct acc {
    uint64_t sum;
    int64_t n;
} acc;

static const char *touch_proc(void *arg, const char *k, int32_t ks, const char *v, int32_t vs, int32_t *out) {
    (void)k; (void)ks; (void)out;
    acc *a = arg;
    if (v) {
        a->sum += touch((const uint8_t *)v, (size_t)vs);
        a->n++;
    }
    return TKRZW_REC_PROC_NOOP;
}

static int get(rd *r, const uint8_t *k, size_t kl, uint64_t *sum) {
    eng *e = (eng *)r;
    acc a = {0, 0};
    if (!tkrzw_dbm_process(e->dbm, (const char *)k, (int32_t)kl, touch_proc, &a, false)) return fail("process");
    *sum += a.sum;
    return a.n ? 1 : 0;
}

static int64_t scan(eng *e, uint64_t *sum) {
    acc a = {0, 0};
    if (!tkrzw_dbm_process_each(e->dbm, touch_proc, &a, false)) return fail("process_each");
    *sum += a.sum;
    return a.n;
}

const engine_ops tkrzw_ops = {
    "tkrzw", version, open_, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, NULL, scan,
};

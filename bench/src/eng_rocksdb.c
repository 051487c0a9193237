/* eng_rocksdb.c - RocksDB through its C API (rocksdb/c.h), default options.
 * Non-durable: WAL on, sync off (each write reaches the OS, no fsync).
 * Durable: WriteOptions.sync = true (the WAL is fsync'd at every write;
 * concurrent writers share a sync through RocksDB's group commit).
 * Reads use rocksdb_get_pinned (no copy of the value when it can be avoided). */
#include "bench.h"

#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>

struct eng {
    rocksdb_t *db;
    rocksdb_options_t *opt;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
};

static int chk(const char *what, char *err) {
    if (!err) return 0;
    fprintf(stderr, "srd_bench: rocksdb: %s: %s\n", what, err);
    rocksdb_free(err);
    return -1;
}

static const char *version(void) {
#ifdef ROCKSDB_VERSION /* from pkg-config, by the Makefile: rocksdb/version.h is C++ */
    return "RocksDB " ROCKSDB_VERSION;
#else
    return "RocksDB";
#endif
}

static eng *open_(const char *dir, int flags, uint64_t expected) {
    (void)expected;
    eng *e = calloc(1, sizeof *e);
    e->opt = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(e->opt, 1);
    e->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(e->wo, (flags & ENG_DURABLE) ? 1 : 0);
    e->ro = rocksdb_readoptions_create();
    char *err = NULL;
    e->db = rocksdb_open(e->opt, dir, &err);
    if (chk("open", err)) return NULL;
    return e;
}

static void close_(eng *e) {
    rocksdb_close(e->db);
    rocksdb_readoptions_destroy(e->ro);
    rocksdb_writeoptions_destroy(e->wo);
    rocksdb_options_destroy(e->opt);
    free(e);
}
static wr *writer(eng *e) { return (wr *)e; }
static void writer_free(wr *w) { (void)w; }

static int put_batch(wr *w, const bkv *items, size_t n) {
    eng *e = (eng *)w;
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    for (size_t i = 0; i < n; i++)
        rocksdb_writebatch_put(b, (const char *)items[i].key, items[i].key_len, (const char *)items[i].val,
                               items[i].val_len);
    char *err = NULL;
    rocksdb_write(e->db, e->wo, b, &err);
    rocksdb_writebatch_destroy(b);
    return chk("write", err);
}

static int put(wr *w, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    eng *e = (eng *)w;
    char *err = NULL;
    rocksdb_put(e->db, e->wo, (const char *)k, kl, (const char *)v, vl, &err);
    return chk("put", err);
}

static rd *reader(eng *e) { return (rd *)e; }
static void reader_free(rd *r) { (void)r; }

static int get(rd *r, const uint8_t *k, size_t kl, uint64_t *sum) {
    eng *e = (eng *)r;
    char *err = NULL;
    rocksdb_pinnableslice_t *p = rocksdb_get_pinned(e->db, e->ro, (const char *)k, kl, &err);
    if (chk("get", err)) return -1;
    if (!p) return 0;
    size_t len;
    const char *v = rocksdb_pinnableslice_value(p, &len);
    *sum += touch((const uint8_t *)v, len);
    rocksdb_pinnableslice_destroy(p);
    return 1;
}

static int64_t scan(eng *e, uint64_t *sum) {
    rocksdb_iterator_t *it = rocksdb_create_iterator(e->db, e->ro);
    int64_t n = 0;
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t len;
        const char *v = rocksdb_iter_value(it, &len);
        *sum += touch((const uint8_t *)v, len);
        n++;
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    return chk("iterate", err) ? -1 : n;
}

const engine_ops rocksdb_ops = {
    "rocksdb", version, open_, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, NULL, scan,
};

/* eng_leveldb.c - LevelDB through its C API (leveldb/c.h), default options.
 * Non-durable: sync off (each write's log record reaches the OS, no fsync).
 * Durable: WriteOptions.sync = true. leveldb_get returns a malloc'd copy. */
#include "bench.h"

#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>

struct eng {
    leveldb_t *db;
    leveldb_options_t *opt;
    leveldb_writeoptions_t *wo;
    leveldb_readoptions_t *ro;
};

static int chk(const char *what, char *err) {
    if (!err) return 0;
    fprintf(stderr, "srd_bench: leveldb: %s: %s\n", what, err);
    leveldb_free(err);
    return -1;
}

static const char *version(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "LevelDB %d.%d", leveldb_major_version(), leveldb_minor_version());
    return buf;
}

static eng *open_(const char *dir, int flags, uint64_t expected) {
    (void)expected;
    eng *e = calloc(1, sizeof *e);
    e->opt = leveldb_options_create();
    leveldb_options_set_create_if_missing(e->opt, 1);
    e->wo = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(e->wo, (flags & ENG_DURABLE) ? 1 : 0);
    e->ro = leveldb_readoptions_create();
    char *err = NULL;
    e->db = leveldb_open(e->opt, dir, &err);
    if (chk("open", err)) return NULL;
    return e;
}

static void close_(eng *e) {
    leveldb_close(e->db);
    leveldb_readoptions_destroy(e->ro);
    leveldb_writeoptions_destroy(e->wo);
    leveldb_options_destroy(e->opt);
    free(e);
}
static wr *writer(eng *e) { return (wr *)e; }
static void writer_free(wr *w) { (void)w; }

static int put_batch(wr *w, const bkv *items, size_t n) {
    eng *e = (eng *)w;
    leveldb_writebatch_t *b = leveldb_writebatch_create();
    for (size_t i = 0; i < n; i++)
        leveldb_writebatch_put(b, (const char *)items[i].key, items[i].key_len, (const char *)items[i].val,
                               items[i].val_len);
    char *err = NULL;
    leveldb_write(e->db, e->wo, b, &err);
    leveldb_writebatch_destroy(b);
    return chk("write", err);
}

static int put(wr *w, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    eng *e = (eng *)w;
    char *err = NULL;
    leveldb_put(e->db, e->wo, (const char *)k, kl, (const char *)v, vl, &err);
    return chk("put", err);
}

static rd *reader(eng *e) { return (rd *)e; }
static void reader_free(rd *r) { (void)r; }

static int get(rd *r, const uint8_t *k, size_t kl, uint64_t *sum) {
    eng *e = (eng *)r;
    char *err = NULL;
    size_t len;
    char *v = leveldb_get(e->db, e->ro, (const char *)k, kl, &len, &err);
    if (chk("get", err)) return -1;
    if (!v) return 0;
    *sum += touch((const uint8_t *)v, len);
    leveldb_free(v);
    return 1;
}

static int64_t scan(eng *e, uint64_t *sum) {
    leveldb_iterator_t *it = leveldb_create_iterator(e->db, e->ro);
    int64_t n = 0;
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
        size_t len;
        const char *v = leveldb_iter_value(it, &len);
        *sum += touch((const uint8_t *)v, len);
        n++;
    }
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    leveldb_iter_destroy(it);
    return chk("iterate", err) ? -1 : n;
}

const engine_ops leveldb_ops = {
    "leveldb", version, open_, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, NULL, scan,
};

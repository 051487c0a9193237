/* eng_lmdb.c - LMDB (liblmdb) through lmdb.h.
 * Non-durable: MDB_NOSYNC | MDB_NOMETASYNC (commits reach the OS, no fsync).
 * Durable: the default, an fdatasync at every commit.
 * A reader keeps one read transaction for its whole loop, as LMDB readers do. */
#include "bench.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>

struct eng {
    MDB_env *env;
    MDB_dbi dbi;
};
struct rd {
    eng *e;
    MDB_txn *txn;
};

static int chk(const char *what, int rc) {
    if (rc != 0 && rc != MDB_NOTFOUND) fprintf(stderr, "srd_bench: lmdb: %s: %s\n", what, mdb_strerror(rc));
    return rc;
}

static const char *version(void) { return mdb_version(NULL, NULL, NULL); }

static eng *open_(const char *dir, int flags, uint64_t expected) {
    (void)expected;
    eng *e = calloc(1, sizeof *e);
    if (chk("env_create", mdb_env_create(&e->env))) return NULL;
    mdb_env_set_mapsize(e->env, (size_t)64 << 30);
    mdb_env_set_maxreaders(e->env, 126);
    unsigned f = (flags & ENG_DURABLE) ? 0 : (MDB_NOSYNC | MDB_NOMETASYNC);
    if (chk("env_open", mdb_env_open(e->env, dir, f, 0644))) return NULL;
    MDB_txn *txn;
    if (chk("txn_begin", mdb_txn_begin(e->env, NULL, 0, &txn))) return NULL;
    if (chk("dbi_open", mdb_dbi_open(txn, NULL, 0, &e->dbi))) return NULL;
    if (chk("commit", mdb_txn_commit(txn))) return NULL;
    return e;
}

static void close_(eng *e) {
    mdb_env_close(e->env);
    free(e);
}
static wr *writer(eng *e) { return (wr *)e; }
static void writer_free(wr *w) { (void)w; }

static int put_batch(wr *w, const bkv *items, size_t n) {
    eng *e = (eng *)w;
    MDB_txn *txn;
    if (chk("txn_begin", mdb_txn_begin(e->env, NULL, 0, &txn))) return -1;
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {items[i].key_len, (void *)items[i].key}, v = {items[i].val_len, (void *)items[i].val};
        if (chk("put", mdb_put(txn, e->dbi, &k, &v, 0))) {
            mdb_txn_abort(txn);
            return -1;
        }
    }
    return chk("commit", mdb_txn_commit(txn)) ? -1 : 0;
}

static int put(wr *w, const uint8_t *key, size_t kl, const uint8_t *val, size_t vl) {
    bkv one = {key, kl, val, vl};
    return put_batch(w, &one, 1);
}

static rd *reader(eng *e) {
    rd *r = calloc(1, sizeof *r);
    r->e = e;
    if (chk("txn_begin ro", mdb_txn_begin(e->env, NULL, MDB_RDONLY, &r->txn))) {
        free(r);
        return NULL;
    }
    return r;
}
static void reader_free(rd *r) {
    mdb_txn_abort(r->txn);
    free(r);
}

static int get(rd *r, const uint8_t *key, size_t kl, uint64_t *sum) {
    MDB_val k = {kl, (void *)key}, v;
    int rc = mdb_get(r->txn, r->e->dbi, &k, &v);
    if (rc == 0) {
        *sum += touch(v.mv_data, v.mv_size);
        return 1;
    }
    return rc == MDB_NOTFOUND ? 0 : (chk("get", rc), -1);
}

static int64_t scan(eng *e, uint64_t *sum) {
    MDB_txn *txn;
    MDB_cursor *cur;
    if (chk("txn_begin ro", mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn))) return -1;
    if (chk("cursor_open", mdb_cursor_open(txn, e->dbi, &cur))) return -1;
    MDB_val k, v;
    int64_t n = 0;
    int rc;
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        *sum += touch(v.mv_data, v.mv_size);
        n++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == MDB_NOTFOUND ? n : (chk("cursor_get", rc), -1);
}

const engine_ops lmdb_ops = {
    "lmdb", version, open_, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, NULL, scan,
};

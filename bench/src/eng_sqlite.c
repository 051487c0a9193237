/* eng_sqlite.c - SQLite through sqlite3.h: WAL journal, a WITHOUT ROWID table
 * kv(k BLOB PRIMARY KEY, v BLOB), prepared statements, one connection per
 * thread. Non-durable: synchronous=OFF. Durable: synchronous=FULL (the WAL is
 * synced at every commit). Each put or batch is one BEGIN IMMEDIATE..COMMIT. */
#include "bench.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

struct eng {
    char path[4200];
    int durable;
    sqlite3 *db; /* keeps the database open; used by scan */
};
struct wr {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *ins;
};
struct rd {
    sqlite3 *db;
    sqlite3_stmt *sel;
};

static int chk(sqlite3 *db, const char *what, int rc) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        fprintf(stderr, "srd_bench: sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW;
}

static const char *version(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "SQLite %s", sqlite3_libversion());
    return buf;
}

static sqlite3 *connect(eng *e) {
    sqlite3 *db;
    int rc = sqlite3_open_v2(e->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (chk(db, "open", rc)) return NULL;
    sqlite3_busy_timeout(db, 60000);
    const char *sync = e->durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF";
    if (chk(db, "pragma", sqlite3_exec(db, sync, NULL, NULL, NULL))) return NULL;
    return db;
}

static eng *open_(const char *dir, int flags, uint64_t expected) {
    (void)expected;
    eng *e = calloc(1, sizeof *e);
    snprintf(e->path, sizeof e->path, "%s/db.sqlite", dir);
    e->durable = (flags & ENG_DURABLE) != 0;
    if (!(e->db = connect(e))) return NULL;
    if (chk(e->db, "wal", sqlite3_exec(e->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL))) return NULL;
    if (chk(e->db, "create",
            sqlite3_exec(e->db, "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID", NULL,
                         NULL, NULL)))
        return NULL;
    return e;
}

static void close_(eng *e) {
    sqlite3_close(e->db);
    free(e);
}

static wr *writer(eng *e) {
    wr *w = calloc(1, sizeof *w);
    if (!(w->db = connect(e))) return NULL;
    if (chk(w->db, "prepare", sqlite3_prepare_v2(w->db, "BEGIN IMMEDIATE", -1, &w->begin, NULL)) ||
        chk(w->db, "prepare", sqlite3_prepare_v2(w->db, "COMMIT", -1, &w->commit, NULL)) ||
        chk(w->db, "prepare", sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO kv(k, v) VALUES(?, ?)", -1, &w->ins, NULL)))
        return NULL;
    return w;
}
static void writer_free(wr *w) {
    sqlite3_finalize(w->begin);
    sqlite3_finalize(w->commit);
    sqlite3_finalize(w->ins);
    sqlite3_close(w->db);
    free(w);
}

static int step(sqlite3 *db, sqlite3_stmt *s, const char *what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return chk(db, what, rc) ? -1 : 0;
}

static int put_batch(wr *w, const bkv *items, size_t n) {
    if (step(w->db, w->begin, "begin")) return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_blob(w->ins, 1, items[i].key, (int)items[i].key_len, SQLITE_STATIC);
        sqlite3_bind_blob(w->ins, 2, items[i].val, (int)items[i].val_len, SQLITE_STATIC);
        if (step(w->db, w->ins, "insert")) {
            sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return step(w->db, w->commit, "commit");
}

static int put(wr *w, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    bkv one = {k, kl, v, vl};
    return put_batch(w, &one, 1);
}

static rd *reader(eng *e) {
    rd *r = calloc(1, sizeof *r);
    if (!(r->db = connect(e))) return NULL;
    if (chk(r->db, "prepare", sqlite3_prepare_v2(r->db, "SELECT v FROM kv WHERE k = ?", -1, &r->sel, NULL)))
        return NULL;
    return r;
}
static void reader_free(rd *r) {
    sqlite3_finalize(r->sel);
    sqlite3_close(r->db);
    free(r);
}

static int get(rd *r, const uint8_t *k, size_t kl, uint64_t *sum) {
    sqlite3_bind_blob(r->sel, 1, k, (int)kl, SQLITE_STATIC);
    int rc = sqlite3_step(r->sel), found = 0;
    if (rc == SQLITE_ROW) {
        const uint8_t *v = sqlite3_column_blob(r->sel, 0);
        *sum += touch(v, (size_t)sqlite3_column_bytes(r->sel, 0));
        found = 1;
    } else if (rc != SQLITE_DONE) {
        chk(r->db, "select", rc);
        found = -1;
    }
    sqlite3_reset(r->sel);
    return found;
}

static int64_t scan(eng *e, uint64_t *sum) {
    sqlite3_stmt *s;
    if (chk(e->db, "prepare", sqlite3_prepare_v2(e->db, "SELECT v FROM kv", -1, &s, NULL))) return -1;
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *v = sqlite3_column_blob(s, 0);
        *sum += touch(v, (size_t)sqlite3_column_bytes(s, 0));
        n++;
    }
    sqlite3_finalize(s);
    return chk(e->db, "scan", rc) ? -1 : n;
}

const engine_ops sqlite_ops = {
    "sqlite", version, open_, close_, writer, writer_free, put_batch, put,
    reader, reader_free, get, NULL, scan,
};

/*
 * test_stress.c - readers, writers, deleters, a streamer and a compactor on one store.
 *
 * For a bounded time (6 s x SRD_TEST_SCALE, at least 2 s) on one srd_store handle:
 *   - 2 writers (srd_write, srd_write_batch, srd_write_with_hash) on their own keys;
 *     values of 24 B .. 4 KiB, now and then 80-120 KiB (checked without the readers'
 *     lock inside the library);
 *   - 1 deleter that writes and deletes its own keys (srd_delete, srd_delete_batch,
 *     srd_delete_with_hash);
 *   - 1 streamer (srd_stream_begin / _write in chunks / _commit) on its own keys, values
 *     up to 32 KiB, one in eight up to 300 KiB; one stream in eight is aborted instead, and those values are marked
 *     "aborted" inside so that seeing one anywhere is a failure;
 *   - 1 compactor: srd_compact / srd_compact_progress every ~150 ms, holding a pthread
 *     rwlock for writing (the documented rule: borrowed srd_read pointers die at
 *     srd_compact);
 *   - 4 readers: srd_read + srd_read_batch + srd_read_last under that rwlock (read side);
 *     srd_read_entry freely, keeping pinned entries across compactions and re-checking
 *     their bytes later; srd_iter / srd_iter_new_part walks freely, consumed slowly.
 * Values are self-describing: magic, key id, generation, length, "aborted" flag, then a
 * body generated from (key, generation). After EVERY read the value must be exactly the
 * one written for that key and generation (not another key's, not partial, not aborted),
 * its generation must not exceed the newest one started for the key, must never go back
 * for a key as seen by one reader, and for writer keys (never deleted) must be at least
 * the last generation whose write had returned before the read began.
 * At the end: close, reopen, srd_verify is sound, and the store equals the model kept by
 * the owners of the keys (every key's value or absence; live count; iteration).
 */
#include "tst_robust.h"

#include <pthread.h>
#include <sched.h>

#define NWRITERS 2
#define KEYS_PER_OWNER 16
#define NREADERS 4
#define W_KEYS (NWRITERS * KEYS_PER_OWNER) /* keys 0..31: writers */
#define D_BASE W_KEYS                      /* 32..47: deleter */
#define S_BASE (D_BASE + KEYS_PER_OWNER)   /* 48..63: streamer */
#define NKEYS (S_BASE + KEYS_PER_OWNER)
#define HDR 24
#define MAGIC 0x53524453u /* "SRDS" */

static srd_store *db;
static pthread_rwlock_t compact_lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int stop;
static double t_end;

static char key_name[NKEYS][16];
static uint64_t key_hash[NKEYS];
static atomic_ullong started[NKEYS];   /* newest generation whose write has begun */
static atomic_ullong completed[NKEYS]; /* newest generation whose write has returned */
static uint64_t model_gen[NKEYS];      /* owner's view: 0 = absent */

static atomic_ulong n_reads, n_read_ok, n_read_nf, n_entries, n_iter_items, n_writes,
    n_deletes, n_streams, n_aborts, n_compactions, n_pinned_rechecks, n_bad;

static const uint8_t *K(int k) { return (const uint8_t *)key_name[k]; }
static size_t KL(int k) { return strlen(key_name[k]); }

static int key_of_hash(uint64_t h) {
    for (int k = 0; k < NKEYS; k++)
        if (key_hash[k] == h) return k;
    return -1;
}

static size_t value_len(int key, uint64_t gen) {
    tst_rng r = {((uint64_t)key << 40) ^ gen ^ 0xC0FFEE};
    uint64_t x = tst_rng_next(&r);
    if (key >= S_BASE) return HDR + (size_t)(x % (x % 8 == 0 ? (300u << 10) : (32u << 10)));
    if (x % 50 == 0) return (size_t)(80u << 10) + (size_t)((x >> 8) % (40u << 10));
    return HDR + (size_t)((x >> 8) % 4073);
}

static void body_fill(uint8_t *b, size_t n, int key, uint64_t gen) {
    tst_rng r = {((uint64_t)key << 48) ^ (gen * 0x9E3779B97F4A7C15ull)};
    tst_rng_fill(&r, b, n);
}

/* The value of (key, gen): header then body. */
static uint8_t *make_value(int key, uint64_t gen, int aborted, size_t *len) {
    size_t n = value_len(key, gen);
    uint8_t *v = (uint8_t *)malloc(n);
    if (!v) abort();
    tst_put_le32(v, MAGIC);
    tst_put_le32(v + 4, (uint32_t)key);
    tst_put_le64(v + 8, gen);
    tst_put_le32(v + 16, (uint32_t)n);
    tst_put_le32(v + 20, aborted ? 1u : 0u);
    body_fill(v + HDR, n - HDR, key, gen);
    *len = n;
    return v;
}

/* Checks that (p, n) is exactly the value written for `key` at some generation; returns
 * that generation, or 0 after recording a failure. */
static uint64_t check_value(int key, const uint8_t *p, size_t n, const char *how) {
    if (n < HDR || tst_le32(p) != MAGIC) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): %zu bytes that are no value of this test", how, key_name[key], n);
        return 0;
    }
    uint32_t k = tst_le32(p + 4);
    uint64_t gen = tst_le64(p + 8);
    uint32_t len = tst_le32(p + 16);
    uint32_t aborted = tst_le32(p + 20);
    if (k != (uint32_t)key) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): the value of key %u (gen %llu)", how, key_name[key], k,
                  (unsigned long long)gen);
        return 0;
    }
    if (aborted) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): gen %llu comes from an ABORTED stream", how, key_name[key],
                  (unsigned long long)gen);
        return 0;
    }
    if (len != n || n != value_len(key, gen)) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): gen %llu has %zu bytes, expected %zu (partial value?)", how,
                  key_name[key], (unsigned long long)gen, n, value_len(key, gen));
        return 0;
    }
    uint64_t st = atomic_load(&started[key]);
    if (gen == 0 || gen > st) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): gen %llu was never written (newest started: %llu)", how,
                  key_name[key], (unsigned long long)gen, (unsigned long long)st);
        return 0;
    }
    /* the body, compared in pieces without allocating */
    uint8_t tmp[4096];
    tst_rng r = {((uint64_t)key << 48) ^ (gen * 0x9E3779B97F4A7C15ull)};
    size_t off = HDR;
    while (off < n) {
        size_t c = n - off < sizeof tmp ? n - off : sizeof tmp;
        /* tst_rng_fill consumes whole 64-bit words; chunks are multiples of 8 except the last */
        tst_rng_fill(&r, tmp, c);
        if (memcmp(tmp, p + off, c) != 0) {
            atomic_fetch_add(&n_bad, 1);
            CHECK_MSG(0, "%s(%s): gen %llu body differs near offset %zu", how, key_name[key],
                      (unsigned long long)gen, off);
            return 0;
        }
        off += c;
    }
    return gen;
}

/* ------------------------------------------------------------------ */
/* Mutators                                                            */
/* ------------------------------------------------------------------ */

static int running(void) { return !atomic_load(&stop) && tst_now() < t_end; }

static void *writer(void *arg) {
    int id = (int)(intptr_t)arg;
    int base = id * KEYS_PER_OWNER;
    tst_rng r = {1000 + (uint64_t)id};
    tst_ctx("writer %d", id);
    while (running()) {
        uint64_t op = tst_rng_below(&r, 10);
        if (op < 2) { /* a batch of 3 distinct keys */
            int ks[3];
            ks[0] = base + (int)tst_rng_below(&r, KEYS_PER_OWNER);
            ks[1] = base + (ks[0] - base + 1) % KEYS_PER_OWNER;
            ks[2] = base + (ks[0] - base + 5) % KEYS_PER_OWNER;
            srd_kv items[3];
            uint8_t *vs[3];
            uint64_t gens[3];
            for (int i = 0; i < 3; i++) {
                gens[i] = atomic_fetch_add(&started[ks[i]], 1) + 1;
                size_t n;
                vs[i] = make_value(ks[i], gens[i], 0, &n);
                items[i] = (srd_kv){K(ks[i]), KL(ks[i]), vs[i], n};
            }
            if (CHECK_OK(srd_write_batch(db, items, 3))) {
                for (int i = 0; i < 3; i++) {
                    atomic_store(&completed[ks[i]], gens[i]);
                    model_gen[ks[i]] = gens[i];
                }
                atomic_fetch_add(&n_writes, 3);
            }
            for (int i = 0; i < 3; i++) free(vs[i]);
        } else {
            int k = base + (int)tst_rng_below(&r, KEYS_PER_OWNER);
            uint64_t gen = atomic_fetch_add(&started[k], 1) + 1;
            size_t n;
            uint8_t *v = make_value(k, gen, 0, &n);
            int32_t st = op == 2 ? srd_write_with_hash(db, key_hash[k], v, n)
                                 : srd_write(db, K(k), KL(k), v, n);
            if (CHECK_OK(st)) {
                atomic_store(&completed[k], gen);
                model_gen[k] = gen;
                atomic_fetch_add(&n_writes, 1);
            }
            free(v);
        }
        sched_yield();
    }
    return NULL;
}

static void *deleter(void *arg) {
    (void)arg;
    tst_rng r = {2000};
    tst_ctx("deleter");
    while (running()) {
        int k = D_BASE + (int)tst_rng_below(&r, KEYS_PER_OWNER);
        uint64_t op = tst_rng_below(&r, 10);
        if (op < 5) {
            uint64_t gen = atomic_fetch_add(&started[k], 1) + 1;
            size_t n;
            uint8_t *v = make_value(k, gen, 0, &n);
            if (CHECK_OK(srd_write(db, K(k), KL(k), v, n))) {
                model_gen[k] = gen;
                atomic_fetch_add(&n_writes, 1);
            }
            free(v);
        } else if (op < 8) {
            int32_t st = op == 7 ? srd_delete_with_hash(db, key_hash[k]) : srd_delete(db, K(k), KL(k));
            int32_t want = model_gen[k] ? SRD_OK : SRD_NOT_FOUND;
            CHECK_MSG(st == want, "delete(%s): %s, expected %s", key_name[k], tst_status_name(st),
                      tst_status_name(want));
            model_gen[k] = 0;
            atomic_fetch_add(&n_deletes, 1);
        } else {
            int k2 = D_BASE + (k - D_BASE + 3) % KEYS_PER_OWNER;
            srd_key ks[3] = {{K(k), KL(k)}, {K(k2), KL(k2)}, {K(k), KL(k)}};
            CHECK_OK(srd_delete_batch(db, ks, 3));
            model_gen[k] = model_gen[k2] = 0;
            atomic_fetch_add(&n_deletes, 2);
        }
        sched_yield();
    }
    return NULL;
}

static void *streamer(void *arg) {
    (void)arg;
    tst_rng r = {3000};
    tst_ctx("streamer");
    while (running()) {
        int k = S_BASE + (int)tst_rng_below(&r, KEYS_PER_OWNER);
        int abort_it = tst_rng_below(&r, 8) == 0;
        uint64_t gen = atomic_fetch_add(&started[k], 1) + 1;
        size_t n;
        uint8_t *v = make_value(k, gen, abort_it, &n);
        srd_stream *st = NULL;
        if (!CHECK_OK(srd_stream_begin(db, K(k), KL(k), &st))) {
            free(v);
            continue;
        }
        size_t off = 0;
        while (off < n) {
            size_t c = 1 + (size_t)tst_rng_below(&r, 64u << 10);
            if (c > n - off) c = n - off;
            if (!CHECK_OK(srd_stream_write(st, v + off, c))) break;
            off += c;
            if (tst_rng_below(&r, 4) == 0) sched_yield(); /* let readers run mid-stream */
        }
        if (abort_it) {
            srd_stream_abort(st);
            atomic_fetch_add(&n_aborts, 1);
        } else if (CHECK_OK(srd_stream_commit(st))) {
            model_gen[k] = gen;
            atomic_fetch_add(&n_streams, 1);
        }
        free(v);
        sched_yield();
    }
    return NULL;
}

static void progress_cb(void *user, uint64_t done, uint64_t total) {
    (void)user;
    CHECK(done <= total);
}

static void *compactor(void *arg) {
    (void)arg;
    tst_ctx("compactor");
    int i = 0;
    while (running()) {
        struct timespec ts = {0, 150 * 1000 * 1000}; /* pacing, not synchronization */
        nanosleep(&ts, NULL);
        if (!running()) break;
        pthread_rwlock_wrlock(&compact_lock);
        int32_t st = (i++ % 2) ? srd_compact_progress(db, progress_cb, NULL) : srd_compact(db);
        pthread_rwlock_unlock(&compact_lock);
        if (CHECK_OK(st)) atomic_fetch_add(&n_compactions, 1);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Readers                                                             */
/* ------------------------------------------------------------------ */

struct reader {
    int id;
    uint64_t last_gen[NKEYS];
};

/* Records an observation of (key, gen) by this reader: generations never go back. */
static void observed(struct reader *rd, int key, uint64_t gen, const char *how) {
    if (gen == 0) return;
    if (gen < rd->last_gen[key]) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): gen %llu after this reader saw gen %llu (went back in time)", how,
                  key_name[key], (unsigned long long)gen, (unsigned long long)rd->last_gen[key]);
    } else {
        rd->last_gen[key] = gen;
    }
}

static void check_status(int32_t st, const char *how, int key) {
    if (st != SRD_OK && st != SRD_NOT_FOUND) {
        atomic_fetch_add(&n_bad, 1);
        CHECK_MSG(0, "%s(%s): %s (%s)", how, key >= 0 ? key_name[key] : "-", tst_status_name(st),
                  srd_last_error_message());
    }
}

static void borrowed_reads(struct reader *rd, tst_rng *r) {
    pthread_rwlock_rdlock(&compact_lock);
    for (int i = 0; i < 16; i++) {
        int k = (int)tst_rng_below(r, NKEYS);
        uint64_t done = atomic_load(&completed[k]);
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(db, K(k), KL(k), &p, &n);
        atomic_fetch_add(&n_reads, 1);
        check_status(st, "srd_read", k);
        if (st == SRD_OK) {
            atomic_fetch_add(&n_read_ok, 1);
            CHECK(((uintptr_t)p & 63) == 0);
            uint64_t g = check_value(k, p, n, "srd_read");
            observed(rd, k, g, "srd_read");
            if (k < W_KEYS && g && g < done) {
                atomic_fetch_add(&n_bad, 1);
                CHECK_MSG(0, "srd_read(%s): gen %llu, but gen %llu had been written before", key_name[k],
                          (unsigned long long)g, (unsigned long long)done);
            }
        } else if (st == SRD_NOT_FOUND) {
            atomic_fetch_add(&n_read_nf, 1);
            if (k < W_KEYS && done > 0) {
                atomic_fetch_add(&n_bad, 1);
                CHECK_MSG(0, "srd_read(%s): SRD_NOT_FOUND after gen %llu was written", key_name[k],
                          (unsigned long long)done);
            }
        }
    }
    /* a batch read of 8 keys under one view */
    srd_key ks[8];
    srd_read_result out[8];
    int kid[8];
    for (int i = 0; i < 8; i++) {
        kid[i] = (int)tst_rng_below(r, NKEYS);
        ks[i] = (srd_key){K(kid[i]), KL(kid[i])};
    }
    if (CHECK_OK(srd_read_batch(db, ks, 8, out))) {
        for (int i = 0; i < 8; i++) {
            check_status(out[i].status, "srd_read_batch", kid[i]);
            if (out[i].status == SRD_OK)
                observed(rd, kid[i], check_value(kid[i], out[i].value, out[i].value_len, "srd_read_batch"),
                         "srd_read_batch");
        }
    }
    uint64_t h = 0;
    const uint8_t *lp = NULL;
    size_t ln = 0;
    int32_t lst = srd_read_last(db, &h, &lp, &ln);
    check_status(lst, "srd_read_last", -1);
    if (lst == SRD_OK) {
        int k = key_of_hash(h);
        if (CHECK_MSG(k >= 0, "srd_read_last: unknown key hash %016llx", (unsigned long long)h))
            observed(rd, k, check_value(k, lp, ln, "srd_read_last"), "srd_read_last");
    }
    pthread_rwlock_unlock(&compact_lock);
}

#define NPIN 8
struct pin {
    srd_entry *e;
    int key;
    uint64_t gen;
};

static void pinned_reads(struct reader *rd, tst_rng *r, struct pin *pins) {
    for (int i = 0; i < 4; i++) {
        int k = (int)tst_rng_below(r, NKEYS);
        srd_entry *e = NULL;
        int32_t st = srd_read_entry(db, K(k), KL(k), &e);
        atomic_fetch_add(&n_entries, 1);
        check_status(st, "srd_read_entry", k);
        if (st != SRD_OK) continue;
        size_t n = 0;
        const uint8_t *p = srd_entry_data(e, &n);
        uint64_t g = check_value(k, p, n, "srd_read_entry");
        observed(rd, k, g, "srd_read_entry");
        int slot = (int)tst_rng_below(r, NPIN);
        if (pins[slot].e) { /* re-check the one it replaces: still valid after compactions */
            size_t pn = 0;
            const uint8_t *pp = srd_entry_data(pins[slot].e, &pn);
            uint64_t pg = check_value(pins[slot].key, pp, pn, "pinned entry (later)");
            CHECK_MSG(pg == pins[slot].gen, "a pinned entry changed from gen %llu to %llu",
                      (unsigned long long)pins[slot].gen, (unsigned long long)pg);
            CHECK_OK(srd_entry_verify(pins[slot].e));
            atomic_fetch_add(&n_pinned_rechecks, 1);
            srd_entry_free(pins[slot].e);
        }
        pins[slot] = (struct pin){e, k, g};
    }
}

static void iterate(struct reader *rd, tst_rng *r) {
    srd_iter *it = NULL;
    uint32_t parts = 1 + (uint32_t)tst_rng_below(r, 4);
    uint32_t part = (uint32_t)tst_rng_below(r, parts);
    int32_t st = parts == 1 ? srd_iter_new(db, &it) : srd_iter_new_part(db, part, parts, &it);
    if (!CHECK_OK(st)) return;
    int seen[NKEYS] = {0};
    uint64_t h;
    const uint8_t *p;
    size_t n;
    int items = 0;
    while ((st = srd_iter_next(it, &h, &p, &n)) == SRD_OK) {
        int k = key_of_hash(h);
        items++;
        atomic_fetch_add(&n_iter_items, 1);
        if (!CHECK_MSG(k >= 0, "srd_iter: unknown key hash %016llx", (unsigned long long)h)) continue;
        CHECK_MSG(h % parts == part, "srd_iter part %u/%u yielded a key of another part", part, parts);
        CHECK_MSG(!seen[k]++, "srd_iter yielded %s twice in one walk", key_name[k]);
        observed(rd, k, check_value(k, p, n, "srd_iter"), "srd_iter");
        if (items % 8 == 0) sched_yield(); /* consume slowly: compactions happen meanwhile */
    }
    CHECK_STATUS(st, SRD_NOT_FOUND);
    srd_iter_free(it);
}

static void *reader(void *arg) {
    struct reader *rd = (struct reader *)arg;
    tst_rng r = {5000 + (uint64_t)rd->id};
    tst_ctx("reader %d", rd->id);
    struct pin pins[NPIN];
    memset(pins, 0, sizeof pins);
    while (running()) {
        uint64_t op = tst_rng_below(&r, 10);
        if (op < 5) borrowed_reads(rd, &r);
        else if (op < 8) pinned_reads(rd, &r, pins);
        else iterate(rd, &r);
    }
    for (int i = 0; i < NPIN; i++) {
        if (!pins[i].e) continue;
        size_t pn = 0;
        const uint8_t *pp = srd_entry_data(pins[i].e, &pn);
        CHECK_EQ_U(check_value(pins[i].key, pp, pn, "pinned entry (at the end)"), pins[i].gen);
        srd_entry_free(pins[i].e);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */

static void check_final(const char *path, uint32_t flags) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, flags, &s))) return;
    srd_verify_report rep;
    CHECK_OK(srd_verify(s, &rep));
    CHECK_EQ_U(rep.bad_entries, 0);
    uint64_t live = 0;
    for (int k = 0; k < NKEYS; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, K(k), KL(k), &p, &n);
        if (model_gen[k]) {
            live++;
            if (CHECK_MSG(st == SRD_OK, "final %s: %s, expected gen %llu", key_name[k],
                          tst_status_name(st), (unsigned long long)model_gen[k]))
                CHECK_MSG(check_value(k, p, n, "final read") == model_gen[k],
                          "final %s: not the last generation written (%llu)", key_name[k],
                          (unsigned long long)model_gen[k]);
        } else {
            CHECK_MSG(st == SRD_NOT_FOUND, "final %s: %s, expected SRD_NOT_FOUND", key_name[k],
                      tst_status_name(st));
        }
    }
    CHECK_EQ_U(tst_count_of(s), live);
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h, items = 0;
        const uint8_t *p;
        size_t n;
        while (srd_iter_next(it, &h, &p, &n) == SRD_OK) {
            int k = key_of_hash(h);
            items++;
            if (CHECK(k >= 0)) CHECK_EQ_U(check_value(k, p, n, "final iter"), model_gen[k]);
        }
        CHECK_EQ_U(items, live);
        srd_iter_free(it);
    }
    srd_close(s);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_stress");
    double seconds = 6.0 * tst_scale();
    if (seconds < 2.0) seconds = 2.0;
    for (int k = 0; k < NKEYS; k++) {
        snprintf(key_name[k], sizeof key_name[k], "stress-%02d", k);
        REQUIRE(srd_hash_key(K(k), KL(k), &key_hash[k]) == SRD_OK);
    }
    const char *path = tst_path("stress.srd");
    REQUIRE(srd_open(path, 0, &db) == SRD_OK);

    pthread_t w[NWRITERS], d, s, c, rt[NREADERS];
    static struct reader rd[NREADERS];
    t_end = tst_now() + seconds;
    for (int i = 0; i < NWRITERS; i++) REQUIRE(pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i) == 0);
    REQUIRE(pthread_create(&d, NULL, deleter, NULL) == 0);
    REQUIRE(pthread_create(&s, NULL, streamer, NULL) == 0);
    REQUIRE(pthread_create(&c, NULL, compactor, NULL) == 0);
    for (int i = 0; i < NREADERS; i++) {
        rd[i].id = i;
        REQUIRE(pthread_create(&rt[i], NULL, reader, &rd[i]) == 0);
    }
    for (int i = 0; i < NWRITERS; i++) pthread_join(w[i], NULL);
    pthread_join(d, NULL);
    pthread_join(s, NULL);
    pthread_join(c, NULL);
    for (int i = 0; i < NREADERS; i++) pthread_join(rt[i], NULL);

    uint64_t size = tst_size_of(db), entries = 0;
    srd_entry_count(db, &entries);
    srd_close(db);
    printf("test_stress: %.1f s: %lu values written, %lu deletes, %lu streams committed, %lu "
           "aborted, %lu compactions\n",
           seconds, atomic_load(&n_writes), atomic_load(&n_deletes), atomic_load(&n_streams),
           atomic_load(&n_aborts), atomic_load(&n_compactions));
    printf("test_stress: reads: %lu srd_read (%lu OK, %lu NOT_FOUND), %lu srd_read_entry, %lu "
           "iterated items, %lu pinned entries re-checked after use\n",
           atomic_load(&n_reads), atomic_load(&n_read_ok), atomic_load(&n_read_nf),
           atomic_load(&n_entries), atomic_load(&n_iter_items), atomic_load(&n_pinned_rechecks));
    printf("test_stress: final file %llu bytes, %llu entries; wrong values seen: %lu (must be 0)\n",
           (unsigned long long)size, (unsigned long long)entries, atomic_load(&n_bad));
    CHECK_EQ_U(atomic_load(&n_bad), 0);
    CHECK(atomic_load(&n_compactions) > 0);
    CHECK(atomic_load(&n_streams) > 0);

    tst_ctx("final state, read-write reopen");
    check_final(path, 0);
    tst_ctx("final state, read-only reopen");
    check_final(path, SRD_OPEN_READ_ONLY);
    tst_ctx_clear();
    return tst_test_finish();
}

/*
 * test_threads.c - concurrent readers, writers and a compactor on one store handle.
 *
 * 2 writers (each owns half of the keys, so a key's versions only grow), 4 readers and
 * 1 compactor share one srd_store. Every value is self-describing (key id, version,
 * length, checksum, and a body derived from key+version), so every read proves its bytes
 * are a value that key really had. Visibility: a reader that saw a write complete
 * (committed[k]) must read that version or a newer one, never a version not yet started.
 *
 * Borrowed pointers from srd_read are only valid until the next srd_compact, so borrowed
 * reads run under a rwlock held shared; the compactor takes it exclusively. Pinned
 * entries (srd_read_entry) are read with no lock at all and some are held across
 * compactions and re-checked later.
 *
 * SRD_TEST_SCALE scales the number of writes (e.g. 0.05 under valgrind).
 */
#include "tst_test.h"

#include <pthread.h>

#define NKEYS 64
#define NWRITERS 2
#define NREADERS 4
#define HDR 32
#define MAX_VAL 4200
#define MAX_PINNED 4
#define MAGIC 0x54445253u /* "SRDT" */
#define TIME_CAP_SECONDS 25.0

static srd_store *store;
static pthread_rwlock_t compact_lock;
static atomic_uint_fast64_t started[NKEYS];   /* newest version a writer began writing */
static atomic_uint_fast64_t committed[NKEYS]; /* newest version whose write call returned */
static atomic_int stop_readers;
static atomic_int writers_done;
static atomic_ulong compactions;
static atomic_ulong borrowed_reads, pinned_reads, pinned_held_across_compaction;
static long writes_per_writer;
static double t_start;

static char key_name[NKEYS][16];
static size_t key_len[NKEYS];

static uint64_t mix(uint64_t a, uint64_t b) {
    tst_rng r = {a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull)};
    return tst_rng_next(&r);
}

static size_t value_len_for(uint32_t key, uint64_t ver) {
    uint64_t h = mix(key, ver);
    if (h % 5 == 0) return 64 * (1 + (size_t)((h >> 8) % 64));
    return 40 + (size_t)((h >> 8) % (MAX_VAL - 40));
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static uint64_t checksum_of(const uint8_t *v, size_t len) {
    uint64_t h = fnv1a(0xCBF29CE484222325ull, v, 24);
    return fnv1a(h, v + HDR, len - HDR);
}

/* Builds value number `ver` of `key` into buf; returns its length. */
static size_t make_value(uint8_t *buf, uint32_t key, uint64_t ver) {
    size_t len = value_len_for(key, ver);
    tst_put_le32(buf, MAGIC);
    tst_put_le32(buf + 4, key);
    tst_put_le64(buf + 8, ver);
    tst_put_le32(buf + 16, (uint32_t)len);
    tst_put_le32(buf + 20, 0);
    tst_rng r = {mix(ver, key)};
    tst_rng_fill(&r, buf + HDR, len - HDR);
    tst_put_le64(buf + 24, checksum_of(buf, len));
    return len;
}

/*
 * Checks that p[0..n) is exactly a value `key` had; returns its version or 0.
 * Also checks the visibility window [min_ver, max_ver].
 */
static uint64_t verify_value(const uint8_t *p, size_t n, uint32_t key, uint64_t min_ver,
                             uint64_t max_ver, const char *how) {
    if (!CHECK_MSG(p != NULL && n >= 40, "%s: key %u: value of %zu bytes", how, key, n)) return 0;
    uint32_t magic = tst_le32(p), k = tst_le32(p + 4), len = tst_le32(p + 16);
    uint64_t ver = tst_le64(p + 8);
    int ok = CHECK_MSG(magic == MAGIC && k == key && len == n && ver >= 1,
                       "%s: key %u: header magic %08x key %u len %u (n %zu) version %" PRIu64, how,
                       key, magic, k, len, n, ver);
    ok = ok && CHECK_MSG(tst_le64(p + 24) == checksum_of(p, n), "%s: key %u version %" PRIu64
                         ": checksum mismatch", how, key, ver);
    if (!ok) return 0;
    uint8_t expect[MAX_VAL];
    size_t elen = make_value(expect, key, ver);
    ok = CHECK_EQ_U(elen, n) && CHECK_MEM(p, expect, n);
    ok = ok && CHECK_MSG(ver >= min_ver && ver <= max_ver,
                         "%s: key %u: read version %" PRIu64 " outside [%" PRIu64 ", %" PRIu64 "]",
                         how, key, ver, min_ver, max_ver);
    return ok ? ver : 0;
}

static int time_is_up(void) { return tst_now() - t_start > TIME_CAP_SECONDS; }

/* ------------------------------------------------------------------ */

struct writer_arg {
    int id;
    uint64_t seed;
};

static void *writer_main(void *argp) {
    struct writer_arg *a = (struct writer_arg *)argp;
    tst_rng rng = {a->seed};
    static _Thread_local uint8_t bufs[4][MAX_VAL];
    tst_ctx("writer %d", a->id);
    for (long i = 0; i < writes_per_writer && !time_is_up(); i++) {
        if (tst_rng_below(&rng, 4) == 0) {
            /* a batch of 2..4 distinct owned keys */
            size_t n = 2 + (size_t)tst_rng_below(&rng, 3);
            srd_kv items[4];
            uint32_t ks[4];
            uint64_t vs[4];
            for (size_t j = 0; j < n; j++) {
                int dup;
                do {
                    ks[j] = (uint32_t)(2 * tst_rng_below(&rng, NKEYS / 2) + (uint64_t)a->id);
                    dup = 0;
                    for (size_t q = 0; q < j; q++) dup |= ks[q] == ks[j];
                } while (dup);
                vs[j] = atomic_load(&started[ks[j]]) + 1;
                atomic_store(&started[ks[j]], vs[j]);
                size_t len = make_value(bufs[j], ks[j], vs[j]);
                items[j] = (srd_kv){(const uint8_t *)key_name[ks[j]], key_len[ks[j]], bufs[j], len};
            }
            if (!CHECK_OK(srd_write_batch(store, items, n))) break;
            for (size_t j = 0; j < n; j++) atomic_store(&committed[ks[j]], vs[j]);
        } else {
            uint32_t k = (uint32_t)(2 * tst_rng_below(&rng, NKEYS / 2) + (uint64_t)a->id);
            uint64_t v = atomic_load(&started[k]) + 1;
            atomic_store(&started[k], v);
            size_t len = make_value(bufs[0], k, v);
            if (!CHECK_OK(srd_write(store, (const uint8_t *)key_name[k], key_len[k], bufs[0], len)))
                break;
            atomic_store(&committed[k], v);
        }
    }
    return NULL;
}

struct pinned {
    srd_entry *e;
    const uint8_t *data;
    size_t len;
    uint32_t key;
    uint64_t ver;
    unsigned long compactions_at_pin;
};

struct reader_arg {
    int id;
    uint64_t seed;
    unsigned long borrowed, pinned;
};

static void recheck_pinned(struct pinned *p, const char *why) {
    size_t len = 0;
    const uint8_t *d = srd_entry_data(p->e, &len);
    CHECK(d == p->data);
    CHECK_EQ_U(len, p->len);
    verify_value(d, len, p->key, p->ver, p->ver, why);
    if (atomic_load(&compactions) > p->compactions_at_pin)
        atomic_fetch_add(&pinned_held_across_compaction, 1);
}

static void *reader_main(void *argp) {
    struct reader_arg *a = (struct reader_arg *)argp;
    tst_rng rng = {a->seed};
    struct pinned held[MAX_PINNED];
    int nheld = 0;
    tst_ctx("reader %d", a->id);
    while (!atomic_load(&stop_readers)) {
        uint32_t k = (uint32_t)tst_rng_below(&rng, NKEYS);
        unsigned mode = (unsigned)tst_rng_below(&rng, 16);
        if (mode < 7) {
            /* borrowed pointer: no compaction may run while we look at it */
            pthread_rwlock_rdlock(&compact_lock);
            uint64_t lo = atomic_load(&committed[k]);
            const uint8_t *p = NULL;
            size_t n = 0;
            int32_t st = srd_read(store, (const uint8_t *)key_name[k], key_len[k], &p, &n);
            uint64_t hi = atomic_load(&started[k]);
            if (CHECK_OK(st)) {
                CHECK_EQ_U((uintptr_t)p % 64, 0);
                verify_value(p, n, k, lo, hi, "srd_read");
            }
            pthread_rwlock_unlock(&compact_lock);
            a->borrowed++;
        } else if (mode < 14) {
            /* pinned entry: no lock, valid across compactions until freed */
            uint64_t lo = atomic_load(&committed[k]);
            srd_entry *e = NULL;
            int32_t st = srd_read_entry(store, (const uint8_t *)key_name[k], key_len[k], &e);
            uint64_t hi = atomic_load(&started[k]);
            if (CHECK_OK(st)) {
                size_t n = 0;
                const uint8_t *d = srd_entry_data(e, &n);
                CHECK_EQ_U((uintptr_t)d % 64, 0);
                uint64_t ver = verify_value(d, n, k, lo, hi, "srd_read_entry");
                if (ver != 0 && nheld < MAX_PINNED && tst_rng_below(&rng, 4) == 0) {
                    held[nheld++] = (struct pinned){e, d, n, k, ver, atomic_load(&compactions)};
                } else {
                    srd_entry_free(e);
                }
            }
            a->pinned++;
        } else if (mode == 14) {
            CHECK_OK(srd_exists(store, (const uint8_t *)key_name[k], key_len[k]));
            uint64_t c = 0, sz = 0;
            if (CHECK_OK(srd_count(store, &c))) CHECK_EQ_U(c, NKEYS);
            CHECK_OK(srd_file_size(store, &sz));
        } else if (nheld > 0) {
            /* re-check and release a held entry, preferably once a compaction happened */
            int i = (int)tst_rng_below(&rng, (uint64_t)nheld);
            if (atomic_load(&compactions) > held[i].compactions_at_pin || tst_rng_below(&rng, 8) == 0) {
                recheck_pinned(&held[i], "held entry");
                srd_entry_free(held[i].e);
                held[i] = held[--nheld];
            }
        }
    }
    for (int i = 0; i < nheld; i++) {
        recheck_pinned(&held[i], "held entry at end");
        srd_entry_free(held[i].e);
    }
    atomic_fetch_add(&borrowed_reads, a->borrowed);
    atomic_fetch_add(&pinned_reads, a->pinned);
    return NULL;
}

static void *compactor_main(void *arg) {
    (void)arg;
    tst_ctx("compactor");
    while (!atomic_load(&stop_readers)) {
        struct timespec ts = {0, 15 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_rwlock_wrlock(&compact_lock);
        int ok = CHECK_OK(srd_compact(store));
        pthread_rwlock_unlock(&compact_lock);
        if (!ok) break;
        atomic_fetch_add(&compactions, 1);
        if (atomic_load(&compactions) % 4 == 0) CHECK_OK(srd_sync(store));
    }
    return NULL;
}

/* Every key holds exactly its last committed version. */
static void check_final_state(const srd_store *s, const char *when) {
    for (uint32_t k = 0; k < NKEYS; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        uint64_t want = atomic_load(&committed[k]);
        tst_ctx("%s: key %u", when, k);
        if (CHECK_OK(srd_read(s, (const uint8_t *)key_name[k], key_len[k], &p, &n)))
            verify_value(p, n, k, want, want, when);
    }
    tst_ctx("%s", when);
    CHECK_EQ_U(tst_count_of(s), NKEYS);
    tst_ctx_clear();
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_threads");
    writes_per_writer = tst_scaled(10000, 40);
    const char *path = tst_path("threads.srd");
    for (int k = 0; k < NKEYS; k++) key_len[k] = (size_t)snprintf(key_name[k], sizeof key_name[k], "tkey-%02d", k);

    REQUIRE(srd_open(path, 0, &store) == SRD_OK);
    static uint8_t buf[MAX_VAL];
    for (uint32_t k = 0; k < NKEYS; k++) {
        size_t len = make_value(buf, k, 1);
        REQUIRE(srd_write(store, (const uint8_t *)key_name[k], key_len[k], buf, len) == SRD_OK);
        atomic_store(&started[k], 1);
        atomic_store(&committed[k], 1);
    }

    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&compact_lock, &attr);
    pthread_rwlockattr_destroy(&attr);

    t_start = tst_now();
    pthread_t wt[NWRITERS], rt[NREADERS], ct;
    struct writer_arg wa[NWRITERS];
    struct reader_arg ra[NREADERS];
    for (int i = 0; i < NREADERS; i++) {
        ra[i] = (struct reader_arg){i, 1000 + (uint64_t)i, 0, 0};
        REQUIRE(pthread_create(&rt[i], NULL, reader_main, &ra[i]) == 0);
    }
    REQUIRE(pthread_create(&ct, NULL, compactor_main, NULL) == 0);
    for (int i = 0; i < NWRITERS; i++) {
        wa[i] = (struct writer_arg){i, 77 + (uint64_t)i};
        REQUIRE(pthread_create(&wt[i], NULL, writer_main, &wa[i]) == 0);
    }
    for (int i = 0; i < NWRITERS; i++) pthread_join(wt[i], NULL);
    atomic_store(&writers_done, 1);
    /* let readers and the compactor overlap a little longer, for at least 3 compactions */
    double writers_end = tst_now();
    while (!time_is_up() && (atomic_load(&compactions) < 3 || tst_now() - writers_end < 0.2)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop_readers, 1);
    for (int i = 0; i < NREADERS; i++) pthread_join(rt[i], NULL);
    pthread_join(ct, NULL);
    double elapsed = tst_now() - t_start;

    uint64_t total_writes = 0;
    for (int k = 0; k < NKEYS; k++) total_writes += atomic_load(&committed[k]) - 1;
    printf("test_threads: %.2f s, %" PRIu64 " values written (%ld write calls per writer), %lu "
           "compactions, %lu borrowed reads, %lu pinned reads, %lu pinned entries re-checked after "
           "a compaction\n",
           elapsed, total_writes, writes_per_writer, atomic_load(&compactions),
           atomic_load(&borrowed_reads), atomic_load(&pinned_reads),
           atomic_load(&pinned_held_across_compaction));
    if (time_is_up())
        printf("test_threads: note: stopped at the %.0f s time cap (use a smaller SRD_TEST_SCALE)\n",
               TIME_CAP_SECONDS);
    CHECK(atomic_load(&compactions) >= 3);
    CHECK(atomic_load(&borrowed_reads) > 0);
    CHECK(atomic_load(&pinned_reads) > 0);
    CHECK(total_writes >= (uint64_t)(time_is_up() ? 1 : writes_per_writer));

    check_final_state(store, "after threads");
    srd_close(store);
    store = NULL;
    srd_store *s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_NO_CREATE, &s))) {
        check_final_state(s, "after reopen");
        CHECK_OK(srd_compact(s));
        check_final_state(s, "after reopen and compaction");
        srd_close(s);
    }
    pthread_rwlock_destroy(&compact_lock);
    return tst_test_finish();
}

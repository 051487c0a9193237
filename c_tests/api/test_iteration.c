/*
 * test_iteration.c - srd_iter: exactly the live entries in file order, a snapshot unaffected
 * by writes, deletes, compaction and close, partitions covering each live entry once (also on
 * threads), damaged values reported and skipped.
 *
 * Split from test_features.c. Each test_* function states the behaviour it proves.
 * Outputs must be written only on success (checked with sentinels); failures must leave
 * the file untouched.
 */
#include "tst_test.h"
#include "tst_api.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ */
/* iteration                                                           */
/* ------------------------------------------------------------------ */

struct model_entry {
    char key[24];
    uint64_t hash;
    uint8_t *val;
    size_t len;
    int live;
};

struct model {
    struct model_entry *e;
    size_t n;
};

static void model_free(struct model *m) {
    for (size_t i = 0; i < m->n; i++) free(m->e[i].val);
    free(m->e);
}

static size_t model_live(const struct model *m) {
    size_t c = 0;
    for (size_t i = 0; i < m->n; i++) c += m->e[i].live != 0;
    return c;
}

static void model_set(srd_store *s, struct model_entry *me, tst_rng *rng) {
    size_t len = 1 + (size_t)tst_rng_below(rng, 300);
    free(me->val);
    me->val = tst_pattern(len, (uint32_t)tst_rng_next(rng));
    me->len = len;
    me->live = 1;
    tst_put(s, me->key, me->val, len);
}

/* Writes n keys with overwrites and deletes; the model holds what must be live. */
static void model_build(srd_store *s, struct model *m, size_t n, uint64_t seed) {
    tst_rng rng = {seed};
    m->n = n;
    m->e = (struct model_entry *)calloc(n, sizeof *m->e);
    REQUIRE(m->e != NULL);
    for (size_t i = 0; i < n; i++) {
        snprintf(m->e[i].key, sizeof m->e[i].key, "it-%zu", i);
        m->e[i].hash = tst_hash_of(m->e[i].key);
        model_set(s, &m->e[i], &rng);
    }
    for (size_t r = 0; r < n; r++) {
        struct model_entry *me = &m->e[tst_rng_below(&rng, n)];
        if (tst_rng_below(&rng, 3) == 0) {
            if (me->live) {
                CHECK_OK(srd_delete(s, SRD_U8(me->key), strlen(me->key)));
                me->live = 0;
            }
        } else {
            model_set(s, me, &rng);
        }
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Index of the model entry with hash h, via a sorted (hash << 0, index) table. */
struct hash_index {
    uint64_t *hashes; /* sorted */
    size_t *idx;
    size_t n;
};

static struct hash_index hash_index_build(const struct model *m) {
    struct hash_index hi;
    hi.n = m->n;
    hi.hashes = (uint64_t *)malloc(m->n * sizeof(uint64_t));
    hi.idx = (size_t *)malloc(m->n * sizeof(size_t));
    REQUIRE(hi.hashes && hi.idx);
    for (size_t i = 0; i < m->n; i++) hi.hashes[i] = m->e[i].hash;
    qsort(hi.hashes, m->n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 0; i < m->n; i++) {
        uint64_t *f = (uint64_t *)bsearch(&m->e[i].hash, hi.hashes, m->n, sizeof(uint64_t), cmp_u64);
        REQUIRE(f != NULL);
        hi.idx[f - hi.hashes] = i;
    }
    return hi;
}

static long hash_index_find(const struct hash_index *hi, uint64_t h) {
    uint64_t *f = (uint64_t *)bsearch(&h, hi->hashes, hi->n, sizeof(uint64_t), cmp_u64);
    return f ? (long)hi->idx[f - hi->hashes] : -1;
}

static void hash_index_free(struct hash_index *hi) {
    free(hi->hashes);
    free(hi->idx);
}

/* Drains an iterator, checking every entry against the model; counts per model index. */
static size_t drain_and_check(const srd_store *s, srd_iter *it, const struct model *m,
                              const struct hash_index *hi, unsigned *seen) {
    size_t yielded = 0;
    uint64_t prev_off = 0;
    const uint8_t *prev_ptr = NULL;
    for (;;) {
        uint64_t h = SENTINEL_U64;
        const uint8_t *v = SENTINEL_PTR;
        size_t n = SENTINEL_LEN;
        int32_t st = srd_iter_next(it, &h, &v, &n);
        if (st == SRD_NOT_FOUND) {
            CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
            break;
        }
        if (!CHECK_OK(st)) break;
        yielded++;
        long i = hash_index_find(hi, h);
        if (!CHECK_MSG(i >= 0, "hash %016" PRIx64 " is not a key ever written", h)) continue;
        const struct model_entry *me = &m->e[i];
        seen[i]++;
        CHECK_MSG(me->live, "%s is deleted but was yielded", me->key);
        if (CHECK_EQ_U(n, me->len)) CHECK_MEM(v, me->val, n);
        CHECK_EQ_U((uintptr_t)v % 64, 0);
        /* file order: the pointer and the value's file offset both increase */
        CHECK(prev_ptr == NULL || v > prev_ptr);
        prev_ptr = v;
        if (s != NULL) {
            srd_entry *e = NULL;
            uint64_t off = 0;
            if (CHECK_OK(srd_read_entry_with_hash(s, h, &e))) {
                CHECK_OK(srd_entry_offset(e, &off));
                CHECK_MSG(yielded == 1 || off > prev_off, "offset %" PRIu64 " after %" PRIu64, off, prev_off);
                prev_off = off;
                srd_entry_free(e);
            }
        }
    }
    return yielded;
}

static void test_iter_yields_exactly_the_live_entries_in_file_order(void) {
    const char *p = tst_path("iter.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    /* an empty store yields nothing */
    srd_iter *it = SENTINEL_ITER;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h = SENTINEL_U64;
        const uint8_t *v = SENTINEL_PTR;
        size_t n = SENTINEL_LEN;
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND);
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND);
        CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
        srd_iter_free(it);
    }
    struct model m;
    model_build(s, &m, (size_t)tst_scaled(2000, 60), 1234);
    struct hash_index hi = hash_index_build(&m);
    unsigned *seen = (unsigned *)calloc(m.n, sizeof(unsigned));
    REQUIRE(seen != NULL);
    size_t live = model_live(&m);
    CHECK(live > 0 && live < m.n);
    CHECK_EQ_U(tst_count_of(s), live);

    for (int reopen = 0; reopen < 2; reopen++) {
        tst_ctx("reopened %d", reopen);
        memset(seen, 0, m.n * sizeof(unsigned));
        it = NULL;
        if (!CHECK_OK(srd_iter_new(s, &it))) break;
        size_t y = drain_and_check(s, it, &m, &hi, seen);
        CHECK_EQ_U(y, live);
        for (size_t i = 0; i < m.n; i++)
            CHECK_MSG(seen[i] == (m.e[i].live ? 1u : 0u), "%s seen %u times (live %d)", m.e[i].key,
                      seen[i], m.e[i].live);
        uint64_t h;
        const uint8_t *v;
        size_t n;
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND); /* stays exhausted */
        srd_iter_free(it);
        srd_close(s);
        s = tst_open_ro(p);
        if (!s) break;
    }
    tst_ctx_clear();

    /* NULL arguments */
    it = SENTINEL_ITER;
    CHECK_STATUS(srd_iter_new(NULL, &it), SRD_INVALID_ARGUMENT);
    CHECK(it == SENTINEL_ITER);
    if (s) {
        CHECK_STATUS(srd_iter_new(s, NULL), SRD_INVALID_ARGUMENT);
        if (CHECK_OK(srd_iter_new(s, &it))) {
            uint64_t h = SENTINEL_U64;
            const uint8_t *v = SENTINEL_PTR;
            size_t n = SENTINEL_LEN;
            CHECK_STATUS(srd_iter_next(it, NULL, &v, &n), SRD_INVALID_ARGUMENT);
            CHECK_STATUS(srd_iter_next(it, &h, NULL, &n), SRD_INVALID_ARGUMENT);
            CHECK_STATUS(srd_iter_next(it, &h, &v, NULL), SRD_INVALID_ARGUMENT);
            CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
            srd_iter_free(it);
        }
    }
    uint64_t h;
    const uint8_t *v;
    size_t n;
    CHECK_STATUS(srd_iter_next(NULL, &h, &v, &n), SRD_INVALID_ARGUMENT);
    srd_iter_free(NULL);
    srd_close(s);
    free(seen);
    hash_index_free(&hi);
    model_free(&m);
}

static void test_iter_is_a_snapshot_unaffected_by_writes_compaction_and_close(void) {
    const char *p = tst_path("iter-snapshot.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    struct model m;
    model_build(s, &m, (size_t)tst_scaled(1000, 40), 99);
    /* the snapshot: a deep copy of the model now */
    struct model snap;
    snap.n = m.n;
    snap.e = (struct model_entry *)calloc(m.n, sizeof *snap.e);
    REQUIRE(snap.e != NULL);
    for (size_t i = 0; i < m.n; i++) {
        snap.e[i] = m.e[i];
        snap.e[i].val = (uint8_t *)malloc(m.e[i].len);
        REQUIRE(snap.e[i].val != NULL);
        memcpy(snap.e[i].val, m.e[i].val, m.e[i].len);
    }
    struct hash_index hi = hash_index_build(&snap);
    size_t live = model_live(&snap);
    const uint8_t **ptrs = (const uint8_t **)calloc(m.n, sizeof *ptrs);
    unsigned *seen = (unsigned *)calloc(m.n, sizeof(unsigned));
    REQUIRE(ptrs && seen);

    srd_iter *it = NULL;
    if (!CHECK_OK(srd_iter_new(s, &it))) {
        srd_close(s);
        return;
    }
    size_t yielded = 0;
    tst_rng rng = {5};
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) {
            /* between halves: overwrite, delete, add, compact, close */
            for (size_t i = 0; i < m.n; i++) {
                if (i % 3 == 0) model_set(s, &m.e[i], &rng);
                else if (i % 3 == 1 && m.e[i].live) {
                    CHECK_OK(srd_delete(s, SRD_U8(m.e[i].key), strlen(m.e[i].key)));
                    m.e[i].live = 0;
                }
            }
            for (int i = 0; i < 50; i++) {
                char k[32];
                snprintf(k, sizeof k, "added-%d", i);
                tst_put_str(s, k, "new");
            }
            CHECK_OK(srd_compact(s));
            tst_put_str(s, "after-compact", "x");
            srd_close(s);
            s = NULL;
        }
        size_t limit = phase == 0 ? live / 2 : SIZE_MAX;
        const uint8_t *prev = NULL;
        while (yielded < limit) {
            uint64_t h = 0;
            const uint8_t *v = NULL;
            size_t n = 0;
            int32_t st = srd_iter_next(it, &h, &v, &n);
            if (st == SRD_NOT_FOUND) break;
            if (!CHECK_OK(st)) break;
            yielded++;
            long i = hash_index_find(&hi, h);
            if (!CHECK_MSG(i >= 0, "yielded a key written after the snapshot")) continue;
            seen[i]++;
            CHECK(snap.e[i].live);
            if (CHECK_EQ_U(n, snap.e[i].len)) CHECK_MEM(v, snap.e[i].val, n);
            CHECK_EQ_U((uintptr_t)v % 64, 0);
            CHECK(prev == NULL || v > prev);
            prev = v;
            ptrs[i] = v;
        }
    }
    CHECK_EQ_U(yielded, live);
    for (size_t i = 0; i < m.n; i++) CHECK_EQ_U(seen[i], snap.e[i].live ? 1 : 0);
    /* every pointer it returned still shows the snapshot's bytes */
    for (size_t i = 0; i < m.n; i++)
        if (ptrs[i] != NULL) CHECK_MEM(ptrs[i], snap.e[i].val, snap.e[i].len);
    srd_iter_free(it);

    /* the store itself moved on */
    s = tst_open_ro(p);
    if (s) {
        CHECK_EQ_U(tst_count_of(s), model_live(&m) + 51);
        srd_close(s);
    }
    free(ptrs);
    free(seen);
    hash_index_free(&hi);
    model_free(&m);
    model_free(&snap);
}

struct part_job {
    const srd_store *s;
    const struct model *m;
    const struct hash_index *hi;
    uint32_t part, parts;
    unsigned *seen;
    size_t yielded;
    int32_t status;
};

static void *part_thread(void *arg) {
    struct part_job *j = (struct part_job *)arg;
    srd_iter *it = NULL;
    j->status = srd_iter_new_part(j->s, j->part, j->parts, &it);
    if (j->status != SRD_OK) return NULL;
    j->yielded = drain_and_check(NULL, it, j->m, j->hi, j->seen);
    srd_iter_free(it);
    return NULL;
}

static void test_iter_parts_split_the_live_entries_exactly_once(void) {
    const char *p = tst_path("iter-parts.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    struct model m;
    model_build(s, &m, (size_t)tst_scaled(1500, 50), 4321);
    struct hash_index hi = hash_index_build(&m);
    size_t live = model_live(&m);
    unsigned *seen = (unsigned *)calloc(m.n, sizeof(unsigned));
    REQUIRE(seen != NULL);

    for (uint32_t parts = 1; parts <= 8; parts++) {
        memset(seen, 0, m.n * sizeof(unsigned));
        size_t total = 0;
        for (uint32_t part = 0; part < parts; part++) {
            tst_ctx("part %u of %u", part, parts);
            srd_iter *it = NULL;
            if (!CHECK_OK(srd_iter_new_part(s, part, parts, &it))) continue;
            total += drain_and_check(s, it, &m, &hi, seen);
            srd_iter_free(it);
        }
        tst_ctx("parts %u", parts);
        CHECK_EQ_U(total, live);
        for (size_t i = 0; i < m.n; i++)
            CHECK_MSG(seen[i] == (m.e[i].live ? 1u : 0u), "%s seen %u times", m.e[i].key, seen[i]);
    }
    tst_ctx_clear();

    /* four parts scanned by four threads at once */
    memset(seen, 0, m.n * sizeof(unsigned));
    struct part_job jobs[4];
    pthread_t th[4];
    unsigned *seen_t[4];
    for (int t = 0; t < 4; t++) {
        seen_t[t] = (unsigned *)calloc(m.n, sizeof(unsigned));
        REQUIRE(seen_t[t] != NULL);
        jobs[t] = (struct part_job){s, &m, &hi, (uint32_t)t, 4, seen_t[t], 0, -1};
        REQUIRE(pthread_create(&th[t], NULL, part_thread, &jobs[t]) == 0);
    }
    size_t total = 0;
    for (int t = 0; t < 4; t++) {
        CHECK(tst_join_within(th[t], 120));
        CHECK_OK(jobs[t].status);
        total += jobs[t].yielded;
        for (size_t i = 0; i < m.n; i++) seen[i] += seen_t[t][i];
        free(seen_t[t]);
    }
    CHECK_EQ_U(total, live);
    for (size_t i = 0; i < m.n; i++) CHECK_EQ_U(seen[i], m.e[i].live ? 1 : 0);

    /* invalid partitions and NULL arguments */
    srd_iter *it = SENTINEL_ITER;
    CHECK_STATUS(srd_iter_new_part(s, 0, 0, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, 1, 1, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, 4, 4, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, 9, 4, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(s, UINT32_MAX, UINT32_MAX, &it), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_iter_new_part(NULL, 0, 2, &it), SRD_INVALID_ARGUMENT);
    CHECK(it == SENTINEL_ITER);
    CHECK_STATUS(srd_iter_new_part(s, 0, 2, NULL), SRD_INVALID_ARGUMENT);
    /* many parts: still each live entry once */
    memset(seen, 0, m.n * sizeof(unsigned));
    total = 0;
    const uint32_t many = 1000;
    for (uint32_t part = 0; part < many; part++) {
        srd_iter *pi = NULL;
        if (!CHECK_OK(srd_iter_new_part(s, part, many, &pi))) break;
        total += drain_and_check(NULL, pi, &m, &hi, seen);
        srd_iter_free(pi);
    }
    CHECK_EQ_U(total, live);
    srd_close(s);
    free(seen);
    hash_index_free(&hi);
    model_free(&m);
}

static void test_iter_reports_a_damaged_value_and_continues(void) {
    const char *p = tst_path("iter-corrupt.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "i0", "zero");
    tst_put_str(s, "i1", "one-is-damaged");
    tst_put_str(s, "i2", "two");
    uint64_t off = tst_value_offset(s, "i1");
    srd_close(s);
    REQUIRE(tst_flip_byte(p, off + 2));
    /* with SRD_OPEN_NO_VERIFY the damaged value is yielded like the others */
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_VERIFY);
    if (s) {
        srd_iter *it = NULL;
        size_t ok = 0;
        if (CHECK_OK(srd_iter_new(s, &it))) {
            uint64_t h;
            const uint8_t *v;
            size_t n;
            int32_t st;
            while ((st = srd_iter_next(it, &h, &v, &n)) == SRD_OK) ok++;
            CHECK_STATUS(st, SRD_NOT_FOUND);
            srd_iter_free(it);
        }
        CHECK_EQ_U(ok, 3);
        srd_close(s);
    }
    s = tst_open_ro(p);
    if (!s) return;
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h = 0;
        const uint8_t *v = NULL;
        size_t n = 0;
        if (CHECK_OK(srd_iter_next(it, &h, &v, &n))) CHECK_EQ_U(h, tst_hash_of("i0"));
        h = SENTINEL_U64;
        v = SENTINEL_PTR;
        n = SENTINEL_LEN;
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_CORRUPT);
        CHECK(h == SENTINEL_U64 && v == SENTINEL_PTR && n == SENTINEL_LEN);
        if (CHECK_OK(srd_iter_next(it, &h, &v, &n))) {
            CHECK_EQ_U(h, tst_hash_of("i2"));
            CHECK(n == 3 && memcmp(v, "two", 3) == 0);
        }
        CHECK_STATUS(srd_iter_next(it, &h, &v, &n), SRD_NOT_FOUND);
        srd_iter_free(it);
    }
    srd_close(s);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_iteration");

    test_iter_yields_exactly_the_live_entries_in_file_order();
    test_iter_is_a_snapshot_unaffected_by_writes_compaction_and_close();
    test_iter_parts_split_the_live_entries_exactly_once();
    test_iter_reports_a_damaged_value_and_continues();
    return tst_test_finish();
}

/*
 * test_model.c - seeded random operation sequences checked against an in-memory map.
 *
 * Operations: write (new key or overwrite), delete (existing or absent), write_batch
 * (with repeated keys), delete_batch (existing and absent keys), compact, close+reopen,
 * and an extra read-only handle opened next to the writer. After every step the touched
 * keys are checked; every few steps all ~200 keys are checked byte for byte (or
 * NOT_FOUND), together with srd_count and the expected file size from FORMAT.md.
 * Every seed runs twice: with default flags, and with SRD_OPEN_PREALLOCATE (the writer's
 * file then ends in reserved zeros, which the read-only handle opened next to it must
 * skip; they stay after srd_close, and half of the reopens drop the flag, which cuts them
 * off; after srd_compact the file is exactly the store).
 * Failures print the seed and step (tst_ctx) so a run can be replayed.
 */
#include "tst_test.h"
#include "tst_api.h"

#define NKEYS 200
#define MAX_VALUE (10 * 1024)
#define MAX_BATCH 12

struct model {
    uint8_t *val[NKEYS]; /* NULL = absent */
    size_t len[NKEYS];
    uint64_t live;
    uint64_t size;       /* expected file size (FORMAT.md layout) */
};

static char keys[NKEYS][48];
static size_t key_lens[NKEYS];

static void make_keys(void) {
    for (int i = 0; i < NKEYS; i++) {
        /* varied key lengths and some binary bytes */
        if (i % 5 == 0) {
            key_lens[i] = (size_t)snprintf(keys[i], sizeof keys[i], "k%d", i);
        } else if (i % 5 == 1) {
            key_lens[i] = (size_t)snprintf(keys[i], sizeof keys[i], "key/with/a/longer/name/%04d", i);
        } else if (i % 5 == 2) {
            keys[i][0] = 0;
            keys[i][1] = (char)i;
            keys[i][2] = (char)0xFF;
            key_lens[i] = 3;
        } else {
            key_lens[i] = (size_t)snprintf(keys[i], sizeof keys[i], "model-key-%d", i);
        }
    }
}

static const uint8_t *K(int i) { return (const uint8_t *)keys[i]; }

static size_t random_len(tst_rng *r) {
    switch (tst_rng_below(r, 8)) {
    case 0: return 1 + (size_t)tst_rng_below(r, 8);                       /* tiny */
    case 1: return 64 * (1 + (size_t)tst_rng_below(r, MAX_VALUE / 64));    /* multiple of 64 */
    case 2: return 64 * (1 + (size_t)tst_rng_below(r, 4)) + tst_rng_below(r, 3) - 1; /* 63..257 */
    case 3: return MAX_VALUE - (size_t)tst_rng_below(r, 3);
    default: return 1 + (size_t)tst_rng_below(r, MAX_VALUE);
    }
}

static uint8_t *random_value(tst_rng *r, size_t len) {
    uint8_t *v = (uint8_t *)malloc(len);
    if (v == NULL) abort();
    tst_rng_fill(r, v, len);
    if (len == 1 && v[0] == 0) v[0] = 0x5A; /* a lone 0x00 is the tombstone marker */
    return v;
}

static void model_set(struct model *m, int k, uint8_t *v, size_t len) {
    if (m->val[k] == NULL) m->live++;
    free(m->val[k]);
    m->val[k] = v;
    m->len[k] = len;
}

static void model_del(struct model *m, int k) {
    if (m->val[k] != NULL) m->live--;
    free(m->val[k]);
    m->val[k] = NULL;
    m->len[k] = 0;
}

static void model_free(struct model *m) {
    for (int k = 0; k < NKEYS; k++) model_del(m, k);
}

/* Checks one key through srd_read, srd_exists and (sometimes) srd_read_entry. */
static int check_key(const srd_store *s, const struct model *m, int k, int with_entry) {
    int ok = 1;
    const uint8_t *p = NULL;
    size_t n = 0;
    if (m->val[k] == NULL) {
        ok &= CHECK_STATUS(srd_read(s, K(k), key_lens[k], &p, &n), SRD_NOT_FOUND);
        ok &= CHECK_STATUS(srd_exists(s, K(k), key_lens[k]), SRD_NOT_FOUND);
        if (!ok) fprintf(stderr, "    key %d should be absent\n", k);
        return ok;
    }
    ok &= CHECK_OK(srd_read(s, K(k), key_lens[k], &p, &n));
    if (ok) {
        ok &= CHECK_EQ_U(n, m->len[k]);
        if (ok) ok &= CHECK_MEM(p, m->val[k], n);
        ok &= CHECK_EQ_U((uintptr_t)p % 64, 0);
    }
    ok &= CHECK_OK(srd_exists(s, K(k), key_lens[k]));
    if (with_entry) {
        srd_entry *e = NULL;
        if (CHECK_OK(srd_read_entry(s, K(k), key_lens[k], &e))) {
            size_t en = 0;
            const uint8_t *d = srd_entry_data(e, &en);
            ok &= CHECK_EQ_U(en, m->len[k]);
            if (en == m->len[k]) ok &= CHECK_MEM(d, m->val[k], en);
            srd_entry_free(e);
        } else {
            ok = 0;
        }
    }
    if (!ok) fprintf(stderr, "    key %d (model length %zu)\n", k, m->len[k]);
    return ok;
}

static int check_all(const srd_store *s, const struct model *m, int with_entry) {
    int ok = 1;
    for (int k = 0; k < NKEYS && ok; k++) ok &= check_key(s, m, k, with_entry);
    ok &= CHECK_EQ_U(tst_count_of(s), m->live);
    ok &= CHECK_EQ_U(tst_size_of(s), m->size);
    return ok;
}

/* One seeded run of `steps` operations with the writer opened with `flags`. Returns 0 if
 * it had to stop early. */
static int run_seed(uint64_t seed, long steps, uint32_t flags) {
    char name[64];
    snprintf(name, sizeof name, "model-%" PRIu64 "-%x.srd", seed, (unsigned)flags);
    const char *path = tst_path(name);
    tst_rng rng = {seed};
    struct model m;
    memset(&m, 0, sizeof m);
    m.size = 0;
    unsigned long n_ops[8] = {0};

    tst_ctx("seed %" PRIu64 " flags 0x%x open", seed, (unsigned)flags);
    srd_store *s = tst_open_ok(path, flags);
    uint32_t reopen_flags = flags; /* the flags the store was last opened with */
    if (s == NULL) return 0;
    int ok = 1;

    for (long step = 0; step < steps && ok; step++) {
        unsigned op = (unsigned)tst_rng_below(&rng, 100);
        int k = (int)tst_rng_below(&rng, NKEYS);
        if (op < 35) { /* write: new key or overwrite */
            tst_ctx("seed %" PRIu64 " step %ld: write key %d", seed, step, k);
            n_ops[0]++;
            size_t len = random_len(&rng);
            uint8_t *v = random_value(&rng, len);
            ok &= CHECK_OK(srd_write(s, K(k), key_lens[k], v, len));
            m.size = tst_value_entry_end(m.size, len);
            model_set(&m, k, v, len);
            ok &= check_key(s, &m, k, 0);
        } else if (op < 50) { /* delete, existing or absent */
            tst_ctx("seed %" PRIu64 " step %ld: delete key %d (%s)", seed, step, k,
                    m.val[k] ? "present" : "absent");
            n_ops[1]++;
            int32_t want = m.val[k] ? SRD_OK : SRD_NOT_FOUND;
            ok &= CHECK_STATUS(srd_delete(s, K(k), key_lens[k]), want);
            if (want == SRD_OK) m.size = tst_tombstone_end(m.size);
            model_del(&m, k);
            ok &= check_key(s, &m, k, 0);
            ok &= CHECK_EQ_U(tst_size_of(s), m.size);
        } else if (op < 65) { /* write_batch with repeated keys */
            size_t n = 1 + (size_t)tst_rng_below(&rng, MAX_BATCH);
            srd_kv items[MAX_BATCH];
            int ks[MAX_BATCH];
            uint8_t *vals[MAX_BATCH];
            for (size_t i = 0; i < n; i++) {
                ks[i] = (i > 0 && tst_rng_below(&rng, 4) == 0) ? ks[tst_rng_below(&rng, i)]
                                                                : (int)tst_rng_below(&rng, NKEYS);
                size_t len = random_len(&rng);
                vals[i] = random_value(&rng, len);
                items[i].key = K(ks[i]);
                items[i].key_len = key_lens[ks[i]];
                items[i].value = vals[i];
                items[i].value_len = len;
            }
            tst_ctx("seed %" PRIu64 " step %ld: write_batch of %zu", seed, step, n);
            n_ops[2]++;
            ok &= CHECK_OK(srd_write_batch(s, items, n));
            int has_dup = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i; j++) has_dup |= ks[i] == ks[j];
            /* a batch of more than one entry begins with its marker (FORMAT.md, "Batches") */
            uint64_t all_items_end = n > 1 ? tst_marker_end(m.size) : m.size;
            for (size_t i = 0; i < n; i++) {
                all_items_end = tst_value_entry_end(all_items_end, items[i].value_len);
                model_set(&m, ks[i], vals[i], items[i].value_len);
            }
            for (size_t i = 0; i < n; i++) ok &= check_key(s, &m, ks[i], i == 0);
            if (!has_dup) {
                /* every item is one entry, appended in order */
                m.size = all_items_end;
                ok &= CHECK_EQ_U(tst_size_of(s), m.size);
            } else {
                /* whether superseded items of one batch are stored is up to the library */
                uint64_t got = tst_size_of(s);
                ok &= CHECK(got > m.size && got <= all_items_end);
                m.size = got;
            }
        } else if (op < 73) { /* delete_batch: present and absent keys, no repeats */
            size_t n = 1 + (size_t)tst_rng_below(&rng, MAX_BATCH);
            srd_key dk[MAX_BATCH];
            int ks[MAX_BATCH];
            size_t present = 0;
            for (size_t i = 0; i < n; i++) {
                int cand;
                int dup;
                do {
                    cand = (int)tst_rng_below(&rng, NKEYS);
                    dup = 0;
                    for (size_t j = 0; j < i; j++) dup |= ks[j] == cand;
                } while (dup);
                ks[i] = cand;
                dk[i].key = K(cand);
                dk[i].key_len = key_lens[cand];
                if (m.val[cand]) present++;
            }
            tst_ctx("seed %" PRIu64 " step %ld: delete_batch of %zu (%zu present)", seed, step, n,
                    present);
            n_ops[3]++;
            ok &= CHECK_OK(srd_delete_batch(s, dk, n));
            if (present > 1) m.size = tst_marker_end(m.size);
            m.size += present * (1 + SRD_FMT_META);
            for (size_t i = 0; i < n; i++) model_del(&m, ks[i]);
            for (size_t i = 0; i < n; i++) ok &= check_key(s, &m, ks[i], 0);
            ok &= CHECK_EQ_U(tst_size_of(s), m.size);
        } else if (op < 75) { /* compact */
            tst_ctx("seed %" PRIu64 " step %ld: compact", seed, step);
            n_ops[4]++;
            uint64_t before = tst_size_of(s);
            ok &= CHECK_OK(srd_compact(s));
            uint64_t after = tst_size_of(s);
            ok &= CHECK(after <= before);
            ok &= CHECK_EQ(tst_file_len(path), (long long)after);
            m.size = after; /* layout of the rewritten file depends on its order */
            ok &= check_all(s, &m, 1);
        } else if (op < 78) { /* close and reopen */
            tst_ctx("seed %" PRIu64 " step %ld: close+reopen", seed, step);
            n_ops[5]++;
            if (tst_rng_below(&rng, 2)) ok &= CHECK_OK(srd_sync(s));
            srd_close(s);
            if (reopen_flags & SRD_OPEN_PREALLOCATE) {
                /* the store, then only the reserved zeros */
                size_t len = 0;
                uint8_t *bytes = tst_slurp(path, &len);
                ok &= CHECK(bytes != NULL && len >= m.size);
                size_t nonzero = 0;
                for (size_t i = m.size; bytes && i < len; i++) nonzero += bytes[i] != 0;
                ok &= CHECK_EQ_U(nonzero, 0);
                free(bytes);
            } else {
                ok &= CHECK_EQ(tst_file_len(path), (long long)m.size);
            }
            /* with the flag, half of the reopens go without it (cutting the zeros) */
            reopen_flags = flags;
            if ((flags & SRD_OPEN_PREALLOCATE) && tst_rng_below(&rng, 2)) reopen_flags &= ~SRD_OPEN_PREALLOCATE;
            s = tst_open_ok(path, reopen_flags | (tst_rng_below(&rng, 2) ? 0 : SRD_OPEN_NO_CREATE));
            if (s == NULL) return 0;
            ok &= check_all(s, &m, 0);
        } else if (op < 80) { /* a read-only handle next to the writer sees the same state */
            tst_ctx("seed %" PRIu64 " step %ld: read-only handle", seed, step);
            n_ops[6]++;
            srd_store *r = tst_open_ok(path, SRD_OPEN_READ_ONLY);
            if (r) {
                ok &= check_all(r, &m, 1);
                srd_close(r);
            } else {
                ok = 0;
            }
        } else { /* plain reads */
            tst_ctx("seed %" PRIu64 " step %ld: read key %d", seed, step, k);
            n_ops[7]++;
            ok &= check_key(s, &m, k, tst_rng_below(&rng, 2) == 0);
        }
        if (ok && step % 25 == 24) {
            tst_ctx("seed %" PRIu64 " step %ld: periodic full check", seed, step);
            ok &= check_all(s, &m, 0);
        }
    }

    tst_ctx("seed %" PRIu64 " final", seed);
    if (ok) ok &= check_all(s, &m, 1);
    srd_close(s);
    if (ok) {
        s = tst_open_ok(path, SRD_OPEN_READ_ONLY);
        if (s) {
            ok &= check_all(s, &m, 1);
            srd_close(s);
        }
    }
    if (!ok) fprintf(stderr, "test_model: FAILED with seed %" PRIu64 "\n", seed);
    printf("seed %" PRIu64 " flags 0x%x: %ld steps (write %lu, delete %lu, write_batch %lu, delete_batch %lu, "
           "compact %lu, reopen %lu, read-only handle %lu, read %lu), %" PRIu64 " live keys, %s\n",
           seed, (unsigned)flags, steps, n_ops[0], n_ops[1], n_ops[2], n_ops[3], n_ops[4], n_ops[5], n_ops[6],
           n_ops[7], m.live, ok ? "ok" : "FAILED");
    model_free(&m);
    tst_ctx_clear();
    remove(path);
    return ok;
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_model");
    make_keys();
    const uint64_t seeds[] = {1, 2, 3, 0x5EED, 20240601, 0xDEADBEEFCAFEull};
    const long steps = tst_scaled(3000, 150);
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        run_seed(seeds[i], steps, 0);
        run_seed(seeds[i], steps, SRD_OPEN_PREALLOCATE);
        run_seed(seeds[i], steps, SRD_OPEN_RESERVE);
    }
    return tst_test_finish();
}

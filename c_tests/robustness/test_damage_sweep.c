/*
 * test_damage_sweep.c - one damaged byte (or bit) at every position of a store.
 *
 * A store of 41 entries (values of 1 B .. 4.5 KiB, a batch, overwrites, tombstones from
 * srd_delete and srd_delete_batch, a rename, a streamed value, a prehashed write; the
 * last entry is a tombstone) is built through the API while every value ever written
 * under each key is remembered. Then, for EVERY byte of the file, the byte is flipped
 * (xor 0xFF; with SRD_LONG_TESTS=1 every single bit is flipped instead, 8x the work)
 * and the damaged copy is opened read-only, then read-write:
 *
 *   - srd_open never crashes and returns SRD_OK or SRD_CORRUPT (never anything else);
 *   - SRD_CORRUPT leaves the file byte for byte unchanged and *out_store unwritten;
 *   - a read-only open never changes the file; a read-write open may only cut a torn
 *     tail: the file is then exactly the first srd_file_size() bytes of the damaged copy,
 *     and it reopens without further change;
 *   - the read-only and read-write opens agree (status, size, live keys, each key's result);
 *   - every read of every key - srd_read, srd_read_entry (+ srd_entry_verify),
 *     srd_read_batch, srd_read_last and a full srd_iter walk - gives the exact bytes of
 *     a value once written under that key (any version), SRD_NOT_FOUND or SRD_CORRUPT;
 *     keys never written are SRD_NOT_FOUND;
 *   - srd_verify returns SRD_OK or SRD_CORRUPT and never crashes.
 *
 * "Invented" values (bytes never written under the key they are returned for) must be 0.
 * Iteration may yield a real value under a key hash nobody wrote when the damaged byte is
 * in a metadata key-hash field: the format's CRC covers the payload only, so that cannot
 * be detected. Those are counted separately as "misattributed (key hash damaged)"; they
 * must be bytes that really were written AND the damaged byte must lie inside a metadata
 * key-hash field (located by walking the original chain), otherwise they count as invented.
 *
 * SRD_TEST_SCALE < 1 (valgrind) tries every 1/scale-th position.
 */
#include "tst_robust.h"

#define NKEYS 21  /* key-00 .. key-20 (key-20 only gets a value by rename) */
#define NGHOST 3  /* keys never written */
#define MAXV 8    /* versions per key */

static char key_name[NKEYS + NGHOST][16];
static uint64_t key_hash[NKEYS + NGHOST];

struct ver {
    const uint8_t *p;
    size_t n;
};
static struct ver versions[NKEYS][MAXV];
static int nver[NKEYS];

static const uint8_t *K(int k) { return (const uint8_t *)key_name[k]; }
static size_t KL(int k) { return strlen(key_name[k]); }

static uint8_t *new_value(int key, int version, size_t len) {
    uint8_t *v = (uint8_t *)malloc(len);
    if (v == NULL) abort();
    tst_rng r = {((uint64_t)key << 32) ^ ((uint64_t)version << 16) ^ len ^ 0x5eed};
    tst_rng_fill(&r, v, len);
    if (len == 1 && v[0] == 0) v[0] = 0x5a;
    return v;
}

static void remember(int key, const uint8_t *p, size_t n) {
    REQUIRE(nver[key] < MAXV);
    versions[key][nver[key]].p = p;
    versions[key][nver[key]].n = n;
    nver[key]++;
}

static void put(srd_store *s, int key, size_t len) {
    uint8_t *v = new_value(key, nver[key], len);
    REQUIRE(srd_write(s, K(key), KL(key), v, len) == SRD_OK);
    remember(key, v, len);
}

/* Key index for a hash, or -1. */
static int key_of_hash(uint64_t h) {
    for (int k = 0; k < NKEYS + NGHOST; k++)
        if (key_hash[k] == h) return k;
    return -1;
}

/* 1 if (p, n) is one of the values ever written under `key`. */
static int is_version_of(int key, const uint8_t *p, size_t n) {
    if (key < 0 || key >= NKEYS) return 0;
    for (int i = 0; i < nver[key]; i++)
        if (versions[key][i].n == n && memcmp(versions[key][i].p, p, n) == 0) return 1;
    return 0;
}

static int is_any_value(const uint8_t *p, size_t n) {
    for (int k = 0; k < NKEYS; k++)
        if (is_version_of(k, p, n)) return 1;
    return 0;
}

/* ------------------------------------------------------------------ */

static struct {
    unsigned long positions, copies;
    unsigned long ro_opened, ro_refused, rw_opened, rw_refused, rw_truncated;
    unsigned long reads_ok, reads_nf, reads_corrupt;
    unsigned long iter_ok, iter_corrupt;
    unsigned long verify_ok, verify_corrupt;
    unsigned long invented, misattributed, bad_status;
} cnt;

static volatile uint64_t cur_pos;
static volatile unsigned cur_mask;
static uint8_t *hash_field; /* 1 for file offsets inside a metadata key-hash field */

/* A real value returned under a key hash nobody wrote: acceptable only when the damaged
 * byte is inside a metadata key-hash field (which no checksum covers). A batch marker
 * whose key hash is damaged is such a value too: the library wrote it. */
/* A batch marker's value (FORMAT.md, "Batches"): written by the library, not the test. */
static int is_batch_marker_value(const uint8_t *p, size_t n) {
    return n == TST_BATCH_MARKER_LEN && memcmp(p, "srdBATCH", 8) == 0;
}

static void unknown_hash_value(const uint8_t *p, size_t n, const char *how) {
    if ((is_any_value(p, n) || is_batch_marker_value(p, n)) && hash_field[cur_pos]) {
        cnt.misattributed++;
        return;
    }
    cnt.invented++;
    CHECK_MSG(0, "%s: %zu bytes under a key hash nobody wrote (%s; damaged byte %s a key-hash field)",
              how, n, is_any_value(p, n) ? "a real value" : "bytes never written",
              hash_field[cur_pos] ? "in" : "NOT in");
}

#if !defined(__SANITIZE_ADDRESS__)
static void on_fatal(int sig) {
    char msg[128];
    int n = snprintf(msg, sizeof msg, "\nFATAL signal %d while testing damage at offset %llu mask 0x%02x\n",
                     sig, (unsigned long long)cur_pos, cur_mask);
    if (n > 0) {
        ssize_t w = write(2, msg, (size_t)n);
        (void)w;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

/* Outcome of one key on one handle, for comparing the read-only and read-write views. */
struct key_result {
    int32_t st;
    int ver; /* version index when st == SRD_OK */
};

static int version_index(int key, const uint8_t *p, size_t n) {
    if (key < 0 || key >= NKEYS) return -1;
    for (int i = 0; i < nver[key]; i++)
        if (versions[key][i].n == n && memcmp(versions[key][i].p, p, n) == 0) return i;
    return -1;
}

static void count_read(int32_t st) {
    if (st == SRD_OK) cnt.reads_ok++;
    else if (st == SRD_NOT_FOUND) cnt.reads_nf++;
    else if (st == SRD_CORRUPT) cnt.reads_corrupt++;
}

static int allowed_read_status(int32_t st) {
    return st == SRD_OK || st == SRD_NOT_FOUND || st == SRD_CORRUPT;
}

/* Exercises every read path on an opened (possibly damaged) store. */
static void read_everything(srd_store *s, struct key_result *res) {
    for (int k = 0; k < NKEYS + NGHOST; k++) {
        /* srd_read */
        const uint8_t *p = (const uint8_t *)(uintptr_t)0x1;
        size_t n = 777;
        int32_t st = srd_read(s, K(k), KL(k), &p, &n);
        count_read(st);
        res[k].st = st;
        res[k].ver = -1;
        if (!allowed_read_status(st)) {
            cnt.bad_status++;
            CHECK_MSG(0, "srd_read(%s) returned %s", key_name[k], tst_status_name(st));
        } else if (st == SRD_OK) {
            res[k].ver = version_index(k, p, n);
            if (res[k].ver < 0) {
                cnt.invented++;
                CHECK_MSG(0, "srd_read(%s) returned %zu bytes never written under that key",
                          key_name[k], n);
            }
        } else {
            CHECK_MSG(p == (const uint8_t *)(uintptr_t)0x1 && n == 777,
                      "srd_read(%s) wrote its outputs on failure", key_name[k]);
        }

        /* srd_read_entry */
        srd_entry *e = (srd_entry *)(uintptr_t)0x1;
        int32_t st2 = srd_read_entry(s, K(k), KL(k), &e);
        count_read(st2);
        if (!allowed_read_status(st2)) {
            cnt.bad_status++;
            CHECK_MSG(0, "srd_read_entry(%s) returned %s", key_name[k], tst_status_name(st2));
        } else if (st2 == SRD_OK) {
            size_t en = 0;
            const uint8_t *ep = srd_entry_data(e, &en);
            if (!is_version_of(k, ep, en)) {
                cnt.invented++;
                CHECK_MSG(0, "srd_read_entry(%s) returned %zu bytes never written under it",
                          key_name[k], en);
            }
            CHECK_MSG(srd_entry_verify(e) == SRD_OK, "entry of %s fails srd_entry_verify",
                      key_name[k]);
            srd_entry_free(e);
        } else {
            CHECK_MSG(e == (srd_entry *)(uintptr_t)0x1, "srd_read_entry wrote out_entry on failure");
        }
        CHECK_MSG(st2 == st, "srd_read and srd_read_entry disagree on %s: %s vs %s", key_name[k],
                  tst_status_name(st), tst_status_name(st2));
        if (k >= NKEYS) {
            CHECK_MSG(st == SRD_NOT_FOUND && st2 == SRD_NOT_FOUND,
                      "never-written key %s gave %s / %s", key_name[k], tst_status_name(st),
                      tst_status_name(st2));
            if (st == SRD_OK || st2 == SRD_OK) cnt.invented++;
        }
    }

    /* srd_read_batch over every key at once */
    srd_key keys[NKEYS + NGHOST];
    srd_read_result out[NKEYS + NGHOST];
    for (int k = 0; k < NKEYS + NGHOST; k++) {
        keys[k].key = K(k);
        keys[k].key_len = KL(k);
    }
    int32_t bst = srd_read_batch(s, keys, NKEYS + NGHOST, out);
    if (CHECK_MSG(bst == SRD_OK, "srd_read_batch returned %s", tst_status_name(bst))) {
        for (int k = 0; k < NKEYS + NGHOST; k++) {
            count_read(out[k].status);
            if (!allowed_read_status(out[k].status)) {
                cnt.bad_status++;
                CHECK_MSG(0, "srd_read_batch status for %s: %s", key_name[k],
                          tst_status_name(out[k].status));
            } else if (out[k].status == SRD_OK) {
                if (!is_version_of(k, out[k].value, out[k].value_len)) {
                    cnt.invented++;
                    CHECK_MSG(0, "srd_read_batch(%s) returned bytes never written under it",
                              key_name[k]);
                }
            } else {
                CHECK(out[k].value == NULL && out[k].value_len == 0);
            }
        }
    }

    /* srd_read_last */
    uint64_t lh = 0;
    const uint8_t *lp = NULL;
    size_t ln = 0;
    int32_t lst = srd_read_last(s, &lh, &lp, &ln);
    count_read(lst);
    if (!allowed_read_status(lst)) {
        cnt.bad_status++;
        CHECK_MSG(0, "srd_read_last returned %s", tst_status_name(lst));
    } else if (lst == SRD_OK) {
        int k = key_of_hash(lh);
        if (k < 0) {
            unknown_hash_value(lp, ln, "srd_read_last");
        } else if (!is_version_of(k, lp, ln)) {
            cnt.invented++;
            CHECK_MSG(0, "srd_read_last returned bytes never written under %s", key_name[k]);
        }
    }

    /* srd_iter over everything */
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        int seen[NKEYS + NGHOST] = {0};
        for (int guard = 0; guard < 10000; guard++) {
            uint64_t h = 0;
            const uint8_t *v = NULL;
            size_t vn = 0;
            int32_t ist = srd_iter_next(it, &h, &v, &vn);
            if (ist == SRD_NOT_FOUND) break;
            if (ist == SRD_CORRUPT) {
                cnt.iter_corrupt++;
                continue;
            }
            if (!CHECK_MSG(ist == SRD_OK, "srd_iter_next returned %s", tst_status_name(ist))) {
                cnt.bad_status++;
                break;
            }
            cnt.iter_ok++;
            int k = key_of_hash(h);
            if (k < 0) {
                unknown_hash_value(v, vn, "srd_iter");
                continue;
            }
            CHECK_MSG(!seen[k]++, "srd_iter yielded %s twice", key_name[k]);
            if (!is_version_of(k, v, vn)) {
                cnt.invented++;
                CHECK_MSG(0, "srd_iter yielded bytes never written under %s", key_name[k]);
            }
        }
        srd_iter_free(it);
    }

    /* srd_verify: must not crash; SRD_OK or SRD_CORRUPT */
    srd_verify_report rep;
    int32_t vst = srd_verify(s, &rep);
    if (vst == SRD_OK) cnt.verify_ok++;
    else if (vst == SRD_CORRUPT) cnt.verify_corrupt++;
    else CHECK_MSG(0, "srd_verify returned %s", tst_status_name(vst));

    uint64_t c = 0;
    CHECK_OK(srd_count(s, &c));
    CHECK_OK(srd_entry_count(s, &c));
}

struct view {
    int32_t st;
    uint64_t size, live;
    struct key_result res[NKEYS + NGHOST];
};

static const char *work;
static uint8_t *img; /* the damaged copy's expected bytes */
static size_t img_len;

static void open_and_read(uint32_t flags, struct view *v) {
    srd_store *s = (srd_store *)(uintptr_t)0x1;
    v->st = srd_open(work, flags, &s);
    v->size = v->live = 0;
    int ro = (flags & SRD_OPEN_READ_ONLY) != 0;
    if (v->st == SRD_OK) {
        if (ro) cnt.ro_opened++;
        else cnt.rw_opened++;
        v->size = tst_size_of(s);
        v->live = tst_count_of(s);
        read_everything(s, v->res);
        srd_close(s);
    } else if (v->st == SRD_CORRUPT) {
        if (ro) cnt.ro_refused++;
        else cnt.rw_refused++;
        CHECK_MSG(s == (srd_store *)(uintptr_t)0x1, "srd_open wrote *out_store on failure");
        CHECK_MSG(srd_last_error_message()[0] != '\0', "SRD_CORRUPT without a message");
    } else {
        cnt.bad_status++;
        CHECK_MSG(0, "srd_open(%s) returned %s: %s", ro ? "read-only" : "read-write",
                  tst_status_name(v->st), srd_last_error_message());
    }
}

static void try_damage(uint64_t pos, uint8_t mask, const uint8_t *orig, size_t len) {
    cur_pos = pos;
    cur_mask = mask;
    tst_ctx("damage at offset %llu, xor 0x%02x", (unsigned long long)pos, mask);
    cnt.copies++;
    img[pos] = orig[pos] ^ mask;
    REQUIRE(tst_poke(work, pos, img[pos]) == 0);

    struct view ro, rw;
    open_and_read(SRD_OPEN_READ_ONLY, &ro);
    CHECK_MSG(tst_file_equals(work, img, img_len), "a read-only open (%s) changed the file",
              tst_status_name(ro.st));

    open_and_read(0, &rw);
    long long now = tst_file_len(work);
    if (rw.st == SRD_OK) {
        CHECK_MSG(now >= 0 && (uint64_t)now == rw.size,
                  "after a read-write open the file is %lld bytes, srd_file_size said %llu", now,
                  (unsigned long long)rw.size);
        if (now >= 0 && (size_t)now < img_len) {
            cnt.rw_truncated++;
            CHECK_MSG(tst_file_equals(work, img, (size_t)now),
                      "the read-write open changed bytes other than cutting a torn tail");
            /* A second read-write open must find a clean store and change nothing. */
            srd_store *again = NULL;
            if (CHECK_OK(srd_open(work, 0, &again))) {
                CHECK_EQ_U(tst_size_of(again), (uint64_t)now);
                srd_close(again);
            }
            CHECK(tst_file_equals(work, img, (size_t)now));
        } else {
            CHECK_MSG(tst_file_equals(work, img, img_len),
                      "a read-write open changed the file without truncating it");
        }
    } else {
        CHECK_MSG(tst_file_equals(work, img, img_len),
                  "srd_open refused (%s) but the file changed", tst_status_name(rw.st));
    }

    /* Both views come from the same recovery: they must agree. */
    CHECK_MSG(ro.st == rw.st, "read-only open %s, read-write open %s", tst_status_name(ro.st),
              tst_status_name(rw.st));
    if (ro.st == SRD_OK && rw.st == SRD_OK) {
        CHECK_EQ_U(ro.size, rw.size);
        CHECK_EQ_U(ro.live, rw.live);
        for (int k = 0; k < NKEYS + NGHOST; k++)
            CHECK_MSG(ro.res[k].st == rw.res[k].st && ro.res[k].ver == rw.res[k].ver,
                      "key %s: read-only view %s v%d, read-write view %s v%d", key_name[k],
                      tst_status_name(ro.res[k].st), ro.res[k].ver, tst_status_name(rw.res[k].st),
                      rw.res[k].ver);
    }

    /* Restore the pristine copy. */
    img[pos] = orig[pos];
    long long cur = tst_file_len(work);
    size_t same = (size_t)pos;
    if (cur >= 0 && (size_t)cur < same) same = (size_t)cur;
    REQUIRE(tst_restore_tail(work, orig, len, same) == 0);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_damage_sweep");
#if !defined(__SANITIZE_ADDRESS__)
    signal(SIGSEGV, on_fatal);
    signal(SIGBUS, on_fatal);
#endif
    int long_mode = getenv("SRD_LONG_TESTS") && strcmp(getenv("SRD_LONG_TESTS"), "0") != 0;

    for (int k = 0; k < NKEYS; k++) snprintf(key_name[k], sizeof key_name[k], "key-%02d", k);
    for (int g = 0; g < NGHOST; g++) snprintf(key_name[NKEYS + g], 16, "ghost-%d", g);
    for (int k = 0; k < NKEYS + NGHOST; k++) REQUIRE(srd_hash_key(K(k), KL(k), &key_hash[k]) == SRD_OK);
    /* No two key hashes may be one damaged byte apart, or a flip could move a value to
     * another real key (undetectable by the format). */
    for (int a = 0; a < NKEYS + NGHOST; a++)
        for (int b = a + 1; b < NKEYS + NGHOST; b++) {
            uint64_t d = key_hash[a] ^ key_hash[b];
            int bytes = 0;
            for (int i = 0; i < 8; i++) bytes += ((d >> (8 * i)) & 0xff) != 0;
            REQUIRE(bytes > 1);
        }

    /* --- build the store --------------------------------------------------- */
    const char *orig_path = tst_path("orig.srd");
    static const size_t sizes[NKEYS] = {1,   2,   3,   7,    19,   20,   21,   63,   64,   65,  100,
                                        128, 200, 511, 1000, 1500, 2048, 3000, 4000, 4500, 0};
    srd_store *s = NULL;
    REQUIRE(srd_open(orig_path, 0, &s) == SRD_OK);
    for (int k = 0; k < 20; k++) put(s, k, sizes[k]); /* 20 entries */
    {                                                  /* a batch: 5 entries */
        srd_kv items[5];
        for (int i = 0; i < 5; i++) {
            size_t n = (size_t)(10 + 37 * i);
            uint8_t *v = new_value(i, nver[i], n);
            items[i] = (srd_kv){K(i), KL(i), v, n};
            remember(i, v, n);
        }
        REQUIRE(srd_write_batch(s, items, 5) == SRD_OK);
    }
    for (int k = 5; k < 10; k++) put(s, k, sizes[k] + 33); /* 5 overwrites */
    REQUIRE(srd_delete(s, K(10), KL(10)) == SRD_OK);       /* 2 tombstones */
    REQUIRE(srd_delete(s, K(11), KL(11)) == SRD_OK);
    put(s, 10, 300); /* re-created after its deletion */
    {
        srd_key dk[2] = {{K(12), KL(12)}, {K(13), KL(13)}};
        REQUIRE(srd_delete_batch(s, dk, 2) == SRD_OK); /* 2 tombstones, one append */
    }
    {
        uint8_t *v = new_value(14, nver[14], 777);
        REQUIRE(srd_write_with_hash(s, key_hash[14], v, 777) == SRD_OK);
        remember(14, v, 777);
    }
    /* rename key-15 -> key-20: a value entry for key-20 and a tombstone for key-15 */
    REQUIRE(srd_rename(s, K(15), KL(15), K(20), KL(20)) == SRD_OK);
    remember(20, versions[15][nver[15] - 1].p, versions[15][nver[15] - 1].n);
    {
        uint8_t *v = new_value(16, nver[16], 3001);
        srd_stream *st = NULL;
        REQUIRE(srd_stream_begin(s, K(16), KL(16), &st) == SRD_OK);
        REQUIRE(srd_stream_write(st, v, 1000) == SRD_OK);
        REQUIRE(srd_stream_write(st, v + 1000, 2001) == SRD_OK);
        REQUIRE(srd_stream_commit(st) == SRD_OK);
        remember(16, v, 3001);
    }
    put(s, 0, 5);
    put(s, 17, 2000);
    REQUIRE(srd_delete(s, K(1), KL(1)) == SRD_OK); /* the last entry is a tombstone */
    uint64_t entries = 0;
    REQUIRE(srd_entry_count(s, &entries) == SRD_OK);
    srd_close(s);

    size_t len = 0;
    uint8_t *orig = tst_slurp(orig_path, &len);
    REQUIRE(orig != NULL && len > 0);
    img = (uint8_t *)malloc(len);
    REQUIRE(img != NULL);
    memcpy(img, orig, len);
    img_len = len;
    /* Where the metadata key-hash fields are: walk the chain back from the end. */
    hash_field = (uint8_t *)calloc(len, 1);
    REQUIRE(hash_field != NULL);
    {
        uint64_t cur = len;
        int guard = 0;
        while (cur > 0 && guard++ < 1000) {
            REQUIRE(cur >= SRD_FMT_META);
            uint64_t meta = cur - SRD_FMT_META;
            for (int i = 0; i < 8; i++) hash_field[meta + (uint64_t)i] = 1;
            uint64_t prev = tst_le64(orig + meta + 8);
            REQUIRE(prev < meta);
            cur = prev;
        }
        /* srd_entry_count does not count the markers of the 3 batches (write batch,
         * delete batch, rename; FORMAT.md, "Batches"); the chain holds them. */
        REQUIRE(cur == 0 && guard == (int)entries + 3);
    }
    work = tst_path("work.srd");
    REQUIRE(tst_spit(work, orig, len) == 0);

    /* The undamaged copy reads back exactly the model. */
    {
        struct view v;
        open_and_read(SRD_OPEN_READ_ONLY, &v);
        REQUIRE(v.st == SRD_OK);
        for (int k = 0; k < NKEYS; k++) {
            int deleted = k == 1 || k == 11 || k == 12 || k == 13 || k == 15;
            if (deleted) CHECK_STATUS(v.res[k].st, SRD_NOT_FOUND);
            else {
                CHECK_STATUS(v.res[k].st, SRD_OK);
                CHECK_EQ(v.res[k].ver, nver[k] - 1);
            }
        }
        memset(&cnt, 0, sizeof cnt);
    }

    long stride = 1;
    if (tst_scale() < 1.0) stride = (long)(1.0 / tst_scale() + 0.5);
    if (stride < 1) stride = 1;
    printf("test_damage_sweep: store of %llu entries, %zu bytes; %s, every %ld%s position\n",
           (unsigned long long)entries, len, long_mode ? "every single bit (SRD_LONG_TESTS)" : "each byte xor 0xFF",
           stride, stride == 1 ? "st" : "th");

    double t0 = tst_now();
    for (uint64_t pos = 0; pos < len; pos += (uint64_t)stride) {
        cnt.positions++;
        if (long_mode) {
            for (int b = 0; b < 8; b++) try_damage(pos, (uint8_t)(1u << b), orig, len);
        } else {
            try_damage(pos, 0xFF, orig, len);
        }
    }
    tst_ctx_clear();
    CHECK(tst_file_equals(work, orig, len));

    printf("test_damage_sweep: %lu positions, %lu damaged copies in %.1f s\n", cnt.positions,
           cnt.copies, tst_now() - t0);
    printf("test_damage_sweep:   read-only opens:  %lu opened, %lu refused (SRD_CORRUPT)\n",
           cnt.ro_opened, cnt.ro_refused);
    printf("test_damage_sweep:   read-write opens: %lu opened (%lu cut a torn tail), %lu refused\n",
           cnt.rw_opened, cnt.rw_truncated, cnt.rw_refused);
    printf("test_damage_sweep:   reads: %lu OK, %lu NOT_FOUND, %lu CORRUPT; iteration: %lu OK, "
           "%lu CORRUPT\n",
           cnt.reads_ok, cnt.reads_nf, cnt.reads_corrupt, cnt.iter_ok, cnt.iter_corrupt);
    printf("test_damage_sweep:   srd_verify: %lu sound, %lu SRD_CORRUPT\n", cnt.verify_ok,
           cnt.verify_corrupt);
    printf("test_damage_sweep:   unexpected statuses: %lu\n", cnt.bad_status);
    printf("test_damage_sweep:   misattributed (real value under a damaged key hash; the format "
           "cannot detect it): %lu\n",
           cnt.misattributed);
    printf("test_damage_sweep:   INVENTED values: %lu (must be 0)\n", cnt.invented);
    CHECK_EQ_U(cnt.invented, 0);
    CHECK_EQ_U(cnt.bad_status, 0);
    CHECK(cnt.ro_opened > 0 && cnt.ro_refused > 0);

    for (int k = 0; k < NKEYS; k++)
        for (int i = 0; i < nver[k]; i++) {
            int dup = k == 20; /* key-20's only value is key-15's, not a separate buffer */
            if (!dup) free((void *)versions[k][i].p);
        }
    free(orig);
    free(img);
    free(hash_field);
    return tst_test_finish();
}

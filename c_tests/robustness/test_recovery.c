/*
 * test_recovery.c - torn tails, appended garbage and corrupted files.
 *
 * A base store of a few dozen entries (1, 63, 64, 65, 1000 bytes, 100 KiB, ..., with
 * overwrites, tombstones and a batch) gets one more "tail": a single value, an overwrite,
 * a tombstone, a batch. The file is then cut at every byte from the end of the base to
 * the end of the tail minus one, and for each cut:
 *   - a read-only open succeeds, leaves the file byte-for-byte unchanged, reports the
 *     recovered length (the last complete entry) and every surviving value;
 *   - a read-write open succeeds, truncates the file to that length, shows the same
 *     values, accepts a new write, and everything survives a reopen.
 * Complete entries inside a cut batch survive. Zeros or garbage appended after the last
 * entry are dropped. Text, random bytes or zeros with no complete entry, and a metadata
 * chain broken in the middle give SRD_CORRUPT and leave the file untouched. A flipped
 * payload byte gives SRD_CORRUPT when that key is read, and only then.
 *
 * Every byte is tried for tails of 1, 63, 64, 65 and 1000 bytes, a tombstone and two
 * batches. For the 100 KiB tail every byte within 80 bytes of an entry boundary is tried
 * plus every 97th byte in between (SRD_RECOVERY_EXHAUSTIVE=1: every byte, ~2 minutes).
 * SRD_TEST_SCALE < 1 (valgrind) samples the long tails more sparsely in the same way.
 */
#include "tst_test.h"
#include "tst_api.h"

#define NK 48
#define FRESH_KEY "fresh-after-recovery"

static char key_name[NK][16];
static uint8_t *owned[TST_HISTORY_MAX * 4];
static int n_owned;
static unsigned long total_cuts;

static const uint8_t *KEY(int k) { return (const uint8_t *)key_name[k]; }
static size_t KLEN(int k) { return strlen(key_name[k]); }

static const uint8_t *make_val(size_t len, uint64_t seed) {
    uint8_t *v = (uint8_t *)malloc(len);
    if (v == NULL) abort();
    tst_rng r = {seed * 7919 + len};
    tst_rng_fill(&r, v, len);
    if (len == 1 && v[0] == 0) v[0] = 0x42;
    owned[n_owned++] = v;
    return v;
}


static int h_write(struct tst_history *h, srd_store *s, int key, size_t len) {
    const uint8_t *v = make_val(len, (uint64_t)h->n * 131 + (uint64_t)key);
    if (!CHECK_OK(srd_write(s, KEY(key), KLEN(key), v, len))) return 0;
    uint64_t end = tst_value_entry_end(tst_history_end(h), len);
    CHECK_EQ_U(tst_size_of(s), end);
    h->e[h->n++] = (struct tst_hist_ent){.key = key, .val = v, .len = len, .end = end};
    return 1;
}

static int h_delete(struct tst_history *h, srd_store *s, int key) {
    if (!CHECK_OK(srd_delete(s, KEY(key), KLEN(key)))) return 0;
    uint64_t end = tst_tombstone_end(tst_history_end(h));
    CHECK_EQ_U(tst_size_of(s), end);
    h->e[h->n++] = (struct tst_hist_ent){.key = key, .val = NULL, .len = 0, .end = end};
    return 1;
}

static int h_batch(struct tst_history *h, srd_store *s, const int *keys, const size_t *lens, size_t n) {
    srd_kv items[16];
    for (size_t i = 0; i < n; i++) {
        items[i].key = KEY(keys[i]);
        items[i].key_len = KLEN(keys[i]);
        items[i].value = make_val(lens[i], (uint64_t)(h->n + (int)i) * 131 + (uint64_t)keys[i] + 7);
        items[i].value_len = lens[i];
    }
    if (!CHECK_OK(srd_write_batch(s, items, n))) return 0;
    const uint64_t start = tst_history_end(h);
    uint64_t end = n > 1 ? tst_marker_end(start) : start; /* the batch marker */
    for (size_t i = 0; i < n; i++) {
        end = tst_value_entry_end(end, lens[i]);
        h->e[h->n++] =
            (struct tst_hist_ent){.key = keys[i], .val = items[i].value, .len = lens[i], .end = end};
    }
    tst_history_mark_batch(h, (int)n, start);
    CHECK_EQ_U(tst_size_of(s), tst_history_end(h));
    return 1;
}

/* State after the entries ending at or before `cut`; returns the recovered length. */
static uint64_t state_at(const struct tst_history *h, uint64_t cut, const struct tst_hist_ent *cur[NK]) {
    for (int k = 0; k < NK; k++) cur[k] = NULL;
    const uint64_t rec = tst_history_recovered_end(h, cut); /* a torn batch: none of it */
    for (int i = 0; i < h->n && h->e[i].end <= rec; i++) cur[h->e[i].key] = h->e[i].val ? &h->e[i] : NULL;
    return rec;
}

/* Every key reads back as in `cur` (bytes or NOT_FOUND); count matches (plus `extra` other keys). */
static int check_state_plus(const srd_store *s, const struct tst_hist_ent *cur[NK], uint64_t extra) {
    int ok = 1;
    uint64_t live = 0;
    for (int k = 0; k < NK && ok; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, KEY(k), KLEN(k), &p, &n);
        if (cur[k] == NULL) {
            ok &= CHECK_STATUS(st, SRD_NOT_FOUND);
            if (!ok) fprintf(stderr, "    key %s should be absent\n", key_name[k]);
            continue;
        }
        live++;
        ok &= CHECK_OK(st);
        if (ok) ok &= CHECK_EQ_U(n, cur[k]->len);
        if (ok) ok &= CHECK_MEM(p, cur[k]->val, n);
        if (!ok) fprintf(stderr, "    key %s (%zu bytes)\n", key_name[k], cur[k]->len);
    }
    if (ok) ok &= CHECK_EQ_U(tst_count_of(s), live + extra);
    return ok;
}

static int check_state(const srd_store *s, const struct tst_hist_ent *cur[NK]) {
    return check_state_plus(s, cur, 0);
}

/* The base store: a few dozen entries of varied sizes, overwrites, tombstones, a batch. */
static void build_base(const char *path, struct tst_history *h) {
    h->n = 0;
    srd_store *s = tst_open_ok(path, 0);
    REQUIRE(s != NULL);
    const size_t sizes[] = {1, 63, 64, 65, 1000, 100 * 1024, 7, 128, 127, 129, 4095, 4096,
                            4097, 2, 500, 192, 1, 65, 63, 1000, 33, 200, 300, 100 * 1024 + 1};
    int key = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        h_write(h, s, key++, sizes[i]);
        if (i == 8) {
            h_write(h, s, 0, 77);   /* overwrite key 0 */
            h_delete(h, s, 2);      /* tombstone */
        }
        if (i == 14) {
            const int bk[] = {30, 31, 3, 32};
            const size_t bl[] = {10, 64, 1, 300};
            h_batch(h, s, bk, bl, 4);
        }
        if (i == 18) h_delete(h, s, 6);
    }
    h_write(h, s, 5, 65); /* overwrite the 100 KiB value with a small one */
    srd_close(s);
    CHECK_EQ(tst_file_len(path), (long long)tst_history_end(h));
}

/* Which cut points of [lo, hi) to try: all of them at scale >= 1, else every byte near entry ends. */
static int want_cut(const struct tst_history *h, int first_tail, uint64_t c, uint64_t lo, uint64_t hi,
                    long step) {
    if (step <= 1 || c - lo < 80 || hi - c <= 80 || (c - lo) % (uint64_t)step == 0) return 1;
    for (int i = first_tail; i < h->n; i++) {
        uint64_t e = h->e[i].end;
        if ((c <= e && e - c <= 24) || (c > e && c - e <= 70)) return 1;
    }
    return 0;
}

/*
 * Cuts `full` (the file with history h) at every chosen byte in [h->e[first_tail-1].end,
 * tst_history_end) and checks read-only and read-write recovery.
 */
static void cut_everywhere(const char *label, const char *path, const struct tst_history *h,
                           int first_tail, const uint8_t *full, size_t full_len, long step) {
    uint64_t lo = h->e[first_tail - 1].end, hi = full_len;
    const struct tst_hist_ent *cur[NK];
    unsigned long tried = 0;
    uint64_t same = 0; /* how many leading bytes of the file on disk equal full[] */
    REQUIRE(tst_spit(path, full, lo) == 0);
    same = lo;
    uint8_t fresh[300];
    for (uint64_t c = lo; c < hi; c++) {
        if (!want_cut(h, first_tail, c, lo, hi, step)) continue;
        tried++;
        tst_ctx("%s: cut at %" PRIu64 " (tail %" PRIu64 "..%" PRIu64 ")", label, c, lo, hi);
        if (tst_restore_tail(path, full, c, same < c ? same : c) != 0) {
            CHECK(!"cannot restore the cut file");
            break;
        }
        uint64_t rec = state_at(h, c, cur);
        int ok = 1;

        /* read-only: recovered view, file untouched */
        srd_store *s = tst_open_ok(path, SRD_OPEN_READ_ONLY);
        if (s == NULL) break;
        ok &= CHECK_EQ_U(tst_size_of(s), rec);
        ok &= check_state(s, cur);
        srd_close(s);
        ok &= CHECK_MSG(tst_file_equals(path, full, c), "read-only open modified the file");

        /* read-write: truncated to the recovered length, then writable */
        s = tst_open_ok(path, 0);
        if (s == NULL) break;
        ok &= CHECK_EQ_U(tst_size_of(s), rec);
        ok &= CHECK_EQ(tst_file_len(path), (long long)rec);
        ok &= check_state(s, cur);
        size_t flen = 1 + (size_t)(c % 300);
        tst_rng r = {c};
        tst_rng_fill(&r, fresh, flen);
        if (flen == 1 && fresh[0] == 0) fresh[0] = 1;
        ok &= CHECK_OK(srd_write(s, SRD_U8(FRESH_KEY), strlen(FRESH_KEY), fresh, flen));
        ok &= CHECK_EQ_U(tst_size_of(s), tst_value_entry_end(rec, flen));
        srd_close(s);
        same = rec;

        /* the new write and the recovered values survive a reopen */
        s = tst_open_ok(path, SRD_OPEN_NO_CREATE);
        if (s == NULL) break;
        ok &= check_state_plus(s, cur, 1);
        const uint8_t *p = NULL;
        size_t n = 0;
        if ((ok &= CHECK_OK(srd_read(s, SRD_U8(FRESH_KEY), strlen(FRESH_KEY), &p, &n))))
            ok &= CHECK_EQ_U(n, flen) && CHECK_MEM(p, fresh, flen);
        srd_close(s);
        if (!ok) break; /* one broken cut point says enough; the context names it */
    }
    tst_ctx_clear();
    total_cuts += tried;
    printf("%s: tried %lu cut points in [%" PRIu64 ", %" PRIu64 ")%s\n", label, tried, lo, hi,
           step > 1 ? " (sampled, every byte near entry boundaries)" : " (every byte)");
}

/* Appends one tail (a lambda-like selector) to a copy of the base and cuts it everywhere. */
enum tail_kind {
    TAIL_NEW_1000,
    TAIL_OVERWRITE_65,
    TAIL_TOMBSTONE,
    TAIL_NEW_1,
    TAIL_NEW_63,
    TAIL_NEW_64,
    TAIL_OVERWRITE_100K,
    TAIL_BATCH,
    TAIL_BATCH_AFTER_TOMBSTONE,
};

static void tail_case(enum tail_kind kind, const char *label, const uint8_t *base, size_t base_len,
                      const struct tst_history *base_h) {
    const char *path = tst_path("cut.srd");
    REQUIRE(tst_spit(path, base, base_len) == 0);
    struct tst_history *h = (struct tst_history *)malloc(sizeof *h);
    REQUIRE(h != NULL);
    memcpy(h, base_h, sizeof *h);
    int first_tail = h->n;
    srd_store *s = tst_open_ok(path, 0);
    if (s == NULL) {
        free(h);
        return;
    }
    long step = 1;
    switch (kind) {
    case TAIL_NEW_1000: h_write(h, s, 40, 1000); break;
    case TAIL_OVERWRITE_65: h_write(h, s, 4, 65); break;
    case TAIL_TOMBSTONE: h_delete(h, s, 1); break;
    case TAIL_NEW_1: h_write(h, s, 41, 1); break;
    case TAIL_NEW_63: h_write(h, s, 42, 63); break;
    case TAIL_NEW_64: h_write(h, s, 43, 64); break;
    case TAIL_OVERWRITE_100K:
        h_write(h, s, 7, 100 * 1024);
        /* every one of ~100k cut points takes minutes: by default every byte near the entry's
           boundaries and a prime stride through the payload; SRD_RECOVERY_EXHAUSTIVE=1 tries all */
        step = getenv("SRD_RECOVERY_EXHAUSTIVE") ? 1 : (long)(97.0 / (tst_scale() < 1.0 ? tst_scale() : 1.0));
        break;
    case TAIL_BATCH: {
        /* a repeated key inside the batch: the later item wins once it is complete */
        const int bk[] = {44, 9, 45, 44, 46, 47};
        const size_t bl[] = {1, 200, 64, 3000, 65, 1};
        h_batch(h, s, bk, bl, 6);
        break;
    }
    case TAIL_BATCH_AFTER_TOMBSTONE: {
        h_delete(h, s, 8);
        first_tail = h->n; /* the tombstone is complete; cut only the batch */
        const int bk[] = {8, 10, 11};
        const size_t bl[] = {129, 2, 640};
        h_batch(h, s, bk, bl, 3);
        break;
    }
    }
    if (kind != TAIL_OVERWRITE_100K && tst_scale() < 1.0) step = (long)(1.0 / tst_scale());
    srd_close(s);
    size_t full_len = 0;
    uint8_t *full = tst_slurp(path, &full_len);
    if (CHECK(full != NULL) && CHECK_EQ_U(full_len, tst_history_end(h)))
        cut_everywhere(label, path, h, first_tail, full, full_len, step);
    free(full);
    free(h);
}

/* Zeros or random garbage after the last entry are dropped on open. */
static void test_appended_bytes_are_dropped(const uint8_t *base, size_t base_len,
                                            const struct tst_history *h) {
    const char *path = tst_path("appended.srd");
    const struct tst_hist_ent *cur[NK];
    state_at(h, base_len, cur);
    uint8_t *buf = (uint8_t *)malloc(base_len + 8192);
    REQUIRE(buf != NULL);
    memcpy(buf, base, base_len);
    struct {
        const char *what;
        size_t n;
        int zeros;
        int fake_meta; /* garbage ending in metadata whose prev_tail points at the last entry */
    } cases[] = {
        {"1 zero byte", 1, 1, 0},          {"19 zero bytes", 19, 1, 0},
        {"20 zero bytes", 20, 1, 0},       {"21 zero bytes", 21, 1, 0},
        {"64 zero bytes", 64, 1, 0},       {"4096 zero bytes", 4096, 1, 0},
        {"1 random byte", 1, 0, 0},        {"7 random bytes", 7, 0, 0},
        {"20 random bytes", 20, 0, 0},     {"21 random bytes", 21, 0, 0},
        {"100 random bytes", 100, 0, 0},   {"5000 random bytes", 5000, 0, 0},
        {"fake entry with a bad checksum", 64 + 44 + 20, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tst_ctx("appended %s", cases[i].what);
        size_t n = cases[i].n;
        if (cases[i].zeros) {
            memset(buf + base_len, 0, n);
        } else {
            tst_rng r = {i + 99};
            tst_rng_fill(&r, buf + base_len, n);
        }
        if (cases[i].fake_meta) {
            /* padding, a payload, then hash + prev_tail (= the real end) + a wrong CRC */
            uint8_t *m = buf + base_len + n - 20;
            uint64_t pt = base_len;
            for (int b = 0; b < 8; b++) m[8 + b] = (uint8_t)(pt >> (8 * b));
            memset(buf + base_len, 0, (size_t)(tst_align_up(base_len) - base_len));
            m[16] ^= 0x5A; /* random CRC bits: the chance it is right is 2^-32 */
        }
        size_t len = base_len + n;
        REQUIRE(tst_spit(path, buf, len) == 0);

        srd_store *s = tst_open_ok(path, SRD_OPEN_READ_ONLY);
        if (s) {
            CHECK_EQ_U(tst_size_of(s), base_len);
            check_state(s, cur);
            srd_close(s);
        }
        CHECK_MSG(tst_file_equals(path, buf, len), "read-only open modified the file");

        s = tst_open_ok(path, 0);
        if (s) {
            CHECK_EQ_U(tst_size_of(s), base_len);
            CHECK_EQ(tst_file_len(path), (long long)base_len);
            check_state(s, cur);
            CHECK_OK(srd_write(s, SRD_U8(FRESH_KEY), strlen(FRESH_KEY), SRD_U8("new"), 3));
            srd_close(s);
        }
        s = tst_open_ok(path, SRD_OPEN_READ_ONLY);
        if (s) {
            check_state_plus(s, cur, 1);
            const uint8_t *p = NULL;
            size_t vn = 0;
            if (CHECK_OK(srd_read(s, SRD_U8(FRESH_KEY), strlen(FRESH_KEY), &p, &vn)))
                CHECK(vn == 3 && memcmp(p, "new", 3) == 0);
            srd_close(s);
        }
    }
    tst_ctx_clear();
    free(buf);
}

/* Opening `bytes` gives SRD_CORRUPT in every mode and leaves the file as it was. */
static void expect_corrupt_untouched(const char *what, const uint8_t *bytes, size_t len) {
    const char *path = tst_path("corrupt.srd");
    REQUIRE(tst_spit(path, bytes, len) == 0);
    const uint32_t modes[] = {0, SRD_OPEN_READ_ONLY, SRD_OPEN_NO_CREATE, SRD_OPEN_SYNC};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        tst_ctx("%s (%zu bytes), flags 0x%x", what, len, modes[m]);
        srd_store *s = (srd_store *)(uintptr_t)0x5A5A5A50u;
        int32_t st = srd_open(path, modes[m], &s);
        CHECK_STATUS(st, SRD_CORRUPT);
        if (st == SRD_OK) srd_close(s);
        else CHECK(s == (srd_store *)(uintptr_t)0x5A5A5A50u);
        CHECK(srd_last_error_message()[0] != '\0');
        CHECK_MSG(tst_file_equals(path, bytes, len), "the file was modified");
    }
    tst_ctx_clear();
}

static void test_files_without_entries_are_corrupt(void) {
    const char *text = "This is a plain text file.\nIt is not a simd-r-drive store.\n"
                       "key=value\nanother line of text that goes on for a while, a while.\n";
    expect_corrupt_untouched("text file", SRD_U8(text), strlen(text));
    const size_t rsizes[] = {1, 20, 21, 100, 4096, 65536};
    uint8_t *buf = (uint8_t *)malloc(65536);
    REQUIRE(buf != NULL);
    for (size_t i = 0; i < sizeof rsizes / sizeof rsizes[0]; i++) {
        tst_rng r = {0xBAD0 + i};
        tst_rng_fill(&r, buf, rsizes[i]);
        expect_corrupt_untouched("random bytes", buf, rsizes[i]);
    }
    const size_t zsizes[] = {1, 20, 21, 64, 85, 4096};
    memset(buf, 0, 4096);
    for (size_t i = 0; i < sizeof zsizes / sizeof zsizes[0]; i++)
        expect_corrupt_untouched("all zeros", buf, zsizes[i]);
    free(buf);
}

/*
 * A prev_tail link broken in the middle of the chain is corruption, not a torn tail, also
 * when the file additionally ends in a torn entry or garbage (recovering "to the last
 * valid prefix" would silently drop everything after the break).
 */
static void test_broken_chain_in_the_middle_is_corrupt(const uint8_t *base, size_t base_len,
                                                       const struct tst_history *h) {
    const size_t extra_max = 600;
    uint8_t *buf = (uint8_t *)malloc(base_len + extra_max);
    REQUIRE(buf != NULL);
    const int which[] = {1, h->n / 4, h->n / 2, (3 * h->n) / 4, h->n - 2};
    const int bytes[] = {0, 1, 3, 7};
    const char *tails[] = {"", " + 37 random bytes", " + 20 zero bytes", " + a torn 1000-byte entry"};
    for (size_t w = 0; w < sizeof which / sizeof which[0]; w++) {
        for (size_t b = 0; b < sizeof bytes / sizeof bytes[0]; b++) {
            for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
                memcpy(buf, base, base_len);
                uint64_t meta = h->e[which[w]].end - 20;
                buf[meta + 8 + (uint64_t)bytes[b]] ^= bytes[b] == 7 ? 0x80 : 0x01;
                size_t len = base_len;
                tst_rng r = {w * 100 + b * 10 + t};
                if (t == 1) {
                    tst_rng_fill(&r, buf + len, 37);
                    len += 37;
                } else if (t == 2) {
                    memset(buf + len, 0, 20);
                    len += 20;
                } else if (t == 3) {
                    /* padding and the first 500 payload bytes of an entry that never finished */
                    size_t pad = (size_t)(tst_align_up(len) - len);
                    memset(buf + len, 0, pad);
                    tst_rng_fill(&r, buf + len + pad, 500);
                    len += pad + 500;
                }
                char what[128];
                snprintf(what, sizeof what, "prev_tail byte %d of entry %d flipped%s", bytes[b],
                         which[w], tails[t]);
                expect_corrupt_untouched(what, buf, len);
            }
        }
    }
    free(buf);
}

/* A damaged payload is found when that key is read; everything else still reads. */
static void test_flipped_payload_byte_fails_only_that_key(const uint8_t *base, size_t base_len,
                                                          const struct tst_history *h) {
    const char *path = tst_path("payload.srd");
    const struct tst_hist_ent *cur[NK];
    state_at(h, base_len, cur);
    uint8_t *buf = (uint8_t *)malloc(base_len);
    REQUIRE(buf != NULL);
    int tested = 0;
    for (int i = 1; i < h->n - 1 && tested < 6; i += 3) {
        const struct tst_hist_ent *e = &h->e[i];
        if (e->val == NULL || e->len < 2 || cur[e->key] != e) continue; /* live values only */
        tested++;
        uint64_t payload_end = e->end - 20, payload_start = payload_end - e->len;
        const uint64_t at[] = {payload_start, payload_start + e->len / 2, payload_end - 1};
        for (int a = 0; a < 3; a++) {
            tst_ctx("payload byte %" PRIu64 " of entry %d (key %s, %zu bytes)", at[a], i,
                    key_name[e->key], e->len);
            memcpy(buf, base, base_len);
            buf[at[a]] ^= 0x10;
            REQUIRE(tst_spit(path, buf, base_len) == 0);
            for (int ro = 0; ro < 2; ro++) {
                srd_store *s = tst_open_ok(path, ro ? SRD_OPEN_READ_ONLY : 0);
                if (s == NULL) continue;
                CHECK_EQ_U(tst_size_of(s), base_len);
                for (int k = 0; k < NK; k++) {
                    const uint8_t *p = (const uint8_t *)(uintptr_t)0x77;
                    size_t n = 12345;
                    int32_t st = srd_read(s, KEY(k), KLEN(k), &p, &n);
                    if (k == e->key) {
                        CHECK_STATUS(st, SRD_CORRUPT);
                        CHECK(p == (const uint8_t *)(uintptr_t)0x77 && n == 12345);
                        CHECK(srd_last_error_message()[0] != '\0');
                        /* still corrupt the second time, and through srd_read_entry */
                        CHECK_STATUS(srd_read(s, KEY(k), KLEN(k), &p, &n), SRD_CORRUPT);
                        srd_entry *en = (srd_entry *)(uintptr_t)0x99;
                        CHECK_STATUS(srd_read_entry(s, KEY(k), KLEN(k), &en), SRD_CORRUPT);
                        CHECK(en == (srd_entry *)(uintptr_t)0x99);
                    } else if (cur[k] == NULL) {
                        CHECK_STATUS(st, SRD_NOT_FOUND);
                    } else if (CHECK_OK(st) && CHECK_EQ_U(n, cur[k]->len)) {
                        CHECK_MEM(p, cur[k]->val, n);
                    }
                }
                srd_close(s);
                CHECK_MSG(tst_file_equals(path, buf, base_len), "open changed a file with a bad payload");
            }
            /* documented: SRD_OPEN_NO_VERIFY skips the check and hands out the bytes as stored */
            srd_store *s = tst_open_ok(path, SRD_OPEN_NO_VERIFY | SRD_OPEN_READ_ONLY);
            if (s) {
                const uint8_t *p = NULL;
                size_t n = 0;
                if (CHECK_OK(srd_read(s, KEY(e->key), KLEN(e->key), &p, &n)) && CHECK_EQ_U(n, e->len))
                    CHECK_MEM(p, buf + payload_start, n);
                srd_close(s);
            }
        }
    }
    CHECK(tested >= 3);
    tst_ctx_clear();
    free(buf);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_recovery");
    for (int k = 0; k < NK; k++) snprintf(key_name[k], sizeof key_name[k], "rkey-%02d", k);
    double t0 = tst_now();

    struct tst_history *base_h = (struct tst_history *)calloc(1, sizeof *base_h);
    REQUIRE(base_h != NULL);
    const char *base_path = tst_path("base.srd");
    build_base(base_path, base_h);
    size_t base_len = 0;
    uint8_t *base = tst_slurp(base_path, &base_len);
    REQUIRE(base != NULL && base_len == tst_history_end(base_h));
    printf("base store: %d entries, %zu bytes\n", base_h->n, base_len);

    /* the base itself opens with every value intact */
    {
        const struct tst_hist_ent *cur[NK];
        state_at(base_h, base_len, cur);
        srd_store *s = tst_open_ok(base_path, SRD_OPEN_READ_ONLY);
        if (s) {
            check_state(s, cur);
            CHECK_EQ_U(tst_size_of(s), base_len);
            srd_close(s);
        }
    }

    tail_case(TAIL_NEW_1000, "last entry: new key, 1000 bytes", base, base_len, base_h);
    tail_case(TAIL_OVERWRITE_65, "last entry: overwrite, 65 bytes", base, base_len, base_h);
    tail_case(TAIL_TOMBSTONE, "last entry: tombstone", base, base_len, base_h);
    tail_case(TAIL_NEW_1, "last entry: new key, 1 byte", base, base_len, base_h);
    tail_case(TAIL_NEW_63, "last entry: new key, 63 bytes", base, base_len, base_h);
    tail_case(TAIL_NEW_64, "last entry: new key, 64 bytes", base, base_len, base_h);
    tail_case(TAIL_BATCH, "last batch: 6 entries, a repeated key", base, base_len, base_h);
    tail_case(TAIL_BATCH_AFTER_TOMBSTONE, "last batch after a tombstone", base, base_len, base_h);
    tail_case(TAIL_OVERWRITE_100K, "last entry: overwrite, 100 KiB", base, base_len, base_h);

    test_appended_bytes_are_dropped(base, base_len, base_h);
    test_files_without_entries_are_corrupt();
    test_broken_chain_in_the_middle_is_corrupt(base, base_len, base_h);
    test_flipped_payload_byte_fails_only_that_key(base, base_len, base_h);

    printf("test_recovery: %lu cut points tried in %.1f s\n", total_cuts, tst_now() - t0);
    free(base);
    free(base_h);
    for (int i = 0; i < n_owned; i++) free(owned[i]);
    return tst_test_finish();
}

/*
 * test_salvage.c - srd_salvage recovers every intact entry of a damaged store.
 *
 * A base store of 34 entries (10 keys, values of 1 B .. 5000 B, overwrites, tombstones,
 * a batch) is written through the API; the extent [start, end) of every entry is known
 * (start = the previous entry's end = its prev_tail). Each scenario damages a copy of it,
 * then:
 *   - srd_open (read-only and read-write) refuses it with SRD_CORRUPT when a metadata
 *     link in the middle is broken (and leaves it byte for byte unchanged); a damaged
 *     payload opens but reading that key gives SRD_CORRUPT and srd_verify finds it;
 *   - srd_salvage(src, dst, &report) succeeds and writes a new store that opens, passes
 *     srd_verify, and holds exactly the state replayed from every entry except the
 *     damaged ones (values byte for byte; keys whose newest intact entry is a tombstone
 *     stay deleted; a damaged newest version falls back to the previous intact one);
 *   - the report matches: source_size, entries_recovered (all intact entries),
 *     live_keys_written, damaged_regions, bytes_lost (the damaged entries' extents, their
 *     padding included, plus a torn tail), first_damage_offset (UINT64_MAX if none);
 *   - the source file is unchanged (bytes, size, mtime, inode).
 * Scenarios: clean store; a flipped link in a middle entry; a flipped payload byte; a
 * damaged tombstone; two adjacent damaged entries (one region); the first entry damaged;
 * a torn tail (cut inside the last entry); a broken link plus a torn tail (two regions);
 * the only version of a key damaged (that key is lost, nothing else).
 * Errors: dst exists (a store, or any file) -> SRD_INVALID_ARGUMENT, dst untouched;
 * NULL or empty paths -> SRD_INVALID_ARGUMENT; src missing -> SRD_NOT_FOUND; NULL report
 * -> SRD_INVALID_ARGUMENT; a dst in a missing directory -> SRD_IO (the header reserves
 * SRD_NOT_FOUND for a missing src); in every failing case dst is not created. A text file
 * and an empty file salvage to an empty, valid store.
 */
#include "tst_robust.h"

#define NK 10
#define MAXE 64

static char key_name[NK][16];
static const uint8_t *K(int k) { return (const uint8_t *)key_name[k]; }
static size_t KL(int k) { return strlen(key_name[k]); }

struct ent {
    int key;
    const uint8_t *val; /* NULL: tombstone */
    size_t len;
    uint64_t start, end; /* extent in the file, padding included */
};
static struct ent log_[MAXE];
static int nlog;
static uint8_t *base;
static size_t base_len;

static uint64_t last_end(void) { return nlog ? log_[nlog - 1].end : 0; }

/* Set before noting the first entry of a batch: the batch marker that begins it
 * (FORMAT.md, "Batches") is counted in that entry's extent. */
static int marker_before_next;

static void note(srd_store *s, int key, const uint8_t *val, size_t len) {
    REQUIRE(nlog < MAXE);
    uint64_t start = last_end();
    uint64_t from = marker_before_next ? tst_marker_end(start) : start;
    marker_before_next = 0;
    uint64_t end = val ? tst_value_entry_end(from, len) : tst_tombstone_end(from);
    log_[nlog++] = (struct ent){key, val, len, start, end};
    if (s) REQUIRE(tst_size_of(s) == end);
}

static uint8_t *value(int seed, size_t len) {
    uint8_t *v = (uint8_t *)malloc(len);
    REQUIRE(v != NULL);
    tst_rng r = {(uint64_t)seed * 0x9E37 + len};
    tst_rng_fill(&r, v, len);
    v[0] |= 0x80; /* never a lone 0x00 */
    return v;
}

static void put(srd_store *s, int key, size_t len) {
    uint8_t *v = value(nlog, len);
    REQUIRE(srd_write(s, K(key), KL(key), v, len) == SRD_OK);
    note(s, key, v, len);
}

static void del(srd_store *s, int key) {
    REQUIRE(srd_delete(s, K(key), KL(key)) == SRD_OK);
    note(s, key, NULL, 0);
}

static void build_base(void) {
    for (int k = 0; k < NK; k++) snprintf(key_name[k], sizeof key_name[k], "key-%d", k);
    const char *p = tst_path("base.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(p, 0, &s) == SRD_OK);
    static const size_t sz[NK] = {1, 20, 63, 64, 65, 100, 700, 1000, 2500, 5000};
    for (int k = 0; k < NK; k++) put(s, k, sz[k]);          /* 0..9 */
    for (int k = 0; k < 5; k++) put(s, k, 50 + 30 * (size_t)k); /* 10..14 overwrites */
    del(s, 5);                                              /* 15 */
    del(s, 6);                                              /* 16 */
    {                                                       /* 17..20: one batch */
        srd_kv items[4];
        uint8_t *vs[4];
        for (int i = 0; i < 4; i++) {
            vs[i] = value(100 + i, 90 + 17 * (size_t)i);
            items[i] = (srd_kv){K(6 + i), KL(6 + i), vs[i], 90 + 17 * (size_t)i};
        }
        REQUIRE(srd_write_batch(s, items, 4) == SRD_OK);
        marker_before_next = 1;
        for (int i = 0; i < 4; i++) note(NULL, 6 + i, vs[i], items[i].value_len);
        REQUIRE(tst_size_of(s) == last_end());
    }
    for (int k = 0; k < 5; k++) put(s, k, 300 + 11 * (size_t)k); /* 21..25 */
    del(s, 0);                                                   /* 26 */
    put(s, 5, 444);                                              /* 27 */
    put(s, 1, 1200);                                             /* 28 */
    del(s, 2);                                                   /* 29 */
    put(s, 3, 33);                                               /* 30 */
    put(s, 7, 2000);                                             /* 31 */
    put(s, 8, 77);                                               /* 32 */
    put(s, 9, 3000);                                             /* 33: the last entry */
    srd_close(s);
    base = tst_slurp(p, &base_len);
    REQUIRE(base != NULL && base_len == last_end());
}

/* Live state after replaying every entry not in `skip`. */
struct state {
    const uint8_t *val[NK];
    size_t len[NK];
};

static void replay(const int *skip, int nskip, struct state *st) {
    memset(st, 0, sizeof *st);
    for (int i = 0; i < nlog; i++) {
        int skipped = 0;
        for (int j = 0; j < nskip; j++) skipped |= skip[j] == i;
        if (skipped) continue;
        st->val[log_[i].key] = log_[i].val;
        st->len[log_[i].key] = log_[i].len;
    }
}

static uint64_t live_of(const struct state *st) {
    uint64_t n = 0;
    for (int k = 0; k < NK; k++) n += st->val[k] != NULL;
    return n;
}

/* The store at `path` holds exactly `st`. */
static void expect_state(const char *path, const struct state *st) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) return;
    srd_verify_report rep;
    CHECK_OK(srd_verify(s, &rep));
    CHECK_EQ_U(tst_count_of(s), live_of(st));
    for (int k = 0; k < NK; k++) {
        const uint8_t *v = NULL;
        size_t n = 0;
        int32_t r = srd_read(s, K(k), KL(k), &v, &n);
        if (st->val[k]) {
            if (CHECK_MSG(r == SRD_OK, "%s: %s, expected its value", key_name[k], tst_status_name(r)))
                CHECK_MSG(n == st->len[k] && memcmp(v, st->val[k], n) == 0,
                          "%s: salvaged value differs (%zu bytes, expected %zu)", key_name[k], n,
                          st->len[k]);
        } else {
            CHECK_MSG(r == SRD_NOT_FOUND, "%s: %s, expected SRD_NOT_FOUND", key_name[k],
                      tst_status_name(r));
        }
    }
    srd_close(s);
    /* and it is a working store: read-write open, write, reopen */
    s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        CHECK_OK(srd_write(s, (const uint8_t *)"after-salvage", 13, (const uint8_t *)"ok", 2));
        srd_close(s);
    }
}

static int scen_no;
static unsigned long n_scenarios;

struct expect {
    const int *damaged; /* entries lost */
    int ndamaged;
    uint64_t regions, bytes_lost, first;
    int open_refused;  /* srd_open must give SRD_CORRUPT */
};

static void salvage_scenario(const char *what, const uint8_t *bytes, size_t len,
                             const struct expect *ex) {
    tst_ctx("%s", what);
    n_scenarios++;
    char sname[64], dname[64];
    snprintf(sname, sizeof sname, "src-%02d.srd", scen_no);
    snprintf(dname, sizeof dname, "dst-%02d.srd", scen_no++);
    const char *src = tst_path(sname);
    const char *dst = tst_path(dname);
    REQUIRE(tst_spit(src, bytes, len) == 0);
    struct timespec times[2] = {{1100000000, 5}, {1100000000, 5}};
    REQUIRE(utimensat(AT_FDCWD, src, times, 0) == 0);
    struct tst_snap snap;
    tst_snap_take(&snap, src);

    if (ex->open_refused) {
        srd_store *s = (srd_store *)(uintptr_t)0x1;
        CHECK_STATUS(srd_open(src, SRD_OPEN_READ_ONLY, &s), SRD_CORRUPT);
        CHECK_STATUS(srd_open(src, 0, &s), SRD_CORRUPT);
        CHECK(s == (srd_store *)(uintptr_t)0x1);
        CHECK_UNCHANGED(&snap, src);
    }

    srd_salvage_report rep;
    memset(&rep, 0xA5, sizeof rep);
    double t0 = tst_now();
    int32_t st = srd_salvage(src, dst, &rep);
    double dt = tst_now() - t0;
    CHECK_UNCHANGED(&snap, src);
    if (!CHECK_MSG(st == SRD_OK, "srd_salvage: %s (%s)", tst_status_name(st), srd_last_error_message())) {
        tst_snap_free(&snap);
        return;
    }
    struct state want;
    replay(ex->damaged, ex->ndamaged, &want);
    CHECK_EQ_U(rep.source_size, len);
    CHECK_EQ_U(rep.entries_recovered, (uint64_t)(nlog - ex->ndamaged));
    CHECK_EQ_U(rep.live_keys_written, live_of(&want));
    CHECK_EQ_U(rep.damaged_regions, ex->regions);
    CHECK_EQ_U(rep.bytes_lost, ex->bytes_lost);
    CHECK_EQ_U(rep.first_damage_offset, ex->first);
    expect_state(dst, &want);
    char first[32] = "none";
    if (rep.first_damage_offset != UINT64_MAX)
        snprintf(first, sizeof first, "%llu", (unsigned long long)rep.first_damage_offset);
    printf("  %-46s: %llu entries recovered, %llu live keys, %llu damaged region(s), %llu bytes "
           "lost, first damage at %s (%.3f s)\n",
           what, (unsigned long long)rep.entries_recovered,
           (unsigned long long)rep.live_keys_written, (unsigned long long)rep.damaged_regions,
           (unsigned long long)rep.bytes_lost, first, dt);
    tst_snap_free(&snap);
    tst_ctx_clear();
}

static uint64_t meta_of(int i) { return log_[i].end - SRD_FMT_META; }
static uint64_t payload_of(int i) {
    return log_[i].val ? tst_align_up(log_[i].start) : log_[i].start;
}
static uint64_t size_of_entry(int i) { return log_[i].end - log_[i].start; }

static void test_scenarios(void) {
    uint8_t *f = (uint8_t *)malloc(base_len);
    REQUIRE(f != NULL);

    {
        struct expect ex = {NULL, 0, 0, 0, UINT64_MAX, 0};
        salvage_scenario("clean store", base, base_len, &ex);
    }
    { /* entry 12 (key-2's second version) : byte 5 of its prev_tail -> a huge link */
        int m = 12;
        memcpy(f, base, base_len);
        f[meta_of(m) + 8 + 5] ^= 0xFF;
        int d[] = {m};
        struct expect ex = {d, 1, 1, size_of_entry(m), log_[m].start, 1};
        salvage_scenario("flipped metadata link in a middle entry", f, base_len, &ex);
    }
    { /* entry 21 (key-0's third version): a payload byte */
        int m = 21;
        memcpy(f, base, base_len);
        f[payload_of(m) + log_[m].len / 2] ^= 0x01;
        int d[] = {m};
        struct expect ex = {d, 1, 1, size_of_entry(m), log_[m].start, 0};
        /* the file opens (only the newest entry's checksum is checked at open) ... */
        const char *p = tst_path("payload-damaged.srd");
        REQUIRE(tst_spit(p, f, base_len) == 0);
        srd_store *s = NULL;
        if (CHECK_OK(srd_open(p, SRD_OPEN_READ_ONLY, &s))) {
            srd_verify_report vr;
            CHECK_STATUS(srd_verify(s, &vr), SRD_CORRUPT);
            CHECK_EQ_U(vr.bad_entries, 1);
            CHECK_EQ_U(vr.first_bad_offset, payload_of(m));
            srd_close(s);
        }
        salvage_scenario("flipped payload byte in a middle entry", f, base_len, &ex);
    }
    { /* entry 16 (tombstone of key-6): its checksum -> salvage drops it; key-6 was
       * rewritten by the batch (entry 17), so nothing comes back */
        int m = 16;
        memcpy(f, base, base_len);
        f[meta_of(m) + 16] ^= 0xFF;
        int d[] = {m};
        struct expect ex = {d, 1, 1, size_of_entry(m), log_[m].start, 0};
        salvage_scenario("damaged tombstone (key rewritten later)", f, base_len, &ex);
    }
    { /* entry 29 (tombstone of key-2): damaged -> key-2's older value (entry 23) returns */
        int m = 29;
        memcpy(f, base, base_len);
        f[meta_of(m) + 2] ^= 0x10; /* its key hash: the checksum does not cover it... */
        f[log_[m].start] ^= 0x01;  /* ...so damage its payload byte too */
        int d[] = {m};
        struct expect ex = {d, 1, 1, size_of_entry(m), log_[m].start, 0};
        salvage_scenario("damaged tombstone (older value comes back)", f, base_len, &ex);
    }
    { /* entries 7 and 8, adjacent: one region */
        memcpy(f, base, base_len);
        f[payload_of(7) + 3] ^= 0x40;
        f[payload_of(8) + 100] ^= 0x40;
        int d[] = {7, 8};
        struct expect ex = {d, 2, 1, size_of_entry(7) + size_of_entry(8), log_[7].start, 0};
        salvage_scenario("two adjacent damaged entries", f, base_len, &ex);
    }
    { /* the first entry */
        memcpy(f, base, base_len);
        f[payload_of(0)] ^= 0x02;
        int d[] = {0};
        struct expect ex = {d, 1, 1, size_of_entry(0), 0, 0};
        salvage_scenario("first entry damaged", f, base_len, &ex);
    }
    { /* torn tail: cut in the middle of the last entry's payload */
        int m = nlog - 1;
        size_t cut = (size_t)payload_of(m) + log_[m].len / 2;
        int d[] = {m};
        struct expect ex = {d, 1, 1, cut - log_[m].start, log_[m].start, 0};
        salvage_scenario("torn tail (last entry cut short)", base, cut, &ex);
    }
    { /* broken link in the middle + torn tail: two regions */
        int m = 19, t = nlog - 1;
        memcpy(f, base, base_len);
        f[meta_of(m) + 8 + 6] ^= 0x5A;
        size_t cut = (size_t)meta_of(t) + 7;
        int d[] = {m, t};
        struct expect ex = {d, 2, 2, size_of_entry(m) + (cut - log_[t].start), log_[m].start, 1};
        salvage_scenario("broken link in the middle and a torn tail", f, cut, &ex);
    }
    { /* entry 4 is key-4's first version; entry 14 its second; entry 25 its third.
       * Damage 25's link: key-4 falls back to entry 14. */
        int m = 25;
        memcpy(f, base, base_len);
        f[meta_of(m) + 8 + 7] ^= 0x80;
        int d[] = {m};
        struct expect ex = {d, 1, 1, size_of_entry(m), log_[m].start, 1};
        salvage_scenario("newest version lost, previous one kept", f, base_len, &ex);
    }
    { /* entry 27 is the only live version of key-5 after its deletion: it is lost */
        int m = 27;
        memcpy(f, base, base_len);
        f[meta_of(m) + 8 + 4] ^= 0x01;
        int d[] = {m};
        struct expect ex = {d, 1, 1, size_of_entry(m), log_[m].start, 1};
        salvage_scenario("the only live version of a key damaged", f, base_len, &ex);
    }
    free(f);
}

static void test_errors(void) {
    tst_ctx("errors");
    const char *src = tst_path("err-src.srd");
    REQUIRE(tst_spit(src, base, base_len) == 0);
    const char *dst_store = tst_path("err-dst-store.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(dst_store, 0, &s) == SRD_OK);
    REQUIRE(srd_write(s, (const uint8_t *)"x", 1, (const uint8_t *)"y", 1) == SRD_OK);
    srd_close(s);
    const char *dst_file = tst_path("err-dst-file.txt");
    REQUIRE(tst_spit(dst_file, "keep me", 7) == 0);
    const char *dst_new = tst_path("err-dst-new.srd");
    const char *missing = tst_path("no-such-src.srd");
    const char *dst_in_missing_dir = tst_path("no-such-dir/dst.srd");

    struct tst_snap ssrc, sstore, sfile;
    tst_snap_take(&ssrc, src);
    tst_snap_take(&sstore, dst_store);
    tst_snap_take(&sfile, dst_file);
    srd_salvage_report rep, sentinel;
    memset(&sentinel, 0xA5, sizeof sentinel);

#define SALVAGE_FAILS(a, b, want)                                                              \
    do {                                                                                       \
        rep = sentinel;                                                                        \
        CHECK_STATUS(srd_salvage((a), (b), &rep), (want));                                     \
        CHECK_MSG(memcmp(&rep, &sentinel, sizeof rep) == 0, "report written on failure");      \
        CHECK(srd_last_error_message()[0] != '\0');                                            \
    } while (0)

    SALVAGE_FAILS(src, dst_store, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(src, dst_file, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(src, src, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(NULL, dst_new, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(src, NULL, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS("", dst_new, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(src, "", SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(NULL, NULL, SRD_INVALID_ARGUMENT);
    SALVAGE_FAILS(missing, dst_new, SRD_NOT_FOUND);
    CHECK(!tst_file_exists(dst_new));
    CHECK_STATUS(srd_salvage(src, dst_new, NULL), SRD_INVALID_ARGUMENT);
    CHECK(!tst_file_exists(dst_new));
    /* the header reserves SRD_NOT_FOUND for a missing src_path; a dst that cannot be
     * created is an operating-system failure: SRD_IO */
    rep = sentinel;
    int32_t st = srd_salvage(src, dst_in_missing_dir, &rep);
    CHECK_MSG(st == SRD_IO,
              "srd_salvage with dst in a missing directory returned %s (\"%s\"); the header "
              "documents SRD_NOT_FOUND only for a missing src_path, so a caller would wrongly "
              "conclude that the source is missing",
              tst_status_name(st), srd_last_error_message());
    CHECK(memcmp(&rep, &sentinel, sizeof rep) == 0);
    CHECK(!tst_file_exists(dst_in_missing_dir));
    CHECK_UNCHANGED(&ssrc, src);
    CHECK_UNCHANGED(&sstore, dst_store);
    CHECK_UNCHANGED(&sfile, dst_file);
    tst_snap_free(&ssrc);
    tst_snap_free(&sstore);
    tst_snap_free(&sfile);

    /* a text file and an empty file salvage to an empty, valid store */
    const char *text = tst_path("text.txt");
    const char *msg = "this is not a store, just some text\n";
    REQUIRE(tst_spit(text, msg, strlen(msg)) == 0);
    const char *tdst = tst_path("text-salvaged.srd");
    if (CHECK_OK(srd_salvage(text, tdst, &rep))) {
        CHECK_EQ_U(rep.entries_recovered, 0);
        CHECK_EQ_U(rep.live_keys_written, 0);
        CHECK_EQ_U(rep.damaged_regions, 1);
        CHECK_EQ_U(rep.bytes_lost, strlen(msg));
        CHECK_EQ_U(rep.first_damage_offset, 0);
        CHECK_EQ_U(rep.source_size, strlen(msg));
        s = NULL;
        if (CHECK_OK(srd_open(tdst, SRD_OPEN_READ_ONLY, &s))) {
            CHECK_EQ_U(tst_count_of(s), 0);
            srd_close(s);
        }
    }
    const char *empty = tst_path("empty.srd");
    REQUIRE(tst_spit(empty, "", 0) == 0);
    const char *edst = tst_path("empty-salvaged.srd");
    if (CHECK_OK(srd_salvage(empty, edst, &rep))) {
        CHECK_EQ_U(rep.source_size, 0);
        CHECK_EQ_U(rep.entries_recovered, 0);
        CHECK_EQ_U(rep.damaged_regions, 0);
        CHECK_EQ_U(rep.bytes_lost, 0);
        CHECK_EQ_U(rep.first_damage_offset, UINT64_MAX);
        CHECK(tst_file_exists(edst));
    }
    printf("  errors: dst exists / is src / NULL / empty -> SRD_INVALID_ARGUMENT, missing src -> "
           "SRD_NOT_FOUND, NULL report -> SRD_INVALID_ARGUMENT; dst never created, src and "
           "existing dst untouched; text and empty files give empty stores\n");
    tst_ctx_clear();
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_salvage");
    build_base();
    printf("test_salvage: base store of %d entries, %zu bytes\n", nlog, base_len);
    test_scenarios();
    test_errors();
    printf("test_salvage: %lu damage scenarios salvaged\n", n_scenarios);
    for (int i = 0; i < nlog; i++) free((void *)log_[i].val);
    free(base);
    return tst_test_finish();
}

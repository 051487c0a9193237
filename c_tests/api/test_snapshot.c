/*
 * test_snapshot.c - srd_snapshot: a read-only handle frozen at the moment it was taken.
 *
 * Each test_* function states the behaviour it proves. Every read function of the header
 * answers through the snapshot exactly as the store answered when it was taken, while the
 * store is overwritten, deleted from, grown (srd_reserve) and compacted; values borrowed
 * from the snapshot stay valid and unchanged across srd_compact and srd_close of the store;
 * every change through it is SRD_READ_ONLY; srd_refresh on it does nothing; a snapshot of a
 * snapshot shows the same moment; a snapshot of a read-only handle does not move while
 * another process (fork + exec of this program) writes and the handle refreshes.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_proc.h"
#include "tst_robust.h"

#include <pthread.h>

#define K(s) SRD_U8(s), strlen(s)
#define NKEYS 24
#define BIG_LEN (100 * 1024 + 7)

/* The value of key i at generation g: "g<g> k<i>" then a pattern (key 5 is large). */
static size_t val_len(int i) { return i == 5 ? BIG_LEN : (size_t)(20 + 37 * i); }
static void make_val(uint8_t *buf, int i, int g) {
    size_t n = val_len(i);
    tst_fill_pattern(buf, n, (uint32_t)(g * 1000 + i + 1));
    char head[24];
    int h = snprintf(head, sizeof head, "g%d k%d ", g, i);
    memcpy(buf, head, (size_t)h);
}
static void key_name(char *out, size_t n, int i) { snprintf(out, n, "key-%02d", i); }

/* What the store held at the moment of a snapshot, and the borrowed pointers read then. */
struct moment {
    uint64_t count, size, entries, reclaimable;
    uint64_t last_hash;
    size_t last_len;
    uint8_t *last_copy;
    int live[NKEYS];
    int gen[NKEYS];
    uint64_t version[NKEYS];
    const uint8_t *ptr[NKEYS];
    size_t len[NKEYS];
    uint8_t *copy[NKEYS];
};

static void record_moment(const srd_store *snap, struct moment *m) {
    memset(m, 0, sizeof *m);
    m->count = tst_count_of(snap);
    m->size = tst_size_of(snap);
    m->entries = tst_entry_count_of(snap);
    CHECK_OK(srd_reclaimable_bytes(snap, &m->reclaimable));
    const uint8_t *lv = NULL;
    if (CHECK_OK(srd_read_last(snap, &m->last_hash, &lv, &m->last_len))) {
        m->last_copy = (uint8_t *)malloc(m->last_len);
        if (m->last_copy) memcpy(m->last_copy, lv, m->last_len);
    }
    for (int i = 0; i < NKEYS; i++) {
        char k[16];
        key_name(k, sizeof k, i);
        srd_status st = srd_read(snap, K(k), &m->ptr[i], &m->len[i]);
        m->live[i] = st == SRD_OK;
        if (!m->live[i]) continue;
        m->copy[i] = (uint8_t *)malloc(m->len[i]);
        if (m->copy[i]) memcpy(m->copy[i], m->ptr[i], m->len[i]);
        CHECK_OK(srd_version_of(snap, K(k), &m->version[i]));
    }
}

static void free_moment(struct moment *m) {
    free(m->last_copy);
    for (int i = 0; i < NKEYS; i++) free(m->copy[i]);
}

/* Every read function of the header, through `snap`, answers as at moment m; the pointers
 * borrowed then (m->ptr) still hold the same bytes and are the ones srd_read gives now. */
static void expect_moment(const srd_store *snap, const struct moment *m, const char *when) {
    tst_ctx("%s", when);
    CHECK_EQ_U(tst_count_of(snap), m->count);
    CHECK_EQ_U(tst_size_of(snap), m->size);
    CHECK_EQ_U(tst_entry_count_of(snap), m->entries);
    uint64_t rb = 0;
    CHECK_OK(srd_reclaimable_bytes(snap, &rb));
    CHECK_EQ_U(rb, m->reclaimable);
    uint64_t lh = 0;
    const uint8_t *lv = NULL;
    size_t ll = 0;
    if (CHECK_OK(srd_read_last(snap, &lh, &lv, &ll))) {
        CHECK_EQ_U(lh, m->last_hash);
        if (CHECK_EQ_U(ll, m->last_len)) CHECK_MEM(lv, m->last_copy, ll);
    }
    srd_key keys[NKEYS];
    uint64_t hashes[NKEYS];
    char names[NKEYS][16];
    for (int i = 0; i < NKEYS; i++) {
        key_name(names[i], sizeof names[i], i);
        keys[i] = (srd_key){SRD_U8(names[i]), strlen(names[i])};
        hashes[i] = tst_hash_of(names[i]);
        const uint8_t *p = NULL;
        size_t n = 0;
        srd_status st = srd_read(snap, K(names[i]), &p, &n);
        if (!m->live[i]) {
            CHECK_STATUS(st, SRD_NOT_FOUND);
            CHECK_STATUS(srd_exists(snap, K(names[i])), SRD_NOT_FOUND);
            CHECK_STATUS(srd_exists_with_hash(snap, hashes[i]), SRD_NOT_FOUND);
            uint64_t v = SENTINEL_U64;
            CHECK_STATUS(srd_version_of(snap, K(names[i]), &v), SRD_NOT_FOUND);
            continue;
        }
        if (!CHECK_OK(st)) continue;
        CHECK(p == m->ptr[i]);
        CHECK_EQ_U(n, m->len[i]);
        /* the pointer borrowed at the moment still holds the same bytes */
        CHECK_MEM(m->ptr[i], m->copy[i], m->len[i]);
        CHECK_OK(srd_exists(snap, K(names[i])));
        CHECK_OK(srd_exists_with_hash(snap, hashes[i]));
        const uint8_t *ph = NULL;
        size_t nh = 0;
        if (CHECK_OK(srd_read_with_hash(snap, hashes[i], &ph, &nh))) CHECK(ph == p && nh == n);
        uint64_t v = 0;
        if (CHECK_OK(srd_version_of(snap, K(names[i]), &v))) CHECK_EQ_U(v, m->version[i]);
        srd_entry *e = NULL;
        if (CHECK_OK(srd_read_entry(snap, K(names[i]), &e))) {
            size_t en = 0;
            const uint8_t *ep = srd_entry_data(e, &en);
            if (CHECK_EQ_U(en, m->len[i])) CHECK_MEM(ep, m->copy[i], en);
            uint64_t off = 0;
            CHECK_OK(srd_entry_offset(e, &off));
            CHECK_EQ_U(off, m->version[i]);
            CHECK_OK(srd_entry_verify(e));
            srd_entry_free(e);
        }
        e = NULL;
        if (CHECK_OK(srd_read_entry_with_hash(snap, hashes[i], &e))) srd_entry_free(e);
    }
    srd_read_result res[NKEYS], resh[NKEYS];
    if (CHECK_OK(srd_read_batch(snap, keys, NKEYS, res)) &&
        CHECK_OK(srd_read_batch_with_hash(snap, hashes, NKEYS, resh))) {
        for (int i = 0; i < NKEYS; i++) {
            CHECK_STATUS(res[i].status, m->live[i] ? SRD_OK : SRD_NOT_FOUND);
            CHECK_STATUS(resh[i].status, m->live[i] ? SRD_OK : SRD_NOT_FOUND);
            if (m->live[i] && res[i].status == SRD_OK) {
                CHECK(res[i].value == m->ptr[i] && res[i].value_len == m->len[i]);
                CHECK(resh[i].value == m->ptr[i] && resh[i].value_len == m->len[i]);
            }
        }
    }
    /* iteration: exactly the live keys of the moment, once each */
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(snap, &it))) {
        int seen[NKEYS] = {0};
        uint64_t h;
        const uint8_t *v;
        size_t n;
        uint64_t total = 0, unknown = 0;
        while (srd_iter_next(it, &h, &v, &n) == SRD_OK) {
            total++;
            int found = -1;
            for (int i = 0; i < NKEYS; i++)
                if (hashes[i] == h) found = i;
            if (found < 0) {
                unknown++;
                continue;
            }
            seen[found]++;
            if (m->live[found] && CHECK_EQ_U(n, m->len[found])) CHECK_MEM(v, m->copy[found], n);
        }
        CHECK_EQ_U(total, m->count);
        CHECK_EQ_U(unknown, 0);
        for (int i = 0; i < NKEYS; i++) CHECK_EQ(seen[i], m->live[i] ? 1 : 0);
        srd_iter_free(it);
    }
    srd_verify_report rep;
    memset(&rep, 0, sizeof rep);
    if (CHECK_OK(srd_verify(snap, &rep))) {
        CHECK_EQ_U(rep.bad_entries, 0);
        CHECK_EQ_U(rep.file_size, m->size);
        CHECK_EQ_U(rep.entries_checked, m->entries);
    }
    tst_ctx_clear();
}

static void write_generation(srd_store *s, int g, int from, int to) {
    uint8_t *buf = (uint8_t *)malloc(BIG_LEN);
    REQUIRE(buf != NULL);
    for (int i = from; i < to; i++) {
        char k[16];
        key_name(k, sizeof k, i);
        make_val(buf, i, g);
        CHECK_OK(srd_write(s, K(k), buf, val_len(i)));
    }
    free(buf);
}

static void expect_refused_changes(srd_store *snap) {
    const uint8_t *x = SRD_U8("x");
    srd_kv kv = {x, 1, x, 1};
    srd_key kk = {SRD_U8("key-01"), 6};
    srd_op op = {SRD_OP_WRITE, x, 1, x, 1};
    uint64_t del = SENTINEL_U64;
    CHECK_STATUS(srd_write(snap, K("key-01"), x, 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_write_with_hash(snap, 1234, x, 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete(snap, K("key-01")), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete_with_hash(snap, tst_hash_of("key-01")), SRD_READ_ONLY);
    CHECK_STATUS(srd_write_batch(snap, &kv, 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_delete_batch(snap, &kk, 1), SRD_READ_ONLY);
    CHECK_STATUS(srd_apply_batch(snap, &op, 1, &del), SRD_READ_ONLY);
    CHECK_EQ_U(del, SENTINEL_U64);
    CHECK_STATUS(srd_rename(snap, K("key-01"), K("renamed")), SRD_READ_ONLY);
    CHECK_STATUS(srd_write_if_absent(snap, K("brand-new"), x, 1), SRD_READ_ONLY);
    uint64_t v = 0;
    if (CHECK_OK(srd_version_of(snap, K("key-01"), &v))) {
        CHECK_STATUS(srd_write_if_version(snap, K("key-01"), v, x, 1), SRD_READ_ONLY);
        CHECK_STATUS(srd_delete_if_version(snap, K("key-01"), v), SRD_READ_ONLY);
    }
    srd_stream *st = SENTINEL_STREAM;
    CHECK_STATUS(srd_stream_begin(snap, K("streamed"), &st), SRD_READ_ONLY);
    CHECK(st == SENTINEL_STREAM);
    st = SENTINEL_STREAM;
    CHECK_STATUS(srd_stream_begin_with_hash(snap, 99, &st), SRD_READ_ONLY);
    CHECK(st == SENTINEL_STREAM);
    CHECK_STATUS(srd_compact(snap), SRD_READ_ONLY);
    CHECK_STATUS(srd_compact_progress(snap, NULL, NULL), SRD_READ_ONLY);
    CHECK_OK(srd_refresh(snap)); /* does nothing */
}

static void test_snapshot_reads_see_exactly_their_moment_across_writes_deletes_growth_and_compaction(void) {
    const char *p = tst_path("snap.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    write_generation(s, 0, 0, NKEYS);
    CHECK_OK(srd_delete(s, K("key-03")));
    CHECK_OK(srd_delete(s, K("key-20")));
    write_generation(s, 1, 8, 12); /* some dead versions: reclaimable bytes */
    CHECK_OK(srd_delete(s, K("key-23")));
    write_generation(s, 1, 22, 23); /* newest entry: key-22 */

    srd_store *snap = SENTINEL_STORE;
    REQUIRE(srd_snapshot(s, &snap) == SRD_OK && snap != SENTINEL_STORE && snap != NULL);
    struct moment m;
    record_moment(snap, &m);
    CHECK_EQ_U(m.count, NKEYS - 3);
    CHECK(!m.live[3] && !m.live[20] && !m.live[23] && m.live[5]);
    expect_moment(snap, &m, "right after the snapshot");

    /* The store moves on: overwrites, deletes, new keys, srd_reserve, a stream. */
    write_generation(s, 2, 0, NKEYS);
    CHECK_OK(srd_delete(s, K("key-05")));
    CHECK_OK(srd_delete(s, K("key-07")));
    srd_key dk[2] = {{SRD_U8("key-00"), 6}, {SRD_U8("key-01"), 6}};
    CHECK_OK(srd_delete_batch(s, dk, 2));
    CHECK_OK(srd_rename(s, K("key-10"), K("key-03")));
    CHECK_OK(srd_reserve(s, 100000));
    for (int i = 0; i < 200; i++) {
        char k[24];
        snprintf(k, sizeof k, "grow-%03d", i);
        tst_put_str(s, k, "growing the store");
    }
    srd_stream *st = tst_begin_stream(s, "key-02");
    if (st) {
        uint8_t chunk[4096];
        tst_fill_pattern(chunk, sizeof chunk, 77);
        for (int i = 0; i < 64; i++) CHECK_OK(srd_stream_write(st, chunk, sizeof chunk));
        CHECK_OK(srd_stream_commit(st));
    }
    CHECK(tst_size_of(s) > m.size);
    expect_moment(snap, &m, "after overwrites, deletes, rename, reserve, stream");

    /* A snapshot of the snapshot shows the same moment, and outlives its source. */
    srd_store *snap2 = NULL;
    REQUIRE(srd_snapshot(snap, &snap2) == SRD_OK && snap2 != NULL);
    expect_moment(snap2, &m, "snapshot of the snapshot");

    CHECK_OK(srd_compact(s));
    CHECK(tst_size_of(s) != m.size);
    expect_moment(snap, &m, "after srd_compact of the store");
    /* a second snapshot taken now sees the compacted store, not the first's moment */
    srd_store *later = NULL;
    if (CHECK_OK(srd_snapshot(s, &later))) {
        CHECK_EQ_U(tst_size_of(later), tst_size_of(s));
        tst_expect_absent(later, "key-05");
        srd_close(later);
    }
    write_generation(s, 3, 0, 4);
    CHECK_OK(srd_compact(s));
    srd_close(s);
    expect_moment(snap, &m, "after srd_close of the store");

    /* The store file replaced from outside: the snapshot still holds its own pages. */
    s = tst_open_rw(p);
    if (s) {
        write_generation(s, 4, 0, NKEYS);
        CHECK_OK(srd_compact(s));
        srd_close(s);
    }
    expect_moment(snap, &m, "after another handle rewrote the file");
    expect_refused_changes(snap);
    expect_moment(snap, &m, "after refused changes and srd_refresh");
    srd_close(snap);
    expect_moment(snap2, &m, "snapshot of a closed snapshot");
    expect_refused_changes(snap2);
    srd_close(snap2);
    free_moment(&m);

    /* The refused changes left the file alone. */
    s = tst_open_ro(p);
    if (s) {
        tst_expect_absent(s, "brand-new");
        tst_expect_absent(s, "renamed");
        srd_close(s);
    }
}

static void test_snapshot_validates_its_arguments(void) {
    const char *p = tst_path("snap-args.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    srd_store *out = SENTINEL_STORE;
    CHECK_STATUS(srd_snapshot(NULL, &out), SRD_INVALID_ARGUMENT);
    CHECK(out == SENTINEL_STORE);
    CHECK(strlen(srd_last_error_message()) > 0);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    CHECK_STATUS(srd_snapshot(s, NULL), SRD_INVALID_ARGUMENT);
    /* snapshot of an empty store and of a read-only handle */
    srd_close(s);
    const char *e = tst_path("snap-empty.srd");
    s = tst_open_rw(e);
    if (!s) return;
    srd_store *snap = NULL;
    if (CHECK_OK(srd_snapshot(s, &snap))) {
        tst_put_str(s, "k", "v");
        CHECK_EQ_U(tst_count_of(snap), 0);
        CHECK_EQ_U(tst_size_of(snap), 0);
        tst_expect_absent(snap, "k");
        tst_expect_no_last(snap);
        srd_close(snap);
    }
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* Another process writes; a read-only handle refreshes                */
/* ------------------------------------------------------------------ */

#define GROUP 8
#define GVAL 3000

static void group_value(uint8_t *buf, int g, int i) {
    tst_fill_pattern(buf, GVAL, (uint32_t)g * 31u + 7u);
    snprintf((char *)buf, 24, "gen %08d key %d", g, i);
}

/* Child: writes generations first..last, each an srd_write_batch of GROUP keys. */
static int writer_main(const char *path, int first, int last, long pause_us) {
    srd_store *s = NULL;
    for (int tries = 0; srd_open(path, 0, &s) == SRD_LOCKED && tries < 500; tries++) tst_sleep_us(10000);
    if (!s) return 3;
    uint8_t vals[GROUP][GVAL];
    char names[GROUP][16];
    srd_kv kv[GROUP];
    for (int g = first; g <= last; g++) {
        for (int i = 0; i < GROUP; i++) {
            snprintf(names[i], sizeof names[i], "grp-%d", i);
            group_value(vals[i], g, i);
            kv[i] = (srd_kv){SRD_U8(names[i]), strlen(names[i]), vals[i], GVAL};
        }
        if (srd_write_batch(s, kv, GROUP) != SRD_OK) return 4;
        if (pause_us > 0) tst_sleep_us(pause_us); /* let the reader interleave */
    }
    srd_close(s);
    return 0;
}

/* The generation all group keys hold through `st`, -1 if absent, -2 if mixed or wrong. */
static int group_gen(const srd_store *st) {
    srd_key keys[GROUP];
    char names[GROUP][16];
    for (int i = 0; i < GROUP; i++) {
        snprintf(names[i], sizeof names[i], "grp-%d", i);
        keys[i] = (srd_key){SRD_U8(names[i]), strlen(names[i])};
    }
    srd_read_result r[GROUP];
    if (srd_read_batch(st, keys, GROUP, r) != SRD_OK) return -2;
    if (r[0].status == SRD_NOT_FOUND) return -1;
    int g0 = -1;
    uint8_t want[GVAL];
    for (int i = 0; i < GROUP; i++) {
        if (r[i].status != SRD_OK || r[i].value_len != GVAL) return -2;
        int g = atoi((const char *)r[i].value + 4);
        if (i == 0) g0 = g;
        if (g != g0) return -2;
        group_value(want, g, i);
        if (memcmp(want, r[i].value, GVAL) != 0) return -2;
    }
    return g0;
}

static void test_snapshot_of_read_only_handle_does_not_move_while_another_process_writes(void) {
    const char *p = tst_path("snap-proc.srd");
    char first[16], last[16];
    int gens1 = (int)tst_scaled(40, 5), gens2 = (int)tst_scaled(600, 60);
    /* generation 1..gens1 by a first writer process, then the reader opens */
    snprintf(first, sizeof first, "%d", 1);
    snprintf(last, sizeof last, "%d", gens1);
    pid_t pid = tst_spawn_self("--writer", p, first, last, (const char *)NULL);
    REQUIRE(pid > 0);
    int status = 0;
    CHECK(tst_wait(pid, 120, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    srd_store *ro = tst_open_ro(p);
    REQUIRE(ro != NULL);
    CHECK_EQ(group_gen(ro), gens1);
    srd_store *snap = NULL;
    REQUIRE(srd_snapshot(ro, &snap) == SRD_OK);
    uint64_t snap_size = tst_size_of(snap), snap_entries = tst_entry_count_of(snap);
    const uint8_t *borrowed = NULL;
    size_t blen = 0;
    CHECK_OK(srd_read(snap, K("grp-3"), &borrowed, &blen));
    uint8_t want[GVAL];
    group_value(want, gens1, 3);

    snprintf(first, sizeof first, "%d", gens1 + 1);
    snprintf(last, sizeof last, "%d", gens1 + gens2);
    pid = tst_spawn_self("--writer", p, first, last, "500", (const char *)NULL);
    REQUIRE(pid > 0);
    long refreshes = 0, moved = 0, bad = 0, snap_bad = 0;
    int last_seen = gens1;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        CHECK_OK(srd_refresh(ro));
        refreshes++;
        int g = group_gen(ro);
        if (g < last_seen) bad++;
        else if (g > last_seen) moved++, last_seen = g;
        if (group_gen(snap) != gens1) snap_bad++;
        /* a snapshot taken now is a consistent moment too */
        srd_store *s2 = NULL;
        if (srd_snapshot(ro, &s2) == SRD_OK) {
            if (group_gen(s2) < g) bad++;
            srd_close(s2);
        }
        if (r == pid) break;
        tst_sleep_us(1000);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_OK(srd_refresh(ro));
    CHECK_EQ(group_gen(ro), gens1 + gens2);
    CHECK_EQ(bad, 0);
    CHECK_EQ(snap_bad, 0);
    CHECK_EQ(group_gen(snap), gens1);
    CHECK_EQ_U(tst_size_of(snap), snap_size);
    CHECK_EQ_U(tst_entry_count_of(snap), snap_entries);
    CHECK(tst_size_of(ro) > snap_size);
    CHECK_OK(srd_refresh(snap));
    CHECK_EQ(group_gen(snap), gens1);
    if (CHECK_EQ_U(blen, GVAL)) CHECK_MEM(borrowed, want, GVAL);
    srd_close(ro);
    if (CHECK_EQ_U(blen, GVAL)) CHECK_MEM(borrowed, want, GVAL);
    CHECK_EQ(group_gen(snap), gens1);
    printf("  read-only handle beside a writer process: %ld refreshes, moved %ld times, snapshot "
           "stayed at generation %d\n",
           refreshes, moved, gens1);
    srd_close(snap);
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "--writer") == 0)
        return writer_main(argv[2], atoi(argv[3]), atoi(argv[4]), argc >= 6 ? atol(argv[5]) : 0);
    tst_test_init(argc, argv, "test_snapshot");
    REQUIRE(tst_self_exe() != NULL);
    test_snapshot_reads_see_exactly_their_moment_across_writes_deletes_growth_and_compaction();
    test_snapshot_validates_its_arguments();
    test_snapshot_of_read_only_handle_does_not_move_while_another_process_writes();
    return tst_test_finish();
}

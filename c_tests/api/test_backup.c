/*
 * test_backup.c - srd_backup (docs/durability-and-recovery.md "Backups").
 *
 * Each test_* function states the behaviour it proves: a first backup is a byte copy of the
 * store; a later one extends the earlier backup in place (same inode, bytes equal to the
 * store's); after srd_compact it is written anew and renamed over (new inode); progress ends
 * with done == total; refusals (the store itself, a directory, a file that is not a store, a
 * store open for writing by another process, NULL and empty paths) leave dst alone; backups
 * by a read-only handle while another process writes batches each open on their own at a
 * batch boundary; a backup process SIGKILLed mid-copy leaves the earlier backup openable
 * with its old contents, and the next backup completes it.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_proc.h"
#include "tst_robust.h"
#include "tst_safety.h"

#define K(s) SRD_U8(s), strlen(s)

static ino_t inode_of(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 ? st.st_ino : (ino_t)0;
}

/* dst holds exactly the bytes of src. */
static int same_file_bytes(const char *src, const char *dst) {
    size_t n = 0;
    uint8_t *b = tst_slurp(src, &n);
    if (!b) return 0;
    int same = tst_file_equals(dst, b, n);
    free(b);
    return same;
}

static void put_seeded(srd_store *s, const char *key, uint64_t seed, size_t len) {
    uint8_t *b = (uint8_t *)malloc(len);
    REQUIRE(b != NULL);
    tst_sv_fill(seed, b, len);
    CHECK_OK(srd_write(s, K(key), b, len));
    free(b);
}

static int has_seeded(const srd_store *s, const char *key, uint64_t seed, size_t len) {
    const uint8_t *v = NULL;
    size_t n = 0;
    return srd_read(s, K(key), &v, &n) == SRD_OK && n == len && tst_sv_equals(seed, v, n);
}

/* ------------------------------------------------------------------ */

static void test_backup_full_then_incremental_in_place_then_full_after_compaction(void) {
    const char *p = tst_path("src.srd");
    const char *b = tst_path("backup.srd");
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.backup.tmp", b);
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    for (int i = 0; i < 30; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%02d", i);
        put_seeded(s, k, (uint64_t)i, 100 + (size_t)i * 997);
    }
    CHECK_OK(srd_delete(s, K("k03")));

    /* 1. full copy */
    struct tst_progress_log log;
    memset(&log, 0, sizeof log);
    CHECK_OK(srd_backup(s, b, tst_progress_cb, &log));
    CHECK(same_file_bytes(p, b));
    CHECK_EQ_U((uint64_t)tst_file_len(b), tst_size_of(s));
    tst_check_progress(&log, tst_size_of(s));
    CHECK(!tst_file_exists(tmp));
    ino_t ino1 = inode_of(b);
    srd_store *r = tst_open_ro(b);
    if (r) {
        CHECK(has_seeded(r, "k29", 29, 100 + 29 * 997));
        tst_expect_absent(r, "k03");
        srd_verify_report rep;
        if (CHECK_OK(srd_verify(r, &rep))) CHECK_EQ_U(rep.bad_entries, 0);
        srd_close(r);
    }

    /* 2. incremental: extended in place */
    uint64_t size1 = tst_size_of(s);
    for (int i = 30; i < 45; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%02d", i);
        put_seeded(s, k, (uint64_t)i, 5000 + (size_t)i);
    }
    CHECK_OK(srd_delete(s, K("k04")));
    uint64_t size2 = tst_size_of(s);
    memset(&log, 0, sizeof log);
    CHECK_OK(srd_backup(s, b, tst_progress_cb, &log));
    CHECK_EQ_U((uint64_t)inode_of(b), (uint64_t)ino1);
    CHECK(same_file_bytes(p, b));
    CHECK(log.calls >= 1 && log.last_done == log.last_total && !log.went_back && !log.done_over_total);
    CHECK_MSG(log.last_total <= size2 - size1 + 64, "incremental backup wrote %" PRIu64 " bytes for %" PRIu64 " new", log.last_total, size2 - size1);
    CHECK(!tst_file_exists(tmp));
    /* nothing new: still OK, still in place */
    memset(&log, 0, sizeof log);
    CHECK_OK(srd_backup(s, b, tst_progress_cb, &log));
    CHECK_EQ_U((uint64_t)inode_of(b), (uint64_t)ino1);
    CHECK(same_file_bytes(p, b));
    CHECK(log.calls == 0 || log.last_done == log.last_total);

    /* 3. after compaction: a new file renamed over (a new inode) */
    CHECK_OK(srd_compact(s));
    memset(&log, 0, sizeof log);
    CHECK_OK(srd_backup(s, b, tst_progress_cb, &log));
    ino_t ino3 = inode_of(b);
    CHECK(ino3 != ino1);
    CHECK(same_file_bytes(p, b));
    tst_check_progress(&log, tst_size_of(s));
    CHECK(!tst_file_exists(tmp));
    r = tst_open_rw(b); /* a backup opens read-write on its own too */
    if (r) {
        CHECK(has_seeded(r, "k44", 44, 5044));
        tst_expect_absent(r, "k04");
        CHECK_EQ_U(tst_count_of(r), 43);
        srd_close(r);
    }
    /* A backup of a snapshot and of a handle over memory are backups too. */
    srd_store *snap = NULL;
    if (CHECK_OK(srd_snapshot(s, &snap))) {
        put_seeded(s, "after-snap", 99, 300);
        const char *b2 = tst_path("backup-of-snapshot.srd");
        CHECK_OK(srd_backup(snap, b2, NULL, NULL));
        CHECK_EQ_U((uint64_t)tst_file_len(b2), tst_size_of(snap));
        r = tst_open_ro(b2);
        if (r) {
            tst_expect_absent(r, "after-snap");
            srd_close(r);
        }
        srd_close(snap);
    }
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* Refusals                                                            */
/* ------------------------------------------------------------------ */

/* Child: holds `path` open read-write until killed; creates <path>.held once it has it. */
static int holder_main(const char *path) {
    srd_store *s = NULL;
    if (srd_open(path, 0, &s) != SRD_OK) return 3;
    char ready[PATH_MAX];
    snprintf(ready, sizeof ready, "%s.held", path);
    if (tst_spit(ready, "1", 1) != 0) return 4;
    for (int i = 0; i < 600; i++) tst_sleep_us(100000);
    srd_close(s);
    return 0;
}

static void test_backup_refuses_bad_destinations_and_leaves_them_alone(void) {
    const char *p = tst_path("refuse-src.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "value");
    struct tst_snap src_before;
    tst_snap_take(&src_before, p);

    /* the store's own file, also through another spelling of its path */
    CHECK_STATUS(srd_backup(s, p, NULL, NULL), SRD_INVALID_ARGUMENT);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    char other[PATH_MAX + 32];
    snprintf(other, sizeof other, "%s/./refuse-src.srd", tst_test_g.dir);
    CHECK_STATUS(srd_backup(s, other, NULL, NULL), SRD_INVALID_ARGUMENT);
    CHECK_SAME_BYTES(&src_before, p);

    /* a directory */
    const char *d = tst_path("a-dir");
    REQUIRE(mkdir(d, 0755) == 0);
    CHECK_STATUS(srd_backup(s, d, NULL, NULL), SRD_INVALID_ARGUMENT);
    struct stat st;
    CHECK(stat(d, &st) == 0 && S_ISDIR(st.st_mode));

    /* a file that is not a store: left byte for byte */
    const char *t = tst_path("notes.txt");
    const char *text = "these are my notes, not a store\n";
    REQUIRE(tst_spit(t, text, strlen(text)) == 0);
    struct tst_snap tb;
    tst_snap_take(&tb, t);
    CHECK_STATUS(srd_backup(s, t, NULL, NULL), SRD_INVALID_ARGUMENT);
    CHECK_UNCHANGED(&tb, t);
    tst_snap_free(&tb);
    char ttmp[PATH_MAX];
    snprintf(ttmp, sizeof ttmp, "%s.backup.tmp", t);
    CHECK(!tst_file_exists(ttmp));

    /* NULL and empty arguments: nothing created */
    const char *never = tst_path("never.srd");
    struct tst_progress_log log;
    memset(&log, 0, sizeof log);
    CHECK_STATUS(srd_backup(NULL, never, tst_progress_cb, &log), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_backup(s, NULL, tst_progress_cb, &log), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_backup(s, "", tst_progress_cb, &log), SRD_INVALID_ARGUMENT);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    CHECK_EQ_U(log.calls, 0);
    CHECK(!tst_file_exists(never));

    /* a store open read-write by another process at dst: SRD_LOCKED, dst untouched */
    const char *held = tst_path("held.srd");
    srd_store *h = tst_open_rw(held);
    if (h) {
        tst_put_str(h, "their", "data");
        srd_close(h);
    }
    pid_t pid = tst_spawn_self("--hold", held, (const char *)NULL);
    REQUIRE(pid > 0);
    char ready[PATH_MAX];
    snprintf(ready, sizeof ready, "%s.held", held);
    for (int i = 0; i < 2000 && !tst_file_exists(ready); i++) tst_sleep_us(5000);
    if (CHECK(tst_file_exists(ready))) {
        struct tst_snap hb;
        tst_snap_take(&hb, held);
        CHECK_STATUS(srd_backup(s, held, NULL, NULL), SRD_LOCKED);
        CHECK_UNCHANGED(&hb, held);
        tst_snap_free(&hb);
    }
    kill(pid, SIGKILL);
    int status;
    tst_wait(pid, 30, &status);
    /* once the other process is gone the same destination (another store) is replaced */
    CHECK_OK(srd_backup(s, held, NULL, NULL));
    CHECK(same_file_bytes(p, held));
    CHECK_SAME_BYTES(&src_before, p);
    tst_snap_free(&src_before);
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* Backups while another process writes batches                        */
/* ------------------------------------------------------------------ */

#define GROUP 6
#define GVAL 4000

static void group_value(uint8_t *buf, int g, int i) {
    tst_sv_fill((uint64_t)g * 16 + (uint64_t)i, buf, GVAL);
    snprintf((char *)buf, 24, "gen %08d key %d", g, i);
}

/* Child: write batches of GROUP keys, generation 1, 2, ... until killed. */
static int batcher_main(const char *path) {
    srd_store *s = NULL;
    if (srd_open(path, 0, &s) != SRD_OK) return 3;
    static uint8_t vals[GROUP][GVAL];
    char names[GROUP][16];
    srd_kv kv[GROUP];
    for (int g = 1;; g++) {
        if (g > 5000) { /* at most ~120 MB: idle until killed */
            tst_sleep_us(100000);
            continue;
        }
        for (int i = 0; i < GROUP; i++) {
            snprintf(names[i], sizeof names[i], "grp-%d", i);
            group_value(vals[i], g, i);
            kv[i] = (srd_kv){SRD_U8(names[i]), strlen(names[i]), vals[i], GVAL};
        }
        if (srd_write_batch(s, kv, GROUP) != SRD_OK) return 4;
        tst_sleep_us(300);
    }
}

/* The generation all group keys hold, 0 if none, -1 if mixed or wrong. */
static int group_gen(const srd_store *st) {
    srd_key keys[GROUP];
    char names[GROUP][16];
    for (int i = 0; i < GROUP; i++) {
        snprintf(names[i], sizeof names[i], "grp-%d", i);
        keys[i] = (srd_key){SRD_U8(names[i]), strlen(names[i])};
    }
    srd_read_result r[GROUP];
    if (srd_read_batch(st, keys, GROUP, r) != SRD_OK) return -1;
    if (r[0].status == SRD_NOT_FOUND) {
        for (int i = 1; i < GROUP; i++)
            if (r[i].status != SRD_NOT_FOUND) return -1;
        return 0;
    }
    int g0 = -1;
    uint8_t want[GVAL];
    for (int i = 0; i < GROUP; i++) {
        if (r[i].status != SRD_OK || r[i].value_len != GVAL) return -1;
        int g = atoi((const char *)r[i].value + 4);
        if (i == 0) g0 = g;
        if (g != g0) return -1;
        group_value(want, g, i);
        if (memcmp(want, r[i].value, GVAL) != 0) return -1;
    }
    return g0;
}

static void test_backups_of_a_read_only_handle_beside_a_writer_process_are_batch_boundaries(void) {
    const char *p = tst_path("live.srd");
    srd_store *s = tst_open_rw(p);
    REQUIRE(s != NULL);
    tst_put_str(s, "first", "value");
    srd_close(s);
    pid_t pid = tst_spawn_self("--batcher", p, (const char *)NULL);
    REQUIRE(pid > 0);
    srd_store *ro = tst_open_ro(p);
    REQUIRE(ro != NULL);
    long n = tst_scaled(30, 6), bad = 0, incremental = 0;
    int last = 0;
    const char *inc = tst_path("live-backup.srd");
    for (long i = 0; i < n; i++) {
        tst_sleep_us(5000);
        CHECK_OK(srd_refresh(ro));
        char fresh[64];
        snprintf(fresh, sizeof fresh, "live-backup-%ld.srd", i % 3);
        const char *dst = (i % 2 == 0) ? inc : tst_path(fresh);
        ino_t ino0 = inode_of(dst);
        uint64_t want_size = tst_size_of(ro);
        if (!CHECK_OK(srd_backup(ro, dst, NULL, NULL))) continue;
        if (ino0 != 0 && inode_of(dst) == ino0) incremental++;
        CHECK_EQ_U((uint64_t)tst_file_len(dst), want_size);
        srd_store *b = NULL;
        tst_ctx("backup %ld", i);
        if (CHECK_OK(srd_open(dst, SRD_OPEN_READ_ONLY, &b))) {
            int g = group_gen(b);
            if (!CHECK_MSG(g >= 0, "backup %ld is not at a batch boundary", i)) bad++;
            if (g >= 0) {
                CHECK_MSG(g >= last || dst != inc, "backup went back from %d to %d", last, g);
                if (dst == inc) last = g;
            }
            tst_expect_str(b, "first", "value");
            CHECK_EQ_U(tst_size_of(b), want_size); /* nothing torn to cut */
            srd_close(b);
        }
        tst_ctx_clear();
    }
    kill(pid, SIGKILL);
    int status;
    tst_wait(pid, 30, &status);
    CHECK(WIFSIGNALED(status));
    printf("  %ld backups beside a writer process (%ld extended in place), reached generation %d, "
           "%ld not at a batch boundary\n",
           n, incremental, last, bad);
    CHECK(last > 0);
    srd_close(ro);
}

/* ------------------------------------------------------------------ */
/* A backup process killed mid-copy                                    */
/* ------------------------------------------------------------------ */

#define BIG_VAL (1024 * 1024)

static void kill_on_progress(void *user, uint64_t done, uint64_t total) {
    (void)user;
    (void)total;
    if (done > 0) raise(SIGKILL);
}

struct kill_arg {
    const char *src, *dst;
};

static int backup_child(void *p) {
    struct kill_arg *a = (struct kill_arg *)p;
    srd_store *s = NULL;
    if (srd_open(a->src, SRD_OPEN_READ_ONLY, &s) != SRD_OK) return 3;
    srd_status st = srd_backup(s, a->dst, kill_on_progress, NULL);
    return st == SRD_OK ? 10 : 11; /* finished without a report beyond 0 */
}

static void test_backup_killed_midway_keeps_earlier_backup_and_next_one_completes_it(void) {
    const char *p = tst_path("big.srd");
    const char *b = tst_path("big-backup.srd");
    const char *fresh = tst_path("big-fresh-backup.srd");
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.backup.tmp", fresh);
    int n1 = 4, n2 = (int)tst_scaled(40, 12);
    srd_store *s = tst_open_rw(p);
    REQUIRE(s != NULL);
    char k[16];
    for (int i = 0; i < n1; i++) {
        snprintf(k, sizeof k, "big-%02d", i);
        put_seeded(s, k, 1000 + (uint64_t)i, BIG_VAL + (size_t)i);
    }
    CHECK_OK(srd_backup(s, b, NULL, NULL));
    uint64_t size1 = tst_size_of(s);
    ino_t ino1 = inode_of(b);
    for (int i = n1; i < n2; i++) {
        snprintf(k, sizeof k, "big-%02d", i);
        put_seeded(s, k, 1000 + (uint64_t)i, BIG_VAL + (size_t)i);
    }
    CHECK_OK(srd_delete(s, K("big-00")));
    uint64_t size2 = tst_size_of(s);
    srd_close(s);

    /* incremental backup killed at its first progress report beyond 0 */
    struct kill_arg a = {p, b};
    int sig = 0;
    int rc = tst_run_child(backup_child, &a, 120, &sig);
    CHECK_MSG(rc == -2 && sig == SIGKILL, "backup child: rc %d sig %d", rc, sig);
    long long len_after_kill = tst_file_len(b);
    CHECK((uint64_t)len_after_kill >= size1 && (uint64_t)len_after_kill <= size2);
    CHECK_EQ_U((uint64_t)inode_of(b), (uint64_t)ino1);
    srd_store *r = NULL;
    if (CHECK_OK(srd_open(b, SRD_OPEN_READ_ONLY, &r))) {
        for (int i = 0; i < n1; i++) {
            snprintf(k, sizeof k, "big-%02d", i);
            CHECK_MSG(has_seeded(r, k, 1000 + (uint64_t)i, BIG_VAL + (size_t)i), "%s lost", k);
        }
        CHECK(tst_size_of(r) >= size1);
        srd_close(r);
    }
    CHECK_EQ(tst_file_len(b), len_after_kill); /* the read-only open changed nothing */

    /* the next backup completes it */
    s = tst_open_ro(p);
    REQUIRE(s != NULL);
    CHECK_OK(srd_backup(s, b, NULL, NULL));
    CHECK(same_file_bytes(p, b));
    r = tst_open_ro(b);
    if (r) {
        for (int i = 1; i < n2; i++) {
            snprintf(k, sizeof k, "big-%02d", i);
            CHECK_MSG(has_seeded(r, k, 1000 + (uint64_t)i, BIG_VAL + (size_t)i), "%s missing", k);
        }
        tst_expect_absent(r, "big-00");
        srd_close(r);
    }

    /* a full backup (no earlier one) killed midway: no destination, or a complete one */
    a.dst = fresh;
    rc = tst_run_child(backup_child, &a, 120, &sig);
    CHECK_MSG(rc == -2 && sig == SIGKILL, "backup child: rc %d sig %d", rc, sig);
    CHECK_MSG(!tst_file_exists(fresh), "a killed full backup left a destination of %lld bytes", tst_file_len(fresh));
    CHECK_OK(srd_backup(s, fresh, NULL, NULL));
    CHECK(same_file_bytes(p, fresh));
    CHECK(!tst_file_exists(tmp));
    srd_close(s);
    printf("  backup of a %" PRIu64 "-byte store killed midway: the earlier backup (%" PRIu64
           " bytes) was %lld bytes after the kill, opened with its old contents, and the next "
           "backup completed it\n",
           size2, size1, len_after_kill);
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--hold") == 0) return holder_main(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "--batcher") == 0) return batcher_main(argv[2]);
    tst_test_init(argc, argv, "test_backup");
    REQUIRE(tst_self_exe() != NULL);
    double t0 = tst_now();
    test_backup_full_then_incremental_in_place_then_full_after_compaction();
    test_backup_refuses_bad_destinations_and_leaves_them_alone();
    test_backups_of_a_read_only_handle_beside_a_writer_process_are_batch_boundaries();
    test_backup_killed_midway_keeps_earlier_backup_and_next_one_completes_it();
    printf("test_backup: %.1f s\n", tst_now() - t0);
    return tst_test_finish();
}

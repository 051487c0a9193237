/*
 * test_batch_crash.c - crash-atomic batches (docs/FORMAT.md "Batches"), with real processes.
 *
 * Each test_* function states the behaviour it proves.
 *
 * A child process (fork + exec of this program) opens the store and loops forever over
 * cycles of batches, each cycle with a new generation number g:
 *   A  srd_write_batch of a0..a5, all = g (3 KiB .. 70 KiB: a5 is over 64 KiB);
 *   M  srd_apply_batch writing m0..m2 = g and writing (g even) or deleting (g odd) mflag;
 *   D  srd_write_batch of d0..d4 = g (d4 over 64 KiB), then srd_delete_batch of d0..d4;
 *   R  srd_rename of r-A to r-B or back (exactly one of them always exists).
 * The parent SIGKILLs it after a random delay, then opens the store read-only and
 * read-write and checks every batch all-or-nothing: the a* keys hold one generation, the m*
 * keys one generation with mflag present exactly when it is even, the d* keys all present
 * with one generation or all absent, exactly one of r-A / r-B; every value byte-exact; and
 * gen(M) <= gen(A) (a later batch never survives without an earlier one). A copy of the
 * file taken with cp while the child writes opens to such a state too. Finally a finished
 * store is cut at every byte of its last batches: each cut opens to the state before the
 * batch it cuts, or after it when the cut is exactly its end.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_proc.h"
#include "tst_safety.h"

#define NA 6
#define NM 3
#define ND 5
enum { K_A0 = 0, K_M0 = K_A0 + NA, K_MFLAG = K_M0 + NM, K_D0, K_RA = K_D0 + ND, K_RB, NKEYS };

static char key_names[NKEYS][16];

static void init_keys(void) {
    for (int i = 0; i < NA; i++) snprintf(key_names[K_A0 + i], 16, "a%d", i);
    for (int i = 0; i < NM; i++) snprintf(key_names[K_M0 + i], 16, "m%d", i);
    snprintf(key_names[K_MFLAG], 16, "mflag");
    for (int i = 0; i < ND; i++) snprintf(key_names[K_D0 + i], 16, "d%d", i);
    snprintf(key_names[K_RA], 16, "r-A");
    snprintf(key_names[K_RB], 16, "r-B");
}

/* `small`: the cut test's store uses short values so every byte can be cut. */
static int g_small;

static size_t val_len(int k) {
    if (g_small) return (size_t)(40 + 13 * k);
    if (k >= K_A0 && k < K_A0 + NA) return k == K_A0 + 5 ? 70 * 1024 + 13 : (size_t)(3000 + 4096 * k);
    if (k >= K_M0 && k < K_M0 + NM) return 5000;
    if (k == K_MFLAG) return 100;
    if (k >= K_D0 && k < K_D0 + ND) return k == K_D0 + 4 ? 66 * 1024 + 5 : 9000;
    return 2000; /* r-A, r-B */
}

/* A value: "gen <g> key <k> " then bytes recomputable from (g, k). r-B holds r-A's value. */
static void make_val(uint8_t *buf, int k, uint64_t g) {
    size_t n = val_len(k);
    tst_sv_fill(g * 64 + (uint64_t)k, buf, n);
    char head[40];
    int h = snprintf(head, sizeof head, "gen %" PRIu64 " key %d ", g, k);
    memcpy(buf, head, (size_t)h);
}

/* The generation of a value of key k, or -2 if its bytes are not a value once written. */
static long long parse_val(int k, const uint8_t *v, size_t n) {
    if (n != val_len(k) || n < 8 || memcmp(v, "gen ", 4) != 0) return -2;
    char head[40];
    memcpy(head, v, sizeof head - 1);
    head[sizeof head - 1] = 0;
    uint64_t g = strtoull(head + 4, NULL, 10);
    uint8_t *want = (uint8_t *)malloc(n);
    if (!want) return -2;
    make_val(want, k, g);
    int same = memcmp(want, v, n) == 0;
    free(want);
    return same ? (long long)g : -2;
}

/* ------------------------------------------------------------------ */
/* The child: batches forever                                          */
/* ------------------------------------------------------------------ */

static uint8_t *g_bufs[NKEYS];

static int do_write_batch(srd_store *s, int first, int n, uint64_t g) {
    srd_kv kv[8];
    for (int i = 0; i < n; i++) {
        make_val(g_bufs[first + i], first + i, g);
        kv[i] = (srd_kv){SRD_U8(key_names[first + i]), strlen(key_names[first + i]), g_bufs[first + i],
                         val_len(first + i)};
    }
    return srd_write_batch(s, kv, (size_t)n);
}

static int do_apply(srd_store *s, uint64_t g) {
    srd_op ops[NM + 1];
    for (int i = 0; i < NM; i++) {
        int k = K_M0 + i;
        make_val(g_bufs[k], k, g);
        ops[i] = (srd_op){SRD_OP_WRITE, SRD_U8(key_names[k]), strlen(key_names[k]), g_bufs[k], val_len(k)};
    }
    make_val(g_bufs[K_MFLAG], K_MFLAG, g);
    ops[NM] = (srd_op){(g % 2 == 0) ? SRD_OP_WRITE : SRD_OP_DELETE, SRD_U8("mflag"), 5,
                       g_bufs[K_MFLAG], val_len(K_MFLAG)};
    return srd_apply_batch(s, ops, NM + 1, NULL);
}

static int do_delete_batch(srd_store *s) {
    srd_key keys[ND];
    for (int i = 0; i < ND; i++) keys[i] = (srd_key){SRD_U8(key_names[K_D0 + i]), strlen(key_names[K_D0 + i])};
    return srd_delete_batch(s, keys, ND);
}

static int do_rename(srd_store *s) {
    srd_status e = srd_exists(s, SRD_U8("r-A"), 3);
    if (e == SRD_OK) return srd_rename(s, SRD_U8("r-A"), 3, SRD_U8("r-B"), 3);
    return srd_rename(s, SRD_U8("r-B"), 3, SRD_U8("r-A"), 3);
}

/* One cycle of the four batch kinds at generation g; the first failing status. */
static int cycle(srd_store *s, uint64_t g) {
    int st;
    if ((st = do_write_batch(s, K_A0, NA, g)) != SRD_OK) return st;
    if ((st = do_apply(s, g)) != SRD_OK) return st;
    if ((st = do_write_batch(s, K_D0, ND, g)) != SRD_OK) return st;
    if ((st = do_delete_batch(s)) != SRD_OK) return st;
    return do_rename(s);
}

static int batcher_main(const char *path, uint64_t gen0) {
    for (int k = 0; k < NKEYS; k++) {
        g_bufs[k] = (uint8_t *)malloc(val_len(k));
        if (!g_bufs[k]) return 2;
    }
    srd_store *s = NULL;
    if (srd_open(path, 0, &s) != SRD_OK) return 3;
    for (uint64_t g = gen0;; g++)
        if (cycle(s, g) != SRD_OK) return 4;
}

/* ------------------------------------------------------------------ */
/* The state of a store                                                */
/* ------------------------------------------------------------------ */

/* gen[k]: generation of key k, -1 if absent, -2 if its value is not one written. */
struct state {
    long long gen[NKEYS];
};

static int read_state(const srd_store *s, struct state *out) {
    srd_key keys[NKEYS];
    for (int k = 0; k < NKEYS; k++) keys[k] = (srd_key){SRD_U8(key_names[k]), strlen(key_names[k])};
    srd_read_result r[NKEYS];
    if (srd_read_batch(s, keys, NKEYS, r) != SRD_OK) return 0;
    for (int k = 0; k < NKEYS; k++) {
        if (r[k].status == SRD_NOT_FOUND)
            out->gen[k] = -1;
        else if (r[k].status != SRD_OK)
            out->gen[k] = -2;
        else
            out->gen[k] = parse_val(k == K_RB ? K_RA : k, r[k].value, r[k].value_len);
    }
    return 1;
}

/* All-or-nothing: every batch kind left whole. Returns 1 if consistent (checks counted). */
static int check_consistent(const struct state *st, const char *what) {
    int ok = 1;
    tst_ctx("%s", what);
    for (int k = 0; k < NKEYS; k++) ok &= CHECK_MSG(st->gen[k] != -2, "key %s: a value never written", key_names[k]);
    for (int i = 1; i < NA; i++) ok &= CHECK_MSG(st->gen[K_A0 + i] == st->gen[K_A0], "write batch torn: a%d=%lld a0=%lld", i, st->gen[K_A0 + i], st->gen[K_A0]);
    ok &= CHECK(st->gen[K_A0] >= 0);
    for (int i = 1; i < NM; i++) ok &= CHECK_MSG(st->gen[K_M0 + i] == st->gen[K_M0], "apply batch torn: m%d=%lld m0=%lld", i, st->gen[K_M0 + i], st->gen[K_M0]);
    long long gm = st->gen[K_M0];
    ok &= CHECK(gm >= 0);
    if (gm >= 0) {
        if (gm % 2 == 0)
            ok &= CHECK_MSG(st->gen[K_MFLAG] == gm, "apply batch torn: m0=%lld mflag=%lld", gm, st->gen[K_MFLAG]);
        else
            ok &= CHECK_MSG(st->gen[K_MFLAG] == -1, "apply batch torn: m0=%lld (odd) mflag=%lld", gm, st->gen[K_MFLAG]);
    }
    for (int i = 1; i < ND; i++) ok &= CHECK_MSG(st->gen[K_D0 + i] == st->gen[K_D0], "write or delete batch torn: d%d=%lld d0=%lld", i, st->gen[K_D0 + i], st->gen[K_D0]);
    ok &= CHECK_MSG((st->gen[K_RA] >= 0) != (st->gen[K_RB] >= 0), "rename torn: r-A=%lld r-B=%lld", st->gen[K_RA], st->gen[K_RB]);
    ok &= CHECK_MSG(gm <= st->gen[K_A0], "apply batch of gen %lld survived without write batch (a0=%lld)", gm, st->gen[K_A0]);
    if (st->gen[K_D0] >= 0) ok &= CHECK_MSG(st->gen[K_D0] <= gm, "d batch of gen %lld before m (%lld)", st->gen[K_D0], gm);
    tst_ctx_clear();
    return ok;
}

static void check_file(const char *path, const char *what, struct state *out, int *cut) {
    char ctx[160];
    long long len0 = tst_file_len(path);
    srd_store *s = NULL;
    snprintf(ctx, sizeof ctx, "%s, read-only open", what);
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
        struct state a;
        if (CHECK(read_state(s, &a))) check_consistent(&a, ctx);
        srd_verify_report rep;
        if (CHECK_OK(srd_verify(s, &rep))) CHECK_EQ_U(rep.bad_entries, 0);
        srd_close(s);
        CHECK_EQ(tst_file_len(path), len0); /* a read-only open changes nothing */
        s = NULL;
        snprintf(ctx, sizeof ctx, "%s, read-write open", what);
        if (CHECK_OK(srd_open(path, 0, &s))) {
            struct state b;
            if (CHECK(read_state(s, &b))) {
                check_consistent(&b, ctx);
                CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "%s: read-only and read-write opens disagree", what);
                if (out) *out = b;
            }
            srd_close(s);
            if (cut) *cut = tst_file_len(path) < len0;
        }
    }
}

/* ------------------------------------------------------------------ */

static void create_initial(const char *path) {
    for (int k = 0; k < NKEYS; k++) {
        free(g_bufs[k]);
        g_bufs[k] = (uint8_t *)malloc(val_len(k));
        REQUIRE(g_bufs[k] != NULL);
    }
    srd_store *s = tst_open_rw(path);
    REQUIRE(s != NULL);
    CHECK_OK(do_write_batch(s, K_A0, NA, 0));
    CHECK_OK(do_apply(s, 0));
    make_val(g_bufs[K_RA], K_RA, 0);
    CHECK_OK(srd_write(s, SRD_U8("r-A"), 3, g_bufs[K_RA], val_len(K_RA)));
    srd_close(s);
}

static void test_sigkilled_batch_writer_leaves_every_batch_all_or_nothing(void) {
    const char *p = tst_path("batches.srd");
    const char *copy = tst_path("live-copy.srd");
    create_initial(p);
    tst_rng rng = {0xBA7C4ULL};
    long rounds = tst_scaled(80, 8);
    long cuts = 0, copies = 0, cycles_seen = 0, restarts = 0;
    for (long r = 0; r < rounds; r++) {
        char gen0[32];
        snprintf(gen0, sizeof gen0, "%ld", (r + 1) * 1000000L);
        pid_t pid = tst_spawn_self("--batcher", p, gen0, (const char *)NULL);
        REQUIRE(pid > 0);
        long delay = (long)tst_rng_below(&rng, 12000) + (r % 8 == 0 ? 0 : 2000);
        int take_copy = r % 4 == 1;
        if (take_copy) {
            tst_sleep_us(delay / 2 + 1000);
            /* cp of a live store, while the child writes */
            if (CHECK(tst_copy_file(p, copy) == 0)) copies++;
            tst_sleep_us(delay / 2);
        } else {
            tst_sleep_us(delay);
        }
        kill(pid, SIGKILL);
        int status = 0;
        CHECK(tst_wait(pid, 60, &status) == 0);
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the batcher ended on its own (status 0x%x)", status);
        char what[64];
        snprintf(what, sizeof what, "kill round %ld", r);
        struct state st;
        int was_cut = 0;
        memset(&st, 0, sizeof st);
        check_file(p, what, &st, &was_cut);
        cuts += was_cut;
        if (st.gen[K_A0] > 0) cycles_seen++;
        if (take_copy) {
            snprintf(what, sizeof what, "cp of the live store, round %ld", r);
            check_file(copy, what, NULL, NULL);
        }
        if (atomic_load(&tst_test_g.failed) > 20) break;
        /* Start over from a fresh store once it is large: every round reads it whole. */
        if (tst_file_len(p) > 24LL * 1024 * 1024) {
            char idx[PATH_MAX];
            snprintf(idx, sizeof idx, "%s.idx", p);
            unlink(idx);
            CHECK(unlink(p) == 0);
            create_initial(p);
            restarts++;
        }
    }
    printf("  %ld kills of a batch writer: %ld torn tails cut by the read-write open, batches "
           "landed in %ld rounds, %ld live copies checked, %ld fresh stores\n",
           rounds, cuts, cycles_seen, copies, restarts);
    CHECK(cycles_seen > 0);
}

/* ------------------------------------------------------------------ */
/* Every byte of the last batches cut                                  */
/* ------------------------------------------------------------------ */

#define NSTEPS 6

static void test_cut_at_every_byte_of_last_batches_opens_before_or_after_each(void) {
    g_small = 1;
    const char *p = tst_path("cut-base.srd");
    const char *c = tst_path("cut.srd");
    create_initial(p);
    srd_store *s = tst_open_rw(p);
    REQUIRE(s != NULL);
    /* One cycle at gen 1 first (so d* exist), then the steps whose bytes are cut. */
    CHECK_OK(cycle(s, 1));
    struct state states[NSTEPS + 1];
    uint64_t ends[NSTEPS + 1];
    ends[0] = tst_size_of(s);
    CHECK(read_state(s, &states[0]));
    for (int j = 1; j <= NSTEPS; j++) {
        uint64_t g = 2 + (uint64_t)(j - 1) / 5;
        switch ((j - 1) % 5) {
        case 0: CHECK_OK(do_write_batch(s, K_A0, NA, g)); break;
        case 1: CHECK_OK(do_apply(s, g)); break;
        case 2: CHECK_OK(do_write_batch(s, K_D0, ND, g)); break;
        case 3: CHECK_OK(do_delete_batch(s)); break;
        default: CHECK_OK(do_rename(s)); break;
        }
        ends[j] = tst_size_of(s);
        CHECK(read_state(s, &states[j]));
        check_consistent(&states[j], "cut base, while written");
    }
    srd_close(s);
    size_t full_len = 0;
    uint8_t *full = tst_slurp(p, &full_len);
    REQUIRE(full != NULL && full_len == ends[NSTEPS]);
    long n = 0, bad = 0;
    for (uint64_t cut = ends[0]; cut <= ends[NSTEPS]; cut++) {
        int j = 0; /* the state expected: the last step whose end is <= cut */
        while (j < NSTEPS && ends[j + 1] <= cut) j++;
        if (tst_spit(c, full, (size_t)cut) != 0) {
            CHECK(0);
            break;
        }
        n++;
        tst_ctx("cut at %" PRIu64 " (step %d ends at %" PRIu64 ")", cut, j, ends[j]);
        srd_store *r = NULL;
        int ok = CHECK_OK(srd_open(c, SRD_OPEN_READ_ONLY, &r));
        struct state st;
        if (ok && CHECK(read_state(r, &st)))
            ok = CHECK_MSG(memcmp(&st, &states[j], sizeof st) == 0, "not the state after step %d", j);
        srd_close(r);
        if (cut % 16 == 0 || cut == ends[j] || cut + 1 == (j < NSTEPS ? ends[j + 1] : cut + 1)) {
            /* a read-write open cuts exactly the torn part and agrees */
            r = NULL;
            if (CHECK_OK(srd_open(c, 0, &r))) {
                if (CHECK(read_state(r, &st))) ok &= CHECK(memcmp(&st, &states[j], sizeof st) == 0);
                srd_close(r);
                ok &= CHECK_EQ_U((uint64_t)tst_file_len(c), ends[j]);
            }
        }
        tst_ctx_clear();
        if (!ok) bad++;
        if (bad > 10) break;
    }
    printf("  %ld cuts over the last %d batches (%" PRIu64 " bytes): each opened to the state before "
           "or after its batch, %ld did not\n",
           n, NSTEPS, ends[NSTEPS] - ends[0], bad);
    free(full);
    g_small = 0;
}

int main(int argc, char **argv) {
    init_keys();
    if (argc >= 4 && strcmp(argv[1], "--batcher") == 0) return batcher_main(argv[2], strtoull(argv[3], NULL, 10));
    tst_test_init(argc, argv, "test_batch_crash");
    REQUIRE(tst_self_exe() != NULL);
    double t0 = tst_now();
    test_sigkilled_batch_writer_leaves_every_batch_all_or_nothing();
    test_cut_at_every_byte_of_last_batches_opens_before_or_after_each();
    for (int k = 0; k < NKEYS; k++) free(g_bufs[k]);
    printf("test_batch_crash: %.1f s\n", tst_now() - t0);
    return tst_test_finish();
}

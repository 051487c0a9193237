/*
 * test_reliability.c - defects that only show with real processes, real crashes and
 * files changed behind the library's back. Every test uses real processes (fork,
 * fork + exec of this program, or SIGKILL of a child); every child has a deadline
 * (alarm), so nothing hangs.
 *
 * 1. Stale index copy (`<store>.idx`, saved at close by a read-write handle of a store
 *    of >= 65,536 entries). A stale copy lies beside a DIFFERENT file of the same length
 *    whose last 4 KiB + 20 bytes are the same; every answer (value bytes, SRD_NOT_FOUND
 *    of deleted keys, srd_count) must be the file present's, read-only and read-write,
 *    and srd_compact through that handle must keep exactly the file's live keys:
 *      test_stale_index_renamed_over            another store renamed over the store
 *      test_stale_index_copied_over_same_inode  its bytes written into the store's file
 *      test_stale_index_rebuilt_by_crashed_process  deleted and rebuilt by a process
 *                                               that _exit()s without srd_close
 *      test_stale_index_flipped_bytes           one byte of a tombstone's key hash
 *                                               flipped (the key is live again); a
 *                                               flipped payload byte reads SRD_CORRUPT
 *      test_stale_index_constant_tail_value     two stores ending in the same 16 KiB
 *                                               value of one byte at the same offset
 * 2. fork: a child's srd_close of an inherited read-write handle, or its exit() through
 *    an atexit handler that closes it, must not release the parent's lock (a third
 *    process gets SRD_LOCKED); a write through the inherited handle is SRD_BROKEN (9)
 *    with a message about fork, never SRD_OK; the parent's data and writes are intact.
 *    The parent's srd_close while the child still holds the handle releases the lock.
 *      test_fork_child_close_keeps_parent_lock, test_fork_child_write_is_refused,
 *      test_fork_parent_close_releases_lock
 * 3. test_sigbus_readers_survive_aborted_streams: 3 reader processes (srd_refresh, fresh
 *    read-only opens) while a writer process streams several MiB and aborts, over and
 *    over, between small writes: every reader exits normally and reads only real values.
 * 4. False SRD_CORRUPT: read-only opens and refreshes never return SRD_CORRUPT while a
 *      test_false_corrupt_prealloc_writer       an SRD_OPEN_PREALLOCATE (then SRD_OPEN_RESERVE) writer
 *                                               appends, or
 *      test_false_corrupt_torn_tail_rewritten   writers are SIGKILLed mid-stream (torn
 *                                               tail) and the next one cuts and appends
 * 5. Side files: symlinks planted at `<store>.idx.tmp`, `<store>.compact.tmp` and
 *    `<store>.stream.tmp` never lead to writing their target; `<store>.idx` (and the
 *    spool of a stream into an empty store) are no more accessible than the store (0600):
 *      test_side_files_idx_tmp_symlink, test_side_files_compact_tmp_symlink,
 *      test_side_files_stream_tmp_symlink, test_side_files_idx_mode
 * 6. test_first_write_killed_write / test_first_write_killed_stream: a child opens a NEW
 *    store and writes one large value (srd_write, or a stream), SIGKILLed at random
 *    moments: the next read-write open succeeds and the store is empty or holds exactly
 *    the value (which it must if the child had acknowledged it). A file of random bytes
 *    is still refused and left unchanged.
 * 7. test_fifo_index_file: a FIFO at `<store>.idx`: read-only and read-write opens return
 *    (in a child with a deadline) and work.
 * 8. test_write_past_16_tib_limit: srd_write of (2^44 + 4096) bytes (an anonymous
 *    PROT_READ, MAP_NORESERVE mapping) returns SRD_INVALID_ARGUMENT promptly (alarm(20)
 *    in a child) and the store stays empty.
 *
 * SRD_TEST_SCALE scales the loop counts and durations (0.05 under valgrind: still a few
 * iterations of each). Status 9 (SRD_BROKEN) is defined here if the header lacks it.
 */
#include "tst_robust.h"
#include "tst_safety.h"
#include "tst_fmt.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>


#define TST_KEY_LEN 16


/* ================================================================== */
/* Small helpers                                                        */
/* ================================================================== */

/* `path` + `suffix` (a ring of buffers: valid for 16 calls). */
static const char *tst_side(const char *path, const char *suffix) {
    static char bufs[16][PATH_MAX];
    static unsigned next;
    char *b = bufs[next++ % 16];
    snprintf(b, PATH_MAX, "%s%s", path, suffix);
    return b;
}

/* Removes a store and every file the library may keep beside it. */
static void tst_remove_store(const char *path) {
    static const char *sfx[] = {"", ".idx", ".idx.tmp", ".compact.tmp", ".stream.tmp"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) unlink(tst_side(path, sfx[i]));
}

/* Key `id`: "reliab::" then le64(id). */
static void tst_key(uint32_t id, uint8_t k[TST_KEY_LEN]) {
    memcpy(k, "reliab::", 8);
    for (int i = 0; i < 8; i++) k[8 + i] = (uint8_t)((uint64_t)id >> (8 * i));
}

/* Small values (8..22 bytes): a pure function of key and version. With at most 22 bytes
 * every value entry fills exactly one 64-byte slot, and a tombstone appended after one
 * still ends inside that slot. */
static size_t tst_small_len(uint32_t key, uint32_t ver) {
    return 8 + (size_t)(tst_sv_mix(((uint64_t)key << 16) ^ ver ^ 0xA11CEull) % 15);
}

static size_t tst_small_value(uint32_t key, uint32_t ver, uint8_t *buf /* >= 22 */) {
    size_t n = tst_small_len(key, ver);
    tst_sv_fill(((uint64_t)key << 20) ^ ((uint64_t)ver << 4) ^ 0x51DEull, buf, n);
    return n;
}

/* Self-describing values for the process races: "RLV1", le32 key, le64 version,
 * le32 length, then tst_sv_fill(seed(key, version)) bytes. */
#define TST_SD_HDR 20

static uint64_t tst_sd_seed(uint32_t key, uint64_t ver) {
    return ((uint64_t)key << 40) ^ (ver * 0x9E3779B97F4A7C15ull) ^ 0x5D5Dull;
}

static size_t tst_sd_len(uint32_t key, uint64_t ver, size_t max_body) {
    return TST_SD_HDR + 1 + (size_t)(tst_sv_mix(tst_sd_seed(key, ver)) % max_body);
}

static void tst_sd_make(uint32_t key, uint64_t ver, uint8_t *buf, size_t len) {
    memcpy(buf, "RLV1", 4);
    tst_put_le32(buf + 4, key);
    tst_put_le32(buf + 8, (uint32_t)ver);
    tst_put_le32(buf + 12, (uint32_t)(ver >> 32));
    tst_put_le32(buf + 16, (uint32_t)len);
    tst_sv_fill(tst_sd_seed(key, ver), buf + TST_SD_HDR, len - TST_SD_HDR);
}

/* 1 if p[0..n) is a complete value once written for `key`. */
static int tst_sd_ok(uint32_t key, const uint8_t *p, size_t n) {
    if (n < TST_SD_HDR + 1 || memcmp(p, "RLV1", 4) != 0 || tst_le32(p + 4) != key ||
        tst_le32(p + 16) != n)
        return 0;
    uint64_t ver = (uint64_t)tst_le32(p + 8) | (uint64_t)tst_le32(p + 12) << 32;
    return tst_sv_equals(tst_sd_seed(key, ver), p + TST_SD_HDR, n - TST_SD_HDR);
}

/* A separate process (fork + exec of this program) that opens `path` read-write; with
 * "--probe-write" it then writes key TST_PROBE_KEY. Returns its exit code: the status of
 * srd_open (0 = SRD_OK), 100 + status of a failed write, or -1 if it did not finish. */
#define TST_PROBE_KEY 2000u

static int tst_probe_main(const char *mode, const char *path) {
    alarm(30);
    srd_store *s = NULL;
    int32_t r = srd_open(path, 0, &s);
    if (r != SRD_OK) return r;
    int rc = 0;
    if (strcmp(mode, "--probe-write") == 0) {
        uint8_t k[TST_KEY_LEN], v[32];
        tst_key(TST_PROBE_KEY, k);
        size_t n = tst_small_value(TST_PROBE_KEY, 1, v);
        int32_t w = srd_write(s, k, TST_KEY_LEN, v, n);
        if (w != SRD_OK) rc = 100 + w;
    }
    srd_close(s);
    return rc;
}

static int tst_probe(const char *mode, const char *path) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execl(tst_self_exe(), tst_self_exe(), mode, path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (tst_wait(pid, 40.0, &status) != 0 || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

/* Processes driven over pipes. */
struct tst_proc {
    pid_t pid;
    struct tst_chan ch;
    char name[64];
};

typedef void (*tst_proc_fn)(void *arg, struct tst_chan *ch);

static int tst_proc_start(struct tst_proc *p, const char *name, unsigned deadline, tst_proc_fn fn,
                          void *arg) {
    int up[2], down[2];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->pid = -1;
    if (pipe2(up, O_CLOEXEC) != 0) return -1;
    if (pipe2(down, O_CLOEXEC) != 0) {
        close(up[0]);
        close(up[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        alarm(deadline);
        struct tst_chan ch;
        memset(&ch, 0, sizeof ch);
        ch.rfd = down[0];
        ch.wfd = up[1];
        fn(arg, &ch);
        fflush(stdout);
        fflush(stderr);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    p->pid = pid;
    p->ch.rfd = up[0];
    p->ch.wfd = down[1];
    return 0;
}

/* Waits for the process (killing it after `secs`); returns its wait status. */
static int tst_proc_wait(struct tst_proc *p, double secs) {
    int status = 0;
    if (p->pid > 0) tst_wait(p->pid, secs, &status);
    p->pid = -1;
    close(p->ch.rfd);
    close(p->ch.wfd);
    return status;
}

/* The process must end normally (exit status 0, not killed by a signal). */
static int tst_proc_end_ok(struct tst_proc *p, double secs) {
    int status = tst_proc_wait(p, secs);
    char how[160];
    tst_describe_wait(status, how, sizeof how);
    return CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s", p->name, how);
}

/* The message of the last failure on this thread, one line, at most 300 bytes. */
static void tst_last_error(char *out, size_t n) {
    snprintf(out, n < 300 ? n : 300, "%s", srd_last_error_message());
    for (char *c = out; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
}

/* ================================================================== */
/* 1. Stale index copy                                                  */
/* ================================================================== */

#define ST_NK 65600u          /* keys 0..ST_NK-1, one entry each in the base layout */
#define ST_BIG ST_NK          /* model slot of the 16 KiB value */
#define ST_BIG_ID 0x00B16B16u /* its key */
#define ST_BIG_LEN 16384u
#define ST_BIG_BYTE 0xC3
#define ST_P1 20000u /* B: a tombstone of ST_J1 squeezed in before slot ST_P1 */
#define ST_J1 100u
#define ST_P2 40000u /* B: slot ST_P2 holds version 2 of ST_J2 instead of key ST_P2 */
#define ST_J2 200u
#define ST_K3 50000u /* a payload byte flipped */

enum { TST_PUT, TST_DEL, TST_BIG };

struct tst_op {
    uint32_t key;
    uint16_t ver;
    uint8_t kind;
};

struct tst_plan {
    struct tst_op *op;
    size_t n;
};

struct tst_model {
    uint16_t ver[ST_NK + 1]; /* 0: no live value */
    uint8_t corrupt[ST_NK + 1];
    uint64_t live;
    uint32_t special[8];
    int nspecial;
};

static void tst_plan_init(struct tst_plan *p) {
    p->op = (struct tst_op *)calloc(ST_NK + 16, sizeof *p->op);
    p->n = 0;
    if (p->op == NULL) abort();
}

static void tst_plan_push(struct tst_plan *p, uint32_t key, uint16_t ver, uint8_t kind) {
    p->op[p->n].key = key;
    p->op[p->n].ver = ver;
    p->op[p->n].kind = kind;
    p->n++;
}

/* A: every key once, in order. */
static void tst_plan_base(struct tst_plan *p) {
    tst_plan_init(p);
    for (uint32_t s = 0; s < ST_NK; s++) tst_plan_push(p, s, 1, TST_PUT);
}

/* B: the same layout and the same last 4 KiB + 20 bytes, other content in the middle:
 * ST_J1 deleted (its tombstone fits in the padding before slot ST_P1) and slot ST_P2
 * holding version 2 of ST_J2 (so key ST_P2 is absent). */
static void tst_plan_changed(struct tst_plan *p) {
    tst_plan_init(p);
    for (uint32_t s = 0; s < ST_NK; s++) {
        if (s == ST_P1) tst_plan_push(p, ST_J1, 0, TST_DEL);
        if (s == ST_P2)
            tst_plan_push(p, ST_J2, 2, TST_PUT);
        else
            tst_plan_push(p, s, 1, TST_PUT);
    }
}

/* The keys of A in another order, then the 16 KiB value (forward: keys in order). */
static void tst_plan_constant_tail(struct tst_plan *p, int reversed) {
    tst_plan_init(p);
    for (uint32_t s = 0; s + 1 < ST_NK; s++) tst_plan_push(p, reversed ? ST_NK - 2 - s : s, 1, TST_PUT);
    tst_plan_push(p, ST_NK - 1, 1, TST_PUT); /* same last small entry: same link */
    tst_plan_push(p, ST_BIG_ID, 1, TST_BIG);
}

static void tst_model_of(const struct tst_plan *p, struct tst_model *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < p->n; i++) {
        const struct tst_op *o = &p->op[i];
        if (o->kind == TST_BIG) m->ver[ST_BIG] = 1;
        else if (o->kind == TST_DEL) m->ver[o->key] = 0;
        else m->ver[o->key] = o->ver;
    }
    for (uint32_t i = 0; i <= ST_NK; i++) m->live += m->ver[i] != 0;
}

static void tst_model_special(struct tst_model *m, uint32_t key) {
    if (m->nspecial < 8) m->special[m->nspecial++] = key;
}

/* Puts per srd_write_batch in tst_build: one, so that no batch marker (FORMAT.md,
 * "Batches") shifts the layouts the stale-index scenarios line up byte for byte (a
 * tombstone that fits in padding, the same last 4 KiB in two different stores).
 * tst_layout would count markers if this were raised. */
enum { TST_BATCH = 1 };

/* Metadata offset of every op (FORMAT.md), and the store's length. tst_build writes runs
 * of consecutive puts as batches of up to TST_BATCH; a batch of more than one entry begins
 * with a batch marker (FORMAT.md, "Batches": a 16-byte value, padded like any other). */
static uint64_t tst_layout(const struct tst_plan *p, uint64_t *meta) {
    uint64_t tail = 0;
    size_t left_in_batch = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct tst_op *o = &p->op[i];
        uint64_t m;
        if (o->kind != TST_PUT) {
            left_in_batch = 0;
        } else if (left_in_batch == 0) {
            size_t run = 0;
            while (i + run < p->n && p->op[i + run].kind == TST_PUT && run < TST_BATCH) run++;
            left_in_batch = run;
            if (run > 1) tail = tst_align_up(tail) + 16 + SRD_FMT_META; /* the marker */
        }
        if (left_in_batch > 0) left_in_batch--;
        if (o->kind == TST_DEL) {
            m = tail + 1;
        } else {
            uint64_t len = o->kind == TST_BIG ? ST_BIG_LEN : tst_small_len(o->key, o->ver);
            m = tst_align_up(tail) + len;
        }
        if (meta) meta[i] = m;
        tail = m + SRD_FMT_META;
    }
    return tail;
}

/* Builds the store at `path` from the plan (batches of consecutive puts). Closes it
 * unless `keep` is given (then the open handle is returned there). */
static int tst_build(const char *path, const struct tst_plan *p, srd_store **keep) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, 0, &s))) return -1;
    enum { B = TST_BATCH };
    srd_kv *items = (srd_kv *)malloc(B * sizeof *items);
    uint8_t(*keys)[TST_KEY_LEN] = malloc(B * TST_KEY_LEN);
    uint8_t(*vals)[32] = malloc(B * 32);
    uint8_t *big = (uint8_t *)malloc(ST_BIG_LEN);
    if (!items || !keys || !vals || !big) abort();
    memset(big, ST_BIG_BYTE, ST_BIG_LEN);
    size_t nb = 0;
    int rc = 0;
    for (size_t i = 0; i <= p->n && rc == 0; i++) {
        const struct tst_op *o = i < p->n ? &p->op[i] : NULL;
        if (nb > 0 && (o == NULL || o->kind != TST_PUT || nb == B)) {
            if (!CHECK_OK(srd_write_batch(s, items, nb))) rc = -1;
            nb = 0;
        }
        if (o == NULL || rc != 0) break;
        uint8_t k[TST_KEY_LEN];
        tst_key(o->key, k);
        if (o->kind == TST_PUT) {
            tst_key(o->key, keys[nb]);
            items[nb].key = keys[nb];
            items[nb].key_len = TST_KEY_LEN;
            items[nb].value = vals[nb];
            items[nb].value_len = tst_small_value(o->key, o->ver, vals[nb]);
            nb++;
        } else if (o->kind == TST_DEL) {
            if (!CHECK_OK(srd_delete(s, k, TST_KEY_LEN))) rc = -1;
        } else {
            if (!CHECK_OK(srd_write(s, k, TST_KEY_LEN, big, ST_BIG_LEN))) rc = -1;
        }
    }
    uint64_t want = tst_layout(p, NULL);
    if (rc == 0)
        CHECK_MSG(tst_size_of(s) == want, "built store %s is %llu bytes, the layout says %llu", path,
                  (unsigned long long)tst_size_of(s), (unsigned long long)want);
    free(items);
    free(keys);
    free(vals);
    free(big);
    if (keep) *keep = s;
    else srd_close(s);
    return rc;
}

static int tst_is_special(const struct tst_model *m, uint32_t i) {
    for (int k = 0; k < m->nspecial; k++)
        if (m->special[k] == i) return 1;
    return 0;
}

/* What a read returned, in words. */
static void tst_describe_read(char *out, size_t n, uint32_t i, int32_t r, const uint8_t *p,
                              size_t len) {
    if (r != SRD_OK) {
        snprintf(out, n, "%s", tst_status_name(r));
        return;
    }
    if (i == ST_BIG) {
        snprintf(out, n, "SRD_OK, %zu bytes", len);
        return;
    }
    uint8_t v[32];
    for (uint32_t ver = 1; ver <= 3; ver++) {
        size_t vl = tst_small_value(i, ver, v);
        if (vl == len && memcmp(v, p, len) == 0) {
            snprintf(out, n, "SRD_OK, version %u", ver);
            return;
        }
    }
    snprintf(out, n, "SRD_OK, %zu bytes that are no version of this key", len);
}

/* Every key's answer (all keys at SRD_TEST_SCALE >= 1, every 7th and the special ones
 * below) and srd_count must be those of the model: the file present. */
static void tst_expect_model(const srd_store *s, const struct tst_model *m, const char *what) {
    uint32_t stride = tst_scale() >= 1.0 ? 1 : 7;
    unsigned long checked = 0, wrong = 0;
    char first[3][200];
    int nf = 0;
    for (uint32_t i = 0; i <= ST_NK; i++) {
        if (i % stride != 0 && i != ST_BIG && !tst_is_special(m, i)) continue;
        uint8_t k[TST_KEY_LEN], want[32];
        tst_key(i == ST_BIG ? ST_BIG_ID : i, k);
        const uint8_t *p = NULL;
        size_t len = 0;
        int32_t r = srd_read(s, k, TST_KEY_LEN, &p, &len);
        int ok;
        const char *expect;
        char ebuf[64];
        if (m->corrupt[i]) {
            ok = r == SRD_CORRUPT;
            expect = "SRD_CORRUPT";
        } else if (m->ver[i] == 0) {
            ok = r == SRD_NOT_FOUND;
            expect = "SRD_NOT_FOUND";
        } else if (i == ST_BIG) {
            ok = r == SRD_OK && len == ST_BIG_LEN;
            for (size_t j = 0; ok && j < len; j++) ok = p[j] == ST_BIG_BYTE;
            expect = "the 16 KiB value";
        } else {
            size_t wl = tst_small_value(i, m->ver[i], want);
            ok = r == SRD_OK && len == wl && memcmp(p, want, wl) == 0;
            snprintf(ebuf, sizeof ebuf, "version %u", m->ver[i]);
            expect = ebuf;
        }
        checked++;
        if (!ok) {
            wrong++;
            if (nf < 3) {
                char got[100];
                tst_describe_read(got, sizeof got, i, r, p, len);
                snprintf(first[nf++], sizeof first[0], "key %u: %s, the file has %s",
                         i == ST_BIG ? ST_BIG_ID : i, got, expect);
            }
        }
    }
    CHECK_MSG(wrong == 0, "%s: %lu of %lu keys answered unlike the file present (%s%s%s%s%s)", what,
              wrong, checked, nf > 0 ? first[0] : "", nf > 1 ? "; " : "", nf > 1 ? first[1] : "",
              nf > 2 ? "; " : "", nf > 2 ? first[2] : "");
    uint64_t c = tst_count_of(s);
    CHECK_MSG(c == m->live, "%s: srd_count gives %llu, the file present holds %llu live keys", what,
              (unsigned long long)c, (unsigned long long)m->live);
}

/* A control open that ignores the index file, then a read-only open, a read-write open,
 * srd_compact through it (want_compact), and a reopen that ignores the index file: every
 * answer must be the model's. */
static void tst_check_store(const char *path, const struct tst_model *m, const char *label,
                            int32_t want_compact) {
    char what[200];
    srd_store *s = NULL;
    /* control: the file itself, read without the index file, is the model (else the
     * scenario, not the library, is wrong) */
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_INDEX_FILE, &s))) {
        snprintf(what, sizeof what, "%s, CONTROL (read-only open without the index file)", label);
        tst_expect_model(s, m, what);
        srd_close(s);
    }
    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
        snprintf(what, sizeof what, "%s, read-only open", label);
        tst_expect_model(s, m, what);
        srd_close(s);
    }
    s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        snprintf(what, sizeof what, "%s, read-write open", label);
        tst_expect_model(s, m, what);
        int32_t r = srd_compact(s);
        CHECK_MSG(r == want_compact, "%s: srd_compact returned %s, expected %s", label,
                  tst_status_name(r), tst_status_name(want_compact));
        snprintf(what, sizeof what, "%s, after srd_compact on that handle", label);
        tst_expect_model(s, m, what);
        srd_close(s);
    }
    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_INDEX_FILE, &s))) {
        snprintf(what, sizeof what,
                 "%s, reopened without the index file after that compaction (no live key lost)",
                 label);
        tst_expect_model(s, m, what);
        srd_close(s);
    }
}

/* Two files of the same length whose last 4 KiB + 20 bytes are equal but which differ
 * earlier (what the stale-index scenarios need). */
static void tst_expect_same_tail(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    uint8_t *x = tst_slurp(a, &na), *y = tst_slurp(b, &nb);
    size_t span = 4096 + SRD_FMT_META;
    int ok = x && y && na == nb && na > span && memcmp(x + na - span, y + nb - span, span) == 0 &&
             memcmp(x, y, na) != 0;
    CHECK_MSG(ok, "precondition: %s and %s must have the same length (%zu, %zu) and the same "
              "last %zu bytes, and differ before them", a, b, na, nb, span);
    free(x);
    free(y);
}

enum { TST_RENAME, TST_COPY, TST_REBUILD };

struct tst_rebuild_arg {
    const char *path;
    const struct tst_plan *plan;
};

/* Never closed: the process _exit()s (kept reachable for leak checkers). */
static srd_store *tst_unclosed_store;

static void tst_rebuild_child(void *arg) {
    const struct tst_rebuild_arg *a = (const struct tst_rebuild_arg *)arg;
    CHECK(unlink(a->path) == 0);
    tst_build(a->path, a->plan, &tst_unclosed_store);
}

static void tst_stale_case(const char *test, int how) {
    tst_ctx("%s", test);
    char an[64], bn[64];
    snprintf(an, sizeof an, "%s.srd", test);
    snprintf(bn, sizeof bn, "%s-other.srd", test);
    const char *a = tst_path(an), *b = tst_path(bn);
    struct tst_plan pa, pb;
    tst_plan_base(&pa);
    tst_plan_changed(&pb);
    struct tst_model *m = (struct tst_model *)malloc(sizeof *m);
    if (!m) abort();
    tst_model_of(&pb, m);
    tst_model_special(m, ST_J1);
    tst_model_special(m, ST_J2);
    tst_model_special(m, ST_P2);
    const char *how_s = "";
    if (tst_build(a, &pa, NULL) != 0) goto out;
    if (!CHECK_MSG(tst_file_exists(tst_side(a, ".idx")),
                   "precondition: closing a %u-entry store saves %s.idx", ST_NK, an))
        goto out;
    if (how == TST_REBUILD) {
        /* a process deletes the store and writes the other content at the same path,
         * then ends without srd_close (no new index copy): the old one stays */
        how_s = "deleted and rebuilt by a process that _exit()ed without srd_close";
        struct tst_rebuild_arg ra = {a, &pb};
        if (!tst_run_in_child("rebuilding the store in a child process", 120, TST_CHILD_QUICK_EXIT,
                              tst_rebuild_child, &ra))
            goto out;
    } else {
        if (tst_build(b, &pb, NULL) != 0) goto out;
        unlink(tst_side(b, ".idx"));
        tst_expect_same_tail(a, b);
        if (how == TST_RENAME) {
            how_s = "another store of the same length and tail renamed over it";
            CHECK(rename(b, a) == 0);
        } else {
            how_s = "another store's bytes written into its file (same inode, like cp)";
            struct stat before, after;
            CHECK(stat(a, &before) == 0);
            size_t n = 0;
            uint8_t *bytes = tst_slurp(b, &n);
            int fd = open(a, O_WRONLY | O_TRUNC | O_CLOEXEC);
            CHECK(bytes != NULL && fd >= 0 && tst_write_full(fd, bytes, n) == 0);
            if (fd >= 0) close(fd);
            free(bytes);
            unlink(b);
            CHECK(stat(a, &after) == 0 && after.st_ino == before.st_ino);
        }
    }
    CHECK_MSG(tst_file_exists(tst_side(a, ".idx")), "precondition: the old %s.idx is still there", an);
    tst_check_store(a, m, how_s, SRD_OK);
out:
    printf("  %s: %s beside the old index copy: every key, srd_count, compaction checked\n", test,
           how_s);
    tst_remove_store(a);
    tst_remove_store(b);
    free(pa.op);
    free(pb.op);
    free(m);
    tst_ctx_clear();
}

static void test_stale_index_renamed_over(void) {
    tst_stale_case("test_stale_index_renamed_over", TST_RENAME);
}

static void test_stale_index_copied_over_same_inode(void) {
    tst_stale_case("test_stale_index_copied_over_same_inode", TST_COPY);
}

static void test_stale_index_rebuilt_by_crashed_process(void) {
    tst_stale_case("test_stale_index_rebuilt_by_crashed_process", TST_REBUILD);
}

/* Another program flips bytes of the store after its index copy was saved. */
static void test_stale_index_flipped_bytes(void) {
    tst_ctx("test_stale_index_flipped_bytes");
    const char *a = tst_path("flip.srd");
    struct tst_plan pb, pa;
    tst_plan_changed(&pb);
    tst_plan_base(&pa);
    uint64_t *meta = (uint64_t *)calloc(pb.n > pa.n ? pb.n : pa.n, sizeof *meta);
    struct tst_model *m = (struct tst_model *)malloc(sizeof *m);
    if (!meta || !m) abort();

    /* (1) the key hash of the tombstone of ST_J1: that key is live again (its old value) */
    if (tst_build(a, &pb, NULL) == 0 &&
        CHECK_MSG(tst_file_exists(tst_side(a, ".idx")), "precondition: flip.srd.idx saved")) {
        tst_layout(&pb, meta);
        size_t t = 0;
        while (t < pb.n && pb.op[t].kind != TST_DEL) t++;
        uint64_t off = meta[t]; /* the first byte of the tombstone's key hash */
        CHECK(tst_xor_byte(a, off, 0x5A));
        tst_model_of(&pb, m);
        m->ver[ST_J1] = 1;
        m->live++;
        tst_model_special(m, ST_J1);
        tst_model_special(m, ST_J2);
        tst_model_special(m, ST_P2);
        tst_check_store(a, m, "a tombstone's key hash flipped after the index copy was saved", SRD_OK);
    }
    tst_remove_store(a);

    /* (2) a payload byte: the value must read SRD_CORRUPT, never other bytes; compaction
     * refuses (nothing changed) */
    if (tst_build(a, &pa, NULL) == 0 &&
        CHECK_MSG(tst_file_exists(tst_side(a, ".idx")), "precondition: flip.srd.idx saved")) {
        tst_layout(&pa, meta);
        uint64_t off = meta[ST_K3] - tst_small_len(ST_K3, 1) + 1;
        CHECK(tst_xor_byte(a, off, 0x01));
        tst_model_of(&pa, m);
        m->corrupt[ST_K3] = 1;
        tst_model_special(m, ST_K3);
        tst_check_store(a, m, "a payload byte flipped after the index copy was saved", SRD_CORRUPT);
    }
    tst_remove_store(a);
    printf("  test_stale_index_flipped_bytes: a tombstone's key hash flipped (the key is live "
           "again) and a payload byte flipped (SRD_CORRUPT) beside the saved index copy\n");
    free(pa.op);
    free(pb.op);
    free(meta);
    free(m);
    tst_ctx_clear();
}

/* Two different stores ending in the same 16 KiB value of one byte at the same offset:
 * the last 4 KiB + 20 bytes are equal whatever came before. */
static void test_stale_index_constant_tail_value(void) {
    tst_ctx("test_stale_index_constant_tail_value");
    const char *a = tst_path("const.srd"), *b = tst_path("const-other.srd");
    struct tst_plan pa, pb;
    tst_plan_constant_tail(&pa, 0);
    tst_plan_constant_tail(&pb, 1);
    struct tst_model *m = (struct tst_model *)malloc(sizeof *m);
    if (!m) abort();
    tst_model_of(&pb, m);
    if (tst_build(a, &pa, NULL) == 0 && tst_build(b, &pb, NULL) == 0 &&
        CHECK_MSG(tst_file_exists(tst_side(a, ".idx")), "precondition: const.srd.idx saved")) {
        unlink(tst_side(b, ".idx"));
        tst_expect_same_tail(a, b);
        CHECK(rename(b, a) == 0);
        tst_check_store(a, m, "a store with its keys in another order, ending in the same "
                        "16 KiB constant value, renamed over it", SRD_OK);
    }
    tst_remove_store(a);
    tst_remove_store(b);
    printf("  test_stale_index_constant_tail_value: stores ending in the same 16 KiB value of "
           "0x%02X at offset %llu, keys in other orders\n",
           ST_BIG_BYTE, (unsigned long long)(64ull * ST_NK));
    free(pa.op);
    free(pb.op);
    free(m);
    tst_ctx_clear();
}

/* ================================================================== */
/* 2. fork                                                              */
/* ================================================================== */

#define FK_KEYS 20u
#define FK_CHILD_KEY 1000u

static int tst_put_small(srd_store *s, uint32_t key, uint32_t ver) {
    uint8_t k[TST_KEY_LEN], v[32];
    tst_key(key, k);
    size_t n = tst_small_value(key, ver, v);
    return srd_write(s, k, TST_KEY_LEN, v, n);
}

/* 1 if `key` reads as version `ver` of its small value (ver 0: SRD_NOT_FOUND). */
static int tst_has_small(const srd_store *s, uint32_t key, uint32_t ver) {
    uint8_t k[TST_KEY_LEN], v[32];
    tst_key(key, k);
    const uint8_t *p = NULL;
    size_t n = 0;
    int32_t r = srd_read(s, k, TST_KEY_LEN, &p, &n);
    if (ver == 0) return r == SRD_NOT_FOUND;
    size_t vl = tst_small_value(key, ver, v);
    return r == SRD_OK && n == vl && memcmp(p, v, vl) == 0;
}

/* keys[0..n) with versions ver[]; `extra` (if not 0) at version 1; nothing else. */
static void tst_expect_small_store(const char *path, uint32_t n, const uint32_t *ver, uint32_t extra,
                                   const char *what) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_INDEX_FILE, &s))) return;
    unsigned bad = 0;
    for (uint32_t k = 0; k < n; k++) bad += !tst_has_small(s, k, ver[k]);
    CHECK_MSG(bad == 0, "%s: %u of the parent's %u keys are not as the parent wrote them", what, bad, n);
    if (extra) CHECK_MSG(tst_has_small(s, extra, 1), "%s: key %u (written by the third process) is "
                         "not as written", what, extra);
    CHECK_MSG(tst_has_small(s, FK_CHILD_KEY, 0), "%s: the forked child's write is in the store", what);
    uint64_t live = 0;
    for (uint32_t k = 0; k < n; k++) live += ver[k] != 0;
    live += extra != 0;
    CHECK_MSG(tst_count_of(s) == live, "%s: srd_count %llu, expected %llu", what,
              (unsigned long long)tst_count_of(s), (unsigned long long)live);
    srd_verify_report rep;
    CHECK_MSG(srd_verify(s, &rep) == SRD_OK, "%s: srd_verify: %s", what, srd_last_error_message());
    srd_close(s);
}

static srd_store *tst_atexit_store;

static void tst_atexit_close(void) {
    srd_close(tst_atexit_store);
    tst_atexit_store = NULL;
}

/* The child's report of a write through its inherited handle. */
static void tst_expect_broken(const char *line, const char *when) {
    int st = -1;
    const char *msg = strstr(line, " msg ");
    msg = msg ? msg + 5 : "";
    if (!CHECK_MSG(sscanf(line, "write %d", &st) == 1, "%s: odd reply \"%s\"", when, line)) return;
    CHECK_MSG(st == SRD_BROKEN, "%s: srd_write through the handle inherited across fork returned "
              "%d (%s) (\"%s\"); expected SRD_BROKEN (9): the write must be refused, not "
              "reported done", when, st, tst_status_name(st), msg);
    CHECK_MSG(msg[0] != '\0' && strcasestr(msg, "fork") != NULL,
              "%s: the message of the refused write does not mention fork: \"%s\"", when, msg);
}

static void tst_report_write(struct tst_chan *ch, int32_t r) {
    char msg[300] = "";
    if (r != SRD_OK) tst_last_error(msg, sizeof msg);
    tst_chan_send(ch, "write %d msg %s", (int)r, msg);
}

static void test_fork_child_close_keeps_parent_lock(void) {
    tst_ctx("test_fork_child_close_keeps_parent_lock");
    const char *path = tst_path("fork-close.srd");
    uint32_t ver[FK_KEYS + 10] = {0};
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    for (uint32_t k = 0; k < FK_KEYS; k++) {
        CHECK_OK(tst_put_small(s, k, 1));
        ver[k] = 1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        srd_close(s); /* the child's copy of the parent's handle */
        _exit(0);
    }
    int status = 0;
    CHECK(pid > 0 && tst_wait(pid, 30, &status) == 0 && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    int st = tst_probe("--probe-open", path);
    CHECK_MSG(st == SRD_LOCKED, "after a forked child called srd_close on its inherited copy of "
              "the handle, a read-write open from a third process returned %d (%s); the parent "
              "still has the store open, so expected SRD_LOCKED", st, tst_status_name(st));
    unsigned bad = 0;
    for (uint32_t k = 0; k < FK_KEYS; k++) bad += !tst_has_small(s, k, 1);
    CHECK_MSG(bad == 0, "%u of the parent's values changed after the child's close", bad);
    for (uint32_t k = FK_KEYS; k < FK_KEYS + 10; k++) {
        CHECK_OK(tst_put_small(s, k, 1));
        ver[k] = 1;
    }
    srd_close(s);
    tst_expect_small_store(path, FK_KEYS + 10, ver, 0, "after the parent closed");
    tst_remove_store(path);
    printf("  test_fork_child_close_keeps_parent_lock: child srd_close, then a third process's "
           "read-write open: %d (%s)\n", st, tst_status_name(st));
    tst_ctx_clear();
}

static void test_fork_child_write_is_refused(void) {
    tst_ctx("test_fork_child_write_is_refused");
    const char *path = tst_path("fork-write.srd");
    uint32_t ver[FK_KEYS + 10] = {0};
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    for (uint32_t k = 0; k < FK_KEYS; k++) {
        CHECK_OK(tst_put_small(s, k, 1));
        ver[k] = 1;
    }
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        close(p[0]);
        struct tst_chan ch;
        memset(&ch, 0, sizeof ch);
        ch.rfd = -1;
        ch.wfd = p[1];
        tst_atexit_store = s;
        atexit(tst_atexit_close);
        /* a value longer than the parent's next writes: if it lands, it shows */
        uint8_t k[TST_KEY_LEN], v[300];
        tst_key(FK_CHILD_KEY, k);
        tst_sv_fill(77, v, sizeof v);
        tst_report_write(&ch, srd_write(s, k, TST_KEY_LEN, v, sizeof v));
        exit(0); /* runs tst_atexit_close */
    }
    close(p[1]);
    struct tst_chan ch;
    memset(&ch, 0, sizeof ch);
    ch.rfd = p[0];
    ch.wfd = -1;
    char line[800] = "";
    CHECK(pid > 0 && tst_chan_recv(&ch, line, sizeof line, 30) == 0);
    close(p[0]);
    int status = 0;
    CHECK(pid > 0 && tst_wait(pid, 30, &status) == 0 && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    tst_expect_broken(line, "in a forked child");
    int st = tst_probe("--probe-open", path);
    CHECK_MSG(st == SRD_LOCKED, "after a forked child wrote and exit()ed through an atexit handler "
              "that closed its inherited copy of the handle, a read-write open from a third "
              "process returned %d (%s); the parent still has the store open, so expected "
              "SRD_LOCKED", st, tst_status_name(st));
    unsigned bad = 0;
    for (uint32_t k = 0; k < FK_KEYS; k++) bad += !tst_has_small(s, k, 1);
    CHECK_MSG(bad == 0, "%u of the parent's values changed after the child's write", bad);
    CHECK_MSG(tst_has_small(s, FK_CHILD_KEY, 0), "the parent's handle shows the child's write");
    for (uint32_t k = FK_KEYS; k < FK_KEYS + 10; k++) {
        int32_t r = tst_put_small(s, k, 1);
        CHECK_MSG(r == SRD_OK, "the parent's write of key %u after the child's: %s (%s)", k,
                  tst_status_name(r), srd_last_error_message());
        ver[k] = 1;
    }
    bad = 0;
    for (uint32_t k = 0; k < FK_KEYS + 10; k++) bad += !tst_has_small(s, k, 1);
    CHECK_MSG(bad == 0, "%u of the parent's values are wrong after its later writes", bad);
    srd_close(s);
    tst_expect_small_store(path, FK_KEYS + 10, ver, 0, "reopened after the parent closed");
    tst_remove_store(path);
    printf("  test_fork_child_write_is_refused: the child's write: \"%s\"; then a third "
           "process's read-write open: %d (%s)\n", line, st, tst_status_name(st));
    tst_ctx_clear();
}

static void test_fork_parent_close_releases_lock(void) {
    tst_ctx("test_fork_parent_close_releases_lock");
    const char *path = tst_path("fork-parent-close.srd");
    uint32_t ver[FK_KEYS] = {0};
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    for (uint32_t k = 0; k < FK_KEYS; k++) {
        CHECK_OK(tst_put_small(s, k, 1));
        ver[k] = 1;
    }
    int up[2], down[2];
    REQUIRE(pipe2(up, O_CLOEXEC) == 0 && pipe2(down, O_CLOEXEC) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30);
        close(up[0]);
        close(down[1]);
        struct tst_chan ch;
        memset(&ch, 0, sizeof ch);
        ch.rfd = down[0];
        ch.wfd = up[1];
        char cmd[64];
        if (tst_chan_recv(&ch, cmd, sizeof cmd, 60) != 0) _exit(3);
        uint8_t k[TST_KEY_LEN], v[300];
        tst_key(FK_CHILD_KEY, k);
        tst_sv_fill(78, v, sizeof v);
        tst_report_write(&ch, srd_write(s, k, TST_KEY_LEN, v, sizeof v));
        if (tst_chan_recv(&ch, cmd, sizeof cmd, 60) != 0) _exit(4);
        srd_close(s);
        tst_chan_send(&ch, "closed");
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    struct tst_chan ch;
    memset(&ch, 0, sizeof ch);
    ch.rfd = up[0];
    ch.wfd = down[1];
    REQUIRE(pid > 0);
    srd_close(s); /* the child is alive and still holds its inherited copy */
    int st = tst_probe("--probe-write", path);
    CHECK_MSG(st == SRD_OK, "the parent closed its handle while a forked child (alive) holds an "
              "inherited copy; a read-write open and write from a third process then returned "
              "%d (%s): expected SRD_OK (the parent's close must release the lock)", st,
              st >= 100 ? tst_status_name(st - 100) : tst_status_name(st));
    char line[800] = "";
    CHECK(tst_chan_send(&ch, "write") == 0 && tst_chan_recv(&ch, line, sizeof line, 30) == 0);
    tst_expect_broken(line, "in a forked child, after the parent closed and a third process wrote");
    char bye[64] = "";
    CHECK(tst_chan_send(&ch, "close") == 0 && tst_chan_recv(&ch, bye, sizeof bye, 30) == 0 &&
          strcmp(bye, "closed") == 0);
    int status = 0;
    CHECK(tst_wait(pid, 30, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(up[0]);
    close(down[1]);
    tst_expect_small_store(path, FK_KEYS, ver, st == SRD_OK ? TST_PROBE_KEY : 0,
                           "after the parent, the third process and the child");
    tst_remove_store(path);
    printf("  test_fork_parent_close_releases_lock: third process after the parent's close: %d "
           "(%s); the child's later write: \"%s\"\n", st, tst_status_name(st), line);
    tst_ctx_clear();
}

/* ================================================================== */
/* Readers and writers in separate processes (3. and 4.)                */
/* ================================================================== */

#define MP_KEYS 32u
#define MP_BIG_ID 0xB16u /* only ever streamed and aborted (3.) or left torn (4.) */

struct tst_reader_cfg {
    const char *path;
    double secs;
};

struct tst_reader_stats {
    long iters, refreshes, opens, reads, bad, corrupt, errors;
    char first[320];
};

static void tst_note(struct tst_reader_stats *st, int32_t r, const char *what) {
    if (r == SRD_OK) return;
    if (r == SRD_CORRUPT) st->corrupt++;
    else st->errors++;
    if (st->first[0] == '\0') {
        char msg[300];
        tst_last_error(msg, sizeof msg);
        snprintf(st->first, sizeof st->first, "%s: %s: %.200s", what, tst_status_name(r), msg);
    }
}

/* Every key must hold a complete value once written for it; MP_BIG_ID nothing. */
static void tst_reader_check(const srd_store *s, struct tst_reader_stats *st) {
    for (uint32_t k = 0; k < MP_KEYS; k++) {
        uint8_t key[TST_KEY_LEN];
        tst_key(k, key);
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t r = srd_read(s, key, TST_KEY_LEN, &p, &n);
        st->reads++;
        if (r == SRD_OK) {
            if (!tst_sd_ok(k, p, n)) {
                st->bad++;
                if (st->first[0] == '\0')
                    snprintf(st->first, sizeof st->first, "key %u: %zu bytes never written", k, n);
            }
        } else if (r == SRD_NOT_FOUND) {
            st->bad++;
            if (st->first[0] == '\0')
                snprintf(st->first, sizeof st->first, "key %u: SRD_NOT_FOUND (it always has a value)", k);
        } else {
            tst_note(st, r, "srd_read");
        }
    }
    uint8_t key[TST_KEY_LEN];
    tst_key(MP_BIG_ID, key);
    const uint8_t *p = NULL;
    size_t n = 0;
    int32_t r = srd_read(s, key, TST_KEY_LEN, &p, &n);
    if (r == SRD_OK) {
        st->bad++;
        if (st->first[0] == '\0')
            snprintf(st->first, sizeof st->first, "the never-committed streamed key has %zu bytes", n);
    } else if (r != SRD_NOT_FOUND) {
        tst_note(st, r, "srd_read of the streamed key");
    }
}

/* A reader process: a read-only handle refreshed in a loop, and a fresh read-only open,
 * read and close every other round. */
static void tst_reader(void *arg, struct tst_chan *ch) {
    const struct tst_reader_cfg *c = (const struct tst_reader_cfg *)arg;
    struct tst_reader_stats st;
    memset(&st, 0, sizeof st);
    srd_store *h = NULL;
    double end = tst_now() + c->secs;
    while (tst_now() < end) {
        if (h == NULL) {
            int32_t r = srd_open(c->path, SRD_OPEN_READ_ONLY, &h);
            st.opens++;
            tst_note(&st, r, "srd_open (read-only)");
            if (r != SRD_OK) h = NULL;
        } else {
            int32_t r = srd_refresh(h);
            st.refreshes++;
            tst_note(&st, r, "srd_refresh");
        }
        if (h) tst_reader_check(h, &st);
        if (st.iters % 2 == 0) {
            srd_store *f = NULL;
            int32_t r = srd_open(c->path, SRD_OPEN_READ_ONLY, &f);
            st.opens++;
            tst_note(&st, r, "srd_open (read-only)");
            if (r == SRD_OK) {
                tst_reader_check(f, &st);
                srd_close(f);
            }
        }
        st.iters++;
    }
    srd_close(h);
    tst_chan_send(ch, "iters %ld refreshes %ld opens %ld reads %ld bad %ld corrupt %ld errors %ld | %s",
                  st.iters, st.refreshes, st.opens, st.reads, st.bad, st.corrupt, st.errors, st.first);
}

/* Collects a reader's report and exit; returns the number of SRD_CORRUPT it saw. */
static long tst_reader_finish(struct tst_proc *p, double secs, long *opens) {
    char line[1024] = "";
    int got = tst_chan_recv(&p->ch, line, sizeof line, secs) == 0;
    int alive = tst_proc_end_ok(p, 30);
    long it = 0, rf = 0, op = 0, rd = 0, bad = -1, cor = -1, err = -1;
    if (!got) {
        CHECK_MSG(0, "%s sent no report%s", p->name, alive ? "" : " (it died: see above)");
        return 0;
    }
    const char *first = strstr(line, " | ");
    first = first ? first + 3 : "";
    if (!CHECK_MSG(sscanf(line, "iters %ld refreshes %ld opens %ld reads %ld bad %ld corrupt %ld errors %ld",
                          &it, &rf, &op, &rd, &bad, &cor, &err) == 7,
                   "%s: odd report \"%s\"", p->name, line))
        return 0;
    CHECK_MSG(bad == 0, "%s: %ld reads returned values never written (or lost) (%s)", p->name, bad, first);
    CHECK_MSG(cor == 0, "%s: %ld calls returned SRD_CORRUPT on a sound store (first: %s)", p->name, cor, first);
    CHECK_MSG(err == 0, "%s: %ld calls failed (first: %s)", p->name, err, first);
    printf("    %s: %ld rounds, %ld refreshes, %ld opens, %ld reads; %ld bad, %ld SRD_CORRUPT, "
           "%ld other errors\n", p->name, it, rf, op, rd, bad, cor, err);
    if (opens) *opens += op;
    return cor;
}

/* Writes MP_KEYS keys at version 1 (store created). */
static void tst_seed_store(const char *path, uint32_t flags) {
    srd_store *s = NULL;
    REQUIRE(srd_open(path, flags, &s) == SRD_OK);
    uint8_t buf[600];
    for (uint32_t k = 0; k < MP_KEYS; k++) {
        uint8_t key[TST_KEY_LEN];
        tst_key(k, key);
        size_t n = tst_sd_len(k, 1, 400);
        tst_sd_make(k, 1, buf, n);
        CHECK_OK(srd_write(s, key, TST_KEY_LEN, buf, n));
    }
    srd_close(s);
}

static double tst_race_secs(double base) {
    double secs = base * tst_scale();
    if (secs < 1.0) secs = 1.0;
    if (secs > 8.0) secs = 8.0;
    return secs;
}

/* ---- 3. SIGBUS ----------------------------------------------------------------------- */

struct tst_writer_cfg {
    const char *path;
    double secs;
    uint64_t ver0;
    long appends; /* tst_torn_writer: small appends before the stream, */
    long torn_kib; /* and the stream's length (left torn) */
};

/* Streams 8 MiB (1 MiB chunks) and aborts, then one small write; over and over. */
static void tst_stream_writer(void *arg, struct tst_chan *ch) {
    const struct tst_writer_cfg *c = (const struct tst_writer_cfg *)arg;
    srd_store *s = NULL;
    int32_t r = srd_open(c->path, 0, &s);
    if (r != SRD_OK) {
        tst_chan_send(ch, "open %d", (int)r);
        return;
    }
    const size_t chunk = 1u << 20;
    uint8_t *data = (uint8_t *)malloc(chunk);
    uint8_t buf[600];
    if (!data) abort();
    tst_sv_fill(0xB16B16, data, chunk);
    uint8_t bk[TST_KEY_LEN];
    tst_key(MP_BIG_ID, bk);
    long streams = 0, writes = 0, errors = 0;
    uint64_t ver = c->ver0;
    double end = tst_now() + c->secs;
    while (tst_now() < end) {
        srd_stream *st = NULL;
        if (srd_stream_begin(s, bk, TST_KEY_LEN, &st) == SRD_OK) {
            for (int i = 0; i < 8; i++)
                if (srd_stream_write(st, data, chunk) != SRD_OK) {
                    errors++;
                    break;
                }
            srd_stream_abort(st);
            streams++;
        } else {
            errors++;
        }
        uint32_t k = (uint32_t)(writes % MP_KEYS);
        uint8_t key[TST_KEY_LEN];
        tst_key(k, key);
        size_t n = tst_sd_len(k, ver, 400);
        tst_sd_make(k, ver, buf, n);
        if (srd_write(s, key, TST_KEY_LEN, buf, n) != SRD_OK) errors++;
        writes++;
        ver++;
    }
    srd_close(s);
    free(data);
    tst_chan_send(ch, "open 0 streams %ld writes %ld errors %ld", streams, writes, errors);
}

/* A race: one writer process (`writer`, sent `wc`) against `nreaders` reader processes
 * (tst_reader) for `secs`. Puts the writer's report line in `line` (empty if none) and
 * checks that it ended normally; then each reader's report (a reader killed by a signal,
 * a value never written, a missing key or an SRD_CORRUPT fails). Returns the readers'
 * SRD_CORRUPT count and adds their opens to `*opens`. */
static long tst_race(const char *writer_name, tst_proc_fn writer, struct tst_writer_cfg *wc,
                     int nreaders, double secs, char *line, size_t line_len, long *opens) {
    struct tst_reader_cfg rc = {wc->path, secs};
    struct tst_proc w, r[4];
    line[0] = '\0';
    REQUIRE(nreaders <= 4 &&
            tst_proc_start(&w, writer_name, (unsigned)secs + 60, writer, wc) == 0);
    for (int i = 0; i < nreaders; i++) {
        char name[64];
        snprintf(name, sizeof name, "reader process %d", i + 1);
        REQUIRE(tst_proc_start(&r[i], name, (unsigned)secs + 60, tst_reader, &rc) == 0);
    }
    CHECK_MSG(tst_chan_recv(&w.ch, line, line_len, secs + 60) == 0, "the writer sent no report");
    tst_proc_end_ok(&w, 30);
    long corrupt = 0;
    for (int i = 0; i < nreaders; i++) corrupt += tst_reader_finish(&r[i], 60, opens);
    return corrupt;
}

static void test_sigbus_readers_survive_aborted_streams(void) {
    tst_ctx("test_sigbus_readers_survive_aborted_streams");
    const char *path = tst_path("sigbus.srd");
    tst_seed_store(path, 0);
    double secs = tst_race_secs(4.0);
    struct tst_writer_cfg wc = {path, secs, 2, 0, 0};
    char line[256];
    long streams = 0, writes = 0, errors = -1, opens = 0;
    int wst = -1;
    tst_race("writer process (streams aborted)", tst_stream_writer, &wc, 3, secs, line,
             sizeof line, &opens);
    CHECK_MSG(sscanf(line, "open %d streams %ld writes %ld errors %ld", &wst, &streams, &writes,
                     &errors) == 4 && wst == 0 && errors == 0,
              "writer: \"%s\"", line);
    printf("  test_sigbus_readers_survive_aborted_streams: %.1f s; writer: %ld streams of 8 MiB "
           "aborted, %ld small writes\n", secs, streams, writes);
    tst_remove_store(path);
    tst_ctx_clear();
}

/* ---- 4. false SRD_CORRUPT -------------------------------------------------------------- */

/* Appends values of 1000..1899 bytes (each append, with padding and metadata, still at
 * most the 2 KiB that SRD_OPEN_PREALLOCATE copies into its mapping; most straddle a page,
 * so the copy takes a page fault midway) as fast as it can, compacting every 4096 appends
 * (about 6 MiB) to keep the file small and the readers' opens quick. */
static uint32_t g_reserving_flag = SRD_OPEN_PREALLOCATE; /* or SRD_OPEN_RESERVE */

static void tst_prealloc_writer(void *arg, struct tst_chan *ch) {
    const struct tst_writer_cfg *c = (const struct tst_writer_cfg *)arg;
    srd_store *s = NULL;
    int32_t r = srd_open(c->path, g_reserving_flag, &s);
    if (r != SRD_OK) {
        tst_chan_send(ch, "open %d", (int)r);
        return;
    }
    uint8_t buf[2048];
    long writes = 0, errors = 0, compactions = 0;
    uint64_t ver = c->ver0;
    double end = tst_now() + c->secs;
    while (tst_now() < end) {
        for (int i = 0; i < 64; i++) {
            uint32_t k = (uint32_t)(writes % MP_KEYS);
            uint8_t key[TST_KEY_LEN];
            tst_key(k, key);
            size_t n = 1000 + (size_t)(tst_sv_mix(tst_sd_seed(k, ver)) % 900);
            tst_sd_make(k, ver, buf, n);
            if (srd_write(s, key, TST_KEY_LEN, buf, n) != SRD_OK) errors++;
            writes++;
            ver++;
        }
        if (writes % 4096 == 0) {
            if (srd_compact(s) != SRD_OK) errors++;
            compactions++;
        }
    }
    srd_close(s);
    tst_chan_send(ch, "open 0 writes %ld compactions %ld errors %ld", writes, compactions, errors);
}

/* The same race with a writer that reserves 0xFE space (SRD_OPEN_RESERVE) when `reserve`. */
static void test_false_corrupt_prealloc_writer_with(int reserve) {
    g_reserving_flag = reserve ? SRD_OPEN_RESERVE : SRD_OPEN_PREALLOCATE;
    const char *flag = reserve ? "SRD_OPEN_RESERVE" : "SRD_OPEN_PREALLOCATE";
    tst_ctx("test_false_corrupt_prealloc_writer (%s)", flag);
    const char *path = tst_path(reserve ? "reserve.srd" : "prealloc.srd");
    tst_seed_store(path, g_reserving_flag);
    double secs = tst_race_secs(3.0);
    struct tst_writer_cfg wc = {path, secs, 2, 0, 0};
    char line[256];
    long writes = 0, compactions = 0, errors = -1, opens = 0;
    int wst = -1;
    char what[64];
    snprintf(what, sizeof what, "writer process (%s)", flag);
    long corrupt = tst_race(what, tst_prealloc_writer, &wc, 2, secs, line, sizeof line, &opens);
    CHECK_MSG(sscanf(line, "open %d writes %ld compactions %ld errors %ld", &wst, &writes,
                     &compactions, &errors) == 4 && wst == 0 && errors == 0,
              "writer: \"%s\"", line);
    printf("  test_false_corrupt_prealloc_writer: %.1f s; writer: %ld appends of 1-2 KiB with "
           "%s, %ld compactions\n", secs, writes, flag, compactions);
    printf("    SRD_CORRUPT from read-only opens and refreshes: %ld (must be 0) in %ld opens\n",
           corrupt, opens);
    tst_remove_store(path);
    tst_ctx_clear();
}

static void test_false_corrupt_prealloc_writer(void) {
    test_false_corrupt_prealloc_writer_with(0);
    test_false_corrupt_prealloc_writer_with(1);
}

/* One writer of a round: opens (cutting the torn tail the last one left), appends a
 * hundred small values, then streams `torn_kib` without committing and waits to be
 * SIGKILLed. */
static void tst_torn_writer(void *arg, struct tst_chan *ch) {
    const struct tst_writer_cfg *c = (const struct tst_writer_cfg *)arg;
    srd_store *s = NULL;
    int32_t r = srd_open(c->path, 0, &s);
    char msg[300] = "";
    if (r != SRD_OK) tst_last_error(msg, sizeof msg);
    tst_chan_send(ch, "open %d %s", (int)r, msg);
    if (r != SRD_OK) return;
    uint8_t buf[600];
    uint64_t ver = c->ver0;
    long writes = 0;
    while (writes < c->appends) {
        uint32_t k = (uint32_t)(writes % MP_KEYS);
        uint8_t key[TST_KEY_LEN];
        tst_key(k, key);
        size_t n = tst_sd_len(k, ver, 400);
        tst_sd_make(k, ver, buf, n);
        if (srd_write(s, key, TST_KEY_LEN, buf, n) != SRD_OK) break;
        writes++;
        ver++;
    }
    const size_t chunk = 16u << 10;
    uint8_t data[16u << 10];
    tst_sv_fill(c->ver0, data, chunk);
    uint8_t bk[TST_KEY_LEN];
    tst_key(MP_BIG_ID, bk);
    srd_stream *st = NULL;
    r = srd_stream_begin(s, bk, TST_KEY_LEN, &st);
    for (long i = 0; i < c->torn_kib / 16 && r == SRD_OK; i++) r = srd_stream_write(st, data, chunk);
    tst_chan_send(ch, "streaming %d writes %ld", (int)r, writes);
    for (;;) pause(); /* SIGKILL (or the alarm) ends it */
}

static void test_false_corrupt_torn_tail_rewritten(void) {
    tst_ctx("test_false_corrupt_torn_tail_rewritten");
    const char *path = tst_path("torn.srd");
    tst_seed_store(path, 0);
    double secs = tst_race_secs(3.0);
    struct tst_reader_cfg rc = {path, secs + 1.0};
    struct tst_proc r[2];
    for (int i = 0; i < 2; i++) {
        char name[64];
        snprintf(name, sizeof name, "reader process %d", i + 1);
        REQUIRE(tst_proc_start(&r[i], name, (unsigned)secs + 60, tst_reader, &rc) == 0);
    }
    double end = tst_now() + secs;
    long rounds = 0, refused = 0, writes = 0;
    while (tst_now() < end || rounds < 3) {
        /* torn tails of 64 KiB (the next writer's appends soon pass their end), and of
         * 4 MiB every 4th round */
        struct tst_writer_cfg wc = {path, 0, 1000000ull * (uint64_t)(rounds + 1), 100,
                                    rounds % 4 == 3 ? 4096 : 64};
        struct tst_proc w;
        if (!CHECK(tst_proc_start(&w, "writer process (killed mid-stream)", 60, tst_torn_writer, &wc) == 0))
            break;
        char line[512] = "";
        int st = -1;
        if (CHECK_MSG(tst_chan_recv(&w.ch, line, sizeof line, 60) == 0, "round %ld: the writer did "
                      "not report its open", rounds) &&
            sscanf(line, "open %d", &st) == 1 && st != SRD_OK) {
            refused++;
            CHECK_MSG(0, "round %ld: a read-write open after the last writer was SIGKILLed "
                      "mid-stream: \"%s\"", rounds, line);
        }
        long wn = 0;
        if (st == SRD_OK && CHECK_MSG(tst_chan_recv(&w.ch, line, sizeof line, 60) == 0,
                                      "round %ld: the writer did not start its stream", rounds)) {
            int sst = -1;
            CHECK_MSG(sscanf(line, "streaming %d writes %ld", &sst, &wn) == 2 && sst == SRD_OK,
                      "round %ld: writer: \"%s\"", rounds, line);
        }
        kill(w.pid, SIGKILL);
        tst_proc_wait(&w, 30);
        writes += wn;
        rounds++;
    }
    printf("  test_false_corrupt_torn_tail_rewritten: %.1f s; %ld writers SIGKILLed each with a "
           "torn stream (64 KiB, every 4th 4 MiB), the next one cutting it and appending (%ld "
           "small writes)\n",
           secs, rounds, writes);
    long corrupt = 0, opens = 0;
    for (int i = 0; i < 2; i++) corrupt += tst_reader_finish(&r[i], 60, &opens);
    printf("    SRD_CORRUPT from read-only opens and refreshes: %ld (must be 0) in %ld opens\n",
           corrupt, opens);
    /* the store itself is sound and every key holds a written value */
    srd_store *s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        struct tst_reader_stats st;
        memset(&st, 0, sizeof st);
        tst_reader_check(s, &st);
        CHECK_MSG(st.bad == 0 && st.corrupt == 0 && st.errors == 0, "final state: %s", st.first);
        srd_close(s);
    }
    tst_remove_store(path);
    tst_ctx_clear();
}

/* ================================================================== */
/* 5. Side files                                                        */
/* ================================================================== */

/* A store of ST_NK small entries at `path` (created, closed: index copy saved). */
static int tst_large_store(const char *path) {
    struct tst_plan p;
    tst_plan_base(&p);
    int rc = tst_build(path, &p, NULL);
    free(p.op);
    return rc;
}

static const char *tst_victim(const char *name) {
    const char *v = tst_path(name);
    char text[4096];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "victim file: never write me\n"[i % 28];
    REQUIRE(tst_spit(v, text, sizeof text) == 0);
    return v;
}

static void test_side_files_idx_tmp_symlink(void) {
    tst_ctx("test_side_files_idx_tmp_symlink");
    const char *path = tst_path("sym-idx.srd");
    const char *victim = tst_victim("victim-idx.txt");
    struct tst_snap snap;
    tst_snap_take(&snap, victim);
    if (tst_large_store(path) == 0) {
        CHECK(symlink(victim, tst_side(path, ".idx.tmp")) == 0);
        srd_store *s = NULL;
        if (CHECK_OK(srd_open(path, 0, &s))) {
            CHECK_OK(tst_put_small(s, ST_NK + 5, 1));
            srd_close(s); /* saves the index copy (through <store>.idx.tmp) */
        }
        CHECK_SAME_BYTES(&snap, victim);
        s = NULL;
        if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
            CHECK(tst_has_small(s, ST_NK + 5, 1) && tst_has_small(s, 7, 1));
            CHECK_EQ_U(tst_count_of(s), ST_NK + 1);
            srd_close(s);
        }
    }
    printf("  test_side_files_idx_tmp_symlink: a %u-entry store written and closed with "
           "<store>.idx.tmp a symlink to another file\n", ST_NK);
    tst_snap_free(&snap);
    tst_remove_store(path);
    unlink(victim);
    tst_ctx_clear();
}

static void test_side_files_compact_tmp_symlink(void) {
    tst_ctx("test_side_files_compact_tmp_symlink");
    const char *path = tst_path("sym-compact.srd");
    const char *victim = tst_victim("victim-compact.txt");
    struct tst_snap snap;
    tst_snap_take(&snap, victim);
    srd_store *s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        for (uint32_t k = 0; k < 200; k++) CHECK_OK(tst_put_small(s, k % 50, k / 50 + 1));
        srd_close(s);
    }
    /* planted before the open, and again while the store is open */
    CHECK(symlink(victim, tst_side(path, ".compact.tmp")) == 0);
    s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        unlink(tst_side(path, ".compact.tmp"));
        CHECK(symlink(victim, tst_side(path, ".compact.tmp")) == 0);
        CHECK_OK(srd_compact(s));
        CHECK_SAME_BYTES(&snap, victim);
        unsigned bad = 0;
        for (uint32_t k = 0; k < 50; k++) bad += !tst_has_small(s, k, 4);
        CHECK_EQ(bad, 0);
        srd_close(s);
    }
    CHECK_SAME_BYTES(&snap, victim);
    printf("  test_side_files_compact_tmp_symlink: srd_compact with <store>.compact.tmp a symlink "
           "to another file\n");
    tst_snap_free(&snap);
    tst_remove_store(path);
    unlink(victim);
    tst_ctx_clear();
}

/* The mode of a deleted file of this process's whose name is in `dir` (a spool), or -1. */
static long tst_deleted_file_mode_in(const char *dir) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return -1;
    long mode = -1;
    size_t dl = strlen(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && mode < 0) {
        if (e->d_name[0] == '.') continue;
        char link[PATH_MAX + 32], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (strncmp(target, dir, dl) != 0 || target[dl] != '/' || !strstr(target, "(deleted)"))
            continue;
        struct stat st;
        if (fstat(atoi(e->d_name), &st) == 0 && S_ISREG(st.st_mode)) mode = (long)(st.st_mode & 07777);
    }
    closedir(d);
    return mode;
}

static void test_side_files_stream_tmp_symlink(void) {
    tst_ctx("test_side_files_stream_tmp_symlink");
    const char *path = tst_path("sym-stream.srd");
    const char *victim = tst_victim("victim-stream.txt");
    struct tst_snap snap;
    tst_snap_take(&snap, victim);
    char dir[PATH_MAX];
    if (realpath(tst_test_g.dir, dir) == NULL) snprintf(dir, sizeof dir, "%s", tst_test_g.dir);
    const size_t len = 3u << 20;
    uint8_t *val = (uint8_t *)malloc(len);
    if (!val) abort();
    tst_sv_fill(0x57EA, val, len);
    long spool_mode = -1;
    srd_store *s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        CHECK(chmod(path, 0600) == 0);
        /* the open removed leftovers: plant it now, while the store is open and empty */
        CHECK(symlink(victim, tst_side(path, ".stream.tmp")) == 0);
        uint8_t k[TST_KEY_LEN];
        tst_key(9, k);
        srd_stream *st = NULL;
        if (CHECK_OK(srd_stream_begin(s, k, TST_KEY_LEN, &st))) {
            spool_mode = tst_deleted_file_mode_in(dir);
            for (size_t off = 0; off < len; off += 1u << 20) CHECK_OK(srd_stream_write(st, val + off, 1u << 20));
            CHECK_SAME_BYTES(&snap, victim);
            CHECK_OK(srd_stream_commit(st));
        }
        CHECK_SAME_BYTES(&snap, victim);
        srd_close(s);
    }
    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
        uint8_t k[TST_KEY_LEN];
        tst_key(9, k);
        const uint8_t *p = NULL;
        size_t n = 0;
        CHECK(srd_read(s, k, TST_KEY_LEN, &p, &n) == SRD_OK && n == len && memcmp(p, val, len) == 0);
        srd_close(s);
    }
    CHECK_SAME_BYTES(&snap, victim);
    /* the spool holds the value: no more accessible than the store (0600) */
    if (spool_mode >= 0)
        CHECK_MSG((spool_mode & 0777 & ~0600) == 0, "the spool file of a stream into an empty store "
                  "(0600) has mode %04lo: others may read the value being streamed", spool_mode);
    printf("  test_side_files_stream_tmp_symlink: a 3 MiB stream into an empty 0600 store with "
           "<store>.stream.tmp a symlink to another file; spool file mode %s%04lo\n",
           spool_mode < 0 ? "(no spool file seen) " : "", spool_mode < 0 ? 0 : spool_mode);
    free(val);
    tst_snap_free(&snap);
    tst_remove_store(path);
    unlink(victim);
    tst_ctx_clear();
}

static void test_side_files_idx_mode(void) {
    tst_ctx("test_side_files_idx_mode");
    mode_t old = umask(022);
    static const mode_t masks[2] = {022, 0};
    long modes[2] = {-1, -1};
    for (int i = 0; i < 2; i++) {
        umask(masks[i]);
        const char *path = tst_path(i == 0 ? "mode-022.srd" : "mode-000.srd");
        srd_store *s = NULL;
        if (!CHECK_OK(srd_open(path, 0, &s))) continue;
        CHECK(chmod(path, 0600) == 0); /* before anything is written */
        srd_close(s);
        struct tst_plan p;
        tst_plan_base(&p);
        tst_build(path, &p, NULL);
        free(p.op);
        struct stat st;
        if (CHECK_MSG(stat(tst_side(path, ".idx"), &st) == 0, "precondition: %s.idx saved", path)) {
            modes[i] = (long)(st.st_mode & 07777);
            CHECK_MSG((st.st_mode & 07777) == 0600, "umask %03o: the index copy of a 0600 store has "
                      "mode %04lo (it holds every key hash and offset): expected 0600",
                      (unsigned)masks[i], modes[i]);
        }
        struct stat ss;
        CHECK(stat(path, &ss) == 0 && (ss.st_mode & 07777) == 0600);
        tst_remove_store(path);
    }
    umask(old);
    printf("  test_side_files_idx_mode: <store>.idx of a 0600 store: mode %04lo (umask 022), "
           "%04lo (umask 000)\n", modes[0], modes[1]);
    tst_ctx_clear();
}

/* ================================================================== */
/* 6. Crash during a new store's first write                            */
/* ================================================================== */

#define FW_KEY 31337u

struct tst_first_cfg {
    const char *path;
    const uint8_t *val;
    size_t len;
    int stream;
};

static void tst_first_writer(void *arg, struct tst_chan *ch) {
    const struct tst_first_cfg *c = (const struct tst_first_cfg *)arg;
    srd_store *s = NULL;
    int32_t r = srd_open(c->path, 0, &s);
    tst_chan_send(ch, "o %d", (int)r);
    if (r != SRD_OK) return;
    uint8_t k[TST_KEY_LEN];
    tst_key(FW_KEY, k);
    double t0 = tst_now();
    if (c->stream) {
        srd_stream *st = NULL;
        r = srd_stream_begin(s, k, TST_KEY_LEN, &st);
        for (size_t off = 0; r == SRD_OK && off < c->len; off += 1u << 20) {
            size_t n = c->len - off < (1u << 20) ? c->len - off : (1u << 20);
            r = srd_stream_write(st, c->val + off, n);
        }
        if (st) r = r == SRD_OK ? srd_stream_commit(st) : (srd_stream_abort(st), r);
    } else {
        r = srd_write(s, k, TST_KEY_LEN, c->val, c->len);
    }
    tst_chan_send(ch, "w %d %ld", (int)r, (long)((tst_now() - t0) * 1e6));
    for (;;) pause(); /* SIGKILL ends it */
}

/* After the kill: the store opens read-write and is empty or holds exactly the value. */
static int tst_first_check(const char *path, const uint8_t *val, size_t len, int acked,
                           long delay_us, int *outcome) {
    long long flen = tst_file_len(path);
    srd_store *s = NULL;
    int32_t r = srd_open(path, 0, &s);
    *outcome = -1;
    if (!CHECK_MSG(r == SRD_OK, "killed %ld us into the first write of a new store (file length "
                   "%lld%s): srd_open read-write returned %s: %s", delay_us, flen,
                   acked ? ", write acknowledged" : "", tst_status_name(r), srd_last_error_message()))
        return 0;
    uint64_t n = tst_count_of(s);
    uint8_t k[TST_KEY_LEN];
    tst_key(FW_KEY, k);
    const uint8_t *p = NULL;
    size_t plen = 0;
    int32_t rr = srd_read(s, k, TST_KEY_LEN, &p, &plen);
    int ok;
    if (n == 0) {
        ok = CHECK_MSG(!acked && rr == SRD_NOT_FOUND, "killed %ld us in: the store is empty but the "
                       "write had been acknowledged", delay_us);
        *outcome = 0;
    } else {
        ok = CHECK_MSG(n == 1 && rr == SRD_OK && plen == len && memcmp(p, val, len) == 0,
                       "killed %ld us in: %llu keys, the value read %s with %zu bytes (expected "
                       "exactly the %zu-byte value)", delay_us, (unsigned long long)n,
                       tst_status_name(rr), plen, len);
        *outcome = 1;
    }
    srd_close(s);
    return ok;
}

static void tst_first_write_rounds(const char *test, int stream) {
    tst_ctx("%s", test);
    size_t len = tst_scale() >= 0.5 ? (32u << 20) : (16u << 20);
    uint8_t *val = (uint8_t *)malloc(len);
    if (!val) abort();
    tst_sv_fill(0xF1257 + (uint64_t)stream, val, len);
    long rounds = tst_scaled(20, 6);
    tst_rng rng = {(uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16)};
    printf("  %s: 1 calibration round, then %ld kill points in the first write (%s) of a %zu MiB value, seed %llu\n", test,
           rounds, stream ? "a stream" : "srd_write", len >> 20, (unsigned long long)rng.s);
    long t_us = 0, empty = 0, complete = 0, refused = 0, acked_n = 0;
    for (long round = 0; round <= rounds; round++) {
        char name[64];
        snprintf(name, sizeof name, "first-%s-%ld.srd", stream ? "stream" : "write", round);
        const char *path = tst_path(name);
        struct tst_first_cfg c = {path, val, len, stream};
        struct tst_proc w;
        if (!CHECK(tst_proc_start(&w, "first writer", 120, tst_first_writer, &c) == 0)) break;
        char line[128] = "";
        int st = -1;
        if (!CHECK_MSG(tst_chan_recv(&w.ch, line, sizeof line, 60) == 0 &&
                       sscanf(line, "o %d", &st) == 1 && st == SRD_OK,
                       "round %ld: the child's srd_open of a new store: \"%s\"", round, line)) {
            kill(w.pid, SIGKILL);
            tst_proc_wait(&w, 30);
            break;
        }
        long delay = 0;
        int acked = 0;
        if (round == 0) {
            /* calibration: let the write finish */
            acked = tst_chan_recv(&w.ch, line, sizeof line, 120) == 0;
        } else {
            /* a random moment of the write (its shortest duration seen so far) */
            delay = round % 5 == 1 ? 0 : (long)tst_rng_below(&rng, (uint64_t)(t_us * 11 / 10 + 1));
            tst_sleep_us(delay);
        }
        kill(w.pid, SIGKILL);
        int status = 0;
        tst_wait(w.pid, 30, &status);
        if (!acked) {
            /* was the write acknowledged before the kill? (lines sent stay in the pipe) */
            acked = tst_chan_recv(&w.ch, line, sizeof line, 1.0) == 0;
        }
        close(w.ch.rfd);
        close(w.ch.wfd);
        int outcome = -1, wst = -1;
        long took = 0;
        if (acked) {
            acked_n++;
            CHECK_MSG(sscanf(line, "w %d %ld", &wst, &took) == 2 && wst == SRD_OK,
                      "round %ld: the child's first write: \"%s\"", round, line);
            if (wst == SRD_OK && took > 0 && (t_us == 0 || took < t_us)) t_us = took;
        }
        tst_first_check(path, val, len, acked && wst == SRD_OK, delay, &outcome);
        if (outcome == 0) empty++;
        else if (outcome == 1) complete++;
        else refused++;
        tst_remove_store(path);
    }
    printf("    write takes %ld us (shortest seen); after the kills: %ld empty, %ld holding the value, %ld refused "
           "(must be 0); %ld acknowledged\n", t_us, empty, complete, refused, acked_n);
    free(val);
    tst_ctx_clear();
}

static void test_first_write_killed_write(void) {
    tst_first_write_rounds("test_first_write_killed_write", 0);
    /* a file of random bytes is still not a store: refused, untouched */
    tst_ctx("test_first_write_killed_write: foreign file");
    static const size_t sizes[] = {100, 4096 + 7, (1u << 20) + 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const char *path = tst_path("foreign.bin");
        uint8_t *b = (uint8_t *)malloc(sizes[i]);
        if (!b) abort();
        tst_sv_fill(0xF0F0 + i, b, sizes[i]);
        REQUIRE(tst_spit(path, b, sizes[i]) == 0);
        struct tst_snap snap;
        tst_snap_take(&snap, path);
        srd_store *s = (srd_store *)(uintptr_t)0x1;
        CHECK_STATUS(srd_open(path, 0, &s), SRD_CORRUPT);
        CHECK_STATUS(srd_open(path, SRD_OPEN_READ_ONLY, &s), SRD_CORRUPT);
        CHECK(s == (srd_store *)(uintptr_t)0x1);
        CHECK_UNCHANGED(&snap, path);
        tst_snap_free(&snap);
        free(b);
        tst_remove_store(path);
    }
    printf("    files of random bytes (100 B, 4 KiB, 1 MiB) still refused with SRD_CORRUPT and "
           "unchanged\n");
    tst_ctx_clear();
}

static void test_first_write_killed_stream(void) {
    tst_first_write_rounds("test_first_write_killed_stream", 1);
}

/* ================================================================== */
/* 7. A FIFO at <store>.idx                                             */
/* ================================================================== */

struct tst_fifo_arg {
    const char *path;
    uint32_t flags;
};

static void tst_fifo_child(void *arg) {
    const struct tst_fifo_arg *a = (const struct tst_fifo_arg *)arg;
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(a->path, a->flags, &s))) return;
    unsigned bad = 0;
    for (uint32_t k = 0; k < 50; k++) bad += !tst_has_small(s, k, 1);
    CHECK_EQ(bad, 0);
    CHECK_EQ_U(tst_count_of(s), 50);
    if (!(a->flags & SRD_OPEN_READ_ONLY)) {
        CHECK_OK(tst_put_small(s, 77, 1));
        CHECK(tst_has_small(s, 77, 1));
    }
    srd_close(s);
}

static void test_fifo_index_file(void) {
    tst_ctx("test_fifo_index_file");
    const char *path = tst_path("fifo.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    for (uint32_t k = 0; k < 50; k++) CHECK_OK(tst_put_small(s, k, 1));
    srd_close(s);
    CHECK(!tst_file_exists(tst_side(path, ".idx")));
    CHECK(mkfifo(tst_side(path, ".idx"), 0644) == 0);
    unsigned secs = tst_scale() >= 1.0 ? 5 : 20;
    struct tst_fifo_arg ro = {path, SRD_OPEN_READ_ONLY}, rw = {path, 0};
    int a = tst_run_in_child("read-only srd_open with a FIFO at <store>.idx", secs,
                             TST_CHILD_QUICK_EXIT, tst_fifo_child, &ro);
    int b = tst_run_in_child("read-write srd_open with a FIFO at <store>.idx", secs,
                             TST_CHILD_QUICK_EXIT, tst_fifo_child, &rw);
    printf("  test_fifo_index_file: read-only open %s, read-write open %s (deadline %u s each)\n",
           a ? "returned and worked" : "FAILED", b ? "returned and worked" : "FAILED", secs);
    tst_remove_store(path);
    tst_ctx_clear();
}

/* ================================================================== */
/* 8. A write just past the 16 TiB limit                                */
/* ================================================================== */

static int tst_limit_skipped;

static void tst_limit_child(void *arg) {
    const char *path = (const char *)arg;
    /* if the library wrote anyway, it must not fill the disk */
    struct rlimit rl = {64u << 20, 64u << 20};
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, SIG_IGN);
    size_t len = ((size_t)1 << 44) + 4096;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        printf("    (skipped: mmap of %zu bytes failed: %s)\n", len, strerror(errno));
        CHECK(1);
        _exit(77);
    }
    srd_store *s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        uint8_t k[TST_KEY_LEN];
        tst_key(44, k);
        double t0 = tst_now();
        int32_t r = srd_write(s, k, TST_KEY_LEN, (const uint8_t *)p, len);
        double dt = tst_now() - t0;
        CHECK_MSG(r == SRD_INVALID_ARGUMENT, "srd_write of 2^44 + 4096 bytes returned %s after %.1f s "
                  "(%s): expected SRD_INVALID_ARGUMENT", tst_status_name(r), dt, srd_last_error_message());
        CHECK_EQ_U(tst_count_of(s), 0);
        CHECK_EQ_U(tst_size_of(s), 0);
        srd_close(s);
    }
    munmap(p, len);
}

static void test_write_past_16_tib_limit(void) {
    tst_ctx("test_write_past_16_tib_limit");
    const char *path = tst_path("limit.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    srd_close(s);
    /* run by hand to tell a skip (exit 77) from a failure */
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        alarm(20);
        atomic_store(&tst_test_g.passed, 0);
        atomic_store(&tst_test_g.failed, 0);
        tst_limit_child((void *)path);
        tst_child_counts_send(p[1]);
        fflush(stdout);
        _exit(0);
    }
    close(p[1]);
    int got = tst_child_counts_take(p[0]);
    close(p[0]);
    int status = 0;
    tst_wait(pid, 60, &status);
    char how[160];
    tst_describe_wait(status, how, sizeof how);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        tst_limit_skipped = 1;
    } else {
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0 && got,
                  "the child calling srd_write with 2^44 + 4096 bytes %s", how);
    }
    CHECK_MSG(tst_file_len(path) == 0, "the store file is %lld bytes after the refused write",
              tst_file_len(path));
    s = NULL;
    if (CHECK_OK(srd_open(path, 0, &s))) {
        CHECK_EQ_U(tst_count_of(s), 0);
        srd_close(s);
    }
    printf("  test_write_past_16_tib_limit: %s\n",
           tst_limit_skipped ? "skipped (no 16 TiB mapping here)" : "srd_write of 2^44 + 4096 bytes "
           "from an anonymous mapping, alarm(20)");
    tst_remove_store(path);
    tst_ctx_clear();
}

/* ================================================================== */

/* ================================================================== */
/* A streamed value whose bytes end in a well-formed entry              */
/* ================================================================== */

/* The writer: streams 20,000 bytes followed by 20 bytes of metadata that would end a
 * valid entry right after the store's tail (key hash of "phantom", prev_tail = the
 * tail, the CRC of those 20,000 bytes), tells the parent, waits, then aborts (or, with
 * `commit` set, adds 100 more bytes and commits). */
struct tst_forge_cfg {
    const char *path;
    int commit;
};

static void tst_forge_writer(void *arg, struct tst_chan *ch) {
    const struct tst_forge_cfg *c = (const struct tst_forge_cfg *)arg;
    srd_store *s = NULL;
    if (srd_open(c->path, 0, &s) != SRD_OK) {
        tst_chan_send(ch, "open failed");
        return;
    }
    uint64_t tail = 0;
    srd_file_size(s, &tail);
    static uint8_t body[20000 + 20];
    for (size_t i = 0; i < 20000; i++) body[i] = (uint8_t)(i * 31 + 7);
    uint64_t h = 0;
    srd_hash_key((const uint8_t *)"phantom", 7, &h);
    uint32_t crc = tst_crc32(body, 20000);
    for (int i = 0; i < 8; i++) body[20000 + i] = (uint8_t)(h >> (8 * i));
    for (int i = 0; i < 8; i++) body[20008 + i] = (uint8_t)(tail >> (8 * i));
    for (int i = 0; i < 4; i++) body[20016 + i] = (uint8_t)(crc >> (8 * i));
    srd_stream *st = NULL;
    if (srd_stream_begin(s, (const uint8_t *)"real", 4, &st) != SRD_OK ||
        srd_stream_write(st, body, sizeof body) != SRD_OK) {
        tst_chan_send(ch, "stream failed");
        return;
    }
    tst_chan_send(ch, "streaming");
    char line[64];
    tst_chan_recv(ch, line, sizeof line, 60);
    if (c->commit) {
        srd_stream_write(st, body, 100);
        tst_chan_send(ch, srd_stream_commit(st) == SRD_OK ? "committed" : "commit failed");
    } else {
        srd_stream_abort(st);
        tst_chan_send(ch, "aborted");
    }
    tst_chan_recv(ch, line, sizeof line, 60);
    srd_close(s);
}

/* Readers (here, the test process itself) must never see "phantom": not through a fresh
 * read-only open, not through srd_refresh of a handle opened before, while the stream is
 * open, after its abort or after its commit; and never fault. */
static void test_sigbus_forged_entry_in_a_stream(void) {
    /* bystander: another open file description of the store holds a read lock on all of
       it (any process that can read the file can), so the writer cannot mark its range. */
    for (int variant = 0; variant < 4; variant++) {
        int commit = variant & 1, bystander = variant >> 1;
        char name[64];
        snprintf(name, sizeof name, "forge-%s%s.srd", commit ? "commit" : "abort",
                 bystander ? "-locked" : "");
        const char *path = tst_path(name);
        srd_store *s = NULL;
        REQUIRE(srd_open(path, 0, &s) == SRD_OK);
        CHECK_OK(srd_write(s, (const uint8_t *)"first", 5, (const uint8_t *)"value", 5));
        srd_close(s);
        int lockfd = -1;
        if (bystander) {
            lockfd = open(path, O_RDONLY | O_CLOEXEC);
            struct flock fl;
            memset(&fl, 0, sizeof fl);
            fl.l_type = F_RDLCK;
            fl.l_whence = SEEK_SET;
            REQUIRE(lockfd >= 0 && fcntl(lockfd, F_OFD_SETLK, &fl) == 0);
        }
        srd_store *old = NULL;
        REQUIRE(srd_open(path, SRD_OPEN_READ_ONLY, &old) == SRD_OK);
        struct tst_forge_cfg cfg = {path, commit};
        struct tst_proc w;
        REQUIRE(tst_proc_start(&w, "forging writer", 60, tst_forge_writer, &cfg) == 0);
        char line[64] = "";
        CHECK(tst_chan_recv(&w.ch, line, sizeof line, 60) == 0 && strcmp(line, "streaming") == 0);
        for (int round = 0; round < 2; round++) {
            srd_store *f = NULL;
            if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &f))) {
                CHECK_MSG(srd_exists(f, (const uint8_t *)"phantom", 7) == SRD_NOT_FOUND,
                          "a fresh read-only open took a streamed value's bytes for an entry (%s)",
                          round ? "after the stream ended" : "mid-stream");
                CHECK(srd_exists(f, (const uint8_t *)"first", 5) == SRD_OK);
                srd_close(f);
            }
            CHECK_OK(srd_refresh(old));
            CHECK_MSG(srd_exists(old, (const uint8_t *)"phantom", 7) == SRD_NOT_FOUND,
                      "srd_refresh took a streamed value's bytes for an entry (%s)",
                      round ? "after the stream ended" : "mid-stream");
            if (round == 0) {
                tst_chan_send(&w.ch, "go");
                CHECK(tst_chan_recv(&w.ch, line, sizeof line, 60) == 0 &&
                      strcmp(line, commit ? "committed" : "aborted") == 0);
            }
        }
        const uint8_t *v = NULL;
        size_t n = 0;
        int32_t r = srd_read(old, (const uint8_t *)"real", 4, &v, &n);
        if (commit)
            CHECK(r == SRD_OK && n == 20000 + 20 + 100);
        else
            CHECK(r == SRD_NOT_FOUND);
        tst_chan_send(&w.ch, "bye");
        tst_proc_end_ok(&w, 30);
        srd_close(old);
        if (lockfd >= 0) close(lockfd);
        tst_remove_store(path);
    }
    printf("  test_sigbus_forged_entry_in_a_stream: a streamed value ending in a forged entry, "
           "aborted and committed, with and without a read lock held on the store by another "
           "open: never seen as an entry\n");
}

int main(int argc, char **argv) {
    if (argc >= 3 && (strcmp(argv[1], "--probe-open") == 0 || strcmp(argv[1], "--probe-write") == 0))
        return tst_probe_main(argv[1], argv[2]);
    tst_test_init(argc, argv, "test_reliability");
    signal(SIGPIPE, SIG_IGN);
    REQUIRE(tst_self_exe() != NULL);
    double t0 = tst_now();
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"test_stale_index_renamed_over", test_stale_index_renamed_over},
        {"test_stale_index_copied_over_same_inode", test_stale_index_copied_over_same_inode},
        {"test_stale_index_rebuilt_by_crashed_process", test_stale_index_rebuilt_by_crashed_process},
        {"test_stale_index_flipped_bytes", test_stale_index_flipped_bytes},
        {"test_stale_index_constant_tail_value", test_stale_index_constant_tail_value},
        {"test_fork_child_close_keeps_parent_lock", test_fork_child_close_keeps_parent_lock},
        {"test_fork_child_write_is_refused", test_fork_child_write_is_refused},
        {"test_fork_parent_close_releases_lock", test_fork_parent_close_releases_lock},
        {"test_sigbus_readers_survive_aborted_streams", test_sigbus_readers_survive_aborted_streams},
        {"test_sigbus_forged_entry_in_a_stream", test_sigbus_forged_entry_in_a_stream},
        {"test_false_corrupt_prealloc_writer", test_false_corrupt_prealloc_writer},
        {"test_false_corrupt_torn_tail_rewritten", test_false_corrupt_torn_tail_rewritten},
        {"test_side_files_idx_tmp_symlink", test_side_files_idx_tmp_symlink},
        {"test_side_files_compact_tmp_symlink", test_side_files_compact_tmp_symlink},
        {"test_side_files_stream_tmp_symlink", test_side_files_stream_tmp_symlink},
        {"test_side_files_idx_mode", test_side_files_idx_mode},
        {"test_first_write_killed_write", test_first_write_killed_write},
        {"test_first_write_killed_stream", test_first_write_killed_stream},
        {"test_fifo_index_file", test_fifo_index_file},
        {"test_write_past_16_tib_limit", test_write_past_16_tib_limit},
    };
    const char *only = getenv("SRD_RELIABILITY_ONLY");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only && only[0] && strstr(tests[i].name, only) == NULL) continue;
        unsigned long f0 = atomic_load(&tst_test_g.failed);
        double t1 = tst_now();
        tests[i].fn();
        printf("  -> %s: %s, %.1f s\n", tests[i].name,
               atomic_load(&tst_test_g.failed) == f0 ? "passed" : "FAILED", tst_now() - t1);
    }
    printf("test_reliability: %.1f s\n", tst_now() - t0);
    return tst_test_finish();
}

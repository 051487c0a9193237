/*
 * test_crash.c - real crashes: a child process is killed with SIGKILL at random moments
 * while it writes, and nothing it was told had succeeded may be lost.
 *
 * Each round forks a child that opens the store (read-write, with or without
 * SRD_OPEN_SYNC) and performs a seeded random mix of operations: single writes (1 byte to
 * 1.5 MiB), batches of 2..12 items (repeated keys included), streams (srd_stream_begin /
 * write in chunks of 1 byte to 256 KiB / commit), aborted streams, deletes (of present and
 * absent keys), delete batches and compactions. After each call returns the child reports
 * "op N acknowledged" through a pipe. Operation N is a pure function of (seed, N) and every
 * value's bytes a pure function of (op, item, key), so the parent can recompute everything.
 *
 * The parent sleeps a random delay (0, or log-uniform from 1 us to 20 ms - 150 ms with
 * SRD_OPEN_SYNC, whose operations wait for the disk; up to 20x longer under valgrind, i.e.
 * with SRD_TEST_SCALE < 1; in 1 of 8 rounds
 * without waiting for the child to finish opening the store) and kills the child with
 * SIGKILL. It then reopens the store read-write, which must succeed, and checks:
 *   - the state is exactly the model after all acknowledged operations, or - for the one
 *     operation that was in flight - the model after it. A batch may be present only as a
 *     prefix of its items (README: "a crash in the middle of it may leave a prefix of the
 *     batch in the file (each entry is complete or absent)"), so for a batch of n items the
 *     accepted states are "first j items applied", j = 0..n; for a delete batch, the first
 *     j of the tombstones it writes (keys that had a value, in argument order). A stream,
 *     an aborted stream or a compaction in flight must leave no trace but the committed
 *     result; anything else (a value from no candidate state, a mix of two states) fails;
 *   - every value is byte-exact, srd_count matches, iteration yields the live values in
 *     the order they were written (file order survives compaction) and srd_read_last is
 *     the newest one;
 *   - srd_verify finds a sound file, and no <path>.compact.tmp is left behind.
 * The next round's child continues from that state.
 *
 * Kill points: 250 per mode by default (SRD_TEST_SCALE scales; at least 8), both without
 * and with SRD_OPEN_SYNC. Prints kill points, operations acknowledged, where the in-flight
 * operation ended up (absent / applied / batch prefix) and operations lost (must be 0).
 * SRD_CRASH_SEED=<n> replays one seed (the default seed is printed).
 */
#include "tst_safety.h"

#include <math.h>

#define NK 40
#define MAXB 12
#define MAX_OPS_PER_ROUND 3000 /* 16-byte messages: stays below a 64 KiB pipe buffer */

enum { OP_WRITE, OP_BATCH, OP_STREAM, OP_STREAM_ABORT, OP_DELETE, OP_DELETE_BATCH, OP_COMPACT };
static const char *const OP_NAMES[] = {"write",  "batch",        "stream", "stream+abort",
                                       "delete", "delete_batch", "compact"};

struct op {
    int kind;
    int n; /* items (keys) */
    int key[MAXB];
    size_t len[MAXB];
    uint64_t chunk_seed;
};

/* What a key holds: op < 0 is absent; else the value of item `item` of op `op`. */
struct kst {
    int64_t op;
    int32_t item;
    uint32_t len;
    int64_t mod_op; /* last op that changed the key (for the "lost" count), -1 if none */
};

struct model {
    struct kst k[NK];
};

enum { MSG_READY = 1, MSG_ACK, MSG_DONE, MSG_ERR };
struct msg {
    uint32_t type;
    uint32_t id;
    int32_t status;
    uint32_t pad;
};

static char key_name[NK][32];
static size_t key_len[NK];
static uint64_t key_hash[NK];
static uint64_t g_seed;
static size_t g_big_max;

static const uint8_t *KEY(int k) { return (const uint8_t *)key_name[k]; }

static void make_keys(void) {
    for (int k = 0; k < NK; k++) {
        if (k % 4 == 3) {
            key_name[k][0] = (char)0xFF;
            key_name[k][1] = 0;
            key_name[k][2] = (char)k;
            key_len[k] = 3;
        } else {
            key_len[k] = (size_t)snprintf(key_name[k], sizeof key_name[k], "crash/key-%02d", k);
        }
        srd_hash_key(KEY(k), key_len[k], &key_hash[k]);
    }
}

static uint64_t vseed(int64_t op, int item, int key) {
    return tst_sv_mix(g_seed ^ ((uint64_t)op << 20) ^ ((uint64_t)item << 10) ^ (uint64_t)key);
}

static size_t rand_len(tst_rng *r) {
    uint64_t c = tst_rng_below(r, 100);
    if (c < 55) return 1 + (size_t)tst_rng_below(r, 200);
    if (c < 82) return 200 + (size_t)tst_rng_below(r, 8000);
    size_t mid = g_big_max / 6; /* 256 KiB by default */
    if (c < 96) return 8192 + (size_t)tst_rng_below(r, mid - 8192);
    return mid + (size_t)tst_rng_below(r, g_big_max - mid);
}

/* Operation `id` of this run: a pure function of (seed, id). */
static void gen_op(uint64_t id, struct op *o) {
    tst_rng r = {tst_sv_mix(g_seed * 31 + id)};
    memset(o, 0, sizeof *o);
    uint64_t p = tst_rng_below(&r, 100);
    if (p < 35) {
        o->kind = OP_WRITE;
        o->n = 1;
    } else if (p < 50) {
        o->kind = OP_BATCH;
        o->n = 2 + (int)tst_rng_below(&r, MAXB - 1);
    } else if (p < 60) {
        o->kind = OP_STREAM;
        o->n = 1;
    } else if (p < 63) {
        o->kind = OP_STREAM_ABORT;
        o->n = 1;
    } else if (p < 80) {
        o->kind = OP_DELETE;
        o->n = 1;
    } else if (p < 91) {
        o->kind = OP_DELETE_BATCH;
        o->n = 1 + (int)tst_rng_below(&r, 8);
    } else if (p < 95) {
        o->kind = OP_COMPACT;
        o->n = 0;
    } else {
        o->kind = OP_WRITE;
        o->n = 1;
    }
    for (int i = 0; i < o->n; i++) {
        o->key[i] = (int)tst_rng_below(&r, NK);
        o->len[i] = rand_len(&r);
        if (o->kind == OP_STREAM || o->kind == OP_STREAM_ABORT) {
            /* streams are for the larger values */
            o->len[i] = 1 + (size_t)tst_rng_below(&r, g_big_max);
        }
    }
    o->chunk_seed = tst_rng_next(&r);
}

/* Number of stages (entries) the op appends given the state before it. */
static int op_stages(const struct model *m, const struct op *o) {
    switch (o->kind) {
    case OP_WRITE:
    case OP_STREAM: return 1;
    case OP_BATCH: return o->n;
    case OP_DELETE: return m->k[o->key[0]].op >= 0 ? 1 : 0;
    case OP_DELETE_BATCH: {
        int seen[NK] = {0}, n = 0;
        for (int i = 0; i < o->n; i++) {
            int k = o->key[i];
            if (m->k[k].op >= 0 && !seen[k]) {
                seen[k] = 1;
                n++;
            }
        }
        return n;
    }
    default: return 0;
    }
}

/* Applies the first `upto` entries (stages) of op `id` to m. */
static void apply_op(struct model *m, int64_t id, const struct op *o, int upto) {
    switch (o->kind) {
    case OP_WRITE:
    case OP_STREAM:
    case OP_BATCH:
        for (int i = 0; i < o->n && i < upto; i++) {
            struct kst *s = &m->k[o->key[i]];
            s->op = id;
            s->item = i;
            s->len = (uint32_t)o->len[i];
            s->mod_op = id;
        }
        break;
    case OP_DELETE:
    case OP_DELETE_BATCH: {
        int done = 0;
        for (int i = 0; i < o->n && done < upto; i++) {
            struct kst *s = &m->k[o->key[i]];
            if (s->op >= 0) {
                s->op = -1;
                s->item = 0;
                s->len = 0;
                s->mod_op = id;
                done++;
            }
        }
        break;
    }
    default: break;
    }
}

/* ------------------------------------------------------------------ */
/* The child                                                           */
/* ------------------------------------------------------------------ */

static int g_ackfd = -1;

static void send_msg(uint32_t type, uint32_t id, int32_t status) {
    struct msg mm = {type, id, status, 0};
    (void)tst_write_full(g_ackfd, &mm, sizeof mm);
}

static void child_fail(uint32_t id, int32_t status, const char *what) {
    fprintf(stderr, "crash child: op %u (%s) returned %d (%s), last error \"%s\"\n", id, what,
            (int)status, tst_status_name(status), srd_last_error_message());
    send_msg(MSG_ERR, id, status);
    _exit(3);
}

static int32_t child_stream(srd_store *s, const struct op *o, const uint8_t *v, int abort_it) {
    srd_stream *st = NULL;
    int32_t rc = srd_stream_begin(s, KEY(o->key[0]), key_len[o->key[0]], &st);
    if (rc != SRD_OK) return rc;
    tst_rng r = {o->chunk_seed};
    size_t len = o->len[0], off = 0;
    size_t stop = abort_it ? (size_t)tst_rng_below(&r, len + 1) : len;
    while (off < stop) {
        size_t c = tst_rng_below(&r, 4) == 0 ? 1 + (size_t)tst_rng_below(&r, 64)
                                               : 1 + (size_t)tst_rng_below(&r, 256 * 1024);
        if (c > stop - off) c = stop - off;
        rc = srd_stream_write(st, v + off, c);
        if (rc != SRD_OK) {
            srd_stream_abort(st);
            return rc;
        }
        off += c;
    }
    if (abort_it) {
        srd_stream_abort(st);
        return SRD_OK;
    }
    return srd_stream_commit(st);
}

static void child_main(const char *path, uint32_t flags, struct model *m, uint64_t first) {
    srd_store *s = NULL;
    int32_t rc = srd_open(path, flags, &s);
    if (rc != SRD_OK) child_fail((uint32_t)first, rc, "srd_open");
    send_msg(MSG_READY, (uint32_t)first, 0);
    uint8_t *buf[MAXB] = {0};
    size_t cap[MAXB] = {0};
    for (uint64_t id = first; id < first + MAX_OPS_PER_ROUND; id++) {
        struct op o;
        gen_op(id, &o);
        for (int i = 0; i < o.n; i++) {
            if (o.kind == OP_DELETE || o.kind == OP_DELETE_BATCH) break;
            if (cap[i] < o.len[i]) {
                free(buf[i]);
                buf[i] = (uint8_t *)malloc(o.len[i]);
                if (buf[i] == NULL) child_fail((uint32_t)id, -1, "malloc");
                cap[i] = o.len[i];
            }
            tst_sv_fill(vseed((int64_t)id, i, o.key[i]), buf[i], o.len[i]);
        }
        int32_t want = SRD_OK;
        switch (o.kind) {
        case OP_WRITE:
            rc = srd_write(s, KEY(o.key[0]), key_len[o.key[0]], buf[0], o.len[0]);
            break;
        case OP_BATCH: {
            srd_kv items[MAXB];
            for (int i = 0; i < o.n; i++)
                items[i] = (srd_kv){KEY(o.key[i]), key_len[o.key[i]], buf[i], o.len[i]};
            rc = srd_write_batch(s, items, (size_t)o.n);
            break;
        }
        case OP_STREAM: rc = child_stream(s, &o, buf[0], 0); break;
        case OP_STREAM_ABORT: rc = child_stream(s, &o, buf[0], 1); break;
        case OP_DELETE:
            want = m->k[o.key[0]].op >= 0 ? SRD_OK : SRD_NOT_FOUND;
            rc = srd_delete(s, KEY(o.key[0]), key_len[o.key[0]]);
            break;
        case OP_DELETE_BATCH: {
            srd_key keys[MAXB];
            for (int i = 0; i < o.n; i++) keys[i] = (srd_key){KEY(o.key[i]), key_len[o.key[i]]};
            rc = srd_delete_batch(s, keys, (size_t)o.n);
            break;
        }
        case OP_COMPACT: rc = srd_compact(s); break;
        }
        if (rc != want) child_fail((uint32_t)id, rc, OP_NAMES[o.kind]);
        apply_op(m, (int64_t)id, &o, op_stages(m, &o));
        send_msg(MSG_ACK, (uint32_t)id, 0);
    }
    send_msg(MSG_DONE, (uint32_t)(first + MAX_OPS_PER_ROUND - 1), 0);
    for (;;) pause(); /* wait for the parent's SIGKILL */
}

/* ------------------------------------------------------------------ */
/* The parent                                                          */
/* ------------------------------------------------------------------ */

struct stats {
    unsigned long kills, kills_before_ready, acked, lost, inflight_absent, inflight_applied,
        inflight_prefix, inflight_none, errors;
    unsigned long inflight_kind[7];
    uint64_t max_file;
};

/* What the store holds for key k, as one of the candidate descriptors; op -2: none matches. */
static struct kst observe_key(const srd_store *s, int k, const struct model *acked, int64_t fid,
                              const struct op *fo, int32_t *status) {
    struct kst r = {-1, 0, 0, -1};
    const uint8_t *p = NULL;
    size_t n = 0;
    *status = srd_read(s, KEY(k), key_len[k], &p, &n);
    if (*status == SRD_NOT_FOUND) return r;
    r.op = -2;
    if (*status != SRD_OK) return r;
    r.len = (uint32_t)n;
    const struct kst *a = &acked->k[k];
    if (a->op >= 0 && a->len == n && tst_sv_equals(vseed(a->op, a->item, k), p, n)) {
        r.op = a->op;
        r.item = a->item;
        return r;
    }
    if (fo->kind == OP_WRITE || fo->kind == OP_BATCH || fo->kind == OP_STREAM) {
        for (int i = fo->n - 1; i >= 0; i--) {
            if (fo->key[i] == k && fo->len[i] == n && tst_sv_equals(vseed(fid, i, k), p, n)) {
                r.op = fid;
                r.item = i;
                return r;
            }
        }
    }
    return r;
}

static int same_kst(const struct kst *a, const struct kst *b) {
    if (a->op < 0 || b->op < 0) return a->op == b->op;
    return a->op == b->op && a->item == b->item;
}

/*
 * Reopens after a kill and checks the state. `acked` is the model after every acknowledged
 * op; `fid`/`fo` the op that may have been in flight. On success *acked becomes the state
 * found. Returns 0 after a failure (the mode stops: one broken state says enough).
 */
static int check_after_kill(const char *path, struct model *acked, int64_t fid, const struct op *fo,
                            struct stats *st) {
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, 0, &s))) return 0;
    int ok = 1;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.compact.tmp", path);
    ok &= CHECK_MSG(!tst_file_exists(tmp), "a stale %s survived a read-write open", tmp);

    struct kst obs[NK];
    for (int k = 0; k < NK; k++) {
        int32_t status;
        obs[k] = observe_key(s, k, acked, fid, fo, &status);
        if (!CHECK_MSG(status == SRD_OK || status == SRD_NOT_FOUND,
                       "key %d: srd_read returned %s: %s", k, tst_status_name(status),
                       srd_last_error_message()))
            ok = 0;
    }

    /* candidate states: j entries of the in-flight op applied, j = 0..stages */
    int stages = op_stages(acked, fo);
    int match = -1;
    struct model cand;
    for (int j = 0; j <= stages && match < 0; j++) {
        cand = *acked;
        apply_op(&cand, fid, fo, j);
        int eq = 1;
        for (int k = 0; k < NK && eq; k++) eq = same_kst(&obs[k], &cand.k[k]);
        if (eq) match = j;
    }
    if (!CHECK_MSG(match >= 0,
                   "state after the kill is none of the %d accepted states (in-flight op %" PRId64
                   " = %s of %d item(s))",
                   stages + 1, fid, OP_NAMES[fo->kind], fo->n)) {
        /* say what is wrong, key by key, and count the acknowledged ops that are gone */
        int64_t lost_ops[NK];
        int nlost = 0;
        for (int k = 0; k < NK; k++) {
            int explained = 0;
            for (int j = 0; j <= stages && !explained; j++) {
                cand = *acked;
                apply_op(&cand, fid, fo, j);
                explained = same_kst(&obs[k], &cand.k[k]);
            }
            const struct kst *a = &acked->k[k];
            if (explained && same_kst(&obs[k], a)) continue; /* print only what differs */
            fprintf(stderr,
                    "    key %2d: expected %s (op %" PRId64 " item %d, %u bytes), found %s (op %" PRId64
                    " item %d, %u bytes)%s\n",
                    k, a->op >= 0 ? "value" : "absent", a->op, a->item, a->len,
                    obs[k].op == -1 ? "absent" : obs[k].op == -2 ? "unknown bytes" : "value",
                    obs[k].op, obs[k].item, obs[k].len, explained ? "" : "  <-- not explained");
            if (!explained && a->mod_op >= 0) {
                int dup = 0;
                for (int i = 0; i < nlost; i++) dup |= lost_ops[i] == a->mod_op;
                if (!dup) lost_ops[nlost++] = a->mod_op;
            }
        }
        st->lost += (unsigned long)nlost;
        srd_close(s);
        return 0;
    }
    cand = *acked;
    apply_op(&cand, fid, fo, match);
    if (stages == 0) st->inflight_none++;
    else if (match == 0) st->inflight_absent++;
    else if (match == stages) st->inflight_applied++;
    else st->inflight_prefix++;

    /* count, iteration order, newest value */
    uint64_t live = 0;
    int newest = -1;
    for (int k = 0; k < NK; k++) {
        if (cand.k[k].op < 0) continue;
        live++;
        if (newest < 0 || cand.k[k].op > cand.k[newest].op ||
            (cand.k[k].op == cand.k[newest].op && cand.k[k].item > cand.k[newest].item))
            newest = k;
    }
    ok &= CHECK_EQ_U(tst_count_of(s), live);
    srd_iter *it = NULL;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h;
        const uint8_t *p;
        size_t n;
        int64_t last_op = -1;
        int last_item = -1;
        uint64_t seen = 0;
        int32_t rc;
        while ((rc = srd_iter_next(it, &h, &p, &n)) == SRD_OK) {
            int k = 0;
            while (k < NK && key_hash[k] != h) k++;
            if (!CHECK_MSG(k < NK && cand.k[k].op >= 0, "iteration yields a key that is not live")) {
                ok = 0;
                break;
            }
            ok &= CHECK_EQ_U(n, cand.k[k].len);
            int later = cand.k[k].op > last_op || (cand.k[k].op == last_op && cand.k[k].item > last_item);
            ok &= CHECK_MSG(later, "iteration is not in write order at key %d (op %" PRId64 ")", k,
                            cand.k[k].op);
            last_op = cand.k[k].op;
            last_item = cand.k[k].item;
            seen++;
        }
        ok &= CHECK_STATUS(rc, SRD_NOT_FOUND);
        ok &= CHECK_EQ_U(seen, live);
        srd_iter_free(it);
    }
    uint64_t lh = 0;
    const uint8_t *lp = NULL;
    size_t ln = 0;
    if (newest >= 0) {
        if (CHECK_OK(srd_read_last(s, &lh, &lp, &ln))) {
            ok &= CHECK_MSG(lh == key_hash[newest], "srd_read_last is not the newest value (key %d)",
                            newest);
            ok &= CHECK_EQ_U(ln, cand.k[newest].len);
        } else {
            ok = 0;
        }
    } else {
        ok &= CHECK_STATUS(srd_read_last(s, &lh, &lp, &ln), SRD_NOT_FOUND);
    }

    srd_verify_report rep;
    memset(&rep, 0, sizeof rep);
    ok &= CHECK_OK(srd_verify(s, &rep));
    ok &= CHECK_EQ_U(rep.bad_entries, 0);
    ok &= CHECK_EQ_U(rep.first_bad_offset, UINT64_MAX);
    uint64_t fs = tst_size_of(s);
    ok &= CHECK_EQ_U(rep.file_size, fs);
    ok &= CHECK_EQ(tst_file_len(path), (long long)fs);
    if (fs != UINT64_MAX && fs > st->max_file) st->max_file = fs;
    srd_close(s);
    *acked = cand;
    return ok;
}

static void run_mode(const char *label, uint32_t flags, long kills, long max_delay_us) {
    const char *path = tst_path(flags & SRD_OPEN_SYNC ? "crash-sync.srd" : "crash.srd");
    struct model m;
    for (int k = 0; k < NK; k++) m.k[k] = (struct kst){-1, 0, 0, -1};
    struct stats st;
    memset(&st, 0, sizeof st);
    tst_rng r = {tst_sv_mix(g_seed ^ flags ^ 0xC0FFEE)};
    uint64_t next = 1;
    double t0 = tst_now();
    for (long round = 0; round < kills; round++) {
        tst_ctx("%s, seed %" PRIu64 ", round %ld, first op %" PRIu64, label, g_seed, round, next);
        int p[2];
        REQUIRE(pipe(p) == 0);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            g_ackfd = p[1];
            child_main(path, flags, &m, next);
            _exit(0);
        }
        close(p[1]);
        int wait_ready = tst_rng_below(&r, 8) != 0;
        struct msg mm;
        int64_t last_ack = (int64_t)next - 1;
        int ready = 0, err = 0, done = 0;
        if (wait_ready) {
            ssize_t got = tst_read_full(p[0], &mm, sizeof mm);
            if (got == (ssize_t)sizeof mm && mm.type == MSG_READY) ready = 1;
            else if (got == (ssize_t)sizeof mm && mm.type == MSG_ERR) err = 1;
        }
        long delay_us = 0;
        if (tst_rng_below(&r, 16) != 0)
            delay_us = (long)exp((double)tst_rng_below(&r, 1000000) / 1e6 * log((double)max_delay_us));
        if (delay_us > 0) {
            struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
        kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ssize_t got;
        while ((got = tst_read_full(p[0], &mm, sizeof mm)) == (ssize_t)sizeof mm) {
            if (mm.type == MSG_READY) ready = 1;
            else if (mm.type == MSG_ACK) {
                if (!CHECK_MSG((int64_t)mm.id == last_ack + 1, "ack %u out of order", mm.id)) err = 1;
                last_ack = mm.id;
            } else if (mm.type == MSG_DONE) done = 1;
            else if (mm.type == MSG_ERR) err = 1;
        }
        close(p[0]);
        st.kills++;
        if (!ready) st.kills_before_ready++;
        if (!CHECK_MSG(!err, "the child reported a failed operation (see above)")) {
            st.errors++;
            break;
        }
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "child ended with status 0x%x instead of SIGKILL", status);
        /* the acknowledged ops, then the one that may have been in flight */
        for (uint64_t id = next; (int64_t)id <= last_ack; id++) {
            struct op o;
            gen_op(id, &o);
            apply_op(&m, (int64_t)id, &o, op_stages(&m, &o));
        }
        st.acked += (unsigned long)(last_ack - ((int64_t)next - 1));
        struct op fo;
        int64_t fid = last_ack + 1;
        if (done) {
            memset(&fo, 0, sizeof fo); /* nothing was in flight: a no-op stands in */
            fo.kind = OP_COMPACT;
        } else {
            gen_op((uint64_t)fid, &fo);
            if (ready) st.inflight_kind[fo.kind]++;
        }
        if (!check_after_kill(path, &m, fid, &fo, &st)) {
            fprintf(stderr, "    %s round %ld: acknowledged ops %" PRIu64 "..%" PRId64
                            ", in flight: op %" PRId64 " (%s), killed after %ld us%s\n",
                    label, round, next, last_ack, fid, OP_NAMES[fo.kind], delay_us,
                    ready ? "" : " (before the child had opened the store)");
            break;
        }
        next = (uint64_t)fid + 1;
    }
    tst_ctx_clear();
    printf("%s: %lu kill points (%lu before the child finished opening), %lu ops acknowledged, "
           "%lu ops lost; in-flight op found absent %lu, applied %lu, as a batch prefix %lu, "
           "no-op kind %lu; largest file %.1f MiB; %.1f s\n",
           label, st.kills, st.kills_before_ready, st.acked, st.lost, st.inflight_absent,
           st.inflight_applied, st.inflight_prefix, st.inflight_none,
           (double)st.max_file / (1024.0 * 1024.0), tst_now() - t0);
    printf("%s: op in flight at the kill (child had opened the store):", label);
    for (int i = 0; i < 7; i++) printf(" %s %lu%s", OP_NAMES[i], st.inflight_kind[i], i < 6 ? "," : "\n");
    CHECK_EQ(st.lost, 0);
    CHECK_EQ(st.kills, kills);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_crash");
    make_keys();
    const char *seed = getenv("SRD_CRASH_SEED");
    g_seed = seed && *seed ? strtoull(seed, NULL, 0) : 0x5EED0001;
    g_big_max = tst_scale() >= 1.0 ? 1536 * 1024 : 128 * 1024;
    long kills = tst_scaled(250, 8);
    printf("test_crash: seed %" PRIu64 " (SRD_CRASH_SEED), %ld kill points per mode, values up to "
           "%zu bytes\n",
           g_seed, kills, g_big_max);
    /* delays: log-uniform up to 20 ms, 150 ms with SRD_OPEN_SYNC (each op waits for the disk) */
    /* under valgrind (scale < 1) the child is ~20x slower: stretch the delays alike */
    double stretch = tst_scale() < 1.0 ? (tst_scale() < 0.05 ? 20.0 : 1.0 / tst_scale()) : 1.0;
    run_mode("crash (no sync)", 0, kills, (long)(20000 * stretch));
    run_mode("crash (SRD_OPEN_SYNC)", SRD_OPEN_SYNC, kills, (long)(150000 * stretch));
    return tst_test_finish();
}

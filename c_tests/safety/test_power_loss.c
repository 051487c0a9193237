/*
 * test_power_loss.c - simulated power loss: the states a file can be left in when the
 * machine stops in the middle of a write or of a compaction, built by copying files.
 *
 * Torn last writes. A base store (~40 entries: values of 1 byte to 20 KiB, overwrites,
 * tombstones, a batch) gets one more write - a new value of 1, 64 or 4097 bytes, an
 * overwrite of 63 or 65 bytes, a tombstone, a streamed value (srd_stream_*, odd chunks),
 * a batch with a repeated key, a batch right after a tombstone, a delete batch, a 70 KB
 * value, a batch holding a 20 KB item - and for every byte c of that last write two files
 * are made:
 *   - cut:        the file cut at c (the append stopped there);
 *   - zero-filled: the file at its full length with the bytes from c on replaced by zeros
 *                 (the file system extended the file, the data never landed). c at the
 *                 start of the last write is "the last write's bytes zeroed in place".
 *                 Every c within 80 bytes of an entry boundary, every 7th c elsewhere.
 * Appended tails: after the last complete entry of each of those stores, zeros, random
 * bytes, 0xFF bytes and a copy of the file's first bytes (stale blocks), of 1, 20, 63, 64,
 * 4096 and 65536 bytes.
 * Each file must open read-only (file untouched, byte for byte) and read-write (file cut to
 * the last complete entry, byte-identical to that prefix) with srd_file_size equal to the
 * end of the last complete entry - the longest run of entries whose bytes all landed - and
 * every value of that prefix byte-exact, srd_count right, srd_verify sound. A batch
 * recovers to a prefix of its items. Every 5th case also writes a new value after the
 * recovery and checks everything survives a reopen.
 * The 70 KB and 20 KB tails are tried at every byte within 80 bytes of an entry boundary
 * and every 29th byte between (SRD_POWER_LOSS_EXHAUSTIVE=1: every byte). SRD_TEST_SCALE < 1
 * (valgrind) samples every tail: bytes within 4 of a boundary and a stride of 4/scale.
 *
 * Holes in the last write: one 512-byte sector or one 4096-byte page of the last write
 * (file-offset aligned) reads as zeros while the rest of it landed - a file system may write
 * the pages of an unsynced write back in any order, so power loss before the fdatasync of
 * an SRD_OPEN_SYNC write can leave exactly this. The values written before the last write
 * were acknowledged (and synced) and must all survive. Accepted: the open succeeds with the
 * longest intact prefix of entries (as for a cut), or, only when an intact entry follows
 * the hole, the file is refused with SRD_CORRUPT and left untouched (README: a chain broken
 * in the middle with intact entries after the break is refused). Reported separately:
 * holes after which an acknowledged value reads back NOT_FOUND, SRD_CORRUPT or different
 * ("LOST ACKNOWLEDGED DATA"), and holes after which the store shows more than a prefix.
 *
 * Durability calls. fsync, fdatasync and rename are interposed (defined in this program) to
 * record what the library syncs and when: with SRD_OPEN_SYNC, creating a store syncs its
 * directory and every write, batch, delete, delete batch and stream commit syncs the file
 * before returning; srd_sync syncs; srd_compact syncs the temporary file, then renames it
 * over the store, then syncs the directory. By default the interposed syncs do not wait
 * for the disk (every other state here is built by copying, and ~30,000 read-write opens
 * each sync a truncated tail); SRD_POWER_LOSS_REAL_FSYNC=1 passes them through.
 *
 * Interrupted compaction. Compaction writes <path>.compact.tmp, syncs it, renames it over
 * the store, syncs the directory. The on-disk states are rebuilt by copying: the old file
 * with no temp file; with a temp file holding the first L bytes of the compacted file (L =
 * 0, 1, 19, 20, 21, 63, 64, 65, 100, 4096, every entry boundary of the new file and +-1
 * around it, half, all but one byte); with the complete temp file not yet renamed; with a
 * temp file of garbage longer than the new file; and the renamed state (the new file, no
 * temp, or a stale temp beside it). Each must open read-only to the same values with the
 * store file untouched, and read-write to exactly the old file (before the rename) or
 * exactly the new file (after it), with the temp file removed; a following srd_compact
 * (also with a stale temp file re-created while the store is open) must produce exactly
 * the bytes of a clean compaction, and survive a reopen.
 */
#include "tst_safety.h"
#include "tst_api.h"

#include <dlfcn.h>

#define NK 48
#define FRESH_KEY "fresh-after-power-loss"

static char key_name[NK][24];
static unsigned long total_variants, total_cut_points, total_zero_filled;

/* ------------------------------------------------------------------ */
/* fsync, fdatasync and rename, seen from the library                  */
/* ------------------------------------------------------------------ */
/*
 * This program defines fsync, fdatasync and rename; the library's calls resolve to them.
 * They record what was synced and renamed, in order (checked by test_durability_calls),
 * and by default do not wait for the disk: every state here is built by copying files,
 * and ~30,000 read-write opens that each fsync a truncated tail would take minutes.
 * SRD_POWER_LOSS_REAL_FSYNC=1 passes every sync through to the system.
 */
#define MAX_EVENTS 64
struct sync_event {
    char kind; /* 'F' fsync, 'D' fdatasync, 'R' rename */
    char path[PATH_MAX];
    char to[PATH_MAX];
};
static struct sync_event g_events[MAX_EVENTS];
static int g_nevents, g_recording;
static int g_real_sync = -1;
static unsigned long g_syncs_seen;

static void note_event(char kind, int fd, const char *path, const char *to) {
    g_syncs_seen += kind != 'R';
    if (!g_recording || g_nevents >= MAX_EVENTS) return;
    struct sync_event *e = &g_events[g_nevents++];
    e->kind = kind;
    e->path[0] = e->to[0] = '\0';
    if (path != NULL) {
        snprintf(e->path, sizeof e->path, "%s", path);
        snprintf(e->to, sizeof e->to, "%s", to);
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, e->path, sizeof e->path - 1);
        e->path[n > 0 ? n : 0] = '\0';
    }
}

static int real_sync_enabled(void) {
    if (g_real_sync < 0) {
        const char *v = getenv("SRD_POWER_LOSS_REAL_FSYNC");
        g_real_sync = v != NULL && v[0] == '1';
    }
    return g_real_sync;
}

int fsync(int fd) {
    note_event('F', fd, NULL, NULL);
    if (!real_sync_enabled()) return 0;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real ? real(fd) : 0;
}

/* When set, fdatasync fails with EIO (as a disk's write error reported at writeback). */
static int g_fail_fdatasync;

int fdatasync(int fd) {
    note_event('D', fd, NULL, NULL);
    if (g_fail_fdatasync) {
        errno = EIO;
        return -1;
    }
    if (!real_sync_enabled()) return 0;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real ? real(fd) : 0;
}

int rename(const char *from, const char *to) {
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s", from ? from : "");
    snprintf(b, sizeof b, "%s", to ? to : "");
    int (*real)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    int rc = real ? real(from, to) : -1;
    if (rc == 0) note_event('R', -1, a, b);
    return rc;
}

static const uint8_t *KEY(int k) { return (const uint8_t *)key_name[k]; }
static size_t KLEN(int k) { return strlen(key_name[k]); }

static uint8_t *value_bytes(uint64_t seed, size_t len) {
    uint8_t *v = (uint8_t *)malloc(len);
    if (v == NULL) abort();
    tst_sv_fill(seed, v, len);
    return v;
}

static uint64_t next_seed(const struct tst_history *h, int key) {
    return tst_sv_mix(((uint64_t)h->n << 16) ^ (uint64_t)key ^ 0x9A11);
}

static int h_write(struct tst_history *h, srd_store *s, int key, size_t len) {
    uint64_t seed = next_seed(h, key);
    uint8_t *v = value_bytes(seed, len);
    int ok = CHECK_OK(srd_write(s, KEY(key), KLEN(key), v, len));
    free(v);
    if (!ok) return 0;
    uint64_t end = tst_value_entry_end(tst_history_end(h), len);
    CHECK_EQ_U(tst_size_of(s), end);
    h->e[h->n++] = (struct tst_hist_ent){.key = key, .seed = seed, .len = len, .end = end};
    return 1;
}

static int h_stream(struct tst_history *h, srd_store *s, int key, size_t len) {
    uint64_t seed = next_seed(h, key);
    uint8_t *v = value_bytes(seed, len);
    srd_stream *st = NULL;
    int ok = CHECK_OK(srd_stream_begin(s, KEY(key), KLEN(key), &st));
    size_t off = 0, chunk = 1;
    while (ok && off < len) {
        size_t c = chunk < len - off ? chunk : len - off;
        ok &= CHECK_OK(srd_stream_write(st, v + off, c));
        off += c;
        chunk = chunk * 3 + 1; /* 1, 4, 13, 40, ... odd sizes */
    }
    if (st != NULL) ok &= CHECK_OK(srd_stream_commit(st));
    free(v);
    if (!ok) return 0;
    uint64_t end = tst_value_entry_end(tst_history_end(h), len);
    CHECK_EQ_U(tst_size_of(s), end);
    h->e[h->n++] = (struct tst_hist_ent){.key = key, .seed = seed, .len = len, .end = end};
    return 1;
}

static int h_delete(struct tst_history *h, srd_store *s, int key) {
    if (!CHECK_OK(srd_delete(s, KEY(key), KLEN(key)))) return 0;
    uint64_t end = tst_tombstone_end(tst_history_end(h));
    CHECK_EQ_U(tst_size_of(s), end);
    h->e[h->n++] = (struct tst_hist_ent){.key = key, .seed = 0, .len = 0, .end = end};
    return 1;
}

/* keys must all have values (every key becomes one tombstone, in order) */
static int h_delete_batch(struct tst_history *h, srd_store *s, const int *keys, size_t n) {
    srd_key k[16];
    for (size_t i = 0; i < n; i++) k[i] = (srd_key){KEY(keys[i]), KLEN(keys[i])};
    if (!CHECK_OK(srd_delete_batch(s, k, n))) return 0;
    const uint64_t start = tst_history_end(h);
    uint64_t end = n > 1 ? tst_marker_end(start) : start; /* the batch marker */
    for (size_t i = 0; i < n; i++) {
        end = tst_tombstone_end(end);
        h->e[h->n++] = (struct tst_hist_ent){.key = keys[i], .seed = 0, .len = 0, .end = end};
    }
    tst_history_mark_batch(h, (int)n, start);
    CHECK_EQ_U(tst_size_of(s), tst_history_end(h));
    return 1;
}

static int h_batch(struct tst_history *h, srd_store *s, const int *keys, const size_t *lens, size_t n) {
    srd_kv items[16];
    uint64_t seeds[16];
    for (size_t i = 0; i < n; i++) {
        seeds[i] = tst_sv_mix(((uint64_t)(h->n + (int)i) << 16) ^ (uint64_t)keys[i] ^ 0xBA7C);
        items[i] = (srd_kv){KEY(keys[i]), KLEN(keys[i]), value_bytes(seeds[i], lens[i]), lens[i]};
    }
    int ok = CHECK_OK(srd_write_batch(s, items, n));
    const uint64_t start = tst_history_end(h);
    uint64_t end = n > 1 ? tst_marker_end(start) : start; /* the batch marker */
    for (size_t i = 0; i < n; i++) {
        free((void *)items[i].value);
        if (ok) {
            end = tst_value_entry_end(end, lens[i]);
            h->e[h->n++] =
                (struct tst_hist_ent){.key = keys[i], .seed = seeds[i], .len = lens[i], .end = end};
        }
    }
    if (ok) tst_history_mark_batch(h, (int)n, start);
    if (ok) CHECK_EQ_U(tst_size_of(s), tst_history_end(h));
    return ok;
}

/* The live value (entry index) of each key after the entries that end at or before rec. */
static void state_at(const struct tst_history *h, uint64_t rec, int cur[NK]) {
    for (int k = 0; k < NK; k++) cur[k] = -1;
    for (int i = 0; i < h->n && h->e[i].end <= rec; i++) cur[h->e[i].key] = h->e[i].len ? i : -1;
}

/* Every key as in cur[] (byte-exact or NOT_FOUND); srd_count = live + extra. */
static int check_state(const srd_store *s, const struct tst_history *h, const int cur[NK],
                       uint64_t extra) {
    int ok = 1;
    uint64_t live = 0;
    for (int k = 0; k < NK && ok; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, KEY(k), KLEN(k), &p, &n);
        if (cur[k] < 0) {
            ok &= CHECK_STATUS(st, SRD_NOT_FOUND);
            if (!ok) fprintf(stderr, "    key %s should be absent\n", key_name[k]);
            continue;
        }
        live++;
        const struct tst_hist_ent *e = &h->e[cur[k]];
        ok &= CHECK_OK(st);
        if (ok) ok &= CHECK_EQ_U(n, e->len);
        if (ok) ok &= CHECK_MSG(tst_sv_equals(e->seed, p, n), "key %s: bytes differ", key_name[k]);
        if (!ok) fprintf(stderr, "    key %s (%zu bytes)\n", key_name[k], e->len);
    }
    if (ok) ok &= CHECK_EQ_U(tst_count_of(s), live + extra);
    return ok;
}

static int verify_sound(const srd_store *s) {
    srd_verify_report rep;
    memset(&rep, 0, sizeof rep);
    int ok = CHECK_OK(srd_verify(s, &rep));
    ok &= CHECK_EQ_U(rep.bad_entries, 0);
    ok &= CHECK_EQ_U(rep.file_size, tst_size_of(s));
    return ok;
}

/*
 * The recovery point of a damaged copy: the end of the longest run of entries (from the
 * start) whose bytes in `got` equal those of the intact file `full`, or where the batch
 * that run stops inside begins.
 */
static uint64_t expected_recovery(const struct tst_history *h, const uint8_t *full, const uint8_t *got,
                                  size_t got_len) {
    uint64_t rec = 0;
    int last = -1;
    for (int i = 0; i < h->n; i++) {
        uint64_t e = h->e[i].end;
        if (e > got_len || memcmp(got + rec, full + rec, (size_t)(e - rec)) != 0) break;
        rec = e;
        last = i;
    }
    /* A batch is all or nothing (FORMAT.md, "Batches"): a run that stops inside one ends
     * before its marker. */
    if (last >= 0 && h->e[last].batch_end > rec) rec = h->e[last].batch_start;
    return rec;
}

/*
 * Puts `got` (which shares its first `same` bytes with the file on disk) at `path` and checks
 * both kinds of open. `do_write`: also a write after recovery, then a reopen.
 */
static int check_variant(const char *path, const struct tst_history *h, const uint8_t *full,
                         const uint8_t *got, size_t got_len, size_t same, int do_write) {
    total_variants++;
    if (!CHECK_MSG(tst_restore_tail(path, got, got_len, same) == 0, "cannot write the copy"))
        return 0;
    uint64_t rec = expected_recovery(h, full, got, got_len);
    int cur[NK];
    state_at(h, rec, cur);
    int ok = 1;

    srd_store *s = tst_open_ok(path, SRD_OPEN_READ_ONLY);
    if (s == NULL) return 0;
    ok &= CHECK_EQ_U(tst_size_of(s), rec);
    ok &= check_state(s, h, cur, 0);
    srd_close(s);
    ok &= CHECK_MSG(tst_file_equals(path, got, got_len), "a read-only open modified the file");

    s = tst_open_ok(path, 0);
    if (s == NULL) return 0;
    ok &= CHECK_EQ_U(tst_size_of(s), rec);
    ok &= CHECK_EQ(tst_file_len(path), (long long)rec);
    ok &= CHECK_MSG(tst_file_equals(path, full, rec),
                    "after a read-write open the file is not the intact prefix of %" PRIu64 " bytes",
                    rec);
    ok &= check_state(s, h, cur, 0);
    ok &= verify_sound(s);
    if (do_write && ok) {
        uint8_t fresh[257];
        size_t flen = 1 + got_len % 257;
        tst_sv_fill(got_len, fresh, flen);
        ok &= CHECK_OK(srd_write(s, SRD_U8(FRESH_KEY), strlen(FRESH_KEY), fresh, flen));
        ok &= CHECK_EQ_U(tst_size_of(s), tst_value_entry_end(rec, flen));
        srd_close(s);
        s = tst_open_ok(path, SRD_OPEN_NO_CREATE);
        if (s == NULL) return 0;
        ok &= check_state(s, h, cur, 1);
        const uint8_t *p = NULL;
        size_t n = 0;
        if ((ok &= CHECK_OK(srd_read(s, SRD_U8(FRESH_KEY), strlen(FRESH_KEY), &p, &n))))
            ok &= CHECK_EQ_U(n, flen) && CHECK_MEM(p, fresh, flen);
        ok &= verify_sound(s);
    }
    srd_close(s);
    return ok;
}

/*
 * Holes: one 512-byte sector or 4096-byte page of the last write never landed (zeros) while
 * the rest of it did - the file system wrote the pages of an unsynced write back in another
 * order. Accepted outcomes: the open succeeds with exactly the longest intact prefix of
 * entries (as for a cut), or - only if an intact entry follows the damage - it refuses the
 * file with SRD_CORRUPT and leaves it untouched (README: "a metadata chain broken in the
 * middle with intact entries after the break is refused"). Anything else is a failure:
 * "lost" if a value of the intact prefix (all acknowledged before the last write) reads
 * back wrong, NOT_FOUND or SRD_CORRUPT; "not a prefix" if those are right but the store
 * shows more (entries after the damage, a damaged entry, a wrong count or size).
 */
enum hole_outcome { HOLE_PREFIX, HOLE_REFUSED, HOLE_SALVAGED, HOLE_LOST, HOLE_NOT_PREFIX, HOLE_OTHER };
#define HOLE_OUTCOMES 6

/*
 * A third accepted outcome (README, "Recovery and corruption"): the store opens with the
 * damaged values of the last write in place. Then nothing may be invented - every key reads
 * its acknowledged value, a value the last write gave it, NOT_FOUND where one of those
 * states lacks it, or SRD_CORRUPT if the last write touched it - and srd_salvage of the
 * damaged file must give back every acknowledged value that the last write did not
 * replace with an intact one.
 */
static int last_write_touched(const struct tst_history *h, uint64_t lo, int k) {
    for (int i = 0; i < h->n; i++)
        if (h->e[i].end > lo && h->e[i].key == k) return 1;
    return 0;
}

static int some_version(const struct tst_history *h, uint64_t lo, const int cur[NK], int k, int32_t st,
                        const uint8_t *p, size_t n, int allow_corrupt) {
    if (st == SRD_CORRUPT) return allow_corrupt && last_write_touched(h, lo, k);
    if (st == SRD_NOT_FOUND) {
        if (cur[k] < 0) return 1;
        for (int i = 0; i < h->n; i++)
            if (h->e[i].end > lo && h->e[i].key == k && h->e[i].len == 0) return 1;
        return 0;
    }
    if (st != SRD_OK) return 0;
    if (cur[k] >= 0 && h->e[cur[k]].len == n && tst_sv_equals(h->e[cur[k]].seed, p, n)) return 1;
    for (int i = 0; i < h->n; i++) {
        const struct tst_hist_ent *e = &h->e[i];
        if (e->end > lo && e->key == k && e->len == n && n > 0 && tst_sv_equals(e->seed, p, n)) return 1;
    }
    return 0;
}

static int every_key_some_version(const srd_store *s, const struct tst_history *h, uint64_t lo,
                                  const int cur[NK], int allow_corrupt, int untouched_exact,
                                  char *why, size_t whylen) {
    for (int k = 0; k < NK; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, KEY(k), KLEN(k), &p, &n);
        int good = some_version(h, lo, cur, k, st, p, n, allow_corrupt);
        if (good && untouched_exact && !last_write_touched(h, lo, k)) {
            good = cur[k] < 0 ? st == SRD_NOT_FOUND
                              : st == SRD_OK && n == h->e[cur[k]].len &&
                                    tst_sv_equals(h->e[cur[k]].seed, p, n);
        }
        if (!good) {
            snprintf(why, whylen, "key %s reads %s%s, which it never had", key_name[k],
                     tst_status_name(st), st == SRD_OK ? " with bytes" : "");
            return 0;
        }
    }
    return 1;
}

static int hole_salvageable(const char *path, const srd_store *s, const struct tst_history *h,
                            uint64_t lo, const int cur[NK], char *why, size_t whylen) {
    if (!every_key_some_version(s, h, lo, cur, 1, 1, why, whylen)) return 0;
    char dst[4096];
    snprintf(dst, sizeof dst, "%s.salvaged", path);
    unlink(dst);
    srd_salvage_report rep;
    int32_t rc = srd_salvage(path, dst, &rep);
    if (rc != SRD_OK) {
        snprintf(why, whylen, "srd_salvage: %s (%s)", tst_status_name(rc), srd_last_error_message());
        return 0;
    }
    srd_store *t = NULL;
    rc = srd_open(dst, SRD_OPEN_READ_ONLY, &t);
    if (rc != SRD_OK) {
        snprintf(why, whylen, "salvaged store does not open: %s", tst_status_name(rc));
        unlink(dst);
        return 0;
    }
    int ok = every_key_some_version(t, h, lo, cur, 0, 1, why, whylen);
    srd_close(t);
    unlink(dst);
    if (!ok) {
        size_t l = strlen(why);
        snprintf(why + l, whylen - l, " (after srd_salvage)");
    }
    return ok;
}

/* Compares the open store with the prefix state silently: 0 same, else HOLE_LOST/NOT_PREFIX. */
static int hole_compare(const srd_store *s, const struct tst_history *h, const int cur[NK], uint64_t rec,
                        uint64_t lo, char *why, size_t whylen) {
    int lost = 0, extra = 0;
    char why_extra[256] = "";
    uint64_t live = 0;
    why[0] = '\0';
    for (int k = 0; k < NK; k++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int32_t st = srd_read(s, KEY(k), KLEN(k), &p, &n);
        if (cur[k] < 0) {
            if (st != SRD_NOT_FOUND && !extra++)
                snprintf(why_extra, sizeof why_extra, "key %s should be absent, read gives %s",
                         key_name[k], tst_status_name(st));
            continue;
        }
        live++;
        const struct tst_hist_ent *e = &h->e[cur[k]];
        if (st != SRD_OK || n != e->len || !tst_sv_equals(e->seed, p, n)) {
            if (e->end <= lo) { /* written before the last write: acknowledged */
                if (!lost++)
                    snprintf(why, whylen, "key %s (acknowledged, %zu bytes) reads back as %s%s",
                             key_name[k], e->len, tst_status_name(st),
                             st == SRD_OK ? " with other bytes" : "");
            } else if (!extra++) {
                snprintf(why_extra, sizeof why_extra,
                         "key %s (intact item of the last write, %zu bytes) reads back as %s%s",
                         key_name[k], e->len, tst_status_name(st),
                         st == SRD_OK ? " with other bytes" : "");
            }
        }
    }
    if (lost) {
        size_t l = strlen(why);
        snprintf(why + l, whylen - l, " (%d acknowledged value(s) missing or wrong)", lost);
        return HOLE_LOST;
    }
    uint64_t cnt = tst_count_of(s), sz = tst_size_of(s);
    if (!extra && cnt != live) {
        extra++;
        snprintf(why_extra, sizeof why_extra, "srd_count %" PRIu64 " instead of %" PRIu64, cnt, live);
    }
    if (!extra && sz != rec) {
        extra++;
        snprintf(why_extra, sizeof why_extra, "srd_file_size %" PRIu64 " instead of %" PRIu64, sz,
                 rec);
    }
    snprintf(why, whylen, "%s", why_extra);
    return extra ? HOLE_NOT_PREFIX : 0;
}

static int hole_variant(const char *path, const struct tst_history *h, const uint8_t *full,
                        const uint8_t *got, size_t got_len, size_t same, char *why, size_t whylen) {
    uint64_t lo = same; /* callers pass the start of the last write */
    total_variants++;
    if (tst_restore_tail(path, got, got_len, same) != 0) {
        snprintf(why, whylen, "cannot write the copy");
        return HOLE_OTHER;
    }
    uint64_t rec = expected_recovery(h, full, got, got_len);
    int first_bad = 0;
    while (first_bad < h->n && h->e[first_bad].end <= rec) first_bad++;
    int intact_after = 0;
    for (int j = first_bad + 1; j < h->n; j++) {
        uint64_t a = h->e[j - 1].end, b = h->e[j].end;
        if (b <= got_len && memcmp(got + a, full + a, (size_t)(b - a)) == 0) intact_after = 1;
    }
    int cur[NK];
    state_at(h, rec, cur);
    int outcome = HOLE_PREFIX;
    for (int rw = 0; rw <= 1; rw++) {
        srd_store *s = NULL;
        int32_t rc = srd_open(path, rw ? 0 : SRD_OPEN_READ_ONLY, &s);
        int o;
        if (rc == SRD_OK) {
            o = hole_compare(s, h, cur, rec, lo, why, whylen);
            if ((o == HOLE_LOST || o == HOLE_NOT_PREFIX) && hole_salvageable(path, s, h, lo, cur, why, whylen))
                o = HOLE_SALVAGED;
            if (o == 0 && rw) {
                srd_verify_report rep;
                if (srd_verify(s, &rep) != SRD_OK || tst_file_len(path) != (long long)rec ||
                    !tst_file_equals(path, full, rec)) {
                    o = HOLE_NOT_PREFIX;
                    snprintf(why, whylen, "read-write open did not cut the file to the intact "
                                          "prefix of %" PRIu64 " bytes (file %lld bytes)",
                             rec, tst_file_len(path));
                }
            }
            if (o == 0) o = HOLE_PREFIX;
            srd_close(s);
        } else if (rc == SRD_CORRUPT && intact_after) {
            o = HOLE_REFUSED;
            if (!tst_file_equals(path, got, got_len)) {
                o = HOLE_OTHER;
                snprintf(why, whylen, "a refused file was modified");
            }
        } else {
            o = HOLE_OTHER;
            snprintf(why, whylen, "%s open: %s (%s)", rw ? "read-write" : "read-only",
                     tst_status_name(rc), srd_last_error_message());
        }
        if (!rw && o == HOLE_PREFIX && !tst_file_equals(path, got, got_len)) {
            o = HOLE_OTHER;
            snprintf(why, whylen, "a read-only open modified the file");
        }
        if (o > outcome) outcome = o;
        if (o >= HOLE_LOST) {
            size_t l = strlen(why);
            snprintf(why + l, whylen - l, " [%s open; last write %" PRIu64 "..%zu, intact prefix "
                                          "%" PRIu64 "]",
                     rw ? "read-write" : "read-only", lo, got_len, rec);
            break;
        }
    }
    return outcome;
}

static unsigned long hole_counts[HOLE_OUTCOMES];

/* ------------------------------------------------------------------ */
/* Torn last writes                                                    */
/* ------------------------------------------------------------------ */

static void build_base(const char *path, struct tst_history *h) {
    h->n = 0;
    srd_store *s = tst_open_ok(path, 0);
    REQUIRE(s != NULL);
    const size_t sizes[] = {1,    63,  64,  65,   1000, 20000, 7,   128, 127, 129, 4095, 4096,
                            4097, 2,   500, 192,  1,    65,    63,  1000, 33, 200, 300, 20001};
    int key = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        REQUIRE(h_write(h, s, key++, sizes[i]));
        if (i == 8) {
            h_write(h, s, 0, 77); /* overwrite */
            h_delete(h, s, 2);    /* tombstone */
        }
        if (i == 14) {
            const int bk[] = {30, 31, 3, 32};
            const size_t bl[] = {10, 64, 1, 300};
            h_batch(h, s, bk, bl, 4);
        }
        if (i == 18) h_delete(h, s, 6);
    }
    h_write(h, s, 5, 65); /* overwrite the 20000-byte value with a small one */
    srd_close(s);
    REQUIRE(tst_file_len(path) == (long long)tst_history_end(h));
}

enum tail_kind {
    T_NEW_1,
    T_OVERWRITE_63,
    T_NEW_64,
    T_OVERWRITE_65,
    T_NEW_4097,
    T_TOMBSTONE,
    T_STREAM_3000,
    T_BATCH,
    T_BATCH_AFTER_TOMBSTONE,
    T_DELETE_BATCH,
    T_BIG_70000,
    T_BATCH_WITH_BIG_ITEM,
    T_COUNT
};
static const char *const TAIL_NAMES[T_COUNT] = {
    "new 1-byte value",      "63-byte overwrite",     "new 64-byte value",
    "65-byte overwrite",     "new 4097-byte value",   "tombstone",
    "streamed 3000 bytes",   "batch of 6 (repeated key)", "batch of 3 after a tombstone",
    "delete batch of 3",     "70000-byte overwrite",  "batch with a 20000-byte item",
};

/* Performs the last write; returns the history index where it starts. */
static int do_tail(enum tail_kind kind, struct tst_history *h, srd_store *s, int *sampled) {
    int first = h->n;
    *sampled = 0;
    switch (kind) {
    case T_NEW_1: h_write(h, s, 40, 1); break;
    case T_OVERWRITE_63: h_write(h, s, 4, 63); break;
    case T_NEW_64: h_write(h, s, 41, 64); break;
    case T_OVERWRITE_65: h_write(h, s, 1, 65); break;
    case T_NEW_4097: h_write(h, s, 42, 4097); break;
    case T_TOMBSTONE: h_delete(h, s, 7); break;
    case T_STREAM_3000: h_stream(h, s, 43, 3000); break;
    case T_BATCH: {
        const int bk[] = {44, 9, 45, 44, 46, 47};
        const size_t bl[] = {1, 200, 64, 3000, 65, 1};
        h_batch(h, s, bk, bl, 6);
        break;
    }
    case T_BATCH_AFTER_TOMBSTONE: {
        h_delete(h, s, 8);
        first = h->n; /* the tombstone is complete; the batch is the last write */
        const int bk[] = {8, 10, 11};
        const size_t bl[] = {129, 2, 640};
        h_batch(h, s, bk, bl, 3);
        break;
    }
    case T_DELETE_BATCH: {
        const int dk[] = {12, 13, 14};
        h_delete_batch(h, s, dk, 3);
        break;
    }
    case T_BIG_70000:
        h_write(h, s, 15, 70000);
        *sampled = 1;
        break;
    case T_BATCH_WITH_BIG_ITEM: {
        const int bk[] = {16, 17, 18};
        const size_t bl[] = {300, 20000, 5};
        h_batch(h, s, bk, bl, 3);
        *sampled = 1;
        break;
    }
    default: break;
    }
    return first;
}

/* Cut points to try: every byte, or (sampled) every byte near an entry boundary of the tail. */
static uint64_t g_window = 80;
static int want_cut(const struct tst_history *h, int first, uint64_t c, uint64_t lo, long step) {
    if (step <= 1 || (c - lo) % (uint64_t)step == 0) return 1;
    for (int i = first; i < h->n; i++) {
        uint64_t start = i > 0 ? h->e[i - 1].end : 0;
        uint64_t pay = h->e[i].len ? tst_align_up(start) : start;
        uint64_t marks[3] = {start, pay, h->e[i].end - SRD_FMT_META};
        for (int j = 0; j < 3; j++) {
            uint64_t m = marks[j];
            if ((c >= m && c - m <= g_window) || (c < m && m - c <= g_window)) return 1;
        }
        if (h->e[i].end - c <= g_window && c < h->e[i].end) return 1;
    }
    return 0;
}

static void torn_tail_case(enum tail_kind kind, const uint8_t *base, size_t base_len,
                           const struct tst_history *base_h) {
    const char *path = tst_path("torn.srd");
    REQUIRE(tst_spit(path, base, base_len) == 0);
    struct tst_history *h = (struct tst_history *)malloc(sizeof *h);
    REQUIRE(h != NULL);
    memcpy(h, base_h, sizeof *h);
    srd_store *s = tst_open_ok(path, 0);
    REQUIRE(s != NULL);
    int sampled = 0;
    int first = do_tail(kind, h, s, &sampled);
    srd_close(s);
    size_t full_len = 0;
    uint8_t *full = tst_slurp(path, &full_len);
    REQUIRE(full != NULL && full_len == tst_history_end(h));
    uint64_t lo = h->e[first - 1].end, hi = full_len;

    long step = 1;
    if (sampled && getenv("SRD_POWER_LOSS_EXHAUSTIVE") == NULL) step = 29;
    if (tst_scale() < 1.0) step = (long)((double)(step > 1 ? step : 4) / tst_scale());
    g_window = tst_scale() < 1.0 ? 4 : 80;

    uint8_t *got = (uint8_t *)malloc(full_len + 65536);
    REQUIRE(got != NULL);
    unsigned long cuts = 0, zero_filled = 0, failed_at = 0;
    int ok = 1;
    for (uint64_t c = lo; c < hi && ok; c++) {
        if (!want_cut(h, first, c, lo, step)) continue;
        cuts++;
        int do_write = cuts % 5 == 1;
        /* the append stopped at c */
        tst_ctx("%s: cut at %" PRIu64 " (last write %" PRIu64 "..%" PRIu64 ")", TAIL_NAMES[kind], c,
                lo, hi);
        ok &= check_variant(path, h, full, full, (size_t)c, lo, do_write);
        /* the file reached its full length, the bytes from c on never landed (every byte near
           an entry boundary, every 7th byte inside long payloads) */
        if (!want_cut(h, first, c, lo, step * 7)) continue;
        zero_filled++;
        memcpy(got, full, full_len);
        memset(got + c, 0, (size_t)(hi - c));
        tst_ctx("%s: zero-filled from %" PRIu64 " (last write %" PRIu64 "..%" PRIu64 ")",
                TAIL_NAMES[kind], c, lo, hi);
        ok &= check_variant(path, h, full, got, full_len, lo, do_write);
        if (!ok) failed_at = (unsigned long)c;
    }
    total_cut_points += cuts;
    total_zero_filled += zero_filled;

    /* holes: one sector or page of the last write missing, the rest landed */
    unsigned long holes = 0, bad_holes = 0;
    unsigned long hc[HOLE_OUTCOMES] = {0};
    for (int size = 512; size <= 4096 && ok; size *= 8) {
        for (uint64_t p = lo / (uint64_t)size * (uint64_t)size; p < hi; p += (uint64_t)size) {
            uint64_t a = p < lo ? lo : p, b = p + (uint64_t)size > hi ? hi : p + (uint64_t)size;
            memcpy(got, full, full_len);
            memset(got + a, 0, (size_t)(b - a));
            char why[512];
            int o = hole_variant(path, h, full, got, full_len, lo, why, sizeof why);
            holes++;
            hc[o]++;
            hole_counts[o]++;
            if (o >= HOLE_LOST) {
                tst_ctx("%s: %d-byte hole at %" PRIu64 "..%" PRIu64, TAIL_NAMES[kind], size, a, b);
                if (bad_holes++ < 2)
                    CHECK_MSG(o < HOLE_LOST, "%s: %s",
                              o == HOLE_LOST         ? "ACKNOWLEDGED DATA LOST"
                              : o == HOLE_NOT_PREFIX ? "not the intact prefix"
                                                     : "failed",
                              why);
            } else {
                tst_pass_();
            }
        }
    }
    tst_ctx("%s: holes", TAIL_NAMES[kind]);
    if (bad_holes > 2) CHECK_MSG(0, "... and %lu more holes failed the same way", bad_holes - 2);
    tst_ctx_clear();

    /* zeros or garbage appended after the last complete entry */
    static const size_t tails[] = {1, 20, 63, 64, 4096, 65536};
    static const char *const kinds[] = {"zeros", "random bytes", "0xFF bytes", "stale blocks"};
    unsigned long appended = 0;
    for (size_t t = 0; t < sizeof tails / sizeof tails[0] && ok; t++) {
        for (int g = 0; g < 4 && ok; g++) {
            size_t n = tails[t];
            memcpy(got, full, full_len);
            uint8_t *x = got + full_len;
            if (g == 0) memset(x, 0, n);
            else if (g == 1) {
                tst_rng r = {n * 77 + (uint64_t)kind};
                tst_rng_fill(&r, x, n);
            } else if (g == 2) memset(x, 0xFF, n);
            else for (size_t i = 0; i < n; i++) x[i] = full[i % full_len];
            tst_ctx("%s: %zu %s appended after the last entry (%" PRIu64 ")", TAIL_NAMES[kind], n,
                    kinds[g], hi);
            ok &= check_variant(path, h, full, got, full_len + n, lo, t % 2 == 0);
            appended++;
        }
    }
    tst_ctx_clear();
    printf("torn %-29s: last write %6" PRIu64 "..%6" PRIu64 " (%5" PRIu64 " bytes), %5lu cut points"
           "%s, %5lu zero-filled from a cut point, %lu appended tails, %lu sector/page holes (%lu "
           "prefix, %lu refused, %lu damaged in place and salvaged, %lu lost acknowledged data, %lu not a prefix)%s\n",
           TAIL_NAMES[kind], lo, hi, hi - lo, cuts,
           step > 1 ? " (sampled: every byte near entry boundaries)" : " (every byte)", zero_filled,
           appended,
           holes, hc[HOLE_PREFIX], hc[HOLE_REFUSED], hc[HOLE_SALVAGED], hc[HOLE_LOST], hc[HOLE_NOT_PREFIX] + hc[HOLE_OTHER],
           ok ? "" : "  FAILED");
    if (!ok) fprintf(stderr, "    first failure around byte %lu\n", failed_at);
    free(got);
    free(full);
    free(h);
}

/* ------------------------------------------------------------------ */
/* Interrupted compaction                                              */
/* ------------------------------------------------------------------ */

struct cstate {
    const uint8_t *store; /* bytes at <path> */
    size_t store_len;
    const uint8_t *tmp; /* bytes of <path>.compact.tmp, NULL: absent */
    size_t tmp_len;
    int renamed; /* 1: <path> is the new file */
};

static int compaction_state(const char *label, const struct cstate *cs, const struct tst_history *h,
                            const uint8_t *old_b, size_t old_len, const uint8_t *new_b,
                            size_t new_len) {
    static unsigned seq;
    char name[64];
    snprintf(name, sizeof name, "compact-%u.srd", seq++);
    const char *path = tst_path(name);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.compact.tmp", path);
    tst_ctx("compaction state: %s", label);
    total_variants++;
    int ok = 1;
    REQUIRE(tst_spit(path, cs->store, cs->store_len) == 0);
    if (cs->tmp != NULL) REQUIRE(tst_spit(tmp, cs->tmp, cs->tmp_len) == 0);
    int cur[NK];
    state_at(h, tst_history_end(h), cur);
    const uint8_t *want = cs->renamed ? new_b : old_b;
    size_t want_len = cs->renamed ? new_len : old_len;

    /* read-only: the store file as it is, untouched, whatever the temp file holds */
    srd_store *s = tst_open_ok(path, SRD_OPEN_READ_ONLY);
    if (s == NULL) return 0;
    ok &= check_state(s, h, cur, 0);
    ok &= CHECK_EQ_U(tst_size_of(s), want_len);
    srd_close(s);
    ok &= CHECK_MSG(tst_file_equals(path, want, want_len), "a read-only open modified the store");

    /* read-write: exactly the old or the new file, the temp file gone */
    s = tst_open_ok(path, 0);
    if (s == NULL) return 0;
    ok &= CHECK_MSG(tst_file_equals(path, want, want_len), "the store is not exactly the %s file",
                    cs->renamed ? "new" : "old");
    ok &= CHECK_MSG(!tst_file_exists(tmp), "the stale temporary file was not removed at open");
    ok &= check_state(s, h, cur, 0);
    ok &= verify_sound(s);

    /* a stale temp file that appears while the store is open is not reused either */
    uint8_t *junk = (uint8_t *)malloc(new_len + 4096);
    REQUIRE(junk != NULL);
    memcpy(junk, old_b, new_len + 4096 < old_len ? new_len + 4096 : old_len);
    if (old_len < new_len + 4096) memset(junk + old_len, 0xA5, new_len + 4096 - old_len);
    REQUIRE(tst_spit(tmp, junk, new_len + 4096) == 0);
    free(junk);

    ok &= CHECK_OK(srd_compact(s));
    ok &= CHECK_MSG(tst_file_equals(path, new_b, new_len),
                    "compaction did not produce the bytes of a clean compaction");
    ok &= CHECK_MSG(!tst_file_exists(tmp), "compaction left its temporary file");
    ok &= check_state(s, h, cur, 0);
    ok &= CHECK_EQ_U(tst_size_of(s), new_len);
    srd_close(s);
    s = tst_open_ok(path, SRD_OPEN_NO_CREATE);
    if (s == NULL) return 0;
    ok &= check_state(s, h, cur, 0);
    ok &= verify_sound(s);
    ok &= CHECK_MSG(tst_file_equals(path, new_b, new_len), "the compacted store changed on reopen");
    srd_close(s);
    remove(path);
    remove(tmp);
    tst_ctx_clear();
    return ok;
}

static void test_interrupted_compaction(const uint8_t *base, size_t base_len,
                                        const struct tst_history *base_h) {
    /* the old file: the base plus more overwrites and deletes, so compaction changes it */
    const char *oldp = tst_path("compact-old.srd");
    REQUIRE(tst_spit(oldp, base, base_len) == 0);
    struct tst_history *h = (struct tst_history *)malloc(sizeof *h);
    REQUIRE(h != NULL);
    memcpy(h, base_h, sizeof *h);
    srd_store *s = tst_open_ok(oldp, 0);
    REQUIRE(s != NULL);
    h_write(h, s, 3, 5000);
    h_write(h, s, 20, 3);
    h_delete(h, s, 11);
    h_stream(h, s, 21, 9000);
    const int bk[] = {22, 23, 3};
    const size_t bl[] = {70, 1, 64};
    h_batch(h, s, bk, bl, 3);
    srd_close(s);
    size_t old_len = 0;
    uint8_t *old_b = tst_slurp(oldp, &old_len);
    REQUIRE(old_b != NULL && old_len == tst_history_end(h));

    /* the new file: a clean compaction of a copy */
    const char *newp = tst_path("compact-new.srd");
    REQUIRE(tst_spit(newp, old_b, old_len) == 0);
    s = tst_open_ok(newp, 0);
    REQUIRE(s != NULL);
    REQUIRE(CHECK_OK(srd_compact(s)));
    srd_close(s);
    size_t new_len = 0;
    uint8_t *new_b = tst_slurp(newp, &new_len);
    REQUIRE(new_b != NULL && new_len > 0 && new_len < old_len);

    /* entry boundaries of the new file (walk its prev_tail chain back from the end) */
    uint64_t bounds[TST_HISTORY_MAX];
    int nb = 0;
    for (uint64_t cur = new_len; cur > 0 && nb < TST_HISTORY_MAX;) {
        bounds[nb++] = cur;
        uint64_t prev = tst_le64(new_b + cur - SRD_FMT_META + 8);
        if (prev >= cur) break;
        cur = prev;
    }

    size_t lens[64 + 3 * TST_HISTORY_MAX];
    int nl = 0;
    const size_t fixed[] = {0, 1, 19, 20, 21, 63, 64, 65, 100, 4096, new_len / 2, new_len - 1};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) lens[nl++] = fixed[i];
    long bstep = tst_scale() < 1.0 ? (long)(1.0 / tst_scale()) : 1;
    for (int i = 0; i < nb; i += (int)bstep) {
        lens[nl++] = (size_t)bounds[i] - 1;
        if (bounds[i] < new_len) lens[nl++] = (size_t)bounds[i];
        if (bounds[i] + 1 < new_len) lens[nl++] = (size_t)bounds[i] + 1;
    }

    unsigned long states = 0;
    int ok = 1;
    char label[128];
    struct cstate cs = {old_b, old_len, NULL, 0, 0};
    ok &= compaction_state("old file, no temp file (crash before the temp file was created)", &cs,
                           h, old_b, old_len, new_b, new_len);
    states++;
    for (int i = 0; i < nl && ok; i++) {
        if (lens[i] >= new_len) continue;
        cs = (struct cstate){old_b, old_len, new_b, lens[i], 0};
        snprintf(label, sizeof label, "old file + temp file with %zu of %zu bytes", lens[i], new_len);
        ok &= compaction_state(label, &cs, h, old_b, old_len, new_b, new_len);
        states++;
    }
    cs = (struct cstate){old_b, old_len, new_b, new_len, 0};
    ok &= compaction_state("old file + complete temp file, not renamed", &cs, h, old_b, old_len,
                           new_b, new_len);
    states++;
    uint8_t *garbage = (uint8_t *)malloc(new_len + 8192);
    REQUIRE(garbage != NULL);
    tst_rng r = {1234};
    tst_rng_fill(&r, garbage, new_len + 8192);
    cs = (struct cstate){old_b, old_len, garbage, new_len + 8192, 0};
    ok &= compaction_state("old file + temp file of garbage longer than the new file", &cs, h,
                           old_b, old_len, new_b, new_len);
    states++;
    cs = (struct cstate){old_b, old_len, old_b, old_len, 0};
    ok &= compaction_state("old file + temp file that is a copy of the old store", &cs, h, old_b,
                           old_len, new_b, new_len);
    states++;
    cs = (struct cstate){new_b, new_len, NULL, 0, 1};
    ok &= compaction_state("renamed: new file, no temp file", &cs, h, old_b, old_len, new_b,
                           new_len);
    states++;
    cs = (struct cstate){new_b, new_len, garbage, new_len / 3, 1};
    ok &= compaction_state("renamed: new file + a stale partial temp file", &cs, h, old_b, old_len,
                           new_b, new_len);
    states++;
    free(garbage);
    printf("interrupted compaction: old file %zu bytes, new file %zu bytes (%d entries); %lu on-disk "
           "states (%d temp-file lengths)%s\n",
           old_len, new_len, nb, states, nl, ok ? "" : "  FAILED");
    free(old_b);
    free(new_b);
    free(h);
}

/* ------------------------------------------------------------------ */
/* What is synced, and when                                            */
/* ------------------------------------------------------------------ */

static int synced_during(const char *file) {
    for (int i = 0; i < g_nevents; i++)
        if (g_events[i].kind != 'R' && strcmp(g_events[i].path, file) == 0) return 1;
    return 0;
}

static void print_events(void) {
    for (int i = 0; i < g_nevents; i++)
        fprintf(stderr, "    %d: %s %s%s%s\n", i,
                g_events[i].kind == 'F' ? "fsync" : g_events[i].kind == 'D' ? "fdatasync" : "rename",
                g_events[i].path, g_events[i].kind == 'R' ? " -> " : "", g_events[i].to);
}

/*
 * SRD_OPEN_SYNC: creating the store syncs its directory; each write, batch, delete, delete
 * batch and stream commit syncs the store file before it returns; srd_sync too. srd_compact (with and without SRD_OPEN_SYNC) syncs
 * the temporary file before renaming it over the store and syncs the directory after.
 */
static void test_durability_calls(void) {
    for (int sync = 1; sync >= 0; sync--) {
        const char *path = tst_path(sync ? "durable-sync.srd" : "durable.srd");
        g_nevents = 0;
        g_recording = 1;
        srd_store *s = tst_open_ok(path, sync ? SRD_OPEN_SYNC : 0);
        g_recording = 0;
        REQUIRE(s != NULL);
        char real[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX + 16];
        REQUIRE(realpath(path, real) != NULL && realpath(tst_test_g.dir, dir) != NULL);
        if (sync && !CHECK_MSG(synced_during(dir), "srd_open(SRD_OPEN_SYNC) created %s without "
                                                   "syncing its directory", real))
            print_events();
        snprintf(tmp, sizeof tmp, "%s.compact.tmp", real);
        uint8_t v[5000];
        tst_sv_fill(7, v, sizeof v);
        const char *what[] = {"srd_write", "srd_write_batch", "srd_delete", "srd_delete_batch",
                              "srd_stream_commit", "srd_sync"};
        for (int op = 0; op < 6; op++) {
            tst_ctx("%s (%s)", what[op], sync ? "SRD_OPEN_SYNC" : "no sync");
            g_nevents = 0;
            g_recording = 1;
            int ok = 1;
            switch (op) {
            case 0: ok = CHECK_OK(srd_write(s, KEY(0), KLEN(0), v, 100)); break;
            case 1: {
                srd_kv kv[2] = {{KEY(1), KLEN(1), v, 4097}, {KEY(2), KLEN(2), v + 1, 3}};
                ok = CHECK_OK(srd_write_batch(s, kv, 2));
                break;
            }
            case 2: ok = CHECK_OK(srd_delete(s, KEY(0), KLEN(0))); break;
            case 3: {
                srd_key dk[2] = {{KEY(1), KLEN(1)}, {KEY(2), KLEN(2)}};
                ok = CHECK_OK(srd_delete_batch(s, dk, 2));
                break;
            }
            case 4: {
                srd_stream *st = NULL;
                if ((ok = CHECK_OK(srd_stream_begin(s, KEY(3), KLEN(3), &st)))) {
                    ok &= CHECK_OK(srd_stream_write(st, v, 3000));
                    ok &= CHECK_OK(srd_stream_write(st, v + 3000, 2000));
                    ok &= CHECK_OK(srd_stream_commit(st));
                }
                break;
            }
            case 5: ok = CHECK_OK(srd_sync(s)); break;
            }
            g_recording = 0;
            if (ok && (sync || op == 5) &&
                !CHECK_MSG(synced_during(real), "%s returned before syncing %s", what[op], real))
                print_events();
        }

        /* compaction: sync(temp) < rename(temp -> store) < sync(directory) */
        tst_ctx("srd_compact (%s)", sync ? "SRD_OPEN_SYNC" : "no sync");
        CHECK_OK(srd_write(s, KEY(4), KLEN(4), v, 700));
        CHECK_OK(srd_write(s, KEY(4), KLEN(4), v, 800));
        g_nevents = 0;
        g_recording = 1;
        int ok = CHECK_OK(srd_compact(s));
        g_recording = 0;
        int ren = -1, tmp_sync = -1, dir_sync = -1;
        for (int i = 0; i < g_nevents; i++) {
            struct sync_event *e = &g_events[i];
            if (e->kind == 'R' && strcmp(e->path, tmp) == 0 && strcmp(e->to, real) == 0) ren = i;
            else if (e->kind != 'R' && ren < 0 && strcmp(e->path, tmp) == 0) tmp_sync = i;
            else if (e->kind == 'F' && ren >= 0 && strcmp(e->path, dir) == 0) dir_sync = i;
        }
        ok &= CHECK_MSG(ren >= 0, "compaction did not rename %s over %s", tmp, real);
        ok &= CHECK_MSG(tmp_sync >= 0, "compaction did not sync the temporary file before the rename");
        ok &= CHECK_MSG(dir_sync >= 0, "compaction did not sync the directory after the rename");
        if (!ok) print_events();
        srd_close(s);
        tst_ctx_clear();
    }
    printf("durability calls: SRD_OPEN_SYNC creation syncs the directory; writes, batches, deletes, delete batches and stream "
           "commits sync before returning; compaction syncs temp file < rename < directory\n");
}

/*
 * A failed fdatasync (SRD_OPEN_SYNC): the call that saw it fails with SRD_IO; every later
 * write, delete, stream, sync or compaction through the handle gives SRD_BROKEN with a
 * message (Linux reports a writeback error once, so a later sync could wrongly succeed),
 * reads still work, and a fresh open of the store writes again.
 */
static void test_failed_fdatasync_breaks_the_handle(void) {
    const char *path = tst_path("broken.srd");
    srd_store *s = tst_open_ok(path, SRD_OPEN_SYNC);
    REQUIRE(s != NULL);
    CHECK_OK(srd_write(s, KEY(0), KLEN(0), (const uint8_t *)"before", 6));
    g_fail_fdatasync = 1;
    CHECK_EQ(srd_write(s, KEY(1), KLEN(1), (const uint8_t *)"during", 6), SRD_IO);
    g_fail_fdatasync = 0;
    CHECK_EQ(srd_write(s, KEY(2), KLEN(2), (const uint8_t *)"after", 5), SRD_BROKEN);
    CHECK(strstr(srd_last_error_message(), "fdatasync") != NULL);
    CHECK(strstr(srd_last_error_message(), "open the store again") != NULL);
    CHECK_EQ(srd_delete(s, KEY(0), KLEN(0)), SRD_BROKEN);
    CHECK_EQ(srd_sync(s), SRD_BROKEN);
    CHECK_EQ(srd_compact(s), SRD_BROKEN);
    srd_stream *st = NULL;
    CHECK_EQ(srd_stream_begin(s, KEY(3), KLEN(3), &st), SRD_BROKEN);
    CHECK(st == NULL);
    const uint8_t *p = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, KEY(0), KLEN(0), &p, &n))) CHECK(n == 6 && memcmp(p, "before", 6) == 0);
    CHECK_EQ(srd_read(s, KEY(2), KLEN(2), &p, &n), SRD_NOT_FOUND);
    srd_close(s);
    s = tst_open_ok(path, SRD_OPEN_SYNC);
    REQUIRE(s != NULL);
    CHECK_OK(srd_write(s, KEY(2), KLEN(2), (const uint8_t *)"after", 5));
    if (CHECK_OK(srd_read(s, KEY(0), KLEN(0), &p, &n))) CHECK(n == 6 && memcmp(p, "before", 6) == 0);
    srd_close(s);
    /* The same through srd_sync on a store opened without SRD_OPEN_SYNC. */
    s = tst_open_ok(path, 0);
    REQUIRE(s != NULL);
    CHECK_OK(srd_write(s, KEY(4), KLEN(4), (const uint8_t *)"x", 1));
    g_fail_fdatasync = 1;
    CHECK_EQ(srd_sync(s), SRD_IO);
    g_fail_fdatasync = 0;
    CHECK_EQ(srd_sync(s), SRD_BROKEN);
    CHECK_EQ(srd_write(s, KEY(5), KLEN(5), (const uint8_t *)"y", 1), SRD_BROKEN);
    srd_close(s);
}

/*
 * A stream begun on a non-empty store, some bytes written, then srd_sync fails (fdatasync
 * EIO): the handle is SRD_BROKEN, so srd_stream_commit returns SRD_BROKEN and the store file
 * is back to its size before srd_stream_begin (no stream bytes, no <store>.stream.tmp); the
 * writer is not stuck (srd_close returns, in a child with a deadline, and a new read-write
 * open gets the lock); a reopen reads the old values and not the stream's key.
 */
static void broken_stream_child(void *arg) {
    const char *path = (const char *)arg;
    srd_store *s = tst_open_ok(path, 0);
    if (!s) return;
    CHECK_OK(srd_write(s, KEY(0), KLEN(0), (const uint8_t *)"old zero", 8));
    CHECK_OK(srd_write(s, KEY(1), KLEN(1), (const uint8_t *)"old one", 7));
    CHECK_OK(srd_sync(s));
    long long size0 = tst_file_len(path);
    uint64_t fsize0 = tst_size_of(s);
    srd_stream *st = NULL;
    if (!CHECK_OK(srd_stream_begin(s, KEY(2), KLEN(2), &st))) {
        srd_close(s);
        return;
    }
    uint8_t chunk[65536];
    tst_sv_fill(42, chunk, sizeof chunk);
    for (int i = 0; i < 5; i++) CHECK_OK(srd_stream_write(st, chunk, sizeof chunk));
    g_fail_fdatasync = 1;
    CHECK_STATUS(srd_sync(s), SRD_IO);
    g_fail_fdatasync = 0;
    CHECK_STATUS(srd_stream_write(st, chunk, 100), SRD_BROKEN);
    CHECK_STATUS(srd_stream_commit(st), SRD_BROKEN);
    CHECK_EQ(tst_file_len(path), size0);
    CHECK_EQ_U(tst_size_of(s), fsize0);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.stream.tmp", path);
    CHECK(!tst_file_exists(tmp));
    const uint8_t *p = NULL;
    size_t n = 0;
    CHECK_STATUS(srd_read(s, KEY(2), KLEN(2), &p, &n), SRD_NOT_FOUND);
    if (CHECK_OK(srd_read(s, KEY(0), KLEN(0), &p, &n))) CHECK(n == 8 && memcmp(p, "old zero", 8) == 0);
    CHECK_STATUS(srd_write(s, KEY(3), KLEN(3), (const uint8_t *)"x", 1), SRD_BROKEN);
    srd_close(s); /* must return: the child has a deadline */
    CHECK_EQ(tst_file_len(path), size0);
    s = tst_open_ok(path, 0); /* the writer lock was released */
    if (!s) return;
    CHECK_STATUS(srd_read(s, KEY(2), KLEN(2), &p, &n), SRD_NOT_FOUND);
    if (CHECK_OK(srd_read(s, KEY(0), KLEN(0), &p, &n))) CHECK(n == 8 && memcmp(p, "old zero", 8) == 0);
    if (CHECK_OK(srd_read(s, KEY(1), KLEN(1), &p, &n))) CHECK(n == 7 && memcmp(p, "old one", 7) == 0);
    CHECK_EQ_U(tst_size_of(s), fsize0);
    CHECK_OK(srd_write(s, KEY(2), KLEN(2), (const uint8_t *)"after", 5));
    srd_close(s);
}

static void test_failed_sync_during_stream_rolls_the_stream_back(void) {
    const char *path = tst_path("broken-stream.srd");
    tst_run_in_child("stream with a failed srd_sync", 60, TST_CHILD_EXIT, broken_stream_child, (void *)path);
    CHECK(!tst_file_exists(path) || tst_file_len(path) > 0);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_power_loss");
    for (int k = 0; k < NK; k++) snprintf(key_name[k], sizeof key_name[k], "pl-key-%02d", k);
    double t0 = tst_now();
    /* Before build_base, whose REQUIREs stop the program. */
    test_failed_sync_during_stream_rolls_the_stream_back();

    struct tst_history *base_h = (struct tst_history *)malloc(sizeof *base_h);
    REQUIRE(base_h != NULL);
    const char *basep = tst_path("base.srd");
    build_base(basep, base_h);
    size_t base_len = 0;
    uint8_t *base = tst_slurp(basep, &base_len);
    REQUIRE(base != NULL);
    printf("base store: %d entries, %zu bytes\n", base_h->n, base_len);

    test_durability_calls();
    test_failed_fdatasync_breaks_the_handle();
    for (int k = 0; k < T_COUNT; k++) torn_tail_case((enum tail_kind)k, base, base_len, base_h);
    test_interrupted_compaction(base, base_len, base_h);

    printf("holes in the last write: %lu opened to the intact prefix, %lu refused (SRD_CORRUPT), "
           "%lu opened with the damaged values reading SRD_CORRUPT and fully restored by srd_salvage, "
           "%lu LOST ACKNOWLEDGED DATA, %lu not the intact prefix\n",
           hole_counts[HOLE_PREFIX], hole_counts[HOLE_REFUSED], hole_counts[HOLE_SALVAGED], hole_counts[HOLE_LOST],
           hole_counts[HOLE_NOT_PREFIX] + hole_counts[HOLE_OTHER]);
    printf("test_power_loss: %lu cut points, %lu zero-filled copies, %lu damaged copies opened read-only and read-write, "
           "%lu fsync/fdatasync calls %s, %.1f s\n",
           total_cut_points, total_zero_filled, total_variants, g_syncs_seen,
           real_sync_enabled() ? "passed to the system" : "not waited for (SRD_POWER_LOSS_REAL_FSYNC=1 to wait)",
           tst_now() - t0);
    free(base);
    free(base_h);
    return tst_test_finish();
}

/*
 * test_multiprocess.c - a writer process and reader processes on one store file.
 *
 * Real processes: the test re-executes itself (fork + exec of /proc/self/exe) as a
 * "writer" child and "reader" children, and drives them over pipes with a line protocol
 * (one reply per command; every wait has a deadline, nothing relies on sleeping).
 *   - The writer holds the read-write lock; a read-write open from another process (a
 *     reader child, and the test process itself) gets SRD_LOCKED at once (< 2 s), also
 *     with SRD_OPEN_NO_CREATE / SRD_OPEN_SYNC; read-only opens in other processes work.
 *   - srd_refresh on a read-only handle takes in what the writer appended since:
 *     rounds of writes and deletes are followed incrementally (srd_entry_count grows by
 *     exactly the entries appended, srd_count and every key's value match the model); a
 *     reader that does not refresh keeps its snapshot; a later refresh catches up.
 *   - A value being streamed (8 MiB) is not visible to srd_refresh mid-stream (neither
 *     half-written nor fully written before the commit), nor to a fresh read-only open
 *     in another process; after the commit it is, byte for byte. An aborted stream never
 *     appears and the writer's next value is seen.
 *   - Compaction by the writer (the file is replaced underneath): the lock follows the
 *     new file (a read-write open elsewhere is still SRD_LOCKED), srd_refresh reopens,
 *     every value is right, entries pinned before the compaction keep their bytes, and
 *     later appends to the new file are followed incrementally again.
 *   - A free-running race (~2 s x SRD_TEST_SCALE): the writer appends values of up to
 *     512 KiB and compacts now and then, while a reader refreshes and reads in a loop:
 *     every value seen is complete and correct, generations never go back; at the end
 *     the reader sees exactly the writer's final state.
 *   - A store file streamed as the FIRST value of an empty store (a nested store): while
 *     it is being streamed, the bytes written so far are by themselves a valid chain of
 *     entries from offset 0; srd_refresh must take in nothing before the commit, then the
 *     value (which opens as a nested store), then later appends.
 *   - When the writer closes, a read-write open from another process succeeds.
 */
#include "tst_robust.h"

#include <sys/wait.h>

#define HDR 20
#define MAGIC 0x4d505631u /* "MPV1" */
#define NKEYS 48
#define BIG 47        /* the streamed key */
#define RACE_BASE 32  /* keys 32..46 for the race */
#define RACE_KEYS 15

static char key_name[NKEYS][16];
static const uint8_t *K(int k) { return (const uint8_t *)key_name[k]; }
static size_t KL(int k) { return strlen(key_name[k]); }

static void init_keys(void) {
    for (int k = 0; k < NKEYS; k++) snprintf(key_name[k], sizeof key_name[k], "mp-%02d", k);
}

static size_t big_len(void) { return 8u << 20; }

static size_t value_len(int key, uint64_t gen) {
    if (key == BIG) return big_len() + (size_t)(gen % 7);
    tst_rng r = {((uint64_t)key << 32) ^ gen ^ 0xFACE};
    uint64_t x = tst_rng_next(&r);
    if (key >= RACE_BASE && x % 4 == 0) return HDR + (size_t)((x >> 8) % (512u << 10));
    return HDR + (size_t)((x >> 8) % 3000);
}

static uint8_t *make_value(int key, uint64_t gen, size_t *len) {
    size_t n = value_len(key, gen);
    uint8_t *v = (uint8_t *)malloc(n);
    if (!v) abort();
    tst_put_le32(v, MAGIC);
    tst_put_le32(v + 4, (uint32_t)key);
    tst_put_le32(v + 8, (uint32_t)gen);
    tst_put_le32(v + 12, (uint32_t)(gen >> 32));
    tst_put_le32(v + 16, (uint32_t)n);
    tst_rng r = {((uint64_t)key << 48) ^ (gen * 0x9E3779B97F4A7C15ull)};
    tst_rng_fill(&r, v + HDR, n - HDR);
    *len = n;
    return v;
}

/* The generation of a complete, correct value of `key`, or 0. */
static uint64_t value_gen(int key, const uint8_t *p, size_t n) {
    if (n < HDR || tst_le32(p) != MAGIC || tst_le32(p + 4) != (uint32_t)key) return 0;
    uint64_t gen = (uint64_t)tst_le32(p + 8) | (uint64_t)tst_le32(p + 12) << 32;
    if (gen == 0 || tst_le32(p + 16) != n || value_len(key, gen) != n) return 0;
    uint8_t tmp[4096];
    tst_rng r = {((uint64_t)key << 48) ^ (gen * 0x9E3779B97F4A7C15ull)};
    for (size_t off = HDR; off < n;) {
        size_t c = n - off < sizeof tmp ? n - off : sizeof tmp;
        tst_rng_fill(&r, tmp, c);
        if (memcmp(tmp, p + off, c) != 0) return 0;
        off += c;
    }
    return gen;
}

/* ================================================================== */
/* Children                                                            */
/* ================================================================== */

static int reply(struct tst_chan *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reply(struct tst_chan *c, const char *fmt, ...) {
    char line[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return tst_chan_send(c, "%s", line);
}

static int writer_main(const char *path, struct tst_chan *ch) {
    srd_store *s = NULL;
    srd_stream *st = NULL;
    uint8_t *sval = NULL;
    size_t slen = 0, sdone = 0;
    char line[512];
    for (;;) {
        if (tst_chan_recv(ch, line, sizeof line, 600.0) != 0) return 20;
        char cmd[32] = "";
        long a = 0, b = 0, c = 0;
        double f = 0;
        sscanf(line, "%31s", cmd);
        if (strcmp(cmd, "open") == 0) {
            reply(ch, "status %d", (int)srd_open(path, 0, &s));
        } else if (strcmp(cmd, "put") == 0 && sscanf(line, "%*s %ld %ld", &a, &b) == 2) {
            size_t n;
            uint8_t *v = make_value((int)a, (uint64_t)b, &n);
            reply(ch, "status %d", (int)srd_write(s, K((int)a), KL((int)a), v, n));
            free(v);
        } else if (strcmp(cmd, "putn") == 0 && sscanf(line, "%*s %ld %ld %ld", &a, &b, &c) == 3) {
            int32_t r = SRD_OK;
            for (long k = a; k < a + b && r == SRD_OK; k++) {
                size_t n;
                uint8_t *v = make_value((int)k, (uint64_t)c, &n);
                r = srd_write(s, K((int)k), KL((int)k), v, n);
                free(v);
            }
            reply(ch, "status %d", (int)r);
        } else if (strcmp(cmd, "del") == 0 && sscanf(line, "%*s %ld", &a) == 1) {
            reply(ch, "status %d", (int)srd_delete(s, K((int)a), KL((int)a)));
        } else if (strcmp(cmd, "sbegin") == 0 && sscanf(line, "%*s %ld %ld", &a, &b) == 2) {
            free(sval);
            sval = make_value((int)a, (uint64_t)b, &slen);
            sdone = 0;
            int32_t r = srd_stream_begin(s, K((int)a), KL((int)a), &st);
            reply(ch, "status %d", (int)r);
        } else if (strcmp(cmd, "snested") == 0 && sscanf(line, "%*s %ld", &a) == 1) {
            /* stream a whole store file (three entries) as the value of key a, no commit */
            char inner[PATH_MAX + 16];
            snprintf(inner, sizeof inner, "%s.inner", path);
            srd_store *is = NULL;
            int32_t r = srd_open(inner, 0, &is);
            for (int i = 0; i < 3 && r == SRD_OK; i++) {
                static const char *iv[] = {"alpha", "beta", "gamma"};
                char ik[2] = {(char)('a' + i), 0};
                r = srd_write(is, (const uint8_t *)ik, 1, (const uint8_t *)iv[i], strlen(iv[i]));
            }
            srd_close(is);
            free(sval);
            sval = r == SRD_OK ? tst_slurp(inner, &slen) : NULL;
            unlink(inner);
            if (r == SRD_OK && sval) r = srd_stream_begin(s, K((int)a), KL((int)a), &st);
            if (r == SRD_OK) r = srd_stream_write(st, sval, slen);
            reply(ch, "status %d streamed %zu", (int)r, slen);
        } else if (strcmp(cmd, "swrite") == 0 && sscanf(line, "%*s %lf", &f) == 1) {
            size_t upto = (size_t)((double)slen * f);
            if (upto > slen) upto = slen;
            int32_t r = SRD_OK;
            while (sdone < upto && r == SRD_OK) {
                size_t c2 = upto - sdone < (1u << 20) ? upto - sdone : (1u << 20);
                r = srd_stream_write(st, sval + sdone, c2);
                sdone += c2;
            }
            uint64_t fs = 0;
            srd_file_size(s, &fs);
            reply(ch, "status %d written %zu of %zu published %llu", (int)r, sdone, slen,
                  (unsigned long long)fs);
        } else if (strcmp(cmd, "scommit") == 0) {
            reply(ch, "status %d", (int)srd_stream_commit(st));
            st = NULL;
        } else if (strcmp(cmd, "sabort") == 0) {
            srd_stream_abort(st);
            st = NULL;
            reply(ch, "status 0");
        } else if (strcmp(cmd, "compact") == 0) {
            reply(ch, "status %d", (int)srd_compact(s));
        } else if (strcmp(cmd, "free") == 0 && sscanf(line, "%*s %lf %ld", &f, &a) == 2) {
            /* free-running writes on the race keys, generations from `a` on */
            uint64_t gens[RACE_KEYS];
            for (int i = 0; i < RACE_KEYS; i++) gens[i] = 0;
            double end = tst_now() + f;
            long n = 0, compactions = 0;
            int32_t r = SRD_OK;
            tst_rng rng = {(uint64_t)a};
            while (tst_now() < end && r == SRD_OK) {
                int i = (int)tst_rng_below(&rng, RACE_KEYS);
                uint64_t g = (uint64_t)a + (uint64_t)n;
                size_t vl;
                uint8_t *v = make_value(RACE_BASE + i, g, &vl);
                r = srd_write(s, K(RACE_BASE + i), KL(RACE_BASE + i), v, vl);
                free(v);
                if (r == SRD_OK) gens[i] = g;
                n++;
                if (n % 40 == 0 && r == SRD_OK) {
                    r = srd_compact(s);
                    compactions++;
                }
            }
            char out[800];
            int o = snprintf(out, sizeof out, "status %d writes %ld compactions %ld gens", (int)r, n, compactions);
            for (int i = 0; i < RACE_KEYS && o > 0 && (size_t)o < sizeof out - 24; i++)
                o += snprintf(out + o, sizeof out - (size_t)o, " %llu", (unsigned long long)gens[i]);
            reply(ch, "%s", out);
        } else if (strcmp(cmd, "quit") == 0) {
            if (st) srd_stream_abort(st);
            srd_close(s);
            free(sval);
            reply(ch, "bye");
            return 0;
        } else {
            reply(ch, "error unknown command: %s", line);
        }
    }
}

#define NPINS 16

static int reader_main(const char *path, struct tst_chan *ch) {
    srd_store *s = NULL;
    struct {
        srd_entry *e;
        int key;
        uint64_t gen;
    } pins[NPINS];
    int npins = 0;
    char line[512];
    for (;;) {
        if (tst_chan_recv(ch, line, sizeof line, 600.0) != 0) return 20;
        char cmd[32] = "", arg[32] = "";
        long a = 0;
        double f = 0;
        sscanf(line, "%31s %31s", cmd, arg);
        if (strcmp(cmd, "open") == 0) {
            uint32_t flags = strcmp(arg, "ro") == 0 ? SRD_OPEN_READ_ONLY
                             : strcmp(arg, "rw-nocreate") == 0 ? SRD_OPEN_NO_CREATE
                             : strcmp(arg, "rw-sync") == 0 ? SRD_OPEN_SYNC
                                                           : 0;
            srd_store *h = NULL;
            double t0 = tst_now();
            int32_t r = srd_open(path, flags, &h);
            double dt = tst_now() - t0;
            if (r == SRD_OK && flags == SRD_OPEN_READ_ONLY) {
                srd_close(s);
                s = h;
            } else if (r == SRD_OK) {
                srd_close(h); /* a read-write probe: release it at once */
            }
            reply(ch, "status %d seconds %.3f", (int)r, dt);
        } else if (strcmp(cmd, "refresh") == 0) {
            reply(ch, "status %d", (int)srd_refresh(s));
        } else if (strcmp(cmd, "count") == 0) {
            uint64_t live = 0, entries = 0, size = 0;
            srd_count(s, &live);
            srd_entry_count(s, &entries);
            srd_file_size(s, &size);
            reply(ch, "live %llu entries %llu size %llu", (unsigned long long)live,
                  (unsigned long long)entries, (unsigned long long)size);
        } else if (strcmp(cmd, "get") == 0 && sscanf(line, "%*s %ld", &a) == 1) {
            const uint8_t *p = NULL;
            size_t n = 0;
            int32_t r = srd_read(s, K((int)a), KL((int)a), &p, &n);
            uint64_t g = r == SRD_OK ? value_gen((int)a, p, n) : 0;
            reply(ch, "status %d gen %llu%s", (int)r, (unsigned long long)g,
                  r == SRD_OK && g == 0 ? " BAD" : "");
        } else if (strcmp(cmd, "nested") == 0 && sscanf(line, "%*s %ld", &a) == 1) {
            /* key a holds a store file: open it in place and read its three keys */
            srd_entry *e = NULL;
            int32_t r = srd_read_entry(s, K((int)a), KL((int)a), &e);
            int good = 0;
            if (r == SRD_OK) {
                srd_store *in = NULL;
                if (srd_open_entry(e, &in) == SRD_OK) {
                    static const char *iv[] = {"alpha", "beta", "gamma"};
                    for (int i = 0; i < 3; i++) {
                        char ik[2] = {(char)('a' + i), 0};
                        const uint8_t *p = NULL;
                        size_t n = 0;
                        good += srd_read(in, (const uint8_t *)ik, 1, &p, &n) == SRD_OK &&
                                n == strlen(iv[i]) && memcmp(p, iv[i], n) == 0;
                    }
                    srd_close(in);
                }
                srd_entry_free(e);
            }
            reply(ch, "status %d inner %d", (int)r, good);
        } else if (strcmp(cmd, "pin") == 0 && sscanf(line, "%*s %ld", &a) == 1 && npins < NPINS) {
            srd_entry *e = NULL;
            int32_t r = srd_read_entry(s, K((int)a), KL((int)a), &e);
            uint64_t g = 0;
            if (r == SRD_OK) {
                size_t n = 0;
                const uint8_t *p = srd_entry_data(e, &n);
                g = value_gen((int)a, p, n);
                pins[npins].e = e;
                pins[npins].key = (int)a;
                pins[npins].gen = g;
                npins++;
            }
            reply(ch, "status %d gen %llu", (int)r, (unsigned long long)g);
        } else if (strcmp(cmd, "checkpins") == 0) {
            int bad = 0;
            for (int i = 0; i < npins; i++) {
                size_t n = 0;
                const uint8_t *p = srd_entry_data(pins[i].e, &n);
                if (value_gen(pins[i].key, p, n) != pins[i].gen || srd_entry_verify(pins[i].e) != SRD_OK)
                    bad++;
            }
            reply(ch, "pins %d bad %d", npins, bad);
        } else if (strcmp(cmd, "race") == 0 && sscanf(line, "%*s %lf", &f) == 1) {
            uint64_t last[RACE_KEYS] = {0};
            long refreshes = 0, reads = 0, bad = 0, back = 0, errors = 0;
            double end = tst_now() + f;
            while (tst_now() < end) {
                if (srd_refresh(s) != SRD_OK) errors++;
                refreshes++;
                for (int i = 0; i < RACE_KEYS; i++) {
                    const uint8_t *p = NULL;
                    size_t n = 0;
                    int32_t r = srd_read(s, K(RACE_BASE + i), KL(RACE_BASE + i), &p, &n);
                    reads++;
                    if (r == SRD_NOT_FOUND) continue;
                    if (r != SRD_OK) {
                        errors++;
                        continue;
                    }
                    uint64_t g = value_gen(RACE_BASE + i, p, n);
                    if (g == 0) bad++;
                    else if (g < last[i]) back++;
                    else last[i] = g;
                }
            }
            reply(ch, "refreshes %ld reads %ld bad %ld back %ld errors %ld", refreshes, reads, bad,
                  back, errors);
        } else if (strcmp(cmd, "quit") == 0) {
            for (int i = 0; i < npins; i++) srd_entry_free(pins[i].e);
            srd_close(s);
            reply(ch, "bye");
            return 0;
        } else {
            reply(ch, "error unknown command: %s", line);
        }
    }
}

/* ================================================================== */
/* Parent                                                              */
/* ================================================================== */

struct child {
    const char *name;
    pid_t pid;
    struct tst_chan ch;
};

static double reply_timeout = 120.0;

static int spawn(struct child *c, const char *name, const char *role, const char *path) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        char rfd[16], wfd[16];
        snprintf(rfd, sizeof rfd, "%d", to_child[0]);
        snprintf(wfd, sizeof wfd, "%d", from_child[1]);
        execl(tst_self_exe(), tst_self_exe(), "--child", role, path, rfd, wfd, (char *)NULL);
        _exit(99);
    }
    close(to_child[0]);
    close(from_child[1]);
    fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    c->name = name;
    c->pid = pid;
    memset(&c->ch, 0, sizeof c->ch);
    c->ch.rfd = from_child[0];
    c->ch.wfd = to_child[1];
    return 0;
}

/* Sends a command and waits (bounded) for the reply line. */
static int ask(struct child *c, char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ask(struct child *c, char *out, size_t outlen, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    out[0] = '\0';
    if (!CHECK_MSG(tst_chan_send(&c->ch, "%s", line) == 0, "%s: cannot send \"%s\"", c->name, line))
        return -1;
    int r = tst_chan_recv(&c->ch, out, outlen, reply_timeout);
    CHECK_MSG(r == 0, "%s: no reply to \"%s\" (%s)", c->name, line, r == -1 ? "timeout" : "EOF");
    return r;
}

/* Sends a command whose reply is "status N ..." and returns N (or -100). */
static int ask_status(struct child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ask_status(struct child *c, const char *fmt, ...) {
    char line[512], out[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ask(c, out, sizeof out, "%s", line) != 0) return -100;
    int st = -100;
    if (sscanf(out, "status %d", &st) != 1) CHECK_MSG(0, "%s: odd reply \"%s\" to \"%s\"", c->name, out, line);
    return st;
}

static int finish(struct child *c) {
    char out[128];
    if (ask(c, out, sizeof out, "quit") == 0)
        CHECK_MSG(strcmp(out, "bye") == 0, "%s: \"%s\" to quit", c->name, out);
    close(c->ch.wfd);
    close(c->ch.rfd);
    double deadline = tst_now() + 30;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid) break;
        if (tst_now() > deadline) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            CHECK_MSG(0, "%s did not exit", c->name);
            return -1;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling for the exit status only */
    }
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s exited with %d (signal %d)", c->name,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 0;
}

/* The parent's model of the store. */
static uint64_t gen_of[NKEYS]; /* 0 = absent */
static uint64_t entries_total;  /* entries in the file (all versions, tombstones) */

static uint64_t live_count(void) {
    uint64_t n = 0;
    for (int k = 0; k < NKEYS; k++) n += gen_of[k] != 0;
    return n;
}

static void w_put(struct child *w, int key, uint64_t gen) {
    CHECK_EQ(ask_status(w, "put %d %llu", key, (unsigned long long)gen), SRD_OK);
    gen_of[key] = gen;
    entries_total++;
}

static void w_del(struct child *w, int key) {
    CHECK_EQ(ask_status(w, "del %d", key), SRD_OK);
    gen_of[key] = 0;
    entries_total++;
}

/* The reader's view must equal the model (every key, live count, entry count). */
static void expect_view(struct child *r, const char *when, int check_entries) {
    tst_ctx("%s: %s", r->name, when);
    char out[256];
    if (ask(r, out, sizeof out, "count") == 0) {
        unsigned long long live = 0, entries = 0, size = 0;
        if (CHECK(sscanf(out, "live %llu entries %llu size %llu", &live, &entries, &size) == 3)) {
            CHECK_EQ_U(live, live_count());
            if (check_entries) CHECK_EQ_U(entries, entries_total);
        }
    }
    for (int k = 0; k < NKEYS; k++) {
        if (ask(r, out, sizeof out, "get %d", k) != 0) continue;
        int st = -1;
        unsigned long long g = 0;
        sscanf(out, "status %d gen %llu", &st, &g);
        if (gen_of[k]) {
            CHECK_MSG(st == SRD_OK && g == gen_of[k] && !strstr(out, "BAD"),
                      "%s sees %s as \"%s\", expected gen %llu", r->name, key_name[k], out,
                      (unsigned long long)gen_of[k]);
        } else {
            CHECK_MSG(st == SRD_NOT_FOUND, "%s sees %s as \"%s\", expected SRD_NOT_FOUND",
                      r->name, key_name[k], out);
        }
    }
    tst_ctx_clear();
}

static int opened_status(struct child *c, const char *how, double *secs) {
    char out[256];
    if (ask(c, out, sizeof out, "open %s", how) != 0) return -100;
    int st = -100;
    double s = 0;
    if (sscanf(out, "status %d seconds %lf", &st, &s) != 2) CHECK_MSG(0, "odd reply \"%s\"", out);
    if (secs) *secs = s;
    return st;
}

static void expect_locked_elsewhere(struct child *r, const char *when) {
    tst_ctx("%s", when);
    static const char *modes[] = {"rw", "rw-nocreate", "rw-sync"};
    for (int i = 0; i < 3; i++) {
        double secs = 0;
        int st = opened_status(r, modes[i], &secs);
        CHECK_MSG(st == SRD_LOCKED, "%s: read-write open (%s) from another process: status %d, "
                  "expected SRD_LOCKED", when, modes[i], st);
        CHECK_MSG(secs < 2.0, "SRD_LOCKED took %.2f s (expected at once)", secs);
    }
    /* and from this (third) process too */
    srd_store *s = (srd_store *)(uintptr_t)0x1;
    double t0 = tst_now();
    CHECK_STATUS(srd_open(tst_path("mp.srd"), 0, &s), SRD_LOCKED);
    CHECK(tst_now() - t0 < 2.0);
    CHECK(s == (srd_store *)(uintptr_t)0x1);
    tst_ctx_clear();
}

/* A store file streamed as the FIRST value of an empty store (nested stores are a
 * documented use): mid-stream, the bytes written so far form, by themselves, a valid
 * chain of entries starting at offset 0. srd_refresh must still take in nothing until
 * the commit ("one still being written is left for a later refresh"), then the value,
 * then later appends. */
static void nested_first_value(void) {
    const char *path2 = tst_path("mp-nested.srd");
    struct child w2, r4;
    REQUIRE(spawn(&w2, "writer process (nested)", "writer", path2) == 0);
    REQUIRE(ask_status(&w2, "open") == SRD_OK);
    REQUIRE(spawn(&r4, "reader process (nested)", "reader", path2) == 0);
    CHECK_EQ(opened_status(&r4, "ro", NULL), SRD_OK);
    char out[256];
    CHECK(ask(&w2, out, sizeof out, "snested 0") == 0 && strncmp(out, "status 0 ", 9) == 0);
    CHECK_EQ(ask_status(&r4, "refresh"), SRD_OK);
    if (ask(&r4, out, sizeof out, "count") == 0)
        CHECK_MSG(strncmp(out, "live 0 entries 0 size 0", 23) == 0,
                  "mid-stream (a 3-entry store file streamed as the first value, not committed), "
                  "srd_refresh took in part of the value as entries of the outer store: \"%s\", "
                  "expected live 0 entries 0 size 0",
                  out);
    CHECK_EQ(ask_status(&w2, "scommit"), SRD_OK);
    CHECK_EQ(ask_status(&r4, "refresh"), SRD_OK);
    if (ask(&r4, out, sizeof out, "nested 0") == 0)
        CHECK_MSG(strcmp(out, "status 0 inner 3") == 0,
                  "after the commit, the streamed store value: \"%s\", expected \"status 0 inner 3\"",
                  out);
    CHECK_EQ(ask_status(&w2, "put 5 77"), SRD_OK);
    CHECK_EQ(ask_status(&r4, "refresh"), SRD_OK);
    if (ask(&r4, out, sizeof out, "get 5") == 0)
        CHECK_MSG(strcmp(out, "status 0 gen 77") == 0,
                  "a value appended after the commit: \"%s\", expected \"status 0 gen 77\" "
                  "(the read-only handle no longer follows the writer)",
                  out);
    if (ask(&r4, out, sizeof out, "count") == 0)
        CHECK_MSG(strncmp(out, "live 2 entries 2 ", 17) == 0, "final view: \"%s\", expected live 2 entries 2", out);
    finish(&w2);
    finish(&r4);
    printf("  nested store streamed as the first value: checked (see failures above, if any)\n");
}

static void parent(void) {
    init_keys();
    const char *path = tst_path("mp.srd");
    struct child w, r1, r2, r3;
    REQUIRE(spawn(&w, "writer process", "writer", path) == 0);
    REQUIRE(ask_status(&w, "open") == SRD_OK);

    /* --- locking --------------------------------------------------------- */
    REQUIRE(spawn(&r1, "reader process 1", "reader", path) == 0);
    REQUIRE(spawn(&r2, "reader process 2", "reader", path) == 0);
    expect_locked_elsewhere(&r1, "while the writer holds the lock");
    CHECK_EQ(opened_status(&r1, "ro", NULL), SRD_OK);
    CHECK_EQ(opened_status(&r2, "ro", NULL), SRD_OK);
    printf("  lock: read-write opens from two other processes refused at once with SRD_LOCKED; "
           "read-only opens work\n");

    /* --- incremental refresh ---------------------------------------------- */
    expect_view(&r1, "empty store", 1);
    uint64_t gen = 1;
    for (int round = 0; round < 5; round++) {
        for (int k = round * 6; k < round * 6 + 6; k++) w_put(&w, k, gen++);
        if (round >= 1) w_put(&w, round - 1, gen++);  /* an overwrite */
        if (round >= 2) w_del(&w, (round - 2) * 6 + 1); /* a delete */
        CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
        char when[64];
        snprintf(when, sizeof when, "after refresh round %d", round);
        expect_view(&r1, when, 1);
        if (round == 1) {
            /* r2 has not refreshed: it still sees the empty store */
            char out[256];
            if (ask(&r2, out, sizeof out, "count") == 0)
                CHECK_MSG(strncmp(out, "live 0 entries 0 size 0", 23) == 0,
                          "a reader that did not refresh sees \"%s\"", out);
        }
    }
    CHECK_EQ(ask_status(&r2, "refresh"), SRD_OK);
    expect_view(&r2, "one refresh after five rounds", 1);
    printf("  refresh: 5 rounds of writes, overwrites and deletes followed incrementally "
           "(%llu entries, %llu live keys); a reader that did not refresh kept its snapshot, "
           "one refresh caught up\n",
           (unsigned long long)entries_total, (unsigned long long)live_count());

    /* --- a stream is invisible until committed ------------------------------ */
    w_put(&w, BIG, 1);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "big value gen 1", 1);
    char out[512];
    CHECK_EQ(ask_status(&w, "sbegin %d 2", BIG), SRD_OK);
    if (ask(&w, out, sizeof out, "swrite 0.5") == 0) CHECK(strncmp(out, "status 0", 8) == 0);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "refresh with half of a stream written", 1);
    REQUIRE(spawn(&r3, "reader process 3", "reader", path) == 0);
    CHECK_EQ(opened_status(&r3, "ro", NULL), SRD_OK); /* a fresh read-only open mid-stream */
    expect_view(&r3, "fresh read-only open mid-stream", 1);
    if (ask(&w, out, sizeof out, "swrite 1.0") == 0) CHECK(strncmp(out, "status 0", 8) == 0);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    CHECK_EQ(ask_status(&r3, "refresh"), SRD_OK);
    expect_view(&r1, "refresh with the whole stream written, not committed", 1);
    expect_view(&r3, "refresh with the whole stream written, not committed", 1);
    CHECK_EQ(ask_status(&w, "scommit"), SRD_OK);
    gen_of[BIG] = 2;
    entries_total++;
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    CHECK_EQ(ask_status(&r3, "refresh"), SRD_OK);
    expect_view(&r1, "after the commit", 1);
    expect_view(&r3, "after the commit", 1);
    /* an aborted stream never appears; the next value does */
    CHECK_EQ(ask_status(&w, "sbegin %d 3", BIG), SRD_OK);
    if (ask(&w, out, sizeof out, "swrite 0.7") == 0) CHECK(strncmp(out, "status 0", 8) == 0);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "mid-stream, before the abort", 1);
    CHECK_EQ(ask_status(&w, "sabort"), SRD_OK);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "after the abort", 1);
    w_put(&w, 3, gen++);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "the value written after the abort", 1);
    printf("  stream: an 8 MiB value was invisible to refresh and to a fresh read-only open while "
           "half and fully written, visible after the commit; an aborted stream never appeared\n");

    /* --- compaction underneath ------------------------------------------- */
    int pinned[] = {0, 2, 3, 7, 13, 20, BIG};
    uint64_t pinned_gen[7];
    int npinned = 0;
    for (int i = 0; i < 7; i++) {
        npinned += gen_of[pinned[i]] != 0;
        char o2[128];
        pinned_gen[i] = gen_of[pinned[i]];
        if (ask(&r1, o2, sizeof o2, "pin %d", pinned[i]) == 0) {
            int st = -1;
            unsigned long long g = 0;
            sscanf(o2, "status %d gen %llu", &st, &g);
            CHECK_MSG((gen_of[pinned[i]] ? st == SRD_OK : st == SRD_NOT_FOUND) && g == pinned_gen[i],
                      "pin %s: \"%s\"", key_name[pinned[i]], o2);
        }
    }
    w_put(&w, 0, gen++); /* overwrite and delete pinned keys, then compact */
    w_del(&w, 2);
    w_put(&w, 7, gen++); /* 7 had been deleted: re-created */
    w_del(&w, 20);
    CHECK_EQ(ask_status(&w, "compact"), SRD_OK);
    entries_total = live_count();
    expect_locked_elsewhere(&r2, "after the writer's compaction (the lock must follow the new file)");
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "refresh after the compaction", 1);
    char want_pins[64];
    snprintf(want_pins, sizeof want_pins, "pins %d bad 0", npinned);
    if (ask(&r1, out, sizeof out, "checkpins") == 0)
        CHECK_MSG(strcmp(out, want_pins) == 0, "pinned entries: \"%s\", expected \"%s\"", out,
                  want_pins);
    for (int k = 24; k < 30; k++) w_put(&w, k, gen++); /* appends to the new file */
    w_del(&w, 24);
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "appends after the compaction", 1);
    CHECK_EQ(ask_status(&r2, "refresh"), SRD_OK); /* r2 last refreshed before the compaction */
    expect_view(&r2, "one refresh across the compaction and later appends", 1);
    if (ask(&r1, out, sizeof out, "checkpins") == 0)
        CHECK_MSG(strcmp(out, want_pins) == 0, "pinned entries: \"%s\", expected \"%s\"", out,
                  want_pins);
    printf("  compaction: the lock followed the new file; refresh reopened it, values right, %d "
           "entries pinned before it kept their bytes; later appends followed incrementally\n",
           npinned);

    /* --- free-running race -------------------------------------------------- */
    double secs = 2.0 * tst_scale();
    if (secs < 1.0) secs = 1.0;
    if (secs > 10.0) secs = 10.0;
    CHECK(tst_chan_send(&w.ch, "free %.2f %llu", secs, (unsigned long long)gen) == 0);
    CHECK(tst_chan_send(&r1.ch, "race %.2f", secs + 0.5) == 0);
    char wout[900] = "", rout[256] = "";
    CHECK(tst_chan_recv(&w.ch, wout, sizeof wout, reply_timeout) == 0);
    CHECK(tst_chan_recv(&r1.ch, rout, sizeof rout, reply_timeout) == 0);
    int wst = -1;
    long writes = 0, compactions = 0;
    char *gp = strstr(wout, " gens");
    if (CHECK_MSG(sscanf(wout, "status %d writes %ld compactions %ld", &wst, &writes, &compactions) == 3 && gp,
                  "writer: \"%s\"", wout)) {
        CHECK_EQ(wst, SRD_OK);
        gp += 5;
        for (int i = 0; i < RACE_KEYS; i++) {
            unsigned long long g = 0;
            int used = 0;
            if (sscanf(gp, " %llu%n", &g, &used) != 1) break;
            gp += used;
            if (g) gen_of[RACE_BASE + i] = g;
        }
    }
    long refreshes = 0, reads = 0, bad = -1, back = -1, errors = -1;
    if (CHECK_MSG(sscanf(rout, "refreshes %ld reads %ld bad %ld back %ld errors %ld", &refreshes,
                         &reads, &bad, &back, &errors) == 5, "reader: \"%s\"", rout)) {
        CHECK_EQ(bad, 0);
        CHECK_EQ(back, 0);
        CHECK_EQ(errors, 0);
    }
    CHECK_EQ(ask_status(&r1, "refresh"), SRD_OK);
    expect_view(&r1, "after the race", 0);
    printf("  race: writer %ld values (up to 512 KiB) and %ld compactions in %.1f s; reader %ld "
           "refreshes and %ld reads: %ld incomplete or wrong values, %ld went back, %ld errors; "
           "final state seen exactly\n",
           writes, compactions, secs, refreshes, reads, bad, back, errors);

    /* --- a store file streamed as the first value of an empty store ------------ */
    nested_first_value();

    /* --- the lock is released when the writer closes ------------------------ */
    finish(&w);
    CHECK_EQ(opened_status(&r2, "rw", NULL), SRD_OK);
    printf("  after the writer closed, a read-write open from another process succeeded\n");
    finish(&r1);
    finish(&r2);
    finish(&r3);
}

int main(int argc, char **argv) {
    if (argc >= 6 && strcmp(argv[1], "--child") == 0) {
        init_keys();
        struct tst_chan ch;
        memset(&ch, 0, sizeof ch);
        ch.rfd = atoi(argv[4]);
        ch.wfd = atoi(argv[5]);
        signal(SIGPIPE, SIG_IGN);
        if (strcmp(argv[2], "writer") == 0) return writer_main(argv[3], &ch);
        return reader_main(argv[3], &ch);
    }
    tst_test_init(argc, argv, "test_multiprocess");
    signal(SIGPIPE, SIG_IGN);
    REQUIRE(tst_self_exe() != NULL);
    if (tst_scale() < 1.0) reply_timeout = 600.0;
    parent();
    return tst_test_finish();
}

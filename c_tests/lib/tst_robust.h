/*
 * tst_robust.h - helpers shared by the robustness tests (damage sweep, hostile input,
 * non-stores, salvage, stress, multi-process). Header-only, on top of tst_test.h.
 *
 * - file snapshots (bytes, size, mtime) to prove that a call left a file untouched;
 * - one-byte pokes into a file;
 * - status names that include SRD_BUSY;
 * - running a function in a forked child with a deadline (for calls that could hang);
 * - bounded, poll()-based line I/O on pipes for coordinating processes.
 */
#ifndef SRD_ROBUST_H
#define SRD_ROBUST_H

#include "tst_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ */
/* Status names                                                        */
/* ------------------------------------------------------------------ */

static inline const char *tst_rb_status(int32_t s) {
    switch (s) {
    case SRD_OK: return "SRD_OK";
    case SRD_NOT_FOUND: return "SRD_NOT_FOUND";
    case SRD_INVALID_ARGUMENT: return "SRD_INVALID_ARGUMENT";
    case SRD_IO: return "SRD_IO";
    case SRD_CORRUPT: return "SRD_CORRUPT";
    case SRD_LOCKED: return "SRD_LOCKED";
    case SRD_READ_ONLY: return "SRD_READ_ONLY";
    case SRD_PANIC: return "SRD_PANIC";
    case SRD_BUSY: return "SRD_BUSY";
    case SRD_BROKEN: return "SRD_BROKEN";
    default: return "(unknown status)";
    }
}

/* ------------------------------------------------------------------ */
/* File snapshots                                                      */
/* ------------------------------------------------------------------ */

struct tst_snap {
    int exists;
    uint8_t *bytes;
    size_t len;
    struct timespec mtime;
    struct timespec ctime_;
    ino_t ino;
    mode_t mode;
};

static inline void tst_snap_take(struct tst_snap *s, const char *path) {
    memset(s, 0, sizeof *s);
    struct stat st;
    if (lstat(path, &st) != 0) return;
    s->exists = 1;
    s->mtime = st.st_mtim;
    s->ctime_ = st.st_ctim;
    s->ino = st.st_ino;
    s->mode = st.st_mode;
    if (S_ISREG(st.st_mode)) s->bytes = tst_slurp(path, &s->len);
}

static inline void tst_snap_free(struct tst_snap *s) {
    free(s->bytes);
    s->bytes = NULL;
}

/* 1 if the path is exactly as in the snapshot (existence, type, inode, size, bytes, and
 * mtime if check_mtime). On a difference, writes a description into why. */
static inline int tst_snap_same_ex(const struct tst_snap *s, const char *path, char *why,
                                   size_t whylen, int check_mtime) {
    struct tst_snap now;
    tst_snap_take(&now, path);
    int same = 1;
    why[0] = '\0';
    if (now.exists != s->exists) {
        snprintf(why, whylen, "existence changed (%d -> %d)", s->exists, now.exists);
        same = 0;
    } else if (now.exists) {
        if (now.ino != s->ino || (now.mode & S_IFMT) != (s->mode & S_IFMT)) {
            snprintf(why, whylen, "replaced (inode %lu -> %lu)", (unsigned long)s->ino,
                     (unsigned long)now.ino);
            same = 0;
        } else if (now.len != s->len) {
            snprintf(why, whylen, "size %zu -> %zu", s->len, now.len);
            same = 0;
        } else if (s->len && (now.bytes == NULL || s->bytes == NULL ||
                              memcmp(now.bytes, s->bytes, s->len) != 0)) {
            size_t i = 0;
            while (now.bytes && s->bytes && i < s->len && now.bytes[i] == s->bytes[i]) i++;
            snprintf(why, whylen, "bytes differ (first at offset %zu)", i);
            same = 0;
        } else if (check_mtime && (now.mtime.tv_sec != s->mtime.tv_sec ||
                                   now.mtime.tv_nsec != s->mtime.tv_nsec)) {
            snprintf(why, whylen, "mtime changed");
            same = 0;
        }
    }
    tst_snap_free(&now);
    return same;
}

static inline int tst_snap_same(const struct tst_snap *s, const char *path, char *why,
                                size_t whylen) {
    return tst_snap_same_ex(s, path, why, whylen, 1);
}

/* The path is untouched: same inode, size, bytes and mtime. */
#define CHECK_UNCHANGED(snap, path)                                                              \
    do {                                                                                         \
        char why_[256];                                                                          \
        int same_ = tst_snap_same_ex((snap), (path), why_, sizeof why_, 1);                      \
        CHECK_MSG(same_, "%s was modified: %s", (path), why_);                                   \
    } while (0)

/* The path has the same inode, size and bytes (its mtime may differ). */
#define CHECK_SAME_BYTES(snap, path)                                                             \
    do {                                                                                         \
        char why_[256];                                                                          \
        int same_ = tst_snap_same_ex((snap), (path), why_, sizeof why_, 0);                      \
        CHECK_MSG(same_, "%s differs: %s", (path), why_);                                        \
    } while (0)

/* ------------------------------------------------------------------ */
/* Pokes                                                               */
/* ------------------------------------------------------------------ */

static inline int tst_poke(const char *path, uint64_t off, uint8_t byte) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = pwrite(fd, &byte, 1, (off_t)off);
    close(fd);
    return w == 1 ? 0 : -1;
}

static inline int tst_truncate_to(const char *path, uint64_t len) {
    return truncate(path, (off_t)len);
}

/* ------------------------------------------------------------------ */
/* Running something that could hang, in a child, with a deadline      */
/* ------------------------------------------------------------------ */

/* Runs fn(arg) in a forked child; the child's return value (0..255) is the exit code.
 * Returns the exit code, -1 if the child did not finish within `seconds` (it is killed),
 * or -2 if it died from a signal (*sig set). */
static inline int tst_run_child(int (*fn)(void *), void *arg, double seconds, int *sig) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -3;
    if (pid == 0) {
        int rc = fn(arg);
        _exit(rc & 0xff);
    }
    double deadline = tst_now() + seconds;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (sig) *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            return -2;
        }
        if (r < 0 && errno != EINTR) return -3;
        if (tst_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling the child's exit, not synchronization */
    }
}

/* ------------------------------------------------------------------ */
/* Line I/O on pipes, with deadlines                                   */
/* ------------------------------------------------------------------ */

struct tst_chan {
    int rfd, wfd;
    char buf[8192];
    size_t have;
};

static inline int tst_chan_send(struct tst_chan *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int tst_chan_send(struct tst_chan *c, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1) return -1;
    line[n++] = '\n';
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = write(c->wfd, line + off, (size_t)n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return 0;
}

/* Reads one line (without the newline) into out; waits at most `seconds`.
 * Returns 0, -1 on timeout, -2 on EOF or error. */
static inline int tst_chan_recv(struct tst_chan *c, char *out, size_t outlen, double seconds) {
    double deadline = tst_now() + seconds;
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->have);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            size_t k = n < outlen - 1 ? n : outlen - 1;
            memcpy(out, c->buf, k);
            out[k] = '\0';
            memmove(c->buf, nl + 1, c->have - n - 1);
            c->have -= n + 1;
            return 0;
        }
        if (c->have == sizeof c->buf) return -2;
        double left = deadline - tst_now();
        if (left <= 0) return -1;
        struct pollfd p = {c->rfd, POLLIN, 0};
        int pr = poll(&p, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) return -2;
        if (pr == 0) continue;
        ssize_t r = read(c->rfd, c->buf + c->have, sizeof c->buf - c->have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -2;
        c->have += (size_t)r;
    }
}

#endif /* SRD_ROBUST_H */

/* tst_proc.c - child processes and pipes (see tst_proc.h). */
#include "tst_proc.h"

#include <stdarg.h>

/* Writes the whole buffer to a pipe or file descriptor; 0 on success. */
int tst_write_full(int fd, const void *buf, size_t len) {
    const uint8_t *p = (const uint8_t *)buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads exactly len bytes; returns len, 0 at EOF before any byte, -1 on error/short. */
ssize_t tst_read_full(int fd, void *buf, size_t len) {
    uint8_t *p = (uint8_t *)buf;
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* In a child: sends its check counters to the parent. */
void tst_child_counts_send(int fd) {
    unsigned long c[2] = {atomic_load(&tst_test_g.passed), atomic_load(&tst_test_g.failed)};
    (void)tst_write_full(fd, c, sizeof c);
}

/* In the parent: adds a child's counters; returns 0 if none arrived (child died early). */
int tst_child_counts_take(int fd) {
    unsigned long c[2];
    if (tst_read_full(fd, c, sizeof c) != (ssize_t)sizeof c) return 0;
    atomic_fetch_add(&tst_test_g.passed, c[0]);
    atomic_fetch_add(&tst_test_g.failed, c[1]);
    return 1;
}

void tst_describe_wait(int status, char *out, size_t n) {
    if (WIFEXITED(status))
        snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, n, "was killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 WTERMSIG(status) == SIGALRM ? ": its deadline passed, a call did not return" : "");
    else
        snprintf(out, n, "ended with wait status 0x%x", status);
}

int tst_wait(pid_t pid, double secs, int *status) {
    double deadline = tst_now() + secs;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return -1;
        if (tst_now() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
            }
            return -1;
        }
        tst_sleep_us(2000); /* polling for the child's exit, not synchronization */
    }
}

int tst_run_in_child(const char *what, unsigned deadline_secs, enum tst_child_exit how,
                     void (*fn)(void *), void *arg) {
    int p[2];
    if (!CHECK(pipe2(p, O_CLOEXEC) == 0)) return 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (!CHECK(pid >= 0)) {
        close(p[0]);
        close(p[1]);
        return 0;
    }
    if (pid == 0) {
        close(p[0]);
        if (deadline_secs > 0) alarm(deadline_secs);
        atomic_store(&tst_test_g.passed, 0);
        atomic_store(&tst_test_g.failed, 0);
        fn(arg);
        tst_child_counts_send(p[1]);
        close(p[1]);
        fflush(stdout);
        fflush(stderr);
        if (how == TST_CHILD_QUICK_EXIT) _exit(0);
        exit(0);
    }
    close(p[1]);
    int got = tst_child_counts_take(p[0]);
    close(p[0]);
    int status = 0;
    if (deadline_secs > 0) {
        tst_wait(pid, deadline_secs + 30.0, &status);
    } else {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    char how_ended[160];
    tst_describe_wait(status, how_ended, sizeof how_ended);
    int ok = CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the child process %s",
                       what, how_ended);
    ok &= CHECK_MSG(got, "%s: the child process sent no results", what);
    return ok;
}

/* Runs fn(arg) in a forked child; the child's return value (0..255) is the exit code.
 * Returns the exit code, -1 if the child did not finish within `seconds` (it is killed),
 * or -2 if it died from a signal (*sig set). */
int tst_run_child(int (*fn)(void *), void *arg, double seconds, int *sig) {
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

int tst_chan_send(struct tst_chan *c, const char *fmt, ...) {
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

int tst_chan_recv(struct tst_chan *c, char *out, size_t outlen, double seconds) {
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

pid_t tst_spawn_self(const char *arg1, ...) {
    const char *args[17];
    int n = 0;
    args[n++] = tst_self_exe();
    va_list ap;
    va_start(ap, arg1);
    for (const char *a = arg1; a != NULL && n < 16; a = va_arg(ap, const char *)) args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    if (args[0] == NULL) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    return pid;
}

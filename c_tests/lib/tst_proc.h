/*
 * tst_proc.h - child processes and pipes for the tests that need more than one process;
 * on top of tst_test.h, compiled once in tst_proc.c.
 *
 * - tst_run_in_child(): runs a function in a forked child whose checks count towards this
 *   process's "N passed, N failed" (the child's counters are sent back through a pipe);
 * - tst_run_child(): runs a function that could hang in a forked child with a deadline and
 *   returns its exit code (no checks in the child);
 * - tst_wait(), tst_describe_wait(): waitpid with a deadline, and a wait status in words;
 * - tst_chan: bounded, poll()-based line I/O on pipes for coordinating processes;
 * - tst_write_full(), tst_read_full(): whole buffers over pipes.
 */
#ifndef SRD_PROC_H
#define SRD_PROC_H

#include "tst_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

/* How tst_run_in_child ends the child once fn returned and its counters are sent. */
enum tst_child_exit {
    /* exit(0): atexit handlers (and LeakSanitizer's leak check) run in the child. */
    TST_CHILD_EXIT = 0,
    /* _exit(0): nothing else runs; handles the child left open stay as a crashed process
     * would leave them (no atexit handlers, no leak check). */
    TST_CHILD_QUICK_EXIT = 1
};

/*
 * Runs fn(arg) in a forked child whose checks count towards this process's totals; the
 * child must exit with status 0 and send its counters. With deadline_secs > 0 the child
 * gets alarm(deadline_secs) and is killed if it has not ended 30 s after that; with 0 it
 * is waited for without a deadline. Two checks (exit status, counters received). Returns
 * 1 if the child ran to completion.
 */
int tst_run_in_child(const char *what, unsigned deadline_secs, enum tst_child_exit how,
                     void (*fn)(void *), void *arg);

/* Runs fn(arg) in a forked child; the child's return value (0..255) is the exit code.
 * Returns the exit code, -1 if the child did not finish within `seconds` (it is killed),
 * or -2 if it died from a signal (*sig set). */
int tst_run_child(int (*fn)(void *), void *arg, double seconds, int *sig);

/* waitpid with a deadline: SIGKILLs the child when it passes. Returns 0 (status set) or
 * -1 if the child had to be killed. */
int tst_wait(pid_t pid, double secs, int *status);
/* "exited with status N", "was killed by signal N (...)", ... */
void tst_describe_wait(int status, char *out, size_t n);

/* Forks and execs this program (tst_self_exe()) with the given arguments (argv[1].., up to a
 * NULL; at most 15); the child's stdin, stdout and stderr are this process's. Returns the
 * child's pid, or -1 if fork failed (a failed exec makes the child _exit(127)). */
pid_t tst_spawn_self(const char *arg1, ...);

/* In a child: sends its check counters to the parent. */
void tst_child_counts_send(int fd);
/* In the parent: adds a child's counters; returns 0 if none arrived (child died early). */
int tst_child_counts_take(int fd);

/* Writes the whole buffer to a pipe or file descriptor; 0 on success. */
int tst_write_full(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; returns len, 0 at EOF before any byte, -1 on error/short. */
ssize_t tst_read_full(int fd, void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Line I/O on pipes, with deadlines                                   */
/* ------------------------------------------------------------------ */

struct tst_chan {
    int rfd, wfd;
    char buf[8192];
    size_t have;
};

/* Sends one line (a newline is appended). 0 on success. */
int tst_chan_send(struct tst_chan *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads one line (without the newline) into out; waits at most `seconds`.
 * Returns 0, -1 on timeout, -2 on EOF or error. */
int tst_chan_recv(struct tst_chan *c, char *out, size_t outlen, double seconds);

#endif /* SRD_PROC_H */

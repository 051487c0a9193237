/*
 * test_os_errno.c - srd_last_error_os_errno() (header doc, conventions E2 and E5).
 *
 * Each test_* function states the behaviour it proves: 0 before any failure on a thread;
 * ENOENT for SRD_NOT_FOUND from opening a path; the OS call's errno for SRD_IO (EFBIG from a
 * write past RLIMIT_FSIZE, in a forked child); 0 after every other failure (a missing key,
 * an invalid argument, a corrupt file, a lock held by another handle, a conflict, a
 * read-only store); successful calls leave it alone; each OS thread has its own value; a
 * failure made while a thread or the process exits (a pthread key destructor, an atexit
 * handler: after the thread's Rust thread-locals are gone) keeps its status and errno and
 * never aborts the process.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_proc.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#define K(s) SRD_U8(s), strlen(s)

/* Fails an open of a path in a missing directory (SRD_NOT_FOUND, ENOENT). */
static void fail_with_enoent(void) {
    srd_store *s = SENTINEL_STORE;
    CHECK_STATUS(srd_open(tst_path("no-such-dir/store.srd"), SRD_OPEN_NO_CREATE, &s), SRD_NOT_FOUND);
    CHECK(s == SENTINEL_STORE);
    CHECK_EQ(srd_last_error_os_errno(), ENOENT);
}

static void test_errno_is_zero_before_any_failure_and_enoent_for_missing_paths(void) {
    CHECK_EQ(srd_last_error_os_errno(), 0); /* nothing failed yet on this thread */
    const char *p = tst_path("ok.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    CHECK_EQ(srd_last_error_os_errno(), 0); /* successes do not set it */
    fail_with_enoent();
    /* a missing file (existing directory) with SRD_OPEN_NO_CREATE, read-write and read-only */
    srd_store *t = SENTINEL_STORE;
    CHECK_STATUS(srd_open(tst_path("missing.srd"), SRD_OPEN_NO_CREATE, &t), SRD_NOT_FOUND);
    CHECK_EQ(srd_last_error_os_errno(), ENOENT);
    CHECK_STATUS(srd_open(tst_path("missing.srd"), SRD_OPEN_READ_ONLY, &t), SRD_NOT_FOUND);
    CHECK_EQ(srd_last_error_os_errno(), ENOENT);
    CHECK(t == SENTINEL_STORE);
    /* successful calls after the failure leave it as it was */
    tst_put_str(s, "k2", "v2");
    tst_expect_str(s, "k", "v");
    uint64_t n = 0;
    CHECK_OK(srd_count(s, &n));
    CHECK_EQ(srd_last_error_os_errno(), ENOENT);
    /* a path under a regular file: whatever the status, the errno agrees with it */
    char under[PATH_MAX + 16];
    snprintf(under, sizeof under, "%s/x.srd", p);
    srd_status st = srd_open(under, SRD_OPEN_NO_CREATE, &t);
    int e = srd_last_error_os_errno();
    if (st == SRD_IO)
        CHECK_EQ(e, ENOTDIR);
    else if (st == SRD_NOT_FOUND)
        CHECK_EQ(e, ENOENT);
    else
        CHECK_MSG(st != SRD_OK && e == 0, "status %s with errno %d", tst_status_name(st), e);
    srd_close(s);
}

static void test_errno_is_zero_after_failures_that_are_not_the_os(void) {
    const char *p = tst_path("non-os.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    const uint8_t *v = SENTINEL_PTR;
    size_t n = SENTINEL_LEN;

    fail_with_enoent();
    CHECK_STATUS(srd_read(s, K("absent"), &v, &n), SRD_NOT_FOUND); /* a missing key */
    CHECK_EQ(srd_last_error_os_errno(), 0);

    fail_with_enoent();
    CHECK_STATUS(srd_read(s, NULL, 3, &v, &n), SRD_INVALID_ARGUMENT);
    CHECK_EQ(srd_last_error_os_errno(), 0);

    fail_with_enoent();
    CHECK_STATUS(srd_write(NULL, K("k"), SRD_U8("v"), 1), SRD_INVALID_ARGUMENT);
    CHECK_EQ(srd_last_error_os_errno(), 0);

    fail_with_enoent();
    srd_store *t = SENTINEL_STORE;
    CHECK_STATUS(srd_open(p, 0, &t), SRD_LOCKED); /* the writer lock is held by s */
    CHECK_EQ(srd_last_error_os_errno(), 0);

    fail_with_enoent();
    CHECK_STATUS(srd_write_if_absent(s, K("k"), SRD_U8("x"), 1), SRD_CONFLICT);
    CHECK_EQ(srd_last_error_os_errno(), 0);

    const char *junk = tst_path("junk.bin");
    uint8_t bytes[300];
    tst_fill_pattern(bytes, sizeof bytes, 5);
    REQUIRE(tst_spit(junk, bytes, sizeof bytes) == 0);
    fail_with_enoent();
    CHECK_STATUS(srd_open(junk, SRD_OPEN_READ_ONLY, &t), SRD_CORRUPT);
    CHECK_EQ(srd_last_error_os_errno(), 0);

    srd_store *ro = tst_open_ro(p);
    if (ro) {
        fail_with_enoent();
        CHECK_STATUS(srd_write(ro, K("k"), SRD_U8("x"), 1), SRD_READ_ONLY);
        CHECK_EQ(srd_last_error_os_errno(), 0);
        srd_close(ro);
    }
    CHECK(t == SENTINEL_STORE);
    srd_close(s);
}

/* In a child with RLIMIT_FSIZE just above the store: a write past it is SRD_IO, EFBIG. */
static void efbig_child(void *arg) {
    const char *p = (const char *)arg;
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {(rlim_t)tst_size_of(s) + 4096, (rlim_t)tst_size_of(s) + 4096};
    if (!CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0)) return;
    uint8_t big[65536];
    tst_fill_pattern(big, sizeof big, 9);
    CHECK_STATUS(srd_write(s, K("big"), big, sizeof big), SRD_IO);
    CHECK_EQ(srd_last_error_os_errno(), EFBIG);
    /* a later success leaves it; a later non-OS failure resets it */
    CHECK_OK(srd_write(s, K("small"), SRD_U8("fits"), 4));
    CHECK_EQ(srd_last_error_os_errno(), EFBIG);
    const uint8_t *v;
    size_t n;
    CHECK_STATUS(srd_read(s, K("big"), &v, &n), SRD_NOT_FOUND);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    srd_close(s);
}

static void test_errno_of_an_io_failure_is_the_os_calls(void) {
    const char *p = tst_path("efbig.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    srd_close(s);
    tst_run_in_child("EFBIG", 60, TST_CHILD_EXIT, efbig_child, (void *)p);
}

/* ------------------------------------------------------------------ */
/* Per thread                                                          */
/* ------------------------------------------------------------------ */

static atomic_int phase;

static void *thread_a(void *arg) {
    (void)arg;
    CHECK_EQ(srd_last_error_os_errno(), 0);
    fail_with_enoent();
    atomic_store(&phase, 1);
    while (atomic_load(&phase) != 2) tst_sleep_us(1000);
    /* thread B's failures in between did not touch this thread's value */
    CHECK_EQ(srd_last_error_os_errno(), ENOENT);
    return NULL;
}

static void *thread_b(void *arg) {
    (void)arg;
    CHECK_EQ(srd_last_error_os_errno(), 0); /* thread A's failure is not this thread's */
    CHECK_STATUS(srd_count(NULL, NULL), SRD_INVALID_ARGUMENT);
    CHECK_EQ(srd_last_error_os_errno(), 0);
    return NULL;
}

static void *thread_c(void *arg) {
    (void)arg;
    CHECK_EQ(srd_last_error_os_errno(), 0);
    return NULL;
}

static void test_errno_is_kept_per_thread(void) {
    fail_with_enoent(); /* the main thread's own value */
    pthread_t a, b, c;
    atomic_store(&phase, 0);
    REQUIRE(pthread_create(&a, NULL, thread_a, NULL) == 0);
    while (atomic_load(&phase) != 1) tst_sleep_us(1000);
    REQUIRE(pthread_create(&b, NULL, thread_b, NULL) == 0);
    CHECK(tst_join_within(b, 30));
    CHECK_STATUS(srd_read(NULL, NULL, 0, NULL, NULL), SRD_INVALID_ARGUMENT); /* main: 0 now */
    atomic_store(&phase, 2);
    CHECK(tst_join_within(a, 30));
    REQUIRE(pthread_create(&c, NULL, thread_c, NULL) == 0);
    CHECK(tst_join_within(c, 30));
    CHECK_EQ(srd_last_error_os_errno(), 0);
}

/* ---- failures while a thread or the process exits ----
 * glibc runs a thread's Rust thread-local destructors before its pthread key destructors,
 * and exit() runs the main thread's before the atexit handlers (C++ static destructors run
 * there too). A failure with a formatted message made there used to abort the process (a
 * panic outside the C boundary's guard). Each case runs in a child; 0 is success. */
static const char *exit_path;
static int exit_result = 99;

/* A formatted failure (SRD_NOT_FOUND, ENOENT) whose detail reads back whole. */
static int formatted_failure_ok(void) {
    srd_store *s = SENTINEL_STORE;
    srd_status st = srd_open(exit_path, SRD_OPEN_NO_CREATE, &s);
    const char *m = srd_last_error_message();
    return st == SRD_NOT_FOUND && s == SENTINEL_STORE && srd_last_error_os_errno() == ENOENT && m != NULL &&
           m[0] != '\0';
}

static pthread_key_t exit_key;
static void exit_key_destructor(void *p) {
    (void)p;
    exit_result = formatted_failure_ok() ? 0 : 11;
}
static void *exiting_thread(void *a) {
    (void)a;
    pthread_setspecific(exit_key, (void *)1);
    (void)formatted_failure_ok(); /* this thread now holds a formatted message */
    return NULL;
}
static int fail_in_key_destructor(void *a) {
    (void)a;
    pthread_t t;
    if (pthread_key_create(&exit_key, exit_key_destructor) != 0) return 2;
    if (pthread_create(&t, NULL, exiting_thread, NULL) != 0) return 3;
    if (pthread_join(t, NULL) != 0) return 4;
    return exit_result;
}
static void fail_at_exit(void) { _exit(formatted_failure_ok() ? 0 : 12); }
static int fail_in_atexit_handler(void *a) {
    (void)a;
    if (!formatted_failure_ok()) return 5; /* the main thread holds a formatted message */
    if (atexit(fail_at_exit) != 0) return 6;
    exit(13); /* runs fail_at_exit, which ends the process with its result */
}

static void test_a_failure_while_a_thread_or_the_process_exits_keeps_its_detail(void) {
    exit_path = tst_path("no-such-dir/at-exit.srd");
    int sig = 0;
    int rc = tst_run_child(fail_in_key_destructor, NULL, 30, &sig);
    if (rc == -2) fprintf(stderr, "  pthread key destructor: the child died from signal %d\n", sig);
    CHECK_EQ(rc, 0);
    sig = 0;
    rc = tst_run_child(fail_in_atexit_handler, NULL, 30, &sig);
    if (rc == -2) fprintf(stderr, "  atexit handler: the child died from signal %d\n", sig);
    CHECK_EQ(rc, 0);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_os_errno");
    test_errno_is_zero_before_any_failure_and_enoent_for_missing_paths();
    test_errno_is_zero_after_failures_that_are_not_the_os();
    test_errno_of_an_io_failure_is_the_os_calls();
    test_errno_is_kept_per_thread();
    test_a_failure_while_a_thread_or_the_process_exits_keeps_its_detail();
    return tst_test_finish();
}

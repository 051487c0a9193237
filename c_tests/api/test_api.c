/*
 * test_api.c - every exported function of simd_r_drive.h, success and error paths.
 *
 * Each test_* function states the behaviour it proves. Outputs must be written
 * only on success (checked with sentinels), invalid arguments must leave the
 * file untouched, and borrowed pointers must stay valid and 64-byte aligned.
 */
#include "tst_test.h"
#include "tst_api.h"
#include "tst_proc.h"

#include <pthread.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>

#ifndef SRD_CARGO_VERSION
#error "SRD_CARGO_VERSION (the version from Cargo.toml) must be defined by the build"
#endif

/* `test_api --lock-probe <path>`: run in a child process by the lock test. */
static int lock_probe(const char *path) {
    srd_store *c = NULL;
    int32_t st = srd_open(path, 0, &c);
    if (st == SRD_OK) srd_close(c);
    srd_store *r = NULL;
    int32_t st_ro = srd_open(path, SRD_OPEN_READ_ONLY, &r);
    if (st_ro == SRD_OK) srd_close(r);
    return (st == SRD_LOCKED ? 0 : 10 + st) + (st_ro == SRD_OK ? 0 : 40);
}

static const int32_t all_status_codes[] = {SRD_OK,      SRD_NOT_FOUND, SRD_INVALID_ARGUMENT,
                                           SRD_IO,      SRD_CORRUPT,   SRD_LOCKED,
                                           SRD_READ_ONLY, SRD_PANIC, SRD_BUSY, SRD_BROKEN,
                                           SRD_CONFLICT};

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static int contains_ci(const char *hay, const char *needle) {
    return hay != NULL && strcasestr(hay, needle) != NULL;
}

/* 1 if p lies inside a mapping of the file `path` according to /proc/self/maps. */
static int pointer_in_file_mapping(const void *p, const char *path) {
    char real[PATH_MAX];
    if (realpath(path, real) == NULL) return 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL) return 0;
    char line[PATH_MAX + 256];
    int found = 0;
    uintptr_t a = (uintptr_t)p;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        unsigned long lo = 0, hi = 0;
        int pos = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &pos) < 2) continue;
        if (a < lo || a >= hi) continue;
        char *name = line + pos;
        name[strcspn(name, "\n")] = '\0';
        found = strcmp(name, real) == 0;
        if (!found) fprintf(stderr, "    pointer %p is in mapping of \"%s\", not \"%s\"\n", p, name, real);
        break;
    }
    fclose(f);
    return found;
}

/* ------------------------------------------------------------------ */
/* errors, versions, strings                                           */
/* ------------------------------------------------------------------ */

static void test_last_error_is_empty_before_any_failure(void) {
    const char *m = srd_last_error_message();
    CHECK(m != NULL);
    CHECK_STR(m, "");
}

static void test_version_macros_match_runtime_and_cargo_toml(void) {
    CHECK_EQ_U(SRD_VERSION_NUMBER, srd_version_number());
    CHECK_EQ_U(SRD_VERSION_NUMBER,
               SRD_VERSION_MAJOR * 1000000u + SRD_VERSION_MINOR * 1000u + SRD_VERSION_PATCH);
    CHECK(srd_version_string() != NULL);
    CHECK_STR(srd_version_string(), SRD_VERSION_STRING);
    CHECK_STR(SRD_VERSION_STRING, SRD_CARGO_VERSION);
    CHECK_STR(srd_version_string(), SRD_CARGO_VERSION);
    unsigned maj = 0, min = 0, pat = 0;
    CHECK_EQ(sscanf(SRD_CARGO_VERSION, "%u.%u.%u", &maj, &min, &pat), 3);
    CHECK_EQ_U(SRD_VERSION_MAJOR, maj);
    CHECK_EQ_U(SRD_VERSION_MINOR, min);
    CHECK_EQ_U(SRD_VERSION_PATCH, pat);
    CHECK_EQ_U(srd_version_number(), maj * 1000000u + min * 1000u + pat);
    /* the same static string every time */
    CHECK(srd_version_string() == srd_version_string());
}

static void test_status_str_gives_static_text_for_every_code(void) {
    const size_t n = sizeof all_status_codes / sizeof all_status_codes[0];
    CHECK_EQ(SRD_OK, 0);
    CHECK_EQ(SRD_NOT_FOUND, 1);
    CHECK_EQ(SRD_INVALID_ARGUMENT, 2);
    CHECK_EQ(SRD_IO, 3);
    CHECK_EQ(SRD_CORRUPT, 4);
    CHECK_EQ(SRD_LOCKED, 5);
    CHECK_EQ(SRD_READ_ONLY, 6);
    CHECK_EQ(SRD_PANIC, 7);
    CHECK_EQ(SRD_BUSY, 8);
    CHECK_EQ(SRD_BROKEN, 9);
    CHECK_EQ(sizeof(srd_status), 4);
    for (size_t i = 0; i < n; i++) {
        const char *s = srd_status_str(all_status_codes[i]);
        tst_ctx("status %d", (int)all_status_codes[i]);
        if (!CHECK(s != NULL)) continue;
        CHECK(s[0] != '\0');
        CHECK(s == srd_status_str(all_status_codes[i]));
        for (size_t j = 0; j < i; j++) {
            const char *t = srd_status_str(all_status_codes[j]);
            CHECK_MSG(t == NULL || strcmp(s, t) != 0, "codes %d and %d share the text \"%s\"",
                      (int)all_status_codes[i], (int)all_status_codes[j], s);
        }
    }
    const int32_t unknown[] = {-1, 11, 12, 100, 1000, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        tst_ctx("unknown status %d", (int)unknown[i]);
        const char *s = srd_status_str(unknown[i]);
        if (!CHECK(s != NULL)) continue;
        CHECK(s[0] != '\0');
        CHECK_MSG(contains_ci(s, "unknown"), "text is \"%s\"", s);
        for (size_t j = 0; j < n; j++) CHECK(strcmp(s, srd_status_str(all_status_codes[j])) != 0);
    }
    tst_ctx_clear();
}

struct thread_err {
    const char *path;
    int initially_empty;
    int after_failure_nonempty;
    int contains_path;
};

static void *thread_error_probe(void *arg) {
    struct thread_err *t = (struct thread_err *)arg;
    const char *m = srd_last_error_message();
    t->initially_empty = m != NULL && m[0] == '\0';
    srd_store *s = NULL;
    int32_t st = srd_open(t->path, SRD_OPEN_NO_CREATE, &s);
    m = srd_last_error_message();
    t->after_failure_nonempty = st == SRD_NOT_FOUND && m != NULL && m[0] != '\0';
    t->contains_path = m != NULL && strstr(m, t->path) != NULL;
    return NULL;
}

static void test_last_error_message_names_the_failure_and_is_thread_local(void) {
    const char *missing = tst_path("no-such-file.srd");
    srd_store *s = SENTINEL_STORE;
    CHECK_STATUS(srd_open(missing, SRD_OPEN_NO_CREATE, &s), SRD_NOT_FOUND);
    const char *m = srd_last_error_message();
    CHECK(m != NULL && m[0] != '\0');
    CHECK_MSG(m != NULL && strstr(m, missing) != NULL, "message \"%s\" lacks the path", m);

    char saved[4096];
    snprintf(saved, sizeof saved, "%s", srd_last_error_message());

    /* another thread starts with "", gets its own message, and leaves ours alone */
    struct thread_err t = {tst_path("other-missing.srd"), 0, 0, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, thread_error_probe, &t) == 0);
    pthread_join(th, NULL);
    CHECK(t.initially_empty);
    CHECK(t.after_failure_nonempty);
    CHECK(t.contains_path);
    CHECK_STR(srd_last_error_message(), saved);

    /* an invalid argument names something */
    CHECK_STATUS(srd_write(NULL, SRD_U8("k"), 1, SRD_U8("v"), 1), SRD_INVALID_ARGUMENT);
    m = srd_last_error_message();
    CHECK(m != NULL && m[0] != '\0');
}

/* ------------------------------------------------------------------ */
/* srd_open                                                            */
/* ------------------------------------------------------------------ */

static void test_open_rejects_invalid_arguments(void) {
    srd_store *s = SENTINEL_STORE;
    CHECK_STATUS(srd_open(NULL, 0, &s), SRD_INVALID_ARGUMENT);
    CHECK(s == SENTINEL_STORE);
    CHECK(srd_last_error_message()[0] != '\0');
    CHECK_STATUS(srd_open("", 0, &s), SRD_INVALID_ARGUMENT);
    CHECK(s == SENTINEL_STORE);
    CHECK_STATUS(srd_open("", SRD_OPEN_READ_ONLY, &s), SRD_INVALID_ARGUMENT);
    CHECK(s == SENTINEL_STORE);

    const char *p = tst_path("open-args.srd");
    CHECK_STATUS(srd_open(p, 0, NULL), SRD_INVALID_ARGUMENT);
    CHECK_MSG(!tst_file_exists(p), "srd_open with NULL out_store created the file");

    /* every bit above the known flags is rejected */
    const uint32_t known = SRD_OPEN_READ_ONLY | SRD_OPEN_NO_CREATE | SRD_OPEN_SYNC | SRD_OPEN_NO_VERIFY |
                           SRD_OPEN_NO_INDEX_FILE | SRD_OPEN_PREALLOCATE | SRD_OPEN_RESERVE;
    const uint32_t bad_flags[] = {128, 0x100, 0x10000, 0x80000000u, 0xFFFFFFFFu, 128 | SRD_OPEN_SYNC,
                                  SRD_OPEN_READ_ONLY | 0x80, known + 1};
    for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++) {
        tst_ctx("flags 0x%x", bad_flags[i]);
        s = SENTINEL_STORE;
        CHECK_STATUS(srd_open(p, bad_flags[i], &s), SRD_INVALID_ARGUMENT);
        CHECK(s == SENTINEL_STORE);
        CHECK_MSG(!tst_file_exists(p), "unknown flags created the file");
    }
    tst_ctx_clear();
}

static void test_open_missing_file_with_no_create_or_read_only_is_not_found(void) {
    const uint32_t flags[] = {SRD_OPEN_NO_CREATE, SRD_OPEN_READ_ONLY,
                              SRD_OPEN_READ_ONLY | SRD_OPEN_NO_CREATE,
                              SRD_OPEN_NO_CREATE | SRD_OPEN_SYNC};
    const char *p = tst_path("missing.srd");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        tst_ctx("flags 0x%x", flags[i]);
        srd_store *s = SENTINEL_STORE;
        CHECK_STATUS(srd_open(p, flags[i], &s), SRD_NOT_FOUND);
        CHECK(s == SENTINEL_STORE);
        CHECK_MSG(!tst_file_exists(p), "the missing file was created");
        CHECK_MSG(strstr(srd_last_error_message(), p) != NULL, "message \"%s\" lacks the path",
                  srd_last_error_message());
    }
    tst_ctx_clear();
}

static void test_open_creates_an_empty_store(void) {
    const char *p = tst_path("create.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    CHECK(tst_file_exists(p));
    CHECK_EQ_U(tst_count_of(s), 0);
    CHECK_EQ_U(tst_size_of(s), 0);
    CHECK_EQ(tst_file_len(p), 0);
    tst_expect_absent(s, "anything");
    srd_close(s);
    CHECK(tst_file_exists(p));

    /* an existing empty file opens read-write with NO_CREATE and read-only */
    s = tst_open_flags(p, SRD_OPEN_NO_CREATE);
    if (s) {
        CHECK_EQ_U(tst_count_of(s), 0);
        srd_close(s);
    }
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        CHECK_EQ_U(tst_count_of(s), 0);
        CHECK_EQ_U(tst_size_of(s), 0);
        srd_close(s);
    }
    CHECK_EQ(tst_file_len(p), 0);
}

static void test_open_directory_is_invalid_argument(void) {
    const char *d = tst_path("a-directory");
    REQUIRE(mkdir(d, 0755) == 0);
    const uint32_t flags[] = {0, SRD_OPEN_NO_CREATE, SRD_OPEN_READ_ONLY};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        tst_ctx("flags 0x%x", flags[i]);
        srd_store *s = SENTINEL_STORE;
        CHECK_STATUS(srd_open(d, flags[i], &s), SRD_INVALID_ARGUMENT);
        CHECK(s == SENTINEL_STORE);
        CHECK(srd_last_error_message()[0] != '\0');
    }
    tst_ctx_clear();
}

static void test_second_writer_gets_locked_and_readers_still_open(void) {
    const char *p = tst_path("lock.srd");
    srd_store *w = tst_open_rw(p);
    if (!w) return;
    tst_put_str(w, "k", "from-writer");

    double t0 = tst_now();
    srd_store *s = SENTINEL_STORE;
    CHECK_STATUS(srd_open(p, 0, &s), SRD_LOCKED);
    CHECK(s == SENTINEL_STORE);
    CHECK_MSG(contains_ci(srd_last_error_message(), "lock"), "message \"%s\"",
              srd_last_error_message());
    CHECK_STATUS(srd_open(p, SRD_OPEN_NO_CREATE, &s), SRD_LOCKED);
    CHECK_STATUS(srd_open(p, SRD_OPEN_SYNC, &s), SRD_LOCKED);
    CHECK(s == SENTINEL_STORE);
    CHECK_MSG(tst_now() - t0 < 1.0, "SRD_LOCKED took %.2f s, expected at once", tst_now() - t0);

    /* another process is refused too (a fresh image: the child must not inherit our handle) */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl(tst_self_exe(), tst_self_exe(), "--lock-probe", p, (char *)NULL);
        _exit(99);
    }
    if (CHECK(pid > 0)) {
        int wst = 0;
        CHECK(waitpid(pid, &wst, 0) == pid);
        CHECK_MSG(WIFEXITED(wst) && WEXITSTATUS(wst) == 0,
                  "child process: exit %d (10+status: writer open not LOCKED; +40: reader failed; 99: exec failed)",
                  WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
    }

    /* read-only opens work while the writer holds the lock */
    srd_store *r1 = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    srd_store *r2 = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (r1) tst_expect_str(r1, "k", "from-writer");
    if (r2) tst_expect_str(r2, "k", "from-writer");
    srd_close(w);
    /* the lock is released on close; readers do not hold it */
    w = tst_open_rw(p);
    if (w) {
        tst_expect_str(w, "k", "from-writer");
        tst_put_str(w, "k2", "second");
        srd_close(w);
    }
    srd_close(r1);
    srd_close(r2);
    w = tst_open_rw(p);
    if (w) {
        tst_expect_str(w, "k2", "second");
        srd_close(w);
    }
}

static void test_read_only_store_rejects_changes_and_never_touches_the_file(void) {
    const char *p = tst_path("ro.srd");
    srd_store *w = tst_open_rw(p);
    if (!w) return;
    tst_put_str(w, "a", "alpha");
    tst_put_str(w, "b", "beta");
    tst_put_str(w, "a", "alpha2");
    srd_close(w);
    size_t before_len = 0;
    uint8_t *before = tst_slurp(p, &before_len);
    REQUIRE(before != NULL);

    srd_store *r = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (r) {
        tst_expect_str(r, "a", "alpha2");
        tst_expect_str(r, "b", "beta");
        CHECK_EQ_U(tst_count_of(r), 2);
        CHECK_EQ_U(tst_size_of(r), before_len);
        CHECK_STATUS(srd_write(r, SRD_U8("c"), 1, SRD_U8("x"), 1), SRD_READ_ONLY);
        CHECK_MSG(contains_ci(srd_last_error_message(), "read"), "message \"%s\"",
                  srd_last_error_message());
        srd_kv kv = {SRD_U8("c"), 1, SRD_U8("x"), 1};
        CHECK_STATUS(srd_write_batch(r, &kv, 1), SRD_READ_ONLY);
        CHECK_STATUS(srd_delete(r, SRD_U8("a"), 1), SRD_READ_ONLY);
        srd_key k = {SRD_U8("a"), 1};
        CHECK_STATUS(srd_delete_batch(r, &k, 1), SRD_READ_ONLY);
        CHECK_STATUS(srd_compact(r), SRD_READ_ONLY);
        CHECK_OK(srd_sync(r)); /* documented: a no-op on a read-only store */
        tst_expect_str(r, "a", "alpha2");
        tst_expect_str(r, "b", "beta");
        tst_expect_absent(r, "c");
        CHECK_EQ_U(tst_count_of(r), 2);
        srd_close(r);
    }
    CHECK_MSG(tst_file_equals(p, before, before_len), "read-only store modified the file");
    free(before);
}

static void test_sync_flag_store_writes_and_reads(void) {
    const char *p = tst_path("sync.srd");
    srd_store *s = tst_open_flags(p, SRD_OPEN_SYNC);
    if (!s) return;
    tst_put_str(s, "k", "synced");
    srd_kv kv[2] = {{SRD_U8("b1"), 2, SRD_U8("one"), 3}, {SRD_U8("b2"), 2, SRD_U8("two"), 3}};
    CHECK_OK(srd_write_batch(s, kv, 2));
    CHECK_OK(srd_delete(s, SRD_U8("b1"), 2));
    tst_expect_str(s, "k", "synced");
    tst_expect_str(s, "b2", "two");
    tst_expect_absent(s, "b1");
    CHECK_OK(srd_sync(s));
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        tst_expect_str(s, "k", "synced");
        tst_expect_str(s, "b2", "two");
        tst_expect_absent(s, "b1");
        srd_close(s);
    }
}

static void test_no_verify_flag_store_works(void) {
    const char *p = tst_path("noverify.srd");
    srd_store *s = tst_open_flags(p, SRD_OPEN_NO_VERIFY);
    if (!s) return;
    tst_put_str(s, "k", "value");
    tst_expect_str(s, "k", "value");
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_NO_VERIFY | SRD_OPEN_READ_ONLY);
    if (s) {
        tst_expect_str(s, "k", "value");
        srd_close(s);
    }
}

static void test_preallocate_flag_reserves_ahead_and_a_plain_open_cuts_it(void) {
    const char *p = tst_path("prealloc.srd");
    srd_store *s = tst_open_flags(p, SRD_OPEN_PREALLOCATE);
    if (!s) return;
    uint8_t v[5000];
    const uint8_t *first = NULL;
    size_t n = 0;
    for (int i = 0; i < 3000; i++) {
        char key[32];
        snprintf(key, sizeof key, "pre-%d", i);
        /* mostly small values (copied into the mapping), some large (written) */
        size_t len = i % 10 == 9 ? sizeof v : 1 + (size_t)(i % 200);
        tst_fill_pattern(v, len, (uint32_t)i);
        if (!tst_put(s, key, v, len)) break;
        if (i == 0) CHECK_OK(srd_read(s, SRD_U8("pre-0"), 5, &first, &n));
    }
    uint64_t size = tst_size_of(s);
#ifdef TST_GENERIC_UNIX
    /* The generic Unix path never preallocates: the flag is ignored. */
    CHECK_MSG(tst_file_len(p) == (long long)size, "file %lld bytes, store %" PRIu64, tst_file_len(p), size);
#else
    CHECK_MSG(tst_file_len(p) > (long long)size, "file %lld bytes, store %" PRIu64, tst_file_len(p), size);
#endif
    tst_fill_pattern(v, 1, 0);
    if (CHECK(first != NULL) && CHECK_EQ_U(n, 1)) {
        CHECK_MEM(first, v, 1);
        CHECK_EQ_U((uintptr_t)first % 64, 0);
    }
    long long reserved = tst_file_len(p);
    srd_close(s);
    /* the reserved zeros stay after close (a reader elsewhere may be scanning them) */
    CHECK_EQ_U((uint64_t)tst_file_len(p), (uint64_t)reserved);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (!s) return;
    CHECK_EQ_U(tst_size_of(s), size);
    srd_close(s);
    /* a read-write open without the flag cuts them off */
    s = tst_open_flags(p, 0);
    if (!s) return;
    CHECK_EQ_U(tst_size_of(s), size);
    CHECK_EQ_U((uint64_t)tst_file_len(p), size);
    for (int i = 0; i < 3000; i += 7) {
        char key[32];
        snprintf(key, sizeof key, "pre-%d", i);
        size_t len = i % 10 == 9 ? sizeof v : 1 + (size_t)(i % 200);
        tst_fill_pattern(v, len, (uint32_t)i);
        tst_expect_value(s, key, v, len);
    }
    srd_close(s);
}

/* Writes `n` values "rsv-<first..first+n-1>": mostly small (copied into the reserved space), every
   tenth larger than the 2 KiB copy limit (written). */
static void put_reserve_values(srd_store *s, int first, int n) {
    uint8_t v[5000];
    for (int i = first; i < first + n; i++) {
        char key[32];
        snprintf(key, sizeof key, "rsv-%d", i);
        size_t len = i % 10 == 9 ? sizeof v : 1 + (size_t)(i % 200);
        tst_fill_pattern(v, len, (uint32_t)i);
        tst_put(s, key, v, len);
    }
}

static void expect_reserve_values(const srd_store *s, int n) {
    uint8_t v[5000];
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "rsv-%d", i);
        size_t len = i % 10 == 9 ? sizeof v : 1 + (size_t)(i % 200);
        tst_fill_pattern(v, len, (uint32_t)i);
        tst_expect_value(s, key, v, len);
    }
}

/* In a child with the default action of SIGXFSZ (the end of the process) and a file size limit
   10,000 bytes above the store's size: 60 small writes with SRD_OPEN_RESERVE (at most 148
   bytes each, 8,880 in all) fit below the limit and succeed; the space reserved ahead never
   passes the limit (it did: the 64 KiB of 0xFE bytes raised SIGXFSZ). Exit 0 if so, 1 if a
   write failed, 3 on setup errors; a signal if the process was ended. */
static int writes_up_to_the_file_size_limit(void *arg) {
    const char *p = (const char *)arg;
    signal(SIGXFSZ, SIG_DFL);
    srd_store *s = NULL;
    if (srd_open(p, SRD_OPEN_RESERVE, &s) != SRD_OK) return 3;
    uint64_t size = 0;
    if (srd_file_size(s, &size) != SRD_OK) return 3;
    struct rlimit rl = {(rlim_t)(size + 10000), (rlim_t)(size + 10000)};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) return 3;
    uint8_t v[100];
    memset(v, 0x5A, sizeof v);
    for (int i = 0; i < 60; i++) {
        char key[32];
        snprintf(key, sizeof key, "limit-%d", i);
        if (srd_write(s, (const uint8_t *)key, strlen(key), v, sizeof v) != SRD_OK) return 1;
    }
    srd_close(s);
    return 0;
}

/* The child of fork() closes the handle it inherited (rule P1: its own memory only). */
static void close_inherited(void *arg) {
    srd_close((srd_store *)arg);
}

static void test_reserved_space_is_cut_at_close_not_by_a_fork_child(void) {
    const char *p = tst_path("reserved-space.srd");
    srd_store *s = tst_open_flags(p, SRD_OPEN_RESERVE);
    if (!s) return;
    put_reserve_values(s, 0, 300);
    uint64_t size = tst_size_of(s);
    long long held = tst_file_len(p);
#ifdef TST_GENERIC_UNIX
    /* The generic Unix path never reserves space: the flag is ignored. */
    CHECK_MSG(held == (long long)size, "file %lld bytes, store %" PRIu64, held, size);
#else
    CHECK_MSG(held > (long long)size, "file %lld bytes, store %" PRIu64, held, size);
#endif
    CHECK(tst_file_is_store_then_reserved(p, size));
    /* a process made by fork() that closes its copy of the handle leaves the file alone */
    fflush(NULL);
    tst_run_in_child("fork child closes the inherited handle", 30, TST_CHILD_EXIT, close_inherited, s);
    CHECK_EQ(tst_file_len(p), held);
    /* the parent writes on into the same space; another handle sees every value */
    put_reserve_values(s, 300, 300);
    expect_reserve_values(s, 600);
    srd_store *r = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (r) {
        CHECK_EQ_U(tst_size_of(r), tst_size_of(s));
        expect_reserve_values(r, 600);
        srd_close(r);
    }
    size = tst_size_of(s);
    CHECK(tst_file_is_store_then_reserved(p, size));
    /* closing cuts the file back to the store, byte for byte what the crate writes */
    srd_close(s);
    CHECK_EQ(tst_file_len(p), (long long)size);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        CHECK_EQ_U(tst_size_of(s), size);
        expect_reserve_values(s, 600);
        srd_close(s);
    }
    /* without the flag: one write per append, the file never longer than the store */
    s = tst_open_flags(p, 0);
    if (!s) return;
    for (int i = 600; i < 650; i++) {
        put_reserve_values(s, i, 1);
        CHECK_EQ(tst_file_len(p), (long long)tst_size_of(s));
    }
    expect_reserve_values(s, 650);
    srd_close(s);
    /* a file size limit is met where the writes meet it, never by the reserved space */
    int sig = 0;
    int rc = tst_run_child(writes_up_to_the_file_size_limit, (void *)p, 30, &sig);
    CHECK_MSG(rc == 0, "file size limit with SRD_OPEN_RESERVE: child returned %d (signal %d)", rc, sig);
}

/* ------------------------------------------------------------------ */
/* write / read                                                        */
/* ------------------------------------------------------------------ */

static void test_write_rejects_invalid_arguments_and_writes_nothing(void) {
    const char *p = tst_path("write-args.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "existing", "value");
    uint64_t size0 = tst_size_of(s);
    const uint8_t zero = 0x00;

    CHECK_STATUS(srd_write(NULL, SRD_U8("k"), 1, SRD_U8("v"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, NULL, 3, SRD_U8("v"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, NULL, 0, SRD_U8("v"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, SRD_U8("k"), 0, SRD_U8("v"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, NULL, 5), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, NULL, 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, SRD_U8("v"), 0), SRD_INVALID_ARGUMENT);
    CHECK(srd_last_error_message()[0] != '\0');
    CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, &zero, 1), SRD_INVALID_ARGUMENT);
    CHECK(srd_last_error_message()[0] != '\0');
    /* overwriting an existing key with an invalid value must not touch the old value */
    CHECK_STATUS(srd_write(s, SRD_U8("existing"), 8, &zero, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write(s, SRD_U8("existing"), 8, SRD_U8("x"), 0), SRD_INVALID_ARGUMENT);

    CHECK_EQ_U(tst_size_of(s), size0);
    CHECK_EQ(tst_file_len(p), (long long)size0);
    CHECK_EQ_U(tst_count_of(s), 1);
    tst_expect_absent(s, "k");
    tst_expect_str(s, "existing", "value");

    /* the only one-byte value that is rejected is 0x00; two zero bytes are a value */
    const uint8_t two_zeros[2] = {0, 0};
    const uint8_t one = 0x01, ff = 0xFF;
    tst_put(s, "two-zeros", two_zeros, 2);
    tst_put(s, "one", &one, 1);
    tst_put(s, "ff", &ff, 1);
    tst_expect_value(s, "two-zeros", two_zeros, 2);
    tst_expect_value(s, "one", &one, 1);
    tst_expect_value(s, "ff", &ff, 1);
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        tst_expect_value(s, "two-zeros", two_zeros, 2);
        tst_expect_value(s, "one", &one, 1);
        tst_expect_str(s, "existing", "value");
        tst_expect_absent(s, "k");
        srd_close(s);
    }
}

static void test_write_appends_entries_in_the_documented_layout(void) {
    const char *p = tst_path("layout.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint64_t end = 0;
    const size_t sizes[] = {1, 63, 64, 65, 1000, 7, 128, 4096, 3};
    uint8_t buf[4096];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "layout-%zu", i);
        tst_fill_pattern(buf, sizes[i], (uint32_t)i);
        tst_put(s, key, buf, sizes[i]);
        end = tst_value_entry_end(end, sizes[i]);
        tst_ctx("entry %zu of %zu bytes", i, sizes[i]);
        CHECK_EQ_U(tst_size_of(s), end);
        CHECK_EQ(tst_file_len(p), (long long)end);
    }
    tst_ctx_clear();
    /* a tombstone is one byte plus metadata, without padding */
    CHECK_OK(srd_delete(s, SRD_U8("layout-0"), 8));
    end = tst_tombstone_end(end);
    CHECK_EQ_U(tst_size_of(s), end);
    /* the last 20 bytes: hash, prev_tail, crc; prev_tail is the previous end */
    srd_close(s);
    size_t len = 0;
    uint8_t *bytes = tst_slurp(p, &len);
    if (CHECK(bytes != NULL && len == end)) {
        CHECK_EQ_U(tst_le64(bytes + len - 12), end - 21);
        CHECK_EQ(bytes[end - 21], 0x00);
    }
    free(bytes);
}

static void test_newest_write_wins_and_survives_reopen(void) {
    const char *p = tst_path("overwrite.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "first");
    tst_expect_str(s, "k", "first");
    uint8_t big[5000];
    tst_fill_pattern(big, sizeof big, 7);
    tst_put(s, "k", big, sizeof big);
    tst_expect_value(s, "k", big, sizeof big);
    tst_put_str(s, "k", "third");
    tst_expect_str(s, "k", "third");
    tst_put_str(s, "other", "o");
    CHECK_EQ_U(tst_count_of(s), 2);
    srd_close(s);
    s = tst_open_rw(p);
    if (!s) return;
    tst_expect_str(s, "k", "third");
    tst_expect_str(s, "other", "o");
    CHECK_EQ_U(tst_count_of(s), 2);
    srd_close(s);
}

static void test_binary_keys_and_values_round_trip(void) {
    const char *p = tst_path("binary.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    const uint8_t k1[] = {0x00}, k2[] = {0x00, 0x00}, k3[] = {0xFF, 0x00, 0x7F};
    uint8_t longkey[1000];
    tst_fill_pattern(longkey, sizeof longkey, 99);
    const uint8_t v1[] = {0x00, 0x01}, v2[] = {0x80}, v3[] = {0, 0, 0, 0};
    CHECK_OK(srd_write(s, k1, 1, v1, 2));
    CHECK_OK(srd_write(s, k2, 2, v2, 1));
    CHECK_OK(srd_write(s, k3, 3, v3, 4));
    CHECK_OK(srd_write(s, longkey, sizeof longkey, v2, 1));
    const uint8_t *p1;
    size_t n;
    if (CHECK_OK(srd_read(s, k1, 1, &p1, &n))) CHECK(n == 2 && memcmp(p1, v1, 2) == 0);
    if (CHECK_OK(srd_read(s, k2, 2, &p1, &n))) CHECK(n == 1 && memcmp(p1, v2, 1) == 0);
    if (CHECK_OK(srd_read(s, k3, 3, &p1, &n))) CHECK(n == 4 && memcmp(p1, v3, 4) == 0);
    if (CHECK_OK(srd_read(s, longkey, sizeof longkey, &p1, &n))) CHECK(n == 1 && p1[0] == 0x80);
    CHECK_STATUS(srd_exists(s, k3, 2), SRD_NOT_FOUND); /* prefix of a key is another key */
    CHECK_EQ_U(tst_count_of(s), 4);
    srd_close(s);
}

static void test_read_errors_leave_outputs_untouched(void) {
    const char *p = tst_path("read-errors.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "k", "v");
    const uint8_t *out = SENTINEL_PTR;
    size_t len = SENTINEL_LEN;

    CHECK_STATUS(srd_read(NULL, SRD_U8("k"), 1, &out, &len), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read(s, NULL, 1, &out, &len), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read(s, SRD_U8("k"), 1, NULL, &len), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read(s, SRD_U8("k"), 1, &out, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read(s, SRD_U8("absent"), 6, &out, &len), SRD_NOT_FOUND);
    int32_t st = srd_read(s, SRD_U8("k"), 0, &out, &len);
    CHECK_MSG(st == SRD_INVALID_ARGUMENT, "empty key read gave %d", (int)st);
    CHECK(out == SENTINEL_PTR);
    CHECK(len == SENTINEL_LEN);

    srd_entry *e = SENTINEL_ENTRY;
    CHECK_STATUS(srd_read_entry(NULL, SRD_U8("k"), 1, &e), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_entry(s, NULL, 1, &e), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_entry(s, SRD_U8("k"), 1, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_entry(s, SRD_U8("absent"), 6, &e), SRD_NOT_FOUND);
    st = srd_read_entry(s, SRD_U8("k"), 0, &e);
    CHECK_MSG(st == SRD_INVALID_ARGUMENT, "empty key read_entry gave %d",
              (int)st);
    CHECK(e == SENTINEL_ENTRY);

    CHECK_STATUS(srd_exists(NULL, SRD_U8("k"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_exists(s, NULL, 1), SRD_INVALID_ARGUMENT);
    st = srd_exists(s, SRD_U8("k"), 0);
    CHECK_MSG(st == SRD_INVALID_ARGUMENT, "empty key exists gave %d", (int)st);
    CHECK_OK(srd_exists(s, SRD_U8("k"), 1));
    CHECK_STATUS(srd_exists(s, SRD_U8("K"), 1), SRD_NOT_FOUND);

    uint64_t u = SENTINEL_U64;
    CHECK_STATUS(srd_count(NULL, &u), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_count(s, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_file_size(NULL, &u), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_file_size(s, NULL), SRD_INVALID_ARGUMENT);
    CHECK(u == SENTINEL_U64);
    CHECK_STATUS(srd_sync(NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_compact(NULL), SRD_INVALID_ARGUMENT);
    srd_close(s);
}

static void test_free_functions_accept_null(void) {
    srd_close(NULL);
    srd_entry_free(NULL);
    size_t len = SENTINEL_LEN;
    CHECK(srd_entry_data(NULL, &len) == NULL);
    CHECK_EQ_U(len, 0);
    CHECK(srd_entry_data(NULL, NULL) == NULL);
}

static void test_every_returned_pointer_is_64_byte_aligned(void) {
    const char *p = tst_path("align.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t buf[300];
    for (size_t n = 1; n <= 300; n++) {
        char key[32];
        snprintf(key, sizeof key, "size-%zu", n);
        tst_fill_pattern(buf, n, (uint32_t)n);
        tst_put(s, key, buf, n);
        /* also a 1-byte entry in between, so every start offset modulo 64 occurs */
        if (n % 7 == 0) tst_put(s, "filler", "f", 1);
    }
    const size_t large[] = {4095, 4096, 4097, 65536, 65537, (1u << 20) + 3};
    uint8_t *big = (uint8_t *)malloc((1u << 20) + 3);
    REQUIRE(big != NULL);
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "large-%zu", large[i]);
        tst_fill_pattern(big, large[i], (uint32_t)large[i]);
        tst_put(s, key, big, large[i]);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t n = 1; n <= 300; n++) {
            char key[32];
            snprintf(key, sizeof key, "size-%zu", n);
            tst_ctx("pass %d, value of %zu bytes", pass, n);
            tst_fill_pattern(buf, n, (uint32_t)n);
            const uint8_t *v = NULL;
            size_t len = 0;
            if (CHECK_OK(srd_read(s, SRD_U8(key), strlen(key), &v, &len))) {
                CHECK_EQ_U((uintptr_t)v % 64, 0);
                if (CHECK_EQ_U(len, n)) CHECK_MEM(v, buf, n);
            }
            srd_entry *e = NULL;
            if (CHECK_OK(srd_read_entry(s, SRD_U8(key), strlen(key), &e))) {
                size_t elen = 0;
                const uint8_t *d = srd_entry_data(e, &elen);
                CHECK_EQ_U((uintptr_t)d % 64, 0);
                if (CHECK_EQ_U(elen, n)) CHECK_MEM(d, buf, n);
                srd_entry_free(e);
            }
        }
        for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
            char key[32];
            snprintf(key, sizeof key, "large-%zu", large[i]);
            tst_ctx("pass %d, value of %zu bytes", pass, large[i]);
            tst_fill_pattern(big, large[i], (uint32_t)large[i]);
            const uint8_t *v = NULL;
            size_t len = 0;
            if (CHECK_OK(srd_read(s, SRD_U8(key), strlen(key), &v, &len))) {
                CHECK_EQ_U((uintptr_t)v % 64, 0);
                if (CHECK_EQ_U(len, large[i])) CHECK_MEM(v, big, len);
            }
        }
        tst_ctx_clear();
        /* second pass: after reopening, and after compaction */
        srd_close(s);
        s = tst_open_rw(p);
        if (!s) break;
        CHECK_OK(srd_compact(s));
    }
    free(big);
    srd_close(s);
}

static void test_read_pointer_is_zero_copy_into_the_file_mapping(void) {
    const char *p = tst_path("zerocopy.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t v1[777], v2[99];
    tst_fill_pattern(v1, sizeof v1, 1);
    tst_fill_pattern(v2, sizeof v2, 2);
    tst_put(s, "k", v1, sizeof v1);
    const uint8_t *a = NULL, *b = NULL;
    size_t n = 0;
    if (!CHECK_OK(srd_read(s, SRD_U8("k"), 1, &a, &n))) goto out;
    CHECK_MSG(pointer_in_file_mapping(a, p), "srd_read pointer %p is not inside a mapping of %s",
              (const void *)a, p);
    CHECK_OK(srd_read(s, SRD_U8("k"), 1, &b, &n));
    CHECK(a == b); /* the same bytes, not a copy */
    srd_entry *e = NULL;
    if (CHECK_OK(srd_read_entry(s, SRD_U8("k"), 1, &e))) {
        const uint8_t *d = srd_entry_data(e, NULL);
        CHECK_MSG(pointer_in_file_mapping(d, p), "entry data %p is not inside a mapping of %s",
                  (const void *)d, p);
        CHECK(srd_entry_data(e, NULL) == d);
        srd_entry_free(e);
    }
    /* overwriting the key leaves the old borrowed bytes alone */
    tst_put(s, "k", v2, sizeof v2);
    CHECK_MEM(a, v1, sizeof v1);
    tst_expect_value(s, "k", v2, sizeof v2);
    /* deleting it too */
    CHECK_OK(srd_delete(s, SRD_U8("k"), 1));
    CHECK_MEM(a, v1, sizeof v1);
out:
    srd_close(s);
}

static void test_borrowed_pointer_survives_40_mib_of_later_writes(void) {
    const char *p = tst_path("grow.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t small[1000];
    tst_fill_pattern(small, sizeof small, 42);
    tst_put(s, "old", small, sizeof small);
    const uint8_t *old = NULL;
    size_t n = 0;
    if (!CHECK_OK(srd_read(s, SRD_U8("old"), 3, &old, &n)) || !CHECK_EQ_U(n, sizeof small)) {
        srd_close(s);
        return;
    }
    const size_t mib = 1u << 20;
    uint8_t *big = (uint8_t *)malloc(mib);
    REQUIRE(big != NULL);
    const int count = 41;
    for (int i = 0; i < count; i++) {
        char key[32];
        snprintf(key, sizeof key, "grow-%d", i);
        memset(big, 0x11 + i, mib);
        big[0] = (uint8_t)i;
        if (!tst_put(s, key, big, mib)) break;
        if (i % 10 == 0) CHECK_MEM(old, small, sizeof small);
    }
    CHECK_MSG(tst_size_of(s) > (uint64_t)count * mib, "file only %" PRIu64 " bytes", tst_size_of(s));
    CHECK_MEM(old, small, sizeof small);
    CHECK_EQ_U((uintptr_t)old % 64, 0);
    /* the newest values read correctly too */
    for (int i = count - 3; i < count; i++) {
        char key[32];
        snprintf(key, sizeof key, "grow-%d", i);
        memset(big, 0x11 + i, mib);
        big[0] = (uint8_t)i;
        tst_expect_value(s, key, big, mib);
    }
    /* and the old key still reads as the same pointer */
    const uint8_t *again = NULL;
    if (CHECK_OK(srd_read(s, SRD_U8("old"), 3, &again, &n))) CHECK_MEM(again, small, sizeof small);
    CHECK_MEM(old, small, sizeof small);
    free(big);
    srd_close(s);
}

static void test_pinned_entry_outlives_compact_and_close(void) {
    const char *p = tst_path("pinned.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t v1[5000], v2[3000], v3[100];
    tst_fill_pattern(v1, sizeof v1, 11);
    tst_fill_pattern(v2, sizeof v2, 12);
    tst_fill_pattern(v3, sizeof v3, 13);
    tst_put(s, "k", v1, sizeof v1);
    tst_put(s, "k", v2, sizeof v2);
    tst_put(s, "other", v3, sizeof v3);
    srd_entry *e = SENTINEL_ENTRY;
    if (!CHECK_OK(srd_read_entry(s, SRD_U8("k"), 1, &e)) || !CHECK(e != SENTINEL_ENTRY && e != NULL)) {
        srd_close(s);
        return;
    }
    size_t len = 0;
    const uint8_t *d = srd_entry_data(e, &len);
    CHECK(d != NULL);
    CHECK_EQ_U((uintptr_t)d % 64, 0);
    CHECK_EQ_U(len, sizeof v2);
    CHECK_MEM(d, v2, sizeof v2);
    /* a second entry for the same key, freed early, does not disturb the first */
    srd_entry *e2 = NULL;
    if (CHECK_OK(srd_read_entry(s, SRD_U8("k"), 1, &e2))) srd_entry_free(e2);

    tst_put(s, "k", v3, sizeof v3);
    CHECK_OK(srd_delete(s, SRD_U8("other"), 5));
    uint64_t before = tst_size_of(s);
    CHECK_OK(srd_compact(s));
    CHECK(tst_size_of(s) < before);
    CHECK_MEM(d, v2, sizeof v2);
    tst_expect_value(s, "k", v3, sizeof v3);
    srd_close(s);

    size_t len2 = 0;
    const uint8_t *d2 = srd_entry_data(e, &len2);
    CHECK(d2 == d);
    CHECK_EQ_U(len2, sizeof v2);
    CHECK_MEM(d2, v2, sizeof v2);
    CHECK(srd_entry_data(e, NULL) == d);

    /* closing the store released its lock even though an entry is still pinned */
    s = tst_open_rw(p);
    if (s) {
        tst_expect_value(s, "k", v3, sizeof v3);
        tst_expect_absent(s, "other");
        srd_close(s);
    }
    CHECK_MEM(d, v2, sizeof v2);
    srd_entry_free(e);
}

static void test_exists_reports_ok_or_not_found(void) {
    const char *p = tst_path("exists.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    CHECK_STATUS(srd_exists(s, SRD_U8("k"), 1), SRD_NOT_FOUND);
    tst_put_str(s, "k", "v");
    CHECK_OK(srd_exists(s, SRD_U8("k"), 1));
    CHECK_OK(srd_delete(s, SRD_U8("k"), 1));
    CHECK_STATUS(srd_exists(s, SRD_U8("k"), 1), SRD_NOT_FOUND);
    tst_put_str(s, "k", "again");
    CHECK_OK(srd_exists(s, SRD_U8("k"), 1));
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* delete                                                              */
/* ------------------------------------------------------------------ */

static void test_delete_appends_a_tombstone_only_for_existing_keys(void) {
    const char *p = tst_path("delete.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "a", "alpha");
    tst_put_str(s, "b", "beta");
    tst_put_str(s, "c", "gamma");
    CHECK_EQ_U(tst_count_of(s), 3);

    uint64_t size0 = tst_size_of(s);
    CHECK_OK(srd_delete(s, SRD_U8("b"), 1));
    CHECK_EQ_U(tst_size_of(s), tst_tombstone_end(size0));
    CHECK_EQ(tst_file_len(p), (long long)tst_tombstone_end(size0));
    tst_expect_absent(s, "b");
    CHECK_EQ_U(tst_count_of(s), 2);

    uint64_t size1 = tst_size_of(s);
    CHECK_STATUS(srd_delete(s, SRD_U8("b"), 1), SRD_NOT_FOUND);
    CHECK_STATUS(srd_delete(s, SRD_U8("never"), 5), SRD_NOT_FOUND);
    CHECK_EQ_U(tst_size_of(s), size1);
    CHECK_EQ(tst_file_len(p), (long long)size1);

    CHECK_STATUS(srd_delete(NULL, SRD_U8("a"), 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_delete(s, NULL, 1), SRD_INVALID_ARGUMENT);
    int32_t st = srd_delete(s, SRD_U8("a"), 0);
    CHECK_MSG(st == SRD_INVALID_ARGUMENT, "empty key delete gave %d", (int)st);
    CHECK_EQ_U(tst_size_of(s), size1);
    tst_expect_str(s, "a", "alpha");
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    tst_expect_absent(s, "b");
    tst_expect_str(s, "a", "alpha");
    tst_expect_str(s, "c", "gamma");
    CHECK_EQ_U(tst_count_of(s), 2);
    CHECK_STATUS(srd_delete(s, SRD_U8("b"), 1), SRD_NOT_FOUND);
    /* a deleted key can be written again */
    tst_put_str(s, "b", "beta2");
    tst_expect_str(s, "b", "beta2");
    CHECK_EQ_U(tst_count_of(s), 3);
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        tst_expect_str(s, "b", "beta2");
        CHECK_EQ_U(tst_count_of(s), 3);
        srd_close(s);
    }
}

static void test_delete_batch_removes_existing_keys_and_ignores_absent_ones(void) {
    const char *p = tst_path("delete-batch.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    for (int i = 0; i < 10; i++) {
        char key[16], val[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "value-%d", i);
        tst_put_str(s, key, val);
    }
    uint64_t size0 = tst_size_of(s);

    /* count 0: OK, nothing written, keys may be NULL */
    CHECK_OK(srd_delete_batch(s, NULL, 0));
    srd_key one = {SRD_U8("k0"), 2};
    CHECK_OK(srd_delete_batch(s, &one, 0));
    CHECK_EQ_U(tst_size_of(s), size0);

    /* invalid input rejects the whole batch */
    CHECK_STATUS(srd_delete_batch(NULL, &one, 1), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_delete_batch(s, NULL, 2), SRD_INVALID_ARGUMENT);
    srd_key with_null[3] = {{SRD_U8("k1"), 2}, {NULL, 4}, {SRD_U8("k2"), 2}};
    CHECK_STATUS(srd_delete_batch(s, with_null, 3), SRD_INVALID_ARGUMENT);
    srd_key with_empty[3] = {{SRD_U8("k1"), 2}, {SRD_U8("k2"), 2}, {SRD_U8("k3"), 0}};
    CHECK_STATUS(srd_delete_batch(s, with_empty, 3), SRD_INVALID_ARGUMENT);
    srd_key null_empty[2] = {{NULL, 0}, {SRD_U8("k1"), 2}};
    CHECK_STATUS(srd_delete_batch(s, null_empty, 2), SRD_INVALID_ARGUMENT);
    CHECK(srd_last_error_message()[0] != '\0');
    CHECK_EQ_U(tst_size_of(s), size0);
    CHECK_EQ(tst_file_len(p), (long long)size0);
    CHECK_EQ_U(tst_count_of(s), 10);
    tst_expect_str(s, "k1", "value-1");
    tst_expect_str(s, "k2", "value-2");

    /* all absent: OK and nothing written */
    srd_key absent[2] = {{SRD_U8("nope"), 4}, {SRD_U8("nada"), 4}};
    CHECK_OK(srd_delete_batch(s, absent, 2));
    CHECK_EQ_U(tst_size_of(s), size0);

    /* a mix: existing ones deleted (one tombstone each, after the batch marker that
     * begins a batch of more than one entry), absent ones ignored */
    srd_key mix[5] = {{SRD_U8("k1"), 2}, {SRD_U8("absent"), 6}, {SRD_U8("k3"), 2},
                      {SRD_U8("k5"), 2}, {SRD_U8("zzz"), 3}};
    CHECK_OK(srd_delete_batch(s, mix, 5));
    CHECK_EQ_U(tst_size_of(s), tst_marker_end(size0) + 3 * 21);
    CHECK_EQ(tst_file_len(p), (long long)(tst_marker_end(size0) + 3 * 21));
    tst_expect_absent(s, "k1");
    tst_expect_absent(s, "k3");
    tst_expect_absent(s, "k5");
    tst_expect_str(s, "k2", "value-2");
    CHECK_EQ_U(tst_count_of(s), 7);

    /* a key repeated in one batch is simply deleted */
    srd_key dup[3] = {{SRD_U8("k7"), 2}, {SRD_U8("k7"), 2}, {SRD_U8("k1"), 2}};
    CHECK_OK(srd_delete_batch(s, dup, 3));
    tst_expect_absent(s, "k7");
    CHECK_EQ_U(tst_count_of(s), 6);
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    const char *gone[] = {"k1", "k3", "k5", "k7"};
    for (int i = 0; i < 4; i++) tst_expect_absent(s, gone[i]);
    const int live[] = {0, 2, 4, 6, 8, 9};
    for (int i = 0; i < 6; i++) {
        char key[16], val[16];
        snprintf(key, sizeof key, "k%d", live[i]);
        snprintf(val, sizeof val, "value-%d", live[i]);
        tst_expect_str(s, key, val);
    }
    CHECK_EQ_U(tst_count_of(s), 6);
    srd_close(s);
}

/* ------------------------------------------------------------------ */
/* write_batch                                                         */
/* ------------------------------------------------------------------ */

static void test_write_batch_appends_all_items_later_item_wins(void) {
    const char *p = tst_path("batch.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "pre", "existing");
    uint64_t size0 = tst_size_of(s);

    CHECK_OK(srd_write_batch(s, NULL, 0));
    CHECK_EQ_U(tst_size_of(s), size0);

    uint8_t big[3000];
    tst_fill_pattern(big, sizeof big, 5);
    srd_kv items[5] = {
        {SRD_U8("b1"), 2, SRD_U8("one"), 3},
        {SRD_U8("b2"), 2, big, sizeof big},
        {SRD_U8("dup"), 3, SRD_U8("first"), 5},
        {SRD_U8("pre"), 3, SRD_U8("overwritten"), 11},
        {SRD_U8("dup"), 3, SRD_U8("second"), 6},
    };
    CHECK_OK(srd_write_batch(s, items, 5));
    uint64_t end = tst_marker_end(size0); /* a batch begins with its marker */
    for (int i = 0; i < 5; i++) end = tst_value_entry_end(end, items[i].value_len);
    CHECK_EQ_U(tst_size_of(s), end);
    CHECK_EQ(tst_file_len(p), (long long)end);
    tst_expect_str(s, "b1", "one");
    tst_expect_value(s, "b2", big, sizeof big);
    tst_expect_str(s, "dup", "second");
    tst_expect_str(s, "pre", "overwritten");
    CHECK_EQ_U(tst_count_of(s), 4);
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    tst_expect_str(s, "b1", "one");
    tst_expect_value(s, "b2", big, sizeof big);
    tst_expect_str(s, "dup", "second");
    tst_expect_str(s, "pre", "overwritten");
    CHECK_EQ_U(tst_count_of(s), 4);
    srd_close(s);
}

static void test_write_batch_with_one_bad_item_writes_nothing(void) {
    const char *p = tst_path("batch-bad.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "pre", "existing");
    uint64_t size0 = tst_size_of(s);
    const uint8_t zero = 0x00;
    const srd_kv good1 = {SRD_U8("g1"), 2, SRD_U8("good-1"), 6};
    const srd_kv good2 = {SRD_U8("pre"), 3, SRD_U8("changed"), 7};
    const srd_kv bad[] = {
        {NULL, 3, SRD_U8("v"), 1},        /* NULL key with a length */
        {SRD_U8("k"), 0, SRD_U8("v"), 1}, /* empty key */
        {NULL, 0, SRD_U8("v"), 1},        /* NULL empty key */
        {SRD_U8("k"), 1, NULL, 4},        /* NULL value with a length */
        {SRD_U8("k"), 1, SRD_U8("v"), 0}, /* empty value */
        {SRD_U8("k"), 1, NULL, 0},        /* NULL empty value */
        {SRD_U8("k"), 1, &zero, 1},       /* the tombstone byte */
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        for (int pos = 0; pos < 3; pos++) {
            tst_ctx("bad item kind %zu at position %d", b, pos);
            srd_kv items[3];
            int gi = 0;
            for (int i = 0; i < 3; i++) items[i] = i == pos ? bad[b] : (gi++ == 0 ? good1 : good2);
            CHECK_STATUS(srd_write_batch(s, items, 3), SRD_INVALID_ARGUMENT);
            CHECK(srd_last_error_message()[0] != '\0');
            CHECK_EQ_U(tst_size_of(s), size0);
            CHECK_EQ(tst_file_len(p), (long long)size0);
        }
    }
    tst_ctx_clear();
    CHECK_STATUS(srd_write_batch(s, NULL, 2), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_write_batch(NULL, &good1, 1), SRD_INVALID_ARGUMENT);
    CHECK_EQ_U(tst_size_of(s), size0);
    tst_expect_absent(s, "g1");
    tst_expect_absent(s, "k");
    tst_expect_str(s, "pre", "existing");
    CHECK_EQ_U(tst_count_of(s), 1);
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        tst_expect_absent(s, "g1");
        tst_expect_str(s, "pre", "existing");
        srd_close(s);
    }
}

/* ------------------------------------------------------------------ */
/* compact, sync, count, file_size                                     */
/* ------------------------------------------------------------------ */

static void test_compact_keeps_only_live_entries_and_the_handle_keeps_working(void) {
    const char *p = tst_path("compact.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_compact(s)); /* empty store */
    CHECK_EQ_U(tst_size_of(s), 0);

    uint8_t v[2000];
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%02d", i);
            tst_fill_pattern(v, 100 + (size_t)i * 50, (uint32_t)(round * 100 + i));
            tst_put(s, key, v, 100 + (size_t)i * 50);
        }
    }
    for (int i = 0; i < 20; i += 4) {
        char key[16];
        snprintf(key, sizeof key, "k%02d", i);
        CHECK_OK(srd_delete(s, SRD_U8(key), strlen(key)));
    }
    uint64_t before = tst_size_of(s);
    CHECK_EQ_U(tst_count_of(s), 15);
    CHECK_OK(srd_compact(s));
    uint64_t after = tst_size_of(s);
    CHECK_MSG(after < before, "compaction did not shrink the file: %" PRIu64 " -> %" PRIu64, before,
              after);
    CHECK_EQ(tst_file_len(p), (long long)after);
    /* 15 live values of <= 1050 bytes each: far below 5 rounds of 20 */
    CHECK(after <= 15 * (1050 + 64 + 20));
    CHECK_EQ_U(tst_count_of(s), 15);
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%02d", i);
        if (i % 4 == 0) {
            tst_expect_absent(s, key);
        } else {
            tst_fill_pattern(v, 100 + (size_t)i * 50, (uint32_t)(4 * 100 + i));
            tst_expect_value(s, key, v, 100 + (size_t)i * 50);
        }
    }
    /* compacting a compacted store changes nothing observable */
    CHECK_OK(srd_compact(s));
    CHECK_EQ_U(tst_count_of(s), 15);
    CHECK(tst_size_of(s) <= after);

    /* the same handle keeps working: writes and deletes after compaction survive reopen */
    tst_put_str(s, "after", "compaction");
    CHECK_OK(srd_delete(s, SRD_U8("k01"), 3));
    tst_put_str(s, "k00", "revived");
    srd_kv kv[2] = {{SRD_U8("ba"), 2, SRD_U8("batch-a"), 7}, {SRD_U8("bb"), 2, SRD_U8("batch-b"), 7}};
    CHECK_OK(srd_write_batch(s, kv, 2));
    CHECK_OK(srd_sync(s));
    CHECK_EQ_U(tst_count_of(s), 18);
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    tst_expect_str(s, "after", "compaction");
    tst_expect_str(s, "k00", "revived");
    tst_expect_str(s, "ba", "batch-a");
    tst_expect_str(s, "bb", "batch-b");
    tst_expect_absent(s, "k01");
    tst_expect_absent(s, "k04");
    tst_fill_pattern(v, 100 + 19 * 50, 4 * 100 + 19);
    tst_expect_value(s, "k19", v, 100 + 19 * 50);
    CHECK_EQ_U(tst_count_of(s), 18);
    CHECK_OK(srd_compact(s));
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        tst_expect_str(s, "after", "compaction");
        tst_expect_absent(s, "k01");
        CHECK_EQ_U(tst_count_of(s), 18);
        CHECK_EQ(tst_file_len(p), (long long)tst_size_of(s));
        srd_close(s);
    }
}

static void test_compact_ignores_a_stale_temp_file(void) {
    const char *p = tst_path("stale.srd");
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.compact.tmp", p);
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    for (int i = 0; i < 10; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "old-%d", i);
        tst_put_str(s, key, val);
    }
    for (int i = 0; i < 10; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "new-%d", i);
        tst_put_str(s, key, val);
    }
    CHECK_OK(srd_delete(s, SRD_U8("k9"), 2));

    /* junk from an earlier crash: a valid-looking prefix would be wrong to reuse too */
    uint8_t junk[70000];
    tst_rng rng = {1234};
    tst_rng_fill(&rng, junk, sizeof junk);
    memcpy(junk, "THIS IS A STALE COMPACTION FILE", 31);
    REQUIRE(tst_spit(tmp, junk, sizeof junk) == 0);

    uint64_t before = tst_size_of(s);
    CHECK_OK(srd_compact(s));
    CHECK(tst_size_of(s) < before);
    CHECK_EQ(tst_file_len(p), (long long)tst_size_of(s));
    for (int i = 0; i < 9; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "new-%d", i);
        tst_expect_str(s, key, val);
    }
    tst_expect_absent(s, "k9");
    CHECK_EQ_U(tst_count_of(s), 9);
    tst_put_str(s, "post", "write");
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    for (int i = 0; i < 9; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "new-%d", i);
        tst_expect_str(s, key, val);
    }
    tst_expect_absent(s, "k9");
    tst_expect_str(s, "post", "write");
    CHECK_EQ_U(tst_count_of(s), 10);
    /* a second stale file (empty this time) and a second compaction */
    REQUIRE(tst_spit(tmp, "", 0) == 0);
    CHECK_OK(srd_compact(s));
    tst_expect_str(s, "post", "write");
    CHECK_EQ_U(tst_count_of(s), 10);
    srd_close(s);
}

static void test_count_and_file_size_track_the_store(void) {
    const char *p = tst_path("count.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint64_t c = SENTINEL_U64, sz = SENTINEL_U64;
    CHECK_OK(srd_count(s, &c));
    CHECK_OK(srd_file_size(s, &sz));
    CHECK_EQ_U(c, 0);
    CHECK_EQ_U(sz, 0);
    tst_put_str(s, "a", "1");
    CHECK_EQ_U(tst_size_of(s), 21);
    CHECK_EQ_U(tst_count_of(s), 1);
    tst_put_str(s, "a", "2");
    CHECK_EQ_U(tst_count_of(s), 1);
    CHECK_EQ_U(tst_size_of(s), 64 + 1 + 20);
    tst_put_str(s, "b", "3");
    CHECK_EQ_U(tst_count_of(s), 2);
    CHECK_OK(srd_delete(s, SRD_U8("a"), 1));
    CHECK_EQ_U(tst_count_of(s), 1);
    CHECK_OK(srd_sync(s));
    CHECK_EQ(tst_file_len(p), (long long)tst_size_of(s));
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        CHECK_EQ_U(tst_count_of(s), 1);
        CHECK_EQ(tst_file_len(p), (long long)tst_size_of(s));
        srd_close(s);
    }
}

static void test_reserve_is_a_capacity_hint_that_changes_no_data(void) {
    const char *p = tst_path("reserve.srd");
    CHECK_STATUS(srd_reserve(NULL, 10), SRD_INVALID_ARGUMENT);
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_put_str(s, "a", "1");
    tst_put_str(s, "b", "2");
    CHECK_OK(srd_delete(s, SRD_U8("b"), 1));
    uint64_t size = tst_size_of(s);
    CHECK_OK(srd_reserve(s, 0));
    CHECK_OK(srd_reserve(s, 20000));
    CHECK_EQ_U(tst_size_of(s), size); /* nothing written */
    CHECK_EQ_U(tst_count_of(s), 1);
    tst_expect_str(s, "a", "1");
    tst_expect_absent(s, "b");
    /* more keys than reserved still go in */
    char k[32], v[32];
    for (int i = 0; i < 30000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        snprintf(v, sizeof v, "val%d", i);
        CHECK_OK(srd_write(s, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v)));
    }
    CHECK_EQ_U(tst_count_of(s), 30001);
    tst_expect_str(s, "key0", "val0");
    tst_expect_str(s, "key29999", "val29999");
    /* too much to allocate: a clear error, and the store is unchanged */
    size = tst_size_of(s);
    CHECK_STATUS(srd_reserve(s, UINT64_MAX), SRD_INVALID_ARGUMENT);
    CHECK_MSG(contains_ci(srd_last_error_message(), "cannot allocate"), "message \"%s\"",
              srd_last_error_message());
    CHECK_EQ_U(tst_size_of(s), size);
    tst_expect_str(s, "key12345", "val12345");
    srd_close(s);
    s = tst_open_flags(p, SRD_OPEN_READ_ONLY);
    if (s) {
        CHECK_STATUS(srd_reserve(s, 10), SRD_READ_ONLY);
        CHECK_EQ_U(tst_count_of(s), 30001);
        srd_close(s);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--lock-probe") == 0) return lock_probe(argv[2]);
    tst_self_exe(); /* resolved before any fork */
    /* must come first: nothing has failed on this thread yet */
    test_last_error_is_empty_before_any_failure();
    tst_test_init(argc, argv, "test_api");

    test_version_macros_match_runtime_and_cargo_toml();
    test_status_str_gives_static_text_for_every_code();
    test_free_functions_accept_null();
    test_open_rejects_invalid_arguments();
    test_open_missing_file_with_no_create_or_read_only_is_not_found();
    test_open_creates_an_empty_store();
    test_open_directory_is_invalid_argument();
    test_second_writer_gets_locked_and_readers_still_open();
    test_read_only_store_rejects_changes_and_never_touches_the_file();
    test_sync_flag_store_writes_and_reads();
    test_no_verify_flag_store_works();
    test_preallocate_flag_reserves_ahead_and_a_plain_open_cuts_it();
    test_reserved_space_is_cut_at_close_not_by_a_fork_child();
    test_write_rejects_invalid_arguments_and_writes_nothing();
    test_write_appends_entries_in_the_documented_layout();
    test_newest_write_wins_and_survives_reopen();
    test_binary_keys_and_values_round_trip();
    test_read_errors_leave_outputs_untouched();
    test_every_returned_pointer_is_64_byte_aligned();
    test_read_pointer_is_zero_copy_into_the_file_mapping();
    test_borrowed_pointer_survives_40_mib_of_later_writes();
    test_pinned_entry_outlives_compact_and_close();
    test_exists_reports_ok_or_not_found();
    test_delete_appends_a_tombstone_only_for_existing_keys();
    test_delete_batch_removes_existing_keys_and_ignores_absent_ones();
    test_write_batch_appends_all_items_later_item_wins();
    test_write_batch_with_one_bad_item_writes_nothing();
    test_compact_keeps_only_live_entries_and_the_handle_keeps_working();
    test_compact_ignores_a_stale_temp_file();
    test_count_and_file_size_track_the_store();
    test_reserve_is_a_capacity_hint_that_changes_no_data();
    test_last_error_message_names_the_failure_and_is_thread_local();
    return tst_test_finish();
}

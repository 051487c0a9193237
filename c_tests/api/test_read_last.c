/*
 * test_read_last.c - srd_read_last: the newest live value after overwrites, and deletes at the
 * tail.
 *
 * Split from test_features.c. Each test_* function states the behaviour it proves.
 * Outputs must be written only on success (checked with sentinels); failures must leave
 * the file untouched.
 */
#include "tst_test.h"
#include "tst_api.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ */
/* srd_read_last                                                       */
/* ------------------------------------------------------------------ */

static void test_read_last_returns_the_newest_live_value(void) {
    const char *p = tst_path("read-last.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    tst_expect_no_last(s);
    tst_put_str(s, "a", "A1");
    tst_expect_last(s, "a", "A1");
    tst_put_str(s, "b", "B1");
    tst_put_str(s, "c", "C1");
    tst_expect_last(s, "c", "C1");
    tst_put_str(s, "b", "B2"); /* overwrite at the tail */
    tst_expect_last(s, "b", "B2");
    CHECK_OK(srd_delete(s, SRD_U8("b"), 1)); /* delete at the tail */
    tst_expect_last(s, "c", "C1");
    CHECK_OK(srd_delete(s, SRD_U8("c"), 1));
    tst_expect_last(s, "a", "A1");
    tst_put_str(s, "d", "D1");
    tst_put_str(s, "a", "A2");
    CHECK_OK(srd_delete(s, SRD_U8("a"), 1));
    tst_expect_last(s, "d", "D1");
    srd_close(s);

    s = tst_open_ro(p);
    if (!s) return;
    tst_expect_last(s, "d", "D1");
    uint64_t h;
    const uint8_t *v;
    size_t n;
    CHECK_STATUS(srd_read_last(NULL, &h, &v, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_last(s, NULL, &v, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_last(s, &h, NULL, &n), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_read_last(s, &h, &v, NULL), SRD_INVALID_ARGUMENT);
    srd_close(s);

    s = tst_open_rw(p);
    if (!s) return;
    CHECK_OK(srd_delete(s, SRD_U8("d"), 1));
    tst_expect_no_last(s); /* only tombstones and dead versions remain */
    srd_close(s);
    s = tst_open_rw(p);
    if (!s) return;
    tst_expect_no_last(s);
    tst_put_str(s, "e", "E1");
    CHECK_OK(srd_compact(s));
    tst_expect_last(s, "e", "E1");
    srd_close(s);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_read_last");

    test_read_last_returns_the_newest_live_value();
    return tst_test_finish();
}

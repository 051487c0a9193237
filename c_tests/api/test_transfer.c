/*
 * test_transfer.c - srd_rename, srd_copy and srd_move: the layout of the rename append, the
 * same file refused (by handle, read-only handle, symlink, after compaction), read-only sides.
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
/* rename, copy, move                                                  */
/* ------------------------------------------------------------------ */

static void test_rename_moves_the_value_and_tombstones_the_old_key(void) {
    const char *p = tst_path("rename.srd");
    srd_store *s = tst_open_rw(p);
    if (!s) return;
    uint8_t *v = tst_pattern(777, 12);
    tst_put(s, "old", v, 777);
    tst_put_str(s, "other", "o");
    const uint8_t *oldp = NULL;
    size_t oldn = 0;
    CHECK_OK(srd_read(s, SRD_U8("old"), 3, &oldp, &oldn));

    /* errors: missing old key, same key, invalid keys, NULL store; nothing written */
    uint64_t size0 = tst_size_of(s), entries0 = tst_entry_count_of(s);
    CHECK_STATUS(srd_rename(s, SRD_U8("missing"), 7, SRD_U8("new"), 3), SRD_NOT_FOUND);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("old"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("oldx"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 0, SRD_U8("new"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, SRD_U8("new"), 0), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, NULL, 3, SRD_U8("new"), 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(s, SRD_U8("old"), 3, NULL, 3), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_rename(NULL, SRD_U8("old"), 3, SRD_U8("new"), 3), SRD_INVALID_ARGUMENT);
    CHECK_EQ_U(tst_size_of(s), size0);
    CHECK_EQ(tst_file_len(p), (long long)size0);
    CHECK_EQ_U(tst_entry_count_of(s), entries0);
    tst_expect_absent(s, "new");

    CHECK_OK(srd_rename(s, SRD_U8("old"), 3, SRD_U8("new"), 3));
    tst_expect_value(s, "new", v, 777);
    tst_expect_absent(s, "old");
    CHECK_EQ_U(tst_count_of(s), 2);
    CHECK_EQ_U(tst_entry_count_of(s), entries0 + 2);
    CHECK_MEM(oldp, v, 777); /* earlier borrowed pointers stay valid */
    /* one append, a batch: its marker, the new key's entry, then the old key's tombstone */
    uint64_t size1 = tst_size_of(s);
    const uint64_t marker_end = tst_marker_end(size0);
    CHECK_EQ_U(size1, tst_tombstone_end(tst_value_entry_end(marker_end, 777)));
    uint8_t tail[21];
    if (CHECK(tst_read_file_at(p, size1 - 21, tail, 21))) {
        CHECK_EQ(tail[0], 0);
        CHECK_EQ_U(tst_le64(tail + 1), tst_hash_of("old"));
        CHECK_EQ_U(tst_le64(tail + 9), size1 - 21);
    }
    uint8_t meta[20];
    if (CHECK(tst_read_file_at(p, size1 - 21 - 20, meta, 20))) {
        CHECK_EQ_U(tst_le64(meta), tst_hash_of("new"));
        CHECK_EQ_U(tst_le64(meta + 8), marker_end);
    }
    CHECK_EQ_U(tst_value_offset(s, "new"), tst_align_up(marker_end));
    uint8_t marker[20];
    if (CHECK(tst_read_file_at(p, marker_end - 20, marker, 20))) {
        CHECK_EQ_U(tst_le64(marker), TST_BATCH_KEY_HASH);
        CHECK_EQ_U(tst_le64(marker + 8), size0);
    }

    /* renaming onto an existing key replaces its value */
    CHECK_OK(srd_rename(s, SRD_U8("new"), 3, SRD_U8("other"), 5));
    tst_expect_value(s, "other", v, 777);
    tst_expect_absent(s, "new");
    CHECK_EQ_U(tst_count_of(s), 1);
    /* the old key is really gone: renaming it again is NOT_FOUND */
    CHECK_STATUS(srd_rename(s, SRD_U8("new"), 3, SRD_U8("x"), 1), SRD_NOT_FOUND);
    /* a large value (written from the mapping itself) */
    uint8_t *large = tst_pattern(3 << 20, 44);
    tst_put(s, "large", large, 3 << 20);
    CHECK_OK(srd_rename(s, SRD_U8("large"), 5, SRD_U8("large2"), 6));
    tst_expect_value(s, "large2", large, 3 << 20);
    tst_expect_absent(s, "large");
    srd_close(s);
    s = tst_open_ro(p);
    if (s) {
        tst_expect_value(s, "large2", large, 3 << 20);
        srd_verify_report r;
        CHECK_OK(srd_verify(s, &r));
        srd_close(s);
    }
    free(large);

    s = tst_open_ro(p);
    if (!s) {
        free(v);
        return;
    }
    tst_expect_value(s, "other", v, 777);
    tst_expect_absent(s, "old");
    tst_expect_absent(s, "new");
    long long len = tst_file_len(p);
    CHECK_STATUS(srd_rename(s, SRD_U8("other"), 5, SRD_U8("y"), 1), SRD_READ_ONLY);
    CHECK_EQ(tst_file_len(p), len);
    srd_close(s);
    free(v);
}

static void test_copy_and_move_between_stores_and_refuse_the_same_file(void) {
    const char *pa = tst_path("xfer-a.srd");
    const char *pb = tst_path("xfer-b.srd");
    const char *link = tst_path("xfer-a-link.srd");
    srd_store *a = tst_open_rw(pa);
    srd_store *b = tst_open_rw(pb);
    if (!a || !b) {
        srd_close(a);
        srd_close(b);
        return;
    }
    uint8_t *big = tst_pattern(300000, 9);
    tst_put(a, "big", big, 300000);
    tst_put_str(a, "small", "s");
    tst_put_str(a, "mv", "moving");
    tst_put_str(b, "b-only", "b");

    /* copy: both keep the value */
    CHECK_OK(srd_copy(a, SRD_U8("big"), 3, b));
    tst_expect_value(b, "big", big, 300000);
    tst_expect_value(a, "big", big, 300000);
    CHECK_OK(srd_copy(a, SRD_U8("small"), 5, b));
    tst_expect_str(b, "small", "s");
    tst_put_str(b, "small", "changed-in-b"); /* independent copies */
    tst_expect_str(a, "small", "s");

    /* missing key: NOT_FOUND, destination untouched */
    uint64_t bsize = tst_size_of(b);
    CHECK_STATUS(srd_copy(a, SRD_U8("nope"), 4, b), SRD_NOT_FOUND);
    CHECK_STATUS(srd_move(a, SRD_U8("nope"), 4, b), SRD_NOT_FOUND);
    CHECK_EQ_U(tst_size_of(b), bsize);

    /* the same file: same handle, a read-only handle, a symlinked path */
    uint64_t asize = tst_size_of(a);
    CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
    srd_store *a_ro = tst_open_ro(pa);
    if (a_ro) {
        CHECK_STATUS(srd_copy(a_ro, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a_ro), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_move(a, SRD_U8("small"), 5, a_ro), SRD_INVALID_ARGUMENT);
    }
    REQUIRE(symlink("xfer-a.srd", link) == 0); /* relative to the link's directory */
    srd_store *a_link = tst_open_ro(link);
    if (a_link) {
        CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a_link), SRD_INVALID_ARGUMENT);
        CHECK_STATUS(srd_copy(a_link, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
        srd_close(a_link);
    }
    CHECK_EQ_U(tst_size_of(a), asize);
    tst_expect_str(a, "small", "s");

    /* a read-only destination: READ_ONLY, nothing written; read-only source is fine */
    srd_store *b_ro = tst_open_ro(pb);
    if (b_ro) {
        long long blen = tst_file_len(pb);
        CHECK_STATUS(srd_copy(a, SRD_U8("mv"), 2, b_ro), SRD_READ_ONLY);
        CHECK_STATUS(srd_move(a, SRD_U8("mv"), 2, b_ro), SRD_READ_ONLY);
        CHECK_EQ(tst_file_len(pb), blen);
        tst_expect_str(a, "mv", "moving"); /* the failed move left the source alone */
        /* read-only source: copy works, move is READ_ONLY */
        CHECK_STATUS(srd_move(b_ro, SRD_U8("b-only"), 6, a), SRD_READ_ONLY);
        tst_expect_absent(a, "b-only");
        CHECK_OK(srd_copy(b_ro, SRD_U8("b-only"), 6, a));
        tst_expect_str(a, "b-only", "b");
        srd_close(b_ro);
    }
    if (a_ro) {
        /* a read-only handle of A is a fine source for another file */
        CHECK_OK(srd_copy(a_ro, SRD_U8("small"), 5, b));
        tst_expect_str(b, "small", "s");
        srd_close(a_ro);
    }

    /* NULL arguments */
    CHECK_STATUS(srd_copy(NULL, SRD_U8("mv"), 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_copy(a, SRD_U8("mv"), 2, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_copy(a, NULL, 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_copy(a, SRD_U8("mv"), 0, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(NULL, SRD_U8("mv"), 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, SRD_U8("mv"), 2, NULL), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, NULL, 2, b), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_move(a, SRD_U8("mv"), 0, b), SRD_INVALID_ARGUMENT);
    tst_expect_str(a, "mv", "moving");

    /* move: gone from the source, in the destination, across reopening both */
    CHECK_OK(srd_move(a, SRD_U8("mv"), 2, b));
    tst_expect_absent(a, "mv");
    tst_expect_str(b, "mv", "moving");
    CHECK_OK(srd_move(a, SRD_U8("big"), 3, b)); /* replaces b's copy */
    tst_expect_absent(a, "big");
    tst_expect_value(b, "big", big, 300000);
    CHECK_STATUS(srd_move(a, SRD_U8("mv"), 2, b), SRD_NOT_FOUND);
    srd_close(a);
    srd_close(b);
    a = tst_open_rw(pa);
    b = tst_open_rw(pb);
    if (a && b) {
        tst_expect_absent(a, "mv");
        tst_expect_absent(a, "big");
        tst_expect_str(b, "mv", "moving");
        tst_expect_value(b, "big", big, 300000);
        tst_expect_str(a, "small", "s");
        tst_expect_str(b, "small", "s");
        /* after a compaction the file is a new inode: still recognised as the same */
        CHECK_OK(srd_compact(a));
        srd_store *a2 = tst_open_ro(pa);
        if (a2) {
            CHECK_STATUS(srd_copy(a, SRD_U8("small"), 5, a2), SRD_INVALID_ARGUMENT);
            CHECK_STATUS(srd_copy(a2, SRD_U8("small"), 5, a), SRD_INVALID_ARGUMENT);
            srd_close(a2);
        }
    }
    srd_close(a);
    srd_close(b);
    free(big);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_transfer");

    test_rename_moves_the_value_and_tombstones_the_old_key();
    test_copy_and_move_between_stores_and_refuse_the_same_file();
    return tst_test_finish();
}

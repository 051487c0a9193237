/*
 * tst_robust.h - helpers shared by the robustness tests (damage sweep, hostile input,
 * non-stores, salvage, stress, multi-process), on top of tst_test.h and tst_proc.h;
 * compiled once in tst_robust.c.
 *
 * - file snapshots (bytes, size, mtime) to prove that a call left a file untouched;
 * - one-byte pokes into a file.
 * (Status names: tst_status_name in tst_test.h; children and pipes: tst_proc.h.)
 */
#ifndef SRD_ROBUST_H
#define SRD_ROBUST_H

#include "tst_proc.h"
#include "tst_test.h"

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

void tst_snap_take(struct tst_snap *s, const char *path);
void tst_snap_free(struct tst_snap *s);

/* 1 if the path is exactly as in the snapshot (existence, type, inode, size, bytes, and
 * mtime if check_mtime). On a difference, writes a description into why. */
int tst_snap_same_ex(const struct tst_snap *s, const char *path, char *why, size_t whylen,
                     int check_mtime);
int tst_snap_same(const struct tst_snap *s, const char *path, char *why, size_t whylen);

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

/* Writes one byte at `off`; 0 on success. */
int tst_poke(const char *path, uint64_t off, uint8_t byte);
int tst_truncate_to(const char *path, uint64_t len);

#endif /* SRD_ROBUST_H */

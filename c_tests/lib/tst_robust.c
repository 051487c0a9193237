/* tst_robust.c - file snapshots and pokes (see tst_robust.h). */
#include "tst_robust.h"

void tst_snap_take(struct tst_snap *s, const char *path) {
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

void tst_snap_free(struct tst_snap *s) {
    free(s->bytes);
    s->bytes = NULL;
}

/* 1 if the path is exactly as in the snapshot (existence, type, inode, size, bytes, and
 * mtime if check_mtime). On a difference, writes a description into why. */
int tst_snap_same_ex(const struct tst_snap *s, const char *path, char *why,
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

int tst_snap_same(const struct tst_snap *s, const char *path, char *why,
                  size_t whylen) {
    return tst_snap_same_ex(s, path, why, whylen, 1);
}

int tst_poke(const char *path, uint64_t off, uint8_t byte) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = pwrite(fd, &byte, 1, (off_t)off);
    close(fd);
    return w == 1 ? 0 : -1;
}

int tst_truncate_to(const char *path, uint64_t len) {
    return truncate(path, (off_t)len);
}

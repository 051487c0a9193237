/*
 * fsutil.c - the file-system side of import and export: walking a directory
 * tree in a stable order, checking that a stored relative path cannot escape
 * the export directory, and creating directories and files under it.
 */
#define _POSIX_C_SOURCE 200809L

#include "srd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

char *srdcli_path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *out = malloc(la + (size_t)slash + lb + 1);
    if (out == NULL) return NULL;
    memcpy(out, a, la);
    if (slash) out[la] = '/';
    memcpy(out + la + (size_t)slash, b, lb + 1);
    return out;
}

/* ---- walking ------------------------------------------------------------ */

typedef struct walk_ctx {
    const char *cmd;
    const char *root;
    srdcli_file_list *out;
    int have_skip;
    dev_t skip_dev;
    ino_t skip_ino;
} walk_ctx;

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_push(srdcli_file_list *l, char *rel, uint64_t size) {
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        srdcli_file *items = realloc(l->items, cap * sizeof *items);
        if (items == NULL) return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len].rel = rel;
    l->items[l->len].size = size;
    l->len++;
    l->total_bytes += size;
    return 0;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Reads the names in dir (without "." and ".."), sorted. */
static int read_names(const walk_ctx *w, const char *dir, char ***out_names, size_t *out_n) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        srdcli_errorf(w->cmd, "%s: %s", dir, strerror(errno));
        return SRDCLI_EXIT_FAILURE;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = SRDCLI_EXIT_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                srdcli_errorf(w->cmd, "%s: %s", dir, strerror(errno));
                rc = SRDCLI_EXIT_FAILURE;
            }
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **grown = realloc(names, ncap * sizeof *grown);
            if (grown == NULL) {
                rc = SRDCLI_EXIT_FAILURE;
                srdcli_errorf(w->cmd, "out of memory");
                break;
            }
            names = grown;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            rc = SRDCLI_EXIT_FAILURE;
            srdcli_errorf(w->cmd, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc != SRDCLI_EXIT_OK) {
        free_names(names, n);
        return rc;
    }
    if (n > 1) qsort(names, n, sizeof *names, cmp_names);
    *out_names = names;
    *out_n = n;
    return SRDCLI_EXIT_OK;
}

/* Walks root/rel (rel NULL for root itself). */
static int walk_dir(const walk_ctx *w, const char *rel) {
    char *dir = rel ? srdcli_path_join(w->root, rel) : strdup(w->root);
    if (dir == NULL) {
        srdcli_errorf(w->cmd, "out of memory");
        return SRDCLI_EXIT_FAILURE;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = read_names(w, dir, &names, &n);
    for (size_t i = 0; rc == SRDCLI_EXIT_OK && i < n; i++) {
        char *child_rel = rel ? srdcli_path_join(rel, names[i]) : strdup(names[i]);
        char *child = child_rel ? srdcli_path_join(w->root, child_rel) : NULL;
        struct stat st;
        if (child == NULL) {
            srdcli_errorf(w->cmd, "out of memory");
            rc = SRDCLI_EXIT_FAILURE;
        } else if (lstat(child, &st) != 0) {
            srdcli_errorf(w->cmd, "%s: %s", child, strerror(errno));
            rc = SRDCLI_EXIT_FAILURE;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk_dir(w, child_rel);
        } else if (!S_ISREG(st.st_mode)) {
            fprintf(stderr, "srd: %s: skipped %s (not a regular file)\n", w->cmd, child);
        } else if (w->have_skip && st.st_dev == w->skip_dev && st.st_ino == w->skip_ino) {
            fprintf(stderr, "srd: %s: skipped %s (it is the store itself)\n", w->cmd, child);
        } else if (list_push(w->out, child_rel, (uint64_t)st.st_size) != 0) {
            srdcli_errorf(w->cmd, "out of memory");
            rc = SRDCLI_EXIT_FAILURE;
        } else {
            child_rel = NULL; /* owned by the list now */
        }
        free(child);
        free(child_rel);
    }
    free_names(names, n);
    free(dir);
    return rc;
}

int srdcli_walk(const char *cmd, const char *root, srdcli_file_list *out, int have_skip,
             unsigned long long skip_dev, unsigned long long skip_ino) {
    struct stat st;
    if (stat(root, &st) != 0) {
        int e = errno;
        srdcli_errorf(cmd, "%s: %s", root, strerror(e));
        return e == ENOENT ? SRDCLI_EXIT_NOT_FOUND : SRDCLI_EXIT_FAILURE;
    }
    if (!S_ISDIR(st.st_mode)) {
        srdcli_errorf(cmd, "%s: not a directory", root);
        return SRDCLI_EXIT_USAGE;
    }
    walk_ctx w = {cmd, root, out, have_skip, (dev_t)skip_dev, (ino_t)skip_ino};
    return walk_dir(&w, NULL);
}

void srdcli_file_list_free(srdcli_file_list *l) {
    for (size_t i = 0; i < l->len; i++) free(l->items[i].rel);
    free(l->items);
    l->items = NULL;
    l->len = l->cap = 0;
    l->total_bytes = 0;
}

/* ---- paths and files ------------------------------------------------------ */

int srdcli_safe_relpath(const char *rel) {
    if (rel == NULL || rel[0] == '\0' || rel[0] == '/') return 0;
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0) return 0;                                   /* "a//b" or trailing '/' */
        if (n == 1 && p[0] == '.') return 0;                    /* "." */
        if (n == 2 && p[0] == '.' && p[1] == '.') return 0;     /* ".." */
        if (slash == NULL) return 1;
        p = slash + 1;
    }
}

/* mkdir that accepts an existing directory (but not a symbolic link to one when
 * no_symlink is set). */
static int ensure_dir(const char *path, int no_symlink) {
    if (mkdir(path, 0777) == 0) return 0;
    int e = errno;
    struct stat st;
    int r = no_symlink ? lstat(path, &st) : stat(path, &st);
    if (r == 0 && S_ISDIR(st.st_mode)) return 0;
    errno = (r == 0) ? ENOTDIR : e;
    return -1;
}

int srdcli_mkdir_p(const char *dir) {
    char *copy = strdup(dir);
    if (copy == NULL) return -1;
    int rc = 0;
    for (char *p = copy + 1; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        rc = ensure_dir(copy, 0);
        *p = '/';
        if (rc != 0) break;
    }
    if (rc == 0) rc = ensure_dir(copy, 0);
    int e = errno;
    free(copy);
    errno = e;
    return rc;
}

static int write_all(int fd, const uint8_t *data, size_t len) {
    while (len > 0) {
        size_t n = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
        ssize_t w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int srdcli_write_file_under(const char *root, const char *rel, const uint8_t *data, size_t len) {
    char *path = srdcli_path_join(root, rel);
    if (path == NULL) return -1;
    size_t root_len = strlen(path) - strlen(rel);
    int rc = 0;
    /* Parent directories below root: real directories only. */
    for (char *p = path + root_len; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        rc = ensure_dir(path, 1);
        *p = '/';
        if (rc != 0) break;
    }
    if (rc == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            rc = -1;
        } else {
            rc = write_all(fd, data, len);
            int e = errno;
            if (close(fd) != 0 && rc == 0) {
                rc = -1;
                e = errno;
            }
            errno = e;
        }
    }
    int e = errno;
    free(path);
    errno = e;
    return rc;
}

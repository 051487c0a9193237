/*
 * transfer.c - moving values between the store and files: streaming a value in
 * from stdin or a file (a chunk at a time), `import DIR` and `export DIR`.
 *
 * Keys are not stored in the file, only their hashes, so import also records
 * the relative paths it stored in the import manifest (manifest.c); export
 * writes the manifest's paths back by name and every other live value under
 * by-hash/<16 hex digits of the key hash>.bin.
 */
#define _POSIX_C_SOURCE 200809L

#include "srd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint8_t stream_buf[SRDCLI_CHUNK_SIZE];
static uint8_t first_buf[SRDCLI_CHUNK_SIZE];

srd_status srdcli_stream_from(srd_store *store, const uint8_t *key, size_t key_len,
                              uint64_t key_hash, FILE *in, const uint8_t *first, size_t first_len,
                              srdcli_progress *pg, uint64_t *done, uint64_t total,
                              int *read_errno) {
    srd_stream *s = NULL;
    srd_status st = key != NULL ? srd_stream_begin(store, key, key_len, &s)
                                : srd_stream_begin_with_hash(store, key_hash, &s);
    if (st != SRD_OK) return st;
    if (first_len > 0) {
        st = srd_stream_write(s, first, first_len);
        if (st != SRD_OK) {
            srd_stream_abort(s);
            return st;
        }
        *done += first_len;
        srdcli_progress_update(pg, *done, total);
    }
    for (;;) {
        size_t n = fread(stream_buf, 1, sizeof stream_buf, in);
        int e = errno;
        if (n > 0) {
            st = srd_stream_write(s, stream_buf, n);
            if (st != SRD_OK) {
                srd_stream_abort(s);
                return st;
            }
            *done += n;
            srdcli_progress_update(pg, *done, total);
        }
        if (n < sizeof stream_buf) {
            if (ferror(in)) {
                *read_errno = e;
                srd_stream_abort(s);
                return SRDCLI_READ_ERROR;
            }
            break; /* end of input */
        }
    }
    return srd_stream_commit(s); /* frees the stream whatever it returns */
}

/* ---- import ---------------------------------------------------------------- */

/* Imports one file; sets *kind to what the manifest must record. */
static int import_file(const char *cmd, srd_store *store, const char *dir, const char *rel,
                       char *kind, srdcli_progress *pg, uint64_t *done, uint64_t total) {
    char *full = srdcli_path_join(dir, rel);
    if (full == NULL) return srdcli_report(cmd, SRDCLI_NO_MEMORY);
    FILE *f = fopen(full, "rb");
    if (f == NULL) {
        srdcli_errorf(cmd, "%s: %s", full, strerror(errno));
        free(full);
        return SRDCLI_EXIT_FAILURE;
    }
    int rc = SRDCLI_EXIT_OK;
    size_t n = fread(first_buf, 1, sizeof first_buf, f);
    int e = errno;
    const uint8_t *key = (const uint8_t *)rel;
    size_t key_len = strlen(rel);
    if (n < sizeof first_buf && ferror(f)) {
        srdcli_errorf(cmd, "%s: %s", full, strerror(e));
        rc = SRDCLI_EXIT_FAILURE;
    } else if (n == 0 || (n == 1 && first_buf[0] == 0)) {
        /* The whole file (it ended inside the first chunk) is a value the format
         * cannot hold: remember it in the manifest only, and drop an older value. */
        *kind = n == 0 ? SRD_MANIFEST_EMPTY : SRD_MANIFEST_ZERO;
        srd_status st = srd_delete(store, key, key_len);
        if (st != SRD_OK && st != SRD_NOT_FOUND) rc = srdcli_report(cmd, st);
        *done += n;
        srdcli_progress_update(pg, *done, total);
    } else {
        *kind = SRD_MANIFEST_VALUE;
        int rerr = 0;
        srd_status st = srdcli_stream_from(store, key, key_len, 0, f, first_buf, n, pg, done, total, &rerr);
        if (st == SRDCLI_READ_ERROR) {
            srdcli_errorf(cmd, "%s: %s", full, strerror(rerr));
            rc = SRDCLI_EXIT_FAILURE;
        } else if (st != SRD_OK) {
            srdcli_errorf(cmd, "%s: %s", full, srd_last_error_message());
            rc = srdcli_exit_code(st);
        }
    }
    fclose(f);
    free(full);
    return rc;
}

int srdcli_cmd_import(const char *cmd, srd_store *store, const char *store_path, const char *dir) {
    struct stat sst;
    int have_skip = stat(store_path, &sst) == 0;
    srdcli_file_list files = {0};
    int rc = srdcli_walk(cmd, dir, &files, have_skip, have_skip ? (unsigned long long)sst.st_dev : 0,
                      have_skip ? (unsigned long long)sst.st_ino : 0);
    if (rc != SRDCLI_EXIT_OK) {
        srdcli_file_list_free(&files);
        return rc;
    }

    srdcli_manifest m = {0};
    int found = 0;
    const char *malformed = NULL;
    srd_status st = srdcli_manifest_load(store, &m, &found, &malformed);
    if (st != SRD_OK) {
        if (malformed) {
            srdcli_errorf(cmd, "%s (nothing imported)", malformed);
            rc = SRDCLI_EXIT_FAILURE;
        } else {
            rc = srdcli_report(cmd, st);
        }
        srdcli_manifest_free(&m);
        srdcli_file_list_free(&files);
        return rc;
    }

    srdcli_progress pg;
    srdcli_progress_init(&pg, "import");
    uint64_t done = 0;
    size_t imported = 0;
    srdcli_progress_update(&pg, 0, files.total_bytes);
    for (size_t i = 0; i < files.len; i++) {
        char kind = SRD_MANIFEST_VALUE;
        rc = import_file(cmd, store, dir, files.items[i].rel, &kind, &pg, &done, files.total_bytes);
        if (rc != SRDCLI_EXIT_OK) break;
        if (srdcli_manifest_add(&m, kind, files.items[i].rel) != 0) {
            rc = srdcli_report(cmd, SRDCLI_NO_MEMORY);
            break;
        }
        imported++;
    }
    if (rc == SRDCLI_EXIT_OK) srdcli_progress_update(&pg, files.total_bytes, files.total_bytes);
    srdcli_progress_finish(&pg);

    /* Record what was imported, even after a failure part-way. */
    srdcli_manifest_normalize(&m);
    st = srdcli_manifest_save(store, &m);
    if (st != SRD_OK) rc = srdcli_worse(rc, srdcli_report(cmd, st));
    if (rc == SRDCLI_EXIT_OK)
        printf("imported %zu file%s (%" PRIu64 " bytes) from %s\n", imported,
               imported == 1 ? "" : "s", done, dir);
    srdcli_manifest_free(&m);
    srdcli_file_list_free(&files);
    return rc;
}

/* ---- export ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

static int write_out(const char *cmd, const char *dir, const char *rel, const uint8_t *data,
                     size_t len) {
    if (srdcli_write_file_under(dir, rel, data, len) == 0) return SRDCLI_EXIT_OK;
    srdcli_errorf(cmd, "%s/%s: %s", dir, rel, strerror(errno));
    return SRDCLI_EXIT_FAILURE;
}

int srdcli_cmd_export(const char *cmd, srd_store *store, const char *dir) {
    if (srdcli_mkdir_p(dir) != 0) {
        srdcli_errorf(cmd, "%s: %s", dir, strerror(errno));
        return SRDCLI_EXIT_FAILURE;
    }
    srdcli_manifest m = {0};
    int found = 0;
    const char *malformed = NULL;
    srd_status st = srdcli_manifest_load(store, &m, &found, &malformed);
    if (st != SRD_OK) {
        int rc = malformed ? (srdcli_errorf(cmd, "%s", malformed), SRDCLI_EXIT_FAILURE) : srdcli_report(cmd, st);
        srdcli_manifest_free(&m);
        return rc;
    }
    uint8_t mkey[SRD_NAMESPACE_KEY_LEN];
    uint64_t manifest_hash = 0, live = 0;
    st = srdcli_manifest_key(mkey);
    if (st == SRD_OK) st = srd_hash_key(mkey, sizeof mkey, &manifest_hash);
    if (st == SRD_OK) st = srd_count(store, &live);
    if (st != SRD_OK) {
        srdcli_manifest_free(&m);
        return srdcli_report(cmd, st);
    }
    uint64_t *by_path_hashes = malloc((m.len ? m.len : 1) * sizeof *by_path_hashes);
    if (by_path_hashes == NULL) {
        srdcli_manifest_free(&m);
        return srdcli_report(cmd, SRDCLI_NO_MEMORY);
    }

    srdcli_progress pg;
    srdcli_progress_init(&pg, "export");
    uint64_t total = m.len + live, done = 0;
    size_t n_by_path = 0, n_named = 0, n_by_hash = 0, n_gone = 0;
    int rc = SRDCLI_EXIT_OK;
    srdcli_progress_update(&pg, 0, total);

    /* 1. Every manifest path whose key is live, by name. */
    for (size_t i = 0; i < m.len; i++) {
        const char *rel = m.recs[i].path;
        const uint8_t *v = NULL;
        size_t n = 0;
        uint64_t h = 0;
        srdcli_progress_update(&pg, ++done, total);
        if (!srdcli_safe_relpath(rel)) {
            srdcli_errorf(cmd, "refusing the unsafe path \"%s\" from the import manifest", rel);
            rc = srdcli_worse(rc, SRDCLI_EXIT_FAILURE);
            continue;
        }
        st = srd_hash_key((const uint8_t *)rel, strlen(rel), &h);
        if (st == SRD_OK) st = srd_read(store, (const uint8_t *)rel, strlen(rel), &v, &n);
        if (st == SRD_OK) {
            int r = write_out(cmd, dir, rel, v, n);
            rc = srdcli_worse(rc, r);
            if (r == SRDCLI_EXIT_OK) {
                by_path_hashes[n_by_path++] = h;
                n_named++;
            }
        } else if (st == SRD_NOT_FOUND && m.recs[i].kind != SRD_MANIFEST_VALUE) {
            static const uint8_t zero = 0;
            int r = m.recs[i].kind == SRD_MANIFEST_EMPTY ? write_out(cmd, dir, rel, &zero, 0)
                                                         : write_out(cmd, dir, rel, &zero, 1);
            rc = srdcli_worse(rc, r);
            if (r == SRDCLI_EXIT_OK) n_named++;
        } else if (st == SRD_NOT_FOUND) {
            n_gone++; /* deleted since it was imported */
        } else {
            srdcli_errorf(cmd, "%s: %s", rel, srd_last_error_message());
            rc = srdcli_worse(rc, SRDCLI_EXIT_FAILURE);
        }
    }
    if (n_by_path > 1) qsort(by_path_hashes, n_by_path, sizeof *by_path_hashes, cmp_u64);

    /* 2. Every other live value (not the manifest itself) by key hash. */
    srd_iter *it = NULL;
    st = srd_iter_new(store, &it);
    if (st != SRD_OK) rc = srdcli_worse(rc, srdcli_report(cmd, st));
    while (it != NULL) {
        uint64_t h = 0;
        const uint8_t *v = NULL;
        size_t n = 0;
        st = srd_iter_next(it, &h, &v, &n);
        if (st == SRD_NOT_FOUND) break;
        srdcli_progress_update(&pg, ++done, total);
        if (st == SRD_CORRUPT) { /* the iterator has moved past it */
            rc = srdcli_worse(rc, srdcli_report(cmd, st));
            continue;
        }
        if (st != SRD_OK) {
            rc = srdcli_worse(rc, srdcli_report(cmd, st));
            break;
        }
        if (h == manifest_hash) continue;
        if (n_by_path > 0 && bsearch(&h, by_path_hashes, n_by_path, sizeof h, cmp_u64) != NULL)
            continue;
        char name[64];
        snprintf(name, sizeof name, "by-hash/%016" PRIx64 ".bin", h);
        int r = write_out(cmd, dir, name, v, n);
        rc = srdcli_worse(rc, r);
        if (r == SRDCLI_EXIT_OK) n_by_hash++;
    }
    srd_iter_free(it);
    srdcli_progress_update(&pg, total, total);
    srdcli_progress_finish(&pg);

    printf("exported %zu file%s by path and %zu by key hash to %s", n_named, n_named == 1 ? "" : "s",
           n_by_hash, dir);
    if (n_gone > 0) printf(" (%zu imported paths are no longer in the store)", n_gone);
    printf("\n");
    free(by_path_hashes);
    srdcli_manifest_free(&m);
    return rc;
}

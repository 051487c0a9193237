/*
 * manifest.c - the import manifest.
 *
 * A store keeps only 64-bit key hashes, so the names of imported files cannot
 * be recovered from the file. `srd import` therefore also stores, under the
 * reserved 16-byte key srd_namespace_key("srd-cli", "import-manifest"), the
 * list of relative paths it imported. Its value is:
 *
 *     "srd-import-manifest 1\n"  then, for each path, sorted and unique:
 *     one kind byte, the path's bytes, one 0x00 byte
 *
 * Kind 'f': the file's bytes are the value of the key <path>. Kinds 'e' and
 * 'z': the file was empty / held exactly one 0x00 byte, values the format
 * cannot store, so only this record remembers it. Paths never contain 0x00.
 */
#define _POSIX_C_SOURCE 200809L

#include "srd.h"

#include <stdlib.h>
#include <string.h>

static const char MANIFEST_MAGIC[] = "srd-import-manifest 1\n";
#define MANIFEST_MAGIC_LEN (sizeof MANIFEST_MAGIC - 1)

srd_status srdcli_manifest_key(uint8_t out[SRD_NAMESPACE_KEY_LEN]) {
    static const char prefix[] = "srd-cli";
    static const char name[] = "import-manifest";
    return srd_namespace_key((const uint8_t *)prefix, sizeof prefix - 1, (const uint8_t *)name,
                             sizeof name - 1, out);
}

int srdcli_manifest_add(srdcli_manifest *m, char kind, const char *path) {
    if (m->len == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        srdcli_manifest_rec *recs = realloc(m->recs, cap * sizeof *recs);
        if (recs == NULL) return -1;
        m->recs = recs;
        m->cap = cap;
    }
    char *copy = strdup(path);
    if (copy == NULL) return -1;
    m->recs[m->len].kind = kind;
    m->recs[m->len].path = copy;
    m->recs[m->len].seq = m->len;
    m->len++;
    return 0;
}

static int valid_kind(char k) {
    return k == SRD_MANIFEST_VALUE || k == SRD_MANIFEST_EMPTY || k == SRD_MANIFEST_ZERO;
}

srd_status srdcli_manifest_load(const srd_store *store, srdcli_manifest *m, int *found,
                             const char **malformed) {
    uint8_t key[SRD_NAMESPACE_KEY_LEN];
    srd_status st = srdcli_manifest_key(key);
    if (st != SRD_OK) return st;
    const uint8_t *v = NULL;
    size_t n = 0;
    *found = 0;
    *malformed = NULL;
    st = srd_read(store, key, sizeof key, &v, &n);
    if (st == SRD_NOT_FOUND) return SRD_OK;
    if (st != SRD_OK) return st;
    *found = 1;
    if (n < MANIFEST_MAGIC_LEN || memcmp(v, MANIFEST_MAGIC, MANIFEST_MAGIC_LEN) != 0) {
        *malformed = "the import manifest has an unknown format";
        return SRD_CORRUPT;
    }
    size_t pos = MANIFEST_MAGIC_LEN;
    while (pos < n) {
        const uint8_t *nul = memchr(v + pos, 0, n - pos);
        if (nul == NULL || (size_t)(nul - (v + pos)) < 2 || !valid_kind((char)v[pos])) {
            *malformed = "the import manifest is malformed";
            return SRD_CORRUPT;
        }
        /* v + pos + 1 .. nul is the path, and *nul == 0 terminates it in place. */
        if (srdcli_manifest_add(m, (char)v[pos], (const char *)(v + pos + 1)) != 0) {
            return SRDCLI_NO_MEMORY;
        }
        pos = (size_t)(nul - v) + 1;
    }
    return SRD_OK;
}

static int cmp_recs(const void *a, const void *b) {
    const srdcli_manifest_rec *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c != 0) return c;
    return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}

void srdcli_manifest_normalize(srdcli_manifest *m) {
    if (m->len < 2) return;
    qsort(m->recs, m->len, sizeof *m->recs, cmp_recs);
    size_t out = 0;
    for (size_t i = 0; i < m->len; i++) {
        if (i + 1 < m->len && strcmp(m->recs[i].path, m->recs[i + 1].path) == 0) {
            free(m->recs[i].path); /* superseded by a later record */
            continue;
        }
        m->recs[out++] = m->recs[i];
    }
    m->len = out;
}

srd_status srdcli_manifest_save(srd_store *store, const srdcli_manifest *m) {
    if (m->len == 0) return SRD_OK;
    size_t total = MANIFEST_MAGIC_LEN;
    for (size_t i = 0; i < m->len; i++) total += strlen(m->recs[i].path) + 2;
    uint8_t *buf = malloc(total);
    if (buf == NULL) return SRDCLI_NO_MEMORY;
    memcpy(buf, MANIFEST_MAGIC, MANIFEST_MAGIC_LEN);
    size_t pos = MANIFEST_MAGIC_LEN;
    for (size_t i = 0; i < m->len; i++) {
        size_t l = strlen(m->recs[i].path);
        buf[pos++] = (uint8_t)m->recs[i].kind;
        memcpy(buf + pos, m->recs[i].path, l);
        pos += l;
        buf[pos++] = 0;
    }
    uint8_t key[SRD_NAMESPACE_KEY_LEN];
    srd_status st = srdcli_manifest_key(key);
    if (st == SRD_OK) st = srd_write(store, key, sizeof key, buf, total);
    free(buf);
    return st;
}

void srdcli_manifest_free(srdcli_manifest *m) {
    for (size_t i = 0; i < m->len; i++) free(m->recs[i].path);
    free(m->recs);
    m->recs = NULL;
    m->len = m->cap = 0;
}

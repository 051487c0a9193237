/*
 * forge_manifest - test helper: writes an import manifest of the tool's format
 * (see tools/srd/manifest.c) with arbitrary records into a store, so the tests
 * can check that `srd export` refuses unsafe paths a hostile or damaged store
 * could contain. `srd import` itself never produces such paths.
 *
 *   usage: forge_manifest STORE RECORD...   (RECORD = kind letter + path, e.g. "f../x")
 */
#include <simd_r_drive.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: forge_manifest STORE RECORD...\n");
        return 2;
    }
    static const char magic[] = "srd-import-manifest 1\n";
    size_t total = sizeof magic - 1;
    for (int i = 2; i < argc; i++) total += strlen(argv[i]) + 1;
    unsigned char *buf = malloc(total);
    if (buf == NULL) return 1;
    size_t pos = sizeof magic - 1;
    memcpy(buf, magic, pos);
    for (int i = 2; i < argc; i++) {
        size_t l = strlen(argv[i]);
        memcpy(buf + pos, argv[i], l + 1); /* kind, path and its terminating 0x00 */
        pos += l + 1;
    }
    uint8_t key[SRD_NAMESPACE_KEY_LEN];
    srd_store *s = NULL;
    srd_status st = srd_namespace_key((const uint8_t *)"srd-cli", 7,
                                      (const uint8_t *)"import-manifest", 15, key);
    if (st == SRD_OK) st = srd_open(argv[1], 0, &s);
    if (st == SRD_OK) st = srd_write(s, key, sizeof key, buf, total);
    if (st != SRD_OK) fprintf(stderr, "forge_manifest: %s\n", srd_last_error_message());
    srd_close(s);
    free(buf);
    return st == SRD_OK ? 0 : 1;
}

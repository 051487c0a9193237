/*
 * app.c - a consumer of an installed simd_r_drive, in C: opens a store in the directory
 * given as argv[1], writes, reads back without copying, reopens read-only, and checks that
 * the library loaded at run time is the one whose header it was compiled against.
 */
#include <simd_r_drive.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, srd_status st) {
    fprintf(stderr, "consumer (C): %s failed: %s (%s)\n", what, srd_status_str(st),
            srd_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    char path[4096];
    const char *dir = argc > 1 ? argv[1] : ".";
    srd_store *db = NULL;
    const uint8_t *value = NULL;
    size_t len = 0;
    srd_status st;

    if (srd_version_number() != SRD_VERSION_NUMBER) {
        fprintf(stderr, "consumer (C): header %s but library %s\n", SRD_VERSION_STRING,
                srd_version_string());
        return 1;
    }
    snprintf(path, sizeof path, "%s/consumer-c.srd", dir);
    remove(path);

    if ((st = srd_open(path, 0, &db)) != SRD_OK) return fail("srd_open", st);
    if ((st = srd_write(db, (const uint8_t *)"answer", 6, (const uint8_t *)"42", 2)) != SRD_OK)
        return fail("srd_write", st);
    if ((st = srd_read(db, (const uint8_t *)"answer", 6, &value, &len)) != SRD_OK)
        return fail("srd_read", st);
    if (len != 2 || memcmp(value, "42", 2) != 0) {
        fprintf(stderr, "consumer (C): read back the wrong value\n");
        return 1;
    }
    srd_close(db);

    if ((st = srd_open(path, SRD_OPEN_READ_ONLY, &db)) != SRD_OK) return fail("srd_open (read-only)", st);
    if ((st = srd_read(db, (const uint8_t *)"answer", 6, &value, &len)) != SRD_OK)
        return fail("srd_read (read-only)", st);
    if (len != 2 || memcmp(value, "42", 2) != 0) {
        fprintf(stderr, "consumer (C): read back the wrong value after reopening\n");
        return 1;
    }
    srd_close(db);
    remove(path);
    printf("consumer (C): simd_r_drive %s ok\n", srd_version_string());
    return 0;
}

/*
 * demo: the README's main job. Opens (or creates) a store, writes, batches,
 * reads without copying, deletes, compacts, reopens, and prints what it did.
 *
 *   usage: demo [STORE_PATH]      (default: demo.srd)
 */
#include <simd_r_drive.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, srd_status st) {
    fprintf(stderr, "demo: %s failed: %s (%s)\n", what, srd_status_str(st), srd_last_error_message());
    return 1;
}

#define CHECK(call, what)                         \
    do {                                          \
        srd_status st_ = (call);                  \
        if (st_ != SRD_OK) return fail(what, st_); \
    } while (0)

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "demo.srd";
    srd_store *store = NULL;
    uint64_t count = 0, size = 0;

    printf("simd-r-drive %s (header %s)\n", srd_version_string(), SRD_VERSION_STRING);
    CHECK(srd_open(path, 0, &store), "open");
    CHECK(srd_file_size(store, &size), "file_size");
    CHECK(srd_count(store, &count), "count");
    printf("opened %s: %" PRIu64 " live keys, %" PRIu64 " bytes\n", path, count, size);

    const char *greeting = "hello from C";
    CHECK(srd_write(store, u8("greeting"), 8, u8(greeting), strlen(greeting)), "write");
    printf("write   greeting = \"%s\"\n", greeting);

    float vec[16];
    for (int i = 0; i < 16; i++) vec[i] = (float)i * 0.5f;
    srd_kv batch[3] = {
        {u8("vector"), 6, (const uint8_t *)vec, sizeof vec},
        {u8("colour"), 6, u8("blue"), 4},
        {u8("colour"), 6, u8("green"), 5}, /* later items win */
    };
    CHECK(srd_write_batch(store, batch, 3), "write_batch");
    printf("batch   vector = 16 floats, colour = \"blue\" then \"green\"\n");

    const uint8_t *p = NULL;
    size_t n = 0;
    CHECK(srd_read(store, u8("greeting"), 8, &p, &n), "read");
    printf("read    greeting -> \"%.*s\" (%zu bytes, zero-copy at %p, 64-byte aligned: %s)\n", (int)n,
           (const char *)p, n, (const void *)p, ((uintptr_t)p % 64 == 0) ? "yes" : "no");

    CHECK(srd_read(store, u8("vector"), 6, &p, &n), "read");
    const float *fv = (const float *)p; /* aligned: readable as floats in place */
    float sum = 0;
    for (size_t i = 0; i < n / sizeof(float); i++) sum += fv[i];
    printf("read    vector -> %zu floats in place, sum %.1f\n", n / sizeof(float), sum);

    CHECK(srd_read(store, u8("colour"), 6, &p, &n), "read");
    printf("read    colour -> \"%.*s\"\n", (int)n, (const char *)p);

    CHECK(srd_write(store, u8("colour"), 6, u8("red"), 3), "write");
    CHECK(srd_delete(store, u8("greeting"), 8), "delete");
    srd_status st = srd_read(store, u8("greeting"), 8, &p, &n);
    printf("delete  greeting -> read now says: %s\n", srd_status_str(st));
    st = srd_write(store, u8("empty"), 5, u8(""), 0);
    printf("write   empty value -> rejected (%s): %s\n", srd_status_str(st), srd_last_error_message());

    srd_entry *pinned = NULL;
    CHECK(srd_read_entry(store, u8("colour"), 6, &pinned), "read_entry");
    CHECK(srd_file_size(store, &size), "file_size");
    printf("before compaction: %" PRIu64 " bytes\n", size);
    CHECK(srd_compact(store), "compact");
    CHECK(srd_file_size(store, &size), "file_size");
    CHECK(srd_count(store, &count), "count");
    printf("after compaction:  %" PRIu64 " bytes, %" PRIu64 " live keys\n", size, count);
    srd_close(store);

    const uint8_t *pd = srd_entry_data(pinned, &n);
    printf("pinned  colour still readable after compact+close -> \"%.*s\"\n", (int)n, (const char *)pd);
    srd_entry_free(pinned);

    CHECK(srd_open(path, SRD_OPEN_READ_ONLY, &store), "reopen read-only");
    CHECK(srd_count(store, &count), "count");
    st = srd_write(store, u8("x"), 1, u8("y"), 1);
    printf("reopened read-only: %" PRIu64 " live keys; a write there -> %s\n", count, srd_status_str(st));
    srd_close(store);
    printf("done: store left at %s\n", path);
    return 0;
}

/*
 * header_check.c - compiles simd_r_drive.h as strict C99/C11 (and, through
 * header_check.cpp, as C++11/C++17) with -Wall -Wextra -Werror -pedantic.
 *
 * Every function is assigned to a pointer of the exact type the API documents, so a
 * changed signature fails to compile; every constant is referenced; the version macros
 * must be usable in #if; and srd_version_number() is called at run time.
 */
#include "simd_r_drive.h"

#include <stdio.h>
#include <string.h>

#if !defined(SRD_VERSION_MAJOR) || !defined(SRD_VERSION_MINOR) || !defined(SRD_VERSION_PATCH) || \
    !defined(SRD_VERSION_NUMBER) || !defined(SRD_VERSION_STRING)
#error "version macros missing"
#endif
#if SRD_VERSION_NUMBER != SRD_VERSION_MAJOR * 1000000 + SRD_VERSION_MINOR * 1000 + SRD_VERSION_PATCH
#error "SRD_VERSION_NUMBER does not match MAJOR/MINOR/PATCH"
#endif
#if !defined(SRD_OPEN_READ_ONLY) || !defined(SRD_OPEN_NO_CREATE) || !defined(SRD_OPEN_SYNC) || \
    !defined(SRD_OPEN_NO_VERIFY) || !defined(SRD_OPEN_NO_INDEX_FILE)
#error "open flag macros missing"
#endif
#if SRD_OPEN_READ_ONLY != 1 || SRD_OPEN_NO_CREATE != 2 || SRD_OPEN_SYNC != 4 || SRD_OPEN_NO_VERIFY != 8 || \
    SRD_OPEN_NO_INDEX_FILE != 16
#error "open flag values changed"
#endif

/* C89-style static assertions that work in C99, C11, C++11 and C++17 alike */
typedef char tst_check_status_size[sizeof(srd_status) == 4 ? 1 : -1];
typedef char tst_check_kv_layout[offsetof(srd_kv, key) == 0 &&
                                         offsetof(srd_kv, key_len) == sizeof(void *) &&
                                         offsetof(srd_kv, value) == 2 * sizeof(void *) &&
                                         offsetof(srd_kv, value_len) == 3 * sizeof(void *) &&
                                         sizeof(srd_kv) == 4 * sizeof(void *)
                                     ? 1
                                     : -1];
typedef char tst_check_key_layout[offsetof(srd_key, key) == 0 &&
                                          offsetof(srd_key, key_len) == sizeof(void *) &&
                                          sizeof(srd_key) == 2 * sizeof(void *)
                                      ? 1
                                      : -1];

typedef srd_status (*open_fn)(const char *, uint32_t, srd_store **);
typedef void (*close_fn)(srd_store *);
typedef srd_status (*write_fn)(srd_store *, const uint8_t *, size_t, const uint8_t *, size_t);
typedef srd_status (*write_batch_fn)(srd_store *, const srd_kv *, size_t);
typedef srd_status (*read_fn)(const srd_store *, const uint8_t *, size_t, const uint8_t **, size_t *);
typedef srd_status (*read_entry_fn)(const srd_store *, const uint8_t *, size_t, srd_entry **);
typedef const uint8_t *(*entry_data_fn)(const srd_entry *, size_t *);
typedef void (*entry_free_fn)(srd_entry *);
typedef srd_status (*key_fn)(const srd_store *, const uint8_t *, size_t);
typedef srd_status (*delete_fn)(srd_store *, const uint8_t *, size_t);
typedef srd_status (*delete_batch_fn)(srd_store *, const srd_key *, size_t);
typedef srd_status (*store_fn)(srd_store *);
typedef srd_status (*u64_fn)(const srd_store *, uint64_t *);
typedef const char *(*status_str_fn)(int32_t);
typedef const char *(*str_fn)(void);
typedef uint32_t (*u32_fn)(void);

struct tst_api_table {
    open_fn open;
    close_fn close;
    write_fn write;
    write_batch_fn write_batch;
    read_fn read;
    read_entry_fn read_entry;
    entry_data_fn entry_data;
    entry_free_fn entry_free;
    key_fn exists;
    delete_fn del;
    delete_batch_fn delete_batch;
    store_fn compact;
    store_fn sync;
    u64_fn count;
    u64_fn file_size;
    status_str_fn status_str;
    str_fn last_error_message;
    u32_fn version_number;
    str_fn version_string;
};

int main(void) {
    struct tst_api_table t;
    t.open = &srd_open;
    t.close = &srd_close;
    t.write = &srd_write;
    t.write_batch = &srd_write_batch;
    t.read = &srd_read;
    t.read_entry = &srd_read_entry;
    t.entry_data = &srd_entry_data;
    t.entry_free = &srd_entry_free;
    t.exists = &srd_exists;
    t.del = &srd_delete;
    t.delete_batch = &srd_delete_batch;
    t.compact = &srd_compact;
    t.sync = &srd_sync;
    t.count = &srd_count;
    t.file_size = &srd_file_size;
    t.status_str = &srd_status_str;
    t.last_error_message = &srd_last_error_message;
    t.version_number = &srd_version_number;
    t.version_string = &srd_version_string;

    const srd_status codes[] = {SRD_OK,      SRD_NOT_FOUND, SRD_INVALID_ARGUMENT,
                                SRD_IO,      SRD_CORRUPT,   SRD_LOCKED,
                                SRD_READ_ONLY, SRD_PANIC};
    const uint32_t flags =
        SRD_OPEN_READ_ONLY | SRD_OPEN_NO_CREATE | SRD_OPEN_SYNC | SRD_OPEN_NO_VERIFY | SRD_OPEN_NO_INDEX_FILE;
    const char *version = SRD_VERSION_STRING;
    unsigned long major = SRD_VERSION_MAJOR, minor = SRD_VERSION_MINOR, patch = SRD_VERSION_PATCH;

    int failures = 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if ((int)codes[i] != (int)i) failures++;
        if (t.status_str((int32_t)codes[i]) == NULL) failures++;
    }
    if (flags != 31u) failures++;
    if (t.version_number() != (uint32_t)SRD_VERSION_NUMBER) failures++;
    if (srd_version_number() != (uint32_t)(major * 1000000ul + minor * 1000ul + patch)) failures++;
    if (strcmp(t.version_string(), version) != 0) failures++;
    printf("simd_r_drive.h %s: version %s, %lu.%lu.%lu, %s\n", HEADER_CHECK_DIALECT, version, major,
           minor, patch, failures ? "MISMATCH" : "ok");
    return failures ? 1 : 0;
}

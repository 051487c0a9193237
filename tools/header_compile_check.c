/*
 * header_compile_check.c - compiled by build.rs against the header cbindgen has just
 * generated, as C99 and C11 (and C++11 when a C++ compiler is found), with
 * -Wall -Wextra -Werror -pedantic, so that a header that does not compile fails the
 * cargo build itself. Only the syntax is checked (no object, no link); the full
 * compile-and-link check of the installed header is c_tests/header_check.c.
 */
#include "simd_r_drive.h"

/* Every handle and struct type is complete or declared, the status is 32 bits wide. */
typedef char srd_hcc_status_size[sizeof(srd_status) == 4 ? 1 : -1];
typedef char srd_hcc_kv_size[sizeof(srd_kv) == 4 * sizeof(void *) ? 1 : -1];

/* One use of each kind of declaration, so nothing is merely skipped. */
struct srd_hcc_uses {
    srd_store *store;
    srd_entry *entry;
    srd_iter *iter;
    srd_stream *stream;
    srd_key key;
    srd_read_result result;
    srd_verify_report verify;
    srd_salvage_report salvage;
    srd_progress_fn progress;
    srd_status (*open)(const char *path, uint32_t flags, srd_store **out_store);
    const char *(*last_error)(void);
};

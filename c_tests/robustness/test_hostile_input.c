/*
 * test_hostile_input.c - every exported function with hostile arguments.
 *
 * A table of cases calls EVERY function of simd_r_drive.h with NULL handles, NULL
 * pointers with and without lengths, zero lengths, SIZE_MAX lengths and counts,
 * misaligned arrays, unknown flags, invalid iterator partitions, read-only handles,
 * missing / directory / too-long paths. Each case runs on a FRESH thread (whose
 * srd_last_error_message() starts empty) and must:
 *   - return its documented status (a few cases whose status the header leaves open
 *     accept a second one: noted in the table);
 *   - on failure leave a non-empty srd_last_error_message(), and leave every output
 *     untouched (all outputs are pre-filled with a 0xA5 sentinel pattern and compared);
 *   - on success leave the message empty ("successful calls do not change it");
 *   - leave every watched file exactly as it was (bytes, size, mtime, inode; files that
 *     did not exist are not created): the store, a second store, a missing path, ...
 * The free functions (srd_close, srd_entry_free, srd_iter_free, srd_stream_abort) with
 * NULL are no-ops; srd_entry_data(NULL) gives NULL and length 0.
 *
 * Outside the table:
 *   - SRD_BUSY: on the thread that holds an open stream, every writing call (write,
 *     batch, prehashed write, delete, delete batch, prehashed delete, rename, copy into,
 *     move out of, compact, compact with progress, a second stream) fails at once with
 *     SRD_BUSY and changes nothing, while reads and srd_sync still work; aborting leaves
 *     the file as before srd_stream_begin; committing an empty or single-0x00 stream is
 *     SRD_INVALID_ARGUMENT and leaves the file as before; rejected stream writes (NULL
 *     with a length, SIZE_MAX) add nothing to the value;
 *   - iterators: failed srd_iter_next calls do not advance; partitions 0..n-1 cover the
 *     live keys exactly once for several n including UINT32_MAX;
 *   - sizes: keys of 1 B .. 16 MiB and values of 1 B .. 64 MiB (SRD_TEST_SCALE scales the
 *     largest) are written, read back (srd_read, srd_read_entry, srd_entry_read_at),
 *     survive a reopen and a compaction, and are deleted;
 *   - non-UTF-8 paths (a file name and a directory name with invalid UTF-8) work for
 *     open, write, compaction, reopen, salvage; the file is created under the exact bytes;
 *   - srd_status_str for every known and several unknown codes; version functions.
 */
#include "tst_robust.h"

#include <pthread.h>

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

struct outs {
    srd_store *store;
    const uint8_t *ptr;
    size_t len;
    srd_entry *entry;
    srd_iter *iter;
    srd_stream *stream;
    uint64_t u64;
    uint32_t u32;
    size_t n;
    uint8_t buf[64];
    uint8_t nskey[SRD_NAMESPACE_KEY_LEN];
    srd_read_result res[4];
    srd_verify_report vrep;
    srd_salvage_report srep;
};

struct hx {
    srd_store *rw;       /* main store, read-write */
    srd_store *ro;       /* main store, read-only handle */
    srd_store *dst;      /* second store, read-write */
    srd_store *dst_ro;   /* second store, read-only */
    srd_store *empty_ro; /* an empty store, read-only */
    srd_entry *entry;    /* pinned value of "present" */
    srd_entry *junk;     /* pinned value that is not a store file */
    srd_iter *iter;      /* an iterator on the main store */
    struct outs o;
    char main_path[PATH_MAX], dst_path[PATH_MAX], missing[PATH_MAX], in_missing_dir[PATH_MAX];
    char dir[PATH_MAX], under_file[PATH_MAX + 16], salvage_dst[PATH_MAX];
    char *too_long, *long_component;
};

static struct hx C;
static uint64_t present_hash, absent_hash;
static uint8_t big_junk[256];

#define P(s) ((const uint8_t *)(s))
#define PRESENT P("present"), 7
#define ABSENT P("absent"), 6
#define INV SRD_INVALID_ARGUMENT
#define NF SRD_NOT_FOUND
#define RO_ SRD_READ_ONLY
#define NOALT (-1)

static const uint8_t zero1[1] = {0};
static const uint8_t *const nonnull = (const uint8_t *)"x"; /* valid pointer, for SIZE_MAX */

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

#define CASE(id) static int32_t case_##id(struct hx *c __attribute__((unused)))

/* srd_open */
CASE(open_null_path) { return srd_open(NULL, 0, &c->o.store); }
CASE(open_empty_path) { return srd_open("", 0, &c->o.store); }
CASE(open_null_out_missing) { return srd_open(c->missing, 0, NULL); }
CASE(open_null_out_existing) { return srd_open(c->main_path, SRD_OPEN_READ_ONLY, NULL); }
CASE(open_flag128_missing) { return srd_open(c->missing, 128, &c->o.store); }
CASE(open_flag_high_missing) { return srd_open(c->missing, 0x80000000u, &c->o.store); }
CASE(open_flag_all_missing) { return srd_open(c->missing, UINT32_MAX, &c->o.store); }
CASE(open_flag_ro_unknown_existing) { return srd_open(c->main_path, SRD_OPEN_READ_ONLY | 128, &c->o.store); }
CASE(open_missing_nocreate) { return srd_open(c->missing, SRD_OPEN_NO_CREATE, &c->o.store); }
CASE(open_missing_ro) { return srd_open(c->missing, SRD_OPEN_READ_ONLY, &c->o.store); }
CASE(open_missing_ro_nocreate) { return srd_open(c->missing, SRD_OPEN_READ_ONLY | SRD_OPEN_NO_CREATE, &c->o.store); }
CASE(open_in_missing_dir) { return srd_open(c->in_missing_dir, 0, &c->o.store); }
CASE(open_dir_rw) { return srd_open(c->dir, 0, &c->o.store); }
CASE(open_dir_ro) { return srd_open(c->dir, SRD_OPEN_READ_ONLY, &c->o.store); }
CASE(open_dir_nocreate) { return srd_open(c->dir, SRD_OPEN_NO_CREATE, &c->o.store); }
CASE(open_too_long) { return srd_open(c->too_long, 0, &c->o.store); }
CASE(open_too_long_ro) { return srd_open(c->too_long, SRD_OPEN_READ_ONLY, &c->o.store); }
CASE(open_long_component) { return srd_open(c->long_component, 0, &c->o.store); }
CASE(open_under_file) { return srd_open(c->under_file, 0, &c->o.store); }
CASE(open_locked) { return srd_open(c->main_path, 0, &c->o.store); }
CASE(open_locked_sync) { return srd_open(c->main_path, SRD_OPEN_SYNC | SRD_OPEN_NO_CREATE, &c->o.store); }

/* srd_write */
CASE(write_null_store) { return srd_write(NULL, PRESENT, P("v"), 1); }
CASE(write_null_key_len) { return srd_write(c->rw, NULL, 3, P("v"), 1); }
CASE(write_null_key_0) { return srd_write(c->rw, NULL, 0, P("v"), 1); }
CASE(write_empty_key) { return srd_write(c->rw, P("k"), 0, P("v"), 1); }
CASE(write_key_sizemax) { return srd_write(c->rw, nonnull, SIZE_MAX, P("v"), 1); }
CASE(write_null_value_len) { return srd_write(c->rw, PRESENT, NULL, 5); }
CASE(write_null_value_0) { return srd_write(c->rw, PRESENT, NULL, 0); }
CASE(write_empty_value) { return srd_write(c->rw, PRESENT, P("v"), 0); }
CASE(write_zero_byte) { return srd_write(c->rw, PRESENT, zero1, 1); }
CASE(write_value_sizemax) { return srd_write(c->rw, PRESENT, nonnull, SIZE_MAX); }
CASE(write_value_halfmax) { return srd_write(c->rw, PRESENT, nonnull, (SIZE_MAX >> 1) + 1); }
CASE(write_ro) { return srd_write(c->ro, PRESENT, P("v"), 1); }
CASE(write_ro_invalid) { return srd_write(c->ro, PRESENT, zero1, 1); }

/* srd_write_batch */
static srd_kv batch_bad_key[3], batch_zero_val[2], batch_null_val[2], batch_key_max[2], batch_ok[2];
static uint8_t misaligned_mem[256] __attribute__((aligned(64)));
CASE(batch_null_store) { return srd_write_batch(NULL, batch_ok, 2); }
CASE(batch_null_items) { return srd_write_batch(c->rw, NULL, 2); }
CASE(batch_count_0_null) { return srd_write_batch(c->rw, NULL, 0); }
CASE(batch_count_0_ro) { return srd_write_batch(c->ro, NULL, 0); }
CASE(batch_count_sizemax) { return srd_write_batch(c->rw, batch_ok, SIZE_MAX); }
CASE(batch_count_overflow) { return srd_write_batch(c->rw, batch_ok, SIZE_MAX / sizeof(srd_kv) + 1); }
CASE(batch_bad_key_middle) { return srd_write_batch(c->rw, batch_bad_key, 3); }
CASE(batch_zero_value) { return srd_write_batch(c->rw, batch_zero_val, 2); }
CASE(batch_null_value) { return srd_write_batch(c->rw, batch_null_val, 2); }
CASE(batch_key_sizemax) { return srd_write_batch(c->rw, batch_key_max, 2); }
CASE(batch_misaligned) {
    (void)c;
    return srd_write_batch(c->rw, (const srd_kv *)(const void *)(misaligned_mem + 1), 1);
}
CASE(batch_ro) { return srd_write_batch(c->ro, batch_ok, 2); }

/* srd_read */
CASE(read_null_store) { return srd_read(NULL, PRESENT, &c->o.ptr, &c->o.len); }
CASE(read_null_key) { return srd_read(c->rw, NULL, 4, &c->o.ptr, &c->o.len); }
CASE(read_empty_key) { return srd_read(c->rw, P("k"), 0, &c->o.ptr, &c->o.len); }
CASE(read_null_key_0) { return srd_read(c->rw, NULL, 0, &c->o.ptr, &c->o.len); }
CASE(read_key_sizemax) { return srd_read(c->rw, nonnull, SIZE_MAX, &c->o.ptr, &c->o.len); }
CASE(read_null_out_value) { return srd_read(c->rw, PRESENT, NULL, &c->o.len); }
CASE(read_null_out_len) { return srd_read(c->rw, PRESENT, &c->o.ptr, NULL); }
CASE(read_absent) { return srd_read(c->rw, ABSENT, &c->o.ptr, &c->o.len); }
CASE(read_deleted) { return srd_read(c->rw, P("gone"), 4, &c->o.ptr, &c->o.len); }
CASE(read_absent_ro) { return srd_read(c->ro, ABSENT, &c->o.ptr, &c->o.len); }

/* srd_read_entry */
CASE(rentry_null_store) { return srd_read_entry(NULL, PRESENT, &c->o.entry); }
CASE(rentry_null_key) { return srd_read_entry(c->rw, NULL, 2, &c->o.entry); }
CASE(rentry_empty_key) { return srd_read_entry(c->rw, P("k"), 0, &c->o.entry); }
CASE(rentry_key_sizemax) { return srd_read_entry(c->rw, nonnull, SIZE_MAX, &c->o.entry); }
CASE(rentry_null_out) { return srd_read_entry(c->rw, PRESENT, NULL); }
CASE(rentry_absent) { return srd_read_entry(c->rw, ABSENT, &c->o.entry); }

/* srd_exists */
CASE(exists_null_store) { (void)c; return srd_exists(NULL, PRESENT); }
CASE(exists_null_key) { return srd_exists(c->rw, NULL, 9); }
CASE(exists_empty_key) { return srd_exists(c->rw, P("k"), 0); }
CASE(exists_key_sizemax) { return srd_exists(c->rw, nonnull, SIZE_MAX); }
CASE(exists_absent) { return srd_exists(c->rw, ABSENT); }

/* srd_delete */
CASE(delete_null_store) { (void)c; return srd_delete(NULL, PRESENT); }
CASE(delete_null_key) { return srd_delete(c->rw, NULL, 1); }
CASE(delete_empty_key) { return srd_delete(c->rw, P("k"), 0); }
CASE(delete_key_sizemax) { return srd_delete(c->rw, nonnull, SIZE_MAX); }
CASE(delete_absent) { return srd_delete(c->rw, ABSENT); }
CASE(delete_deleted) { return srd_delete(c->rw, P("gone"), 4); }
CASE(delete_ro) { return srd_delete(c->ro, PRESENT); }

/* srd_delete_batch */
static srd_key keys_bad_middle[3], keys_absent[2], keys_ok[2], keys_max[1];
CASE(dbatch_null_store) { (void)c; return srd_delete_batch(NULL, keys_ok, 2); }
CASE(dbatch_null_keys) { return srd_delete_batch(c->rw, NULL, 1); }
CASE(dbatch_count_0) { return srd_delete_batch(c->rw, NULL, 0); }
CASE(dbatch_count_0_ro) { return srd_delete_batch(c->ro, NULL, 0); }
CASE(dbatch_count_sizemax) { return srd_delete_batch(c->rw, keys_ok, SIZE_MAX); }
CASE(dbatch_bad_middle) { return srd_delete_batch(c->rw, keys_bad_middle, 3); }
CASE(dbatch_key_sizemax) { return srd_delete_batch(c->rw, keys_max, 1); }
CASE(dbatch_all_absent) { return srd_delete_batch(c->rw, keys_absent, 2); }
CASE(dbatch_ro) { return srd_delete_batch(c->ro, keys_ok, 2); }

/* compaction, sync */
CASE(compact_null) { (void)c; return srd_compact(NULL); }
CASE(compact_ro) { return srd_compact(c->ro); }
CASE(compactp_null) { (void)c; return srd_compact_progress(NULL, NULL, NULL); }
CASE(compactp_ro) { return srd_compact_progress(c->ro, NULL, NULL); }
CASE(sync_null) { (void)c; return srd_sync(NULL); }
CASE(sync_ro) { return srd_sync(c->ro); }

/* counters */
CASE(count_null_store) { return srd_count(NULL, &c->o.u64); }
CASE(count_null_out) { return srd_count(c->rw, NULL); }
CASE(fsize_null_store) { return srd_file_size(NULL, &c->o.u64); }
CASE(fsize_null_out) { return srd_file_size(c->rw, NULL); }
CASE(ecount_null_store) { return srd_entry_count(NULL, &c->o.u64); }
CASE(ecount_null_out) { return srd_entry_count(c->rw, NULL); }
CASE(reclaim_null_store) { return srd_reclaimable_bytes(NULL, &c->o.u64); }
CASE(reclaim_null_out) { return srd_reclaimable_bytes(c->rw, NULL); }

/* prehashed */
CASE(wh_null_store) { (void)c; return srd_write_with_hash(NULL, present_hash, P("v"), 1); }
CASE(wh_null_value) { return srd_write_with_hash(c->rw, present_hash, NULL, 3); }
CASE(wh_empty_value) { return srd_write_with_hash(c->rw, present_hash, P("v"), 0); }
CASE(wh_zero_byte) { return srd_write_with_hash(c->rw, present_hash, zero1, 1); }
CASE(wh_value_sizemax) { return srd_write_with_hash(c->rw, present_hash, nonnull, SIZE_MAX); }
CASE(wh_ro) { return srd_write_with_hash(c->ro, present_hash, P("v"), 1); }
CASE(rh_null_store) { return srd_read_with_hash(NULL, present_hash, &c->o.ptr, &c->o.len); }
CASE(rh_null_out_value) { return srd_read_with_hash(c->rw, present_hash, NULL, &c->o.len); }
CASE(rh_null_out_len) { return srd_read_with_hash(c->rw, present_hash, &c->o.ptr, NULL); }
CASE(rh_absent) { return srd_read_with_hash(c->rw, absent_hash, &c->o.ptr, &c->o.len); }
CASE(reh_null_store) { return srd_read_entry_with_hash(NULL, present_hash, &c->o.entry); }
CASE(reh_null_out) { return srd_read_entry_with_hash(c->rw, present_hash, NULL); }
CASE(reh_absent) { return srd_read_entry_with_hash(c->rw, absent_hash, &c->o.entry); }
CASE(eh_null_store) { (void)c; return srd_exists_with_hash(NULL, present_hash); }
CASE(eh_absent) { return srd_exists_with_hash(c->rw, absent_hash); }
CASE(dh_null_store) { (void)c; return srd_delete_with_hash(NULL, present_hash); }
CASE(dh_absent) { return srd_delete_with_hash(c->rw, absent_hash); }
CASE(dh_ro) { return srd_delete_with_hash(c->ro, present_hash); }

/* batch reads */
static uint64_t hashes_ok[2];
CASE(rb_null_store) { return srd_read_batch(NULL, keys_ok, 2, c->o.res); }
CASE(rb_null_keys) { return srd_read_batch(c->rw, NULL, 2, c->o.res); }
CASE(rb_null_out) { return srd_read_batch(c->rw, keys_ok, 2, NULL); }
CASE(rb_count_0) { return srd_read_batch(c->rw, NULL, 0, NULL); }
CASE(rb_bad_middle) { return srd_read_batch(c->rw, keys_bad_middle, 3, c->o.res); }
CASE(rb_key_sizemax) { return srd_read_batch(c->rw, keys_max, 1, c->o.res); }
CASE(rb_count_sizemax) { return srd_read_batch(c->rw, keys_ok, SIZE_MAX, c->o.res); }
CASE(rbh_null_store) { return srd_read_batch_with_hash(NULL, hashes_ok, 2, c->o.res); }
CASE(rbh_null_hashes) { return srd_read_batch_with_hash(c->rw, NULL, 2, c->o.res); }
CASE(rbh_null_out) { return srd_read_batch_with_hash(c->rw, hashes_ok, 2, NULL); }
CASE(rbh_count_0) { return srd_read_batch_with_hash(c->rw, NULL, 0, NULL); }
CASE(rbh_count_sizemax) { return srd_read_batch_with_hash(c->rw, hashes_ok, SIZE_MAX, c->o.res); }
CASE(rbh_misaligned) {
    return srd_read_batch_with_hash(c->rw, (const uint64_t *)(const void *)(misaligned_mem + 3), 1,
                                    c->o.res);
}

/* read_last */
CASE(rl_null_store) { return srd_read_last(NULL, &c->o.u64, &c->o.ptr, &c->o.len); }
CASE(rl_null_hash) { return srd_read_last(c->rw, NULL, &c->o.ptr, &c->o.len); }
CASE(rl_null_value) { return srd_read_last(c->rw, &c->o.u64, NULL, &c->o.len); }
CASE(rl_null_len) { return srd_read_last(c->rw, &c->o.u64, &c->o.ptr, NULL); }
CASE(rl_empty) { return srd_read_last(c->empty_ro, &c->o.u64, &c->o.ptr, &c->o.len); }

/* refresh */
CASE(refresh_null) { (void)c; return srd_refresh(NULL); }
CASE(refresh_rw) { return srd_refresh(c->rw); }
CASE(refresh_ro) { return srd_refresh(c->ro); }

/* entries */
CASE(era_null_entry) { return srd_entry_read_at(NULL, 0, c->o.buf, sizeof c->o.buf, &c->o.n); }
CASE(era_null_out) { return srd_entry_read_at(c->entry, 0, c->o.buf, sizeof c->o.buf, NULL); }
CASE(era_null_buf) { return srd_entry_read_at(c->entry, 0, NULL, 4, &c->o.n); }
CASE(era_offset_beyond) { return srd_entry_read_at(c->entry, 1000, c->o.buf, sizeof c->o.buf, &c->o.n); }
CASE(era_offset_max) { return srd_entry_read_at(c->entry, UINT64_MAX, c->o.buf, sizeof c->o.buf, &c->o.n); }
CASE(ekh_null_entry) { return srd_entry_key_hash(NULL, &c->o.u64); }
CASE(ekh_null_out) { return srd_entry_key_hash(c->entry, NULL); }
CASE(eck_null_entry) { return srd_entry_checksum(NULL, &c->o.u32); }
CASE(eck_null_out) { return srd_entry_checksum(c->entry, NULL); }
CASE(eoff_null_entry) { return srd_entry_offset(NULL, &c->o.u64); }
CASE(eoff_null_out) { return srd_entry_offset(c->entry, NULL); }
CASE(ever_null_entry) { (void)c; return srd_entry_verify(NULL); }

/* streams */
CASE(sb_null_store) { return srd_stream_begin(NULL, PRESENT, &c->o.stream); }
CASE(sb_null_key) { return srd_stream_begin(c->rw, NULL, 3, &c->o.stream); }
CASE(sb_empty_key) { return srd_stream_begin(c->rw, P("k"), 0, &c->o.stream); }
CASE(sb_key_sizemax) { return srd_stream_begin(c->rw, nonnull, SIZE_MAX, &c->o.stream); }
CASE(sb_null_out) { return srd_stream_begin(c->rw, PRESENT, NULL); }
CASE(sb_ro) { return srd_stream_begin(c->ro, PRESENT, &c->o.stream); }
CASE(sbh_null_store) { return srd_stream_begin_with_hash(NULL, present_hash, &c->o.stream); }
CASE(sbh_null_out) { return srd_stream_begin_with_hash(c->rw, present_hash, NULL); }
CASE(sbh_ro) { return srd_stream_begin_with_hash(c->ro, present_hash, &c->o.stream); }
CASE(sw_null_stream) { (void)c; return srd_stream_write(NULL, P("abc"), 3); }
CASE(sw_null_stream_0) { (void)c; return srd_stream_write(NULL, NULL, 0); }
CASE(sc_null_stream) { (void)c; return srd_stream_commit(NULL); }

/* iterators */
CASE(it_null_store) { return srd_iter_new(NULL, &c->o.iter); }
CASE(it_null_out) { return srd_iter_new(c->rw, NULL); }
CASE(itp_parts_0) { return srd_iter_new_part(c->rw, 0, 0, &c->o.iter); }
CASE(itp_part_eq_parts) { return srd_iter_new_part(c->rw, 1, 1, &c->o.iter); }
CASE(itp_part_gt_parts) { return srd_iter_new_part(c->rw, 5, 3, &c->o.iter); }
CASE(itp_max_max) { return srd_iter_new_part(c->rw, UINT32_MAX, UINT32_MAX, &c->o.iter); }
CASE(itp_max_0) { return srd_iter_new_part(c->rw, UINT32_MAX, 0, &c->o.iter); }
CASE(itp_null_store) { return srd_iter_new_part(NULL, 0, 1, &c->o.iter); }
CASE(itp_null_out) { return srd_iter_new_part(c->rw, 0, 2, NULL); }
CASE(in_null_iter) { return srd_iter_next(NULL, &c->o.u64, &c->o.ptr, &c->o.len); }
CASE(in_null_hash) { return srd_iter_next(c->iter, NULL, &c->o.ptr, &c->o.len); }
CASE(in_null_value) { return srd_iter_next(c->iter, &c->o.u64, NULL, &c->o.len); }
CASE(in_null_len) { return srd_iter_next(c->iter, &c->o.u64, &c->o.ptr, NULL); }

/* keys */
CASE(hk_null_key_len) { return srd_hash_key(NULL, 3, &c->o.u64); }
CASE(hk_key_sizemax) { return srd_hash_key(nonnull, SIZE_MAX, &c->o.u64); }
CASE(hk_null_out) { (void)c; return srd_hash_key(P("k"), 1, NULL); }
CASE(ns_null_prefix) { return srd_namespace_key(NULL, 2, P("k"), 1, c->o.nskey); }
CASE(ns_empty_prefix) { return srd_namespace_key(P("p"), 0, P("k"), 1, c->o.nskey); }
CASE(ns_null_prefix_0) { return srd_namespace_key(NULL, 0, P("k"), 1, c->o.nskey); }
CASE(ns_null_key) { return srd_namespace_key(P("p"), 1, NULL, 5, c->o.nskey); }
CASE(ns_prefix_sizemax) { return srd_namespace_key(nonnull, SIZE_MAX, P("k"), 1, c->o.nskey); }
CASE(ns_key_sizemax) { return srd_namespace_key(P("p"), 1, nonnull, SIZE_MAX, c->o.nskey); }
CASE(ns_null_out) { (void)c; return srd_namespace_key(P("p"), 1, P("k"), 1, NULL); }

/* rename, copy, move */
CASE(ren_null_store) { (void)c; return srd_rename(NULL, PRESENT, P("new"), 3); }
CASE(ren_null_old) { return srd_rename(c->rw, NULL, 3, P("new"), 3); }
CASE(ren_empty_old) { return srd_rename(c->rw, P("k"), 0, P("new"), 3); }
CASE(ren_null_new) { return srd_rename(c->rw, PRESENT, NULL, 3); }
CASE(ren_empty_new) { return srd_rename(c->rw, PRESENT, P("n"), 0); }
CASE(ren_new_sizemax) { return srd_rename(c->rw, PRESENT, nonnull, SIZE_MAX); }
CASE(ren_same_key) { return srd_rename(c->rw, PRESENT, PRESENT); }
CASE(ren_absent) { return srd_rename(c->rw, ABSENT, P("new"), 3); }
CASE(ren_ro) { return srd_rename(c->ro, PRESENT, P("new"), 3); }
CASE(cp_null_src) { return srd_copy(NULL, PRESENT, c->dst); }
CASE(cp_null_dst) { return srd_copy(c->rw, PRESENT, NULL); }
CASE(cp_null_key) { return srd_copy(c->rw, NULL, 2, c->dst); }
CASE(cp_empty_key) { return srd_copy(c->rw, P("k"), 0, c->dst); }
CASE(cp_key_sizemax) { return srd_copy(c->rw, nonnull, SIZE_MAX, c->dst); }
CASE(cp_same_handle) { return srd_copy(c->rw, PRESENT, c->rw); }
CASE(cp_same_file) { return srd_copy(c->ro, PRESENT, c->rw); }
CASE(cp_absent) { return srd_copy(c->rw, ABSENT, c->dst); }
CASE(cp_dst_ro) { return srd_copy(c->rw, PRESENT, c->dst_ro); }
CASE(mv_null_src) { return srd_move(NULL, PRESENT, c->dst); }
CASE(mv_null_dst) { return srd_move(c->rw, PRESENT, NULL); }
CASE(mv_empty_key) { return srd_move(c->rw, P("k"), 0, c->dst); }
CASE(mv_src_ro) { return srd_move(c->ro, PRESENT, c->dst); }
CASE(mv_dst_ro) { return srd_move(c->rw, PRESENT, c->dst_ro); }
CASE(mv_absent) { return srd_move(c->rw, ABSENT, c->dst); }
CASE(mv_same_file) { return srd_move(c->rw, PRESENT, c->ro); }

/* verify */
CASE(ver_null_store) { return srd_verify(NULL, &c->o.vrep); }
CASE(ver_null_out) { return srd_verify(c->rw, NULL); }
CASE(verp_null_store) { return srd_verify_progress(NULL, &c->o.vrep, NULL, NULL); }
CASE(verp_null_out) { return srd_verify_progress(c->rw, NULL, NULL, NULL); }

/* nested stores */
CASE(ob_null_data) { return srd_open_bytes(NULL, 10, &c->o.store); }
CASE(ob_len_sizemax) { return srd_open_bytes(nonnull, SIZE_MAX, &c->o.store); }
CASE(ob_null_out) { (void)c; return srd_open_bytes(big_junk, sizeof big_junk, NULL); }
CASE(ob_junk) { return srd_open_bytes(big_junk, sizeof big_junk, &c->o.store); }
CASE(oe_null_entry) { return srd_open_entry(NULL, &c->o.store); }
CASE(oe_null_out) { return srd_open_entry(c->entry, NULL); }
CASE(oe_junk) { return srd_open_entry(c->junk, &c->o.store); }

/* salvage */
CASE(sal_null_src) { return srd_salvage(NULL, c->salvage_dst, &c->o.srep); }
CASE(sal_null_dst) { return srd_salvage(c->main_path, NULL, &c->o.srep); }
CASE(sal_empty_src) { return srd_salvage("", c->salvage_dst, &c->o.srep); }
CASE(sal_empty_dst) { return srd_salvage(c->main_path, "", &c->o.srep); }
CASE(sal_dst_exists) { return srd_salvage(c->main_path, c->dst_path, &c->o.srep); }
CASE(sal_dst_is_src) { return srd_salvage(c->main_path, c->main_path, &c->o.srep); }
CASE(sal_src_missing) { return srd_salvage(c->missing, c->salvage_dst, &c->o.srep); }
CASE(sal_null_out) { return srd_salvage(c->main_path, c->salvage_dst, NULL); }
CASE(sal_dst_dir) { return srd_salvage(c->main_path, c->dir, &c->o.srep); }
CASE(sal_src_dir) { return srd_salvage(c->dir, c->salvage_dst, &c->o.srep); }

/* the free functions and other no-op successes */
CASE(close_null) { (void)c; srd_close(NULL); return SRD_OK; }
CASE(entry_free_null) { (void)c; srd_entry_free(NULL); return SRD_OK; }
CASE(iter_free_null) { (void)c; srd_iter_free(NULL); return SRD_OK; }
CASE(abort_null) { (void)c; srd_stream_abort(NULL); return SRD_OK; }
CASE(entry_data_null) {
    (void)c;
    size_t len = 99;
    const uint8_t *p = srd_entry_data(NULL, &len);
    const uint8_t *q = srd_entry_data(NULL, NULL);
    return (p == NULL && q == NULL && len == 0) ? SRD_OK : SRD_PANIC;
}

struct hcase {
    const char *what;
    int32_t (*fn)(struct hx *);
    int32_t want;
    int32_t alt; /* a second acceptable status where the header leaves it open, or NOALT */
};

#define C_(id, what, want, alt) {what, case_##id, want, alt}

static const struct hcase cases[] = {
    C_(open_null_path, "srd_open: NULL path", INV, NOALT),
    C_(open_empty_path, "srd_open: empty path", INV, NOALT),
    C_(open_null_out_missing, "srd_open: NULL out_store, missing file (must not be created)", INV, NOALT),
    C_(open_null_out_existing, "srd_open: NULL out_store, existing store", INV, NOALT),
    C_(open_flag128_missing, "srd_open: unknown flag 128 (file must not be created)", INV, NOALT),
    C_(open_flag_high_missing, "srd_open: unknown flag 0x80000000", INV, NOALT),
    C_(open_flag_all_missing, "srd_open: flags UINT32_MAX", INV, NOALT),
    C_(open_flag_ro_unknown_existing, "srd_open: READ_ONLY|128 on a store", INV, NOALT),
    C_(open_missing_nocreate, "srd_open: missing file, NO_CREATE", NF, NOALT),
    C_(open_missing_ro, "srd_open: missing file, READ_ONLY", NF, NOALT),
    C_(open_missing_ro_nocreate, "srd_open: missing file, READ_ONLY|NO_CREATE", NF, NOALT),
    /* a file that cannot be created because its directory is missing: NOT_FOUND per
     * "may not be created", or IO ("an operating-system call failed") */
    C_(open_in_missing_dir, "srd_open: file in a missing directory", NF, SRD_IO),
    C_(open_dir_rw, "srd_open: a directory (read-write)", INV, NOALT),
    C_(open_dir_ro, "srd_open: a directory (read-only)", INV, NOALT),
    C_(open_dir_nocreate, "srd_open: a directory (NO_CREATE)", INV, NOALT),
    /* ENAMETOOLONG: the header names no status; IO (an OS call failed) or INVALID_ARGUMENT */
    C_(open_too_long, "srd_open: path longer than PATH_MAX", SRD_IO, INV),
    C_(open_too_long_ro, "srd_open: path longer than PATH_MAX (read-only)", SRD_IO, INV),
    C_(open_long_component, "srd_open: a path component longer than NAME_MAX", SRD_IO, INV),
    C_(open_under_file, "srd_open: a regular file used as a directory (ENOTDIR)", SRD_IO, INV),
    C_(open_locked, "srd_open: read-write while another handle holds the lock", SRD_LOCKED, NOALT),
    C_(open_locked_sync, "srd_open: SYNC|NO_CREATE while locked", SRD_LOCKED, NOALT),

    C_(write_null_store, "srd_write: NULL store", INV, NOALT),
    C_(write_null_key_len, "srd_write: NULL key, key_len 3", INV, NOALT),
    C_(write_null_key_0, "srd_write: NULL key, key_len 0", INV, NOALT),
    C_(write_empty_key, "srd_write: empty key", INV, NOALT),
    C_(write_key_sizemax, "srd_write: key_len SIZE_MAX", INV, NOALT),
    C_(write_null_value_len, "srd_write: NULL value, value_len 5", INV, NOALT),
    C_(write_null_value_0, "srd_write: NULL value, value_len 0", INV, NOALT),
    C_(write_empty_value, "srd_write: empty value", INV, NOALT),
    C_(write_zero_byte, "srd_write: value is one 0x00 byte", INV, NOALT),
    C_(write_value_sizemax, "srd_write: value_len SIZE_MAX", INV, NOALT),
    C_(write_value_halfmax, "srd_write: value_len SIZE_MAX/2+1", INV, NOALT),
    C_(write_ro, "srd_write: read-only store", RO_, NOALT),
    C_(write_ro_invalid, "srd_write: read-only store and a 0x00 value", INV, RO_),

    C_(batch_null_store, "srd_write_batch: NULL store", INV, NOALT),
    C_(batch_null_items, "srd_write_batch: NULL items, count 2", INV, NOALT),
    C_(batch_count_0_null, "srd_write_batch: count 0, NULL items (no-op)", SRD_OK, NOALT),
    C_(batch_count_0_ro, "srd_write_batch: count 0 on a read-only store (no-op)", SRD_OK, NOALT),
    C_(batch_count_sizemax, "srd_write_batch: count SIZE_MAX", INV, NOALT),
    C_(batch_count_overflow, "srd_write_batch: count*sizeof overflows", INV, NOALT),
    C_(batch_bad_key_middle, "srd_write_batch: empty key in item 1 of 3 (nothing written)", INV, NOALT),
    C_(batch_zero_value, "srd_write_batch: a 0x00 value in item 1", INV, NOALT),
    C_(batch_null_value, "srd_write_batch: NULL value with a length", INV, NOALT),
    C_(batch_key_sizemax, "srd_write_batch: key_len SIZE_MAX in item 1", INV, NOALT),
    C_(batch_misaligned, "srd_write_batch: misaligned items array", INV, NOALT),
    C_(batch_ro, "srd_write_batch: read-only store", RO_, NOALT),

    C_(read_null_store, "srd_read: NULL store", INV, NOALT),
    C_(read_null_key, "srd_read: NULL key, key_len 4", INV, NOALT),
    C_(read_empty_key, "srd_read: empty key", INV, NOALT),
    C_(read_null_key_0, "srd_read: NULL key, key_len 0", INV, NOALT),
    C_(read_key_sizemax, "srd_read: key_len SIZE_MAX", INV, NOALT),
    C_(read_null_out_value, "srd_read: NULL out_value", INV, NOALT),
    C_(read_null_out_len, "srd_read: NULL out_len", INV, NOALT),
    C_(read_absent, "srd_read: absent key", NF, NOALT),
    C_(read_deleted, "srd_read: deleted key", NF, NOALT),
    C_(read_absent_ro, "srd_read: absent key, read-only handle", NF, NOALT),

    C_(rentry_null_store, "srd_read_entry: NULL store", INV, NOALT),
    C_(rentry_null_key, "srd_read_entry: NULL key with a length", INV, NOALT),
    C_(rentry_empty_key, "srd_read_entry: empty key", INV, NOALT),
    C_(rentry_key_sizemax, "srd_read_entry: key_len SIZE_MAX", INV, NOALT),
    C_(rentry_null_out, "srd_read_entry: NULL out_entry", INV, NOALT),
    C_(rentry_absent, "srd_read_entry: absent key", NF, NOALT),

    C_(exists_null_store, "srd_exists: NULL store", INV, NOALT),
    C_(exists_null_key, "srd_exists: NULL key with a length", INV, NOALT),
    C_(exists_empty_key, "srd_exists: empty key", INV, NOALT),
    C_(exists_key_sizemax, "srd_exists: key_len SIZE_MAX", INV, NOALT),
    C_(exists_absent, "srd_exists: absent key", NF, NOALT),

    C_(delete_null_store, "srd_delete: NULL store", INV, NOALT),
    C_(delete_null_key, "srd_delete: NULL key with a length", INV, NOALT),
    C_(delete_empty_key, "srd_delete: empty key", INV, NOALT),
    C_(delete_key_sizemax, "srd_delete: key_len SIZE_MAX", INV, NOALT),
    C_(delete_absent, "srd_delete: absent key (nothing written)", NF, NOALT),
    C_(delete_deleted, "srd_delete: already deleted key (nothing written)", NF, NOALT),
    C_(delete_ro, "srd_delete: read-only store", RO_, NOALT),

    C_(dbatch_null_store, "srd_delete_batch: NULL store", INV, NOALT),
    C_(dbatch_null_keys, "srd_delete_batch: NULL keys, count 1", INV, NOALT),
    C_(dbatch_count_0, "srd_delete_batch: count 0, NULL keys (no-op)", SRD_OK, NOALT),
    C_(dbatch_count_0_ro, "srd_delete_batch: count 0 on a read-only store (no-op)", SRD_OK, NOALT),
    C_(dbatch_count_sizemax, "srd_delete_batch: count SIZE_MAX", INV, NOALT),
    C_(dbatch_bad_middle, "srd_delete_batch: empty key in the middle (nothing deleted)", INV, NOALT),
    C_(dbatch_key_sizemax, "srd_delete_batch: key_len SIZE_MAX", INV, NOALT),
    C_(dbatch_all_absent, "srd_delete_batch: only absent keys (OK, nothing written)", SRD_OK, NOALT),
    C_(dbatch_ro, "srd_delete_batch: read-only store", RO_, NOALT),

    C_(compact_null, "srd_compact: NULL store", INV, NOALT),
    C_(compact_ro, "srd_compact: read-only store", RO_, NOALT),
    C_(compactp_null, "srd_compact_progress: NULL store", INV, NOALT),
    C_(compactp_ro, "srd_compact_progress: read-only store", RO_, NOALT),
    C_(sync_null, "srd_sync: NULL store", INV, NOALT),
    C_(sync_ro, "srd_sync: read-only store (no-op)", SRD_OK, NOALT),

    C_(count_null_store, "srd_count: NULL store", INV, NOALT),
    C_(count_null_out, "srd_count: NULL out", INV, NOALT),
    C_(fsize_null_store, "srd_file_size: NULL store", INV, NOALT),
    C_(fsize_null_out, "srd_file_size: NULL out", INV, NOALT),
    C_(ecount_null_store, "srd_entry_count: NULL store", INV, NOALT),
    C_(ecount_null_out, "srd_entry_count: NULL out", INV, NOALT),
    C_(reclaim_null_store, "srd_reclaimable_bytes: NULL store", INV, NOALT),
    C_(reclaim_null_out, "srd_reclaimable_bytes: NULL out", INV, NOALT),

    C_(wh_null_store, "srd_write_with_hash: NULL store", INV, NOALT),
    C_(wh_null_value, "srd_write_with_hash: NULL value with a length", INV, NOALT),
    C_(wh_empty_value, "srd_write_with_hash: empty value", INV, NOALT),
    C_(wh_zero_byte, "srd_write_with_hash: one 0x00 byte", INV, NOALT),
    C_(wh_value_sizemax, "srd_write_with_hash: value_len SIZE_MAX", INV, NOALT),
    C_(wh_ro, "srd_write_with_hash: read-only store", RO_, NOALT),
    C_(rh_null_store, "srd_read_with_hash: NULL store", INV, NOALT),
    C_(rh_null_out_value, "srd_read_with_hash: NULL out_value", INV, NOALT),
    C_(rh_null_out_len, "srd_read_with_hash: NULL out_len", INV, NOALT),
    C_(rh_absent, "srd_read_with_hash: absent hash", NF, NOALT),
    C_(reh_null_store, "srd_read_entry_with_hash: NULL store", INV, NOALT),
    C_(reh_null_out, "srd_read_entry_with_hash: NULL out", INV, NOALT),
    C_(reh_absent, "srd_read_entry_with_hash: absent hash", NF, NOALT),
    C_(eh_null_store, "srd_exists_with_hash: NULL store", INV, NOALT),
    C_(eh_absent, "srd_exists_with_hash: absent hash", NF, NOALT),
    C_(dh_null_store, "srd_delete_with_hash: NULL store", INV, NOALT),
    C_(dh_absent, "srd_delete_with_hash: absent hash", NF, NOALT),
    C_(dh_ro, "srd_delete_with_hash: read-only store", RO_, NOALT),

    C_(rb_null_store, "srd_read_batch: NULL store", INV, NOALT),
    C_(rb_null_keys, "srd_read_batch: NULL keys, count 2", INV, NOALT),
    C_(rb_null_out, "srd_read_batch: NULL out, count 2", INV, NOALT),
    C_(rb_count_0, "srd_read_batch: count 0, NULL keys and out (no-op)", SRD_OK, NOALT),
    C_(rb_bad_middle, "srd_read_batch: empty key in the middle (out untouched)", INV, NOALT),
    C_(rb_key_sizemax, "srd_read_batch: key_len SIZE_MAX", INV, NOALT),
    C_(rb_count_sizemax, "srd_read_batch: count SIZE_MAX", INV, NOALT),
    C_(rbh_null_store, "srd_read_batch_with_hash: NULL store", INV, NOALT),
    C_(rbh_null_hashes, "srd_read_batch_with_hash: NULL hashes, count 2", INV, NOALT),
    C_(rbh_null_out, "srd_read_batch_with_hash: NULL out, count 2", INV, NOALT),
    C_(rbh_count_0, "srd_read_batch_with_hash: count 0 (no-op)", SRD_OK, NOALT),
    C_(rbh_count_sizemax, "srd_read_batch_with_hash: count SIZE_MAX", INV, NOALT),
    C_(rbh_misaligned, "srd_read_batch_with_hash: misaligned hashes", INV, NOALT),

    C_(rl_null_store, "srd_read_last: NULL store", INV, NOALT),
    C_(rl_null_hash, "srd_read_last: NULL out_key_hash", INV, NOALT),
    C_(rl_null_value, "srd_read_last: NULL out_value", INV, NOALT),
    C_(rl_null_len, "srd_read_last: NULL out_len", INV, NOALT),
    C_(rl_empty, "srd_read_last: empty store", NF, NOALT),

    C_(refresh_null, "srd_refresh: NULL store", INV, NOALT),
    C_(refresh_rw, "srd_refresh: read-write store (no-op)", SRD_OK, NOALT),
    C_(refresh_ro, "srd_refresh: read-only store, nothing new", SRD_OK, NOALT),

    C_(era_null_entry, "srd_entry_read_at: NULL entry", INV, NOALT),
    C_(era_null_out, "srd_entry_read_at: NULL out_n", INV, NOALT),
    C_(era_null_buf, "srd_entry_read_at: NULL buf, cap 4", INV, NOALT),
    C_(era_offset_beyond, "srd_entry_read_at: offset beyond the value", INV, NOALT),
    C_(era_offset_max, "srd_entry_read_at: offset UINT64_MAX", INV, NOALT),
    C_(ekh_null_entry, "srd_entry_key_hash: NULL entry", INV, NOALT),
    C_(ekh_null_out, "srd_entry_key_hash: NULL out", INV, NOALT),
    C_(eck_null_entry, "srd_entry_checksum: NULL entry", INV, NOALT),
    C_(eck_null_out, "srd_entry_checksum: NULL out", INV, NOALT),
    C_(eoff_null_entry, "srd_entry_offset: NULL entry", INV, NOALT),
    C_(eoff_null_out, "srd_entry_offset: NULL out", INV, NOALT),
    C_(ever_null_entry, "srd_entry_verify: NULL entry", INV, NOALT),

    C_(sb_null_store, "srd_stream_begin: NULL store", INV, NOALT),
    C_(sb_null_key, "srd_stream_begin: NULL key with a length", INV, NOALT),
    C_(sb_empty_key, "srd_stream_begin: empty key", INV, NOALT),
    C_(sb_key_sizemax, "srd_stream_begin: key_len SIZE_MAX", INV, NOALT),
    C_(sb_null_out, "srd_stream_begin: NULL out_stream", INV, NOALT),
    C_(sb_ro, "srd_stream_begin: read-only store", RO_, NOALT),
    C_(sbh_null_store, "srd_stream_begin_with_hash: NULL store", INV, NOALT),
    C_(sbh_null_out, "srd_stream_begin_with_hash: NULL out", INV, NOALT),
    C_(sbh_ro, "srd_stream_begin_with_hash: read-only store", RO_, NOALT),
    C_(sw_null_stream, "srd_stream_write: NULL stream", INV, NOALT),
    C_(sw_null_stream_0, "srd_stream_write: NULL stream, no data", INV, NOALT),
    C_(sc_null_stream, "srd_stream_commit: NULL stream", INV, NOALT),

    C_(it_null_store, "srd_iter_new: NULL store", INV, NOALT),
    C_(it_null_out, "srd_iter_new: NULL out", INV, NOALT),
    C_(itp_parts_0, "srd_iter_new_part: parts 0", INV, NOALT),
    C_(itp_part_eq_parts, "srd_iter_new_part: part == parts", INV, NOALT),
    C_(itp_part_gt_parts, "srd_iter_new_part: part 5 of 3", INV, NOALT),
    C_(itp_max_max, "srd_iter_new_part: part UINT32_MAX of UINT32_MAX", INV, NOALT),
    C_(itp_max_0, "srd_iter_new_part: part UINT32_MAX of 0", INV, NOALT),
    C_(itp_null_store, "srd_iter_new_part: NULL store", INV, NOALT),
    C_(itp_null_out, "srd_iter_new_part: NULL out", INV, NOALT),
    C_(in_null_iter, "srd_iter_next: NULL iterator", INV, NOALT),
    C_(in_null_hash, "srd_iter_next: NULL out_key_hash", INV, NOALT),
    C_(in_null_value, "srd_iter_next: NULL out_value", INV, NOALT),
    C_(in_null_len, "srd_iter_next: NULL out_len", INV, NOALT),

    C_(hk_null_key_len, "srd_hash_key: NULL key with a length", INV, NOALT),
    C_(hk_key_sizemax, "srd_hash_key: key_len SIZE_MAX", INV, NOALT),
    C_(hk_null_out, "srd_hash_key: NULL out", INV, NOALT),
    C_(ns_null_prefix, "srd_namespace_key: NULL prefix with a length", INV, NOALT),
    C_(ns_empty_prefix, "srd_namespace_key: empty prefix", INV, NOALT),
    C_(ns_null_prefix_0, "srd_namespace_key: NULL prefix, length 0", INV, NOALT),
    C_(ns_null_key, "srd_namespace_key: NULL key with a length", INV, NOALT),
    C_(ns_prefix_sizemax, "srd_namespace_key: prefix_len SIZE_MAX", INV, NOALT),
    C_(ns_key_sizemax, "srd_namespace_key: key_len SIZE_MAX", INV, NOALT),
    C_(ns_null_out, "srd_namespace_key: NULL out", INV, NOALT),

    C_(ren_null_store, "srd_rename: NULL store", INV, NOALT),
    C_(ren_null_old, "srd_rename: NULL old key with a length", INV, NOALT),
    C_(ren_empty_old, "srd_rename: empty old key", INV, NOALT),
    C_(ren_null_new, "srd_rename: NULL new key with a length", INV, NOALT),
    C_(ren_empty_new, "srd_rename: empty new key", INV, NOALT),
    C_(ren_new_sizemax, "srd_rename: new_key_len SIZE_MAX", INV, NOALT),
    C_(ren_same_key, "srd_rename: the same key twice", INV, NOALT),
    C_(ren_absent, "srd_rename: absent old key", NF, NOALT),
    C_(ren_ro, "srd_rename: read-only store", RO_, NOALT),
    C_(cp_null_src, "srd_copy: NULL src", INV, NOALT),
    C_(cp_null_dst, "srd_copy: NULL dst", INV, NOALT),
    C_(cp_null_key, "srd_copy: NULL key with a length", INV, NOALT),
    C_(cp_empty_key, "srd_copy: empty key", INV, NOALT),
    C_(cp_key_sizemax, "srd_copy: key_len SIZE_MAX", INV, NOALT),
    C_(cp_same_handle, "srd_copy: src and dst the same handle", INV, NOALT),
    C_(cp_same_file, "srd_copy: two handles of the same file", INV, NOALT),
    C_(cp_absent, "srd_copy: absent key", NF, NOALT),
    C_(cp_dst_ro, "srd_copy: read-only dst", RO_, NOALT),
    C_(mv_null_src, "srd_move: NULL src", INV, NOALT),
    C_(mv_null_dst, "srd_move: NULL dst", INV, NOALT),
    C_(mv_empty_key, "srd_move: empty key", INV, NOALT),
    C_(mv_src_ro, "srd_move: read-only src", RO_, NOALT),
    C_(mv_dst_ro, "srd_move: read-only dst (nothing deleted from src)", RO_, NOALT),
    C_(mv_absent, "srd_move: absent key", NF, NOALT),
    C_(mv_same_file, "srd_move: two handles of the same file", INV, RO_),

    C_(ver_null_store, "srd_verify: NULL store", INV, NOALT),
    C_(ver_null_out, "srd_verify: NULL out_report", INV, NOALT),
    C_(verp_null_store, "srd_verify_progress: NULL store", INV, NOALT),
    C_(verp_null_out, "srd_verify_progress: NULL out_report", INV, NOALT),

    C_(ob_null_data, "srd_open_bytes: NULL data, len 10", INV, NOALT),
    C_(ob_len_sizemax, "srd_open_bytes: len SIZE_MAX", INV, NOALT),
    C_(ob_null_out, "srd_open_bytes: NULL out_store", INV, NOALT),
    C_(ob_junk, "srd_open_bytes: 256 bytes that are not a store", SRD_CORRUPT, NOALT),
    C_(oe_null_entry, "srd_open_entry: NULL entry", INV, NOALT),
    C_(oe_null_out, "srd_open_entry: NULL out_store", INV, NOALT),
    C_(oe_junk, "srd_open_entry: a value that is not a store", SRD_CORRUPT, NOALT),

    C_(sal_null_src, "srd_salvage: NULL src", INV, NOALT),
    C_(sal_null_dst, "srd_salvage: NULL dst", INV, NOALT),
    C_(sal_empty_src, "srd_salvage: empty src", INV, NOALT),
    C_(sal_empty_dst, "srd_salvage: empty dst", INV, NOALT),
    C_(sal_dst_exists, "srd_salvage: dst exists (a store)", INV, NOALT),
    C_(sal_dst_is_src, "srd_salvage: dst is src", INV, NOALT),
    C_(sal_src_missing, "srd_salvage: src missing (dst not created)", NF, NOALT),
    C_(sal_null_out, "srd_salvage: NULL out_report (dst not created)", INV, NOALT),
    C_(sal_dst_dir, "srd_salvage: dst is a directory", INV, NOALT),
    C_(sal_src_dir, "srd_salvage: src is a directory (dst not created)", INV, SRD_IO),

    C_(close_null, "srd_close(NULL) is a no-op", SRD_OK, NOALT),
    C_(entry_free_null, "srd_entry_free(NULL) is a no-op", SRD_OK, NOALT),
    C_(iter_free_null, "srd_iter_free(NULL) is a no-op", SRD_OK, NOALT),
    C_(abort_null, "srd_stream_abort(NULL) is a no-op", SRD_OK, NOALT),
    C_(entry_data_null, "srd_entry_data(NULL) gives NULL, length 0", SRD_OK, NOALT),
};

/* ------------------------------------------------------------------ */
/* Runner                                                              */
/* ------------------------------------------------------------------ */

#define NWATCH 7
static const char *watched[NWATCH];
static const struct hcase *volatile current_case;

struct run {
    const struct hcase *hc;
    int32_t st;
    char before[64];
    char msg[1024];
};

static void *run_case_thread(void *p) {
    struct run *r = (struct run *)p;
    snprintf(r->before, sizeof r->before, "%s", srd_last_error_message());
    r->st = r->hc->fn(&C);
    snprintf(r->msg, sizeof r->msg, "%s", srd_last_error_message());
    return NULL;
}

static unsigned long n_cases, n_failed_calls;

static void run_table(void) {
    struct outs sentinel;
    memset(&sentinel, 0xA5, sizeof sentinel);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct hcase *hc = &cases[i];
        current_case = hc;
        tst_ctx("%s", hc->what);
        struct tst_snap snaps[NWATCH];
        for (int w = 0; w < NWATCH; w++) tst_snap_take(&snaps[w], watched[w]);
        memset(&C.o, 0xA5, sizeof C.o);

        struct run r = {hc, -1, "", ""};
        pthread_t th;
        REQUIRE(pthread_create(&th, NULL, run_case_thread, &r) == 0);
        pthread_join(th, NULL);
        n_cases++;

        CHECK_MSG(r.before[0] == '\0', "a fresh thread's message is \"%s\"", r.before);
        int ok = r.st == hc->want || (hc->alt != NOALT && r.st == hc->alt);
        CHECK_MSG(ok, "%s: returned %s (%d), expected %s%s%s; message \"%s\"", hc->what,
                  tst_status_name(r.st), (int)r.st, tst_status_name(hc->want),
                  hc->alt != NOALT ? " or " : "", hc->alt != NOALT ? tst_status_name(hc->alt) : "",
                  r.msg);
        if (hc->alt != NOALT)
            printf("  (status left open by the header) %s -> %s\n", hc->what, tst_status_name(r.st));
        if (r.st != SRD_OK) {
            n_failed_calls++;
            CHECK_MSG(r.msg[0] != '\0', "%s: failed with %s but the message is empty", hc->what,
                      tst_status_name(r.st));
            CHECK_MSG(memcmp(&C.o, &sentinel, sizeof C.o) == 0, "%s: outputs written on failure",
                      hc->what);
        } else {
            CHECK_MSG(r.msg[0] == '\0', "%s: succeeded but set the message \"%s\"", hc->what,
                      r.msg);
        }
        if (r.st == SRD_OK && hc->want == SRD_OK) {
            /* the documented no-ops wrote nothing either */
            CHECK_MSG(memcmp(&C.o, &sentinel, sizeof C.o) == 0, "%s: no-op wrote outputs",
                      hc->what);
        }
        if (r.st == SRD_OK && memcmp(&C.o.store, &sentinel.store, sizeof C.o.store) != 0) {
            srd_close(C.o.store); /* an unexpected success: do not leak */
        }
        for (int w = 0; w < NWATCH; w++) {
            CHECK_UNCHANGED(&snaps[w], watched[w]);
            tst_snap_free(&snaps[w]);
        }
    }
    current_case = NULL;
    tst_ctx_clear();
}

/* ------------------------------------------------------------------ */
/* SRD_BUSY and streams (on one thread)                                */
/* ------------------------------------------------------------------ */

static const char *marker(void) {
    uint64_t h;
    (void)srd_hash_key(NULL, 12345, &h); /* sets a known message */
    return srd_last_error_message();
}

#define EXPECT_BUSY(call)                                                                       \
    do {                                                                                        \
        char mk_[256];                                                                          \
        snprintf(mk_, sizeof mk_, "%s", marker());                                              \
        int32_t st_ = (call);                                                                   \
        CHECK_MSG(st_ == SRD_BUSY, "%s during this thread's stream: %s (%s)", #call,            \
                  tst_status_name(st_), srd_last_error_message());                                \
        CHECK_MSG(strcmp(srd_last_error_message(), mk_) != 0 && srd_last_error_message()[0],   \
                  "%s: message not set", #call);                                                \
        n_busy++;                                                                               \
    } while (0)

static unsigned long n_busy;

static void test_busy_and_streams(void) {
    tst_ctx("streams");
    srd_store *s = C.rw;
    char why[256];
    struct tst_snap before, before_dst;
    tst_snap_take(&before, C.main_path);
    tst_snap_take(&before_dst, C.dst_path);

    srd_stream *st = NULL;
    REQUIRE(srd_stream_begin(s, P("streamed"), 8, &st) == SRD_OK);
    REQUIRE(srd_stream_write(st, P("abc"), 3) == SRD_OK);
    struct tst_snap during;
    tst_snap_take(&during, C.main_path);

    srd_kv kv = {P("x"), 1, P("y"), 1};
    srd_key kk = {PRESENT};
    srd_stream *st2 = (srd_stream *)(uintptr_t)0x1;
    EXPECT_BUSY(srd_write(s, P("x"), 1, P("y"), 1));
    EXPECT_BUSY(srd_write_batch(s, &kv, 1));
    EXPECT_BUSY(srd_write_with_hash(s, absent_hash, P("y"), 1));
    EXPECT_BUSY(srd_delete(s, PRESENT));
    EXPECT_BUSY(srd_delete(s, ABSENT));
    EXPECT_BUSY(srd_delete_with_hash(s, present_hash));
    EXPECT_BUSY(srd_delete_batch(s, &kk, 1));
    EXPECT_BUSY(srd_rename(s, PRESENT, P("renamed"), 7));
    EXPECT_BUSY(srd_compact(s));
    EXPECT_BUSY(srd_compact_progress(s, NULL, NULL));
    EXPECT_BUSY(srd_stream_begin(s, P("other"), 5, &st2));
    EXPECT_BUSY(srd_stream_begin_with_hash(s, absent_hash, &st2));
    {
        struct tst_snap d;
        tst_snap_take(&d, C.dst_path);
        uint64_t dst_entries_before = 0, dst_entries_after = 0;
        srd_entry_count(C.dst, &dst_entries_before);
        EXPECT_BUSY(srd_move(s, PRESENT, C.dst));
        srd_entry_count(C.dst, &dst_entries_after);
        CHECK_MSG(tst_snap_same(&d, C.dst_path, why, sizeof why) &&
                      dst_entries_after == dst_entries_before,
                  "srd_move(src = the streaming store) returned SRD_BUSY (\"nothing changed\") "
                  "but wrote the value into dst: %s, dst entries %llu -> %llu",
                  why, (unsigned long long)dst_entries_before,
                  (unsigned long long)dst_entries_after);
        tst_snap_free(&d);
        /* take the stray copy out again so later checks start from the documented state */
        if (dst_entries_after != dst_entries_before) (void)srd_delete(C.dst, PRESENT);
        tst_snap_free(&before_dst);
        tst_snap_take(&before_dst, C.dst_path);
    }
    EXPECT_BUSY(srd_copy(C.dst, P("in-dst"), 6, s));
    CHECK(st2 == (srd_stream *)(uintptr_t)0x1);

    /* reads and sync still work on this thread */
    const uint8_t *v = NULL;
    size_t n = 0;
    CHECK_OK(srd_read(s, PRESENT, &v, &n));
    CHECK_STATUS(srd_read(s, P("streamed"), 8, &v, &n), SRD_NOT_FOUND);
    CHECK_OK(srd_sync(s));
    /* rejected stream writes add nothing */
    CHECK_STATUS(srd_stream_write(st, NULL, 5), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_stream_write(st, nonnull, SIZE_MAX), SRD_INVALID_ARGUMENT);
    CHECK_OK(srd_stream_write(st, NULL, 0));
    CHECK_OK(srd_stream_write(st, P("x"), 0));
    CHECK_SAME_BYTES(&during, C.main_path);
    CHECK_MSG(tst_snap_same(&before_dst, C.dst_path, why, sizeof why),
              "a call that returned SRD_BUSY changed the other store %s: %s", C.dst_path, why);
    tst_snap_free(&during);

    /* abort: back to exactly the file before srd_stream_begin */
    srd_stream_abort(st);
    CHECK_SAME_BYTES(&before, C.main_path);
    CHECK_STATUS(srd_read(s, P("streamed"), 8, &v, &n), SRD_NOT_FOUND);

    /* empty and single-0x00 commits are rejected and leave the file as before */
    st = NULL;
    REQUIRE(srd_stream_begin(s, P("streamed"), 8, &st) == SRD_OK);
    CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
    CHECK(srd_last_error_message()[0] != '\0');
    CHECK_SAME_BYTES(&before, C.main_path);
    st = NULL;
    REQUIRE(srd_stream_begin_with_hash(s, absent_hash, &st) == SRD_OK);
    CHECK_OK(srd_stream_write(st, zero1, 1));
    CHECK_STATUS(srd_stream_commit(st), SRD_INVALID_ARGUMENT);
    CHECK_SAME_BYTES(&before, C.main_path);
    CHECK_STATUS(srd_exists_with_hash(s, absent_hash), SRD_NOT_FOUND);
    /* the writer is free again: a write from this thread works */
    st = NULL;
    REQUIRE(srd_stream_begin(s, P("streamed"), 8, &st) == SRD_OK);
    CHECK_STATUS(srd_stream_write(st, NULL, 7), SRD_INVALID_ARGUMENT);
    CHECK_OK(srd_stream_write(st, zero1, 1));
    CHECK_OK(srd_stream_write(st, zero1, 1));
    CHECK_OK(srd_stream_commit(st));
    if (CHECK_OK(srd_read(s, P("streamed"), 8, &v, &n))) {
        CHECK_EQ_U(n, 2);
        CHECK(v[0] == 0 && v[1] == 0);
    }
    CHECK_OK(srd_delete(s, P("streamed"), 8));
    tst_snap_free(&before);
    tst_snap_free(&before_dst);
    printf("  SRD_BUSY: %lu writing calls refused on the stream's own thread; aborted and "
           "rejected streams left the file unchanged\n",
           n_busy);
    tst_ctx_clear();
}

/* ------------------------------------------------------------------ */
/* Iterators                                                           */
/* ------------------------------------------------------------------ */

static void test_iterators(void) {
    tst_ctx("iterators");
    uint64_t live = tst_count_of(C.rw);
    /* C.iter had failed calls in the table: it must still yield every live entry */
    uint64_t n = 0, h;
    const uint8_t *v;
    size_t len;
    int32_t st;
    while ((st = srd_iter_next(C.iter, &h, &v, &len)) == SRD_OK) n++;
    CHECK_STATUS(st, SRD_NOT_FOUND);
    CHECK_EQ_U(n, live);
    CHECK_STATUS(srd_iter_next(C.iter, &h, &v, &len), SRD_NOT_FOUND); /* stays exhausted */

    static const uint32_t parts_list[] = {1, 2, 3, 7, 64, 1000, UINT32_MAX};
    for (size_t pi = 0; pi < sizeof parts_list / sizeof parts_list[0]; pi++) {
        uint32_t parts = parts_list[pi];
        uint64_t total = 0;
        /* For a huge number of parts only the parts that can hold a key are walked:
         * h % parts for every live key, plus part 0 and the last part. */
        uint32_t probe[64];
        int np = 0;
        if (parts <= 1000) {
            for (uint32_t p = 0; p < parts && np < 64; p++) probe[np++] = p;
        }
        if (parts > 64) {
            np = 0;
            srd_iter *all = NULL;
            REQUIRE(srd_iter_new(C.rw, &all) == SRD_OK);
            while (srd_iter_next(all, &h, &v, &len) == SRD_OK && np < 62) {
                uint32_t p = (uint32_t)(h % parts);
                int dup = 0;
                for (int j = 0; j < np; j++) dup |= probe[j] == p;
                if (!dup) probe[np++] = p;
            }
            srd_iter_free(all);
            int has0 = 0, haslast = 0;
            for (int j = 0; j < np; j++) {
                has0 |= probe[j] == 0;
                haslast |= probe[j] == parts - 1;
            }
            if (!has0) probe[np++] = 0;
            if (!haslast) probe[np++] = parts - 1;
        }
        for (int j = 0; j < np; j++) {
            srd_iter *it = NULL;
            if (!CHECK_OK(srd_iter_new_part(C.rw, probe[j], parts, &it))) continue;
            while ((st = srd_iter_next(it, &h, &v, &len)) == SRD_OK) {
                CHECK_MSG(h % parts == probe[j], "part %u of %u yielded hash %016llx", probe[j],
                          parts, (unsigned long long)h);
                total++;
            }
            CHECK_STATUS(st, SRD_NOT_FOUND);
            srd_iter_free(it);
        }
        CHECK_MSG(total == live, "parts of %u cover %llu entries, expected %llu", parts,
                  (unsigned long long)total, (unsigned long long)live);
    }
    printf("  iterators: failed srd_iter_next calls did not advance; partitions (1..UINT32_MAX "
           "parts) cover the %llu live keys exactly once\n",
           (unsigned long long)live);
    tst_ctx_clear();
}

/* ------------------------------------------------------------------ */
/* Sizes                                                               */
/* ------------------------------------------------------------------ */

static void fill_seeded(uint8_t *b, size_t n, uint64_t seed) {
    tst_rng r = {seed};
    tst_rng_fill(&r, b, n);
    if (n == 1 && b[0] == 0) b[0] = 1;
}

static void test_sizes(void) {
    size_t big_value = (size_t)tst_scaled(64L << 20, 1L << 20);
    size_t big_key = (size_t)tst_scaled(16L << 20, 1L << 20);
    const size_t key_sizes[] = {1, 2, 63, 64, 65, 4096, 1 << 20, big_key};
    const size_t val_sizes[] = {1,     2,     63,    64,    65,      4095,    4096,
                                4097,  65535, 65536, 65537, 1 << 20, big_value};
    const size_t nks = sizeof key_sizes / sizeof key_sizes[0];
    const size_t nvs = sizeof val_sizes / sizeof val_sizes[0];
    const char *path = tst_path("sizes.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    uint8_t *kbuf = (uint8_t *)malloc(big_key);
    uint8_t *vbuf = (uint8_t *)malloc(big_value);
    REQUIRE(kbuf && vbuf);
    /* Pair every key size with a value size and every value size with a key size. */
    size_t npairs = nks > nvs ? nks : nvs;
    for (size_t i = 0; i < npairs; i++) {
        size_t kl = key_sizes[i % nks], vl = val_sizes[i % nvs];
        tst_ctx("key %zu B, value %zu B", kl, vl);
        fill_seeded(kbuf, kl, 1000 + i);
        kbuf[0] = (uint8_t)i; /* distinct keys even at 1 byte */
        fill_seeded(vbuf, vl, 2000 + i);
        double t0 = tst_now();
        if (!CHECK_OK(srd_write(s, kbuf, kl, vbuf, vl))) continue;
        const uint8_t *p = NULL;
        size_t n = 0;
        if (CHECK_OK(srd_read(s, kbuf, kl, &p, &n))) {
            CHECK_EQ_U(n, vl);
            CHECK(n == vl && memcmp(p, vbuf, vl) == 0);
            CHECK(((uintptr_t)p & 63) == 0);
        }
        srd_entry *e = NULL;
        if (CHECK_OK(srd_read_entry(s, kbuf, kl, &e))) {
            uint8_t tail[16];
            size_t got = 0;
            uint64_t off = vl > 16 ? vl - 16 : 0;
            if (CHECK_OK(srd_entry_read_at(e, off, tail, sizeof tail, &got))) {
                CHECK_EQ_U(got, vl - off);
                CHECK(memcmp(tail, vbuf + off, got) == 0);
            }
            CHECK_OK(srd_entry_read_at(e, vl, tail, sizeof tail, &got));
            CHECK_EQ_U(got, 0);
            CHECK_OK(srd_entry_read_at(e, 0, NULL, 0, &got));
            CHECK_EQ_U(got, 0);
            CHECK_OK(srd_entry_verify(e));
            srd_entry_free(e);
        }
        CHECK_OK(srd_exists(s, kbuf, kl));
        if (vl >= (1u << 20)) printf("  key %zu B / value %zu B written and read back in %.2f s\n", kl, vl, tst_now() - t0);
    }
    /* reopen, compact, reopen: every pair still there; then delete all */
    srd_close(s);
    s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    CHECK_OK(srd_compact(s));
    srd_close(s);
    s = NULL;
    REQUIRE(srd_open(path, SRD_OPEN_READ_ONLY, &s) == SRD_OK);
    srd_verify_report rep;
    CHECK_OK(srd_verify(s, &rep));
    for (size_t i = 0; i < npairs; i++) {
        size_t kl = key_sizes[i % nks], vl = val_sizes[i % nvs];
        tst_ctx("reopened: key %zu B, value %zu B", kl, vl);
        fill_seeded(kbuf, kl, 1000 + i);
        kbuf[0] = (uint8_t)i;
        fill_seeded(vbuf, vl, 2000 + i);
        const uint8_t *p = NULL;
        size_t n = 0;
        if (CHECK_OK(srd_read(s, kbuf, kl, &p, &n))) CHECK(n == vl && memcmp(p, vbuf, vl) == 0);
    }
    srd_close(s);
    s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    for (size_t i = 0; i < npairs; i++) {
        size_t kl = key_sizes[i % nks];
        fill_seeded(kbuf, kl, 1000 + i);
        kbuf[0] = (uint8_t)i;
        CHECK_OK(srd_delete(s, kbuf, kl));
        CHECK_STATUS(srd_exists(s, kbuf, kl), SRD_NOT_FOUND);
    }
    CHECK_EQ_U(tst_count_of(s), 0);
    srd_close(s);
    free(kbuf);
    free(vbuf);
    tst_ctx_clear();
    printf("  sizes: keys 1 B .. %zu B and values 1 B .. %zu B written, read, reopened, "
           "compacted, deleted\n",
           big_key, big_value);
}

/* ------------------------------------------------------------------ */
/* Non-UTF-8 paths                                                     */
/* ------------------------------------------------------------------ */

static void test_non_utf8_paths(void) {
    tst_ctx("non-UTF-8 paths");
    char dir[PATH_MAX], path[PATH_MAX + 64], salv[PATH_MAX + 64], tmp[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s", tst_path("dir-\xff\xfe-\xc3"));
    REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/store-\x80\xbf-lat\xe9n1.srd", dir);
    snprintf(salv, sizeof salv, "%s/salvaged-\xf8\x88.srd", dir);
    srd_store *s = NULL;
    if (!CHECK_OK(srd_open(path, 0, &s))) return;
    CHECK(tst_file_exists(path));
    CHECK_OK(srd_write(s, P("k1"), 2, P("first"), 5));
    CHECK_OK(srd_write(s, P("k1"), 2, P("second"), 6));
    CHECK_OK(srd_write(s, P("k2"), 2, P("other"), 5));
    CHECK_OK(srd_compact(s)); /* temp file <path>.compact.tmp under raw bytes, renamed back */
    snprintf(tmp, sizeof tmp, "%s.compact.tmp", path);
    CHECK(!tst_file_exists(tmp));
    CHECK(tst_file_exists(path));
    srd_close(s);
    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
        const uint8_t *v;
        size_t n;
        if (CHECK_OK(srd_read(s, P("k1"), 2, &v, &n))) CHECK(n == 6 && memcmp(v, "second", 6) == 0);
        CHECK_EQ_U(tst_count_of(s), 2);
        srd_close(s);
    }
    srd_salvage_report rep;
    if (CHECK_OK(srd_salvage(path, salv, &rep))) {
        CHECK_EQ_U(rep.live_keys_written, 2);
        CHECK(tst_file_exists(salv));
    }
    /* only the expected names exist in the directory */
    int names = 0;
    struct stat st;
    names += stat(path, &st) == 0;
    names += stat(salv, &st) == 0;
    CHECK_EQ(names, 2);
    printf("  non-UTF-8 paths: create, write, compact, reopen, salvage all work\n");
    tst_ctx_clear();
}

/* ------------------------------------------------------------------ */
/* Status strings and versions                                         */
/* ------------------------------------------------------------------ */

static void test_status_and_version(void) {
    const char *seen[SRD_CONFLICT + 1];
    for (int32_t code = 0; code <= SRD_CONFLICT; code++) {
        const char *t = srd_status_str(code);
        CHECK(t != NULL && t[0] != '\0');
        CHECK_MSG(t && strcmp(t, "unknown status code") != 0, "code %d unnamed", (int)code);
        seen[code] = t;
        for (int32_t j = 0; j < code; j++) CHECK_MSG(strcmp(seen[j], t) != 0, "codes %d and %d share text", (int)j, (int)code);
    }
    const int32_t unknown[] = {-1, 11, 12, 100, INT32_MIN, INT32_MAX, -7};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK_STR(srd_status_str(unknown[i]), "unknown status code");
    CHECK_EQ_U(srd_version_number(), SRD_VERSION_NUMBER);
    CHECK_STR(srd_version_string(), SRD_VERSION_STRING);
    /* hashing the empty key is allowed (NULL with length 0 too) */
    uint64_t h1 = 1, h2 = 2;
    CHECK_OK(srd_hash_key(NULL, 0, &h1));
    CHECK_OK(srd_hash_key(P("x"), 0, &h2));
    CHECK_EQ_U(h1, h2);
    CHECK_EQ_U(h1, 0x2D06800538D394C2ull); /* XXH3-64 of the empty input, seed 0 */
    uint8_t ns[SRD_NAMESPACE_KEY_LEN];
    CHECK_OK(srd_namespace_key(P("p"), 1, NULL, 0, ns));
}

/* ------------------------------------------------------------------ */

static void on_alarm(int sig) {
    (void)sig;
    const struct hcase *hc = current_case;
    char msg[512];
    int n = snprintf(msg, sizeof msg, "\ntest_hostile_input: WATCHDOG: hung%s%s\n",
                     hc ? " in case: " : "", hc ? hc->what : "");
    if (n > 0) {
        ssize_t w = write(2, msg, (size_t)n);
        (void)w;
    }
    _exit(3);
}

static void setup(void) {
    snprintf(C.main_path, sizeof C.main_path, "%s", tst_path("main.srd"));
    snprintf(C.dst_path, sizeof C.dst_path, "%s", tst_path("dst.srd"));
    snprintf(C.missing, sizeof C.missing, "%s", tst_path("missing.srd"));
    snprintf(C.in_missing_dir, sizeof C.in_missing_dir, "%s", tst_path("no-such-dir/x.srd"));
    snprintf(C.dir, sizeof C.dir, "%s", tst_path("a-directory"));
    snprintf(C.under_file, sizeof C.under_file, "%s/x.srd", C.main_path);
    snprintf(C.salvage_dst, sizeof C.salvage_dst, "%s", tst_path("salvage-dst.srd"));
    REQUIRE(mkdir(C.dir, 0755) == 0);
    size_t tl = PATH_MAX + 512;
    C.too_long = (char *)malloc(tl + 1);
    REQUIRE(C.too_long != NULL);
    int k = snprintf(C.too_long, tl + 1, "%s/", tst_test_g.dir);
    for (size_t i = (size_t)k; i < tl; i++) C.too_long[i] = (i % 100 == 99) ? '/' : 'a';
    C.too_long[tl] = '\0';
    C.long_component = (char *)malloc(PATH_MAX);
    REQUIRE(C.long_component != NULL);
    k = snprintf(C.long_component, PATH_MAX, "%s/", tst_test_g.dir);
    for (int i = 0; i < NAME_MAX + 40; i++) C.long_component[k + i] = 'b';
    C.long_component[k + NAME_MAX + 40] = '\0';

    REQUIRE(srd_open(C.main_path, 0, &C.rw) == SRD_OK);
    REQUIRE(srd_write(C.rw, PRESENT, P("value-of-present"), 16) == SRD_OK);
    REQUIRE(srd_write(C.rw, P("gone"), 4, P("soon deleted"), 12) == SRD_OK);
    REQUIRE(srd_delete(C.rw, P("gone"), 4) == SRD_OK);
    REQUIRE(srd_write(C.rw, P("junk"), 4, big_junk, sizeof big_junk) == SRD_OK);
    for (int i = 0; i < 40; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "fill-%02d", i);
        int n = snprintf(val, sizeof val, "value %d", i * i);
        REQUIRE(srd_write(C.rw, P(key), strlen(key), P(val), (size_t)n) == SRD_OK);
    }
    REQUIRE(srd_sync(C.rw) == SRD_OK);
    REQUIRE(srd_open(C.main_path, SRD_OPEN_READ_ONLY, &C.ro) == SRD_OK);
    REQUIRE(srd_open(C.dst_path, 0, &C.dst) == SRD_OK);
    REQUIRE(srd_write(C.dst, P("in-dst"), 6, P("dst value"), 9) == SRD_OK);
    REQUIRE(srd_open(C.dst_path, SRD_OPEN_READ_ONLY, &C.dst_ro) == SRD_OK);
    const char *empty = tst_path("empty.srd");
    REQUIRE(tst_spit(empty, "", 0) == 0);
    REQUIRE(srd_open(empty, SRD_OPEN_READ_ONLY, &C.empty_ro) == SRD_OK);
    REQUIRE(srd_read_entry(C.rw, PRESENT, &C.entry) == SRD_OK);
    REQUIRE(srd_read_entry(C.rw, P("junk"), 4, &C.junk) == SRD_OK);
    REQUIRE(srd_iter_new(C.rw, &C.iter) == SRD_OK);
    REQUIRE(srd_hash_key(PRESENT, &present_hash) == SRD_OK);
    REQUIRE(srd_hash_key(ABSENT, &absent_hash) == SRD_OK);

    batch_ok[0] = (srd_kv){P("b1"), 2, P("v1"), 2};
    batch_ok[1] = (srd_kv){P("b2"), 2, P("v2"), 2};
    batch_bad_key[0] = batch_ok[0];
    batch_bad_key[1] = (srd_kv){P("bk"), 0, P("v"), 1};
    batch_bad_key[2] = batch_ok[1];
    batch_zero_val[0] = batch_ok[0];
    batch_zero_val[1] = (srd_kv){P("bz"), 2, zero1, 1};
    batch_null_val[0] = batch_ok[0];
    batch_null_val[1] = (srd_kv){P("bn"), 2, NULL, 4};
    batch_key_max[0] = batch_ok[0];
    batch_key_max[1] = (srd_kv){nonnull, SIZE_MAX, P("v"), 1};
    keys_ok[0] = (srd_key){PRESENT};
    keys_ok[1] = (srd_key){P("fill-01"), 7};
    keys_bad_middle[0] = keys_ok[0];
    keys_bad_middle[1] = (srd_key){P("x"), 0};
    keys_bad_middle[2] = keys_ok[1];
    keys_absent[0] = (srd_key){ABSENT};
    keys_absent[1] = (srd_key){P("gone"), 4};
    keys_max[0] = (srd_key){nonnull, SIZE_MAX};
    hashes_ok[0] = present_hash;
    hashes_ok[1] = absent_hash;
    /* the misaligned region holds plausible contents, in case it were read */
    memset(misaligned_mem, 0, sizeof misaligned_mem);

    watched[0] = C.main_path;
    watched[1] = C.dst_path;
    watched[2] = C.missing;
    watched[3] = C.in_missing_dir;
    watched[4] = C.salvage_dst;
    watched[5] = C.dir;
    watched[6] = empty;
}

/* ------------------------------------------------------------------ */
/* 0.1.2 additions: misaligned batch results, bad apply_batch items,    */
/* salvage into a dangling symlink                                      */
/* ------------------------------------------------------------------ */

static void test_misaligned_read_batch_out_and_bad_apply_batch_items_change_nothing(void) {
    const char *p = tst_path("hostile-012.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(p, 0, &s) == SRD_OK);
    REQUIRE(srd_write(s, P("k1"), 2, P("value one"), 9) == SRD_OK);
    REQUIRE(srd_write(s, P("k2"), 2, P("value two"), 9) == SRD_OK);
    srd_key keys[2] = {{P("k1"), 2}, {P("k2"), 2}};
    uint64_t hashes[2];
    REQUIRE(srd_hash_key(P("k1"), 2, &hashes[0]) == SRD_OK);
    REQUIRE(srd_hash_key(P("k2"), 2, &hashes[1]) == SRD_OK);

    /* a misaligned `out` array: refused, not one byte of it written */
    static uint8_t buf[3 * sizeof(srd_read_result) + 64] __attribute__((aligned(64)));
    static uint8_t want[sizeof buf];
    for (size_t off = 1; off < 8; off += 3) {
        memset(buf, 0xA5, sizeof buf);
        memcpy(want, buf, sizeof buf);
        srd_read_result *out = (srd_read_result *)(void *)((char *)buf + off);
        tst_ctx("out misaligned by %zu", off);
        CHECK_STATUS(srd_read_batch(s, keys, 2, out), SRD_INVALID_ARGUMENT);
        CHECK(strlen(srd_last_error_message()) > 0);
        CHECK_MEM(buf, want, sizeof buf);
        CHECK_STATUS(srd_read_batch_with_hash(s, hashes, 2, out), SRD_INVALID_ARGUMENT);
        CHECK_MEM(buf, want, sizeof buf);
        tst_ctx_clear();
    }

    /* srd_apply_batch: an invalid item anywhere rejects the whole batch, named by index */
    struct tst_snap before;
    tst_snap_take(&before, p);
    uint64_t deleted = UINT64_C(0xA5A5A5A5DEADBEEF);
    const uint8_t zero = 0;
    srd_op good_w = {SRD_OP_WRITE, P("new"), 3, P("new value"), 9};
    srd_op good_d = {SRD_OP_DELETE, P("k1"), 2, NULL, 0};
    struct {
        srd_op bad;
        const char *what;
    } bads[] = {
        {{7, P("x"), 1, P("v"), 1}, "unknown kind 7"},
        {{0, P("x"), 1, P("v"), 1}, "kind 0"},
        {{UINT32_MAX, P("x"), 1, P("v"), 1}, "kind UINT32_MAX"},
        {{SRD_OP_WRITE, NULL, 3, P("v"), 1}, "write, NULL key with length 3"},
        {{SRD_OP_DELETE, NULL, 3, NULL, 0}, "delete, NULL key with length 3"},
        {{SRD_OP_WRITE, P("x"), 0, P("v"), 1}, "write, empty key"},
        {{SRD_OP_DELETE, P("x"), 0, NULL, 0}, "delete, empty key"},
        {{SRD_OP_WRITE, P("x"), 1, P("v"), 0}, "write, empty value"},
        {{SRD_OP_WRITE, P("x"), 1, NULL, 0}, "write, NULL empty value"},
        {{SRD_OP_WRITE, P("x"), 1, NULL, 5}, "write, NULL value with length 5"},
        {{SRD_OP_WRITE, P("x"), 1, &zero, 1}, "write, single 0x00 value"},
    };
    for (size_t b = 0; b < sizeof bads / sizeof bads[0]; b++) {
        for (size_t pos = 0; pos < 3; pos++) {
            srd_op ops[3] = {good_w, good_d, good_w};
            ops[pos] = bads[b].bad;
            tst_ctx("%s at item %zu", bads[b].what, pos);
            CHECK_STATUS(srd_apply_batch(s, ops, 3, &deleted), SRD_INVALID_ARGUMENT);
            char name[32];
            snprintf(name, sizeof name, "batch item %zu", pos);
            CHECK_MSG(strstr(srd_last_error_message(), name) != NULL, "message \"%s\" does not name %s",
                      srd_last_error_message(), name);
            CHECK_EQ(srd_last_error_os_errno(), 0);
            CHECK_EQ_U(deleted, UINT64_C(0xA5A5A5A5DEADBEEF));
            tst_ctx_clear();
        }
    }
    CHECK_STATUS(srd_apply_batch(NULL, &good_w, 1, &deleted), SRD_INVALID_ARGUMENT);
    CHECK_STATUS(srd_apply_batch(s, NULL, 2, &deleted), SRD_INVALID_ARGUMENT);
    CHECK_EQ_U(deleted, UINT64_C(0xA5A5A5A5DEADBEEF));
    CHECK_OK(srd_apply_batch(s, NULL, 0, &deleted)); /* count 0: a no-op */
    CHECK_SAME_BYTES(&before, p);
    tst_snap_free(&before);
    const uint8_t *v = NULL;
    size_t n = 0;
    CHECK_STATUS(srd_read(s, P("new"), 3, &v, &n), SRD_NOT_FOUND);
    if (CHECK_OK(srd_read(s, P("k1"), 2, &v, &n))) CHECK(n == 9 && memcmp(v, "value one", 9) == 0);
    /* the same batch, valid, is applied */
    srd_op ok_ops[3] = {good_w, good_d, good_d};
    deleted = UINT64_C(0xA5A5A5A5DEADBEEF);
    CHECK_OK(srd_apply_batch(s, ok_ops, 3, &deleted));
    CHECK_EQ_U(deleted, 1); /* the second delete of k1 is skipped */
    CHECK_STATUS(srd_read(s, P("k1"), 2, &v, &n), SRD_NOT_FOUND);
    srd_close(s);
}

static void test_salvage_into_dangling_symlink_is_refused_and_target_not_created(void) {
    const char *src = tst_path("salvage-src.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(src, 0, &s) == SRD_OK);
    REQUIRE(srd_write(s, P("k"), 1, P("v"), 1) == SRD_OK);
    srd_close(s);
    const char *target = tst_path("salvage-link-target.srd");
    const char *link = tst_path("salvage-link.srd");
    REQUIRE(symlink(target, link) == 0);
    srd_salvage_report rep;
    memset(&rep, 0xA5, sizeof rep);
    srd_salvage_report want;
    memcpy(&want, &rep, sizeof rep);
    CHECK_STATUS(srd_salvage(src, link, &rep), SRD_INVALID_ARGUMENT);
    CHECK(memcmp(&rep, &want, sizeof rep) == 0);
    CHECK(!tst_file_exists(target));
    struct stat st;
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    char buf[PATH_MAX];
    ssize_t r = readlink(link, buf, sizeof buf - 1);
    CHECK(r > 0 && (size_t)r == strlen(target) && memcmp(buf, target, (size_t)r) == 0);
    /* a symlink in a directory that does not exist yet: the same */
    const char *link2 = tst_path("salvage-link2.srd");
    const char *target2 = tst_path("no-such-dir-yet/target.srd");
    REQUIRE(symlink(target2, link2) == 0);
    CHECK(srd_salvage(src, link2, &rep) != SRD_OK);
    CHECK(!tst_file_exists(target2));
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_hostile_input");
    signal(SIGALRM, on_alarm);
    alarm(tst_scale() < 1.0 ? 1800 : 300);
    tst_rng r = {77};
    tst_rng_fill(&r, big_junk, sizeof big_junk);
    big_junk[0] = 0xEE;

    setup();
    run_table();
    printf("  table: %lu cases over every exported function (%lu expected failures), each on a "
           "fresh thread: documented status, message set, outputs untouched, files unchanged\n",
           n_cases, n_failed_calls);
    test_busy_and_streams();
    test_iterators();
    test_status_and_version();
    test_non_utf8_paths();

    srd_iter_free(C.iter);
    srd_entry_free(C.entry);
    srd_entry_free(C.junk);
    srd_close(C.ro);
    srd_close(C.dst_ro);
    srd_close(C.empty_ro);
    srd_close(C.dst);
    srd_close(C.rw);

    test_sizes();
    test_misaligned_read_batch_out_and_bad_apply_batch_items_change_nothing();
    test_salvage_into_dangling_symlink_is_refused_and_target_not_created();
    free(C.too_long);
    free(C.long_component);
    return tst_test_finish();
}

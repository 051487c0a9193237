/**
 * @file simd_r_drive.h
 * @brief simd-r-drive: an append-only, single-file key/value store with
 * zero-copy, 64-byte aligned reads.
 *
 * The rules every declaration follows (errors, buffers, ownership, pointer
 * lifetimes, threads, fork() and other processes) are stated once, on the
 * page @ref conventions; declarations refer to them by their labels (E1, B1,
 * L1, T1, P1, ...). The functions are grouped by topic (see Modules).
 */

/**
 * @page conventions Conventions of the C API
 *
 * @section conventions_errors Errors (E)
 * - **E1** Every fallible function returns an srd_status; `SRD_OK` (0) is
 *   success. Outputs (the `out_` parameters) are written only on success,
 *   unless the function says otherwise (srd_verify()).
 * - **E2** On failure srd_last_error_message() describes what went wrong, and
 *   srd_last_error_os_errno() gives the operating-system error number (0 if
 *   none), on the calling thread; successful calls do not change them.
 * - **E3** Any function returning srd_status may return `SRD_PANIC`: a bug
 *   inside the library, caught at the C boundary; the call had no effect that
 *   can be relied on. Functions returning something else return a fixed
 *   fallback instead (NULL, the empty string or nothing).
 * - **E4** A NULL handle, a NULL output pointer or a NULL buffer with a
 *   non-zero length gives `SRD_INVALID_ARGUMENT` before anything is changed.
 *   Functions that release a handle accept NULL as a no-op.
 * - **E5** The detail of E2 is kept per OS thread and describes the last
 *   failing call on that thread. Read it on the same OS thread, right after
 *   the failing call and before any other `srd_` call there. Runtimes that
 *   move calls between OS threads or make them on worker threads (Go's
 *   goroutines, Node's async work and worker threads, async FFI calls such
 *   as koffi's) must make the call and read its detail inside one native
 *   function, on one thread, and hand the copies back with the status: the
 *   Go binding (bindings/go) and the Node binding (bindings/node) do so, and
 *   every caller gets the detail of its own call.
 *
 * @section conventions_buffers Buffers, keys and ownership (B)
 * - **B1** Buffers are passed as a pointer followed by a length; a length of 0
 *   allows a NULL pointer. The library reads caller buffers (keys, values,
 *   arrays, paths) only during the call and never keeps them.
 * - **B2** A key has at least 1 byte. A value has at least 1 byte and is not
 *   the single byte 0x00 (the format's deletion marker).
 * - **B3** Only the 64-bit XXH3 hash of a key is stored: keys cannot be
 *   listed, and two keys with the same hash are the same key. srd_hash_key()
 *   gives the hash the `_with_hash` functions take.
 * - **B4** Handles (srd_store, srd_entry, srd_iter, srd_stream) belong to the
 *   caller from the call that makes them until the one that releases them:
 *   srd_close(), srd_entry_free(), srd_iter_free(), and srd_stream_commit()
 *   or srd_stream_abort(). A released handle must not be used again.
 *
 * @section conventions_lifetime Lifetimes of returned pointers (L)
 * - **L1** Borrowed values (from srd_read(), srd_read_with_hash(),
 *   srd_read_batch(), srd_read_batch_with_hash() and srd_read_last()) stay
 *   valid and unchanged until srd_compact() (or srd_compact_progress()) or
 *   srd_close() on that store handle, or an srd_refresh() on it that takes in
 *   a compaction made by another process; overwriting or deleting the key and
 *   the file growing do not end them. A thread that may run concurrently
 *   with a compaction must use pinned entries (L2) instead.
 * - **L2** A pinned entry (from srd_read_entry() or
 *   srd_read_entry_with_hash()) and the pointer from srd_entry_data() stay
 *   valid, with unchanged bytes, until srd_entry_free(), even after
 *   srd_compact(), srd_refresh() and srd_close() on the store.
 * - **L3** The values an iterator returns (srd_iter_next()) stay valid until
 *   srd_iter_free(), not only until the next call, even after srd_compact()
 *   and srd_close() on the store.
 * - **L4** srd_status_str() and srd_version_string() return static strings.
 *   srd_last_error_message() returns a string valid until the next failing
 *   call on the same thread. Never free any of them.
 * - **L5** A store opened over caller memory (srd_open_bytes()) reads that
 *   memory in place: it must stay valid and unchanged until the store is
 *   closed and every entry and iterator from it is freed. A store opened
 *   over an entry (srd_open_entry()) keeps the entry's bytes alive itself.
 * - **L6** Value pointers point into the memory map (or the caller's memory,
 *   L5) and are read-only: never write through or free them. Values start at
 *   multiples of 64 in the file, so every value pointer is 64-byte aligned
 *   (for srd_open_bytes(), when the memory is).
 *
 * @section conventions_threads Threads (T)
 * - **T1** A store handle may be used from any number of threads at once,
 *   except srd_close(), which must be the last call on it, with no other
 *   call running. Reads run in parallel and are not blocked by a writer's
 *   I/O; writes, deletes, batches and compaction are serialized.
 * - **T2** An open stream (srd_stream_begin()) owns the store's writer until
 *   it is committed or aborted: writes, deletes, compactions and streams from
 *   other threads wait; from the thread that began it they fail at once with
 *   `SRD_BUSY` (they would wait for themselves).
 * - **T3** An entry may be read from several threads at once. An iterator or
 *   a stream is used by one thread at a time (any thread). Free each handle
 *   once, when no thread uses it.
 * - **T4** Functions that take no handle (srd_status_str(),
 *   srd_last_error_message(), the version functions, srd_hash_key(),
 *   srd_namespace_key(), srd_salvage()) may be called from any thread at any
 *   time. Progress callbacks run on the calling thread and must not call
 *   back into the library on the same store.
 *
 * @section conventions_processes fork() and other processes (P)
 * - **P1** fork(): a store handle belongs to the process that opened it. A
 *   child made by fork() may read through an inherited handle and may close
 *   it (srd_close() there releases the child's memory only: never the
 *   parent's writer lock, and it saves no index file), but every write,
 *   delete, stream, sync or compaction through it returns `SRD_BROKEN`. The
 *   parent's srd_close() releases the lock even while such a child lives. To
 *   write in the child, open the store there after the parent has closed it.
 *   Pinned entries, iterators and pointers stay readable in the child. As
 *   with LMDB, do not keep using a store across exec() (descriptors are
 *   close-on-exec).
 * - **P2** Other processes: a read-write open takes an exclusive lock on the
 *   file, so a second read-write open, from this process or another, fails
 *   with `SRD_LOCKED`. Read-only handles (`SRD_OPEN_READ_ONLY`) in other
 *   processes may open and srd_refresh() a store while one process writes. A
 *   writer marks the range it has not published (an open stream, an append
 *   over 64 KiB, a torn tail being cut) with an `F_OFD_SETLK` lock, and
 *   readers stay below it (a stream whose range cannot be marked is spooled
 *   beside the store until its commit); other bytes not yet known to be
 *   complete entries are read with pread, never through the memory map. So
 *   the library's own truncations (aborted streams, failed appends, torn-tail
 *   recovery, preallocated space cut at a read-write open) do not make
 *   readers fault. Exception: a torn tail of more than 1 GiB left by a
 *   crashed writer is checked through the map beyond its last 64 KiB, and
 *   faults a reader scanning it if a read-write open cuts it at that moment.
 *   A program that truncates the file by other means can make readers fault
 *   (SIGBUS), as with any memory-mapped store.
 */

/** @defgroup errors Status codes and error messages
 *  @brief srd_status, its text, and the per-thread message and OS error number of the last failure (rules E1 to E5). */
/** @defgroup version Version
 *  @brief The header's version macros and the loaded library's version. */
/** @defgroup lifecycle Opening, closing and maintaining a store
 *  @brief Open flags, srd_open(), srd_close(), compaction, sync, sizes and srd_refresh(). */
/** @defgroup writes Writing and deleting
 *  @brief Single keys, batches and prehashed keys; all serialized per store (rule T1). */
/** @defgroup conditional Conditional writes
 *  @brief Write only if a key is absent, or only if its version is the one read (compare-and-swap). */
/** @defgroup reads Reading
 *  @brief Borrowed values (rule L1), pinned entries (rule L2), batches and prehashed keys. */
/** @defgroup entries Pinned entries
 *  @brief Values that outlive compaction and the store handle (rule L2). */
/** @defgroup streams Streaming writes
 *  @brief Values too large to hold in memory, written piece by piece (rule T2). */
/** @defgroup iteration Iteration
 *  @brief Snapshots of the live entries, whole or in parts (rule L3). */
/** @defgroup keys Key hashes and namespaces
 *  @brief The hash a key is stored under (rule B3), and namespaced keys. */
/** @defgroup transfers Rename, copy and move
 *  @brief Moving values between keys and between stores. */
/** @defgroup verify Verification, compaction progress and space
 *  @brief Checking every checksum, progress callbacks, reclaimable bytes. */
/** @defgroup nested Stores over memory
 *  @brief Read-only stores opened in place over bytes or a pinned entry (rule L5). */
/** @defgroup salvage Salvage
 *  @brief Recovering the intact entries of a damaged store file. */

#ifndef SIMD_R_DRIVE_H
#define SIMD_R_DRIVE_H

/* Generated by cbindgen from the Rust sources (src/ffi). Do not edit: run scripts/regen-header.sh. */

#include <stddef.h>
#include <stdint.h>

/** Major version of this header (the library's at build time). @ingroup version */
#define SRD_VERSION_MAJOR 0
/** Minor version of this header. @ingroup version */
#define SRD_VERSION_MINOR 1
/** Patch version of this header. @ingroup version */
#define SRD_VERSION_PATCH 2
/** Version as MAJOR * 1000000 + MINOR * 1000 + PATCH; compare with srd_version_number(). @ingroup version */
#define SRD_VERSION_NUMBER 1002
/** Version as text; compare with srd_version_string(). @ingroup version */
#define SRD_VERSION_STRING "0.1.2"


/**
 * Open flag: open without the writer lock and never modify the file (a torn
 * tail is recovered in memory only). Implies `SRD_OPEN_NO_CREATE`. Writes,
 * deletes and compaction return `SRD_READ_ONLY`.
 * @ingroup lifecycle
 */
#define SRD_OPEN_READ_ONLY 1

/**
 * Open flag: fail with `SRD_NOT_FOUND` instead of creating a missing file.
 * @ingroup lifecycle
 */
#define SRD_OPEN_NO_CREATE 2

/**
 * Open flag: every write, batch, delete and stream commit is durable
 * (`fdatasync`) before the call returns. Concurrent writers share syncs
 * (group commit): when the last sync covered several writers, the next one
 * waits for them briefly (at most a quarter of the last sync's time, and
 * 500 us) so that it covers them too; a lone writer never waits. If
 * `fdatasync` itself fails, the call returns `SRD_IO`; its data stays in the
 * file (readers may already see it) but is not known to be durable, and
 * every later write through the handle returns `SRD_BROKEN` until it is
 * closed and the store reopened.
 * @ingroup lifecycle
 */
#define SRD_OPEN_SYNC 4

/**
 * Open flag: do not verify a value's checksum on its first read (faster
 * first reads of large values; damaged values are then not detected).
 * @ingroup lifecycle
 */
#define SRD_OPEN_NO_VERIFY 8

/**
 * Open flag: neither use nor write the index file. By default a read-write
 * handle of a store with at least 65,536 entries saves a copy of its index
 * beside the store, as `<path>.idx`, when it is closed, and later opens use
 * it (after checking it against the store's tail and its own checksums,
 * indexing only entries appended since) instead of walking the whole file.
 * A missing, stale or damaged index file is ignored and never changes an
 * answer; it may be deleted at any time.
 * @ingroup lifecycle
 */
#define SRD_OPEN_NO_INDEX_FILE 16

/**
 * Open flag: grow the file ahead of the store in chunks (an eighth of the
 * store, 1 to 8 MiB, reserved with `fallocate`) and copy appends of up to
 * 2 KiB into a shared writable mapping of that space instead of making a
 * `write` system call for each: several times faster small puts. While the
 * store is open its file is longer than the store (`srd_file_size` is the
 * store's length; the bytes after it are zeros), and it stays so after
 * `srd_close` (cutting the zeros off could crash a reader in another
 * process that is looking through them). Opens skip the zeros; a
 * read-write open without this flag, or `srd_compact`, cuts them off; a
 * read-write open with it keeps them and appends there. Durability with
 * `SRD_OPEN_SYNC` and `srd_sync` is unchanged (they cover the mapped
 * writes); but a power cut can leave unsynced pages on disk in another
 * order than written, and an open may then refuse the file with
 * `SRD_CORRUPT` (a break in the middle) where `write` calls would have
 * lost only the tail: `srd_salvage` recovers every intact entry. Used only
 * on ext4, XFS and tmpfs (where `fallocate` reserves the blocks, so a full
 * disk fails the reservation, not a write into the mapping); elsewhere, and
 * with `SRD_OPEN_READ_ONLY`, the flag is ignored. Nothing but the store may
 * shorten the file while it is open (the mapping would fault). Takes
 * precedence over `SRD_OPEN_RESERVE`.
 * @ingroup lifecycle
 */
#define SRD_OPEN_PREALLOCATE 32

/**
 * Open flag: copy small appends into space reserved ahead of the store
 * instead of making a `write` system call for each (faster small puts), and
 * cut that space off at srd_close().
 *
 * The handle (read-write, on ext4, XFS or tmpfs; the flag is ignored
 * elsewhere and with `SRD_OPEN_READ_ONLY`) reserves space ahead of the
 * store in 64 KiB chunks filled with `0xFE` bytes (written with `pwrite`, so
 * a full disk fails that write, never a write into the mapping; never past
 * the process's `RLIMIT_FSIZE`) and copies appends of up to 2 KiB into a
 * shared writable mapping of it. While the handle is open the file is
 * usually longer than the store: from its first small append on, until a
 * large append runs past the reserved space, `0xFE` bytes follow the store
 * (`srd_file_size` is the store's length). srd_close() cuts them off, so a closed store is
 * byte for byte what the Rust crate writes. After a crash of the process
 * (or a handle left open in a fork child or a broken writer) they stay,
 * and every reader takes them for a torn tail: opens skip them, a
 * read-write open cuts them off, the crate's recovery passes over them.
 * Durability with `SRD_OPEN_SYNC` and `srd_sync` is unchanged (they cover
 * the mapped writes); a crash of the process loses nothing that was
 * acknowledged. Not the default, because a process killed in the middle
 * of a copy leaves a partly written append (a `write` call is cut only at
 * a page boundary): this library drops it as a torn tail, but the Rust
 * crate's recovery checks no checksum and can take such bytes for entries
 * (a batch in part, or a chain that skips most of the store) if it opens
 * the file before this library has. A power cut can leave unsynced pages
 * on disk in another order than written (a later page written, an earlier
 * one still `0xFE`), and an open may then refuse the file with
 * `SRD_CORRUPT` (a break in the middle) instead of cutting the tail:
 * `srd_salvage` recovers every intact entry; `SRD_OPEN_SYNC` or `srd_sync`
 * prevents it for what they cover. Nothing but the store may shorten the
 * file while it is open (the mapping would fault). A read-only handle in
 * another process reads the reserved bytes at each srd_refresh() to find
 * where the store ends. `SRD_OPEN_PREALLOCATE` takes precedence.
 * @ingroup lifecycle
 */
#define SRD_OPEN_RESERVE 64

/**
 * srd_op kind: store `value` under `key`.
 * @ingroup writes
 */
#define SRD_OP_WRITE 1

/**
 * srd_op kind: delete `key` (skipped if it has no value at that point of the
 * batch).
 * @ingroup writes
 */
#define SRD_OP_DELETE 2

/**
 * @brief Length in bytes of a key made by srd_namespace_key().
 * @ingroup keys
 */
#define SRD_NAMESPACE_KEY_LEN 16

/**
 * @brief Result of every fallible `srd_` function (rule E1 in @ref conventions).
 *
 * `SRD_OK` (0) is success; any other value is a failure, described in more
 * detail by srd_last_error_message() and srd_last_error_os_errno() on the same
 * thread (rules E2 and E5). In C before C23 the type is `int32_t`, and
 * the enumeration's tag is `srd_status_code` (a tag named like the
 * typedef would be invalid C++, which `-Wc++-compat` reports); the set of codes may grow in later versions, so treat unknown
 * values as failures (srd_status_str() names them "unknown status code"). Each
 * function lists the codes it can return.
 * @ingroup errors
 */
enum srd_status_code
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : int32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success.
   */
  SRD_OK = 0,
  /**
   * The key has no live value (absent or deleted), or the file to open
   * does not exist and may not be created.
   */
  SRD_NOT_FOUND = 1,
  /**
   * A pointer, length, flag or value the call cannot accept; nothing was
   * changed.
   */
  SRD_INVALID_ARGUMENT = 2,
  /**
   * An operating-system call failed (disk full, permission denied, ...);
   * the store is left consistent.
   */
  SRD_IO = 3,
  /**
   * The file is not a valid store, its metadata chain is broken in the
   * middle, or a value failed its checksum. The file is not modified.
   */
  SRD_CORRUPT = 4,
  /**
   * Another read-write handle (in this process or another) holds the
   * file's writer lock.
   */
  SRD_LOCKED = 5,
  /**
   * A write, delete or compaction on a store opened with
   * `SRD_OPEN_READ_ONLY`.
   */
  SRD_READ_ONLY = 6,
  /**
   * A bug inside the library was caught at the C boundary; the call had no
   * effect that can be relied on. Please report it.
   */
  SRD_PANIC = 7,
  /**
   * The calling thread holds an open stream (`srd_stream_begin`) on this
   * store: a write, delete, compaction or second stream from the same
   * thread would wait for itself, so it fails instead. Nothing changed.
   */
  SRD_BUSY = 8,
  /**
   * This handle can no longer write, and nothing was changed: an earlier
   * `fdatasync` failed (with `SRD_OPEN_SYNC` or `srd_sync`: data written
   * before may not be on disk, and Linux reports such an error only once),
   * a failed append could not be rolled back, or the handle was inherited
   * across `fork()` (only the process that opened a store may write
   * through it). Reads through the handle still work. Close it and open
   * the store again (like LMDB's `MDB_PANIC`); in a forked child, open the
   * store anew once the parent has closed it.
   */
  SRD_BROKEN = 9,
  /**
   * A conditional write (srd_write_if_absent(), srd_write_if_version(),
   * srd_delete_if_version()) found its condition false: the key had a
   * value where none was expected, or its live version is not the one
   * expected. Nothing was written.
   */
  SRD_CONFLICT = 10,
};
/**
 * @brief The type every fallible function returns: `int32_t` before C23, the
 * enumeration ::srd_status_code in C23 and C++; its values are the `SRD_*` codes
 * listed there (rule E1 in @ref conventions).
 * @ingroup errors
 */
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
typedef enum srd_status_code srd_status;
#else
typedef int32_t srd_status;
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L

/**
 * @brief A pinned value (opaque handle), from srd_read_entry() or
 * srd_read_entry_with_hash().
 *
 * Owned by the caller and released with srd_entry_free() (rule B4 in @ref
 * conventions). Its bytes stay mapped and unchanged until then, even after
 * srd_compact() or srd_close() on the store it came from (rule L2).
 *
 * Threads: an entry may be read from several threads at once; free it once,
 * when no thread uses it (rule T3).
 * @ingroup entries
 */
typedef struct srd_entry srd_entry;

/**
 * @brief An iterator over the live entries of a store (opaque handle), from
 * srd_iter_new() or srd_iter_new_part().
 *
 * A snapshot as of that call, in file order (oldest first): later writes,
 * deletes and compactions neither appear in it nor disturb it. Owned by the
 * caller and released with srd_iter_free() (rule B4 in @ref conventions); the
 * value pointers it returns stay valid until then, even after srd_compact() or
 * srd_close() on the store (rule L3).
 *
 * Threads: use an iterator from one thread at a time; several iterators (e.g.
 * one per part) may run in parallel (rule T3).
 * @ingroup iteration
 */
typedef struct srd_iter srd_iter;

/**
 * @brief An open store (opaque handle).
 *
 * Made by srd_open(), srd_open_bytes() or srd_open_entry(); owned by the caller
 * and released with srd_close() (rule B4 in @ref conventions).
 *
 * Threads: one handle may be used from any number of threads at once, except
 * srd_close() (rule T1). Reads run in parallel and are not blocked by a writer's
 * I/O; writes, deletes and compaction are serialized. After fork(), rule P1.
 * @ingroup lifecycle
 */
typedef struct srd_store srd_store;

/**
 * @brief An open streaming write (opaque handle), from srd_stream_begin().
 *
 * Owned by the caller and finished by exactly one call of srd_stream_commit()
 * or srd_stream_abort(), which free it (rule B4 in @ref conventions). It keeps
 * its store alive: finish it before or after srd_close(), but finish it.
 *
 * While it is open the stream owns the store's writer (rule T2): writes,
 * deletes, compactions and other streams from other threads wait until it
 * ends; from the thread that began it they fail with `SRD_BUSY`. Readers are
 * never blocked and see nothing of the value before the commit.
 *
 * Threads: written and finished from any thread, one at a time (rule T3).
 * @ingroup streams
 */
typedef struct srd_stream srd_stream;

/**
 * @brief Progress callback: `done` out of `total` units of work (bytes for
 * verification, live entries for compaction).
 *
 * Called on the calling thread, a few hundred times at most, always with `done
 * == total` at the end. It must not call back into the library on the same
 * store (rule T4 in @ref conventions). `user_data` is the pointer given with
 * the callback, passed through untouched.
 * @ingroup verify
 */
typedef void (*srd_progress_fn)(void *user_data, uint64_t done, uint64_t total);

/**
 * @brief One key/value pair of srd_write_batch().
 *
 * The library only reads the pointed-to bytes during the call and keeps no
 * reference to them (rule B1 in @ref conventions).
 * @ingroup writes
 */
typedef struct srd_kv {
  /**
   * The key's bytes (`key_len` of them; must not be empty).
   */
  const uint8_t *key;
  /**
   * Length of the key.
   */
  size_t key_len;
  /**
   * The value's bytes (`value_len` of them; not empty, not a single 0x00).
   */
  const uint8_t *value;
  /**
   * Length of the value.
   */
  size_t value_len;
} srd_kv;

/**
 * @brief One key of srd_delete_batch() and srd_read_batch().
 *
 * The library only reads the key during the call (rule B1 in @ref
 * conventions).
 * @ingroup writes
 */
typedef struct srd_key {
  /**
   * The key's bytes (`key_len` of them; must not be empty).
   */
  const uint8_t *key;
  /**
   * Length of the key.
   */
  size_t key_len;
} srd_key;

/**
 * @brief One operation of srd_apply_batch().
 *
 * The library only reads the pointed-to bytes during the call and keeps no
 * reference to them (rule B1 in @ref conventions).
 * @ingroup writes
 */
typedef struct srd_op {
  /**
   * `SRD_OP_WRITE` or `SRD_OP_DELETE`.
   */
  uint32_t kind;
  /**
   * The key's bytes (`key_len` of them; must not be empty).
   */
  const uint8_t *key;
  /**
   * Length of the key.
   */
  size_t key_len;
  /**
   * For `SRD_OP_WRITE`: the value's bytes (not empty, not a single 0x00).
   * Ignored for `SRD_OP_DELETE`.
   */
  const uint8_t *value;
  /**
   * Length of the value (ignored for `SRD_OP_DELETE`).
   */
  size_t value_len;
} srd_op;

/**
 * @brief One result of srd_read_batch() and srd_read_batch_with_hash().
 *
 * `value` is NULL and `value_len` 0 unless `status` is `SRD_OK`. The value is
 * borrowed as from srd_read() (rule L1 in @ref conventions).
 * @ingroup reads
 */
typedef struct srd_read_result {
  /**
   * The value's bytes, 64-byte aligned; valid as for `srd_read`.
   */
  const uint8_t *value;
  /**
   * Length of the value.
   */
  size_t value_len;
  /**
   * This key's outcome.
   */
  srd_status status;
} srd_read_result;

/**
 * @brief What srd_verify() found.
 *
 * Plain data, written by the library into caller memory.
 * @ingroup verify
 */
typedef struct srd_verify_report {
  /**
   * Entries in the chain (all versions and tombstones) examined. Batch
   * markers are checked too but not counted, as in srd_entry_count().
   */
  uint64_t entries_checked;
  /**
   * Payload bytes whose CRC-32 was recomputed (batch markers' not counted).
   */
  uint64_t bytes_checked;
  /**
   * Bytes of the store examined.
   */
  uint64_t file_size;
  /**
   * File offset of the first (lowest) problem; `UINT64_MAX` if none.
   */
  uint64_t first_bad_offset;
  /**
   * Entries whose checksum did not match.
   */
  uint64_t bad_entries;
} srd_verify_report;

/**
 * @brief What srd_salvage() recovered and lost.
 *
 * Plain data, written by the library into caller memory.
 * @ingroup salvage
 */
typedef struct srd_salvage_report {
  /**
   * Size of the damaged file, in bytes.
   */
  uint64_t source_size;
  /**
   * Intact entries found (all versions and tombstones).
   */
  uint64_t entries_recovered;
  /**
   * Live values written to the new store.
   */
  uint64_t live_keys_written;
  /**
   * Damaged stretches of the file that were skipped.
   */
  uint64_t damaged_regions;
  /**
   * Bytes in those stretches: the entries there are lost.
   */
  uint64_t bytes_lost;
  /**
   * Offset of the first damaged stretch; `UINT64_MAX` if none.
   */
  uint64_t first_damage_offset;
} srd_salvage_report;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * @brief Returns a short, static English description of a status code.
 *
 * @param status Any value: codes this version does not know give "unknown
 * status code".
 * @return A static NUL-terminated string, never NULL; never free it (rule L4 in
 * @ref conventions).
 *
 * Threads: any thread, at any time (rule T4).
 * @ingroup errors
 */
const char *srd_status_str(int32_t status);

/**
 * @brief Returns the message of the last failed `srd_` call on the calling
 * thread.
 *
 * The message says what went wrong, with the path, offset and operating-system
 * error where they apply. Successful calls do not change it (rule E2 in @ref
 * conventions). Before any failure on this thread it is the empty string. A
 * failure made while its thread or the process is exiting, after the
 * library's per-thread storage is gone (from a pthread key destructor, an
 * `atexit` handler or a C++ static destructor), still returns its status and
 * sets its OS error number, but its message reads "(message unavailable: the
 * thread is exiting)".
 *
 * @return A NUL-terminated string owned by the library, never NULL; never free
 * it. Lifetime: until the next failing `srd_` call on the same thread (rule L4).
 *
 * Threads: each OS thread has its own message; read it on the thread that made
 * the failing call, before any other `srd_` call there (rule E5: Go, Node and
 * other runtimes that move calls between threads must read it inside the same
 * native function as the call).
 * @ingroup errors
 */
const char *srd_last_error_message(void);

/**
 * @brief Returns the operating-system error number (`errno`) of the last failed
 * `srd_` call on the calling thread, or 0 if that failure had none.
 *
 * Like SQLite's `sqlite3_system_errno()`: it tells apart the causes of an
 * `SRD_IO` failure (`ENOSPC`, `EACCES`, `EIO`, ...) without parsing the
 * message. It is set by every failure: to the number the failing OS call
 * reported for `SRD_IO` (0 in the rare case the OS gave none, such as a file
 * that ended early) and for `SRD_NOT_FOUND` from opening a path (`ENOENT`),
 * and to 0 for every other failure (a missing key, an invalid argument, a
 * corrupt file, a lock held by another writer, ...). Successful calls do not
 * change it (rule E2 in @ref conventions). Before any failure on this thread
 * it is 0.
 *
 * @return The `errno` value of the last failure on this thread (positive, as
 * in `<errno.h>`), or 0 if it had none.
 *
 * Threads: each OS thread has its own value; read it on the thread that made
 * the failing call, before any other `srd_` call there (rule E5).
 * @ingroup errors
 */
int32_t srd_last_error_os_errno(void);

/**
 * @brief Returns the library's version as `MAJOR * 1000000 + MINOR * 1000 +
 * PATCH`.
 *
 * The formula is that of the header's `SRD_VERSION_NUMBER`: comparing the two
 * tells whether the library loaded at run time is the one compiled against.
 *
 * @return The version number of the library loaded at run time.
 *
 * Threads: any thread, at any time (rule T4 in @ref conventions).
 * @ingroup version
 */
uint32_t srd_version_number(void);

/**
 * @brief Returns the library's version as text, e.g. "0.1.2".
 *
 * It equals the header's `SRD_VERSION_STRING` when the library loaded at run
 * time is the one compiled against.
 *
 * @return A static NUL-terminated string, never NULL; never free it (rule L4 in
 * @ref conventions).
 *
 * Threads: any thread, at any time (rule T4).
 * @ingroup version
 */
const char *srd_version_string(void);

/**
 * @brief Opens the store file at `path`, creating it if it does not exist
 * (unless `flags` has `SRD_OPEN_NO_CREATE` or `SRD_OPEN_READ_ONLY`).
 *
 * The whole metadata chain is validated and the index built (or, for a large
 * store, the index file loaded and checked: see `SRD_OPEN_NO_INDEX_FILE`). A
 * torn tail (a write cut short by a crash, or zeros or garbage after the last
 * entry) is recovered to the last complete entry; a read-write open truncates
 * the file there, a read-only open does so in memory only. A file that is not a
 * store, or whose chain is broken in the middle, is left untouched. A read-write
 * open takes an exclusive advisory lock on the file; read-only opens take no
 * lock (rule P2).
 *
 * @param path The store file's path, NUL-terminated; not NULL, not empty. It is
 * passed to the OS as bytes (it need not be UTF-8) and only read during the call
 * (rule B1).
 * @param flags 0 or an OR of `SRD_OPEN_*` flags.
 * @param out_store Output, not NULL: on success a new handle, owned by the
 * caller, to release with srd_close() (rule B4); not written on failure.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `path` or `out_store` is NULL, `path` is empty
 * or names a directory or another non-regular file, `flags` has unknown bits,
 * or the file is larger than the format's 16 TiB limit.
 * @retval SRD_NOT_FOUND the file does not exist and may not be created.
 * @retval SRD_LOCKED a read-write open, and another read-write handle (in this
 * process or another) holds the file's writer lock.
 * @retval SRD_CORRUPT the file is not a store, or its chain is broken in the
 * middle.
 * @retval SRD_IO an operating-system call (open, lock, stat, map, truncate)
 * failed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T4).
 * @ingroup lifecycle
 *
 * @pre `path` must be NULL or a NUL-terminated string; `out_store` NULL or
 * writable.
 */
srd_status srd_open(const char *path, uint32_t flags, struct srd_store **out_store);

/**
 * @brief Closes a store handle: releases the writer lock, the index and the
 * file's memory maps.
 *
 * Data already written is not lost; call srd_sync() first if it must be
 * durable. A read-write handle opened with `SRD_OPEN_RESERVE` first cuts
 * the file back to the store (the `0xFE` space reserved ahead of it), so a
 * closed store is byte for byte what the Rust crate writes; a handle whose
 * writes failed (`SRD_BROKEN`), or one closed in a fork() child, leaves that
 * space, which every reader then takes for a torn tail. A read-write handle of a store with 65,536 entries or more that
 * changed saves its index to `<path>.idx` first (about 19 bytes per key; see
 * `SRD_OPEN_NO_INDEX_FILE`); a failure to save it is ignored. An open stream
 * keeps the store (and its writer lock) alive until it is committed or aborted.
 * In a child made by fork() it releases the child's memory only (rule P1).
 *
 * @param store The handle to release, or NULL (a no-op). It must not be used
 * after the call (rule B4).
 *
 * Lifetime: ends the values borrowed from this handle (rule L1 in @ref
 * conventions); pinned entries and iterators stay valid until freed (rules L2,
 * L3).
 * Threads: no other call may use the handle during or after this one (rule
 * T1).
 * @ingroup lifecycle
 *
 * @pre `store` must be NULL or a handle from `srd_open` not yet closed.
 */
void srd_close(struct srd_store *store);

/**
 * @brief Takes a snapshot: a read-only store handle frozen at this moment
 * (what LMDB calls a read transaction).
 *
 * Every read function works on the snapshot (srd_read(), srd_read_entry(),
 * srd_read_batch(), srd_exists(), srd_count(), srd_entry_count(),
 * srd_file_size(), srd_read_last(), iterators, srd_verify(), the
 * `*_with_hash` variants, srd_version_of()) and sees exactly what `store`
 * held when the snapshot was taken: nothing written, deleted or compacted
 * later, by this handle or any other. Writes, deletes, streams and
 * compaction through it return `SRD_READ_ONLY`; srd_refresh() on it does
 * nothing. Nothing is copied: while a snapshot lives, each later change of a
 * key it holds keeps a few bytes for it, and its file's pages stay mapped.
 * A snapshot of a snapshot shows the same moment.
 *
 * @param store The store (any handle, read-write or read-only, or a
 * snapshot); not NULL.
 * @param out_snapshot Output, not NULL: the new handle, written only on
 * success. Owned by the caller: release it with srd_close(). It does not
 * depend on `store` staying open.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_snapshot` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3 in @ref
 * conventions).
 *
 * Lifetime: values read through the snapshot stay valid until srd_close() of
 * the snapshot, across srd_compact() and srd_close() of `store` (rule L1
 * applies with the snapshot's own close; the snapshot is never compacted).
 * Threads: as any store handle (rule T1); taking a snapshot waits only for a
 * publication under way, never for a writer's I/O.
 * @ingroup lifecycle
 *
 * @pre `store` NULL or a live handle; `out_snapshot` writable.
 */
srd_status srd_snapshot(const struct srd_store *store, struct srd_store **out_snapshot);

/**
 * @brief Rewrites the store file with only the live values (no old versions,
 * no tombstones).
 *
 * The new file is written beside the store (`<path>.compact.tmp`), synced with
 * its directory, then atomically renamed over the store file: a crash at any
 * moment leaves either the old or the new file, complete. The handle keeps
 * working afterwards.
 *
 * @param store The store; not NULL.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL.
 * @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
 * memory.
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule P1).
 * @retval SRD_CORRUPT a live value fails its checksum, or an entry is
 * malformed; nothing is changed.
 * @retval SRD_IO writing the new file failed (the store is unchanged) or, after
 * the switch, syncing the directory failed (the compaction has then taken
 * effect but may not survive power loss).
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: ends every value borrowed from this handle before the call (rule
 * L1 in @ref conventions); pinned entries and iterators stay valid.
 * Threads: rule T1; readers on other threads are not blocked until the final
 * switch, writers wait for the compaction to finish.
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`.
 */
srd_status srd_compact(struct srd_store *store);

/**
 * @brief Makes everything written so far durable (`fdatasync`).
 *
 * A no-op on a read-only store and a store over memory.
 *
 * @param store The store; not NULL.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL.
 * @retval SRD_IO `fdatasync` failed: data written before may not be on disk,
 * and every later write through the handle returns `SRD_BROKEN`.
 * @retval SRD_BROKEN the handle can no longer write (an earlier failed
 * `fdatasync` or roll-back), or was inherited across fork() (rule P1).
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T1 in @ref conventions); it does not wait for an
 * open stream.
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`.
 */
srd_status srd_sync(struct srd_store *store);

/**
 * @brief Makes room in the in-memory index for `additional_keys` more keys than
 * the store holds now.
 *
 * A capacity hint for bulk loads (as `reserve` is for a vector): loading that
 * many new keys then rebuilds the index once, here, instead of each time it
 * doubles. Nothing is written to the file, and writes beyond the reservation
 * still work (the index grows as usual). The reservation lasts until
 * srd_compact() (which sizes the index for the live keys) or srd_close(); the
 * index file saved at close is sized for the keys, so a reopen is too. An index
 * already large enough is kept, and 0 changes nothing (the checks below still
 * apply).
 *
 * It costs memory at once: 9 bytes per index slot, slots for at least 4/3 of
 * the live keys plus `additional_keys`, rounded up to a power of two, all
 * written (zeroed) during the call.
 *
 * @param store The store; not NULL.
 * @param additional_keys How many keys beyond the live ones to make room for.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, or the allocator refuses the
 * memory for that many keys (the store is unchanged; where the system
 * overcommits memory, an allocation it grants but cannot back fails as any
 * other memory exhaustion of the process does).
 * @retval SRD_READ_ONLY the store is read-only.
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle refuses writes (see `SRD_BROKEN`; rule P1).
 * @retval SRD_CORRUPT the index points outside the file (a damaged index file).
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; it waits for the writer, and readers go on meanwhile
 * (rule T1 in @ref conventions).
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`.
 */
srd_status srd_reserve(struct srd_store *store, uint64_t additional_keys);

/**
 * @brief Gives the number of live keys.
 *
 * @param store The store; not NULL.
 * @param out_live_keys Output, not NULL: the number of live keys.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_live_keys` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T1 in @ref conventions).
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`; `out_live_keys` writable.
 */
srd_status srd_count(const struct srd_store *store, uint64_t *out_live_keys);

/**
 * @brief Gives the size of the store's valid content in bytes.
 *
 * That is the file's length or, for a read-only store with a torn tail, the
 * length of the part that was recovered; the file of a store opened with
 * `SRD_OPEN_PREALLOCATE` has zeros after it, and while a handle opened with
 * `SRD_OPEN_RESERVE` is open (or after it crashed) the file may have `0xFE`
 * bytes after it.
 *
 * @param store The store; not NULL.
 * @param out_bytes Output, not NULL: the size in bytes.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_bytes` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T1 in @ref conventions).
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`; `out_bytes` writable.
 */
srd_status srd_file_size(const struct srd_store *store, uint64_t *out_bytes);

/**
 * @brief Gives the number of entries in the file, counting old versions and
 * tombstones.
 *
 * The marker entry a batch begins with (docs/FORMAT.md, "Batches") is not
 * counted: the count is of values and tombstones written.
 *
 * @param store The store; not NULL.
 * @param out_entries Output, not NULL: the number of entries.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_entries` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T1 in @ref conventions).
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`; `out_entries` writable.
 */
srd_status srd_entry_count(const struct srd_store *store, uint64_t *out_entries);

/**
 * @brief For a store opened with `SRD_OPEN_READ_ONLY`: takes in what a writer
 * (usually another process) appended since this handle was opened or last
 * refreshed.
 *
 * Only the new entries are validated; one still being written is left for a
 * later refresh (rule P2). If the file was replaced by a compaction, or
 * rewritten in place below what this handle shows (the 20 metadata bytes at
 * the end it had taken in are not the same any more: a copy over the file,
 * another process cutting and rewriting a damaged last entry), the file is
 * opened and validated afresh instead, and values this handle had checked
 * are checked again. A no-op on read-write stores and stores over memory.
 *
 * @param store The store; not NULL.
 * @return `SRD_OK` on success (also when nothing changed), or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, the path now names something
 * other than a regular file, or the file grew past the 16 TiB limit.
 * @retval SRD_NOT_FOUND the file is gone.
 * @retval SRD_CORRUPT a file that replaced the store is not a valid store, or
 * the index points outside the file.
 * @retval SRD_IO an operating-system call failed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: taking in a compaction or a file rewritten in place ends the
 * values borrowed from this handle, as srd_compact() does (rule L1 in @ref conventions); pinned entries and
 * iterators stay valid.
 * Threads: may run while other threads read through the handle (rule T1).
 * @ingroup lifecycle
 *
 * @pre `store` as for `srd_close`.
 */
srd_status srd_refresh(struct srd_store *store);

/**
 * @brief Writes a consistent, synced copy of the store as it is now to
 * `dst_path`, while writers and readers go on; the copy opens on its own (and
 * with the crate).
 *
 * The copy is of a snapshot (srd_snapshot()): the store's complete entries at
 * this moment, nothing written later. If `dst_path` already holds an earlier
 * backup of this store, only what is new is appended to it and synced: a crash
 * meanwhile leaves the earlier backup, with a torn tail that every open cuts
 * off. Otherwise (no file there, a backup made before a compaction, or another
 * store) the copy is written to `<dst_path>.backup.tmp`, synced, renamed over
 * `dst_path`, and the directory synced: a crash leaves the earlier file or
 * none. Unlike a plain `cp` of a live store, which can copy the last write
 * half done (a torn tail, cut at the next open) and is not synced, the
 * backup holds exactly the entries of one moment and is on disk when the call
 * returns.
 *
 * @param store The store (read-write, read-only, a snapshot or over memory);
 * not NULL.
 * @param dst_path The backup file, NUL-terminated; not NULL, not empty.
 * @param progress Called as bytes are written with (user_data, bytes written,
 * bytes to write); may be NULL. Runs on the calling thread and must not call
 * into this store (rule T4 in @ref conventions).
 * @param user_data Passed to `progress` untouched.
 * @return `SRD_OK` once the backup is complete and durable, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `dst_path` is NULL, `dst_path` is
 * empty, is the store's own file, is not a regular file, or is a file that is
 * not a store (left alone).
 * @retval SRD_LOCKED `dst_path` is a store open for writing.
 * @retval SRD_IO reading, writing, syncing or renaming failed; an earlier
 * backup at `dst_path` stays usable.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread, alongside readers and writers of `store` (rule T1).
 * @ingroup lifecycle
 *
 * @pre `store` NULL or a live handle; `dst_path` NULL or NUL-terminated; `progress`
 * NULL or a valid function for the duration of the call.
 */
srd_status srd_backup(const struct srd_store *store,
                      const char *dst_path,
                      srd_progress_fn progress,
                      void *user_data);

/**
 * @brief Stores `value` under `key`, replacing any older value.
 *
 * The value is visible to every thread when the call returns and has reached
 * the OS (durable too if the store was opened with `SRD_OPEN_SYNC`). On failure
 * nothing is written, except that a failing `fdatasync` leaves the value in the
 * file (see `SRD_OPEN_SYNC`).
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL, and only read during the call (rule
 * B1 in @ref conventions).
 * @param key_len Length of `key`: at least 1 (rule B2).
 * @param value The value's bytes; not NULL, and only read during the call.
 * @param value_len Length of `value`: at least 1, and a one-byte value must not
 * be 0x00 (the format's deletion marker; rule B2).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, a NULL pointer has a non-zero
 * length, the key or value is empty, the value is one 0x00 byte, or the value
 * would take the file past the 16 TiB limit (refused before any of its bytes
 * is read).
 * @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
 * memory (srd_open_bytes(), srd_open_entry()).
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
 * roll-back failed, or it was inherited across fork() (rule P1).
 * @retval SRD_IO the write failed (it is cut back: the store stays consistent)
 * or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
 * @retval SRD_CORRUPT the index points outside the file (a damaged index file),
 * found when the index grows.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; writers are serialized (rule T1).
 * @ingroup writes
 *
 * @pre `store` as for `srd_close`; `key` and `value` readable for their lengths.
 */
srd_status srd_write(struct srd_store *store,
                     const uint8_t *key,
                     size_t key_len,
                     const uint8_t *value,
                     size_t value_len);

/**
 * @brief Stores `count` key/value pairs with one append.
 *
 * They become visible all at once, and a later item wins over an earlier one
 * with the same key. One invalid item (same rules as srd_write()) rejects the
 * whole batch before anything is written; the message names the item ("batch
 * item 3: ..."). A batch of more than one item is crash-atomic: after a crash or
 * power cut during the call, the store holds all of it or none of it (it begins
 * with a batch marker entry; see docs/FORMAT.md, "Batches").
 *
 * @param store The store; not NULL.
 * @param items Array of `count` pairs; NULL only if `count` is 0. It and the
 * bytes it points to are only read during the call (rule B1 in @ref
 * conventions).
 * @param count Number of items; 0 is a no-op (`SRD_OK` even on a read-only
 * store).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, `items` is NULL with a non-zero
 * `count`, an item is invalid as for srd_write(), or the batch would take the
 * file past the 16 TiB limit.
 * @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
 * memory (srd_open_bytes(), srd_open_entry()).
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
 * roll-back failed, or it was inherited across fork() (rule P1).
 * @retval SRD_IO the write failed (it is cut back: the store stays consistent)
 * or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
 * @retval SRD_CORRUPT the index points outside the file (a damaged index file),
 * found when the index grows.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_write().
 * @ingroup writes
 *
 * @pre `items` must point to `count` valid `srd_kv` whose pointers are readable
 * for their lengths.
 */
srd_status srd_write_batch(struct srd_store *store, const struct srd_kv *items, size_t count);

/**
 * @brief Deletes `key` by appending a tombstone.
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL, and only read during the call (rule
 * B1 in @ref conventions).
 * @param key_len Length of `key`: at least 1 (rule B2).
 * @return `SRD_OK` if the key had a value (now deleted), or:
 * @retval SRD_NOT_FOUND the key had no live value; nothing was written.
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, `key` is NULL with a non-zero
 * length, the key is empty, or the file is at the 16 TiB limit.
 * @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
 * memory (srd_open_bytes(), srd_open_entry()).
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
 * roll-back failed, or it was inherited across fork() (rule P1).
 * @retval SRD_IO the write failed (it is cut back: the store stays consistent)
 * or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
 * @retval SRD_CORRUPT the index points outside the file (a damaged index file),
 * found when the index grows.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: values borrowed earlier stay valid (rule L1).
 * Threads: as srd_write().
 * @ingroup writes
 *
 * @pre `store` as for `srd_close`; `key` readable for `key_len` bytes.
 */
srd_status srd_delete(struct srd_store *store, const uint8_t *key, size_t key_len);

/**
 * @brief Deletes, with one append, every key of `keys` that has a value.
 *
 * Keys that are absent (or repeated) are skipped, and the call still returns
 * `SRD_OK`. An invalid key rejects the whole call before anything is written;
 * the message names it ("batch key 3: ...").
 *
 * @param store The store; not NULL.
 * @param keys Array of `count` keys; NULL only if `count` is 0. Only read
 * during the call (rule B1 in @ref conventions).
 * @param count Number of keys; 0 is a no-op (`SRD_OK` even on a read-only
 * store).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, `keys` is NULL with a non-zero
 * `count`, a key is NULL with a non-zero length or empty, or the file is at the
 * 16 TiB limit.
 * @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
 * memory (srd_open_bytes(), srd_open_entry()).
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
 * roll-back failed, or it was inherited across fork() (rule P1).
 * @retval SRD_IO the write failed (it is cut back: the store stays consistent)
 * or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
 * @retval SRD_CORRUPT the index points outside the file (a damaged index file),
 * found when the index grows.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: values borrowed earlier stay valid (rule L1).
 * Threads: as srd_write().
 * @ingroup writes
 *
 * @pre `keys` must point to `count` valid `srd_key` whose pointers are readable.
 */
srd_status srd_delete_batch(struct srd_store *store, const struct srd_key *keys, size_t count);

/**
 * @brief Applies `count` writes and deletes, in order, with one append:
 * all-or-nothing, even across a crash or power cut.
 *
 * Readers see the whole batch at once. After a crash or power cut during the
 * call the store holds every operation of the batch or none (a batch of more
 * than one entry begins with a batch marker; see docs/FORMAT.md, "Batches").
 * A later item wins over an earlier one with the same key; a delete of a key
 * that has no value at that point (none before the batch, or deleted earlier
 * in it) is skipped. One invalid item rejects the whole batch before anything
 * is written; the message names it ("batch item 3: ...").
 *
 * @param store The store; not NULL.
 * @param ops Array of `count` operations; NULL only if `count` is 0. Only read
 * during the call (rule B1 in @ref conventions).
 * @param count Number of operations; 0 is a no-op (`SRD_OK` even on a
 * read-only store).
 * @param out_deleted Output, may be NULL: how many deletes were applied;
 * written only on success.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, `ops` is NULL with a non-zero
 * `count`, an item has an unknown kind, a NULL pointer with a non-zero length,
 * an empty key, or (writes) an empty or single 0x00 value, or the batch would
 * take the file past the 16 TiB limit.
 * @retval SRD_READ_ONLY as for srd_write().
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN as for srd_write() (rule P1).
 * @retval SRD_IO as for srd_write_batch().
 * @retval SRD_CORRUPT the index points outside the file (a damaged index file),
 * found when the index grows.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: values borrowed earlier stay valid (rule L1).
 * Threads: as srd_write().
 * @ingroup writes
 *
 * @pre `ops` must point to `count` valid `srd_op` whose pointers are readable;
 * `out_deleted` NULL or writable.
 */
srd_status srd_apply_batch(struct srd_store *store,
                           const struct srd_op *ops,
                           size_t count,
                           uint64_t *out_deleted);

/**
 * @brief As srd_write(), for the key whose hash (from srd_hash_key()) is
 * `key_hash`.
 *
 * The same key written by name or by hash is the same key (rule B3 in @ref
 * conventions).
 *
 * @param store The store; not NULL.
 * @param key_hash The key's hash, from srd_hash_key().
 * @param value The value's bytes; not NULL, and only read during the call.
 * @param value_len Length of `value`: at least 1, and a one-byte value must not
 * be 0x00 (rule B2).
 * @return As srd_write().
 *
 * Threads: as srd_write().
 * @ingroup writes
 *
 * @pre As `srd_write`.
 */
srd_status srd_write_with_hash(struct srd_store *store,
                               uint64_t key_hash,
                               const uint8_t *value,
                               size_t value_len);

/**
 * @brief As srd_delete(), for the key with hash `key_hash`.
 *
 * @param store The store; not NULL.
 * @param key_hash The key's hash, from srd_hash_key().
 * @return As srd_delete() (`SRD_NOT_FOUND` if the key had no live value).
 *
 * Threads: as srd_write() (rule T1 in @ref conventions).
 * @ingroup writes
 *
 * @pre `store` as for `srd_close`.
 */
srd_status srd_delete_with_hash(struct srd_store *store, uint64_t key_hash);

/**
 * @brief Looks up `key` and returns its value without copying.
 *
 * `*out_value` receives a pointer into the store's memory map, 64-byte aligned
 * and read-only (rule L6 in @ref conventions), and `*out_len` its length (at
 * least 1). This call does not allocate.
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL, and only read during the call (rule
 * B1 in @ref conventions).
 * @param key_len Length of `key`: at least 1 (rule B2).
 * @param out_value Output, not NULL: the value, borrowed from the store (rule
 * L1); written only on success.
 * @param out_len Output, not NULL: the value's length; written only on success.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store`, `out_value` or `out_len` is NULL, `key`
 * is NULL with a non-zero length, or the key is empty.
 * @retval SRD_NOT_FOUND the key is absent or deleted.
 * @retval SRD_CORRUPT the value fails its checksum (checked on the first read of
 * each value unless `SRD_OPEN_NO_VERIFY`), or the index points at a malformed
 * entry or beyond the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: rule L1: valid and unchanged until srd_compact() or srd_close() on
 * this handle, or an srd_refresh() that takes in a compaction, even if the key
 * is later overwritten or deleted. A thread that may run concurrently with a
 * compaction must use srd_read_entry() instead.
 * Threads: any number of threads may read at once, while others write (rule
 * T1).
 * @ingroup reads
 *
 * @pre `store` as for `srd_close`; `key` readable for `key_len` bytes; outputs
 * writable.
 */
srd_status srd_read(const struct srd_store *store,
                    const uint8_t *key,
                    size_t key_len,
                    const uint8_t **out_value,
                    size_t *out_len);

/**
 * @brief Looks up `key` and returns a pinned entry of its value.
 *
 * Use srd_entry_data() to get the bytes.
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL, and only read during the call (rule
 * B1 in @ref conventions).
 * @param key_len Length of `key`: at least 1 (rule B2).
 * @param out_entry Output, not NULL: on success a new entry, owned by the
 * caller, to release with srd_entry_free() (rule B4); not written on failure.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_entry` is NULL, `key` is NULL
 * with a non-zero length, or the key is empty.
 * @retval SRD_NOT_FOUND the key is absent or deleted.
 * @retval SRD_CORRUPT the value fails its checksum (checked on the first read of
 * each value unless `SRD_OPEN_NO_VERIFY`), or the index points at a malformed
 * entry or beyond the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: rule L2: the entry and its bytes stay valid until srd_entry_free(),
 * even across srd_compact(), srd_refresh() and srd_close().
 * Threads: as srd_read(); the entry itself as rule T3.
 * @ingroup reads
 *
 * @pre As `srd_read`.
 */
srd_status srd_read_entry(const struct srd_store *store,
                          const uint8_t *key,
                          size_t key_len,
                          struct srd_entry **out_entry);

/**
 * @brief Tells whether `key` has a live value.
 *
 * Does not check the value's checksum.
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL, and only read during the call (rule
 * B1 in @ref conventions).
 * @param key_len Length of `key`: at least 1 (rule B2).
 * @return `SRD_OK` if the key has a live value, or:
 * @retval SRD_NOT_FOUND it has none.
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, `key` is NULL with a non-zero
 * length, or the key is empty.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_read().
 * @ingroup reads
 *
 * @pre `store` as for `srd_close`; `key` readable for `key_len` bytes.
 */
srd_status srd_exists(const struct srd_store *store, const uint8_t *key, size_t key_len);

/**
 * @brief As srd_read(), for the key with hash `key_hash`.
 *
 * @param store The store; not NULL.
 * @param key_hash The key's hash, from srd_hash_key().
 * @param out_value Output, not NULL: the value, borrowed (rule L1 in @ref
 * conventions); written only on success.
 * @param out_len Output, not NULL: the value's length; written only on success.
 * @return As srd_read().
 *
 * Lifetime: rule L1, as srd_read(). Threads: as srd_read().
 * @ingroup reads
 *
 * @pre As `srd_read`.
 */
srd_status srd_read_with_hash(const struct srd_store *store,
                              uint64_t key_hash,
                              const uint8_t **out_value,
                              size_t *out_len);

/**
 * @brief As srd_read_entry(), for the key with hash `key_hash`.
 *
 * @param store The store; not NULL.
 * @param key_hash The key's hash, from srd_hash_key().
 * @param out_entry Output, not NULL: on success a new entry for
 * srd_entry_free() (rule B4 in @ref conventions).
 * @return As srd_read_entry().
 *
 * Lifetime: rule L2. Threads: as srd_read().
 * @ingroup reads
 *
 * @pre As `srd_read_entry`.
 */
srd_status srd_read_entry_with_hash(const struct srd_store *store,
                                    uint64_t key_hash,
                                    struct srd_entry **out_entry);

/**
 * @brief As srd_exists(), for the key with hash `key_hash`.
 *
 * @param store The store; not NULL.
 * @param key_hash The key's hash, from srd_hash_key().
 * @return `SRD_OK` if the key has a live value, or:
 * @retval SRD_NOT_FOUND it has none.
 * @retval SRD_INVALID_ARGUMENT `store` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_read() (rule T1 in @ref conventions).
 * @ingroup reads
 *
 * @pre `store` as for `srd_close`.
 */
srd_status srd_exists_with_hash(const struct srd_store *store, uint64_t key_hash);

/**
 * @brief Looks up `count` keys under one consistent view and fills `out[i]`
 * for `keys[i]`.
 *
 * No write lands between two of the lookups. Each result has its own status;
 * an invalid key fails the whole call, naming it ("batch key 3: ..."), before
 * anything is written to `out`.
 *
 * @param store The store; not NULL.
 * @param keys Array of `count` keys; NULL only if `count` is 0. Only read during
 * the call (rule B1 in @ref conventions).
 * @param count Number of keys.
 * @param out Output array with room for `count` results; NULL only if `count`
 * is 0. Written only when the call returns `SRD_OK`; each result's `status` is
 * `SRD_OK`, `SRD_NOT_FOUND` or `SRD_CORRUPT` (as for srd_read()).
 * @return `SRD_OK` when every key was looked up, whatever each one's own
 * status, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, `keys` or `out` is NULL with a
 * non-zero `count` or not aligned for its type, `count` is larger than
 * any array, or a key is NULL with a non-zero length or empty.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: the values are borrowed exactly like those of srd_read() (rule L1).
 * Threads: as srd_read().
 * @ingroup reads
 *
 * @pre `keys` points to `count` valid `srd_key`; `out` to `count` writable slots.
 */
srd_status srd_read_batch(const struct srd_store *store,
                          const struct srd_key *keys,
                          size_t count,
                          struct srd_read_result *out);

/**
 * @brief As srd_read_batch(), for `count` key hashes.
 *
 * @param store The store; not NULL.
 * @param key_hashes Array of `count` hashes (from srd_hash_key()); NULL only if
 * `count` is 0. Only read during the call (rule B1 in @ref conventions).
 * @param count Number of hashes.
 * @param out Output array with room for `count` results; NULL only if `count`
 * is 0. Written only when the call returns `SRD_OK`.
 * @return `SRD_OK` when every key was looked up, or:
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, or `key_hashes` or `out` is
 * NULL with a non-zero `count` or not aligned for its type, or `count` is
 * larger than any array.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: rule L1, as srd_read(). Threads: as srd_read().
 * @ingroup reads
 *
 * @pre `key_hashes` points to `count` hashes; `out` to `count` writable slots.
 */
srd_status srd_read_batch_with_hash(const struct srd_store *store,
                                    const uint64_t *key_hashes,
                                    size_t count,
                                    struct srd_read_result *out);

/**
 * @brief Returns the newest live value: the one written last (largest offset
 * in the file) whose key was not overwritten or deleted since.
 *
 * @param store The store; not NULL.
 * @param out_key_hash Output, not NULL: the value's key hash.
 * @param out_value Output, not NULL: the value, borrowed (rule L1 in @ref
 * conventions).
 * @param out_len Output, not NULL: the value's length.
 * @return `SRD_OK` on success (outputs written only then), or:
 * @retval SRD_NOT_FOUND the store has no live value.
 * @retval SRD_INVALID_ARGUMENT `store` or an output is NULL.
 * @retval SRD_CORRUPT the value fails its checksum, or an entry on the way is
 * malformed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: rule L1, as srd_read(). Threads: as srd_read() (rule T1).
 * @ingroup reads
 *
 * @pre `store` as for `srd_close`; outputs writable.
 */
srd_status srd_read_last(const struct srd_store *store,
                         uint64_t *out_key_hash,
                         const uint8_t **out_value,
                         size_t *out_len);

/**
 * @brief Stores `value` under `key` only if the key has no live value.
 *
 * The condition is checked under the store's writer lock, against the index
 * in memory (no extra I/O), so no other write through this handle comes
 * between the check and the write. Otherwise as srd_write().
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
 * @param key_len Length of `key`: at least 1.
 * @param value The value's bytes; not NULL (rules B1, B2).
 * @param value_len Length of `value`: at least 1, and a one-byte value must not
 * be 0x00.
 * @return `SRD_OK` if the value was stored, or:
 * @retval SRD_CONFLICT the key has a live value; nothing was written.
 * @retval SRD_INVALID_ARGUMENT as for srd_write().
 * @retval SRD_READ_ONLY as for srd_write().
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN as for srd_write() (rule P1).
 * @retval SRD_IO as for srd_write().
 * @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; writers are serialized (rule T1).
 * @ingroup conditional
 *
 * @pre `store` as for `srd_close`; `key` and `value` readable for their lengths.
 */
srd_status srd_write_if_absent(struct srd_store *store,
                               const uint8_t *key,
                               size_t key_len,
                               const uint8_t *value,
                               size_t value_len);

/**
 * @brief Stores `value` under `key` only if the key's live value is the
 * version `expected_version` (compare-and-swap).
 *
 * A version is the file offset where a value starts, as srd_version_of() or
 * srd_entry_offset() give it (the first value of a store has version 0). Every
 * write or delete of the key makes a new version. srd_compact() moves every
 * value: a version read before a compaction must not be used after it, because
 * another value of the key may land at the same offset by chance and match;
 * read it again with srd_version_of(). Checked as srd_write_if_absent() checks.
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
 * @param key_len Length of `key`: at least 1.
 * @param expected_version The version the caller read.
 * @param value The value's bytes; not NULL (rules B1, B2).
 * @param value_len Length of `value`: at least 1, and a one-byte value must not
 * be 0x00.
 * @return `SRD_OK` if the value was stored, or:
 * @retval SRD_CONFLICT the key has no live value, or its live version is not
 * `expected_version`; nothing was written.
 * @retval SRD_INVALID_ARGUMENT as for srd_write().
 * @retval SRD_READ_ONLY as for srd_write().
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN as for srd_write() (rule P1).
 * @retval SRD_IO as for srd_write().
 * @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; writers are serialized (rule T1).
 * @ingroup conditional
 *
 * @pre `store` as for `srd_close`; `key` and `value` readable for their lengths.
 */
srd_status srd_write_if_version(struct srd_store *store,
                                const uint8_t *key,
                                size_t key_len,
                                uint64_t expected_version,
                                const uint8_t *value,
                                size_t value_len);

/**
 * @brief Deletes `key` only if its live value is the version
 * `expected_version` (see srd_write_if_version()).
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
 * @param key_len Length of `key`: at least 1.
 * @param expected_version The version the caller read.
 * @return `SRD_OK` if the key was deleted, or:
 * @retval SRD_CONFLICT the key has no live value, or its live version is not
 * `expected_version`; nothing was written.
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, or the key is NULL with a
 * non-zero length, or empty.
 * @retval SRD_READ_ONLY as for srd_write().
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN as for srd_write() (rule P1).
 * @retval SRD_IO as for srd_delete().
 * @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; writers are serialized (rule T1).
 * @ingroup conditional
 *
 * @pre `store` as for `srd_close`; `key` readable for its length.
 */
srd_status srd_delete_if_version(struct srd_store *store,
                                 const uint8_t *key,
                                 size_t key_len,
                                 uint64_t expected_version);

/**
 * @brief Gives the version of the live value of `key`: the file offset
 * where the value starts (the same as srd_entry_offset() of the entry
 * srd_read_entry() would return), for srd_write_if_version() and
 * srd_delete_if_version().
 *
 * Reads only the index and the entry's metadata: the value's checksum is not
 * checked here.
 *
 * @param store The store; not NULL. Read-only handles work too.
 * @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
 * @param key_len Length of `key`: at least 1.
 * @param out_version Output, not NULL: the version; written only on success.
 * @return `SRD_OK` if the key has a live value, or:
 * @retval SRD_NOT_FOUND the key has no live value.
 * @retval SRD_INVALID_ARGUMENT `store` or `out_version` is NULL, or the key is
 * NULL with a non-zero length, or empty.
 * @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread, alongside writers (rule T1).
 * @ingroup conditional
 *
 * @pre `store` as for `srd_close`; `key` readable for its length; `out_version`
 * writable.
 */
srd_status srd_version_of(const struct srd_store *store,
                          const uint8_t *key,
                          size_t key_len,
                          uint64_t *out_version);

/**
 * @brief Returns the entry's value and its length.
 *
 * @param entry The entry, or NULL (then NULL is returned and 0 written).
 * @param out_len Output, or NULL if not wanted: the value's length.
 * @return The value's first byte, 64-byte aligned and read-only (rule L6 in
 * @ref conventions); NULL for a NULL entry. Never free it.
 *
 * Lifetime: until srd_entry_free(entry) (rule L2).
 * Threads: any thread (rule T3).
 * @ingroup entries
 *
 * @pre `entry` must be NULL or a live entry from `srd_read_entry`; `out_len` NULL
 * or writable.
 */
const uint8_t *srd_entry_data(const struct srd_entry *entry, size_t *out_len);

/**
 * @brief Releases a pinned entry.
 *
 * @param entry The entry, or NULL (a no-op). It must not be used after the
 * call (rule B4 in @ref conventions).
 *
 * Lifetime: the pointer from srd_entry_data() becomes invalid (rule L2).
 * Threads: no other thread may be using the entry (rule T3).
 * @ingroup entries
 *
 * @pre `entry` must be NULL or a live entry from `srd_read_entry`, not freed
 * before and not in use by another thread.
 */
void srd_entry_free(struct srd_entry *entry);

/**
 * @brief Copies up to `cap` bytes of the entry's value, starting `offset`
 * bytes into it, into `buf`: for callers that cannot hold pointers.
 *
 * @param entry The entry; not NULL.
 * @param offset Where to start, in bytes from the value's start; equal to the
 * value's length copies nothing.
 * @param buf Caller memory with room for `cap` bytes; NULL only if `cap` is 0.
 * @param cap Room in `buf`, in bytes.
 * @param out_n Output, not NULL: the number of bytes copied.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `entry` or `out_n` is NULL, `buf` is NULL with
 * a non-zero `cap`, or `offset` is beyond the value's length.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T3 in @ref conventions).
 * @ingroup entries
 *
 * @pre `entry` NULL or live; `buf` writable for `cap` bytes; `out_n` writable.
 */
srd_status srd_entry_read_at(const struct srd_entry *entry,
                             uint64_t offset,
                             uint8_t *buf,
                             size_t cap,
                             size_t *out_n);

/**
 * @brief Gives the entry's stored key hash (XXH3-64 of the key).
 *
 * @param entry The entry; not NULL.
 * @param out_key_hash Output, not NULL: the key hash.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `entry` or `out_key_hash` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T3 in @ref conventions).
 * @ingroup entries
 *
 * @pre `entry` NULL or live; output writable.
 */
srd_status srd_entry_key_hash(const struct srd_entry *entry, uint64_t *out_key_hash);

/**
 * @brief Gives the entry's stored CRC-32 (of its value).
 *
 * @param entry The entry; not NULL.
 * @param out_crc32 Output, not NULL: the stored checksum.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `entry` or `out_crc32` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T3 in @ref conventions).
 * @ingroup entries
 *
 * @pre `entry` NULL or live; output writable.
 */
srd_status srd_entry_checksum(const struct srd_entry *entry, uint32_t *out_crc32);

/**
 * @brief Gives the file offset where the entry's value starts (a multiple of
 * 64).
 *
 * @param entry The entry; not NULL.
 * @param out_offset Output, not NULL: the offset in bytes.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `entry` or `out_offset` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T3 in @ref conventions).
 * @ingroup entries
 *
 * @pre `entry` NULL or live; output writable.
 */
srd_status srd_entry_offset(const struct srd_entry *entry, uint64_t *out_offset);

/**
 * @brief Recomputes the CRC-32 of the entry's value now and compares it with
 * the stored checksum.
 *
 * @param entry The entry; not NULL.
 * @return `SRD_OK` if it matches, or:
 * @retval SRD_CORRUPT it does not.
 * @retval SRD_INVALID_ARGUMENT `entry` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T3 in @ref conventions).
 * @ingroup entries
 *
 * @pre `entry` NULL or live.
 */
srd_status srd_entry_verify(const struct srd_entry *entry);

/**
 * @brief Begins a streaming write of the value of `key`, for values too large
 * to hold in memory.
 *
 * Write the bytes with srd_stream_write(), then publish them with
 * srd_stream_commit() (or discard them with srd_stream_abort()). Waits while
 * another thread's stream is open on the store.
 *
 * @param store The store; not NULL.
 * @param key The key's bytes; not NULL, and only read during the call (rule
 * B1 in @ref conventions).
 * @param key_len Length of `key`: at least 1 (rule B2).
 * @param out_stream Output, not NULL: on success a new stream, owned by the
 * caller, to finish with srd_stream_commit() or srd_stream_abort() (rule B4).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_stream` is NULL, `key` is NULL
 * with a non-zero length, or the key is empty.
 * @retval SRD_READ_ONLY the store is read-only.
 * @retval SRD_BUSY this thread already has a stream open on the store (rule
 * T2).
 * @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
 * P1).
 * @retval SRD_IO creating the spool file or writing the padding failed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: rule T2.
 * @ingroup streams
 *
 * @pre `store` as for `srd_close`; `key` readable for `key_len` bytes;
 * `out_stream` writable.
 */
srd_status srd_stream_begin(struct srd_store *store,
                            const uint8_t *key,
                            size_t key_len,
                            struct srd_stream **out_stream);

/**
 * @brief As srd_stream_begin(), for the key with hash `key_hash`.
 *
 * @param store The store; not NULL.
 * @param key_hash The key's hash, from srd_hash_key().
 * @param out_stream Output, not NULL: on success a new stream (rule B4 in @ref
 * conventions).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_stream` is NULL.
 * @retval SRD_READ_ONLY the store is read-only.
 * @retval SRD_BUSY this thread already has a stream open on the store (rule
 * T2).
 * @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
 * P1).
 * @retval SRD_IO creating the spool file or writing the padding failed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: rule T2.
 * @ingroup streams
 *
 * @pre As `srd_stream_begin`.
 */
srd_status srd_stream_begin_with_hash(struct srd_store *store,
                                      uint64_t key_hash,
                                      struct srd_stream **out_stream);

/**
 * @brief Appends `len` bytes to the stream's value.
 *
 * The bytes go to the file (or the spool file) now but stay invisible until the
 * commit. After a failed write (`SRD_IO`, e.g. disk full, or the size limit)
 * the stream is poisoned: later writes and the commit fail with `SRD_IO` and
 * the store is rolled back; the stream must still be finished.
 *
 * @param stream The stream; not NULL.
 * @param data The bytes; NULL only if `len` is 0. Only read during the call
 * (rule B1 in @ref conventions).
 * @param len Number of bytes; 0 writes nothing (but a poisoned stream still
 * reports its failure).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `stream` is NULL, `data` is NULL with a
 * non-zero `len`, or the value would pass the 16 TiB limit.
 * @retval SRD_IO the write failed now or earlier.
 * @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
 * P1).
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: one thread at a time per stream (rule T3).
 * @ingroup streams
 *
 * @pre `stream` NULL or a live stream; `data` readable for `len` bytes.
 */
srd_status srd_stream_write(struct srd_stream *stream, const uint8_t *data, size_t len);

/**
 * @brief Publishes the streamed value under its key and frees the stream,
 * whatever the outcome.
 *
 * On failure nothing is stored and the store is as it was before
 * srd_stream_begin(). With `SRD_OPEN_SYNC` the value is durable when this
 * returns (see `SRD_OPEN_SYNC` for a failing `fdatasync`).
 *
 * @param stream The stream; not NULL. It must not be used after the call
 * (rule B4 in @ref conventions).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `stream` is NULL, the value is empty or a single
 * 0x00 byte (rule B2), or it would pass the 16 TiB limit.
 * @retval SRD_IO an earlier write failed, or writing the metadata (or, with
 * `SRD_OPEN_SYNC`, the `fdatasync`) failed.
 * @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
 * P1).
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread, with no other use of the stream (rule T3).
 * @ingroup streams
 *
 * @pre `stream` NULL or a live stream, not used after this call.
 */
srd_status srd_stream_commit(struct srd_stream *stream);

/**
 * @brief Discards the stream and frees it.
 *
 * The store is left as it was before srd_stream_begin(), and waiting writers
 * proceed.
 *
 * @param stream The stream, or NULL (a no-op). It must not be used after the
 * call (rule B4 in @ref conventions).
 *
 * Threads: any thread, with no other use of the stream (rule T3).
 * @ingroup streams
 *
 * @pre `stream` NULL or a live stream, not used after this call.
 */
void srd_stream_abort(struct srd_stream *stream);

/**
 * @brief Starts iterating over every live entry.
 *
 * Costs time and memory in proportion to the live entries (not to everything
 * ever written).
 *
 * @param store The store; not NULL.
 * @param out_iter Output, not NULL: on success a new iterator, owned by the
 * caller, to release with srd_iter_free() (rule B4 in @ref conventions).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_iter` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_read() (rule T1).
 * @ingroup iteration
 *
 * @pre `store` as for `srd_close`; `out_iter` writable.
 */
srd_status srd_iter_new(const struct srd_store *store, struct srd_iter **out_iter);

/**
 * @brief Starts iterating over part `part` of `parts` of the live entries, for
 * parallel scans.
 *
 * The parts split the entries by key hash, so each live entry is in exactly one
 * part.
 *
 * @param store The store; not NULL.
 * @param part Which part: less than `parts`.
 * @param parts How many parts: at least 1.
 * @param out_iter Output, not NULL: on success a new iterator for
 * srd_iter_free() (rule B4 in @ref conventions).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_iter` is NULL, `parts` is 0 or
 * `part` is not below `parts`.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_read(); iterators of different parts may run in parallel
 * (rule T3).
 * @ingroup iteration
 *
 * @pre As `srd_iter_new`.
 */
srd_status srd_iter_new_part(const struct srd_store *store,
                             uint32_t part,
                             uint32_t parts,
                             struct srd_iter **out_iter);

/**
 * @brief Moves to the next entry and returns its key hash and value.
 *
 * @param iter The iterator; not NULL.
 * @param out_key_hash Output, not NULL: the entry's key hash.
 * @param out_value Output, not NULL: the value, 64-byte aligned and read-only
 * (rule L6 in @ref conventions).
 * @param out_len Output, not NULL: the value's length.
 * @return `SRD_OK` with the next entry (outputs are written only then), or:
 * @retval SRD_NOT_FOUND there are no more entries.
 * @retval SRD_CORRUPT a value fails its checksum or an entry is malformed; the
 * iterator has moved past it, so keep calling.
 * @retval SRD_INVALID_ARGUMENT `iter` or an output is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: the value stays valid until srd_iter_free() (rule L3), not only
 * until the next call.
 * Threads: one thread at a time per iterator (rule T3).
 * @ingroup iteration
 *
 * @pre `iter` NULL or a live iterator; outputs writable.
 */
srd_status srd_iter_next(struct srd_iter *iter,
                         uint64_t *out_key_hash,
                         const uint8_t **out_value,
                         size_t *out_len);

/**
 * @brief Releases an iterator.
 *
 * @param iter The iterator, or NULL (a no-op). It must not be used after the
 * call (rule B4 in @ref conventions).
 *
 * Lifetime: the value pointers it returned become invalid (rule L3).
 * Threads: no other thread may be using it (rule T3).
 * @ingroup iteration
 *
 * @pre `iter` NULL or a live iterator, not used after this call.
 */
void srd_iter_free(struct srd_iter *iter);

/**
 * @brief Gives the 64-bit hash under which `key` is stored, for the
 * `_with_hash` functions.
 *
 * The hash is XXH3-64 with seed 0, identical to the Rust crate `simd-r-drive`
 * (rule B3 in @ref conventions). An empty key is hashed too (although the store
 * rejects empty keys). Returns a status rather than the hash so that a NULL key
 * with a non-zero length is reported, not hashed.
 *
 * @param key The key's bytes; NULL only if `key_len` is 0. Only read during
 * the call (rule B1).
 * @param key_len Length of `key`; may be 0.
 * @param out_hash Output, not NULL: the hash.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `key` is NULL with a non-zero length, or
 * `out_hash` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; no store needed (rule T4).
 * @ingroup keys
 *
 * @pre `key` readable for `key_len` bytes; `out_hash` writable.
 */
srd_status srd_hash_key(const uint8_t *key, size_t key_len, uint64_t *out_hash);

/**
 * @brief Makes the `SRD_NAMESPACE_KEY_LEN` (16) bytes that name `key` inside
 * the namespace `prefix`.
 *
 * They are the little-endian XXH3-64 of the prefix, then that of the key: the
 * same bytes as the Rust crate's `NamespaceHasher::namespace`. Use them as an
 * ordinary key.
 *
 * @param prefix The namespace's bytes; not NULL, not empty. Only read during
 * the call (rule B1 in @ref conventions).
 * @param prefix_len Length of `prefix`: at least 1.
 * @param key The key's bytes; NULL only if `key_len` is 0. Only read during
 * the call.
 * @param key_len Length of `key`; may be 0.
 * @param out_key Output, not NULL: caller memory with room for 16 bytes.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT a NULL pointer with a non-zero length, an empty
 * prefix, or a NULL `out_key`.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T4).
 * @ingroup keys
 *
 * @pre `prefix` and `key` readable for their lengths; `out_key` writable for 16
 * bytes.
 */
srd_status srd_namespace_key(const uint8_t *prefix,
                             size_t prefix_len,
                             const uint8_t *key,
                             size_t key_len,
                             uint8_t *out_key);

/**
 * @brief Gives the value of `old_key` to `new_key` and deletes `old_key`, with
 * one append.
 *
 * The append is a batch: after a crash or power cut the rename happened
 * entirely or not at all (docs/FORMAT.md, "Batches").
 *
 * @param store The store; not NULL.
 * @param old_key The key to rename; not NULL. Only read during the call (rule
 * B1 in @ref conventions).
 * @param old_key_len Length of `old_key`: at least 1.
 * @param new_key The new key; not NULL, not the same key as `old_key`. Only
 * read during the call.
 * @param new_key_len Length of `new_key`: at least 1.
 * @return `SRD_OK` on success, or:
 * @retval SRD_NOT_FOUND `old_key` has no live value; nothing was written.
 * @retval SRD_INVALID_ARGUMENT `store` is NULL, a key is NULL with a non-zero
 * length or empty, the two keys are the same key, or the file is at the 16 TiB
 * limit.
 * @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
 * memory (srd_open_bytes(), srd_open_entry()).
 * @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
 * @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
 * roll-back failed, or it was inherited across fork() (rule P1).
 * @retval SRD_IO the write failed (it is cut back: the store stays consistent)
 * or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
 * @retval SRD_CORRUPT the value of `old_key` fails its checksum, or the index
 * points outside the file.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_write() (rule T1).
 * @ingroup transfers
 *
 * @pre `store` as for `srd_close`; keys readable for their lengths.
 */
srd_status srd_rename(struct srd_store *store,
                      const uint8_t *old_key,
                      size_t old_key_len,
                      const uint8_t *new_key,
                      size_t new_key_len);

/**
 * @brief Copies the value of `key` from `src` into `dst`, under the same key.
 *
 * @param src The store to copy from; not NULL. It may be read-only.
 * @param key The key; not NULL. Only read during the call (rule B1 in @ref
 * conventions).
 * @param key_len Length of `key`: at least 1.
 * @param dst The store to copy into; not NULL, and not the same file as `src`
 * (compared by device and inode, not by path).
 * @return `SRD_OK` on success, or:
 * @retval SRD_NOT_FOUND `src` has no live value for `key`.
 * @retval SRD_INVALID_ARGUMENT `src` or `dst` is NULL, `key` is NULL with a
 * non-zero length or empty, the two handles show the same file, or `dst` is at
 * the 16 TiB limit.
 * @retval SRD_CORRUPT the value fails its checksum in `src`, or the index of
 * `dst` points outside its file.
 * @retval SRD_READ_ONLY `dst` is read-only.
 * @retval SRD_BUSY the calling thread has an open stream on `dst` (rule T2).
 * @retval SRD_BROKEN `dst` can no longer write (see `SRD_BROKEN`; rule P1).
 * @retval SRD_IO writing to `dst` failed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_read() on `src` and srd_write() on `dst` (rule T1).
 * @ingroup transfers
 *
 * @pre `src`, `dst` live handles; `key` readable for `key_len` bytes.
 */
srd_status srd_copy(const struct srd_store *src,
                    const uint8_t *key,
                    size_t key_len,
                    struct srd_store *dst);

/**
 * @brief Moves the value of `key` from `src` to `dst`.
 *
 * It is written to `dst` and made durable there (`fdatasync`) before its
 * tombstone is written to `src`, so a crash at any moment never loses it (at
 * worst it is in both).
 *
 * @param src The store to move from; not NULL, read-write.
 * @param key The key; not NULL. Only read during the call (rule B1 in @ref
 * conventions).
 * @param key_len Length of `key`: at least 1.
 * @param dst The store to move into; not NULL, read-write, and not the same
 * file as `src`.
 * @return `SRD_OK` on success, or:
 * @retval SRD_NOT_FOUND `src` has no live value for `key`; nothing was written.
 * @retval SRD_INVALID_ARGUMENT as srd_copy().
 * @retval SRD_READ_ONLY `src` or `dst` is read-only.
 * @retval SRD_BUSY the calling thread has an open stream on `src` or `dst`
 * (rule T2); refused before anything changes.
 * @retval SRD_BROKEN `src` or `dst` can no longer write (see `SRD_BROKEN`; rule
 * P1).
 * @retval SRD_CORRUPT as srd_copy().
 * @retval SRD_IO writing or syncing `dst`, or writing the tombstone to `src`,
 * failed (the value is then in `dst`, and may still be in `src`).
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: as srd_write() on both stores (rule T1).
 * @ingroup transfers
 *
 * @pre `src`, `dst` live handles; `key` readable for `key_len` bytes.
 */
srd_status srd_move(struct srd_store *src,
                    const uint8_t *key,
                    size_t key_len,
                    struct srd_store *dst);

/**
 * @brief Checks the whole store: walks the metadata chain from the end to
 * offset 0 and recomputes the checksum of every entry, old versions and
 * tombstones included.
 *
 * Readers and writers on other threads are not blocked.
 *
 * @param store The store; not NULL.
 * @param out_report Output, not NULL: unlike other outputs (rule E1 in @ref
 * conventions), written on `SRD_OK` and on `SRD_CORRUPT`.
 * @return `SRD_OK` if the store is sound, or:
 * @retval SRD_CORRUPT it is not; srd_last_error_message() says what and where
 * the first problem is.
 * @retval SRD_INVALID_ARGUMENT `store` or `out_report` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T1).
 * @ingroup verify
 *
 * @pre `store` as for `srd_close`; `out_report` writable.
 */
srd_status srd_verify(const struct srd_store *store, struct srd_verify_report *out_report);

/**
 * @brief As srd_verify(), calling `progress(user_data, done_bytes,
 * total_bytes)` as it goes.
 *
 * @param store The store; not NULL.
 * @param out_report Output, not NULL: written on `SRD_OK` and on
 * `SRD_CORRUPT`.
 * @param progress The callback, or NULL for none.
 * @param user_data Passed to `progress` as is; may be anything.
 * @return As srd_verify().
 *
 * Threads: `progress` runs on the calling thread (rule T4 in @ref
 * conventions).
 * @ingroup verify
 *
 * @pre As `srd_verify`; `progress`, if not NULL, callable with `user_data`.
 */
srd_status srd_verify_progress(const struct srd_store *store,
                               struct srd_verify_report *out_report,
                               srd_progress_fn progress,
                               void *user_data);

/**
 * @brief As srd_compact(), calling `progress(user_data, done, total)` with the
 * number of live entries copied so far.
 *
 * @param store The store; not NULL.
 * @param progress The callback, or NULL for none.
 * @param user_data Passed to `progress` as is; may be anything.
 * @return As srd_compact().
 *
 * Lifetime: as srd_compact() (rule L1 in @ref conventions).
 * Threads: as srd_compact(); `progress` runs on the calling thread (rule T4).
 * @ingroup verify
 *
 * @pre As `srd_compact`; `progress`, if not NULL, callable with `user_data`.
 */
srd_status srd_compact_progress(struct srd_store *store, srd_progress_fn progress, void *user_data);

/**
 * @brief Gives how many bytes srd_compact() would free now: old versions,
 * tombstones and the padding that compaction would save.
 *
 * @param store The store; not NULL.
 * @param out_bytes Output, not NULL: the number of bytes.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `store` or `out_bytes` is NULL.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread (rule T1 in @ref conventions).
 * @ingroup verify
 *
 * @pre `store` as for `srd_close`; `out_bytes` writable.
 */
srd_status srd_reclaimable_bytes(const struct srd_store *store, uint64_t *out_bytes);

/**
 * @brief Opens a store file held in memory (for example one stored as a value
 * in another store), read-only and without copying.
 *
 * Reads return pointers into `data`. The bytes are validated like a file at
 * srd_open() (a torn tail is ignored). Writes give `SRD_READ_ONLY`. If `data`
 * is 64-byte aligned, so is every value. Prefer srd_open_entry() to open a
 * value of another store: it keeps the bytes alive by itself.
 *
 * @param data The store file's bytes; NULL only if `len` is 0.
 * @param len Length of `data` in bytes.
 * @param out_store Output, not NULL: on success a new handle, owned by the
 * caller, to release with srd_close() (rule B4 in @ref conventions).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `out_store` is NULL, `data` is NULL with a
 * non-zero `len`, or `len` is larger than any object.
 * @retval SRD_CORRUPT the bytes are not a store, or their chain is broken in
 * the middle.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Lifetime: rule L5: `data` must stay valid and unchanged until srd_close() on
 * the new store AND until every entry and iterator obtained from it is freed.
 * Threads: the new handle as any store (rule T1).
 * @ingroup nested
 *
 * @pre `data` readable for `len` bytes for the lifetime stated above;
 * `out_store` writable.
 */
srd_status srd_open_bytes(const uint8_t *data, size_t len, struct srd_store **out_store);

/**
 * @brief Opens, read-only and in place, the store file kept as the value of a
 * pinned entry (a nested store).
 *
 * No bytes are copied, and the new store keeps the value alive by itself, so
 * `entry` may be freed at once (rule L5). Nested stores can be nested again.
 *
 * @param entry The entry; not NULL.
 * @param out_store Output, not NULL: on success a new handle, owned by the
 * caller, to release with srd_close() (rule B4 in @ref conventions).
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT `entry` or `out_store` is NULL.
 * @retval SRD_CORRUPT the value is not a store, or its chain is broken in the
 * middle.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: the new handle as any store (rule T1).
 * @ingroup nested
 *
 * @pre `entry` NULL or a live entry; `out_store` writable.
 */
srd_status srd_open_entry(const struct srd_entry *entry, struct srd_store **out_store);

/**
 * @brief Copies every intact entry of the (possibly damaged) store file
 * `src_path` into a new store at `dst_path`.
 *
 * The source is only read, never modified. After a damaged stretch the scan
 * resumes at the next metadata whose link and checksum agree; the newest intact
 * version of each key is kept, and keys whose newest intact entry is a
 * tombstone stay deleted. The new store is synced before the call returns. Use
 * this when srd_open() refuses a file with `SRD_CORRUPT`; do not run it on a
 * store that is open for writing.
 *
 * @param src_path The damaged store file, NUL-terminated; not NULL, not empty.
 * Only read during the call (rule B1 in @ref conventions).
 * @param dst_path The new store file, NUL-terminated; not NULL, not empty, and
 * must not exist (it is created exclusively, never through a symbolic link:
 * a file that appears there meanwhile is never written to). If the call
 * fails after creating it, it is removed, so the call can be retried.
 * @param out_report Output, not NULL: what was recovered and what was lost;
 * written only on success.
 * @return `SRD_OK` on success, or:
 * @retval SRD_INVALID_ARGUMENT a path is NULL or empty, `out_report` is NULL,
 * `dst_path` exists, or `src_path` is not a regular file.
 * @retval SRD_NOT_FOUND `src_path` does not exist.
 * @retval SRD_IO reading the source or writing the new store failed.
 * @retval SRD_PANIC a bug in the library was caught (rule E3).
 *
 * Threads: any thread; no store handle needed (rule T4).
 * @ingroup salvage
 *
 * @pre Paths NULL or NUL-terminated; `out_report` writable.
 */
srd_status srd_salvage(const char *src_path,
                       const char *dst_path,
                       struct srd_salvage_report *out_report);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* SIMD_R_DRIVE_H */

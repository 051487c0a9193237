/*
 * srd.h - declarations shared by the files of the `srd` command-line tool.
 *
 *   srd.c        argument parsing, help, opening stores, the simple commands
 *   transfer.c   streaming values in (write from stdin, import) and out (export)
 *   dump.c       dump and load: (key hash, value) pairs as a portable text stream
 *   manifest.c   the import manifest: which relative paths were imported
 *   fsutil.c     directory walking, safe relative paths, creating files
 *   progress.c   the progress bar drawn on a terminal's stderr
 *
 * Every command reports failure as one line on stderr,
 * "srd: <command>: <message>", and returns one of the SRDCLI_EXIT_* codes.
 */
#ifndef SRD_TOOL_H
#define SRD_TOOL_H

#include <simd_r_drive.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- exit codes ---------------------------------------------------------- */
enum {
    SRDCLI_EXIT_OK = 0,        /* success */
    SRDCLI_EXIT_FAILURE = 1,   /* I/O error, damaged store, locked store, ... */
    SRDCLI_EXIT_USAGE = 2,     /* bad arguments, or a key/value the store rejects */
    SRDCLI_EXIT_NOT_FOUND = 3  /* the key, the store or the directory does not exist */
};

/* Not a library status: the tool ran out of memory (srdcli_report prints that). */
#define SRDCLI_NO_MEMORY ((srd_status)-100)
/* Not a library status: reading the input (stdin or a file) failed; errno saved. */
#define SRDCLI_READ_ERROR ((srd_status)-101)

/* Size of the chunks values are streamed in (stdin, imported files). */
#define SRDCLI_CHUNK_SIZE ((size_t)64 * 1024)

/* The exit code that goes with a library status. */
int srdcli_exit_code(srd_status st);

/* Prints "srd: <cmd>: <library message>" (or the status text if the message is empty)
 * and returns srdcli_exit_code(st). */
int srdcli_report(const char *cmd, srd_status st);

/* Prints "srd: <cmd>: <formatted message>" on stderr. */
void srdcli_errorf(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Keeps the worst of two exit codes (failure outranks not-found and usage). */
int srdcli_worse(int a, int b);

/* ---- hex (srd.c) ------------------------------------------------------------ */
/* The value of a hex digit (either case), or -1. */
int srdcli_hex_digit(int ch);
/* Parses n (1..16) hex digits. Returns 0, or -1 if one is not a hex digit. */
int srdcli_parse_hex_u64(const char *text, size_t n, uint64_t *out);
/* Parses a --hash argument: exactly 16 hex digits, either case, optionally after
 * "0x" or "0X". Returns 0, or -1 if text is anything else. */
int srdcli_parse_key_hash(const char *text, uint64_t *out);

/* ---- progress bar (progress.c) -------------------------------------------- */
typedef struct srdcli_progress {
    const char *label;
    int enabled; /* stderr is a terminal */
    int drawn;   /* something was drawn (a newline is owed) */
    int last_percent;
} srdcli_progress;

/* Enables the bar only when stderr is a terminal. */
void srdcli_progress_init(srdcli_progress *p, const char *label);
/* Redraws when the percentage changed. */
void srdcli_progress_update(srdcli_progress *p, uint64_t done, uint64_t total);
/* An srd_progress_fn: user_data is an srdcli_progress*. */
void srdcli_progress_callback(void *user_data, uint64_t done, uint64_t total);
/* Ends the bar's line if one was drawn. */
void srdcli_progress_finish(srdcli_progress *p);

/* ---- file system helpers (fsutil.c) -------------------------------------- */
typedef struct srdcli_file {
    char *rel;     /* path relative to the walked root, '/'-separated */
    uint64_t size; /* size when walked */
} srdcli_file;

typedef struct srdcli_file_list {
    srdcli_file *items;
    size_t len, cap;
    uint64_t total_bytes;
} srdcli_file_list;

/* Collects every regular file under root (recursively, symbolic links not followed),
 * in sorted order, skipping the file identified by (skip_dev, skip_ino) when
 * have_skip. Non-regular files are reported on stderr and skipped.
 * Returns an SRDCLI_EXIT_* code (errors already reported). */
int srdcli_walk(const char *cmd, const char *root, srdcli_file_list *out, int have_skip,
             unsigned long long skip_dev, unsigned long long skip_ino);
void srdcli_file_list_free(srdcli_file_list *l);

/* 1 if rel is a safe relative path: not empty, not absolute, and no empty, "." or
 * ".." component. */
int srdcli_safe_relpath(const char *rel);

/* Creates dir (and its parents) like mkdir -p. Returns 0 or -1 with errno set. */
int srdcli_mkdir_p(const char *dir);

/* Creates root/rel's parent directories below root, refusing to go through
 * anything that is not a real directory (symbolic links included), then writes
 * data to root/rel (created or truncated; a symbolic link there is refused).
 * Returns 0, or -1 with errno set. */
int srdcli_write_file_under(const char *root, const char *rel, const uint8_t *data, size_t len);

/* Joins a and b with one '/'; the result is malloc'ed (NULL if out of memory). */
char *srdcli_path_join(const char *a, const char *b);

/* ---- import manifest (manifest.c) ---------------------------------------- */
/* Kinds of manifest records. */
enum {
    SRD_MANIFEST_VALUE = 'f', /* the file's bytes are the value of the key <path> */
    SRD_MANIFEST_EMPTY = 'e', /* an empty file: nothing stored (the format forbids empty values) */
    SRD_MANIFEST_ZERO = 'z'   /* a file holding one 0x00 byte: nothing stored (the deletion marker) */
};

typedef struct srdcli_manifest_rec {
    char kind;
    char *path;
    size_t seq; /* order of addition: the later record for a path wins */
} srdcli_manifest_rec;

typedef struct srdcli_manifest {
    srdcli_manifest_rec *recs;
    size_t len, cap;
} srdcli_manifest;

/* The reserved key the manifest is stored under (SRD_NAMESPACE_KEY_LEN bytes):
 * srd_namespace_key("srd-cli", "import-manifest"). */
srd_status srdcli_manifest_key(uint8_t out[SRD_NAMESPACE_KEY_LEN]);
/* Loads the store's manifest into m (empty if the store has none; *found says which).
 * A malformed manifest gives SRD_CORRUPT with *malformed pointing to a description
 * (the library's message is not set then); other failures are library statuses or
 * SRDCLI_NO_MEMORY. */
srd_status srdcli_manifest_load(const srd_store *store, srdcli_manifest *m, int *found,
                             const char **malformed);
/* Adds a record (copying path). Returns 0, or -1 when out of memory. */
int srdcli_manifest_add(srdcli_manifest *m, char kind, const char *path);
/* Sorts by path and keeps only the latest record of each path. */
void srdcli_manifest_normalize(srdcli_manifest *m);
/* Writes the manifest to the store (nothing if it has no record). Returns a library
 * status or SRDCLI_NO_MEMORY. */
srd_status srdcli_manifest_save(srd_store *store, const srdcli_manifest *m);
void srdcli_manifest_free(srdcli_manifest *m);

/* ---- transfer commands (transfer.c) -------------------------------------- */
/* Streams all of `in` into key (or, when key is NULL, into the key whose hash is
 * key_hash) with srd_stream_begin/write/commit, in SRDCLI_CHUNK_SIZE chunks, never holding more than one chunk in memory. `first` (first_len bytes, may
 * be 0) is written before anything read from `in`. Returns the library status, or
 * SRDCLI_READ_ERROR with *read_errno set if reading `in` failed (the stream is then
 * aborted and nothing is stored). The progress bar pg (may be NULL) advances by the
 * bytes written: *done is added to, out of total. */
srd_status srdcli_stream_from(srd_store *store, const uint8_t *key, size_t key_len,
                              uint64_t key_hash, FILE *in, const uint8_t *first, size_t first_len, srdcli_progress *pg,
                           uint64_t *done, uint64_t total, int *read_errno);

int srdcli_cmd_import(const char *cmd, srd_store *store, const char *store_path, const char *dir);
int srdcli_cmd_export(const char *cmd, srd_store *store, const char *dir);

/* ---- dump and load (dump.c) ---------------------------------------------- */
/* CRC-32/ISO-HDLC (the store's and zlib's): start with crc = 0. */
uint32_t srdcli_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* Writes every live (key hash, value) pair of store to file ("-": stdout). */
int srdcli_cmd_dump(const char *cmd, srd_store *store, const char *store_path, const char *file);
/* Checks the whole dump in file ("-": stdin), then opens (creating if missing)
 * the store at store_path and writes every record into it. */
int srdcli_cmd_load(const char *cmd, const char *store_path, const char *file);

#endif /* SRD_TOOL_H */

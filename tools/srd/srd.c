/*
 * srd - command-line tool for simd-r-drive stores.
 *
 *   srd STORE COMMAND [ARGS...]     srd help [COMMAND]     srd --help | --version
 *
 * This file: argument parsing, help texts, opening the store the way each
 * command needs it, and the commands that are a call or two into the library.
 * Streaming, import and export live in transfer.c.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1 /* flock(2) */

#include "srd.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors and exit codes ------------------------------------------------- */

int srdcli_exit_code(srd_status st) {
    switch (st) {
    case SRD_OK: return SRDCLI_EXIT_OK;
    case SRD_NOT_FOUND: return SRDCLI_EXIT_NOT_FOUND;
    case SRD_INVALID_ARGUMENT: return SRDCLI_EXIT_USAGE;
    default: return SRDCLI_EXIT_FAILURE;
    }
}

void srdcli_errorf(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "srd: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int srdcli_report(const char *cmd, srd_status st) {
    if (st == SRDCLI_NO_MEMORY) {
        srdcli_errorf(cmd, "out of memory");
        return SRDCLI_EXIT_FAILURE;
    }
    const char *msg = srd_last_error_message();
    srdcli_errorf(cmd, "%s", (msg != NULL && msg[0] != '\0') ? msg : srd_status_str(st));
    return srdcli_exit_code(st);
}

int srdcli_worse(int a, int b) {
    if (a == SRDCLI_EXIT_OK) return b;
    if (b == SRDCLI_EXIT_OK) return a;
    if (a == SRDCLI_EXIT_FAILURE || b == SRDCLI_EXIT_FAILURE) return SRDCLI_EXIT_FAILURE;
    return a;
}

/* ---- commands ---------------------------------------------------------------- */

typedef enum {
    OPEN_READ_ONLY,           /* SRD_OPEN_READ_ONLY: no lock, missing store is an error */
    OPEN_READ_ONLY_NO_VERIFY, /* ... and values are not checksummed on read */
    OPEN_CREATE,              /* read-write, created if missing */
    OPEN_EXISTING,            /* read-write, the store must exist */
    OPEN_NONE                 /* the command does not open STORE (salvage) */
} open_mode;

/* Options a command accepts (command.opts). */
enum {
    OPT_HASH = 1, /* --hash HEX stands for the KEY argument (the first one) */
    OPT_VALUE = 2 /* --value VALUE stands for the VALUE argument, taken literally */
};

typedef struct ctx {
    const char *cmd;
    const char *store_path;
    srd_store *store;
    char **args; /* positional arguments; with --hash, args[0] (the KEY) is NULL */
    int nargs;
    int have_pre_size; /* the store file's size, taken before opening it */
    uint64_t pre_size;
    int have_hash; /* --hash was given: the key is hash, args[0] is NULL */
    uint64_t hash;
    const char *value; /* --value VALUE, or NULL */
} ctx;

typedef struct command {
    const char *name;
    const char *arg_usage;
    int min_args, max_args;
    open_mode mode;
    int (*run)(ctx *c);
    const char *summary;
    const char *details;
    unsigned opts; /* OPT_* */
} command;

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

int srdcli_hex_digit(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int srdcli_parse_hex_u64(const char *text, size_t n, uint64_t *out) {
    uint64_t v = 0;
    if (n == 0 || n > 16) return -1;
    for (size_t i = 0; i < n; i++) {
        int d = srdcli_hex_digit((unsigned char)text[i]);
        if (d < 0) return -1;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 0;
}

int srdcli_parse_key_hash(const char *text, uint64_t *out) {
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text += 2;
    if (strlen(text) != 16) return -1;
    return srdcli_parse_hex_u64(text, 16, out);
}

static int cmd_write(ctx *c) {
    const char *key = c->args[0]; /* NULL with --hash */
    const uint8_t *k = key ? u8(key) : NULL;
    size_t klen = key ? strlen(key) : 0;
    /* The value: --value VALUE (literal), VALUE (literal unless it is "-"), or stdin. */
    const char *value = c->value;
    if (value == NULL && c->nargs == 2 && strcmp(c->args[1], "-") != 0) value = c->args[1];
    srd_status st;
    if (value != NULL) {
        st = key ? srd_write(c->store, k, klen, u8(value), strlen(value))
                 : srd_write_with_hash(c->store, c->hash, u8(value), strlen(value));
    } else {
        uint64_t done = 0;
        int rerr = 0;
        st = srdcli_stream_from(c->store, k, klen, c->hash, stdin, NULL, 0, NULL, &done, 0, &rerr);
        if (st == SRDCLI_READ_ERROR) {
            srdcli_errorf(c->cmd, "stdin: %s (nothing stored)", strerror(rerr));
            return SRDCLI_EXIT_FAILURE;
        }
    }
    return st == SRD_OK ? SRDCLI_EXIT_OK : srdcli_report(c->cmd, st);
}

static int cmd_read(ctx *c) {
    const uint8_t *v = NULL;
    size_t n = 0;
    srd_status st = c->have_hash ? srd_read_with_hash(c->store, c->hash, &v, &n)
                                 : srd_read(c->store, u8(c->args[0]), strlen(c->args[0]), &v, &n);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    /* Straight from the memory map to stdout: no copy of the value is made. */
    if (fwrite(v, 1, n, stdout) != n || fflush(stdout) != 0) {
        srdcli_errorf(c->cmd, "stdout: %s", strerror(errno));
        return SRDCLI_EXIT_FAILURE;
    }
    return SRDCLI_EXIT_OK;
}

static int cmd_delete(ctx *c) {
    srd_status st = c->have_hash ? srd_delete_with_hash(c->store, c->hash)
                                 : srd_delete(c->store, u8(c->args[0]), strlen(c->args[0]));
    return st == SRD_OK ? SRDCLI_EXIT_OK : srdcli_report(c->cmd, st);
}

static int cmd_rename(ctx *c) {
    srd_status st = srd_rename(c->store, u8(c->args[0]), strlen(c->args[0]), u8(c->args[1]),
                               strlen(c->args[1]));
    return st == SRD_OK ? SRDCLI_EXIT_OK : srdcli_report(c->cmd, st);
}

/* copy and move: the target store is opened read-write and created if missing. */
static int copy_or_move(ctx *c, int move) {
    const char *key = c->args[0], *target = c->args[1];
    if (move) {
        /* The source is open read-write (and locked) already: opening the same file
         * again would only say "locked", so name the real problem. */
        struct stat a, b;
        if (stat(c->store_path, &a) == 0 && stat(target, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            srdcli_errorf(c->cmd, "%s and %s are the same store", c->store_path, target);
            return SRDCLI_EXIT_USAGE;
        }
    }
    srd_store *dst = NULL;
    srd_status st = srd_open(target, 0, &dst);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    st = move ? srd_move(c->store, u8(key), strlen(key), dst)
              : srd_copy(c->store, u8(key), strlen(key), dst);
    int rc = st == SRD_OK ? SRDCLI_EXIT_OK : srdcli_report(c->cmd, st);
    srd_close(dst);
    return rc;
}

static int cmd_copy(ctx *c) { return copy_or_move(c, 0); }
static int cmd_move(ctx *c) { return copy_or_move(c, 1); }

static int cmd_exists(ctx *c) {
    srd_status st = c->have_hash ? srd_exists_with_hash(c->store, c->hash)
                                 : srd_exists(c->store, u8(c->args[0]), strlen(c->args[0]));
    if (st == SRD_OK) return SRDCLI_EXIT_OK;
    if (st == SRD_NOT_FOUND) return SRDCLI_EXIT_NOT_FOUND; /* an answer, not an error: silent */
    return srdcli_report(c->cmd, st);
}

static int cmd_metadata(ctx *c) {
    srd_entry *e = NULL;
    srd_status st = c->have_hash ? srd_read_entry_with_hash(c->store, c->hash, &e)
                                 : srd_read_entry(c->store, u8(c->args[0]), strlen(c->args[0]), &e);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    uint64_t hash = 0, offset = 0;
    uint32_t crc = 0;
    size_t len = 0;
    (void)srd_entry_data(e, &len);
    st = srd_entry_key_hash(e, &hash);
    if (st == SRD_OK) st = srd_entry_offset(e, &offset);
    if (st == SRD_OK) st = srd_entry_checksum(e, &crc);
    if (st != SRD_OK) {
        srd_entry_free(e);
        return srdcli_report(c->cmd, st);
    }
    srd_status vst = srd_entry_verify(e);
    printf("key hash: %016" PRIx64 "\n", hash);
    printf("size:     %zu\n", len);
    printf("offset:   %" PRIu64 "\n", offset);
    printf("crc32:    %08" PRIx32 "\n", crc);
    printf("checksum: %s\n", vst == SRD_OK ? "ok" : (vst == SRD_CORRUPT ? "bad" : "unknown"));
    int rc = vst == SRD_OK ? SRDCLI_EXIT_OK : srdcli_report(c->cmd, vst);
    srd_entry_free(e);
    return rc;
}

static int cmd_list(ctx *c) {
    srd_iter *it = NULL;
    srd_status st = srd_iter_new(c->store, &it);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    int rc = SRDCLI_EXIT_OK;
    for (;;) {
        uint64_t hash = 0, offset = 0;
        const uint8_t *v = NULL;
        size_t len = 0;
        st = srd_iter_next(it, &hash, &v, &len);
        if (st == SRD_NOT_FOUND) break;
        if (st == SRD_CORRUPT) { /* the iterator has moved past the damaged entry */
            rc = srdcli_worse(rc, srdcli_report(c->cmd, st));
            continue;
        }
        if (st != SRD_OK) {
            rc = srdcli_worse(rc, srdcli_report(c->cmd, st));
            break;
        }
        srd_entry *e = NULL;
        st = srd_read_entry_with_hash(c->store, hash, &e);
        if (st == SRD_OK) st = srd_entry_offset(e, &offset);
        srd_entry_free(e);
        if (st != SRD_OK) {
            rc = srdcli_worse(rc, srdcli_report(c->cmd, st));
            continue;
        }
        printf("%016" PRIx64 " %zu %" PRIu64 "\n", hash, len, offset);
    }
    srd_iter_free(it);
    return rc;
}

static int cmd_info(ctx *c) {
    uint64_t live = 0, entries = 0, size = 0, reclaimable = 0;
    srd_status st = srd_count(c->store, &live);
    if (st == SRD_OK) st = srd_entry_count(c->store, &entries);
    if (st == SRD_OK) st = srd_file_size(c->store, &size);
    if (st == SRD_OK) st = srd_reclaimable_bytes(c->store, &reclaimable);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    printf("live keys:   %" PRIu64 "\n", live);
    printf("entries:     %" PRIu64 "\n", entries);
    printf("file size:   %" PRIu64 " bytes\n", size);
    printf("reclaimable: %" PRIu64 " bytes\n", reclaimable);
    srdcli_manifest m = {0};
    int found = 0;
    const char *malformed = NULL;
    st = srdcli_manifest_load(c->store, &m, &found, &malformed);
    if (st == SRD_OK && found)
        printf("imported:    %zu paths in the import manifest\n", m.len);
    else if (st != SRD_OK)
        printf("imported:    the import manifest is unreadable\n");
    srdcli_manifest_free(&m);
    return SRDCLI_EXIT_OK;
}

static int cmd_compact(ctx *c) {
    uint64_t before = 0, after = 0;
    srd_status st = srd_file_size(c->store, &before);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    srdcli_progress pg;
    srdcli_progress_init(&pg, "compact");
    st = srd_compact_progress(c->store, srdcli_progress_callback, &pg);
    if (st == SRD_OK) srdcli_progress_update(&pg, 1, 1);
    srdcli_progress_finish(&pg);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    st = srd_file_size(c->store, &after);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    printf("%" PRIu64 " bytes -> %" PRIu64 " bytes (%" PRIu64 " bytes freed)\n", before, after,
           before > after ? before - after : 0);
    return SRDCLI_EXIT_OK;
}

/* 1 if another handle holds the store's writer lock (the library takes an exclusive
 * flock(2) for every read-write open, as its README documents). */
static int held_by_a_writer(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* also releases our shared lock, if we got it */
    return held;
}

static int cmd_verify(ctx *c) {
    srd_verify_report r;
    memset(&r, 0, sizeof r);
    srdcli_progress pg;
    srdcli_progress_init(&pg, "verify");
    srd_status st = srd_verify_progress(c->store, &r, srdcli_progress_callback, &pg);
    if (st == SRD_OK) srdcli_progress_update(&pg, 1, 1);
    srdcli_progress_finish(&pg);
    if (st != SRD_OK && st != SRD_CORRUPT) return srdcli_report(c->cmd, st);
    /* A read-only open ignores a torn tail (bytes after the last complete entry);
     * the file is then not sound as a whole even if every entry is. But while
     * another process has the store open for writing, such bytes are a write in
     * progress (a streamed value not yet committed), not damage. */
    uint64_t torn = c->have_pre_size && c->pre_size > r.file_size ? c->pre_size - r.file_size : 0;
    uint64_t in_progress = 0;
    if (torn > 0 && held_by_a_writer(c->store_path)) {
        in_progress = torn;
        torn = 0;
    }
    int sound = st == SRD_OK && torn == 0;
    printf("entries checked:  %" PRIu64 "\n", r.entries_checked);
    printf("bytes checked:    %" PRIu64 "\n", r.bytes_checked);
    printf("file size:        %" PRIu64 "\n", r.file_size + torn + in_progress);
    printf("bad entries:      %" PRIu64 "\n", r.bad_entries);
    if (r.first_bad_offset == UINT64_MAX)
        printf("first bad offset: none\n");
    else
        printf("first bad offset: %" PRIu64 "\n", r.first_bad_offset);
    if (torn > 0)
        printf("torn tail:        %" PRIu64 " bytes at offset %" PRIu64 "\n", torn, r.file_size);
    if (in_progress > 0)
        printf("in progress:      %" PRIu64 " bytes at offset %" PRIu64
               " (another process is writing to the store)\n",
               in_progress, r.file_size);
    printf("result:           %s\n", sound ? "ok" : "damaged");
    if (st == SRD_CORRUPT) return srdcli_report(c->cmd, st);
    if (torn > 0) {
        srdcli_errorf(c->cmd,
                   "%s: the last %" PRIu64 " bytes (from offset %" PRIu64
                   ") are not part of any complete entry",
                   c->store_path, torn, r.file_size);
        return SRDCLI_EXIT_FAILURE;
    }
    return SRDCLI_EXIT_OK;
}

static int cmd_backup(ctx *c) {
    const char *dst = c->args[0];
    srdcli_progress pg;
    srdcli_progress_init(&pg, "backup");
    srd_status st = srd_backup(c->store, dst, srdcli_progress_callback, &pg);
    srdcli_progress_finish(&pg);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    struct stat sb;
    if (stat(dst, &sb) != 0) return srdcli_report(c->cmd, SRD_IO);
    printf("backed up %lld bytes to %s\n", (long long)sb.st_size, dst);
    return SRDCLI_EXIT_OK;
}

static int cmd_salvage(ctx *c) {
    srd_salvage_report r;
    memset(&r, 0, sizeof r);
    srd_status st = srd_salvage(c->store_path, c->args[0], &r);
    if (st != SRD_OK) return srdcli_report(c->cmd, st);
    printf("source size:         %" PRIu64 "\n", r.source_size);
    printf("entries recovered:   %" PRIu64 "\n", r.entries_recovered);
    printf("live keys written:   %" PRIu64 "\n", r.live_keys_written);
    printf("damaged regions:     %" PRIu64 "\n", r.damaged_regions);
    printf("bytes lost:          %" PRIu64 "\n", r.bytes_lost);
    if (r.first_damage_offset == UINT64_MAX)
        printf("first damage offset: none\n");
    else
        printf("first damage offset: %" PRIu64 "\n", r.first_damage_offset);
    printf("salvaged into %s\n", c->args[0]);
    return SRDCLI_EXIT_OK;
}

static int cmd_import(ctx *c) { return srdcli_cmd_import(c->cmd, c->store, c->store_path, c->args[0]); }
static int cmd_export(ctx *c) { return srdcli_cmd_export(c->cmd, c->store, c->args[0]); }
static int cmd_dump(ctx *c) { return srdcli_cmd_dump(c->cmd, c->store, c->store_path, c->nargs ? c->args[0] : "-"); }
static int cmd_load(ctx *c) { return srdcli_cmd_load(c->cmd, c->store_path, c->nargs ? c->args[0] : "-"); }

/* ---- help ---------------------------------------------------------------------- */

static const command COMMANDS[] = {
    {"write", "KEY [VALUE|-]", 1, 2, OPEN_CREATE, cmd_write,
     "store VALUE, or all of stdin, under KEY",
     "Stores VALUE under KEY, replacing any older value. Without VALUE, or with\n"
     "VALUE '-', stdin is read to its end and streamed into the store in 64 KiB\n"
     "chunks (any size, any bytes, never held in memory at once); the value appears\n"
     "only when stdin ends (nothing is stored if reading fails). To store the\n"
     "one-character text '-' itself, or text starting with '--', give it with\n"
     "'--value VALUE' (always literal) instead. Creates STORE if it does not exist.\n"
     "An empty value, or one that is exactly one 0x00 byte (the format's deletion\n"
     "marker), is refused with exit status 2. Prints nothing.\n"
     "\n"
     "  --hash HEX      the key is given by its key hash instead of KEY (no KEY\n"
     "                  argument then): see 'srd --help', Key hashes\n"
     "  --value VALUE   store VALUE exactly as given (no VALUE argument then)\n",
     OPT_HASH | OPT_VALUE},
    {"read", "KEY | --hash HEX", 1, 1, OPEN_READ_ONLY, cmd_read,
     "write KEY's value to stdout, byte for byte",
     "Writes the value of KEY to stdout exactly as stored (binary-safe, no newline\n"
     "added), straight from the store's memory map. The value's CRC-32 is checked\n"
     "first: a damaged value fails with exit status 1. Exit status 3 if KEY has no\n"
     "value. STORE is opened read-only.\n"
     "\n"
     "  --hash HEX   name the key by its key hash (as 'list' prints it) instead of\n"
     "               KEY: 16 hex digits, optionally after 0x\n",
     OPT_HASH},
    {"delete", "KEY | --hash HEX", 1, 1, OPEN_EXISTING, cmd_delete, "delete KEY",
     "Deletes KEY (appends a tombstone; the space is reclaimed by compact).\n"
     "Exit status 3 if KEY has no value. Prints nothing.\n"
     "\n"
     "  --hash HEX   name the key by its key hash (as 'list' prints it) instead of\n"
     "               KEY: 16 hex digits, optionally after 0x\n",
     OPT_HASH},
    {"rename", "OLD NEW", 2, 2, OPEN_EXISTING, cmd_rename, "give OLD's value the key NEW",
     "Stores OLD's value under NEW (replacing NEW's value, if any) and deletes OLD,\n"
     "in one append. Exit status 3 if OLD has no value, 2 if OLD and NEW are the\n"
     "same key. Prints nothing.\n",
     0},
    {"copy", "KEY TARGET_STORE", 2, 2, OPEN_READ_ONLY, cmd_copy,
     "copy KEY's value into another store",
     "Copies KEY's value into TARGET_STORE under the same key (replacing its value\n"
     "there). STORE is opened read-only; TARGET_STORE is opened read-write and\n"
     "created if missing. Exit status 3 if KEY has no value, 2 if both are the\n"
     "same store file. Prints nothing.\n",
     0},
    {"move", "KEY TARGET_STORE", 2, 2, OPEN_EXISTING, cmd_move,
     "move KEY's value into another store",
     "Copies KEY's value into TARGET_STORE (created if missing), makes it durable\n"
     "there, then deletes KEY from STORE. Exit status 3 if KEY has no value, 2 if\n"
     "both are the same store file. Prints nothing.\n",
     0},
    {"exists", "KEY | --hash HEX", 1, 1, OPEN_READ_ONLY, cmd_exists,
     "exit 0 if KEY has a value, 3 if not",
     "Prints nothing. Exit status 0 if KEY has a value, 3 if it has none (or STORE\n"
     "does not exist, which is also reported on stderr), 1 on other failures.\n"
     "Example: if srd data.srd exists config; then ...; fi\n"
     "\n"
     "  --hash HEX   name the key by its key hash (as 'list' prints it) instead of\n"
     "               KEY: 16 hex digits, optionally after 0x\n",
     OPT_HASH},
    {"metadata", "KEY | --hash HEX", 1, 1, OPEN_READ_ONLY_NO_VERIFY, cmd_metadata,
     "key hash, size, offset, CRC-32 and checksum state of KEY",
     "Prints, one per line:\n"
     "  key hash: the key's 64-bit XXH3 hash (16 hex digits; what the file stores)\n"
     "  size:     the value's length in bytes\n"
     "  offset:   the file offset where the value's bytes start (a multiple of 64)\n"
     "  crc32:    the CRC-32 stored with the value (8 hex digits)\n"
     "  checksum: ok or bad, from recomputing the CRC-32 of the value now\n"
     "Exit status 1 if the checksum is bad, 3 if KEY has no value.\n"
     "\n"
     "  --hash HEX   name the key by its key hash (as 'list' prints it) instead of\n"
     "               KEY: 16 hex digits, optionally after 0x\n",
     OPT_HASH},
    {"list", "", 0, 0, OPEN_READ_ONLY_NO_VERIFY, cmd_list,
     "key hash, size and offset of every live entry",
     "Prints one line per live key, oldest first:\n"
     "  <key hash, 16 hex digits> <size in bytes> <file offset of the value>\n"
     "Keys themselves are not stored in the file, so they cannot be listed. If the\n"
     "store was written by 'import', its manifest is one of the entries.\n",
     0},
    {"info", "", 0, 0, OPEN_READ_ONLY, cmd_info, "live keys, entries, file size, reclaimable bytes",
     "Prints the number of live keys, the number of entries in the file (every\n"
     "version and tombstone), the file size, and the bytes 'compact' would free.\n"
     "If the store holds an import manifest, also how many paths it lists.\n",
     0},
    {"compact", "", 0, 0, OPEN_EXISTING, cmd_compact,
     "rewrite the file without old versions and tombstones",
     "Rewrites STORE with only its live values into STORE.compact.tmp and atomically\n"
     "replaces STORE with it (a crash leaves the old or the new file, complete).\n"
     "Stops, changing nothing, if a live value is damaged (exit status 1).\n"
     "Prints '<before> bytes -> <after> bytes (<freed> bytes freed)'.\n",
     0},
    {"verify", "", 0, 0, OPEN_READ_ONLY, cmd_verify,
     "check every entry's checksum and the whole file",
     "Recomputes the CRC-32 of every entry (all versions) and checks that the\n"
     "whole file is one unbroken chain of entries, with nothing after the last\n"
     "complete one (a torn tail). Prints the report (entries and bytes checked,\n"
     "file size, bad entries, first bad offset, result). Exit status 0 only if the\n"
     "whole file is sound, otherwise 1; a file broken in the middle of its chain\n"
     "cannot be opened at all and also gives 1. STORE is opened read-only. Bytes\n"
     "after the last entry while another process holds the store open for writing\n"
     "are reported as a write in progress (a value being streamed), not damage.\n",
     0},
    {"backup", "DST", 1, 1, OPEN_READ_ONLY, cmd_backup,
     "write a consistent, synced copy of STORE to DST while writers go on",
     "Copies STORE as it is at this moment to DST (srd_backup), while other processes\n"
     "go on writing to it, and returns once the copy is on disk. If DST holds an\n"
     "earlier backup of STORE, only what is new is appended; otherwise the copy is\n"
     "written to DST.backup.tmp and renamed over DST (a crash leaves the earlier\n"
     "DST, or none). DST must not be STORE or a file that is not a store (exit\n"
     "status 2, DST left alone). Draws a progress bar on stderr when it is a\n"
     "terminal. Prints 'backed up <bytes> bytes to DST'.\n",
     0},
    {"salvage", "DST", 1, 1, OPEN_NONE, cmd_salvage,
     "copy every intact entry of a damaged STORE into a new store DST",
     "Reads STORE (never modifying it) even when it cannot be opened because it is\n"
     "damaged, finds every intact entry (after a damaged stretch the scan resumes\n"
     "at the next entry whose link and checksum agree) and writes the newest intact\n"
     "version of every key into the new store DST, which must not exist. Prints\n"
     "what was recovered and lost (damaged regions, bytes lost, first damage).\n"
     "Exit status 0 when DST was written, whatever was lost.\n",
     0},
    {"import", "DIR", 1, 1, OPEN_CREATE, cmd_import,
     "store every regular file under DIR by relative path",
     "Stores every regular file under DIR (recursively, in sorted order) under its\n"
     "path relative to DIR as the key, e.g. 'docs/a.txt', streaming each file in\n"
     "64 KiB chunks. Symbolic links and special files are skipped (with a note on\n"
     "stderr), and so is STORE itself if it is inside DIR. Creates STORE if missing.\n"
     "\n"
     "Because a store keeps only key hashes, import also keeps an import manifest:\n"
     "the list of imported relative paths, stored under the reserved 16-byte key\n"
     "srd_namespace_key(\"srd-cli\", \"import-manifest\") and merged with the paths of\n"
     "earlier imports. Empty files and files holding exactly one 0x00 byte cannot\n"
     "be stored as values; the manifest records them and 'export' recreates them.\n"
     "On a failure part-way, the files stored so far are recorded and the status is 1.\n"
     "Prints 'imported <n> files (<bytes> bytes) from DIR'.\n",
     0},
    {"export", "DIR", 1, 1, OPEN_READ_ONLY, cmd_export,
     "write the store's values out as files under DIR",
     "Writes the store's live values as files under DIR (created if missing):\n"
     "  - every path in the import manifest whose key still has a value, as\n"
     "    DIR/<path>, creating subdirectories (empty and single-0x00 files that\n"
     "    import recorded are recreated too). Paths that are absolute or contain\n"
     "    '..' are refused, and nothing is written through a symbolic link;\n"
     "  - every other live value, whose key cannot be known, as\n"
     "    DIR/by-hash/<16 hex digits of the key hash>.bin (see 'list').\n"
     "Existing files are overwritten. Exporting a store filled by 'import' gives\n"
     "back the regular files of the imported tree, byte for byte, at their paths.\n"
     "Prints a summary line.\n",
     0},
    {"dump", "[FILE|-]", 0, 1, OPEN_READ_ONLY, cmd_dump,
     "write every live (key hash, value) pair to a portable dump",
     "Writes every live key's newest value, in file order, with its key hash, to\n"
     "FILE (created or replaced) or, without FILE or with '-', to stdout, in the\n"
     "srd dump format version 1 (text: a header, one record per value with the\n"
     "value in hex and its CRC-32, and an end line with the record count, the\n"
     "value bytes and a CRC-32 of the whole stream; see docs/cli.md). Any size,\n"
     "any bytes; values are read from the memory map, never held in memory.\n"
     "STORE is opened read-only. On a failure (such as a damaged value) the end\n"
     "line is not written, so that 'load' refuses the incomplete dump, FILE is\n"
     "removed, and the exit status is 1. With FILE, prints\n"
     "'dumped <n> values (<bytes> bytes) to FILE'.\n",
     0},
    {"load", "[FILE|-]", 0, 1, OPEN_NONE, cmd_load,
     "store every (key hash, value) pair of a dump",
     "Reads a dump written by 'srd dump' from FILE or, without FILE or with '-',\n"
     "from stdin, and stores each value under its key hash in STORE (created if\n"
     "missing; existing keys are replaced, other keys are kept). The whole dump is\n"
     "checked first (format version, every record's syntax and CRC-32, the record\n"
     "count, the bytes and the stream's CRC-32 in the end line): a malformed,\n"
     "truncated or corrupted dump is refused with exit status 1 and nothing is\n"
     "written (STORE is not even created). A dump that is not a regular file (a\n"
     "pipe) is copied to a temporary file in $TMPDIR (or /tmp) for this, removed\n"
     "on exit. Values over 64 KiB are streamed into the store. If writing fails\n"
     "part-way (disk full), the values loaded so far stay and the status is 1.\n"
     "Prints 'loaded <n> values (<bytes> bytes)'.\n",
     0},
};

#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
    return NULL;
}

static void print_main_help(FILE *out) {
    fprintf(out,
            "usage: srd STORE COMMAND [ARGS...]\n"
            "       srd help [COMMAND]    (or: srd STORE COMMAND --help)\n"
            "       srd --help | --version\n"
            "\n"
            "Reads and writes a simd-r-drive store: one append-only file of key/value\n"
            "entries. Keys are text from the command line; values are raw bytes (any\n"
            "size, NUL bytes included).\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", COMMANDS[i].name, COMMANDS[i].arg_usage);
        fprintf(out, "  %-26s %s\n", head, COMMANDS[i].summary);
    }
    fprintf(out,
            "\n"
            "read, exists, metadata, list, info, verify, export, dump (and the source of\n"
            "copy) open STORE read-only: no lock is taken and a missing STORE is an error.\n"
            "write, import, load and the TARGET_STORE of copy and move are created if\n"
            "missing; delete, rename, move and compact need STORE to exist. A store open\n"
            "for writing by another process is locked: commands that write to it fail\n"
            "with status 1 (readers are never blocked).\n"
            "\n"
            "Keys: the file stores only a 64-bit hash of each key, so keys cannot be\n"
            "listed; list and export name entries by key hash (16 hex digits). import\n"
            "keeps a manifest of the relative paths it stored (under a reserved key) so\n"
            "that export can write them back by name; other entries are exported as\n"
            "by-hash/<hash>.bin. See 'srd help import' and 'srd help export'.\n"
            "\n"
            "Key hashes: read, exists, metadata, delete and write take '--hash HEX' (or\n"
            "'--hash=HEX') in place of KEY, to name an entry by the key hash that list,\n"
            "metadata and export print: exactly 16 hex digits, either case, optionally\n"
            "after '0x' (e.g. --hash 1fc809e0902f8741). Anything else is refused with\n"
            "exit status 2.\n"
            "\n"
            "'-' means stdin as a VALUE of write and as the FILE of load, and stdout as\n"
            "the FILE of dump; 'write KEY --value -' stores the text '-' itself.\n"
            "dump and load move every (key hash, value) pair between stores through a\n"
            "portable text stream (srd a.srd dump - | srd b.srd load -); see 'srd help\n"
            "dump' and docs/cli.md for the format.\n"
            "\n"
            "Options start with '--' and come before a lone '--'; arguments after '--'\n"
            "are taken literally (for keys or values that start with '-').\n"
            "\n"
            "Exit status:\n"
            "  0  success\n"
            "  1  failure: I/O error, damaged or invalid store, store locked, ...\n"
            "  2  bad usage: wrong arguments, or a key or value the store refuses\n"
            "     (empty key or value, a value of exactly one 0x00 byte)\n"
            "  3  not found: the key, the store or the directory does not exist\n"
            "\n"
            "Errors are reported on stderr as 'srd: COMMAND: MESSAGE'. compact, verify,\n"
            "import and export draw a progress bar on stderr when it is a terminal.\n");
}

static void print_command_help(FILE *out, const command *cmd) {
    fprintf(out, "usage: srd STORE %s%s%s\n\n%c%s.\n\n%s", cmd->name, cmd->arg_usage[0] ? " " : "",
            cmd->arg_usage, toupper((unsigned char)cmd->summary[0]), cmd->summary + 1, cmd->details);
    fprintf(out, "\nExit status: 0 success, 1 failure, 2 bad usage, 3 not found.\n");
}


static int is_help(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

/* ---- main ------------------------------------------------------------------------ */

static int run_command(const command *cmd, const char *store_path, char **args, int nargs,
                       int have_hash, uint64_t hash, const char *value) {
    ctx c = {cmd->name, store_path, NULL, args, nargs, 0, 0, have_hash, hash, value};
    struct stat st;
    if (stat(store_path, &st) == 0) {
        c.have_pre_size = 1;
        c.pre_size = (uint64_t)st.st_size;
    }
    uint32_t flags = 0;
    switch (cmd->mode) {
    case OPEN_READ_ONLY: flags = SRD_OPEN_READ_ONLY; break;
    case OPEN_READ_ONLY_NO_VERIFY: flags = SRD_OPEN_READ_ONLY | SRD_OPEN_NO_VERIFY; break;
    case OPEN_CREATE: flags = 0; break;
    case OPEN_EXISTING: flags = SRD_OPEN_NO_CREATE; break;
    case OPEN_NONE: return cmd->run(&c);
    }
    srd_status s = srd_open(store_path, flags, &c.store);
    if (s != SRD_OK) return srdcli_report(cmd->name, s);
    int rc = cmd->run(&c);
    srd_close(c.store);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: srd STORE COMMAND [ARGS...]  (see 'srd --help')\n");
        return SRDCLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (is_help(first)) {
        print_main_help(stdout);
        return SRDCLI_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("srd %s (simd-r-drive library %s)\n", SRD_VERSION_STRING, srd_version_string());
        return SRDCLI_EXIT_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc == 2) {
            print_main_help(stdout);
            return SRDCLI_EXIT_OK;
        }
        const command *cmd = find_command(argv[2]);
        if (cmd == NULL) {
            srdcli_errorf("help", "unknown command '%s' (see 'srd --help')", argv[2]);
            return SRDCLI_EXIT_USAGE;
        }
        if (argc > 3) {
            srdcli_errorf("help", "expected one COMMAND, got '%s' too", argv[3]);
            return SRDCLI_EXIT_USAGE;
        }
        print_command_help(stdout, cmd);
        return SRDCLI_EXIT_OK;
    }
    if (first[0] == '-') {
        fprintf(stderr, "srd: unknown option '%s' (see 'srd --help')\n", first);
        return SRDCLI_EXIT_USAGE;
    }
    if (argc < 3) {
        fprintf(stderr, "srd: missing COMMAND after STORE '%s' (see 'srd --help')\n", first);
        return SRDCLI_EXIT_USAGE;
    }
    if (is_help(argv[2])) {
        print_main_help(stdout);
        return SRDCLI_EXIT_OK;
    }
    const command *cmd = find_command(argv[2]);
    if (cmd == NULL) {
        srdcli_errorf(argv[2], "unknown command (see 'srd --help')");
        return SRDCLI_EXIT_USAGE;
    }

    /* Positional arguments and options: "--help"/"-h" ask for help and "--NAME"
     * is an option, unless they follow "--". pos[0] is kept free (NULL) for the
     * KEY that --hash stands for; the positional arguments follow from pos[1]. */
    char **pos = calloc((size_t)argc + 2, sizeof *pos);
    if (pos == NULL) return srdcli_report(cmd->name, SRDCLI_NO_MEMORY);
    int npos = 0, literal = 0, rc = SRDCLI_EXIT_USAGE;
    int have_hash = 0;
    uint64_t hash = 0;
    const char *value = NULL;
    for (int i = 3; i < argc; i++) {
        char *a = argv[i];
        if (!literal && strcmp(a, "--") == 0) {
            literal = 1;
            continue;
        }
        if (!literal && is_help(a)) {
            print_command_help(stdout, cmd);
            rc = SRDCLI_EXIT_OK;
            goto done;
        }
        if (!literal && a[0] == '-' && a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
            unsigned opt = 0;
            if (name_len == 4 && strncmp(name, "hash", 4) == 0) opt = OPT_HASH;
            if (name_len == 5 && strncmp(name, "value", 5) == 0) opt = OPT_VALUE;
            if (opt == 0 || (cmd->opts & opt) == 0) {
                srdcli_errorf(cmd->name,
                              "unknown option '%.*s' (see 'srd help %s'; put '--' before "
                              "arguments that start with '-')",
                              (int)(name_len + 2), a, cmd->name);
                goto done;
            }
            const char *optname = opt == OPT_HASH ? "hash" : "value";
            if ((opt == OPT_HASH && have_hash) || (opt == OPT_VALUE && value != NULL)) {
                srdcli_errorf(cmd->name, "--%s given twice", optname);
                goto done;
            }
            const char *v = NULL;
            if (eq != NULL) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                srdcli_errorf(cmd->name, "--%s needs a value (usage: srd STORE %s %s)", optname,
                              cmd->name, cmd->arg_usage);
                goto done;
            }
            if (opt == OPT_HASH) {
                if (srdcli_parse_key_hash(v, &hash) != 0) {
                    srdcli_errorf(cmd->name,
                                  "--hash: '%s' is not a key hash (expected exactly 16 hex "
                                  "digits, optionally after 0x, as 'srd STORE list' prints)",
                                  v);
                    goto done;
                }
                have_hash = 1;
            } else {
                value = v;
            }
            continue;
        }
        pos[1 + npos++] = a;
    }
    {
        /* --hash stands for the first argument (the KEY), --value for the second. */
        char **args = have_hash ? pos : pos + 1;
        int nargs = npos + (have_hash ? 1 : 0) + (value != NULL ? 1 : 0);
        if (nargs < cmd->min_args || nargs > cmd->max_args) {
            srdcli_errorf(cmd->name, "wrong number of arguments (usage: srd STORE %s%s%s)",
                          cmd->name, cmd->arg_usage[0] ? " " : "", cmd->arg_usage);
            goto done;
        }
        rc = run_command(cmd, first, args, nargs, have_hash, hash, value);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == SRDCLI_EXIT_OK) srdcli_errorf(cmd->name, "stdout: %s", strerror(errno));
        rc = srdcli_worse(rc, SRDCLI_EXIT_FAILURE);
    }
done:
    free(pos);
    return rc;
}

/*
 * dump.c - `dump [FILE|-]` and `load [FILE|-]`: every live (key hash, value) pair
 * of a store as a portable text stream, and back. docs/cli.md describes the
 * format; in short (version 1):
 *
 *   srd-dump 1                                     format name and version
 *   created-by srd 0.1.1 (simd-r-drive library 0.1.1)
 *   encoding hex
 *   end-header
 *   value <16 hex: key hash> <length> <8 hex: CRC-32 of the value>
 *   <the value in lowercase hex, 128 digits (64 bytes) a line>
 *   ...                                            one record per live key
 *   end <records> <value bytes> <8 hex: CRC-32 of every byte before this line>
 *
 * load checks the whole stream before it opens the store (a pipe is copied to an
 * unlinked temporary file for this), then reads it again and writes each value
 * under its key hash: small ones with srd_write_with_hash, larger ones streamed.
 */
#define _POSIX_C_SOURCE 200809L

#include "srd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DUMP_VERSION "1"
#define DUMP_LINE_BYTES 64 /* value bytes per data line of a dump (128 hex digits) */
#define DUMP_MAX_LINE 1024 /* the longest header or record line load accepts */

/* ---- CRC-32 ------------------------------------------------------------------ */

static uint32_t crc_table[256];
static int crc_ready;

uint32_t srdcli_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    if (!crc_ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
        crc_ready = 1;
    }
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- dump -------------------------------------------------------------------- */

typedef struct dump_out {
    FILE *f;
    uint32_t crc; /* of every byte written so far */
    int failed;   /* a write failed (errno in err) */
    int err;
} dump_out;

static void out_put(dump_out *o, const void *p, size_t n) {
    o->crc = srdcli_crc32(o->crc, p, n);
    if (!o->failed && fwrite(p, 1, n, o->f) != n) {
        o->failed = 1;
        o->err = errno;
    }
}

static void out_printf(dump_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void out_printf(dump_out *o, const char *fmt, ...) {
    char line[DUMP_MAX_LINE];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) n = (int)strlen(line);
    out_put(o, line, (size_t)n);
}

static const char HEX[] = "0123456789abcdef";

static void out_value(dump_out *o, uint64_t hash, const uint8_t *v, size_t n) {
    out_printf(o, "value %016" PRIx64 " %zu %08" PRIx32 "\n", hash, n, srdcli_crc32(0, v, n));
    char line[2 * DUMP_LINE_BYTES + 1];
    for (size_t at = 0; at < n; at += DUMP_LINE_BYTES) {
        size_t k = n - at < DUMP_LINE_BYTES ? n - at : DUMP_LINE_BYTES;
        for (size_t i = 0; i < k; i++) {
            line[2 * i] = HEX[v[at + i] >> 4];
            line[2 * i + 1] = HEX[v[at + i] & 0xF];
        }
        line[2 * k] = '\n';
        out_put(o, line, 2 * k + 1);
    }
}

int srdcli_cmd_dump(const char *cmd, srd_store *store, const char *store_path, const char *file) {
    int to_stdout = strcmp(file, "-") == 0;
    dump_out o = {NULL, 0, 0, 0};
    if (to_stdout) {
        o.f = stdout;
    } else {
        /* Writing the dump over the store itself would truncate the file being read. */
        struct stat a, b;
        if (stat(store_path, &a) == 0 && stat(file, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            srdcli_errorf(cmd, "%s is the store itself", file);
            return SRDCLI_EXIT_USAGE;
        }
        o.f = fopen(file, "wb");
        if (o.f == NULL) {
            int e = errno;
            srdcli_errorf(cmd, "%s: %s", file, strerror(e));
            return e == ENOENT ? SRDCLI_EXIT_NOT_FOUND : SRDCLI_EXIT_FAILURE;
        }
    }
    const char *name = to_stdout ? "stdout" : file;
    out_printf(&o, "srd-dump " DUMP_VERSION "\n");
    out_printf(&o, "created-by srd %s (simd-r-drive library %s)\n", SRD_VERSION_STRING,
               srd_version_string());
    out_printf(&o, "encoding hex\n");
    out_printf(&o, "end-header\n");

    int rc = SRDCLI_EXIT_OK;
    uint64_t records = 0, bytes = 0;
    srd_iter *it = NULL;
    srd_status st = srd_iter_new(store, &it);
    if (st != SRD_OK) rc = srdcli_report(cmd, st);
    while (rc == SRDCLI_EXIT_OK && !o.failed) {
        uint64_t h = 0;
        const uint8_t *v = NULL;
        size_t n = 0;
        st = srd_iter_next(it, &h, &v, &n);
        if (st == SRD_NOT_FOUND) break;
        if (st != SRD_OK) { /* a damaged value: no end line, so load refuses the dump */
            rc = srdcli_worse(srdcli_report(cmd, st), SRDCLI_EXIT_FAILURE);
            break;
        }
        out_value(&o, h, v, n);
        records++;
        bytes += n;
    }
    srd_iter_free(it);
    if (rc == SRDCLI_EXIT_OK && !o.failed) {
        uint32_t crc = o.crc;
        out_printf(&o, "end %" PRIu64 " %" PRIu64 " %08" PRIx32 "\n", records, bytes, crc);
    }
    if (!o.failed && fflush(o.f) != 0) {
        o.failed = 1;
        o.err = errno;
    }
    if (o.failed) {
        srdcli_errorf(cmd, "%s: %s", name, strerror(o.err));
        rc = SRDCLI_EXIT_FAILURE;
    }
    if (!to_stdout) {
        if (fclose(o.f) != 0 && rc == SRDCLI_EXIT_OK) {
            srdcli_errorf(cmd, "%s: %s", name, strerror(errno));
            rc = SRDCLI_EXIT_FAILURE;
        }
        if (rc != SRDCLI_EXIT_OK) {
            unlink(file); /* an incomplete dump is of no use */
        } else {
            printf("dumped %" PRIu64 " value%s (%" PRIu64 " bytes) to %s\n", records,
                   records == 1 ? "" : "s", bytes, file);
        }
    }
    return rc;
}

/* ---- reading a dump ------------------------------------------------------------ */

static uint8_t in_buf[SRDCLI_CHUNK_SIZE];
static uint8_t value_buf[SRDCLI_CHUNK_SIZE];

typedef struct dump_in {
    FILE *f;
    const char *name; /* for messages: the file's name or "stdin" */
    size_t pos, len;  /* in_buf[pos..len) is not consumed yet */
    size_t crc_pos;   /* in_buf[0..crc_pos) is folded into crc */
    uint32_t crc;     /* of the bytes consumed (once folded) */
    uint64_t line;    /* line number of the next byte, from 1 */
    int eof, err;     /* err: errno of a failed read */
    FILE *spool;      /* when not NULL, every byte read is copied here */
    int spool_err;
} dump_in;

static void in_init(dump_in *r, FILE *f, const char *name, FILE *spool) {
    memset(r, 0, sizeof *r);
    r->f = f;
    r->name = name;
    r->line = 1;
    r->spool = spool;
}

static void in_fold(dump_in *r) {
    r->crc = srdcli_crc32(r->crc, in_buf + r->crc_pos, r->pos - r->crc_pos);
    r->crc_pos = r->pos;
}

/* The next byte, or -1 at the end of the input (or on a read error: r->err). */
static int in_getc(dump_in *r) {
    if (r->pos == r->len) {
        if (r->eof) return -1;
        in_fold(r);
        r->pos = r->len = r->crc_pos = 0;
        size_t n = fread(in_buf, 1, sizeof in_buf, r->f);
        if (n == 0) {
            if (ferror(r->f)) r->err = errno ? errno : EIO;
            r->eof = 1;
            return -1;
        }
        if (r->spool != NULL && r->spool_err == 0 && fwrite(in_buf, 1, n, r->spool) != n)
            r->spool_err = errno ? errno : EIO;
        r->len = n;
    }
    int ch = in_buf[r->pos++];
    if (ch == '\n') r->line++;
    return ch;
}

/* What to do with the records: only check them, or also write them to store. */
typedef struct load {
    const char *cmd;
    dump_in *in;
    srd_store *store;        /* NULL while checking */
    uint64_t records, bytes; /* records seen (and, when writing, written) */
    int rc;                  /* set with the first error */
} load;

static int bad(load *l, uint64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int bad(load *l, uint64_t line, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l->in->err != 0) {
        srdcli_errorf(l->cmd, "%s: %s", l->in->name, strerror(l->in->err));
    } else if (l->store == NULL) {
        srdcli_errorf(l->cmd, "%s: line %" PRIu64 ": %s (nothing loaded)", l->in->name, line, msg);
    } else {
        srdcli_errorf(l->cmd,
                      "%s: line %" PRIu64 ": %s (the dump changed while it was loaded; %" PRIu64
                      " values were stored)",
                      l->in->name, line, msg, l->records);
    }
    l->rc = SRDCLI_EXIT_FAILURE;
    return -1;
}

/* Reads one line (without its '\n') into out. Returns its length, or -1 at a clean
 * end of input (no byte), -2 for a line cut by the end of input, -3 for a line
 * longer than DUMP_MAX_LINE or holding a NUL or CR byte. */
static long read_line(dump_in *r, char *out) {
    size_t n = 0;
    int bad_byte = 0;
    for (;;) {
        int ch = in_getc(r);
        if (ch < 0) return n == 0 ? -1 : -2;
        if (ch == '\n') break;
        if (ch == 0 || ch == '\r') bad_byte = 1;
        if (n + 1 >= DUMP_MAX_LINE) bad_byte = 1;
        else out[n++] = (char)ch;
    }
    out[n] = '\0';
    return bad_byte ? -3 : (long)n;
}

/* Splits line at single spaces into at most max tokens. Returns the count, or -1 if
 * there are more, or an empty token (two spaces, or one at either end). */
static int split(char *line, char **tok, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        char *sp = strchr(p, ' ');
        if (n == max) return -1;
        tok[n++] = p;
        if (sp == NULL) break;
        *sp = '\0';
        p = sp + 1;
    }
    for (int i = 0; i < n; i++)
        if (tok[i][0] == '\0') return -1;
    return n;
}

static int parse_decimal(const char *s, uint64_t *out) {
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0')) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_hex_exact(const char *s, size_t digits, uint64_t *out) {
    return strlen(s) == digits ? srdcli_parse_hex_u64(s, digits, out) : -1;
}

/* Gives `len` decoded bytes to the store (when writing). */
typedef struct sink {
    srd_stream *stream; /* large values */
    size_t buffered;    /* small values: bytes in value_buf */
} sink;

/* Reads a record's value (2*len hex digits; newlines between them are ignored,
 * and one must follow the last), checks its CRC-32 and, when writing, stores it. */
static int read_value(load *l, uint64_t rec_line, uint64_t hash, uint64_t len, uint32_t crc) {
    dump_in *r = l->in;
    int streamed = l->store != NULL && len > sizeof value_buf;
    srd_stream *s = NULL;
    if (streamed) {
        srd_status st = srd_stream_begin_with_hash(l->store, hash, &s);
        if (st != SRD_OK) {
            l->rc = srdcli_report(l->cmd, st);
            return -1;
        }
    }
    uint32_t got = 0;
    uint64_t left = len;
    size_t n = 0; /* bytes in value_buf */
    uint8_t first = 0;
    while (left > 0) {
        int hi, lo;
        do hi = in_getc(r);
        while (hi == '\n');
        lo = hi < 0 ? -1 : in_getc(r);
        if (hi < 0 || lo < 0) {
            srd_stream_abort(s);
            return bad(l, r->line,
                       "the input ends inside the value of the record of line %" PRIu64
                       " (%" PRIu64 " of its %" PRIu64 " bytes are missing): the dump is truncated",
                       rec_line, left, len);
        }
        int a = srdcli_hex_digit(hi), b = srdcli_hex_digit(lo);
        if (a < 0 || b < 0) {
            srd_stream_abort(s);
            return bad(l, r->line,
                       "a value byte is not two hex digits (record of line %" PRIu64 ")",
                       rec_line);
        }
        value_buf[n++] = (uint8_t)(a << 4 | b);
        if (left == len) first = value_buf[0];
        left--;
        if (n == sizeof value_buf || left == 0) {
            got = srdcli_crc32(got, value_buf, n);
            if (streamed) {
                srd_status st = srd_stream_write(s, value_buf, n);
                if (st != SRD_OK) {
                    srd_stream_abort(s);
                    l->rc = srdcli_report(l->cmd, st);
                    return -1;
                }
            }
            if (left > 0) n = 0;
        }
    }
    if (in_getc(r) != '\n') {
        srd_stream_abort(s);
        return bad(l, r->line,
                   "the value of the record of line %" PRIu64
                   " is longer than its length %" PRIu64 " (or lacks its final newline)",
                   rec_line, len);
    }
    if (got != crc) {
        srd_stream_abort(s);
        return bad(l, rec_line,
                   "the value of key hash %016" PRIx64 " fails its CRC-32 (%08" PRIx32
                   " in the dump, %08" PRIx32 " computed): the record is corrupted",
                   hash, crc, got);
    }
    if (len == 1 && first == 0) {
        srd_stream_abort(s);
        return bad(l, rec_line, "a value of exactly one 0x00 byte cannot be stored");
    }
    if (l->store != NULL) {
        srd_status st = streamed ? srd_stream_commit(s)
                                 : srd_write_with_hash(l->store, hash, value_buf, n);
        if (st != SRD_OK) {
            const char *msg = srd_last_error_message();
            srdcli_errorf(l->cmd,
                          "key hash %016" PRIx64 " (line %" PRIu64 "): %s (%" PRIu64
                          " values were stored before it)",
                          hash, rec_line, (msg && msg[0]) ? msg : srd_status_str(st), l->records);
            l->rc = srdcli_worse(srdcli_exit_code(st), SRDCLI_EXIT_FAILURE);
            return -1;
        }
    }
    return 0;
}

/* Reads the whole dump; with l->store, writes every record. 0 or -1 (l->rc set). */
static int read_dump(load *l) {
    dump_in *r = l->in;
    char line[DUMP_MAX_LINE];
    char *tok[8];
    uint64_t at = r->line;
    long n = read_line(r, line);
    if (n == -1) return bad(l, at, "the input is empty, not an srd dump");
    if (n < 0 || strncmp(line, "srd-dump ", 9) != 0)
        return bad(l, at, "not an srd dump (the first line is not 'srd-dump " DUMP_VERSION "')");
    if (strcmp(line + 9, DUMP_VERSION) != 0)
        return bad(l, at, "unsupported dump format version '%.40s' (this srd reads version " DUMP_VERSION ")",
                   line + 9);
    int have_encoding = 0;
    for (;;) {
        at = r->line;
        n = read_line(r, line);
        if (n == -1 || n == -2) return bad(l, at, "the input ends inside the header: the dump is truncated");
        if (n < 0) return bad(l, at, "a header line is too long or holds a NUL or CR byte");
        if (strcmp(line, "end-header") == 0) break;
        char *sp = strchr(line, ' ');
        if (sp != NULL) *sp = '\0';
        const char *val = sp ? sp + 1 : "";
        if (line[0] == '\0' || strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(line))
            return bad(l, at, "a header line is not 'NAME VALUE'");
        if (strcmp(line, "encoding") == 0) {
            if (strcmp(val, "hex") != 0)
                return bad(l, at, "unsupported encoding '%.40s' (this srd reads 'hex')", val);
            have_encoding = 1;
        } /* other names (created-by, ...) are informational */
    }
    if (!have_encoding) return bad(l, at, "the header has no 'encoding' line");

    uint64_t seen = 0;
    for (;;) {
        at = r->line;
        in_fold(r);
        uint32_t crc_before = r->crc; /* of every byte before this line */
        n = read_line(r, line);
        if (n == -1)
            return bad(l, at,
                       "the input ends after %" PRIu64 " records without the 'end' line: the dump "
                       "is truncated",
                       seen);
        if (n == -2) return bad(l, at, "the input ends inside a line: the dump is truncated");
        if (n < 0) return bad(l, at, "a record line is too long or holds a NUL or CR byte");
        int k = split(line, tok, 8);
        if (k == 4 && strcmp(tok[0], "value") == 0) {
            uint64_t hash = 0, len = 0, crc = 0;
            if (parse_hex_exact(tok[1], 16, &hash) != 0)
                return bad(l, at, "the key hash '%.40s' is not 16 hex digits", tok[1]);
            if (parse_decimal(tok[2], &len) != 0)
                return bad(l, at, "the length '%.40s' is not a decimal number", tok[2]);
            if (len == 0) return bad(l, at, "an empty value cannot be stored");
            if (parse_hex_exact(tok[3], 8, &crc) != 0)
                return bad(l, at, "the CRC-32 '%.40s' is not 8 hex digits", tok[3]);
            if (read_value(l, at, hash, len, (uint32_t)crc) != 0) return -1;
            seen++;
            l->records = seen;
            l->bytes += len;
            continue;
        }
        if (k == 4 && strcmp(tok[0], "end") == 0) {
            uint64_t count = 0, bytes = 0, crc = 0;
            if (parse_decimal(tok[1], &count) != 0 || parse_decimal(tok[2], &bytes) != 0 ||
                parse_hex_exact(tok[3], 8, &crc) != 0)
                return bad(l, at, "the end line is not 'end RECORDS BYTES CRC32'");
            if (count != seen)
                return bad(l, at, "the end line counts %" PRIu64 " records, the dump holds %" PRIu64,
                           count, seen);
            if (bytes != l->bytes)
                return bad(l, at, "the end line counts %" PRIu64 " value bytes, the dump holds %" PRIu64,
                           bytes, l->bytes);
            if ((uint32_t)crc != crc_before)
                return bad(l, at,
                           "the dump fails its CRC-32 (%08" PRIx32 " in the end line, %08" PRIx32
                           " computed): it was changed or corrupted",
                           (uint32_t)crc, crc_before);
            if (in_getc(r) >= 0) return bad(l, r->line, "there is data after the end line");
            if (r->err != 0) return bad(l, r->line, "read error");
            return 0;
        }
        return bad(l, at, "expected a 'value HASH LENGTH CRC32' or 'end RECORDS BYTES CRC32' line");
    }
}

int srdcli_cmd_load(const char *cmd, const char *store_path, const char *file) {
    int from_stdin = strcmp(file, "-") == 0;
    const char *name = from_stdin ? "stdin" : file;
    FILE *f = from_stdin ? stdin : fopen(file, "rb");
    if (f == NULL) {
        int e = errno;
        srdcli_errorf(cmd, "%s: %s", file, strerror(e));
        return e == ENOENT ? SRDCLI_EXIT_NOT_FOUND : SRDCLI_EXIT_FAILURE;
    }
    int rc = SRDCLI_EXIT_OK;
    FILE *spool = NULL;
    off_t start = 0;
    struct stat sb;
    int seekable = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
                   (start = ftello(f)) >= 0;
    if (!seekable) {
        /* A pipe can be read once: keep a copy to read again after the check. */
        const char *dir = getenv("TMPDIR");
        if (dir == NULL || dir[0] == '\0') dir = "/tmp";
        char *tmpl = srdcli_path_join(dir, "srd-load.XXXXXX");
        int fd = tmpl ? mkstemp(tmpl) : -1;
        if (fd < 0 || (spool = fdopen(fd, "w+b")) == NULL) {
            int e = errno;
            if (tmpl == NULL) {
                rc = srdcli_report(cmd, SRDCLI_NO_MEMORY);
            } else {
                srdcli_errorf(cmd, "cannot create a temporary copy of %s in %s: %s", name, dir,
                              strerror(e));
                rc = SRDCLI_EXIT_FAILURE;
            }
            if (fd >= 0) close(fd);
        }
        if (fd >= 0) unlink(tmpl); /* gone when closed, whatever happens */
        free(tmpl);
        if (rc != SRDCLI_EXIT_OK) {
            if (!from_stdin) fclose(f);
            return rc;
        }
    }

    /* Pass 1: check everything, write nothing. */
    dump_in in;
    in_init(&in, f, name, spool);
    load l = {cmd, &in, NULL, 0, 0, SRDCLI_EXIT_OK};
    if (read_dump(&l) != 0) {
        rc = l.rc;
    } else if (spool != NULL && (in.spool_err != 0 || fflush(spool) != 0)) {
        srdcli_errorf(cmd, "writing a temporary copy of %s: %s (nothing loaded)", name,
                      strerror(in.spool_err ? in.spool_err : errno));
        rc = SRDCLI_EXIT_FAILURE;
    } else if (spool != NULL ? fseeko(spool, 0, SEEK_SET) != 0 : fseeko(f, start, SEEK_SET) != 0) {
        srdcli_errorf(cmd, "%s: cannot read it again: %s (nothing loaded)", name, strerror(errno));
        rc = SRDCLI_EXIT_FAILURE;
    }

    /* Pass 2: the same records, into the store. */
    if (rc == SRDCLI_EXIT_OK) {
        srd_store *store = NULL;
        srd_status st = srd_open(store_path, 0, &store);
        if (st != SRD_OK) {
            rc = srdcli_report(cmd, st);
        } else {
            clearerr(f);
            in_init(&in, spool != NULL ? spool : f, name, NULL);
            load w = {cmd, &in, store, 0, 0, SRDCLI_EXIT_OK};
            if (read_dump(&w) != 0) {
                rc = w.rc;
            } else {
                printf("loaded %" PRIu64 " value%s (%" PRIu64 " bytes)\n", w.records,
                       w.records == 1 ? "" : "s", w.bytes);
            }
            srd_close(store);
        }
    }
    if (spool != NULL) fclose(spool);
    if (!from_stdin) fclose(f);
    return rc;
}

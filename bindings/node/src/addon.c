/*
 * Node-API addon over the simd-r-drive C API (include/simd_r_drive.h).
 *
 * Errors: every srd_ call and the reading of its detail (status, message,
 * OS errno) happen in one C function on one thread (rule E5 of the header).
 * Async calls run on libuv's thread pool: the execute callback makes the
 * call AND copies the detail there; the complete callback, on the JS
 * thread, turns the copy into an Error. So each call's Error is its own.
 *
 * Zero-copy: getEntry returns an external ArrayBuffer over a pinned
 * srd_entry's bytes; its finalizer calls srd_entry_free (rule L2).
 *
 * Store lifetime: a store is an external holding a `store_box`. Each async
 * call counts itself in `pending` (on the JS thread) and holds a reference
 * to the external; close() with calls pending marks the box closed and the
 * last call's completion closes the store (rule T1: srd_close must be the
 * last call, with no other running).
 *
 * Backup progress: backup() calls the JS function inside srd_backup, on the
 * JS thread (calls on the store from it throw: rule T4); backupAsync()
 * queues the numbers through a napi_threadsafe_function, and settles the
 * promise in its finalizer, which runs once the queue is drained, so every
 * progress call comes before the settlement.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd_r_drive.h"

/* ---------------------------------------------------------------- errors */

typedef struct {
    int32_t status;
    int32_t os_errno;
    char *message; /* malloc'd */
} call_err;

/* Copies the calling thread's detail of the failure `st`, at once. */
static srd_status capture(srd_status st, call_err *e) {
    if (st != SRD_OK) {
        e->status = st;
        e->os_errno = srd_last_error_os_errno();
        free(e->message);
        e->message = strdup(srd_last_error_message());
    }
    return st;
}

static void set_local_err(call_err *e, srd_status st, const char *msg) {
    e->status = st;
    e->os_errno = 0;
    free(e->message);
    e->message = strdup(msg);
}

static const char *status_code(int32_t st) {
    static const char *const names[] = {
        "SRD_OK",      "SRD_NOT_FOUND", "SRD_INVALID_ARGUMENT", "SRD_IO",   "SRD_CORRUPT",
        "SRD_LOCKED",  "SRD_READ_ONLY", "SRD_PANIC",            "SRD_BUSY", "SRD_BROKEN",
        "SRD_CONFLICT",
    };
    if (st >= 0 && st < (int32_t)(sizeof names / sizeof names[0])) return names[st];
    return "SRD_UNKNOWN";
}

/* The JS Error of a captured failure: message, .code ('SRD_NOT_FOUND'),
 * .status (number), .errno (positive OS error number, 0 if none). Frees
 * the copied message. */
static napi_value make_error(napi_env env, call_err *e) {
    napi_value code, msg, err, num;
    const char *text = e->message && e->message[0] ? e->message : srd_status_str(e->status);
    napi_create_string_utf8(env, status_code(e->status), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &err);
    napi_create_int32(env, e->status, &num);
    napi_set_named_property(env, err, "status", num);
    napi_create_int32(env, e->os_errno, &num);
    napi_set_named_property(env, err, "errno", num);
    free(e->message);
    e->message = NULL;
    return err;
}

static napi_value throw_err(napi_env env, call_err *e) {
    napi_throw(env, make_error(env, e));
    return NULL;
}

static napi_value throw_invalid(napi_env env, const char *msg) {
    call_err e = {0, 0, NULL};
    set_local_err(&e, SRD_INVALID_ARGUMENT, msg);
    return throw_err(env, &e);
}

/* ------------------------------------------------------------- arguments */

typedef struct {
    srd_store *p;
    int pending; /* async calls in flight (touched on the JS thread only) */
    int closed;  /* close() was called */
    int in_progress_cb; /* a sync backup is calling its JS progress function */
} store_box;

static void close_box_now(store_box *b) {
    if (b->p) {
        srd_close(b->p);
        b->p = NULL;
    }
}

static void store_finalize(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    store_box *b = data;
    /* Async calls hold a reference, so none is pending here. */
    close_box_now(b);
    free(b);
}

#define MAX_ARGS 5
#define ARGS(n)                                                                        \
    size_t argc = (n);                                                                 \
    napi_value argv[MAX_ARGS];                                                         \
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < (n)) \
        return throw_invalid(env, "invalid argument: too few arguments");

/* The store of argument v, or NULL after throwing. */
static store_box *get_box(napi_env env, napi_value v) {
    void *data = NULL;
    napi_valuetype t;
    if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
        napi_get_value_external(env, v, &data) != napi_ok || !data) {
        throw_invalid(env, "invalid argument: not a store");
        return NULL;
    }
    store_box *b = data;
    if (b->closed) {
        throw_invalid(env, "invalid argument: the store is closed");
        return NULL;
    }
    if (b->in_progress_cb) {
        /* Rule T4: the callback runs inside srd_backup on this thread. */
        throw_invalid(env, "invalid argument: a backup's progress function may not use its store "
                           "(use backupAsync)");
        return NULL;
    }
    return b;
}

/* Bytes of a Buffer/TypedArray/ArrayBuffer/string argument. Strings are
 * copied into *owned (free it); other views are borrowed. 0 after throwing. */
static int get_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len, char **owned) {
    napi_valuetype t;
    bool is;
    *owned = NULL;
    napi_typeof(env, v, &t);
    if (t == napi_string) {
        size_t n = 0;
        napi_get_value_string_utf8(env, v, NULL, 0, &n);
        char *s = malloc(n + 1);
        if (!s) {
            throw_invalid(env, "out of memory");
            return 0;
        }
        napi_get_value_string_utf8(env, v, s, n + 1, &n);
        *owned = s;
        *data = (const uint8_t *)s;
        *len = n;
        return 1;
    }
    if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
        napi_typedarray_type tt;
        size_t count, offset;
        void *base;
        napi_value ab;
        napi_get_typedarray_info(env, v, &tt, &count, &base, &ab, &offset);
        size_t elem = 1;
        switch (tt) {
        case napi_int16_array: case napi_uint16_array: elem = 2; break;
        case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
        case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
        default: break;
        }
        *data = base;
        *len = count * elem;
        return 1;
    }
    if (napi_is_dataview(env, v, &is) == napi_ok && is) {
        size_t n, offset;
        void *base;
        napi_value ab;
        napi_get_dataview_info(env, v, &n, &base, &ab, &offset);
        *data = base;
        *len = n;
        return 1;
    }
    if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
        void *base;
        size_t n;
        napi_get_arraybuffer_info(env, v, &base, &n);
        *data = base;
        *len = n;
        return 1;
    }
    throw_invalid(env, "invalid argument: keys and values are Buffers, typed arrays or strings");
    return 0;
}

/* A malloc'd copy of a byte argument (for async calls, which run after the
 * JS call returns and must not see later changes). 0 after throwing. */
static int copy_bytes(napi_env env, napi_value v, uint8_t **out, size_t *len) {
    const uint8_t *d;
    char *owned;
    if (!get_bytes(env, v, &d, len, &owned)) return 0;
    if (owned) {
        *out = (uint8_t *)owned;
        return 1;
    }
    *out = malloc(*len ? *len : 1);
    if (!*out) {
        throw_invalid(env, "out of memory");
        return 0;
    }
    if (*len) memcpy(*out, d, *len);
    return 1;
}

/* ------------------------------------------------------- values and entries */

static void entry_finalize(napi_env env, void *data, void *hint) {
    (void)env;
    (void)data;
    srd_entry_free(hint);
}

/* An ArrayBuffer over the entry's bytes, freeing the entry when collected. */
static napi_value entry_buffer(napi_env env, srd_entry *en) {
    size_t n = 0;
    const uint8_t *d = srd_entry_data(en, &n);
    napi_value ab;
    if (napi_create_external_arraybuffer(env, (void *)d, n, entry_finalize, en, &ab) != napi_ok) {
        srd_entry_free(en);
        return NULL;
    }
    return ab;
}

/* A Buffer holding a copy of the entry's bytes; frees the entry. */
static napi_value entry_copy(napi_env env, srd_entry *en) {
    size_t n = 0;
    const uint8_t *d = srd_entry_data(en, &n);
    napi_value buf;
    napi_create_buffer_copy(env, n, d, NULL, &buf);
    srd_entry_free(en);
    return buf;
}

/* ------------------------------------------------------------ sync calls */

static napi_value js_open(napi_env env, napi_callback_info info) {
    ARGS(2);
    char path[4096];
    size_t n;
    uint32_t flags;
    if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &n) != napi_ok ||
        n >= sizeof path - 1)
        return throw_invalid(env, "invalid argument: path must be a string shorter than 4095 bytes");
    if (napi_get_value_uint32(env, argv[1], &flags) != napi_ok)
        return throw_invalid(env, "invalid argument: flags must be a number");
    call_err e = {0, 0, NULL};
    srd_store *s = NULL;
    if (capture(srd_open(path, flags, &s), &e) != SRD_OK) return throw_err(env, &e);
    store_box *b = calloc(1, sizeof *b);
    if (!b) {
        srd_close(s);
        return throw_invalid(env, "out of memory");
    }
    b->p = s;
    napi_value ext;
    napi_create_external(env, b, store_finalize, NULL, &ext);
    return ext;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
    ARGS(1);
    void *data = NULL;
    if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data)
        return throw_invalid(env, "invalid argument: not a store");
    store_box *b = data;
    if (!b->closed) {
        b->closed = 1;
        /* From a sync backup's progress function, js_backup closes it after. */
        if (b->pending == 0 && !b->in_progress_cb) close_box_now(b);
    }
    return NULL;
}

static napi_value js_put(napi_env env, napi_callback_info info) {
    ARGS(3);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k, *v;
    size_t kl, vl;
    char *ko, *vo;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    if (!get_bytes(env, argv[2], &v, &vl, &vo)) {
        free(ko);
        return NULL;
    }
    call_err e = {0, 0, NULL};
    srd_status st = capture(srd_write(b->p, k, kl, v, vl), &e);
    free(ko);
    free(vo);
    return st == SRD_OK ? NULL : throw_err(env, &e);
}

static napi_value js_get_common(napi_env env, napi_callback_info info, int zero_copy) {
    ARGS(2);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    srd_entry *en = NULL;
    srd_status st = capture(srd_read_entry(b->p, k, kl, &en), &e);
    free(ko);
    if (st != SRD_OK) return throw_err(env, &e);
    return zero_copy ? entry_buffer(env, en) : entry_copy(env, en);
}

static napi_value js_get(napi_env env, napi_callback_info info) {
    return js_get_common(env, info, 0);
}

static napi_value js_get_entry(napi_env env, napi_callback_info info) {
    return js_get_common(env, info, 1);
}

static napi_value js_delete(napi_env env, napi_callback_info info) {
    ARGS(2);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    srd_status st = capture(srd_delete(b->p, k, kl), &e);
    free(ko);
    return st == SRD_OK ? NULL : throw_err(env, &e);
}

static napi_value js_exists(napi_env env, napi_callback_info info) {
    ARGS(2);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    srd_status st = srd_exists(b->p, k, kl);
    free(ko);
    if (st != SRD_OK && st != SRD_NOT_FOUND) {
        capture(st, &e);
        return throw_err(env, &e);
    }
    napi_value r;
    napi_get_boolean(env, st == SRD_OK, &r);
    return r;
}

/* putBatch(store, keys[], values[]): one append, all or nothing. */
static napi_value js_put_batch(napi_env env, napi_callback_info info) {
    ARGS(3);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    uint32_t n, nv;
    if (napi_get_array_length(env, argv[1], &n) != napi_ok ||
        napi_get_array_length(env, argv[2], &nv) != napi_ok || n != nv)
        return throw_invalid(env, "invalid argument: keys and values must be arrays of one length");
    srd_kv *items = calloc(n ? n : 1, sizeof *items);
    char **owned = calloc(2 * (size_t)n + 1, sizeof *owned);
    napi_value ret = NULL;
    if (!items || !owned) {
        throw_invalid(env, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        napi_value k, v;
        napi_get_element(env, argv[1], i, &k);
        napi_get_element(env, argv[2], i, &v);
        if (!get_bytes(env, k, &items[i].key, &items[i].key_len, &owned[2 * i]) ||
            !get_bytes(env, v, &items[i].value, &items[i].value_len, &owned[2 * i + 1]))
            goto out;
    }
    call_err e = {0, 0, NULL};
    if (capture(srd_write_batch(b->p, items, n), &e) != SRD_OK) throw_err(env, &e);
out:
    if (owned)
        for (size_t i = 0; i < 2 * (size_t)n; i++) free(owned[i]);
    free(owned);
    free(items);
    return ret;
}

typedef srd_status (*store_fn)(struct srd_store *);

static napi_value js_store_call(napi_env env, napi_callback_info info, store_fn f) {
    ARGS(1);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    call_err e = {0, 0, NULL};
    return capture(f(b->p), &e) == SRD_OK ? NULL : throw_err(env, &e);
}

static napi_value js_compact(napi_env env, napi_callback_info info) {
    return js_store_call(env, info, srd_compact);
}

static napi_value js_sync(napi_env env, napi_callback_info info) {
    return js_store_call(env, info, srd_sync);
}

static napi_value js_count(napi_env env, napi_callback_info info) {
    ARGS(1);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    call_err e = {0, 0, NULL};
    uint64_t n = 0;
    if (capture(srd_count(b->p, &n), &e) != SRD_OK) return throw_err(env, &e);
    napi_value r;
    napi_create_double(env, (double)n, &r);
    return r;
}

static napi_value js_hash_key(napi_env env, napi_callback_info info) {
    ARGS(1);
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[0], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    uint64_t h = 0;
    srd_status st = capture(srd_hash_key(k, kl, &h), &e);
    free(ko);
    if (st != SRD_OK) return throw_err(env, &e);
    napi_value r;
    napi_create_bigint_uint64(env, h, &r);
    return r;
}

/* Iteration: iterNew(store) -> external; iterNext(it) -> [hash, Buffer]
 * (a copy) or null at the end; iterFree(it). */
static void iter_finalize(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    srd_iter **slot = data;
    srd_iter_free(*slot);
    free(slot);
}

static napi_value js_iter_new(napi_env env, napi_callback_info info) {
    ARGS(1);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    srd_iter **slot = calloc(1, sizeof *slot);
    if (!slot) return throw_invalid(env, "out of memory");
    call_err e = {0, 0, NULL};
    if (capture(srd_iter_new(b->p, slot), &e) != SRD_OK) {
        free(slot);
        return throw_err(env, &e);
    }
    napi_value ext;
    napi_create_external(env, slot, iter_finalize, NULL, &ext);
    return ext;
}

static srd_iter **get_iter(napi_env env, napi_value v) {
    void *data = NULL;
    if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
        throw_invalid(env, "invalid argument: not an iterator");
        return NULL;
    }
    return data;
}

static napi_value js_iter_next(napi_env env, napi_callback_info info) {
    ARGS(1);
    srd_iter **slot = get_iter(env, argv[0]);
    napi_value r;
    if (!slot) return NULL;
    if (!*slot) {
        napi_get_null(env, &r);
        return r;
    }
    uint64_t h;
    const uint8_t *v;
    size_t n;
    call_err e = {0, 0, NULL};
    srd_status st = srd_iter_next(*slot, &h, &v, &n);
    if (st == SRD_NOT_FOUND) {
        napi_get_null(env, &r);
        return r;
    }
    if (capture(st, &e) != SRD_OK) return throw_err(env, &e);
    napi_value hv, buf;
    napi_create_bigint_uint64(env, h, &hv);
    napi_create_buffer_copy(env, n, v, NULL, &buf);
    napi_create_array_with_length(env, 2, &r);
    napi_set_element(env, r, 0, hv);
    napi_set_element(env, r, 1, buf);
    return r;
}

static napi_value js_iter_free(napi_env env, napi_callback_info info) {
    ARGS(1);
    srd_iter **slot = get_iter(env, argv[0]);
    if (slot && *slot) {
        srd_iter_free(*slot);
        *slot = NULL;
    }
    return NULL;
}

/* ------------------------------------------- conditional writes, versions */

/* A version argument: a Number (a non-negative integer up to 2^53) or a
 * BigInt. 0 after throwing. */
static int get_version(napi_env env, napi_value v, uint64_t *out) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t == napi_bigint) {
        bool lossless = false;
        if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok && lossless) return 1;
    } else if (t == napi_number) {
        double d;
        napi_get_value_double(env, v, &d);
        if (d >= 0 && d <= 9007199254740992.0 && d == (double)(uint64_t)d) {
            *out = (uint64_t)d;
            return 1;
        }
    }
    throw_invalid(env, "invalid argument: a version is a non-negative integer (Number or BigInt)");
    return 0;
}

/* Versions are file offsets, below the format's 16 TiB limit: exact as Numbers. */
static napi_value version_value(napi_env env, uint64_t v) {
    napi_value r;
    napi_create_double(env, (double)v, &r);
    return r;
}

/* putIfAbsent(store, key, value) */
static napi_value js_put_if_absent(napi_env env, napi_callback_info info) {
    ARGS(3);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k, *v;
    size_t kl, vl;
    char *ko, *vo;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    if (!get_bytes(env, argv[2], &v, &vl, &vo)) {
        free(ko);
        return NULL;
    }
    call_err e = {0, 0, NULL};
    srd_status st = capture(srd_write_if_absent(b->p, k, kl, v, vl), &e);
    free(ko);
    free(vo);
    return st == SRD_OK ? NULL : throw_err(env, &e);
}

/* putIfVersion(store, key, version, value) */
static napi_value js_put_if_version(napi_env env, napi_callback_info info) {
    ARGS(4);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    uint64_t ver;
    if (!get_version(env, argv[2], &ver)) return NULL;
    const uint8_t *k, *v;
    size_t kl, vl;
    char *ko, *vo;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    if (!get_bytes(env, argv[3], &v, &vl, &vo)) {
        free(ko);
        return NULL;
    }
    call_err e = {0, 0, NULL};
    srd_status st = capture(srd_write_if_version(b->p, k, kl, ver, v, vl), &e);
    free(ko);
    free(vo);
    return st == SRD_OK ? NULL : throw_err(env, &e);
}

/* deleteIfVersion(store, key, version) */
static napi_value js_delete_if_version(napi_env env, napi_callback_info info) {
    ARGS(3);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    uint64_t ver;
    if (!get_version(env, argv[2], &ver)) return NULL;
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    srd_status st = capture(srd_delete_if_version(b->p, k, kl, ver), &e);
    free(ko);
    return st == SRD_OK ? NULL : throw_err(env, &e);
}

/* version(store, key) -> Number */
static napi_value js_version_of(napi_env env, napi_callback_info info) {
    ARGS(2);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    uint64_t ver = 0;
    srd_status st = capture(srd_version_of(b->p, k, kl, &ver), &e);
    free(ko);
    if (st != SRD_OK) return throw_err(env, &e);
    return version_value(env, ver);
}

/* Pins key's value and gives its version: the value and the version of that
 * very value, in one read. */
static srd_status read_versioned(srd_store *s, const uint8_t *k, size_t kl, srd_entry **en,
                                 uint64_t *ver, call_err *e) {
    srd_status st = capture(srd_read_entry(s, k, kl, en), e);
    if (st != SRD_OK) return st;
    st = capture(srd_entry_offset(*en, ver), e);
    if (st != SRD_OK) {
        srd_entry_free(*en);
        *en = NULL;
    }
    return st;
}

/* {value: Buffer (a copy), version: Number}; frees the entry. */
static napi_value versioned_value(napi_env env, srd_entry *en, uint64_t ver) {
    napi_value r;
    napi_create_object(env, &r);
    napi_set_named_property(env, r, "value", entry_copy(env, en));
    napi_set_named_property(env, r, "version", version_value(env, ver));
    return r;
}

/* getWithVersion(store, key) -> {value, version} */
static napi_value js_get_with_version(napi_env env, napi_callback_info info) {
    ARGS(2);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    const uint8_t *k;
    size_t kl;
    char *ko;
    if (!get_bytes(env, argv[1], &k, &kl, &ko)) return NULL;
    call_err e = {0, 0, NULL};
    srd_entry *en = NULL;
    uint64_t ver = 0;
    srd_status st = read_versioned(b->p, k, kl, &en, &ver, &e);
    free(ko);
    if (st != SRD_OK) return throw_err(env, &e);
    return versioned_value(env, en, ver);
}

static napi_value js_file_size(napi_env env, napi_callback_info info) {
    ARGS(1);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    call_err e = {0, 0, NULL};
    uint64_t n = 0;
    if (capture(srd_file_size(b->p, &n), &e) != SRD_OK) return throw_err(env, &e);
    napi_value r;
    napi_create_double(env, (double)n, &r);
    return r;
}

/* --------------------------------------------------------------- snapshots */

static napi_value new_store_external(napi_env env, srd_store *s) {
    store_box *b = calloc(1, sizeof *b);
    if (!b) {
        srd_close(s);
        return throw_invalid(env, "out of memory");
    }
    b->p = s;
    napi_value ext;
    napi_create_external(env, b, store_finalize, NULL, &ext);
    return ext;
}

/* snapshot(store) -> a new read-only store external */
static napi_value js_snapshot(napi_env env, napi_callback_info info) {
    ARGS(1);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    call_err e = {0, 0, NULL};
    srd_store *snap = NULL;
    if (capture(srd_snapshot(b->p, &snap), &e) != SRD_OK) return throw_err(env, &e);
    return new_store_external(env, snap);
}

/* ------------------------------------------------------------------ backup */

/* A path argument, malloc'd. NULL after throwing. */
static char *get_path(napi_env env, napi_value v) {
    size_t n = 0;
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) {
        throw_invalid(env, "invalid argument: a path is a string");
        return NULL;
    }
    char *p = malloc(n + 1);
    if (!p) {
        throw_invalid(env, "out of memory");
        return NULL;
    }
    napi_get_value_string_utf8(env, v, p, n + 1, &n);
    return p;
}

/* A progress argument: a function, or undefined/null for none. 0 after
 * throwing. */
static int get_progress(napi_env env, napi_value v, napi_value *fn) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t == napi_undefined || t == napi_null) {
        *fn = NULL;
        return 1;
    }
    if (t == napi_function) {
        *fn = v;
        return 1;
    }
    throw_invalid(env, "invalid argument: progress is a function (done, total)");
    return 0;
}

typedef struct {
    napi_env env;
    napi_value fn;
    int threw; /* the function threw: its exception is pending; call it no more */
} sync_progress;

/* Runs on the JS thread, inside srd_backup. */
static void sync_progress_cb(void *user_data, uint64_t done, uint64_t total) {
    sync_progress *sp = user_data;
    if (sp->threw) return;
    napi_value args[2], undef;
    napi_create_double(sp->env, (double)done, &args[0]);
    napi_create_double(sp->env, (double)total, &args[1]);
    napi_get_undefined(sp->env, &undef);
    if (napi_call_function(sp->env, undef, sp->fn, 2, args, NULL) != napi_ok) sp->threw = 1;
}

/* backup(store, dstPath, progress?) */
static napi_value js_backup(napi_env env, napi_callback_info info) {
    ARGS(3);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    sync_progress sp = {env, NULL, 0};
    if (!get_progress(env, argv[2], &sp.fn)) return NULL;
    char *dst = get_path(env, argv[1]);
    if (!dst) return NULL;
    call_err e = {0, 0, NULL};
    b->in_progress_cb = sp.fn != NULL;
    srd_status st = capture(srd_backup(b->p, dst, sp.fn ? sync_progress_cb : NULL, &sp), &e);
    b->in_progress_cb = 0;
    free(dst);
    if (b->closed && b->pending == 0) close_box_now(b); /* close() from the callback */
    if (sp.threw) { /* the callback's exception is pending: it propagates */
        free(e.message);
        return NULL;
    }
    return st == SRD_OK ? NULL : throw_err(env, &e);
}

/* ------------------------------------------------------------ mixed batches */

typedef struct {
    srd_op *ops;
    char **owned; /* string copies made by get_bytes, 2 per item */
    uint32_t count;
} op_list;

static void op_list_free(op_list *l) {
    if (l->owned)
        for (size_t i = 0; i < 2 * (size_t)l->count; i++) free(l->owned[i]);
    free(l->owned);
    free(l->ops);
    l->owned = NULL;
    l->ops = NULL;
}

static int is_bytes(napi_env env, napi_value v) {
    napi_valuetype t;
    bool is = false;
    napi_typeof(env, v, &t);
    if (t == napi_string) return 1;
    if (napi_is_typedarray(env, v, &is) == napi_ok && is) return 1;
    if (napi_is_dataview(env, v, &is) == napi_ok && is) return 1;
    return napi_is_arraybuffer(env, v, &is) == napi_ok && is;
}

static napi_value throw_item(napi_env env, uint32_t i, const char *what) {
    char msg[160];
    snprintf(msg, sizeof msg, "invalid argument: batch item %u: %s", i, what);
    return throw_invalid(env, msg);
}

/* The ops of apply(store, kinds[], keys[], values[]): borrowed views, kinds
 * passed as given (the library rejects an unknown kind, naming the item).
 * An undefined or null value is an empty one. 0 after throwing. */
static int get_ops(napi_env env, napi_value kinds, napi_value keys, napi_value values,
                   op_list *l) {
    uint32_t n, nk, nv;
    l->ops = NULL;
    l->owned = NULL;
    l->count = 0;
    if (napi_get_array_length(env, kinds, &n) != napi_ok ||
        napi_get_array_length(env, keys, &nk) != napi_ok ||
        napi_get_array_length(env, values, &nv) != napi_ok || n != nk || n != nv) {
        throw_invalid(env, "invalid argument: kinds, keys and values must be arrays of one length");
        return 0;
    }
    l->ops = calloc(n ? n : 1, sizeof *l->ops);
    l->owned = calloc(2 * (size_t)n + 1, sizeof *l->owned);
    l->count = n;
    if (!l->ops || !l->owned) {
        op_list_free(l);
        throw_invalid(env, "out of memory");
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        napi_value kind, k, v;
        napi_valuetype vt;
        napi_get_element(env, kinds, i, &kind);
        napi_get_element(env, keys, i, &k);
        napi_get_element(env, values, i, &v);
        if (napi_get_value_uint32(env, kind, &l->ops[i].kind) != napi_ok) {
            throw_item(env, i, "op must be 'put' or 'delete'");
            goto fail;
        }
        if (!is_bytes(env, k)) {
            throw_item(env, i, "the key is not a Buffer, typed array or string");
            goto fail;
        }
        if (!get_bytes(env, k, &l->ops[i].key, &l->ops[i].key_len, &l->owned[2 * i])) goto fail;
        napi_typeof(env, v, &vt);
        if (vt == napi_undefined || vt == napi_null) continue; /* NULL, 0 */
        if (!is_bytes(env, v)) {
            throw_item(env, i, "the value is not a Buffer, typed array or string");
            goto fail;
        }
        if (!get_bytes(env, v, &l->ops[i].value, &l->ops[i].value_len, &l->owned[2 * i + 1]))
            goto fail;
    }
    return 1;
fail:
    op_list_free(l);
    return 0;
}

/* Copies the ops' bytes into one buffer (for async calls, which must not see
 * later changes of the caller's buffers) and points the ops into it. */
static uint8_t *pack_ops(op_list *l) {
    size_t total = 0;
    for (uint32_t i = 0; i < l->count; i++) total += l->ops[i].key_len + l->ops[i].value_len;
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf) return NULL;
    size_t off = 0;
    for (uint32_t i = 0; i < l->count; i++) {
        srd_op *o = &l->ops[i];
        if (o->key_len) memcpy(buf + off, o->key, o->key_len);
        o->key = o->key_len ? buf + off : NULL;
        off += o->key_len;
        if (o->value_len) memcpy(buf + off, o->value, o->value_len);
        o->value = o->value_len ? buf + off : NULL;
        off += o->value_len;
    }
    for (size_t i = 0; i < 2 * (size_t)l->count; i++) {
        free(l->owned[i]);
        l->owned[i] = NULL;
    }
    return buf;
}

/* apply(store, kinds[], keys[], values[]) -> deletes applied (Number) */
static napi_value js_apply(napi_env env, napi_callback_info info) {
    ARGS(4);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    op_list l;
    if (!get_ops(env, argv[1], argv[2], argv[3], &l)) return NULL;
    call_err e = {0, 0, NULL};
    uint64_t deleted = 0;
    srd_status st = capture(srd_apply_batch(b->p, l.ops, l.count, &deleted), &e);
    op_list_free(&l);
    if (st != SRD_OK) return throw_err(env, &e);
    napi_value r;
    napi_create_double(env, (double)deleted, &r);
    return r;
}

/* ----------------------------------------------------------- async calls */

enum op {
    OP_OPEN, OP_PUT, OP_GET, OP_GET_ENTRY, OP_DELETE, OP_COMPACT,
    OP_PUT_IF_ABSENT, OP_PUT_IF_VERSION, OP_DELETE_IF_VERSION, OP_VERSION, OP_GET_VERSIONED,
    OP_BACKUP, OP_APPLY,
};

typedef struct {
    enum op op;
    napi_deferred deferred;
    napi_async_work work;
    napi_ref store_ref; /* keeps the store's external alive */
    store_box *box;
    char *path;
    uint32_t flags;
    uint8_t *key, *value;
    size_t key_len, value_len;
    uint64_t version;   /* in: expected version; out: OP_VERSION, OP_GET_VERSIONED */
    uint64_t deleted;   /* out: OP_APPLY */
    op_list ops;        /* OP_APPLY, pointing into opbuf */
    uint8_t *opbuf;
    napi_threadsafe_function tsfn; /* OP_BACKUP with a progress function */
    napi_ref cb_error;  /* an exception the progress function threw */
    int cb_threw;       /* set on the JS thread; read there only */
    srd_status status;
    call_err err;
    srd_store *opened;
    srd_entry *entry;
} job;

typedef struct {
    uint64_t done, total;
} progress_item;

/* On a thread-pool thread, inside srd_backup: queue the numbers for the JS
 * thread (the queue is unbounded, so this never blocks). */
static void async_progress_cb(void *user_data, uint64_t done, uint64_t total) {
    job *j = user_data;
    progress_item *it = malloc(sizeof *it);
    if (!it) return;
    it->done = done;
    it->total = total;
    if (napi_call_threadsafe_function(j->tsfn, it, napi_tsfn_nonblocking) != napi_ok) free(it);
}

/* On the JS thread: call the progress function with one item. An exception
 * it throws is kept to reject the promise with, and ends the calls. */
static void progress_call_js(napi_env env, napi_value fn, void *context, void *data) {
    job *j = context;
    progress_item *it = data;
    if (env && fn && !j->cb_threw) {
        napi_value args[2], undef, exc;
        napi_create_double(env, (double)it->done, &args[0]);
        napi_create_double(env, (double)it->total, &args[1]);
        napi_get_undefined(env, &undef);
        if (napi_call_function(env, undef, fn, 2, args, NULL) != napi_ok) {
            j->cb_threw = 1;
            if (napi_get_and_clear_last_exception(env, &exc) == napi_ok)
                napi_create_reference(env, exc, 1, &j->cb_error);
        }
    }
    free(it);
}

/* On a thread-pool thread: the call and the copy of its detail. */
static void job_execute(napi_env env, void *data) {
    (void)env;
    job *j = data;
    call_err *e = &j->err;
    switch (j->op) {
    case OP_OPEN: j->status = capture(srd_open(j->path, j->flags, &j->opened), e); break;
    case OP_PUT:
        j->status = capture(srd_write(j->box->p, j->key, j->key_len, j->value, j->value_len), e);
        break;
    case OP_GET:
    case OP_GET_ENTRY:
        j->status = capture(srd_read_entry(j->box->p, j->key, j->key_len, &j->entry), e);
        break;
    case OP_DELETE: j->status = capture(srd_delete(j->box->p, j->key, j->key_len), e); break;
    case OP_COMPACT: j->status = capture(srd_compact(j->box->p), e); break;
    case OP_PUT_IF_ABSENT:
        j->status = capture(
            srd_write_if_absent(j->box->p, j->key, j->key_len, j->value, j->value_len), e);
        break;
    case OP_PUT_IF_VERSION:
        j->status = capture(srd_write_if_version(j->box->p, j->key, j->key_len, j->version,
                                                 j->value, j->value_len),
                            e);
        break;
    case OP_DELETE_IF_VERSION:
        j->status =
            capture(srd_delete_if_version(j->box->p, j->key, j->key_len, j->version), e);
        break;
    case OP_VERSION:
        j->status = capture(srd_version_of(j->box->p, j->key, j->key_len, &j->version), e);
        break;
    case OP_GET_VERSIONED:
        j->status = read_versioned(j->box->p, j->key, j->key_len, &j->entry, &j->version, e);
        break;
    case OP_BACKUP:
        j->status = capture(
            srd_backup(j->box->p, j->path, j->tsfn ? async_progress_cb : NULL, j), e);
        break;
    case OP_APPLY:
        j->status =
            capture(srd_apply_batch(j->box->p, j->ops.ops, j->ops.count, &j->deleted), e);
        break;
    }
}

static void job_free(job *j) {
    op_list_free(&j->ops);
    free(j->opbuf);
    free(j->err.message);
    free(j->path);
    free(j->key);
    free(j->value);
    free(j);
}

/* On the JS thread: settle the promise, release the store, free the job. */
static void job_settle(napi_env env, job *j, napi_status ns) {
    napi_value result = NULL;
    int ok = ns == napi_ok && j->status == SRD_OK;
    if (ns != napi_ok && j->status == SRD_OK) set_local_err(&j->err, SRD_PANIC, "async work cancelled");
    if (ok) {
        switch (j->op) {
        case OP_OPEN: {
            store_box *b = calloc(1, sizeof *b);
            if (!b) {
                srd_close(j->opened);
                set_local_err(&j->err, SRD_IO, "out of memory");
                ok = 0;
                break;
            }
            b->p = j->opened;
            napi_create_external(env, b, store_finalize, NULL, &result);
            break;
        }
        case OP_GET: result = entry_copy(env, j->entry); break;
        case OP_GET_ENTRY: result = entry_buffer(env, j->entry); break;
        case OP_GET_VERSIONED: result = versioned_value(env, j->entry, j->version); break;
        case OP_VERSION: result = version_value(env, j->version); break;
        case OP_APPLY: napi_create_double(env, (double)j->deleted, &result); break;
        default: napi_get_undefined(env, &result); break;
        }
    } else if (j->entry) {
        srd_entry_free(j->entry);
    }
    napi_value cb_error = NULL;
    if (j->cb_error) {
        napi_get_reference_value(env, j->cb_error, &cb_error);
        napi_delete_reference(env, j->cb_error);
    }
    if (cb_error) /* the progress function threw: as in the sync backup */
        napi_reject_deferred(env, j->deferred, cb_error);
    else if (ok)
        napi_resolve_deferred(env, j->deferred, result);
    else
        napi_reject_deferred(env, j->deferred, make_error(env, &j->err));
    if (j->box) {
        j->box->pending--;
        if (j->box->closed && j->box->pending == 0) close_box_now(j->box);
        napi_delete_reference(env, j->store_ref);
    }
    napi_delete_async_work(env, j->work);
    job_free(j);
}

/* The progress function's threadsafe function is gone: its queue was
 * drained first, so every progress call came before the settlement. */
static void progress_finalize(napi_env env, void *data, void *hint) {
    (void)hint;
    job *j = data;
    if (!j->deferred) { /* never queued (job_queue failed) */
        job_free(j);
        return;
    }
    job_settle(env, j, napi_ok);
}

/* On the JS thread, once the call has run. */
static void job_complete(napi_env env, napi_status ns, void *data) {
    job *j = data;
    if (j->tsfn) {
        /* Settle in progress_finalize, after the queued progress calls. */
        if (ns != napi_ok && j->status == SRD_OK) {
            set_local_err(&j->err, SRD_PANIC, "async work cancelled");
            j->status = SRD_PANIC;
        }
        napi_release_threadsafe_function(j->tsfn, napi_tsfn_release);
        return;
    }
    job_settle(env, j, ns);
}

/* Queues `j` and returns its promise; frees it after throwing on failure. */
static napi_value job_queue(napi_env env, job *j, napi_value store) {
    napi_value promise, name;
    if (napi_create_promise(env, &j->deferred, &promise) != napi_ok) {
        if (j->tsfn) /* progress_finalize frees the job */
            napi_release_threadsafe_function(j->tsfn, napi_tsfn_abort);
        else
            job_free(j);
        return NULL;
    }
    napi_create_string_utf8(env, "simd_r_drive", NAPI_AUTO_LENGTH, &name);
    napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work);
    if (j->box) {
        napi_create_reference(env, store, 1, &j->store_ref);
        j->box->pending++;
    }
    napi_queue_async_work(env, j->work);
    return promise;
}

static napi_value js_open_async(napi_env env, napi_callback_info info) {
    ARGS(2);
    job *j = calloc(1, sizeof *j);
    if (!j) return throw_invalid(env, "out of memory");
    size_t n = 0;
    j->op = OP_OPEN;
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &n) != napi_ok ||
        napi_get_value_uint32(env, argv[1], &j->flags) != napi_ok) {
        job_free(j);
        return throw_invalid(env, "invalid argument: openAsync(path: string, flags: number)");
    }
    j->path = malloc(n + 1);
    if (!j->path) {
        job_free(j);
        return throw_invalid(env, "out of memory");
    }
    napi_get_value_string_utf8(env, argv[0], j->path, n + 1, &n);
    return job_queue(env, j, NULL);
}

/* (store[, key[, version][, value]]) as the op takes them. */
static napi_value js_key_async(napi_env env, napi_callback_info info, enum op op) {
    int has_version = op == OP_PUT_IF_VERSION || op == OP_DELETE_IF_VERSION;
    int has_value = op == OP_PUT || op == OP_PUT_IF_ABSENT || op == OP_PUT_IF_VERSION;
    size_t want = op == OP_COMPACT ? 1 : 2 + (size_t)has_version + (size_t)has_value;
    size_t argc = want;
    napi_value argv[MAX_ARGS];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want)
        return throw_invalid(env, "invalid argument: too few arguments");
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    job *j = calloc(1, sizeof *j);
    if (!j) return throw_invalid(env, "out of memory");
    j->op = op;
    j->box = b;
    if ((want >= 2 && !copy_bytes(env, argv[1], &j->key, &j->key_len)) ||
        (has_version && !get_version(env, argv[2], &j->version)) ||
        (has_value && !copy_bytes(env, argv[want - 1], &j->value, &j->value_len))) {
        job_free(j);
        return NULL;
    }
    return job_queue(env, j, argv[0]);
}

static napi_value js_put_if_absent_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_PUT_IF_ABSENT);
}
static napi_value js_put_if_version_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_PUT_IF_VERSION);
}
static napi_value js_delete_if_version_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_DELETE_IF_VERSION);
}
static napi_value js_version_of_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_VERSION);
}
static napi_value js_get_with_version_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_GET_VERSIONED);
}

/* backupAsync(store, dstPath, progress?): progress runs on the JS thread
 * through a threadsafe function, and every call of it comes before the
 * promise settles. */
static napi_value js_backup_async(napi_env env, napi_callback_info info) {
    ARGS(3);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    napi_value fn;
    if (!get_progress(env, argv[2], &fn)) return NULL;
    job *j = calloc(1, sizeof *j);
    if (!j) return throw_invalid(env, "out of memory");
    j->op = OP_BACKUP;
    j->box = b;
    if (!(j->path = get_path(env, argv[1]))) {
        job_free(j);
        return NULL;
    }
    if (fn) {
        napi_value name;
        napi_create_string_utf8(env, "simd_r_drive backup progress", NAPI_AUTO_LENGTH, &name);
        if (napi_create_threadsafe_function(env, fn, NULL, name, 0, 1, j, progress_finalize, j,
                                            progress_call_js, &j->tsfn) != napi_ok) {
            job_free(j);
            return throw_invalid(env, "could not create the progress function's queue");
        }
    }
    return job_queue(env, j, argv[0]);
}

/* applyAsync(store, kinds[], keys[], values[]) -> Promise<deletes applied> */
static napi_value js_apply_async(napi_env env, napi_callback_info info) {
    ARGS(4);
    store_box *b = get_box(env, argv[0]);
    if (!b) return NULL;
    job *j = calloc(1, sizeof *j);
    if (!j) return throw_invalid(env, "out of memory");
    j->op = OP_APPLY;
    j->box = b;
    if (!get_ops(env, argv[1], argv[2], argv[3], &j->ops)) {
        job_free(j);
        return NULL;
    }
    if (!(j->opbuf = pack_ops(&j->ops))) {
        job_free(j);
        return throw_invalid(env, "out of memory");
    }
    return job_queue(env, j, argv[0]);
}

static napi_value js_put_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_PUT);
}
static napi_value js_get_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_GET);
}
static napi_value js_get_entry_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_GET_ENTRY);
}
static napi_value js_delete_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_DELETE);
}
static napi_value js_compact_async(napi_env env, napi_callback_info info) {
    return js_key_async(env, info, OP_COMPACT);
}

/* For the test that shows why the detail must be read in the same call:
 * the failing open alone; the detail stays in the thread-local. */
static napi_value js_open_status_only(napi_env env, napi_callback_info info) {
    ARGS(2);
    char path[4096];
    size_t n;
    uint32_t flags;
    if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &n) != napi_ok ||
        napi_get_value_uint32(env, argv[1], &flags) != napi_ok)
        return throw_invalid(env, "invalid argument");
    srd_store *s = NULL;
    srd_status st = srd_open(path, flags, &s);
    if (st == SRD_OK) srd_close(s);
    napi_value r;
    napi_create_int32(env, st, &r);
    return r;
}

static napi_value js_last_error_message(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value r;
    napi_create_string_utf8(env, srd_last_error_message(), NAPI_AUTO_LENGTH, &r);
    return r;
}

/* For tests: the address of an ArrayBuffer's bytes, as a bigint (to show
 * that getEntry does not copy and that values are 64-byte aligned). */
static napi_value js_data_address(napi_env env, napi_callback_info info) {
    ARGS(1);
    void *base = NULL;
    size_t n = 0;
    if (napi_get_arraybuffer_info(env, argv[0], &base, &n) != napi_ok)
        return throw_invalid(env, "invalid argument: not an ArrayBuffer");
    napi_value r;
    napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)base, &r);
    return r;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value r;
    napi_create_string_utf8(env, srd_version_string(), NAPI_AUTO_LENGTH, &r);
    return r;
}

/* ------------------------------------------------------------------ init */

static napi_value init(napi_env env, napi_value exports) {
    static const struct {
        const char *name;
        napi_callback fn;
    } fns[] = {
        {"open", js_open},
        {"close", js_close},
        {"put", js_put},
        {"get", js_get},
        {"getEntry", js_get_entry},
        {"delete", js_delete},
        {"exists", js_exists},
        {"putBatch", js_put_batch},
        {"compact", js_compact},
        {"sync", js_sync},
        {"count", js_count},
        {"hashKey", js_hash_key},
        {"iterNew", js_iter_new},
        {"iterNext", js_iter_next},
        {"iterFree", js_iter_free},
        {"openAsync", js_open_async},
        {"putAsync", js_put_async},
        {"getAsync", js_get_async},
        {"getEntryAsync", js_get_entry_async},
        {"deleteAsync", js_delete_async},
        {"compactAsync", js_compact_async},
        {"putIfAbsent", js_put_if_absent},
        {"putIfVersion", js_put_if_version},
        {"deleteIfVersion", js_delete_if_version},
        {"versionOf", js_version_of},
        {"getWithVersion", js_get_with_version},
        {"fileSize", js_file_size},
        {"snapshot", js_snapshot},
        {"backup", js_backup},
        {"apply", js_apply},
        {"putIfAbsentAsync", js_put_if_absent_async},
        {"putIfVersionAsync", js_put_if_version_async},
        {"deleteIfVersionAsync", js_delete_if_version_async},
        {"versionOfAsync", js_version_of_async},
        {"getWithVersionAsync", js_get_with_version_async},
        {"backupAsync", js_backup_async},
        {"applyAsync", js_apply_async},
        {"openStatusOnly", js_open_status_only},
        {"lastErrorMessage", js_last_error_message},
        {"version", js_version},
        {"dataAddress", js_data_address},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        napi_value f;
        napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
        napi_set_named_property(env, exports, fns[i].name, f);
    }
    static const struct {
        const char *name;
        uint32_t value;
    } flags[] = {
        {"READ_ONLY", SRD_OPEN_READ_ONLY},     {"NO_CREATE", SRD_OPEN_NO_CREATE},
        {"SYNC", SRD_OPEN_SYNC},               {"NO_VERIFY", SRD_OPEN_NO_VERIFY},
        {"NO_INDEX_FILE", SRD_OPEN_NO_INDEX_FILE}, {"PREALLOCATE", SRD_OPEN_PREALLOCATE},
        {"RESERVE", SRD_OPEN_RESERVE},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        napi_value v;
        napi_create_uint32(env, flags[i].value, &v);
        napi_set_named_property(env, exports, flags[i].name, v);
    }
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

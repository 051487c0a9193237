'use strict';
// Node binding of simd-r-drive (the C library libsimd_r_drive), through the
// Node-API addon in src/addon.c (built by build.sh into build/).
//
// Errors: every failed call, sync or async, throws or rejects with an Error
// whose .code ('SRD_NOT_FOUND', ...), .status (the srd_status number),
// .errno (the OS error number, 0 if none) and message are those of that very
// call: the addon reads the C library's per-thread detail in the same native
// function as the call (rule E5 of include/simd_r_drive.h), also for async
// calls, which run on libuv's thread pool.

const os = require('node:os');
const path = require('node:path');

const addon = require(process.env.SRD_NODE_ADDON ||
  path.join(__dirname, 'build', 'simd_r_drive.node'));

const errnoNames = new Map(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));

// Adds .osCode ('ENOENT', ...) to an Error from the addon.
function decorate(err) {
  if (err && typeof err.status === 'number') {
    err.osCode = err.errno ? errnoNames.get(err.errno) || '' : '';
  }
  return err;
}

function call(fn, ...args) {
  try {
    return fn(...args);
  } catch (err) {
    throw decorate(err);
  }
}

function callAsync(fn, ...args) {
  let p;
  try {
    p = fn(...args);
  } catch (err) {
    return Promise.reject(decorate(err));
  }
  return p.catch((err) => { throw decorate(err); });
}

const flags = {
  READ_ONLY: addon.READ_ONLY,
  NO_CREATE: addon.NO_CREATE,
  SYNC: addon.SYNC,
  NO_VERIFY: addon.NO_VERIFY,
  NO_INDEX_FILE: addon.NO_INDEX_FILE,
  PREALLOCATE: addon.PREALLOCATE,
  RESERVE: addon.RESERVE,
};

const opKinds = { put: 1, delete: 2 }; // SRD_OP_WRITE, SRD_OP_DELETE

// An SRD_INVALID_ARGUMENT error made here, shaped as the addon's.
function invalidArgument(message) {
  const err = new Error(`invalid argument: ${message}`);
  Object.assign(err, { code: 'SRD_INVALID_ARGUMENT', status: 2, errno: 0, osCode: '' });
  return err;
}

// apply()'s [{op, key, value}] as the addon's parallel arrays (kinds, keys,
// values); the addon checks the keys and values, the library the rest.
function splitOps(ops) {
  const kinds = [];
  const keys = [];
  const values = [];
  let i = 0;
  for (const o of ops) {
    const kind = o && Object.hasOwn(opKinds, o.op) ? opKinds[o.op] : 0;
    if (!kind) {
      throw invalidArgument(`batch item ${i}: op must be 'put' or 'delete', ` +
        `not ${o ? JSON.stringify(o.op) : o}`);
    }
    kinds.push(kind);
    keys.push(o.key);
    values.push(kind === opKinds.put ? o.value : undefined);
    i++;
  }
  return [kinds, keys, values];
}

function flagBits(options) {
  if (typeof options === 'number') return options;
  const o = options || {};
  return (o.readOnly ? flags.READ_ONLY : 0) |
    (o.noCreate ? flags.NO_CREATE : 0) |
    (o.sync ? flags.SYNC : 0) |
    (o.noVerify ? flags.NO_VERIFY : 0) |
    (o.noIndexFile ? flags.NO_INDEX_FILE : 0) |
    (o.preallocate ? flags.PREALLOCATE : 0);
}

class Store {
  constructor(handle) {
    this._h = handle;
  }

  /** Opens (or creates) a store; options: {readOnly, noCreate, sync, ...}. */
  static open(file, options) {
    return new Store(call(addon.open, String(file), flagBits(options)));
  }

  /** As open(), on the thread pool. */
  static async openAsync(file, options) {
    return new Store(await callAsync(addon.openAsync, String(file), flagBits(options)));
  }

  /** Closes the store once the async calls in flight have finished.
   * Entries (getEntry) stay valid. Closing twice is a no-op. */
  close() { addon.close(this._h); }

  put(key, value) { call(addon.put, this._h, key, value); }
  /** A copy of the value, as a Buffer; throws code SRD_NOT_FOUND if absent. */
  get(key) { return call(addon.get, this._h, key); }
  /** The value without copying: an ArrayBuffer over the store's memory map
   * (read-only memory: writing to it crashes the process). It stays valid
   * until it is garbage-collected, even after compact() and close(). */
  getEntry(key) { return call(addon.getEntry, this._h, key); }
  delete(key) { call(addon.delete, this._h, key); }
  exists(key) { return call(addon.exists, this._h, key); }
  /** Writes all [key, value] pairs as one append: all or nothing. */
  putBatch(pairs) {
    const keys = [];
    const values = [];
    for (const [k, v] of pairs) {
      keys.push(k);
      values.push(v);
    }
    call(addon.putBatch, this._h, keys, values);
  }
  compact() { call(addon.compact, this._h); }
  sync() { call(addon.sync, this._h); }
  count() { return call(addon.count, this._h); }

  putAsync(key, value) { return callAsync(addon.putAsync, this._h, key, value); }
  getAsync(key) { return callAsync(addon.getAsync, this._h, key); }
  getEntryAsync(key) { return callAsync(addon.getEntryAsync, this._h, key); }
  deleteAsync(key) { return callAsync(addon.deleteAsync, this._h, key); }
  compactAsync() { return callAsync(addon.compactAsync, this._h); }
  /** The size of the store's content in bytes. */
  fileSize() { return call(addon.fileSize, this._h); }

  // Conditional writes. A version is the file offset of a value (a Number);
  // every write or delete of the key, and every compact(), changes it. A
  // condition found false throws (or rejects) with code 'SRD_CONFLICT', and
  // nothing is written.

  /** Writes only if the key has no live value. */
  putIfAbsent(key, value) { call(addon.putIfAbsent, this._h, key, value); }
  /** Writes only if the key's live value is still `version` (compare-and-swap). */
  putIfVersion(key, version, value) { call(addon.putIfVersion, this._h, key, version, value); }
  /** Deletes only if the key's live value is still `version`. */
  deleteIfVersion(key, version) { call(addon.deleteIfVersion, this._h, key, version); }
  /** The version of the key's live value; throws SRD_NOT_FOUND if none. */
  version(key) { return call(addon.versionOf, this._h, key); }
  /** {value: Buffer (a copy), version}: the value and the version of that very
   * value, in one read: the input of a compare-and-swap. */
  getWithVersion(key) { return call(addon.getWithVersion, this._h, key); }
  putIfAbsentAsync(key, value) { return callAsync(addon.putIfAbsentAsync, this._h, key, value); }
  putIfVersionAsync(key, version, value) {
    return callAsync(addon.putIfVersionAsync, this._h, key, version, value);
  }
  deleteIfVersionAsync(key, version) {
    return callAsync(addon.deleteIfVersionAsync, this._h, key, version);
  }
  versionAsync(key) { return callAsync(addon.versionOfAsync, this._h, key); }
  getWithVersionAsync(key) { return callAsync(addon.getWithVersionAsync, this._h, key); }

  /** A read-only Store frozen at this moment: it sees nothing written,
   * deleted or compacted later, survives close() of this store, and its
   * writes throw 'SRD_READ_ONLY'. Close it when done. */
  snapshot() { return new Store(call(addon.snapshot, this._h)); }

  /** Writes a consistent, synced copy of the store to `dst`; a later backup
   * to the same file appends only what is new. `progress(done, total)` (bytes)
   * is optional; it runs inside the call and may not use this store. Blocks
   * the JS thread: prefer backupAsync. */
  backup(dst, progress) { call(addon.backup, this._h, String(dst), progress); }
  /** As backup(), on the thread pool, while other calls go on. `progress`
   * runs on the JS thread, every call of it before the promise settles. */
  backupAsync(dst, progress) {
    return callAsync(addon.backupAsync, this._h, String(dst), progress);
  }

  /** Applies [{op: 'put', key, value} | {op: 'delete', key}] in order, as one
   * append: all or nothing, even across a crash. A later item wins; a delete
   * of a key with no value at that point is skipped. Returns the number of
   * deletes applied. One invalid item rejects all ('SRD_INVALID_ARGUMENT',
   * the message naming "batch item N", from 0). */
  apply(ops) { return call(addon.apply, this._h, ...splitOps(ops)); }
  applyAsync(ops) {
    let args;
    try {
      args = splitOps(ops);
    } catch (err) {
      return Promise.reject(err);
    }
    return callAsync(addon.applyAsync, this._h, ...args);
  }

  /** Iterates [keyHash (bigint), value (Buffer copy)] over a snapshot of the
   * live entries. */
  * entries() {
    const it = call(addon.iterNew, this._h);
    try {
      for (;;) {
        const e = call(addon.iterNext, it);
        if (e === null) return;
        yield e;
      }
    } finally {
      addon.iterFree(it);
    }
  }
}

/** The 64-bit hash a key is stored under, as a bigint. */
function hashKey(key) { return call(addon.hashKey, key); }

module.exports = {
  Store,
  open: Store.open,
  openAsync: Store.openAsync,
  hashKey,
  flags,
  version: addon.version,
  // For tests: the unsafe pattern rule E5 forbids (call, then read the
  // per-thread message in a second call).
  _addon: addon,
};

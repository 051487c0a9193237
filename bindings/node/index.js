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
};

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

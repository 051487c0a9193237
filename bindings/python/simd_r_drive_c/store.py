"""The :class:`Store`, :class:`Entry` and key-hashing functions.

See the package docstring (:mod:`simd_r_drive_c`) for an overview.
"""

from __future__ import annotations

import ctypes
import operator
import os
import threading
from collections.abc import Mapping
from typing import Any, Generator, Iterable, Iterator, Optional, Tuple, Union

from . import _lib
from ._lib import (
    SRD_CONFLICT,
    SRD_CORRUPT,
    SRD_NOT_FOUND,
    SRD_OK,
    SRD_OPEN_NO_CREATE,
    SRD_OPEN_NO_INDEX_FILE,
    SRD_OPEN_NO_VERIFY,
    SRD_OPEN_PREALLOCATE,
    SRD_OPEN_READ_ONLY,
    SRD_OPEN_SYNC,
    SrdKey,
    SrdKV,
)
from .errors import error_for_status

__all__ = ["Store", "Entry", "hash_key", "namespace_key", "Key", "Value", "PathArg"]

#: What may be used as a key: bytes-like objects, or ``str`` (encoded UTF-8).
Key = Union[bytes, bytearray, memoryview, str]
#: What may be stored as a value: bytes-like objects (not ``str``).
Value = Union[bytes, bytearray, memoryview]
#: A file-system path.
PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF


def _int_arg(name: str, v: Any, most: int) -> int:
    """``v`` as an int in ``0..most`` (any integer type but bool), else
    TypeError or ValueError naming ``name``."""
    if isinstance(v, bool):
        raise TypeError("%s must be an int, not bool" % name)
    try:
        i = operator.index(v)
    except TypeError:
        raise TypeError("%s must be an int, not %s" % (name, type(v).__name__)) from None
    if not 0 <= i <= most:
        raise ValueError("%s must be in 0..%d" % (name, most))
    return i


def _api() -> Any:
    return _lib.api


# ---------------------------------------------------------------------------
# Buffers passed to the library
# ---------------------------------------------------------------------------


def _buffer(obj: object, what: str, allow_str: bool) -> Tuple[object, int]:
    """Converts a key or value to (something c_void_p accepts, length).

    ``bytes`` are passed without a copy (pointer to their internal buffer).
    Writable C-contiguous buffers (``bytearray``, most memoryviews) are passed
    without a copy through ``from_buffer``; read-only or non-contiguous
    memoryviews are copied once. The returned object must be kept alive for
    the duration of the call (the caller holds it in a local).
    """
    if type(obj) is bytes:
        return obj, len(obj)
    if isinstance(obj, str):
        if not allow_str:
            raise TypeError("%s must be a bytes-like object, not str" % what)
        b = obj.encode("utf-8")
        return b, len(b)
    if isinstance(obj, bytes):  # subclass of bytes
        b = bytes(obj)
        return b, len(b)
    try:
        mv = memoryview(obj)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            "%s must be bytes, bytearray, memoryview%s, not %s"
            % (what, " or str" if allow_str else "", type(obj).__name__)
        ) from None
    n = mv.nbytes
    if n == 0:
        return b"", 0  # a valid pointer with length 0: the library decides
    if not mv.readonly and mv.c_contiguous:
        return (ctypes.c_char * n).from_buffer(mv), n
    b = mv.tobytes()
    return b, n


def _copy(ptr: Optional[int], n: int) -> bytes:
    """Copies ``n`` bytes at ``ptr`` (returned by the library on success)."""
    if not ptr:
        if n:
            raise RuntimeError("the library returned a NULL value pointer")
        return b""
    return ctypes.string_at(ptr, n)


def _address(obj: object) -> Optional[int]:
    """Address of the first byte of an object returned by :func:`_buffer`."""
    return ctypes.cast(obj, ctypes.c_void_p).value  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Module functions
# ---------------------------------------------------------------------------


def hash_key(key: Key) -> int:
    """Returns the 64-bit XXH3 hash (seed 0) the store uses for ``key``
    (``srd_hash_key``); the same hash the iteration yields. Unlike the store
    methods, an empty key is allowed here. ``str`` keys are encoded UTF-8.

    Raises:
        TypeError: ``key`` is not bytes-like or str.
        NotImplementedError: the loaded library has no ``srd_hash_key``.
    """
    fn = _api().require("srd_hash_key")
    k, n = _buffer(key, "key", True)
    out = ctypes.c_uint64()
    st = fn(k, n, ctypes.byref(out))
    if st != SRD_OK:
        raise error_for_status(st)
    return int(out.value)


def namespace_key(prefix: Key, key: Key) -> bytes:
    """Returns the 16-byte namespaced key ``le64(xxh3(prefix)) ++
    le64(xxh3(key))`` (``srd_namespace_key``, the Rust crate's
    NamespaceHasher); use the result as a key.

    Raises:
        TypeError: an argument is not bytes-like or str.
        NotImplementedError: the loaded library has no ``srd_namespace_key``.
    """
    fn = _api().require("srd_namespace_key")
    p, pn = _buffer(prefix, "prefix", True)
    k, kn = _buffer(key, "key", True)
    out = ctypes.create_string_buffer(_lib.SRD_NAMESPACE_KEY_LEN)
    st = fn(p, pn, k, kn, out)
    if st != SRD_OK:
        raise error_for_status(st)
    return out.raw


def library_version() -> str:
    """The loaded library's version string (``srd_version_string``)."""
    return _api().srd_version_string().decode("ascii", "replace")


def library_version_number() -> int:
    """The loaded library's version as ``MAJOR*1000000 + MINOR*1000 + PATCH``
    (``srd_version_number``)."""
    return int(_api().srd_version_number())


# ---------------------------------------------------------------------------
# Entry: a pinned value
# ---------------------------------------------------------------------------


class _Pin:
    """Owns one ``srd_entry *``; frees it when garbage collected.

    The ctypes array that maps the value's bytes holds a reference to its pin,
    and every memoryview exported from the array holds the array, so the
    entry is freed only when the :class:`Entry` is closed (or collected) AND
    the last memoryview over its bytes is gone.
    """

    __slots__ = ("handle",)

    def __init__(self, handle: int) -> None:
        self.handle: Optional[int] = handle

    def __del__(self) -> None:
        h = self.handle
        if h:
            self.handle = None
            try:
                _lib.api.srd_entry_free(h)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass


class Entry:
    """A value pinned in memory, from :meth:`Store.read_entry`.

    The bytes are the library's own memory map of the file: no copy is made.
    They start on a 64-byte boundary and stay valid and unchanged while the
    entry is open, even after the key is overwritten or deleted, the store is
    compacted or the store is closed.

    Access the bytes with :attr:`data` (a read-only ``memoryview``, format
    ``"B"``; ``entry.data.cast("f")`` reads floats in place), with
    ``memoryview(entry)`` on Python 3.12+ (PEP 688 buffer protocol), or copy
    them with ``bytes(entry)``.

    Lifetime: call :meth:`close` (or use ``with``) when done. After ``close``
    no memoryview obtained from the entry may be used any more; that is the
    contract. As a safety net, the bytes stay mapped until the last such
    memoryview is released or garbage collected (each view keeps the pinned
    entry alive), so a forgotten view cannot make the process crash; it only
    delays the release. Writing through a view is impossible (read-only).
    """

    __slots__ = ("_pin", "_arr", "_len", "_addr")

    def __init__(self, _handle: int) -> None:
        """Internal: wraps a ``srd_entry *`` that this object now owns. Use
        :meth:`Store.read_entry` to get entries."""
        pin = _Pin(_handle)
        n = ctypes.c_size_t()
        ptr = _lib.api.srd_entry_data(_handle, ctypes.byref(n))
        if not ptr:  # pragma: no cover - cannot happen for a live entry
            raise RuntimeError("srd_entry_data returned NULL for a live entry")
        arr = (ctypes.c_uint8 * n.value).from_address(ptr)
        arr._srd_pin = pin  # type: ignore[attr-defined]  # the array (and every view of it) keeps the pin
        self._pin: Optional[_Pin] = pin
        self._arr: Optional[ctypes.Array] = arr  # type: ignore[type-arg]
        self._len = int(n.value)
        self._addr = int(ptr)

    # -- state -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._arr is None

    def close(self) -> None:
        """Releases the entry. Idempotent.

        The pinned ``srd_entry`` is freed at once if no memoryview of it is
        alive, otherwise when the last one goes (see the class docstring). Do
        not use views of the entry after this call.
        """
        self._arr = None
        self._pin = None

    def __enter__(self) -> "Entry":
        """Returns the entry; raises ValueError if it is closed."""
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        """Closes the entry."""
        self.close()

    def _check_open(self) -> "ctypes.Array[ctypes.c_uint8]":
        arr = self._arr
        if arr is None:
            raise ValueError("operation on a closed Entry")
        return arr

    def _handle(self) -> int:
        pin = self._pin
        if pin is None or not pin.handle:
            raise ValueError("operation on a closed Entry")
        return pin.handle

    # -- bytes -------------------------------------------------------------

    @property
    def data(self) -> memoryview:
        """A new read-only, zero-copy ``memoryview`` (format ``"B"``) over the
        value's bytes. Its ``.obj`` is the ctypes array mapping the bytes, so
        ``ctypes.addressof(entry.data.obj)`` is the 64-byte aligned address.

        Raises:
            ValueError: the entry is closed.
        """
        return memoryview(self._check_open()).cast("B").toreadonly()

    def __buffer__(self, flags: int) -> memoryview:
        """PEP 688 (Python 3.12+): ``memoryview(entry)`` is :attr:`data`.
        Requesting a writable buffer raises BufferError."""
        return self.data

    def tobytes(self) -> bytes:
        """A copy of the value."""
        arr = self._check_open()
        return ctypes.string_at(ctypes.addressof(arr), self._len)

    def __bytes__(self) -> bytes:
        """A copy of the value (``bytes(entry)``)."""
        return self.tobytes()

    def __len__(self) -> int:
        """The value's length in bytes (also after close)."""
        return self._len

    @property
    def address(self) -> int:
        """Address of the first byte of the value (a multiple of 64).

        Raises:
            ValueError: the entry is closed.
        """
        self._check_open()
        return self._addr

    # -- metadata (library API additions) ----------------------------------

    def _u64(self, name: str) -> int:
        fn = _lib.api.require(name)
        out = ctypes.c_uint64()
        st = fn(self._handle(), ctypes.byref(out))
        if st != SRD_OK:
            raise error_for_status(st)
        return int(out.value)

    @property
    def key_hash(self) -> int:
        """The XXH3-64 hash of the entry's key (``srd_entry_key_hash``)."""
        return self._u64("srd_entry_key_hash")

    @property
    def offset(self) -> int:
        """File offset where the value's bytes start, a multiple of 64
        (``srd_entry_offset``)."""
        return self._u64("srd_entry_offset")

    @property
    def checksum(self) -> int:
        """The stored CRC-32 of the value (``srd_entry_checksum``)."""
        fn = _lib.api.require("srd_entry_checksum")
        out = ctypes.c_uint32()
        st = fn(self._handle(), ctypes.byref(out))
        if st != SRD_OK:
            raise error_for_status(st)
        return int(out.value)

    def verify(self) -> None:
        """Recomputes the value's CRC-32 (``srd_entry_verify``).

        Raises:
            CorruptError: the bytes do not match the stored checksum.
        """
        fn = _lib.api.require("srd_entry_verify")
        st = fn(self._handle())
        if st != SRD_OK:
            raise error_for_status(st)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return "<simd_r_drive_c.Entry %d bytes at 0x%x, %s>" % (self._len, self._addr, state)


# ---------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------


class Store:
    """An open simd-r-drive store file.

    ``Store(path)`` opens the file read-write, creating it if missing, and
    takes its writer lock (a second read-write open of the same file fails
    with :class:`LockedError`). Use it as a context manager or call
    :meth:`close`; an unreachable store is closed by the garbage collector as
    a safety net.

    Args:
        path: the store file (``str``, ``bytes`` or path-like).
        read_only: open without the writer lock; writes, deletes and
            compaction raise :class:`ReadOnlyError`. Implies ``create=False``.
        create: create the file if it does not exist (otherwise
            :class:`NotFoundError`).
        sync: make every write, batch and delete durable (``fdatasync``)
            before it returns.
        verify: check each value's CRC-32 on its first read (the default);
            ``False`` skips it (``SRD_OPEN_NO_VERIFY``).
        index_file: use, and save at close, the index file ``<path>.idx``
            that makes opening a large store fast (the default); ``False``
            neither reads nor writes it (``SRD_OPEN_NO_INDEX_FILE``).
        preallocate: grow the file ahead of the store in chunks and copy
            small writes into a mapping of that space instead of making a
            system call per write (``SRD_OPEN_PREALLOCATE``: several times
            faster small writes). The file is longer than the store (zeros
            after it), also after :meth:`close`; a read-write open without
            the flag cuts the zeros off. Only on ext4, XFS and tmpfs.

    Raises:
        NotFoundError: the file is missing and may not be created.
        LockedError: another read-write handle holds the file.
        CorruptError: the file is not a valid store.
        InvalidArgumentError: the path is a directory.
        StoreIOError: an OS error (permissions, ...).
        ValueError: the path contains a NUL byte.

    Thread-safety: a Store may be used from several threads at once; reads run
    in parallel (ctypes releases the GIL). :meth:`close` and :meth:`compact`
    wait for calls in progress on other threads and hold off new ones while
    they run, so values read by :meth:`read` are never invalidated under a
    reader. Entries and iterators stay valid after the store is closed or
    compacted.
    """

    def __init__(
        self,
        path: PathArg,
        read_only: bool = False,
        create: bool = True,
        sync: bool = False,
        *,
        verify: bool = True,
        index_file: bool = True,
        preallocate: bool = False,
    ) -> None:
        """Opens the store; see the class docstring for the arguments."""
        self._handle: Optional[int] = None
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0
        fspath = os.fspath(path)
        raw = os.fsencode(fspath)
        if b"\x00" in raw:
            raise ValueError("path contains a NUL byte")
        flags = 0
        if read_only:
            flags |= SRD_OPEN_READ_ONLY
        if not create:
            flags |= SRD_OPEN_NO_CREATE
        if sync:
            flags |= SRD_OPEN_SYNC
        if not verify:
            flags |= SRD_OPEN_NO_VERIFY
        if not index_file:
            flags |= SRD_OPEN_NO_INDEX_FILE
        if preallocate:
            flags |= SRD_OPEN_PREALLOCATE
        self.path: Union[str, bytes] = fspath
        """The path the store was opened with."""
        self.read_only: bool = bool(read_only)
        """True if the store was opened read-only."""
        out = ctypes.c_void_p()
        st = _lib.api.srd_open(raw, flags, ctypes.byref(out))
        if st != SRD_OK:
            raise error_for_status(st)
        self._handle = out.value

    @classmethod
    def _adopt(cls, handle: int, path: Union[str, bytes]) -> "Store":
        """A read-only Store around a handle the library just returned."""
        self = cls.__new__(cls)
        self._handle = handle
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0
        self.path = path
        self.read_only = True
        return self

    def backup(self, dst: PathArg, progress=None) -> None:
        """Writes a consistent, synced copy of the store as it is now to
        ``dst`` while writers go on (``srd_backup``). When ``dst`` holds an
        earlier backup of this store, only what is new is appended; else the
        copy replaces it atomically. ``progress(done, total)`` (bytes) is
        called as it goes, on this thread; an exception it raises is
        re-raised when the backup ends.

        Raises:
            InvalidArgumentError: ``dst`` is this store's file, not a regular
                file, or a file that is not a store (left alone).
            LockedError: ``dst`` is a store open for writing.
            StoreIOError: the copy failed; an earlier backup stays usable.
        """
        raw = os.fsencode(os.fspath(dst))
        if b"\x00" in raw:
            raise ValueError("path contains a NUL byte")
        failure = []

        def call(_user, done, total):
            if failure or progress is None:
                return
            try:
                progress(done, total)
            except BaseException as e:  # re-raised below
                failure.append(e)

        cb = _lib.PROGRESS_FN(call)
        fn = _lib.api.require("srd_backup")
        self._call(fn, raw, cb, None)
        if failure:
            raise failure[0]

    def snapshot(self) -> "Store":
        """A read-only Store frozen at this moment (``srd_snapshot``): every
        read through it sees what this store held now and nothing written,
        deleted or compacted later, for as long as it is open; writes
        through it raise :class:`ReadOnlyError`. It does not depend on this
        store staying open; close it (or use ``with``) when done. Nothing is
        copied.
        """
        out = ctypes.c_void_p()
        fn = _lib.api.require("srd_snapshot")
        self._call(fn, ctypes.byref(out))
        return Store._adopt(out.value, self.path)

    # -- handle guard --------------------------------------------------------

    def _acquire(self) -> int:
        """Marks one call in progress and returns the handle (shared mode)."""
        with self._cond:
            # Writer preference: compact/close are not starved by readers.
            while self._exclusive or self._exclusive_waiting:
                self._cond.wait()
            h = self._handle
            if h is None:
                raise ValueError("operation on a closed Store")
            self._shared += 1
            return h

    def _release(self) -> None:
        with self._cond:
            self._shared -= 1
            if self._shared == 0:
                self._cond.notify_all()

    def _acquire_exclusive(self) -> int:
        with self._cond:
            self._exclusive_waiting += 1
            try:
                while self._exclusive or self._shared:
                    self._cond.wait()
            finally:
                self._exclusive_waiting -= 1
            h = self._handle
            if h is None:
                self._cond.notify_all()
                raise ValueError("operation on a closed Store")
            self._exclusive = True
            return h

    def _release_exclusive(self) -> None:
        with self._cond:
            self._exclusive = False
            self._cond.notify_all()

    def _call(self, fn, *args, ok=(SRD_OK,), exclusive: bool = False) -> int:
        """Calls ``fn(handle, *args)`` while holding the handle (shared, or
        exclusive for calls that invalidate borrowed values), raises the
        error of any status not in ``ok`` and returns the status."""
        h = self._acquire_exclusive() if exclusive else self._acquire()
        try:
            st = fn(h, *args)
        finally:
            if exclusive:
                self._release_exclusive()
            else:
                self._release()
        if st not in ok:
            raise error_for_status(st)
        return st

    # -- open / close ----------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._handle is None

    def close(self) -> None:
        """Closes the store and releases its writer lock. Idempotent.

        Waits for calls in progress on other threads. Entries from
        :meth:`read_entry` and running iterations keep their bytes; every
        other method raises ValueError afterwards. Data already written is not
        lost (call :meth:`sync` first if it must survive power loss).
        """
        cond = getattr(self, "_cond", None)
        if cond is None:  # __init__ failed early
            return
        with cond:
            self._exclusive_waiting += 1
            try:
                while self._exclusive or self._shared:
                    cond.wait()
            finally:
                self._exclusive_waiting -= 1
            h = self._handle
            self._handle = None
            cond.notify_all()
        if h:
            _lib.api.srd_close(h)

    def __enter__(self) -> "Store":
        """Returns the store; raises ValueError if it is closed."""
        if self._handle is None:
            raise ValueError("operation on a closed Store")
        return self

    def __exit__(self, *exc: object) -> None:
        """Closes the store (see :meth:`close`)."""
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_handle", None):
                self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("read-only" if self.read_only else "read-write")
        return "<simd_r_drive_c.Store %r %s>" % (self.path, state)

    # -- writes ------------------------------------------------------------------

    def write(self, key: Key, value: Value) -> None:
        """Stores ``value`` under ``key``, replacing any older value; visible
        to every reader when the call returns.

        Raises:
            InvalidArgumentError: empty key, empty value, or a value that is
                exactly ``b"\\x00"`` (the deletion marker).
            ReadOnlyError: the store is read-only.
            StoreIOError: the write failed (nothing was written).
            TypeError: key/value of an unsupported type (values must be
                bytes-like, not str).
            ValueError: the store is closed.
        """
        k, kn = _buffer(key, "key", True)
        v, vn = _buffer(value, "value", False)
        self._call(_lib.api.srd_write, k, kn, v, vn)

    def write_if_absent(self, key: Key, value: Value) -> bool:
        """Stores ``value`` under ``key`` only if the key has no live value
        (``srd_write_if_absent``). Returns True if stored, False (nothing
        written) if the key has a value. The check and the write happen
        under the store's writer lock.

        Raises: as :meth:`write`.
        """
        k, kn = _buffer(key, "key", True)
        v, vn = _buffer(value, "value", False)
        fn = _lib.api.require("srd_write_if_absent")
        st = self._call(fn, k, kn, v, vn, ok=(SRD_OK, SRD_CONFLICT))
        return st == SRD_OK

    def write_if_version(self, key: Key, expected: int, value: Value) -> bool:
        """Stores ``value`` under ``key`` only if the key's live version is
        ``expected`` (compare-and-swap, ``srd_write_if_version``). A version
        comes from :meth:`version_of` or :attr:`Entry.offset`; every write or
        delete of the key makes a new one, and compaction moves them all.
        Returns True if stored, False (nothing written) otherwise.

        Raises: as :meth:`write`.
        """
        k, kn = _buffer(key, "key", True)
        v, vn = _buffer(value, "value", False)
        fn = _lib.api.require("srd_write_if_version")
        st = self._call(fn, k, kn, int(expected), v, vn, ok=(SRD_OK, SRD_CONFLICT))
        return st == SRD_OK

    def delete_if_version(self, key: Key, expected: int) -> bool:
        """Deletes ``key`` only if its live version is ``expected``
        (``srd_delete_if_version``). Returns True if deleted, False (nothing
        written) otherwise.

        Raises: as :meth:`delete`.
        """
        k, kn = _buffer(key, "key", True)
        fn = _lib.api.require("srd_delete_if_version")
        st = self._call(fn, k, kn, int(expected), ok=(SRD_OK, SRD_CONFLICT))
        return st == SRD_OK

    def version_of(self, key: Key) -> Optional[int]:
        """The version of the key's live value (``srd_version_of``), or None
        if it has none."""
        k, kn = _buffer(key, "key", True)
        out = ctypes.c_uint64()
        fn = _lib.api.require("srd_version_of")
        st = self._call(fn, k, kn, ctypes.byref(out), ok=(SRD_OK, SRD_NOT_FOUND))
        return out.value if st == SRD_OK else None

    def write_batch(self, items: Union[Mapping, Iterable[Tuple[Key, Value]]]) -> None:
        """Stores many values with one append; they become visible at once,
        and a later item wins over an earlier one with the same key.

        Args:
            items: a mapping ``{key: value}`` or an iterable of
                ``(key, value)`` pairs. An empty batch does nothing.

        Raises:
            InvalidArgumentError: one item is invalid (as for :meth:`write`);
                then nothing at all is written.
            ReadOnlyError, StoreIOError, TypeError, ValueError: as for
                :meth:`write`.
        """
        pairs = items.items() if isinstance(items, Mapping) else items
        keep = []
        kvs = []
        for pair in pairs:
            try:
                key, value = pair
            except (TypeError, ValueError):
                raise TypeError("write_batch items must be (key, value) pairs") from None
            k, kn = _buffer(key, "key", True)
            v, vn = _buffer(value, "value", False)
            keep.append(k)
            keep.append(v)
            kvs.append((_address(k), kn, _address(v), vn))
        count = len(kvs)
        arr = (SrdKV * count)(*kvs) if count else None  # type: ignore[misc]
        self._call(_lib.api.srd_write_batch, arr, count)
        del keep

    def apply(self, ops: Iterable[Tuple]) -> int:
        """Applies writes and deletes, in order, with one append
        (``srd_apply_batch``): readers see them at once, and after a crash or
        power cut all of them are in the store or none. Each op is
        ``("write", key, value)`` or ``("delete", key)``; a later op wins
        over an earlier one with the same key, and a delete of a key that has
        no value at that point is skipped. Returns how many deletes were
        applied.

        Raises:
            InvalidArgumentError: an op is invalid (nothing is written then).
            ReadOnlyError, StoreIOError, TypeError, ValueError: as for
                :meth:`write`.
        """
        keep = []
        items = []
        for op in ops:
            kind = op[0] if isinstance(op, tuple) and op else None
            if kind == "write" and len(op) == 3:
                k, kn = _buffer(op[1], "key", True)
                v, vn = _buffer(op[2], "value", False)
                keep.extend((k, v))
                items.append((_lib.SRD_OP_WRITE, _address(k), kn, _address(v), vn))
            elif kind == "delete" and len(op) == 2:
                k, kn = _buffer(op[1], "key", True)
                keep.append(k)
                items.append((_lib.SRD_OP_DELETE, _address(k), kn, None, 0))
            else:
                raise TypeError("apply ops must be ('write', key, value) or ('delete', key)")
        count = len(items)
        arr = (_lib.SrdOp * count)(*items) if count else None  # type: ignore[misc]
        deleted = ctypes.c_uint64()
        fn = _lib.api.require("srd_apply_batch")
        self._call(fn, arr, count, ctypes.byref(deleted))
        del keep
        return deleted.value

    def delete(self, key: Key) -> bool:
        """Deletes ``key`` (appends a tombstone). Returns True if it had a
        value, False if it did not (nothing is written then).

        Raises:
            InvalidArgumentError: empty key.
            ReadOnlyError, StoreIOError, TypeError, ValueError: as for
                :meth:`write`.
        """
        k, kn = _buffer(key, "key", True)
        st = self._call(_lib.api.srd_delete, k, kn, ok=(SRD_OK, SRD_NOT_FOUND))
        return st == SRD_OK

    def delete_batch(self, keys: Iterable[Key]) -> None:
        """Deletes every key of ``keys`` that has a value, with one append;
        absent or repeated keys are skipped.

        Raises:
            InvalidArgumentError: one key is empty (nothing is deleted).
            ReadOnlyError, StoreIOError, TypeError, ValueError: as for
                :meth:`write`.
        """
        keep = []
        ks = []
        for key in keys:
            k, kn = _buffer(key, "key", True)
            keep.append(k)
            ks.append((_address(k), kn))
        count = len(ks)
        arr = (SrdKey * count)(*ks) if count else None  # type: ignore[misc]
        self._call(_lib.api.srd_delete_batch, arr, count)
        del keep

    # -- reads -------------------------------------------------------------------

    def read(self, key: Key) -> Optional[bytes]:
        """Returns a copy of the value of ``key``, or None if it has none.

        Raises:
            InvalidArgumentError: empty key.
            CorruptError: the value failed its checksum.
            TypeError, ValueError: bad key type / closed store.
        """
        k, kn = _buffer(key, "key", True)
        ptr = ctypes.c_void_p()
        n = ctypes.c_size_t()
        h = self._acquire()
        try:
            st = _lib.api.srd_read(h, k, kn, ctypes.byref(ptr), ctypes.byref(n))
            if st == SRD_OK:
                # Borrowed pointer: copy before releasing the guard (compact
                # and close, which invalidate it, wait for the guard).
                return _copy(ptr.value, n.value)
            err = error_for_status(st) if st != SRD_NOT_FOUND else None
        finally:
            self._release()
        if err is not None:
            raise err
        return None

    def read_entry(self, key: Key) -> Optional[Entry]:
        """Returns the value of ``key`` as a pinned, zero-copy :class:`Entry`,
        or None if it has none. Close the entry when done.

        Raises:
            InvalidArgumentError, CorruptError, TypeError, ValueError: as for
                :meth:`read`.
        """
        k, kn = _buffer(key, "key", True)
        out = ctypes.c_void_p()
        st = self._call(
            _lib.api.srd_read_entry, k, kn, ctypes.byref(out), ok=(SRD_OK, SRD_NOT_FOUND)
        )
        if st != SRD_OK:
            return None
        return Entry(out.value)  # type: ignore[arg-type]

    def exists(self, key: Key) -> bool:
        """True if ``key`` has a live value (its checksum is not checked).

        Raises:
            InvalidArgumentError: empty key.
            TypeError, ValueError: bad key type / closed store.
        """
        k, kn = _buffer(key, "key", True)
        st = self._call(_lib.api.srd_exists, k, kn, ok=(SRD_OK, SRD_NOT_FOUND))
        return st == SRD_OK

    def __contains__(self, key: Key) -> bool:
        """``key in store``: same as :meth:`exists`."""
        return self.exists(key)

    def _u64(self, fn: Any) -> int:
        out = ctypes.c_uint64()
        self._call(fn, ctypes.byref(out))
        return int(out.value)

    def __len__(self) -> int:
        """Number of live keys (``srd_count``)."""
        return self._u64(_lib.api.srd_count)

    @property
    def file_size(self) -> int:
        """Size of the store's valid content in bytes (the file's length, or
        for a read-only store with a torn tail, the recovered part; with
        ``preallocate=True`` the file is longer)."""
        return self._u64(_lib.api.srd_file_size)

    def entry_count(self) -> int:
        """All entries in the file: every version and tombstone
        (``srd_entry_count``)."""
        return self._u64(_lib.api.require("srd_entry_count"))

    def reclaimable_bytes(self) -> int:
        """Bytes :meth:`compact` would free, padding included
        (``srd_reclaimable_bytes``)."""
        return self._u64(_lib.api.require("srd_reclaimable_bytes"))

    # -- maintenance -------------------------------------------------------------

    def compact(self) -> None:
        """Rewrites the file with only the live values and atomically swaps
        it in. Waits for calls in progress on other threads and holds off new
        ones meanwhile. Open entries and iterations are not affected.

        Raises:
            ReadOnlyError: the store is read-only.
            CorruptError: a live value fails its checksum (nothing changed).
            StoreIOError: writing the new file failed.
            ValueError: the store is closed.
        """
        self._call(_lib.api.srd_compact, exclusive=True)

    def refresh(self) -> None:
        """For a read-only store: takes in what a writer (usually another
        process) appended since the store was opened or last refreshed, or
        the new file if a writer compacted it (``srd_refresh``). A no-op on a
        read-write store. Like :meth:`compact`, waits for calls in progress
        and holds off new ones; entries and iterations are not affected.

        Raises:
            NotFoundError: the file is gone.
            CorruptError: a replacing file is not a valid store.
            StoreIOError: an OS error.
            ValueError: the store is closed.
            NotImplementedError: the library has no ``srd_refresh``.
        """
        fn = _lib.api.require("srd_refresh")
        self._call(fn, exclusive=True)

    def reserve(self, additional_keys: int) -> None:
        """Makes room in the in-memory index for ``additional_keys`` more keys
        (``srd_reserve``): a capacity hint before a bulk load, so that the
        index is rebuilt once instead of each time it doubles. Nothing is
        written; writes beyond the reservation still work.

        Raises:
            TypeError: ``additional_keys`` is not an int (or is a bool).
            ValueError: ``additional_keys`` is negative or above 2**64 - 1,
                the index for that many keys cannot be allocated, or the
                store is closed.
            ReadOnlyError: the store is read-only.
            NotImplementedError: the library has no ``srd_reserve``.
        """
        n = _int_arg("additional_keys", additional_keys, _U64_MAX)
        fn = _lib.api.require("srd_reserve")
        self._call(fn, n)

    def sync(self) -> None:
        """Makes everything written so far durable (``fdatasync``); a no-op on
        a read-only store.

        Raises:
            StoreIOError: the sync failed.
            ValueError: the store is closed.
        """
        self._call(_lib.api.srd_sync)

    # -- iteration ---------------------------------------------------------------

    def iter(
        self,
        part: Optional[int] = None,
        parts: Optional[int] = None,
        *,
        skip_corrupt: bool = False,
    ) -> Iterator[Tuple[int, bytes]]:
        """Iterates over the live entries as ``(key_hash, value)`` pairs
        (values are copies), in file order, oldest first.

        The iteration is a snapshot taken when this method is called: later
        writes and deletes neither appear nor disturb it. The library iterator
        is freed when the iteration ends, when the generator is closed or
        garbage collected (for example after ``break``).

        Args:
            part, parts: give both to iterate over part ``part`` of ``parts``
                (``parts >= 1``, ``0 <= part < parts``): the parts split the
                live entries by key hash, each in exactly one part.
            skip_corrupt: skip values that fail their checksum instead of
                raising :class:`CorruptError` (which ends the iteration).

        Raises:
            InvalidArgumentError: ``parts == 0`` or ``part >= parts``.
            ValueError: only one of ``part``/``parts`` given, one outside
                0..2**32-1, or the store is (or gets) closed.
            CorruptError: a damaged value (unless ``skip_corrupt``).
            NotImplementedError: the library has no ``srd_iter_*``.
        """
        if (part is None) != (parts is None):
            raise ValueError("give both part and parts, or neither")
        if part is not None:
            part, parts = _int_arg("part", part, _U32_MAX), _int_arg("parts", parts, _U32_MAX)
        gen = self._iter_gen(part, parts, skip_corrupt)
        next(gen)  # runs srd_iter_new now: the snapshot is taken here
        return gen

    def items(self) -> Iterator[Tuple[int, bytes]]:
        """All live entries as ``(key_hash, value)`` pairs; see :meth:`iter`."""
        return self.iter()

    def _iter_gen(
        self, part: Optional[int], parts: Optional[int], skip_corrupt: bool
    ) -> Generator[Any, None, None]:
        api = _lib.api
        it = ctypes.c_void_p()
        h = self._acquire()
        try:
            if part is None:
                st = api.require("srd_iter_new")(h, ctypes.byref(it))
            else:
                st = api.require("srd_iter_new_part")(h, part, parts, ctypes.byref(it))
            err = error_for_status(st) if st != SRD_OK else None
        finally:
            self._release()
        if err is not None:
            raise err
        try:
            yield None  # primed by iter()
            key_hash = ctypes.c_uint64()
            ptr = ctypes.c_void_p()
            n = ctypes.c_size_t()
            iter_next = api.require("srd_iter_next")
            while True:
                h = self._acquire()  # ValueError once the store is closed
                try:
                    st = iter_next(it, ctypes.byref(key_hash), ctypes.byref(ptr), ctypes.byref(n))
                    if st == SRD_OK:
                        item = (int(key_hash.value), _copy(ptr.value, n.value))
                    elif st != SRD_NOT_FOUND and not (st == SRD_CORRUPT and skip_corrupt):
                        err = error_for_status(st)
                finally:
                    self._release()
                if st == SRD_OK:
                    yield item
                elif st == SRD_NOT_FOUND:
                    return
                elif err is not None:
                    raise err
        finally:
            api.require("srd_iter_free")(it)

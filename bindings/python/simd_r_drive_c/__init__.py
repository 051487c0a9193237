"""Python bindings (ctypes) for simd-r-drive, an append-only, single-file
key/value store with zero-copy, 64-byte aligned reads.

Example::

    import simd_r_drive_c as srd

    with srd.Store("my.srd") as store:
        store.write(b"answer", b"42")
        store.write_batch({"a": b"1", "b": b"2"})
        assert store.read("answer") == b"42"          # a copy
        with store.read_entry("answer") as entry:     # zero-copy, pinned
            view = entry.data                         # read-only memoryview
            assert bytes(view) == b"42"
            del view                                  # do not use after close
        for key_hash, value in store.items():         # snapshot iteration
            print(hex(key_hash), value)
        store.delete("a")
        store.compact()

The shared library is found through ``SRD_LIBRARY`` (path to the ``.so``),
the package directory, ``target/release`` of the source tree, then the
system's search path; see :mod:`simd_r_drive_c._lib`. Importing fails with
ImportError if it is missing or of an incompatible version.

Keys are bytes-like objects or ``str`` (encoded UTF-8); only their 64-bit
XXH3 hash is stored (:func:`hash_key`). Values are non-empty bytes-like
objects other than ``b"\\x00"``. Failures raise :class:`SrdError` subclasses;
a missing key is ``None``/``False``, not an error.
"""

from __future__ import annotations

from ._lib import (
    HEADER_VERSION,
    SRD_BUSY,
    SRD_BROKEN,
    SRD_CONFLICT,
    SRD_CORRUPT,
    SRD_INVALID_ARGUMENT,
    SRD_IO,
    SRD_LOCKED,
    SRD_NOT_FOUND,
    SRD_OK,
    SRD_PANIC,
    SRD_READ_ONLY,
    library_path,
)
from .errors import (
    BusyError,
    BrokenError,
    ConflictError,
    CorruptError,
    InternalError,
    InvalidArgumentError,
    LockedError,
    NotFoundError,
    ReadOnlyError,
    SrdError,
    StoreIOError,
    error_for_status,
    status_str,
)
from .store import (
    Entry,
    Key,
    PathArg,
    Store,
    Value,
    hash_key,
    library_version,
    library_version_number,
    namespace_key,
)

#: Version of these bindings.
__version__: str = "0.1.2"

__all__ = [
    "Store",
    "Entry",
    "hash_key",
    "namespace_key",
    "library_version",
    "library_version_number",
    "library_path",
    "HEADER_VERSION",
    "status_str",
    "error_for_status",
    "SrdError",
    "NotFoundError",
    "InvalidArgumentError",
    "StoreIOError",
    "CorruptError",
    "LockedError",
    "ReadOnlyError",
    "InternalError",
    "BusyError",
    "BrokenError",
    "ConflictError",
    "Key",
    "Value",
    "PathArg",
    "SRD_OK",
    "SRD_NOT_FOUND",
    "SRD_INVALID_ARGUMENT",
    "SRD_IO",
    "SRD_CORRUPT",
    "SRD_LOCKED",
    "SRD_READ_ONLY",
    "SRD_PANIC",
    "SRD_BUSY",
    "SRD_BROKEN",
    "SRD_CONFLICT",
]

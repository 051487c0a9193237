"""Loading of the simd-r-drive shared library and its ctypes declarations.

Internal module: use the public names re-exported by :mod:`simd_r_drive_c`.

The library is looked for, in this order:

1. the path in the environment variable ``SRD_LIBRARY`` (if it is set and not
   empty, it is the only candidate: a wrong path is an error, never silently
   replaced by another library);
2. the package directory (``libsimd_r_drive.so`` or the SONAME
   ``libsimd_r_drive.so.0.1`` copied next to ``__init__.py``);
3. ``target/release`` of the source tree the package sits in
   (``bindings/python/simd_r_drive_c/../../../target/release``);
4. ``ctypes.util.find_library("simd_r_drive")``, then the SONAME
   ``libsimd_r_drive.so.0.1`` and ``libsimd_r_drive.so`` through the dynamic
   linker's search path.

Every function used is declared with exact ``argtypes``/``restype`` (no
implicit ``int`` conversions): handles and byte pointers are ``c_void_p``,
lengths ``c_size_t``, statuses ``c_int32``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

__all__ = [
    "api",
    "library_path",
    "SrdKV",
    "SrdKey",
    "HEADER_VERSION",
    "check_version",
]

#: Version of ``include/simd_r_drive.h`` these bindings were written for:
#: ``(major, minor)``. The loaded library must have the same major version and
#: at least this minor version (the C API only grows within a major version).
HEADER_VERSION: Tuple[int, int] = (0, 1)

#: SONAME of the shared library for HEADER_VERSION (``.so.MAJOR`` from 1.0 on).
SONAME = "libsimd_r_drive.so.0.1"

# Status codes (srd_status, int32_t).
SRD_OK = 0
SRD_NOT_FOUND = 1
SRD_INVALID_ARGUMENT = 2
SRD_IO = 3
SRD_CORRUPT = 4
SRD_LOCKED = 5
SRD_READ_ONLY = 6
SRD_PANIC = 7
SRD_BUSY = 8
SRD_BROKEN = 9
SRD_CONFLICT = 10

# Open flags.
SRD_OPEN_READ_ONLY = 1
SRD_OPEN_NO_CREATE = 2
SRD_OPEN_SYNC = 4
SRD_OPEN_NO_VERIFY = 8
SRD_OPEN_NO_INDEX_FILE = 16
SRD_OPEN_PREALLOCATE = 32
SRD_OPEN_RESERVE = 64

SRD_NAMESPACE_KEY_LEN = 16


class SrdKV(ctypes.Structure):
    """``struct srd_kv``: one item of ``srd_write_batch``."""

    _fields_ = [
        ("key", ctypes.c_void_p),
        ("key_len", ctypes.c_size_t),
        ("value", ctypes.c_void_p),
        ("value_len", ctypes.c_size_t),
    ]


class SrdKey(ctypes.Structure):
    """``struct srd_key``: one key of ``srd_delete_batch``."""

    _fields_ = [
        ("key", ctypes.c_void_p),
        ("key_len", ctypes.c_size_t),
    ]


class SrdOp(ctypes.Structure):
    """``struct srd_op``: one operation of ``srd_apply_batch``."""

    _fields_ = [
        ("kind", ctypes.c_uint32),
        ("key", ctypes.c_void_p),
        ("key_len", ctypes.c_size_t),
        ("value", ctypes.c_void_p),
        ("value_len", ctypes.c_size_t),
    ]


SRD_OP_WRITE = 1
SRD_OP_DELETE = 2

_status = ctypes.c_int32
#: srd_progress_fn: void (*)(void *user_data, uint64_t done, uint64_t total)
PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)
_handle = ctypes.c_void_p  # srd_store *, srd_entry *, srd_iter * (opaque)
_bytes = ctypes.c_void_p  # const uint8_t * (input buffers)
_size = ctypes.c_size_t
_out_handle = ctypes.POINTER(ctypes.c_void_p)
_out_ptr = ctypes.POINTER(ctypes.c_void_p)  # const uint8_t **
_out_size = ctypes.POINTER(ctypes.c_size_t)
_out_u64 = ctypes.POINTER(ctypes.c_uint64)
_out_u32 = ctypes.POINTER(ctypes.c_uint32)

# name: (restype, argtypes, required)
# Functions marked required=False come from the API additions (iteration,
# hashing, entry metadata); a library without them still loads, and the
# methods that need them raise NotImplementedError naming the symbol.
_SIGNATURES: Dict[str, Tuple[object, List[object], bool]] = {
    "srd_status_str": (ctypes.c_char_p, [ctypes.c_int32], True),
    "srd_last_error_message": (ctypes.c_char_p, [], True),
    "srd_open": (_status, [ctypes.c_char_p, ctypes.c_uint32, _out_handle], True),
    "srd_close": (None, [_handle], True),
    "srd_write": (_status, [_handle, _bytes, _size, _bytes, _size], True),
    "srd_write_batch": (_status, [_handle, ctypes.POINTER(SrdKV), _size], True),
    "srd_read": (_status, [_handle, _bytes, _size, _out_ptr, _out_size], True),
    "srd_read_entry": (_status, [_handle, _bytes, _size, _out_handle], True),
    "srd_exists": (_status, [_handle, _bytes, _size], True),
    "srd_delete": (_status, [_handle, _bytes, _size], True),
    "srd_delete_batch": (_status, [_handle, ctypes.POINTER(SrdKey), _size], True),
    "srd_compact": (_status, [_handle], True),
    "srd_sync": (_status, [_handle], True),
    "srd_count": (_status, [_handle, _out_u64], True),
    "srd_file_size": (_status, [_handle, _out_u64], True),
    "srd_entry_data": (ctypes.c_void_p, [_handle, _out_size], True),
    "srd_entry_free": (None, [_handle], True),
    "srd_version_number": (ctypes.c_uint32, [], True),
    "srd_version_string": (ctypes.c_char_p, [], True),
    # --- additions (api v2) ---
    "srd_hash_key": (_status, [_bytes, _size, _out_u64], False),
    "srd_namespace_key": (_status, [_bytes, _size, _bytes, _size, ctypes.c_void_p], False),
    "srd_iter_new": (_status, [_handle, _out_handle], False),
    "srd_iter_new_part": (_status, [_handle, ctypes.c_uint32, ctypes.c_uint32, _out_handle], False),
    "srd_iter_next": (_status, [_handle, _out_u64, _out_ptr, _out_size], False),
    "srd_iter_free": (None, [_handle], False),
    "srd_entry_key_hash": (_status, [_handle, _out_u64], False),
    "srd_entry_checksum": (_status, [_handle, _out_u32], False),
    "srd_entry_offset": (_status, [_handle, _out_u64], False),
    "srd_entry_verify": (_status, [_handle], False),
    "srd_entry_count": (_status, [_handle, _out_u64], False),
    "srd_reclaimable_bytes": (_status, [_handle, _out_u64], False),
    "srd_refresh": (_status, [_handle], False),
    # --- additions (0.1.1) ---
    "srd_reserve": (_status, [_handle, ctypes.c_uint64], False),
    # --- additions (0.1.2) ---
    "srd_write_if_absent": (_status, [_handle, _bytes, _size, _bytes, _size], False),
    "srd_write_if_version": (
        _status,
        [_handle, _bytes, _size, ctypes.c_uint64, _bytes, _size],
        False,
    ),
    "srd_delete_if_version": (_status, [_handle, _bytes, _size, ctypes.c_uint64], False),
    "srd_version_of": (_status, [_handle, _bytes, _size, _out_u64], False),
    "srd_snapshot": (_status, [_handle, _out_handle], False),
    "srd_apply_batch": (_status, [_handle, ctypes.POINTER(SrdOp), _size, _out_u64], False),
    "srd_backup": (_status, [_handle, ctypes.c_char_p, PROGRESS_FN, ctypes.c_void_p], False),
}


class _Api:
    """Namespace holding the declared ctypes functions of the loaded library.

    A function the library does not export is ``None`` (only possible for the
    optional ones). Attributes may be replaced (for example by tests that
    count calls); the bindings always look functions up here at call time.
    """

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        missing_required = []
        for name, (restype, argtypes, required) in _SIGNATURES.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                if required:
                    missing_required.append(name)
                setattr(self, name, None)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)
        if missing_required:
            raise ImportError(
                "simd_r_drive_c: the library %s does not export %s; it is not a "
                "simd-r-drive library of a compatible version"
                % (getattr(lib, "_name", lib), ", ".join(missing_required))
            )

    def require(self, name: str) -> Callable[..., Any]:
        """Returns the function ``name`` or raises NotImplementedError if the
        loaded library does not export it."""
        fn = getattr(self, name, None)
        if fn is None:
            raise NotImplementedError(
                "%s is not exported by the loaded library %s (version %s); "
                "a newer libsimd_r_drive is needed"
                % (name, library_path, _version_string_of(self))
            )
        return fn


def _version_string_of(a: Any) -> str:
    try:
        return a.srd_version_string().decode("ascii", "replace")
    except Exception:  # pragma: no cover - diagnostics only
        return "?"


def split_version(number: int) -> Tuple[int, int, int]:
    """Splits ``MAJOR * 1000000 + MINOR * 1000 + PATCH`` into its parts."""
    return number // 1_000_000, (number // 1000) % 1000, number % 1000


def check_version(number: int, wanted: Tuple[int, int] = HEADER_VERSION) -> None:
    """Raises ImportError unless a library of version ``number`` (as returned
    by ``srd_version_number()``) can be used by bindings written for the
    header version ``wanted`` = (major, minor): same major, minor at least
    ``wanted``'s."""
    major, minor, patch = split_version(number)
    if major != wanted[0] or minor < wanted[1]:
        raise ImportError(
            "simd_r_drive_c: the library at %s is version %d.%d.%d, but these "
            "bindings need %d.x with x >= %d (written for header %d.%d)"
            % (library_path, major, minor, patch, wanted[0], wanted[1], wanted[0], wanted[1])
        )


def _lib_file_names() -> List[str]:
    if sys.platform == "darwin":
        return ["libsimd_r_drive.dylib"]
    if sys.platform.startswith("win"):
        return ["simd_r_drive.dll"]
    return ["libsimd_r_drive.so", SONAME]


def _candidates() -> Tuple[List[str], bool]:
    """Returns (paths or names to try in order, whether they came from
    SRD_LIBRARY)."""
    env = os.environ.get("SRD_LIBRARY")
    if env:
        return [env], True
    here = Path(__file__).resolve().parent
    out: List[str] = []
    for name in _lib_file_names():
        out.append(str(here / name))
    repo_root = here.parent.parent.parent  # bindings/python/simd_r_drive_c -> repo
    for name in _lib_file_names():
        out.append(str(repo_root / "target" / "release" / name))
    found = ctypes.util.find_library("simd_r_drive")
    if found:
        out.append(found)
    out.append(SONAME)
    out.append("libsimd_r_drive.so")
    return out, False


def _load() -> Tuple[ctypes.CDLL, str]:
    candidates, from_env = _candidates()
    errors: List[str] = []
    for cand in candidates:
        is_path = os.sep in cand
        if is_path and not os.path.exists(cand):
            errors.append("%s: no such file" % cand)
            continue
        try:
            return ctypes.CDLL(cand), cand
        except OSError as e:
            errors.append("%s: %s" % (cand, e))
    if from_env:
        raise ImportError(
            "simd_r_drive_c: cannot load the library named by SRD_LIBRARY: %s"
            % "; ".join(errors)
        )
    raise ImportError(
        "simd_r_drive_c: libsimd_r_drive not found. Build it (cargo build "
        "--release) or set SRD_LIBRARY to the path of libsimd_r_drive.so. "
        "Tried: " + "; ".join(errors)
    )


_cdll, library_path = _load()
#: The declared functions of the loaded library (attributes set at load time).
api: Any = _Api(_cdll)
check_version(int(api.srd_version_number()))

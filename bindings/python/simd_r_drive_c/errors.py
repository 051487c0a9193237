"""Exceptions raised by the simd-r-drive bindings.

Every failing library call raises an instance of :class:`SrdError` (or of the
subclass for its status code) carrying the status code and the library's
thread-local error message, captured immediately after the failing call.
Reading or deleting a key that does not exist is not an error: those methods
return ``None`` / ``False``.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _lib

__all__ = [
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
    "error_for_status",
]


class SrdError(Exception):
    """A simd-r-drive call failed.

    Attributes:
        status: the ``srd_status`` code returned by the library (an ``int``).
        message: the text of ``srd_last_error_message()`` read right after the
            failing call on the same thread (may be empty).
    """

    status: int
    message: str

    def __init__(self, status: int, message: str = "") -> None:
        """Builds the error for ``status`` with the library's ``message``."""
        self.status = int(status)
        self.message = message
        super().__init__(status, message)

    @property
    def status_name(self) -> str:
        """The library's short description of :attr:`status`
        (``srd_status_str``)."""
        return status_str(self.status)

    def __str__(self) -> str:
        if self.message:
            return "%s [status %d]" % (self.message, self.status)
        return "%s [status %d]" % (self.status_name, self.status)


class NotFoundError(SrdError):
    """``SRD_NOT_FOUND``: a file to open does not exist and may not be
    created (missing keys are reported by return values, not by this)."""


class InvalidArgumentError(SrdError, ValueError):
    """``SRD_INVALID_ARGUMENT``: an empty key, an empty value, a value that is
    exactly ``b"\\x00"``, a directory as path, a bad partition...; nothing was
    changed. Also a :class:`ValueError`."""


class StoreIOError(SrdError):
    """``SRD_IO``: an operating-system call failed (disk full, permission
    denied, ...); the store is left consistent."""


class CorruptError(SrdError):
    """``SRD_CORRUPT``: the file is not a valid store, its chain is broken in
    the middle, or a value failed its checksum. The file is not modified."""


class LockedError(SrdError):
    """``SRD_LOCKED``: another read-write handle (in this process or another)
    holds the file's writer lock."""


class ReadOnlyError(SrdError):
    """``SRD_READ_ONLY``: a write, delete or compaction on a store opened
    read-only."""


class InternalError(SrdError):
    """``SRD_PANIC``: a bug inside the library was caught at the C boundary."""


class BusyError(SrdError):
    """``SRD_BUSY``: the calling thread holds an open write stream on this
    store, so the call would deadlock and fails instead."""


class BrokenError(SrdError):
    """``SRD_BROKEN``: this handle can no longer write. An earlier
    ``fdatasync`` failed (data written before may not be on disk), a failed
    append could not be rolled back, or the handle was inherited across
    ``os.fork()`` (only the process that opened a store may write through
    it). Reads still work; close the store and open it again."""


class ConflictError(SrdError):
    """``SRD_CONFLICT``: a conditional write found its condition false (the
    key had a value where none was expected, or its live version is not the
    one expected). Nothing was written."""


_BY_STATUS: Dict[int, Type[SrdError]] = {
    _lib.SRD_NOT_FOUND: NotFoundError,
    _lib.SRD_INVALID_ARGUMENT: InvalidArgumentError,
    _lib.SRD_IO: StoreIOError,
    _lib.SRD_CORRUPT: CorruptError,
    _lib.SRD_LOCKED: LockedError,
    _lib.SRD_READ_ONLY: ReadOnlyError,
    _lib.SRD_PANIC: InternalError,
    _lib.SRD_BUSY: BusyError,
    _lib.SRD_BROKEN: BrokenError,
    _lib.SRD_CONFLICT: ConflictError,
}


def status_str(status: int) -> str:
    """Returns the library's static description of a status code
    (``srd_status_str``); unknown codes give "unknown status code"."""
    raw: Optional[bytes] = _lib.api.srd_status_str(int(status))
    return raw.decode("utf-8", "replace") if raw else ""


def error_for_status(status: int, message: Optional[str] = None) -> SrdError:
    """Builds the exception for a failed call's ``status``.

    ``message`` defaults to ``srd_last_error_message()`` read now, so call this
    right after the failing call, on the same thread. Unknown codes give a
    plain :class:`SrdError`.
    """
    if message is None:
        raw: Optional[bytes] = _lib.api.srd_last_error_message()
        message = raw.decode("utf-8", "replace") if raw else ""
    cls = _BY_STATUS.get(int(status), SrdError)
    return cls(status, message)

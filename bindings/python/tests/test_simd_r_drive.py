"""Tests of the simd_r_drive Python bindings against the real library.

Stdlib unittest only; also runs under pytest. The library is taken from
SRD_LIBRARY, or found as the package does (target/release of this tree).
"""

from __future__ import annotations

import array
import ctypes
import gc
import os
import pathlib
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import zlib
from unittest import mock

HERE = pathlib.Path(__file__).resolve().parent
PKG_PARENT = HERE.parent  # bindings/python
REPO_ROOT = PKG_PARENT.parent.parent
#: True when these tests run from a copy outside the source tree against the package
#: installed from the wheel (scripts/test.sh, bindings/python/run_wheel_tests.sh).
INSTALLED = not (PKG_PARENT / "simd_r_drive_c").is_dir()
if not INSTALLED and str(PKG_PARENT) not in sys.path:
    sys.path.insert(0, str(PKG_PARENT))

import simd_r_drive_c as srd  # noqa: E402
from simd_r_drive_c import _lib  # noqa: E402

# XXH3-64 (seed 0) of the empty input: the published reference value.
XXH3_EMPTY = 0x2D06800538D394C2


class _Counter:
    """Wraps a library function to count its calls (patched into _lib.api)."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


class StoreTestCase(unittest.TestCase):
    """Gives each test a fresh directory and a store path in it."""

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="srd-py-")
        self.dir = self._tmp.name
        self.path = os.path.join(self.dir, "test.srd")
        self._stores = []

    def tearDown(self) -> None:
        for s in self._stores:
            s.close()
        gc.collect()
        self._tmp.cleanup()

    def open(self, path=None, **kw) -> srd.Store:
        s = srd.Store(self.path if path is None else path, **kw)
        self._stores.append(s)
        return s

    def assertSrdError(self, cls, status, cm) -> None:
        e = cm.exception
        self.assertIsInstance(e, cls)
        self.assertIsInstance(e, srd.SrdError)
        self.assertEqual(e.status, status)
        self.assertIsInstance(e.message, str)
        self.assertTrue(e.message, "srd_last_error_message() was empty")


# ---------------------------------------------------------------------------
# Library loading and version
# ---------------------------------------------------------------------------


class LibraryTest(unittest.TestCase):
    def _run_import(self, env_updates, cwd=None):
        env = dict(os.environ)
        env.pop("SRD_LIBRARY", None)
        env.update(env_updates)
        env["PYTHONPATH"] = str(PKG_PARENT)
        code = "import simd_r_drive_c as s; print(s.library_path); print(s.library_version())"
        return subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=cwd or tempfile.gettempdir(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_version_matches_number(self) -> None:
        n = srd.library_version_number()
        major, minor, patch = _lib.split_version(n)
        self.assertEqual(srd.library_version(), "%d.%d.%d" % (major, minor, patch))
        self.assertEqual((major,), (srd.HEADER_VERSION[0],))
        self.assertGreaterEqual(minor, srd.HEADER_VERSION[1])

    def test_check_version_rules(self) -> None:
        _lib.check_version(1000, (0, 1))  # 0.1.0
        _lib.check_version(1005, (0, 1))  # 0.1.5
        _lib.check_version(2000, (0, 1))  # 0.2.0: additions only
        with self.assertRaises(ImportError):
            _lib.check_version(0, (0, 1))  # 0.0.0: too old
        with self.assertRaises(ImportError) as cm:
            _lib.check_version(1_001_000, (0, 1))  # 1.1.0: other major
        self.assertIn("1.1.0", str(cm.exception))
        _lib.check_version(srd.library_version_number())

    def test_library_path_is_loaded(self) -> None:
        self.assertTrue(os.path.exists(srd.library_path) or "/" not in srd.library_path)

    def test_srd_library_env_bad_path(self) -> None:
        bad = os.path.join(tempfile.gettempdir(), "no-such-dir-srd", "libsimd_r_drive.so")
        r = self._run_import({"SRD_LIBRARY": bad})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("SRD_LIBRARY", r.stderr)
        self.assertIn(bad, r.stderr)

    def test_srd_library_env_not_a_library(self) -> None:
        with tempfile.NamedTemporaryFile(suffix=".so") as f:
            f.write(b"not an ELF file")
            f.flush()
            r = self._run_import({"SRD_LIBRARY": f.name})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn(f.name, r.stderr)

    def test_srd_library_env_good_path(self) -> None:
        lib = os.path.abspath(srd.library_path)
        r = self._run_import({"SRD_LIBRARY": lib})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], lib)

    def test_installed_package_loads_its_bundled_library(self) -> None:
        if not INSTALLED:
            self.skipTest("run from the source tree, not against an installed wheel")
        pkg_dir = pathlib.Path(srd.__file__).resolve().parent
        self.assertEqual(pathlib.Path(srd.library_path).parent, pkg_dir)
        self.assertTrue(pathlib.Path(srd.library_path).name.startswith("libsimd_r_drive.so"))
        self.assertIn("site-packages", pkg_dir.parts)  # the installed copy, not the sources
        # A subprocess with no SRD_LIBRARY, from another directory, loads the same file.
        r = self._run_import({})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], srd.library_path)

    def test_default_search_finds_repo_build(self) -> None:
        built = REPO_ROOT / "target" / "release" / "libsimd_r_drive.so"
        if INSTALLED:
            self.skipTest("run against an installed wheel")
        if not built.exists():
            self.skipTest("no %s" % built)
        r = self._run_import({})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], str(built))

    def test_status_str(self) -> None:
        self.assertTrue(srd.status_str(srd.SRD_OK))
        self.assertTrue(srd.status_str(srd.SRD_BUSY))
        self.assertEqual(srd.status_str(12345), "unknown status code")


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ErrorTest(unittest.TestCase):
    def test_mapping(self) -> None:
        expected = {
            srd.SRD_NOT_FOUND: srd.NotFoundError,
            srd.SRD_INVALID_ARGUMENT: srd.InvalidArgumentError,
            srd.SRD_IO: srd.StoreIOError,
            srd.SRD_CORRUPT: srd.CorruptError,
            srd.SRD_LOCKED: srd.LockedError,
            srd.SRD_READ_ONLY: srd.ReadOnlyError,
            srd.SRD_PANIC: srd.InternalError,
            srd.SRD_BUSY: srd.BusyError,
        }
        for status, cls in expected.items():
            e = srd.error_for_status(status, "msg")
            self.assertIs(type(e), cls)
            self.assertIsInstance(e, srd.SrdError)
            self.assertIsInstance(e, Exception)
            self.assertEqual(e.status, status)
            self.assertEqual(e.message, "msg")
            self.assertIn("msg", str(e))
        self.assertEqual(srd.SRD_BUSY, 8)
        unknown = srd.error_for_status(99, "")
        self.assertIs(type(unknown), srd.SrdError)
        self.assertEqual(unknown.status, 99)
        self.assertIn("unknown status code", str(unknown))

    def test_invalid_argument_is_value_error(self) -> None:
        self.assertTrue(issubclass(srd.InvalidArgumentError, ValueError))


# ---------------------------------------------------------------------------
# Opening and closing
# ---------------------------------------------------------------------------


class OpenCloseTest(StoreTestCase):
    def test_create_and_attributes(self) -> None:
        s = self.open()
        self.assertTrue(os.path.exists(self.path))
        self.assertFalse(s.closed)
        self.assertFalse(s.read_only)
        self.assertEqual(s.path, self.path)
        self.assertEqual(len(s), 0)
        self.assertEqual(s.file_size, 0)
        self.assertIn("read-write", repr(s))
        s.close()
        self.assertTrue(s.closed)
        self.assertIn("closed", repr(s))
        s.close()  # idempotent

    def test_path_types(self) -> None:
        with srd.Store(pathlib.Path(self.path)) as s:
            s.write(b"k", b"v")
        with srd.Store(os.fsencode(self.path)) as s:
            self.assertEqual(s.read(b"k"), b"v")

    def test_nul_in_path(self) -> None:
        with self.assertRaises(ValueError):
            srd.Store(self.path + "\x00x")

    def test_context_manager_closes(self) -> None:
        with srd.Store(self.path) as s:
            self.assertFalse(s.closed)
            s.write(b"k", b"v")
        self.assertTrue(s.closed)
        with self.assertRaises(RuntimeError):
            with srd.Store(self.path) as s2:
                raise RuntimeError("boom")
        self.assertTrue(s2.closed)
        with self.assertRaises(ValueError):
            with s2:
                pass
        # the lock was released: a new writer can open
        with srd.Store(self.path) as s3:
            self.assertEqual(s3.read(b"k"), b"v")

    def test_every_method_fails_after_close(self) -> None:
        s = self.open()
        s.write(b"k", b"v")
        s.close()
        calls = [
            lambda: s.write(b"k", b"v"),
            lambda: s.write_batch([(b"k", b"v")]),
            lambda: s.read(b"k"),
            lambda: s.read_entry(b"k"),
            lambda: s.exists(b"k"),
            lambda: b"k" in s,
            lambda: s.delete(b"k"),
            lambda: s.delete_batch([b"k"]),
            lambda: len(s),
            lambda: s.file_size,
            lambda: s.compact(),
            lambda: s.sync(),
            lambda: s.iter(),
            lambda: s.items(),
            lambda: s.entry_count(),
            lambda: s.reclaimable_bytes(),
            lambda: s.refresh(),
        ]
        for call in calls:
            with self.assertRaises(ValueError):
                call()

    def test_del_closes_and_unlocks(self) -> None:
        s = srd.Store(self.path)
        s.write(b"k", b"v")
        del s
        gc.collect()
        with srd.Store(self.path) as s2:  # would be LockedError if still open
            self.assertEqual(s2.read(b"k"), b"v")

    def test_second_writer_locked(self) -> None:
        s = self.open()
        s.write(b"k", b"v")
        with self.assertRaises(srd.LockedError) as cm:
            srd.Store(self.path)
        self.assertSrdError(srd.LockedError, srd.SRD_LOCKED, cm)
        # read-only opens take no lock
        with srd.Store(self.path, read_only=True) as ro:
            self.assertEqual(ro.read(b"k"), b"v")
        s.close()
        with srd.Store(self.path) as s2:
            self.assertEqual(s2.read(b"k"), b"v")

    def test_missing_file_read_only(self) -> None:
        missing = os.path.join(self.dir, "missing.srd")
        with self.assertRaises(srd.NotFoundError) as cm:
            srd.Store(missing, read_only=True)
        self.assertSrdError(srd.NotFoundError, srd.SRD_NOT_FOUND, cm)
        self.assertIn(missing, cm.exception.message)
        self.assertFalse(os.path.exists(missing))

    def test_missing_file_no_create(self) -> None:
        missing = os.path.join(self.dir, "missing.srd")
        with self.assertRaises(srd.NotFoundError) as cm:
            srd.Store(missing, create=False)
        self.assertSrdError(srd.NotFoundError, srd.SRD_NOT_FOUND, cm)
        self.assertFalse(os.path.exists(missing))

    def test_directory_is_invalid(self) -> None:
        with self.assertRaises(srd.InvalidArgumentError) as cm:
            srd.Store(self.dir)
        self.assertSrdError(srd.InvalidArgumentError, srd.SRD_INVALID_ARGUMENT, cm)

    def test_not_a_store_is_corrupt_and_untouched(self) -> None:
        text = b"this is a text file, not a store\n" * 10
        with open(self.path, "wb") as f:
            f.write(text)
        for ro in (False, True):
            with self.assertRaises(srd.CorruptError) as cm:
                srd.Store(self.path, read_only=ro)
            self.assertSrdError(srd.CorruptError, srd.SRD_CORRUPT, cm)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), text)

    def test_reopen_keeps_values(self) -> None:
        values = {b"k%d" % i: os.urandom(1 + i * 37) for i in range(50)}
        with srd.Store(self.path) as s:
            s.write_batch(values)
            s.write(b"k0", b"new")
            s.delete(b"k1")
            size = s.file_size
        values[b"k0"] = b"new"
        del values[b"k1"]
        for ro in (False, True):
            with srd.Store(self.path, read_only=ro, create=False) as s:
                self.assertEqual(len(s), len(values))
                self.assertEqual(s.file_size, size)
                for k, v in values.items():
                    self.assertEqual(s.read(k), v)
                self.assertIsNone(s.read(b"k1"))

    def test_sync_flag_and_sync(self) -> None:
        with srd.Store(self.path, sync=True) as s:
            s.write(b"a", b"1")
            s.write_batch([(b"b", b"2")])
            self.assertTrue(s.delete(b"a"))
            s.sync()
        with srd.Store(self.path) as s:
            self.assertIsNone(s.read(b"a"))
            self.assertEqual(s.read(b"b"), b"2")
            s.sync()

    def test_reserve_is_a_hint_that_changes_no_data(self) -> None:
        with srd.Store(self.path) as s:
            s.write(b"a", b"1")
            size = s.file_size
            s.reserve(0)
            s.reserve(10_000)
            self.assertEqual(s.file_size, size)
            s.write_batch([(b"k%d" % i, b"v%d" % i) for i in range(12_000)])
            self.assertEqual(len(s), 12_001)
            self.assertEqual(s.read(b"k11999"), b"v11999")
            with self.assertRaises(srd.InvalidArgumentError):
                s.reserve(2**64 - 1)
            self.assertEqual(s.read(b"a"), b"1")
            with self.assertRaises(ValueError):
                s.reserve(-1)
            with self.assertRaises(TypeError):
                s.reserve("10")  # type: ignore[arg-type]
        with srd.Store(self.path, read_only=True) as s:
            with self.assertRaises(srd.ReadOnlyError):
                s.reserve(10)

    def test_torn_tail_recovered(self) -> None:
        with srd.Store(self.path) as s:
            s.write(b"a", b"alpha")
            s.write(b"b", b"beta")
            size = s.file_size
        self.assertEqual(os.path.getsize(self.path), size)
        with open(self.path, "ab") as f:
            f.write(b"\x07garbage after the last entry")
        with srd.Store(self.path, read_only=True) as ro:
            self.assertEqual(ro.file_size, size)
            self.assertEqual(ro.read(b"b"), b"beta")
        self.assertGreater(os.path.getsize(self.path), size)  # read-only: untouched
        with srd.Store(self.path) as s:
            self.assertEqual(s.file_size, size)
            self.assertEqual(s.read(b"a"), b"alpha")
        self.assertEqual(os.path.getsize(self.path), size)  # read-write: truncated


# ---------------------------------------------------------------------------
# Writes, reads, deletes
# ---------------------------------------------------------------------------


class IndexFileTest(StoreTestCase):
    """The index file beside a large store, and index_file=False."""

    def _fill(self, **kw) -> None:
        s = srd.Store(self.path, **kw)
        s.write_batch((b"k%d" % i, b"v%d" % i) for i in range(70_000))
        s.close()

    def test_saved_at_close_and_used_with_the_same_answers(self) -> None:
        self._fill()
        self.assertTrue(os.path.exists(self.path + ".idx"))
        s = self.open(read_only=True)
        self.assertEqual(len(s), 70_000)
        self.assertEqual(s.read(b"k69999"), b"v69999")
        self.assertIsNone(s.read(b"k70000"))

    def test_index_file_false_neither_writes_nor_needs_it(self) -> None:
        self._fill(index_file=False)
        self.assertFalse(os.path.exists(self.path + ".idx"))
        s = self.open(read_only=True, index_file=False)
        self.assertEqual(s.read(b"k12345"), b"v12345")


class PreallocateTest(StoreTestCase):
    """preallocate=True: reserved zeros after the store, cut by a plain open."""

    def test_reserved_space_stays_until_a_plain_open(self) -> None:
        s = self.open(preallocate=True)
        for i in range(2000):
            s.write(b"k%d" % i, b"v%d" % i * 10)
        self.assertGreater(os.path.getsize(self.path), s.file_size)
        size = s.file_size
        s.close()
        # The reserved zeros stay; a read-write open without the flag cuts them.
        self.assertGreater(os.path.getsize(self.path), size)
        r = self.open(read_only=True)
        self.assertEqual(len(r), 2000)
        self.assertEqual(r.read(b"k1999"), b"v1999" * 10)
        r.close()
        self.open().close()
        self.assertEqual(os.path.getsize(self.path), size)


class ConditionalWriteTest(StoreTestCase):
    """write_if_absent / write_if_version / delete_if_version (SRD_CONFLICT)."""

    def test_conditions_hold_or_nothing_is_written(self) -> None:
        s = self.open()
        self.assertIsNone(s.version_of(b"k"))
        self.assertTrue(s.write_if_absent(b"k", b"one"))
        size = s.file_size
        self.assertFalse(s.write_if_absent(b"k", b"two"))
        self.assertEqual(s.file_size, size, "a failed condition wrote something")
        v1 = s.version_of(b"k")
        with s.read_entry(b"k") as e:
            self.assertEqual(e.offset, v1)
        self.assertTrue(s.write_if_version(b"k", v1, b"three"))
        self.assertFalse(s.write_if_version(b"k", v1, b"stale"))
        self.assertEqual(s.read(b"k"), b"three")
        v2 = s.version_of(b"k")
        self.assertNotEqual(v1, v2)
        self.assertFalse(s.delete_if_version(b"k", v1))
        self.assertTrue(s.delete_if_version(b"k", v2))
        self.assertIsNone(s.read(b"k"))
        self.assertFalse(s.write_if_version(b"k", v2, b"gone"))
        self.assertTrue(s.write_if_absent(b"k", b"again"))

    def test_compare_and_swap_counter_from_threads_loses_no_increment(self) -> None:
        s = self.open()
        s.write(b"n", b"0")
        threads, per = 4, 300

        def bump() -> None:
            for _ in range(per):
                while True:
                    v = s.version_of(b"n")
                    n = int(s.read(b"n"))
                    if s.write_if_version(b"n", v, str(n + 1).encode()):
                        break

        ts = [threading.Thread(target=bump) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(int(s.read(b"n")), threads * per)

    def test_conflict_error_and_read_only(self) -> None:
        s = self.open()
        s.write(b"k", b"v")
        self.assertIsInstance(srd.error_for_status(srd.SRD_CONFLICT), srd.ConflictError)
        s.close()
        r = self.open(read_only=True)
        self.assertIsNotNone(r.version_of(b"k"))
        with self.assertRaises(srd.ReadOnlyError):
            r.write_if_absent(b"x", b"y")


class SnapshotTest(StoreTestCase):
    """Store.snapshot(): a read-only handle frozen at a moment."""

    def test_a_snapshot_sees_its_moment_and_outlives_the_store(self) -> None:
        s = self.open()
        for i in range(100):
            s.write(b"k%d" % i, b"old%d" % i)
        snap = s.snapshot()
        self._stores.append(snap)
        for i in range(100):
            if i % 2:
                s.delete(b"k%d" % i)
            else:
                s.write(b"k%d" % i, b"new%d" % i)
        s.write(b"extra", b"x")
        s.compact()
        self.assertEqual(len(snap), 100)
        self.assertIsNone(snap.read(b"extra"))
        for i in range(100):
            self.assertEqual(snap.read(b"k%d" % i), b"old%d" % i)
        self.assertEqual(sorted(v for _, v in snap.items()), sorted(b"old%d" % i for i in range(100)))
        with self.assertRaises(srd.ReadOnlyError):
            snap.write(b"k1", b"y")
        s.close()
        self.assertEqual(snap.read(b"k7"), b"old7")
        with snap.snapshot() as again:
            self.assertEqual(again.read(b"k8"), b"old8")

    def test_backup_copies_the_moment_and_extends_an_earlier_backup(self) -> None:
        s = self.open()
        for i in range(50):
            s.write(b"k%d" % i, b"v%d" % i * 20)
        dst = os.path.join(self.dir, "backup.srd")
        seen = []
        s.backup(dst, lambda d, t: seen.append((d, t)))
        self.assertEqual(seen[-1], (s.file_size, s.file_size))
        s.write(b"later", b"x")
        s.backup(dst)
        with srd.Store(dst, read_only=True) as b:
            self.assertEqual(len(b), 51)
            self.assertEqual(b.read(b"k3"), b"v3" * 20)
        notes = os.path.join(self.dir, "notes.txt")
        with open(notes, "wb") as f:
            f.write(b"not a store")
        with self.assertRaises(srd.InvalidArgumentError):
            s.backup(notes)
        with open(notes, "rb") as f:
            self.assertEqual(f.read(), b"not a store")


class ApplyBatchTest(StoreTestCase):
    """Store.apply(): mixed, crash-atomic batches."""

    def test_writes_and_deletes_in_order(self) -> None:
        s = self.open()
        s.write(b"old", b"x")
        n = s.apply([("write", b"a", b"1"), ("delete", b"old"), ("write", b"b", b"2"),
                     ("delete", b"b"), ("delete", b"never"), ("write", b"b", b"3")])
        self.assertEqual(n, 2)
        self.assertEqual(s.read(b"a"), b"1")
        self.assertEqual(s.read(b"b"), b"3")
        self.assertIsNone(s.read(b"old"))
        size = s.file_size
        with self.assertRaises(srd.InvalidArgumentError) as cm:
            s.apply([("write", b"c", b"1"), ("write", b"d", b"")])
        self.assertIn("batch item 1", cm.exception.message)
        self.assertEqual(s.file_size, size)
        with self.assertRaises(TypeError):
            s.apply([("upsert", b"k", b"v")])


class ReadWriteTest(StoreTestCase):
    def test_write_read_roundtrip(self) -> None:
        s = self.open()
        s.write(b"key", b"value")
        self.assertEqual(s.read(b"key"), b"value")
        self.assertIsInstance(s.read(b"key"), bytes)
        self.assertIsNone(s.read(b"other"))
        self.assertEqual(len(s), 1)

    def test_overwrite_newest_wins(self) -> None:
        s = self.open()
        for i in range(10):
            s.write(b"k", b"v%d" % i)
        self.assertEqual(s.read(b"k"), b"v9")
        self.assertEqual(len(s), 1)

    def test_key_and_value_types(self) -> None:
        s = self.open()
        s.write("text-key", b"1")
        self.assertEqual(s.read(b"text-key"), b"1")
        s.write("ключ", b"2")
        self.assertEqual(s.read("ключ".encode("utf-8")), b"2")
        s.write(bytearray(b"ba"), bytearray(b"3"))
        self.assertEqual(s.read(b"ba"), b"3")
        s.write(memoryview(b"mv"), memoryview(b"4"))
        self.assertEqual(s.read(memoryview(bytearray(b"mv"))), b"4")
        s.write(b"slice", memoryview(b"xx5yy")[2:3])  # read-only view (copied)
        self.assertEqual(s.read(b"slice"), b"5")
        s.write(b"strided", memoryview(b"a6b7c8")[1::2])  # non-contiguous
        self.assertEqual(s.read(b"strided"), b"678")
        floats = array.array("f", [1.5, 2.5, -3.0])
        s.write(b"floats", memoryview(floats))  # non-byte format
        self.assertEqual(s.read(b"floats"), floats.tobytes())
        s.write(b"arr", array.array("B", [9, 9]))  # any buffer object
        self.assertEqual(s.read(b"arr"), b"\x09\x09")

        class B(bytes):
            pass

        s.write(B(b"sub"), B(b"6"))
        self.assertEqual(s.read(b"sub"), b"6")
        s.write(b"nul\x00key", b"\x00\x00")  # NULs inside keys/values are fine
        self.assertEqual(s.read(b"nul\x00key"), b"\x00\x00")
        self.assertIsNone(s.read(b"nul"))
        s.write(b"\x00", b"zero key")
        self.assertEqual(s.read(b"\x00"), b"zero key")

    def test_bad_types(self) -> None:
        s = self.open()
        with self.assertRaises(TypeError):
            s.write(b"k", "str value")
        with self.assertRaises(TypeError):
            s.write(b"k", None)
        with self.assertRaises(TypeError):
            s.write(123, b"v")
        with self.assertRaises(TypeError):
            s.read(None)
        with self.assertRaises(TypeError):
            s.exists(1.5)
        with self.assertRaises(TypeError):
            s.write_batch([(b"k", "v")])
        with self.assertRaises(TypeError):
            s.write_batch([b"not-a-pair-of-two"])
        with self.assertRaises(TypeError):
            s.write_batch([1, 2])
        self.assertEqual(len(s), 0)

    def test_large_value(self) -> None:
        s = self.open()
        big = os.urandom(3 * 1024 * 1024 + 7)
        s.write(b"big", big)
        self.assertEqual(s.read(b"big"), big)
        with s.read_entry(b"big") as e:
            self.assertEqual(len(e), len(big))
            self.assertEqual(e.data[-7:].tobytes(), big[-7:])

    def test_empty_key_rejected_everywhere(self) -> None:
        s = self.open()
        s.write(b"k", b"v")
        for empty in (b"", "", bytearray(), memoryview(b"")):
            calls = [
                lambda: s.write(empty, b"v"),
                lambda: s.read(empty),
                lambda: s.read_entry(empty),
                lambda: s.exists(empty),
                lambda: empty in s,
                lambda: s.delete(empty),
                lambda: s.delete_batch([b"k", empty]),
                lambda: s.write_batch([(b"k2", b"v"), (empty, b"v")]),
            ]
            for call in calls:
                with self.assertRaises(srd.InvalidArgumentError) as cm:
                    call()
                self.assertSrdError(srd.InvalidArgumentError, srd.SRD_INVALID_ARGUMENT, cm)
        self.assertEqual(s.read(b"k"), b"v")  # delete_batch deleted nothing
        self.assertIsNone(s.read(b"k2"))  # write_batch wrote nothing
        self.assertEqual(len(s), 1)

    def test_empty_and_tombstone_values_rejected(self) -> None:
        s = self.open()
        size = s.file_size
        for bad in (b"", bytearray(), memoryview(b""), b"\x00", bytearray(b"\x00"), memoryview(b"\x00")):
            with self.assertRaises(srd.InvalidArgumentError) as cm:
                s.write(b"k", bad)
            self.assertSrdError(srd.InvalidArgumentError, srd.SRD_INVALID_ARGUMENT, cm)
            with self.assertRaises(srd.InvalidArgumentError) as cm:
                s.write_batch([(b"ok", b"fine"), (b"k", bad)])
            self.assertSrdError(srd.InvalidArgumentError, srd.SRD_INVALID_ARGUMENT, cm)
        self.assertEqual(s.file_size, size)
        self.assertEqual(len(s), 0)
        self.assertIsNone(s.read(b"ok"))
        s.write(b"k", b"\x00\x01")  # two bytes are fine
        self.assertEqual(s.read(b"k"), b"\x00\x01")

    def test_message_captured_per_failure(self) -> None:
        s = self.open()
        with self.assertRaises(srd.InvalidArgumentError) as cm1:
            s.write(b"", b"v")
        with self.assertRaises(srd.InvalidArgumentError) as cm2:
            s.write(b"k", b"\x00")
        s.write(b"k", b"ok")  # success does not change captured messages
        self.assertTrue(cm1.exception.message)
        self.assertTrue(cm2.exception.message)
        self.assertNotEqual(cm1.exception.message, cm2.exception.message)
        self.assertIn(cm1.exception.message, str(cm1.exception))

    def test_delete_and_exists(self) -> None:
        s = self.open()
        s.write(b"a", b"1")
        s.write(b"b", b"2")
        self.assertTrue(s.exists(b"a"))
        self.assertTrue("a" in s)
        self.assertFalse(b"zz" in s)
        self.assertTrue(s.delete(b"a"))
        self.assertFalse(s.delete(b"a"))
        self.assertFalse(s.delete(b"never"))
        self.assertFalse(s.exists(b"a"))
        self.assertNotIn(b"a", s)
        self.assertIsNone(s.read(b"a"))
        self.assertIsNone(s.read_entry(b"a"))
        self.assertEqual(len(s), 1)
        s.write(b"a", b"again")
        self.assertEqual(s.read(b"a"), b"again")

    def test_delete_missing_writes_nothing(self) -> None:
        s = self.open()
        s.write(b"a", b"1")
        size = s.file_size
        self.assertFalse(s.delete(b"nope"))
        self.assertEqual(s.file_size, size)

    def test_len_and_file_size(self) -> None:
        s = self.open()
        sizes = [s.file_size]
        for i in range(5):
            s.write(b"k%d" % i, b"x" * (i + 1))
            sizes.append(s.file_size)
            self.assertEqual(len(s), i + 1)
        self.assertEqual(sizes, sorted(set(sizes)))  # strictly growing
        self.assertEqual(s.file_size, os.path.getsize(self.path))

    def test_write_batch(self) -> None:
        s = self.open()
        s.write_batch({b"a": b"1", "b": bytearray(b"2")})
        s.write_batch([(b"c", b"3"), (b"c", b"33"), (memoryview(b"d"), memoryview(b"4"))])
        s.write_batch((b"g%d" % i, b"v%d" % i) for i in range(20))
        self.assertEqual(s.read(b"a"), b"1")
        self.assertEqual(s.read(b"b"), b"2")
        self.assertEqual(s.read(b"c"), b"33")  # later item wins
        self.assertEqual(s.read(b"d"), b"4")
        self.assertEqual(s.read(b"g19"), b"v19")
        self.assertEqual(len(s), 24)
        size = s.file_size
        s.write_batch([])
        s.write_batch({})
        self.assertEqual(s.file_size, size)

    def test_delete_batch(self) -> None:
        s = self.open()
        s.write_batch({b"a": b"1", b"b": b"2", b"c": b"3"})
        s.delete_batch([b"a", "b", b"a", b"absent"])
        self.assertEqual(len(s), 1)
        self.assertEqual(s.read(b"c"), b"3")
        size = s.file_size
        s.delete_batch([])
        s.delete_batch([b"absent"])
        self.assertEqual(s.file_size, size)


class ReadOnlyTest(StoreTestCase):
    def setUp(self) -> None:
        super().setUp()
        with srd.Store(self.path) as s:
            s.write(b"k", b"v")
            s.write(b"old", b"x")
            s.write(b"old", b"y")

    def test_writes_rejected(self) -> None:
        ro = self.open(read_only=True)
        self.assertTrue(ro.read_only)
        self.assertIn("read-only", repr(ro))
        size = ro.file_size
        calls = [
            lambda: ro.write(b"k", b"new"),
            lambda: ro.write_batch([(b"k", b"new")]),
            lambda: ro.delete(b"k"),
            lambda: ro.delete_batch([b"k"]),
            lambda: ro.compact(),
        ]
        for call in calls:
            with self.assertRaises(srd.ReadOnlyError) as cm:
                call()
            self.assertSrdError(srd.ReadOnlyError, srd.SRD_READ_ONLY, cm)
        ro.sync()  # a no-op, not an error
        self.assertEqual(ro.read(b"k"), b"v")
        self.assertEqual(ro.file_size, size)
        self.assertEqual(os.path.getsize(self.path), size)

    def test_reads_work(self) -> None:
        ro = self.open(read_only=True)
        self.assertEqual(ro.read(b"old"), b"y")
        self.assertTrue(b"k" in ro)
        self.assertEqual(len(ro), 2)
        with ro.read_entry(b"k") as e:
            self.assertEqual(bytes(e), b"v")
        self.assertEqual(sorted(v for _, v in ro.items()), [b"v", b"y"])

    def test_read_only_sees_file_as_opened(self) -> None:
        rw = self.open()
        ro = self.open(read_only=True)
        rw.write(b"later", b"1")
        self.assertTrue(rw.exists(b"later"))
        self.assertFalse(ro.exists(b"later"))
        with srd.Store(self.path, read_only=True) as ro2:
            self.assertEqual(ro2.read(b"later"), b"1")


class RefreshTest(StoreTestCase):
    def test_read_only_follows_writer(self) -> None:
        rw = self.open()
        rw.write(b"a", b"1")
        ro = self.open(read_only=True)
        rw.write(b"b", b"2")
        rw.write(b"a", b"1 v2")
        self.assertIsNone(ro.read(b"b"))
        ro.refresh()
        self.assertEqual(ro.read(b"b"), b"2")
        self.assertEqual(ro.read(b"a"), b"1 v2")
        self.assertEqual(len(ro), 2)
        self.assertEqual(ro.file_size, rw.file_size)
        with ro.read_entry(b"a") as pinned:
            rw.delete(b"b")
            rw.compact()
            rw.write(b"c", b"3")
            ro.refresh()  # the file was replaced by the compaction
            self.assertEqual(bytes(pinned), b"1 v2")
        self.assertIsNone(ro.read(b"b"))
        self.assertEqual(ro.read(b"c"), b"3")
        self.assertEqual(ro.file_size, rw.file_size)
        rw.refresh()  # no-op on a read-write store
        with self.assertRaises(ValueError):
            ro.close() or ro.refresh()

    def test_refresh_missing_file(self) -> None:
        with srd.Store(self.path) as rw:
            rw.write(b"a", b"1")
        ro = self.open(read_only=True)
        os.remove(self.path)
        with self.assertRaises(srd.NotFoundError) as cm:
            ro.refresh()
        self.assertSrdError(srd.NotFoundError, srd.SRD_NOT_FOUND, cm)
        self.assertEqual(ro.read(b"a"), b"1")  # the handle keeps working


# ---------------------------------------------------------------------------
# Entries: zero-copy reads
# ---------------------------------------------------------------------------


class EntryTest(StoreTestCase):
    def test_data_zero_copy_and_aligned(self) -> None:
        s = self.open()
        values = {}
        for i in range(1, 130):
            values[b"k%d" % i] = bytes((i + j) % 256 for j in range(i))
            s.write(b"k%d" % i, values[b"k%d" % i])
        s.write_batch({b"b%d" % i: b"z" * i for i in range(1, 40)})
        for k, v in list(values.items()) + [(b"b%d" % i, b"z" * i) for i in range(1, 40)]:
            e = s.read_entry(k)
            self.assertIsInstance(e, srd.Entry)
            view = e.data
            self.assertIsInstance(view, memoryview)
            self.assertTrue(view.readonly)
            self.assertEqual(view.format, "B")
            self.assertEqual(view.nbytes, len(v))
            self.assertEqual(len(e), len(v))
            self.assertEqual(view, v)
            self.assertEqual(bytes(e), v)
            self.assertEqual(e.tobytes(), v)
            self.assertEqual(ctypes.addressof(view.obj) % 64, 0)
            self.assertEqual(ctypes.addressof(view.obj), e.address)
            self.assertEqual(e.address % 64, 0)
            del view
            e.close()

    def test_zero_copy_is_the_same_memory(self) -> None:
        s = self.open()
        s.write(b"k", b"abcdef")
        with s.read_entry(b"k") as e1, s.read_entry(b"k") as e2:
            self.assertEqual(e1.address, e2.address)  # both point into the map
            self.assertEqual(ctypes.addressof(e1.data.obj), ctypes.addressof(e2.data.obj))

    def test_floats_in_place(self) -> None:
        s = self.open()
        floats = array.array("f", [i * 0.5 for i in range(1000)])
        u64 = array.array("Q", [i * 0x0101010101 for i in range(100)])
        s.write(b"floats", floats.tobytes())
        s.write(b"u64", u64.tobytes())
        with s.read_entry(b"floats") as e:
            view = e.data.cast("f")
            self.assertEqual(len(view), 1000)
            self.assertEqual(view.tolist(), floats.tolist())
            self.assertEqual(view[999], 499.5)
            del view
        with s.read_entry(b"u64") as e:
            view = e.data.cast("Q")
            self.assertEqual(view.tolist(), u64.tolist())
            del view

    def test_views_are_read_only(self) -> None:
        s = self.open()
        s.write(b"k", b"immutable")
        with s.read_entry(b"k") as e:
            view = e.data
            with self.assertRaises(TypeError):
                view[0] = 0x41
            with self.assertRaises(TypeError):
                ctypes.c_char.from_buffer(view)  # writable export refused
            del view
        self.assertEqual(s.read(b"k"), b"immutable")

    @unittest.skipUnless(sys.version_info >= (3, 12), "PEP 688 __buffer__ needs Python 3.12+")
    def test_memoryview_of_entry(self) -> None:
        s = self.open()
        s.write(b"k", b"buffer protocol")
        with s.read_entry(b"k") as e:
            view = memoryview(e)
            self.assertTrue(view.readonly)
            self.assertEqual(view, b"buffer protocol")
            with self.assertRaises((TypeError, BufferError)):
                ctypes.c_char.from_buffer(e)
            with self.assertRaises(TypeError):
                view[0] = 1
            del view

    def test_entry_survives_overwrite_delete_compact_close(self) -> None:
        s = srd.Store(self.path)
        s.write(b"k", b"first value")
        s.write(b"other", b"x")
        e = s.read_entry(b"k")
        view = e.data
        s.write(b"k", b"second value")
        self.assertEqual(view, b"first value")
        s.delete(b"k")
        self.assertEqual(view, b"first value")
        s.compact()
        self.assertEqual(view, b"first value")
        self.assertEqual(bytes(e), b"first value")
        s.close()
        gc.collect()
        self.assertEqual(view, b"first value")
        self.assertEqual(e.tobytes(), b"first value")
        del view
        e.close()

    def test_entry_close_and_context_manager(self) -> None:
        s = self.open()
        s.write(b"k", b"value")
        with s.read_entry(b"k") as e:
            self.assertFalse(e.closed)
        self.assertTrue(e.closed)
        self.assertIn("closed", repr(e))
        self.assertEqual(len(e), 5)  # still known
        for call in (lambda: e.data, e.tobytes, lambda: bytes(e), lambda: e.address,
                     lambda: e.key_hash, lambda: e.offset, lambda: e.checksum, e.verify):
            with self.assertRaises(ValueError):
                call()
        with self.assertRaises(ValueError):
            with e:
                pass
        e.close()  # idempotent

    def test_entry_freed_once_when_closed(self) -> None:
        s = self.open()
        s.write(b"k", b"value")
        counter = _Counter(_lib.api.srd_entry_free)
        with mock.patch.object(_lib.api, "srd_entry_free", counter):
            e = s.read_entry(b"k")
            e.close()
            self.assertEqual(counter.calls, 1)  # no view: freed at once
            e.close()
            del e
            gc.collect()
            self.assertEqual(counter.calls, 1)
            e2 = s.read_entry(b"k")
            del e2  # forgotten entry: freed by the garbage collector
            gc.collect()
            self.assertEqual(counter.calls, 2)

    def test_view_keeps_entry_alive_after_close(self) -> None:
        s = self.open()
        s.write(b"k", b"kept alive by its view")
        counter = _Counter(_lib.api.srd_entry_free)
        with mock.patch.object(_lib.api, "srd_entry_free", counter):
            e = s.read_entry(b"k")
            view = e.data
            floats = view[:4].cast("f")
            e.close()  # contract: views must not be used after this...
            del e
            s.close()
            gc.collect()
            # ...but misuse does not crash: the pin is still held by the view.
            self.assertEqual(counter.calls, 0)
            self.assertEqual(view, b"kept alive by its view")
            del view
            gc.collect()
            self.assertEqual(counter.calls, 0)  # the slice/cast still holds it
            self.assertEqual(len(floats), 1)
            del floats
            gc.collect()
            self.assertEqual(counter.calls, 1)

    def test_entry_metadata(self) -> None:
        s = self.open()
        s.write(b"pad", b"p" * 100)
        value = b"metadata value"
        s.write(b"meta", value)
        with s.read_entry(b"meta") as e:
            self.assertEqual(e.key_hash, srd.hash_key(b"meta"))
            self.assertEqual(e.offset % 64, 0)
            self.assertGreater(e.offset, 0)
            with open(self.path, "rb") as f:
                f.seek(e.offset)
                self.assertEqual(f.read(len(value)), value)
            self.assertEqual(e.checksum, zlib.crc32(value))
            e.verify()

    def test_read_entry_missing_is_none(self) -> None:
        s = self.open()
        self.assertIsNone(s.read_entry(b"missing"))


# ---------------------------------------------------------------------------
# Corruption
# ---------------------------------------------------------------------------


class CorruptionTest(StoreTestCase):
    def setUp(self) -> None:
        super().setUp()
        with srd.Store(self.path) as s:
            s.write(b"first", b"first value, damaged later")  # payload at offset 0
            s.write(b"second", b"second value")
        with open(self.path, "r+b") as f:
            f.seek(0)
            f.write(b"F")
        with open(self.path, "rb") as f:
            self.original = f.read()

    def test_read_detects_damage(self) -> None:
        s = self.open()
        self.assertTrue(s.exists(b"first"))  # exists does not check the CRC
        with self.assertRaises(srd.CorruptError) as cm:
            s.read(b"first")
        self.assertSrdError(srd.CorruptError, srd.SRD_CORRUPT, cm)
        with self.assertRaises(srd.CorruptError):
            s.read_entry(b"first")
        self.assertEqual(s.read(b"second"), b"second value")

    def test_compact_refuses_and_changes_nothing(self) -> None:
        s = self.open()
        with self.assertRaises(srd.CorruptError) as cm:
            s.compact()
        self.assertSrdError(srd.CorruptError, srd.SRD_CORRUPT, cm)
        s.close()
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), self.original)

    def test_no_verify_returns_damaged_bytes(self) -> None:
        s = self.open(verify=False)
        self.assertEqual(s.read(b"first"), b"First value, damaged later")
        with s.read_entry(b"first") as e:
            with self.assertRaises(srd.CorruptError) as cm:
                e.verify()
            self.assertSrdError(srd.CorruptError, srd.SRD_CORRUPT, cm)
            self.assertEqual(e.checksum, zlib.crc32(b"first value, damaged later"))

    def test_iteration_reports_damage(self) -> None:
        s = self.open()
        it = s.items()
        with self.assertRaises(srd.CorruptError) as cm:
            list(it)
        self.assertSrdError(srd.CorruptError, srd.SRD_CORRUPT, cm)
        got = list(s.iter(skip_corrupt=True))
        self.assertEqual(got, [(srd.hash_key(b"second"), b"second value")])


# ---------------------------------------------------------------------------
# Compaction
# ---------------------------------------------------------------------------


class CompactTest(StoreTestCase):
    def test_compact_shrinks_and_keeps_values(self) -> None:
        s = self.open()
        for i in range(20):
            s.write(b"k%d" % (i % 5), os.urandom(100 + i))
        s.write(b"gone", b"x" * 500)
        s.delete(b"gone")
        expected = {b"k%d" % i: s.read(b"k%d" % i) for i in range(5)}
        before = s.file_size
        entries_before = s.entry_count()
        self.assertEqual(entries_before, 22)  # 21 values + 1 tombstone
        reclaimable = s.reclaimable_bytes()
        self.assertGreater(reclaimable, 0)
        s.compact()
        after = s.file_size
        self.assertLess(after, before)
        self.assertEqual(before - after, reclaimable)
        self.assertEqual(s.reclaimable_bytes(), 0)
        self.assertEqual(s.entry_count(), 5)
        self.assertEqual(after, os.path.getsize(self.path))
        self.assertFalse(os.path.exists(self.path + ".compact.tmp"))
        self.assertEqual(len(s), 5)
        for k, v in expected.items():
            self.assertEqual(s.read(k), v)
        self.assertIsNone(s.read(b"gone"))
        s.write(b"after", b"compaction")  # handle keeps working
        s.close()
        with srd.Store(self.path, read_only=True) as ro:
            self.assertEqual(len(ro), 6)
            for k, v in expected.items():
                self.assertEqual(ro.read(k), v)
            with ro.read_entry(b"after") as e:
                self.assertEqual(e.address % 64, 0)

    def test_compact_empty_store(self) -> None:
        s = self.open()
        s.compact()
        self.assertEqual(len(s), 0)
        s.write(b"a", b"1")
        s.delete(b"a")
        s.compact()
        self.assertEqual(s.file_size, 0)
        self.assertEqual(len(s), 0)


# ---------------------------------------------------------------------------
# Iteration
# ---------------------------------------------------------------------------


class IterationTest(StoreTestCase):
    def fill(self, s):
        s.write(b"k1", b"one")
        s.write(b"k2", b"two")
        s.write(b"k3", b"three")
        s.write(b"k4", b"four")
        s.write(b"k5", b"five")
        s.write(b"k2", b"two v2")
        s.delete(b"k4")
        # file order of live entries, oldest first
        return [(b"k1", b"one"), (b"k3", b"three"), (b"k5", b"five"), (b"k2", b"two v2")]

    def expected(self, pairs):
        return [(srd.hash_key(k), v) for k, v in pairs]

    def test_items_live_entries_in_file_order(self) -> None:
        s = self.open()
        expected = self.expected(self.fill(s))
        got = list(s.items())
        self.assertEqual(got, expected)
        for h, v in got:
            self.assertIsInstance(h, int)
            self.assertIsInstance(v, bytes)
        self.assertEqual(list(s.iter()), expected)
        self.assertEqual(dict(s.items()), dict(expected))

    def test_empty_store(self) -> None:
        s = self.open()
        self.assertEqual(list(s.items()), [])
        s.write(b"a", b"1")
        s.delete(b"a")
        self.assertEqual(list(s.items()), [])

    def test_snapshot_semantics(self) -> None:
        s = self.open()
        expected = self.expected(self.fill(s))
        it = s.items()  # snapshot taken here, before the first next()
        s.write(b"k6", b"six")
        s.write(b"k3", b"three v2")
        s.delete(b"k1")
        self.assertEqual(list(it), expected)
        now = list(s.items())
        self.assertEqual(
            now,
            self.expected([(b"k5", b"five"), (b"k2", b"two v2"), (b"k6", b"six"), (b"k3", b"three v2")]),
        )

    def test_snapshot_survives_compaction(self) -> None:
        s = self.open()
        expected = self.expected(self.fill(s))
        it = s.items()
        first = next(it)
        s.delete(b"k5")
        s.compact()
        self.assertEqual([first] + list(it), expected)

    def test_iterating_while_writing(self) -> None:
        s = self.open()
        s.write_batch((b"k%d" % i, b"v%d" % i) for i in range(100))
        seen = 0
        for h, v in s.items():
            s.write(b"new" + v, v)  # does not disturb the iteration
            seen += 1
        self.assertEqual(seen, 100)
        self.assertEqual(len(s), 200)

    def test_iterator_freed(self) -> None:
        s = self.open()
        self.fill(s)
        counter = _Counter(_lib.api.srd_iter_free)
        with mock.patch.object(_lib.api, "srd_iter_free", counter):
            list(s.items())  # exhausted
            self.assertEqual(counter.calls, 1)
            for _ in s.items():  # early break
                break
            gc.collect()
            self.assertEqual(counter.calls, 2)
            it = s.iter()  # never started
            del it
            gc.collect()
            self.assertEqual(counter.calls, 3)
            it = s.iter()
            next(it)
            it.close()  # explicit close
            self.assertEqual(counter.calls, 4)
            with self.assertRaises(StopIteration):
                next(it)
            self.assertEqual(counter.calls, 4)

    def test_store_closed_during_iteration(self) -> None:
        s = self.open()
        self.fill(s)
        counter = _Counter(_lib.api.srd_iter_free)
        with mock.patch.object(_lib.api, "srd_iter_free", counter):
            it = s.items()
            next(it)
            s.close()
            with self.assertRaises(ValueError):
                next(it)
            self.assertEqual(counter.calls, 1)

    def test_hashes_match_entries(self) -> None:
        s = self.open()
        keys = [b"alpha", "beta", "gamma-\u00e9"]
        for i, k in enumerate(keys):
            s.write(k, b"v%d" % i)
        hashes = [h for h, _ in s.items()]
        self.assertEqual(hashes, [srd.hash_key(k) for k in keys])
        for k in keys:
            with s.read_entry(k) as e:
                self.assertEqual(e.key_hash, srd.hash_key(k))

    def test_partitions(self) -> None:
        s = self.open()
        s.write_batch((b"key-%d" % i, b"value-%d" % i) for i in range(200))
        full = list(s.items())
        self.assertEqual(len(full), 200)
        self.assertEqual(list(s.iter(0, 1)), full)
        for parts in (2, 3, 7):
            chunks = [list(s.iter(part=p, parts=parts)) for p in range(parts)]
            merged = [x for c in chunks for x in c]
            self.assertEqual(len(merged), 200)
            self.assertEqual(sorted(merged), sorted(full))
            for p, c in enumerate(chunks):
                for h, _ in c:
                    self.assertEqual(h % parts, p)
                # each part is in file order too
                order = [full.index(x) for x in c]
                self.assertEqual(order, sorted(order))

    def test_partition_arguments(self) -> None:
        s = self.open()
        s.write(b"k", b"v")
        for part, parts in ((0, 0), (3, 3), (5, 2)):
            with self.assertRaises(srd.InvalidArgumentError) as cm:
                s.iter(part, parts)
            self.assertSrdError(srd.InvalidArgumentError, srd.SRD_INVALID_ARGUMENT, cm)
        with self.assertRaises(ValueError):
            s.iter(part=0)
        with self.assertRaises(ValueError):
            s.iter(parts=2)
        with self.assertRaises(ValueError):
            s.iter(-1, 2)
        with self.assertRaises(ValueError):
            s.iter(0, 2 ** 32)
        with self.assertRaises(TypeError):
            s.iter("0", 2)
        with self.assertRaises(TypeError):
            s.iter(True, 2)
        with self.assertRaises(TypeError):
            s.iter(0.0, 2)

        class Idx:
            def __index__(self):
                return 1

        self.assertEqual(len(list(s.iter(Idx(), 2))) + len(list(s.iter(0, 2))), 1)


class RawApiContractTest(StoreTestCase):
    """The library contracts the bindings rely on, checked on the raw
    ctypes functions (argtypes/restype as declared in _lib)."""

    def test_null_handles(self) -> None:
        api = _lib.api
        api.srd_close(None)
        api.srd_entry_free(None)
        api.srd_iter_free(None)
        n = ctypes.c_size_t(7)
        self.assertIsNone(api.srd_entry_data(None, ctypes.byref(n)))
        self.assertEqual(n.value, 0)
        kh, p = ctypes.c_uint64(), ctypes.c_void_p()
        st = api.srd_iter_next(None, ctypes.byref(kh), ctypes.byref(p), ctypes.byref(n))
        self.assertEqual(st, srd.SRD_INVALID_ARGUMENT)
        st = api.srd_hash_key(None, 5, ctypes.byref(kh))
        self.assertEqual(st, srd.SRD_INVALID_ARGUMENT)
        self.assertEqual(api.srd_hash_key(None, 0, ctypes.byref(kh)), srd.SRD_OK)
        self.assertEqual(kh.value, XXH3_EMPTY)

    def test_iterator_values_aligned_and_valid_after_close(self) -> None:
        api = _lib.api
        s = srd.Store(self.path)
        values = [bytes([i + 1]) * (i * 13 + 1) for i in range(20)]
        for i, v in enumerate(values):
            s.write(b"k%d" % i, v)
        it = ctypes.c_void_p()
        self.assertEqual(api.srd_iter_new(s._handle, ctypes.byref(it)), srd.SRD_OK)
        try:
            s.close()
            kh, p, n = ctypes.c_uint64(), ctypes.c_void_p(), ctypes.c_size_t()
            got = []
            while True:
                st = api.srd_iter_next(it, ctypes.byref(kh), ctypes.byref(p), ctypes.byref(n))
                if st == srd.SRD_NOT_FOUND:
                    break
                self.assertEqual(st, srd.SRD_OK)
                self.assertEqual(p.value % 64, 0)
                got.append(ctypes.string_at(p.value, n.value))
            self.assertEqual(got, values)
        finally:
            api.srd_iter_free(it)


# ---------------------------------------------------------------------------
# Hashing
# ---------------------------------------------------------------------------


class HashTest(unittest.TestCase):
    def test_hash_key(self) -> None:
        self.assertEqual(srd.hash_key(b""), XXH3_EMPTY)
        self.assertEqual(srd.hash_key(""), XXH3_EMPTY)
        h = srd.hash_key(b"hello")
        self.assertIsInstance(h, int)
        self.assertTrue(0 <= h < 2 ** 64)
        self.assertEqual(srd.hash_key("hello"), h)
        self.assertEqual(srd.hash_key(bytearray(b"hello")), h)
        self.assertEqual(srd.hash_key(memoryview(b"xhellox")[1:6]), h)
        self.assertNotEqual(srd.hash_key(b"hellp"), h)
        with self.assertRaises(TypeError):
            srd.hash_key(42)

    def test_namespace_key(self) -> None:
        nk = srd.namespace_key(b"users", b"alice")
        self.assertEqual(nk, struct.pack("<QQ", srd.hash_key(b"users"), srd.hash_key(b"alice")))
        self.assertEqual(srd.namespace_key("users", "alice"), nk)
        self.assertEqual(len(srd.namespace_key(b"p", b"")), 16)  # empty key allowed
        with self.assertRaises(srd.InvalidArgumentError):
            srd.namespace_key(b"", b"alice")  # empty prefix is not
        with tempfile.TemporaryDirectory() as d:
            with srd.Store(os.path.join(d, "ns.srd")) as s:
                s.write(nk, b"namespaced")
                s.write(srd.namespace_key(b"admins", b"alice"), b"other")
                self.assertEqual(s.read(nk), b"namespaced")
                self.assertEqual(len(s), 2)


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------


class ThreadTest(StoreTestCase):
    def test_concurrent_readers_writers_and_compaction(self) -> None:
        s = self.open()
        s.write_batch((b"base%d" % i, b"value%d" % i) for i in range(50))
        errors = []
        stop = threading.Event()

        def reader():
            try:
                while not stop.is_set():
                    for i in range(50):
                        self.assertEqual(s.read(b"base%d" % i), b"value%d" % i)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        def writer(n):
            try:
                for i in range(200):
                    s.write(b"w%d-%d" % (n, i), b"x" * (1 + i % 70))
            except Exception as e:  # pragma: no cover
                errors.append(e)

        readers = [threading.Thread(target=reader) for _ in range(3)]
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for t in readers + writers:
            t.start()
        for _ in range(3):
            s.compact()
        for t in writers:
            t.join()
        stop.set()
        for t in readers:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(s), 50 + 2 * 200)

    def test_close_while_other_threads_use_store(self) -> None:
        s = srd.Store(self.path)
        s.write(b"k", b"v")
        results = []
        started = threading.Barrier(3)

        def worker():
            started.wait()
            try:
                while True:
                    results.append(s.read(b"k"))
            except ValueError:
                results.append("closed")

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        started.wait()
        s.close()
        for t in threads:
            t.join()
        self.assertEqual(results.count("closed"), 2)
        self.assertEqual(set(results) - {"closed"}, {b"v"} if len(results) > 2 else set())


# ---------------------------------------------------------------------------
# fork(): a module-level Store finalized in a child never frees the parent's lock
# ---------------------------------------------------------------------------

_FORK_SCRIPT = r"""
import os, sys
import simd_r_drive_c as srd

store = srd.Store(sys.argv[1])          # module level: finalized at exit
store.write(b"parent", b"1")
pid = os.fork()
if pid == 0:
    # The child reads through the inherited handle, cannot write through it,
    # and leaves with the Store alive: sys.exit() finalizes it.
    assert store.read(b"parent") == b"1"
    try:
        store.write(b"child", b"x")
        sys.exit(3)
    except srd.BrokenError as e:
        assert e.status == srd.SRD_BROKEN and "fork" in e.message, e.message
    sys.exit(0)
_, st = os.waitpid(pid, 0)
print("child", os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1, flush=True)
# A third process must still find the store locked by this one.
sys.stdin.readline()
store.write(b"parent", b"2")
print("parent wrote", flush=True)
"""

_OPEN_RW = r"""
import sys
import simd_r_drive_c as srd
try:
    srd.Store(sys.argv[1]).close()
    print("opened")
except srd.LockedError:
    print("locked")
"""


class ForkTest(StoreTestCase):
    def _run(self, code, *args, **kw):
        env = dict(os.environ)
        env["PYTHONPATH"] = str(PKG_PARENT)
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            **kw,
        )

    def test_a_forked_child_exiting_keeps_the_parents_lock_and_cannot_write(self) -> None:
        parent = self._run(_FORK_SCRIPT, self.path)
        try:
            self.assertEqual(parent.stdout.readline().strip(), "child 0")
            third = self._run(_OPEN_RW, self.path)
            out, _ = third.communicate(timeout=60)
            self.assertEqual(out.strip(), "locked", "a third process opened the store for writing")
            parent.stdin.write("\n")
            parent.stdin.flush()
            self.assertEqual(parent.stdout.readline().strip(), "parent wrote")
        finally:
            parent.stdin.close()
            rc = parent.wait(timeout=60)
            parent.stdout.close()
        self.assertEqual(rc, 0)
        s = self.open(read_only=True)
        self.assertEqual(s.read(b"parent"), b"2")
        self.assertIsNone(s.read(b"child"))
        # Closed by its owner, the store opens for writing again.
        third = self._run(_OPEN_RW, self.path)
        out, _ = third.communicate(timeout=60)
        self.assertEqual(out.strip(), "opened")

    def test_broken_status_has_its_own_error_class(self) -> None:
        from simd_r_drive_c.errors import error_for_status

        self.assertEqual(srd.SRD_BROKEN, 9)
        self.assertIsInstance(error_for_status(srd.SRD_BROKEN, "m"), srd.BrokenError)
        self.assertIn("broken", srd.status_str(srd.SRD_BROKEN))


if __name__ == "__main__":
    unittest.main()

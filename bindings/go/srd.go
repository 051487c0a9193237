// Package srd is the Go binding of simd-r-drive, an append-only,
// single-file key/value store with zero-copy, 64-byte aligned reads.
//
// It calls the C library libsimd_r_drive through cgo. Every call goes
// through a small C function that makes the srd_ call and, if it fails,
// copies the status, message and OS error number in the same native call,
// on the same OS thread (rule E5 of include/simd_r_drive.h). A goroutine can
// move between OS threads between two cgo calls, so reading the thread-local
// detail in a second cgo call could return another goroutine's error; this
// package never does that.
//
// A Store may be used from any number of goroutines at once. Close waits for
// the calls in progress and makes later calls return ErrClosed.
package srd

/*
#include <stdlib.h>
#include <string.h>
#include "simd_r_drive.h"

// The detail of one failed call, copied on the thread that made it.
typedef struct {
	int32_t status;
	int32_t os_errno;
	char *message; // malloc'd; freed by Go
} srdgo_err;

static srd_status srdgo_capture(srd_status st, srdgo_err *e) {
	if (st != SRD_OK) {
		e->status = st;
		e->os_errno = srd_last_error_os_errno();
		e->message = strdup(srd_last_error_message());
	}
	return st;
}

static srd_status srdgo_open(const char *path, uint32_t flags, srd_store **out, srdgo_err *e) {
	return srdgo_capture(srd_open(path, flags, out), e);
}

static srd_status srdgo_write(srd_store *s, const void *k, size_t kl, const void *v, size_t vl,
                              srdgo_err *e) {
	return srdgo_capture(srd_write(s, k, kl, v, vl), e);
}

static srd_status srdgo_delete(srd_store *s, const void *k, size_t kl, srdgo_err *e) {
	return srdgo_capture(srd_delete(s, k, kl), e);
}

static srd_status srdgo_exists(srd_store *s, const void *k, size_t kl, srdgo_err *e) {
	srd_status st = srd_exists(s, k, kl);
	// SRD_NOT_FOUND is the answer "no", not a failure to report.
	if (st == SRD_NOT_FOUND) return st;
	return srdgo_capture(st, e);
}

// Pins the value and reports its bytes, all in one call.
static srd_status srdgo_read_entry(srd_store *s, const void *k, size_t kl, srd_entry **out,
                                   const uint8_t **data, size_t *len, srdgo_err *e) {
	srd_status st = srd_read_entry(s, k, kl, out);
	if (st == SRD_OK) *data = srd_entry_data(*out, len);
	return srdgo_capture(st, e);
}

// A batch: keys and values are packed one after another in buf; lens holds
// 2*count lengths (key, value) for writes, count key lengths for deletes.
// The srd_kv/srd_key arrays are built here, in C memory, because Go memory
// passed to C must not hold Go pointers.
static srd_status srdgo_write_batch(srd_store *s, const uint8_t *buf, const size_t *lens,
                                    size_t count, srdgo_err *e) {
	srd_kv *items = malloc((count ? count : 1) * sizeof *items);
	if (!items) {
		e->status = SRD_IO;
		e->os_errno = 12; // ENOMEM
		e->message = strdup("out of memory building the batch");
		return SRD_IO;
	}
	size_t off = 0;
	for (size_t i = 0; i < count; i++) {
		items[i].key = buf + off;
		items[i].key_len = lens[2 * i];
		off += lens[2 * i];
		items[i].value = buf + off;
		items[i].value_len = lens[2 * i + 1];
		off += lens[2 * i + 1];
	}
	srd_status st = srdgo_capture(srd_write_batch(s, items, count), e);
	free(items);
	return st;
}

static srd_status srdgo_delete_batch(srd_store *s, const uint8_t *buf, const size_t *lens,
                                     size_t count, srdgo_err *e) {
	srd_key *keys = malloc((count ? count : 1) * sizeof *keys);
	if (!keys) {
		e->status = SRD_IO;
		e->os_errno = 12; // ENOMEM
		e->message = strdup("out of memory building the batch");
		return SRD_IO;
	}
	size_t off = 0;
	for (size_t i = 0; i < count; i++) {
		keys[i].key = buf + off;
		keys[i].key_len = lens[i];
		off += lens[i];
	}
	srd_status st = srdgo_capture(srd_delete_batch(s, keys, count), e);
	free(keys);
	return st;
}

static srd_status srdgo_rename(srd_store *s, const void *a, size_t al, const void *b, size_t bl,
                               srdgo_err *e) {
	return srdgo_capture(srd_rename(s, a, al, b, bl), e);
}

static srd_status srdgo_compact(srd_store *s, srdgo_err *e) {
	return srdgo_capture(srd_compact(s), e);
}

static srd_status srdgo_sync(srd_store *s, srdgo_err *e) {
	return srdgo_capture(srd_sync(s), e);
}

static srd_status srdgo_refresh(srd_store *s, srdgo_err *e) {
	return srdgo_capture(srd_refresh(s), e);
}

static srd_status srdgo_count(srd_store *s, uint64_t *out, srdgo_err *e) {
	return srdgo_capture(srd_count(s, out), e);
}

static srd_status srdgo_file_size(srd_store *s, uint64_t *out, srdgo_err *e) {
	return srdgo_capture(srd_file_size(s, out), e);
}

static srd_status srdgo_iter_new(srd_store *s, srd_iter **out, srdgo_err *e) {
	return srdgo_capture(srd_iter_new(s, out), e);
}

static srd_status srdgo_iter_next(srd_iter *it, uint64_t *hash, const uint8_t **v, size_t *vl,
                                  srdgo_err *e) {
	srd_status st = srd_iter_next(it, hash, v, vl);
	// SRD_NOT_FOUND is the end of the iteration, not a failure.
	if (st == SRD_NOT_FOUND) return st;
	return srdgo_capture(st, e);
}

static srd_status srdgo_hash_key(const void *k, size_t kl, uint64_t *out, srdgo_err *e) {
	return srdgo_capture(srd_hash_key(k, kl, out), e);
}

static srd_status srdgo_write_if_absent(srd_store *s, const void *k, size_t kl, const void *v,
                                       size_t vl, srdgo_err *e) {
	return srdgo_capture(srd_write_if_absent(s, k, kl, v, vl), e);
}

static srd_status srdgo_write_if_version(srd_store *s, const void *k, size_t kl, uint64_t ver,
                                        const void *v, size_t vl, srdgo_err *e) {
	return srdgo_capture(srd_write_if_version(s, k, kl, ver, v, vl), e);
}

static srd_status srdgo_delete_if_version(srd_store *s, const void *k, size_t kl, uint64_t ver,
                                         srdgo_err *e) {
	return srdgo_capture(srd_delete_if_version(s, k, kl, ver), e);
}

static srd_status srdgo_version_of(srd_store *s, const void *k, size_t kl, uint64_t *out,
                                   srdgo_err *e) {
	return srdgo_capture(srd_version_of(s, k, kl, out), e);
}

// Pins the value and reports its bytes and its version (the offset of that
// very value), all in one call.
static srd_status srdgo_read_versioned(srd_store *s, const void *k, size_t kl, srd_entry **out,
                                       const uint8_t **data, size_t *len, uint64_t *ver,
                                       srdgo_err *e) {
	srd_status st = srd_read_entry(s, k, kl, out);
	if (st == SRD_OK) {
		st = srd_entry_offset(*out, ver);
		if (st == SRD_OK) {
			*data = srd_entry_data(*out, len);
		} else {
			srdgo_capture(st, e);
			srd_entry_free(*out);
			*out = NULL;
			return st;
		}
	}
	return srdgo_capture(st, e);
}

static srd_status srdgo_entry_offset(srd_entry *en, uint64_t *out, srdgo_err *e) {
	return srdgo_capture(srd_entry_offset(en, out), e);
}

static srd_status srdgo_snapshot(srd_store *s, srd_store **out, srdgo_err *e) {
	return srdgo_capture(srd_snapshot(s, out), e);
}

// The Go side of a backup's progress callback (backup.go). user_data carries
// a cgo.Handle, never a Go pointer.
extern void srdgoBackupProgress(uintptr_t handle, uint64_t done, uint64_t total);

static void srdgo_progress_trampoline(void *user_data, uint64_t done, uint64_t total) {
	srdgoBackupProgress((uintptr_t)user_data, done, total);
}

// handle 0: no progress callback (NULL is passed to the library).
static srd_status srdgo_backup(srd_store *s, const char *dst, uintptr_t handle, srdgo_err *e) {
	srd_progress_fn fn = handle ? srdgo_progress_trampoline : NULL;
	return srdgo_capture(srd_backup(s, dst, fn, (void *)handle), e);
}

// A mixed batch: keys and values packed one after another in buf, lens
// holding 2*count lengths (key, value; 0 for a delete's value), kinds the
// SRD_OP_* of each item. The srd_op array is built here, in C memory.
static srd_status srdgo_apply_batch(srd_store *s, const uint8_t *buf, const size_t *lens,
                                    const uint32_t *kinds, size_t count, uint64_t *deleted,
                                    srdgo_err *e) {
	srd_op *ops = malloc((count ? count : 1) * sizeof *ops);
	if (!ops) {
		e->status = SRD_IO;
		e->os_errno = 12; // ENOMEM
		e->message = strdup("out of memory building the batch");
		return SRD_IO;
	}
	size_t off = 0;
	for (size_t i = 0; i < count; i++) {
		ops[i].kind = kinds[i];
		ops[i].key = lens[2 * i] ? buf + off : NULL;
		ops[i].key_len = lens[2 * i];
		off += lens[2 * i];
		ops[i].value = lens[2 * i + 1] ? buf + off : NULL;
		ops[i].value_len = lens[2 * i + 1];
		off += lens[2 * i + 1];
	}
	srd_status st = srdgo_capture(srd_apply_batch(s, ops, count, deleted), e);
	free(ops);
	return st;
}

// For the test that shows why the detail must be read in the same call:
// the failing call alone, its detail left in the thread-local.
static srd_status srdgo_open_only(const char *path, uint32_t flags) {
	srd_store *s = NULL;
	srd_status st = srd_open(path, flags, &s);
	if (st == SRD_OK) srd_close(s);
	return st;
}
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"syscall"
	"unsafe"
)

// Open flags (SRD_OPEN_*), combined with |.
const (
	// ReadOnly opens without the writer lock; writes fail with ErrReadOnly.
	// Implies NoCreate.
	ReadOnly uint32 = C.SRD_OPEN_READ_ONLY
	// NoCreate fails with ErrNotFound (Errno ENOENT) if the file is missing.
	NoCreate uint32 = C.SRD_OPEN_NO_CREATE
	// Sync makes every write durable (fdatasync) before it returns.
	Sync uint32 = C.SRD_OPEN_SYNC
	// NoVerify skips checking checksums when the index is rebuilt.
	NoVerify uint32 = C.SRD_OPEN_NO_VERIFY
	// NoIndexFile neither loads nor saves the index file beside the store.
	NoIndexFile uint32 = C.SRD_OPEN_NO_INDEX_FILE
	// Preallocate grows the file in large steps (see the C header).
	Preallocate uint32 = C.SRD_OPEN_PREALLOCATE
	// Reserve copies small appends into 0xFE space reserved ahead of the
	// tail, cut at close, instead of one write each (see the C header).
	Reserve uint32 = C.SRD_OPEN_RESERVE
)

// fail turns a captured C failure into an *Error and frees its message.
func fail(op string, st C.srd_status, e *C.srdgo_err) error {
	err := &Error{Op: op, Status: Status(st), Errno: syscall.Errno(e.os_errno)}
	if e.message != nil {
		err.Message = C.GoString(e.message)
		C.free(unsafe.Pointer(e.message))
		e.message = nil
	}
	return err
}

func statusText(s Status) string { return C.GoString(C.srd_status_str(C.int32_t(s))) }

// ptr returns a pointer to b's bytes for the duration of a cgo call (nil for
// an empty slice, which the C API accepts with a length of 0).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// Version is the version of the loaded library, e.g. "0.1.2".
func Version() string { return C.GoString(C.srd_version_string()) }

// HashKey returns the 64-bit hash a key is stored under (srd_hash_key).
func HashKey(key []byte) (uint64, error) {
	var e C.srdgo_err
	var h C.uint64_t
	if st := C.srdgo_hash_key(ptr(key), C.size_t(len(key)), &h, &e); st != C.SRD_OK {
		return 0, fail("HashKey", st, &e)
	}
	return uint64(h), nil
}

// Store is an open store file. Its methods may be called from any number of
// goroutines at once.
type Store struct {
	mu sync.RWMutex // read-held by every call, write-held by Close
	p  *C.srd_store
}

// Open opens (or creates, unless flags has NoCreate or ReadOnly) the store
// file at path.
func Open(path string, flags uint32) (*Store, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var e C.srdgo_err
	var p *C.srd_store
	if st := C.srdgo_open(cpath, C.uint32_t(flags), &p, &e); st != C.SRD_OK {
		return nil, fail("Open", st, &e)
	}
	return &Store{p: p}, nil
}

// Close waits for the calls in progress, then closes the store: it releases
// the writer lock and saves the index file. Entries and iterators made from
// the store stay valid until their own Close. Closing twice is a no-op.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		C.srd_close(s.p)
		s.p = nil
	}
	return nil
}

// use read-locks the store for one call; it fails with ErrClosed after Close.
func (s *Store) use() (*C.srd_store, error) {
	s.mu.RLock()
	if s.p == nil {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	return s.p, nil
}

func (s *Store) done() { s.mu.RUnlock() }

// Put writes value under key (both at least 1 byte; see rule B2).
func (s *Store) Put(key, value []byte) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	st := C.srdgo_write(p, ptr(key), C.size_t(len(key)), ptr(value), C.size_t(len(value)), &e)
	if st != C.SRD_OK {
		return fail("Put", st, &e)
	}
	return nil
}

// Delete removes key; ErrNotFound if it has no live value.
func (s *Store) Delete(key []byte) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	if st := C.srdgo_delete(p, ptr(key), C.size_t(len(key)), &e); st != C.SRD_OK {
		return fail("Delete", st, &e)
	}
	return nil
}

// Exists tells whether key has a live value.
func (s *Store) Exists(key []byte) (bool, error) {
	p, err := s.use()
	if err != nil {
		return false, err
	}
	defer s.done()
	var e C.srdgo_err
	switch st := C.srdgo_exists(p, ptr(key), C.size_t(len(key)), &e); st {
	case C.SRD_OK:
		return true, nil
	case C.SRD_NOT_FOUND:
		return false, nil
	default:
		return false, fail("Exists", st, &e)
	}
}

// Entry is a pinned value: its bytes, read in place from the store's memory
// map (zero-copy). They stay valid and unchanged until Close, even after
// the key is overwritten, the store is compacted or the Store is closed
// (rule L2 of the C header). An Entry may be read from several goroutines
// at once; call Close once, when none uses it. An Entry that is never
// closed keeps its part of the file mapped.
type Entry struct {
	p    *C.srd_entry
	data []byte
}

// Bytes returns the value without copying it. The slice points into the
// memory map: it is valid until Close and must not be written to (the
// memory is read-only; writing faults). It is 64-byte aligned.
func (en *Entry) Bytes() []byte { return en.data }

// Close releases the entry; Bytes must not be used afterwards. Closing twice
// is a no-op.
func (en *Entry) Close() error {
	if en.p != nil {
		C.srd_entry_free(en.p)
		en.p = nil
		en.data = nil
	}
	return nil
}

// GetEntry pins key's value for zero-copy reading; ErrNotFound if it has
// no live value.
func (s *Store) GetEntry(key []byte) (*Entry, error) {
	p, err := s.use()
	if err != nil {
		return nil, err
	}
	defer s.done()
	return getEntry(p, key, "GetEntry")
}

func getEntry(p *C.srd_store, key []byte, op string) (*Entry, error) {
	var e C.srdgo_err
	var en *C.srd_entry
	var data *C.uint8_t
	var n C.size_t
	st := C.srdgo_read_entry(p, ptr(key), C.size_t(len(key)), &en, &data, &n, &e)
	if st != C.SRD_OK {
		return nil, fail(op, st, &e)
	}
	return &Entry{p: en, data: unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))}, nil
}

// Get returns a copy of key's value; ErrNotFound if it has no live value.
// It reads through a pinned entry, so a concurrent Compact cannot pull the
// bytes away during the copy.
func (s *Store) Get(key []byte) ([]byte, error) {
	p, err := s.use()
	if err != nil {
		return nil, err
	}
	defer s.done()
	en, err := getEntry(p, key, "Get")
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(en.data))
	copy(out, en.data)
	en.Close()
	return out, nil
}

// KV is one pair of a batch write.
type KV struct {
	Key, Value []byte
}

// PutBatch writes all pairs as one append: all or none of them become
// visible. An empty batch succeeds.
func (s *Store) PutBatch(items []KV) error {
	total := 0
	for _, kv := range items {
		total += len(kv.Key) + len(kv.Value)
	}
	buf := make([]byte, 0, total)
	lens := make([]C.size_t, 0, 2*len(items)+1)
	for _, kv := range items {
		buf = append(buf, kv.Key...)
		buf = append(buf, kv.Value...)
		lens = append(lens, C.size_t(len(kv.Key)), C.size_t(len(kv.Value)))
	}
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	st := C.srdgo_write_batch(p, (*C.uint8_t)(ptr(buf)), sizePtr(lens), C.size_t(len(items)), &e)
	if st != C.SRD_OK {
		return fail("PutBatch", st, &e)
	}
	return nil
}

// DeleteBatch deletes all keys as one append (see srd_delete_batch for keys
// that are absent).
func (s *Store) DeleteBatch(keys [][]byte) error {
	total := 0
	for _, k := range keys {
		total += len(k)
	}
	buf := make([]byte, 0, total)
	lens := make([]C.size_t, 0, len(keys)+1)
	for _, k := range keys {
		buf = append(buf, k...)
		lens = append(lens, C.size_t(len(k)))
	}
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	st := C.srdgo_delete_batch(p, (*C.uint8_t)(ptr(buf)), sizePtr(lens), C.size_t(len(keys)), &e)
	if st != C.SRD_OK {
		return fail("DeleteBatch", st, &e)
	}
	return nil
}

func sizePtr(s []C.size_t) *C.size_t {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// Rename moves the value of oldKey to newKey.
func (s *Store) Rename(oldKey, newKey []byte) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	st := C.srdgo_rename(p, ptr(oldKey), C.size_t(len(oldKey)), ptr(newKey), C.size_t(len(newKey)), &e)
	if st != C.SRD_OK {
		return fail("Rename", st, &e)
	}
	return nil
}

// simple runs a call that takes only the store.
func (s *Store) simple(op string, f func(*C.srd_store, *C.srdgo_err) C.srd_status) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	if st := f(p, &e); st != C.SRD_OK {
		return fail(op, st, &e)
	}
	return nil
}

// Compact rewrites the file with only the live values. Entries and
// iterators stay valid (rules L2, L3).
func (s *Store) Compact() error {
	return s.simple("Compact", func(p *C.srd_store, e *C.srdgo_err) C.srd_status { return C.srdgo_compact(p, e) })
}

// Sync makes everything written so far durable (fdatasync).
func (s *Store) Sync() error {
	return s.simple("Sync", func(p *C.srd_store, e *C.srdgo_err) C.srd_status { return C.srdgo_sync(p, e) })
}

// Refresh takes in what other processes appended (for ReadOnly stores).
func (s *Store) Refresh() error {
	return s.simple("Refresh", func(p *C.srd_store, e *C.srdgo_err) C.srd_status { return C.srdgo_refresh(p, e) })
}

// Count returns the number of live keys.
func (s *Store) Count() (uint64, error) {
	var n C.uint64_t
	err := s.simple("Count", func(p *C.srd_store, e *C.srdgo_err) C.srd_status { return C.srdgo_count(p, &n, e) })
	return uint64(n), err
}

// FileSize returns the size of the store file in bytes.
func (s *Store) FileSize() (uint64, error) {
	var n C.uint64_t
	err := s.simple("FileSize", func(p *C.srd_store, e *C.srdgo_err) C.srd_status { return C.srdgo_file_size(p, &n, e) })
	return uint64(n), err
}

// Iterator walks a snapshot of the live entries, in no particular order.
// Use it from one goroutine at a time:
//
//	it, err := st.Iter()
//	...
//	defer it.Close()
//	for it.Next() {
//		use(it.KeyHash(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
type Iterator struct {
	p     *C.srd_iter
	hash  uint64
	value []byte
	err   error
}

// Iter starts an iteration over the live entries (only key hashes are
// stored, rule B3).
func (s *Store) Iter() (*Iterator, error) {
	p, err := s.use()
	if err != nil {
		return nil, err
	}
	defer s.done()
	var e C.srdgo_err
	var it *C.srd_iter
	if st := C.srdgo_iter_new(p, &it, &e); st != C.SRD_OK {
		return nil, fail("Iter", st, &e)
	}
	return &Iterator{p: it}, nil
}

// Next advances to the next entry; false at the end or on an error (see Err).
func (it *Iterator) Next() bool {
	if it.p == nil || it.err != nil {
		return false
	}
	var e C.srdgo_err
	var h C.uint64_t
	var v *C.uint8_t
	var n C.size_t
	switch st := C.srdgo_iter_next(it.p, &h, &v, &n, &e); st {
	case C.SRD_OK:
		it.hash = uint64(h)
		it.value = unsafe.Slice((*byte)(unsafe.Pointer(v)), int(n))
		return true
	case C.SRD_NOT_FOUND:
		it.value = nil
		return false
	default:
		it.value = nil
		it.err = fail("Iterator.Next", st, &e)
		return false
	}
}

// KeyHash is the current entry's key hash.
func (it *Iterator) KeyHash() uint64 { return it.hash }

// Value is the current entry's value, zero-copy: valid until the
// iterator's Close (not only until the next Next; rule L3), read-only.
func (it *Iterator) Value() []byte { return it.value }

// Err is the error that ended the iteration early, if any.
func (it *Iterator) Err() error { return it.err }

// Close releases the iterator; the values it returned are invalid afterwards.
func (it *Iterator) Close() error {
	if it.p != nil {
		C.srd_iter_free(it.p)
		it.p = nil
		it.value = nil
	}
	return nil
}

// PutIfAbsent writes value under key only if key has no live value;
// ErrConflict (nothing written) if it has one. The check and the write are
// one step under the store's writer lock.
func (s *Store) PutIfAbsent(key, value []byte) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	st := C.srdgo_write_if_absent(p, ptr(key), C.size_t(len(key)), ptr(value), C.size_t(len(value)), &e)
	if st != C.SRD_OK {
		return fail("PutIfAbsent", st, &e)
	}
	return nil
}

// PutIfVersion writes value under key only if key's live value is still
// the version expected (compare-and-swap); ErrConflict (nothing written) if
// the key was written, deleted or compacted since, or has no value.
//
// A version is the file offset of a value: take it with GetWithVersion (the
// value and its version in one read), Entry.Version, or Version. Read the
// version before the value, never after: a version read after the value may
// belong to a newer value, and the swap would then overwrite a value the
// caller never saw.
//
//	for {
//		v, ver, err := st.GetWithVersion(key)
//		...
//		err = st.PutIfVersion(key, ver, next(v))
//		if !errors.Is(err, srd.ErrConflict) {
//			return err // nil: swapped
//		}
//	}
func (s *Store) PutIfVersion(key []byte, version uint64, value []byte) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	st := C.srdgo_write_if_version(p, ptr(key), C.size_t(len(key)), C.uint64_t(version),
		ptr(value), C.size_t(len(value)), &e)
	if st != C.SRD_OK {
		return fail("PutIfVersion", st, &e)
	}
	return nil
}

// DeleteIfVersion deletes key only if its live value is the version
// expected; ErrConflict (nothing written) otherwise (see PutIfVersion).
func (s *Store) DeleteIfVersion(key []byte, version uint64) error {
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var e C.srdgo_err
	if st := C.srdgo_delete_if_version(p, ptr(key), C.size_t(len(key)), C.uint64_t(version), &e); st != C.SRD_OK {
		return fail("DeleteIfVersion", st, &e)
	}
	return nil
}

// Version returns the version of key's live value (its file offset), for
// PutIfVersion and DeleteIfVersion; ErrNotFound if it has none. Every write
// or delete of the key, and every Compact, changes it.
func (s *Store) Version(key []byte) (uint64, error) {
	p, err := s.use()
	if err != nil {
		return 0, err
	}
	defer s.done()
	var e C.srdgo_err
	var v C.uint64_t
	if st := C.srdgo_version_of(p, ptr(key), C.size_t(len(key)), &v, &e); st != C.SRD_OK {
		return 0, fail("Version", st, &e)
	}
	return uint64(v), nil
}

// GetWithVersion returns a copy of key's value and the version of that very
// value (one read of a pinned entry), the input of a compare-and-swap with
// PutIfVersion; ErrNotFound if it has no live value.
func (s *Store) GetWithVersion(key []byte) ([]byte, uint64, error) {
	p, err := s.use()
	if err != nil {
		return nil, 0, err
	}
	defer s.done()
	var e C.srdgo_err
	var en *C.srd_entry
	var data *C.uint8_t
	var n C.size_t
	var ver C.uint64_t
	st := C.srdgo_read_versioned(p, ptr(key), C.size_t(len(key)), &en, &data, &n, &ver, &e)
	if st != C.SRD_OK {
		return nil, 0, fail("GetWithVersion", st, &e)
	}
	out := C.GoBytes(unsafe.Pointer(data), C.int(n))
	C.srd_entry_free(en)
	return out, uint64(ver), nil
}

// Version is the version of the entry's value (its file offset), as
// Store.Version gives it while the value is live.
func (en *Entry) Version() (uint64, error) {
	if en.p == nil {
		return 0, ErrClosed
	}
	var e C.srdgo_err
	var v C.uint64_t
	if st := C.srdgo_entry_offset(en.p, &v, &e); st != C.SRD_OK {
		return 0, fail("Entry.Version", st, &e)
	}
	return uint64(v), nil
}

// Snapshot returns a read-only Store frozen at this moment: its reads see
// exactly what s held now, nothing written, deleted or compacted later, and
// its writes fail with ErrReadOnly. It does not depend on s staying open;
// Close it when done (while it lives, the file's pages stay mapped and each
// later change of a key it holds keeps a few bytes for it). Nothing is
// copied.
func (s *Store) Snapshot() (*Store, error) {
	p, err := s.use()
	if err != nil {
		return nil, err
	}
	defer s.done()
	var e C.srdgo_err
	var snap *C.srd_store
	if st := C.srdgo_snapshot(p, &snap, &e); st != C.SRD_OK {
		return nil, fail("Snapshot", st, &e)
	}
	return &Store{p: snap}, nil
}

// Backup writes a consistent, synced copy of the store as it is now to dst,
// while other goroutines go on reading and writing. If dst holds an earlier
// backup of this store, only what is new is appended to it; otherwise the
// copy is written beside dst and renamed over it. Either way a crash leaves
// a usable earlier backup (or none).
//
// progress, if not nil, is called on the calling goroutine with the bytes
// written so far and the bytes to write, ending with done == total. It must
// not call methods of this Store (rule T4 of the C header; it could wait
// for itself). If it panics, the backup still runs to its end, progress is
// not called again, and the panic is raised again when Backup returns.
func (s *Store) Backup(dst string, progress func(done, total uint64)) error {
	cdst := C.CString(dst)
	defer C.free(unsafe.Pointer(cdst))
	p, err := s.use()
	if err != nil {
		return err
	}
	defer s.done()
	var h cgo.Handle
	var pr *backupProgress
	if progress != nil {
		pr = &backupProgress{fn: progress}
		h = cgo.NewHandle(pr)
		defer h.Delete()
	}
	var e C.srdgo_err
	st := C.srdgo_backup(p, cdst, C.uintptr_t(h), &e)
	if pr != nil && pr.panicked {
		panic(pr.panicValue)
	}
	if st != C.SRD_OK {
		return fail("Backup", st, &e)
	}
	return nil
}

// OpKind is the kind of an Op: OpPut or OpDelete.
type OpKind uint32

// The kinds of Op (SRD_OP_WRITE, SRD_OP_DELETE).
const (
	OpPut    OpKind = C.SRD_OP_WRITE
	OpDelete OpKind = C.SRD_OP_DELETE
)

// Op is one operation of Apply: a put of Value under Key, or a delete of Key
// (Value ignored). PutOp and DeleteOp make them.
type Op struct {
	Kind       OpKind
	Key, Value []byte
}

// PutOp is the Op that writes value under key.
func PutOp(key, value []byte) Op { return Op{Kind: OpPut, Key: key, Value: value} }

// DeleteOp is the Op that deletes key.
func DeleteOp(key []byte) Op { return Op{Kind: OpDelete, Key: key} }

// Apply applies puts and deletes, in order, as one append: all or nothing,
// even across a crash or power cut, and readers see the whole batch at
// once. A later op on a key wins over an earlier one; a delete of a key
// that has no value at that point is skipped. It returns how many deletes
// were applied. One invalid op rejects the whole batch before anything is
// written (ErrInvalidArgument, its Message naming "batch item N", counted
// from 0). An empty batch succeeds.
func (s *Store) Apply(ops []Op) (deleted uint64, err error) {
	total := 0
	for _, op := range ops {
		total += len(op.Key)
		if op.Kind != OpDelete {
			total += len(op.Value)
		}
	}
	buf := make([]byte, 0, total)
	lens := make([]C.size_t, 0, 2*len(ops)+1)
	kinds := make([]C.uint32_t, 0, len(ops)+1)
	for _, op := range ops {
		buf = append(buf, op.Key...)
		vl := 0
		if op.Kind != OpDelete {
			buf = append(buf, op.Value...)
			vl = len(op.Value)
		}
		lens = append(lens, C.size_t(len(op.Key)), C.size_t(vl))
		kinds = append(kinds, C.uint32_t(op.Kind))
	}
	p, err := s.use()
	if err != nil {
		return 0, err
	}
	defer s.done()
	var e C.srdgo_err
	var n C.uint64_t
	var kp *C.uint32_t
	if len(kinds) > 0 {
		kp = &kinds[0]
	}
	st := C.srdgo_apply_batch(p, (*C.uint8_t)(ptr(buf)), sizePtr(lens), kp, C.size_t(len(ops)), &n, &e)
	if st != C.SRD_OK {
		return 0, fail("Apply", st, &e)
	}
	return uint64(n), nil
}

// openThenReadDetailSeparately is the pattern this package avoids, kept for
// its test: the failing call in one cgo call, the detail read in a second
// one, between which the goroutine may move to another OS thread.
func openThenReadDetailSeparately(path string, flags uint32) (Status, string) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	st := C.srdgo_open_only(cpath, C.uint32_t(flags))
	yield()
	return Status(st), C.GoString(C.srd_last_error_message())
}

// yield is replaced by the test (runtime.Gosched) to show the effect of a
// goroutine switch between the two cgo calls.
var yield = func() {}

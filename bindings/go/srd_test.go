package srd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.srd")
	st, err := Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func TestRoundtripAndReopen(t *testing.T) {
	st, path := openTemp(t)
	if err := st.Put([]byte("alpha"), []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := st.PutBatch([]KV{{[]byte("b"), []byte("two")}, {[]byte("c"), bytes.Repeat([]byte{7}, 100000)}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutBatch(nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	got, err := st.Get([]byte("alpha"))
	if err != nil || string(got) != "one" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if ok, err := st.Exists([]byte("b")); !ok || err != nil {
		t.Fatalf("Exists(b) = %v, %v", ok, err)
	}
	if err := st.Rename([]byte("b"), []byte("bee")); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBatch([][]byte{[]byte("alpha")}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Exists([]byte("alpha")); ok || err != nil {
		t.Fatalf("Exists(alpha) after delete = %v, %v", ok, err)
	}
	if n, err := st.Count(); n != 2 || err != nil {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if err := st.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := st.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get([]byte("bee")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	st.Close() // twice: no-op

	ro, err := Open(path, ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got, err := ro.Get([]byte("bee")); err != nil || string(got) != "two" {
		t.Fatalf("reopened Get = %q, %v", got, err)
	}
	if got, err := ro.Get([]byte("c")); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{7}, 100000)) {
		t.Fatalf("reopened Get(c) = %d bytes, %v", len(got), err)
	}
	err = ro.Put([]byte("x"), []byte("y"))
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusReadOnly || !errors.Is(err, ErrReadOnly) || e.Errno != 0 {
		t.Fatalf("Put on read-only: %#v", err)
	}
	if !strings.Contains(e.Message, "read-only") || e.Status.Code() != "SRD_READ_ONLY" {
		t.Fatalf("message %q code %s", e.Message, e.Status.Code())
	}
}

func TestMissingKeyIsErrNotFound(t *testing.T) {
	st, _ := openTemp(t)
	_, err := st.Get([]byte("nope"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNotFound) || errors.Is(err, ErrIO) {
		t.Fatalf("Get(nope) = %v", err)
	}
	if e.Message != "key not found" || e.Errno != 0 || e.Op != "Get" {
		t.Fatalf("detail: %+v", e)
	}
	if err := st.Delete([]byte("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete(nope) = %v", err)
	}
	if err := st.Put(nil, []byte("v")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Put with an empty key = %v", err)
	}
}

func TestZeroCopyEntry(t *testing.T) {
	st, _ := openTemp(t)
	value := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	if err := st.Put([]byte("k"), value); err != nil {
		t.Fatal(err)
	}
	en, err := st.GetEntry([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	b := en.Bytes()
	if !bytes.Equal(b, value) {
		t.Fatal("entry bytes differ")
	}
	if uintptr(unsafe.Pointer(&b[0]))%64 != 0 {
		t.Fatal("value not 64-byte aligned")
	}
	// Zero-copy: the same bytes as a second read, not a copy of them.
	en2, err := st.GetEntry([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if &en2.Bytes()[0] != &b[0] {
		t.Fatal("two entries of one value do not share its bytes: not zero-copy")
	}
	en2.Close()
	// Valid after overwrite, compaction and Close of the store (rule L2).
	if err := st.Put([]byte("k"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := st.Compact(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !bytes.Equal(en.Bytes(), value) {
		t.Fatal("entry changed after overwrite, compaction and close")
	}
}

func TestIteratorValuesAreZeroCopyAndStable(t *testing.T) {
	st, _ := openTemp(t)
	want := map[uint64]string{}
	for i := 0; i < 50; i++ {
		k := []byte(fmt.Sprintf("key-%d", i))
		if err := st.Put(k, []byte(fmt.Sprintf("value-%d", i))); err != nil {
			t.Fatal(err)
		}
		h, err := HashKey(k)
		if err != nil {
			t.Fatal(err)
		}
		want[h] = fmt.Sprintf("value-%d", i)
	}
	it, err := st.Iter()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var kept [][]byte
	got := map[uint64]string{}
	for it.Next() {
		got[it.KeyHash()] = string(it.Value())
		kept = append(kept, it.Value())
	}
	if it.Err() != nil || len(got) != len(want) {
		t.Fatalf("iterated %d of %d, %v", len(got), len(want), it.Err())
	}
	for h, v := range want {
		if got[h] != v {
			t.Fatalf("hash %x: %q, want %q", h, got[h], v)
		}
	}
	// Values stay valid until Close, not only until the next Next (rule L3).
	n := 0
	for _, v := range kept {
		if strings.HasPrefix(string(v), "value-") {
			n++
		}
	}
	if n != len(want) {
		t.Fatalf("%d of %d kept values intact", n, len(want))
	}
}

func TestOSErrnoOfAFailedOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "s.srd")
	_, err := Open(path, 0)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Open = %v", err)
	}
	if e.Errno != syscall.ENOENT || !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("detail: %+v", e)
	}
	if !strings.Contains(e.Message, path) {
		t.Fatalf("message %q lacks the path", e.Message)
	}
	// A path through a regular file: ENOTDIR, an SRD_IO failure.
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(filepath.Join(file, "s.srd"), 0)
	if !errors.As(err, &e) || e.Errno != syscall.ENOTDIR || !errors.Is(err, ErrIO) ||
		!errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("Open under a regular file = %#v", err)
	}
	// A directory we may not write: EACCES (skipped as root, who may).
	if os.Geteuid() != 0 {
		dir := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		_, err := Open(filepath.Join(dir, "s.srd"), 0)
		if !errors.As(err, &e) || e.Errno != syscall.EACCES || !errors.Is(err, ErrIO) {
			t.Fatalf("Open in a read-only directory = %#v", err)
		}
	}
}

const (
	goroutines = 16
	callsEach  = 2000
)

// Every goroutine makes failing calls whose messages name its own path; each
// error must carry the message and errno of that very call.
func TestEachGoroutineGetsItsOwnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	var wrong, total int64
	var mu sync.Mutex
	var firstWrong string
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			bad := 0
			for i := 0; i < callsEach; i++ {
				path := fmt.Sprintf("%s/g%02d-call%05d.srd", dir, g, i)
				_, err := Open(path, NoCreate)
				var e *Error
				ok := errors.As(err, &e) && e.Status == StatusNotFound &&
					e.Errno == syscall.ENOENT && strings.Contains(e.Message, path+":")
				if !ok {
					bad++
					mu.Lock()
					if firstWrong == "" {
						firstWrong = fmt.Sprintf("%s: %v", path, err)
					}
					mu.Unlock()
				}
				runtime.Gosched()
			}
			mu.Lock()
			wrong += int64(bad)
			total += callsEach
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	t.Logf("%d of %d errors carried their own call's message and errno", total-wrong, total)
	if total != goroutines*callsEach || wrong != 0 {
		t.Fatalf("%d of %d errors wrong; first: %s", wrong, total, firstWrong)
	}
}

// The pattern rule E5 forbids, measured: the call in one cgo call, the
// message read in a second one. Logged, not asserted (it depends on the
// scheduler); it shows that the test above would catch the problem.
func TestReadingTheDetailInASecondCallIsUnreliable(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement only")
	}
	old := yield
	yield = runtime.Gosched
	defer func() { yield = old }()
	dir := filepath.Join(t.TempDir(), "missing")
	var wrong int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			bad := 0
			for i := 0; i < callsEach; i++ {
				path := fmt.Sprintf("%s/g%02d-call%05d.srd", dir, g, i)
				st, msg := openThenReadDetailSeparately(path, NoCreate)
				if st != StatusNotFound || !strings.Contains(msg, path+":") {
					bad++
				}
			}
			mu.Lock()
			wrong += int64(bad)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	t.Logf("separate cgo call with a yield between: %d of %d messages belonged to another call",
		wrong, goroutines*callsEach)
}

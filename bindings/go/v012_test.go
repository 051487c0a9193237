package srd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func mustPut(t *testing.T, st *Store, k, v string) {
	t.Helper()
	if err := st.Put([]byte(k), []byte(v)); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t *testing.T, st *Store, k, want string) {
	t.Helper()
	got, err := st.Get([]byte(k))
	if err != nil || string(got) != want {
		t.Fatalf("Get(%q) = %q, %v; want %q", k, got, err, want)
	}
}

func fileSize(t *testing.T, st *Store) uint64 {
	t.Helper()
	n, err := st.FileSize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func isConflict(t *testing.T, err error, op string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrConflict) || e.Status != StatusConflict ||
		e.Op != op || e.Errno != 0 || e.Message == "" || e.Status.Code() != "SRD_CONFLICT" {
		t.Fatalf("%s: want its own SRD_CONFLICT error, got %#v", op, err)
	}
}

func TestConditionalWrites(t *testing.T) {
	st, _ := openTemp(t)
	k := []byte("k")
	if err := st.PutIfAbsent(k, []byte("first")); err != nil {
		t.Fatal(err)
	}
	v1, err := st.Version(k)
	if err != nil {
		t.Fatal(err)
	}
	val, v1b, err := st.GetWithVersion(k)
	if err != nil || string(val) != "first" || v1b != v1 {
		t.Fatalf("GetWithVersion = %q, %d, %v; Version %d", val, v1b, err, v1)
	}
	en, err := st.GetEntry(k)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := en.Version(); err != nil || ev != v1 {
		t.Fatalf("Entry.Version = %d, %v; want %d", ev, err, v1)
	}
	en.Close()
	if _, err := en.Version(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Entry.Version after Close: %v", err)
	}

	// Conflicts write nothing: the file does not grow, the value stays.
	size := fileSize(t, st)
	isConflict(t, st.PutIfAbsent(k, []byte("second")), "PutIfAbsent")
	isConflict(t, st.PutIfVersion(k, v1+1, []byte("second")), "PutIfVersion")
	isConflict(t, st.DeleteIfVersion(k, v1+1), "DeleteIfVersion")
	isConflict(t, st.PutIfVersion([]byte("absent"), v1, []byte("x")), "PutIfVersion")
	isConflict(t, st.DeleteIfVersion([]byte("absent"), v1), "DeleteIfVersion")
	if got := fileSize(t, st); got != size {
		t.Fatalf("conflicts wrote %d bytes", got-size)
	}
	mustGet(t, st, "k", "first")

	if err := st.PutIfVersion(k, v1, []byte("second")); err != nil {
		t.Fatal(err)
	}
	v2, err := st.Version(k)
	if err != nil || v2 == v1 {
		t.Fatalf("version after a swap: %d (was %d), %v", v2, v1, err)
	}
	isConflict(t, st.PutIfVersion(k, v1, []byte("stale")), "PutIfVersion")
	mustGet(t, st, "k", "second")
	if err := st.DeleteIfVersion(k, v2); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Version(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Version of a deleted key: %v", err)
	}
	if err := st.PutIfAbsent(k, []byte("again")); err != nil {
		t.Fatalf("PutIfAbsent after delete: %v", err)
	}
	// A compaction moves every value: versions read before it no longer match.
	v3, _ := st.Version(k)
	mustPut(t, st, "filler", "x")
	if err := st.Compact(); err != nil {
		t.Fatal(err)
	}
	if v4, _ := st.Version(k); v4 == v3 {
		t.Skipf("compaction kept the value at offset %d", v3)
	}
	isConflict(t, st.PutIfVersion(k, v3, []byte("stale")), "PutIfVersion")
	if err := st.PutIfAbsent(nil, []byte("v")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("PutIfAbsent with an empty key: %v", err)
	}
}

// 8 goroutines increment one counter by compare-and-swap: no increment is
// lost, and every conflict is an ErrConflict of its own call.
func TestCASCounterLosesNoIncrement(t *testing.T) {
	st, _ := openTemp(t)
	const workers, each = 8, 300
	key := []byte("counter")
	if err := st.PutIfAbsent(key, []byte("0")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := 0
			for i := 0; i < each; {
				v, ver, err := st.GetWithVersion(key)
				if err != nil {
					errs <- err
					return
				}
				n, _ := strconv.Atoi(string(v))
				runtime.Gosched() // let the others race for the same version
				err = st.PutIfVersion(key, ver, []byte(strconv.Itoa(n+1)))
				var e *Error
				switch {
				case err == nil:
					i++
				case errors.As(err, &e) && e.Status == StatusConflict && e.Op == "PutIfVersion" && e.Errno == 0:
					mine++
				default:
					errs <- err
					return
				}
			}
			mu.Lock()
			conflicts += mine
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mustGet(t, st, "counter", strconv.Itoa(workers*each))
	t.Logf("%d goroutines x %d increments, %d conflicts retried", workers, each, conflicts)
	if conflicts == 0 {
		t.Log("no conflicts: the goroutines never raced (the test proved little)")
	}
}

func TestSnapshotIsFrozen(t *testing.T) {
	st, _ := openTemp(t)
	mustPut(t, st, "a", "old-a")
	mustPut(t, st, "b", "old-b")
	snap, err := st.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	mustPut(t, st, "a", "new-a")
	mustPut(t, st, "c", "new-c")
	if err := st.Delete([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := st.Compact(); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		mustGet(t, snap, "a", "old-a")
		mustGet(t, snap, "b", "old-b")
		if ok, err := snap.Exists([]byte("c")); ok || err != nil {
			t.Fatalf("snapshot sees a later key: %v, %v", ok, err)
		}
		if n, err := snap.Count(); n != 2 || err != nil {
			t.Fatalf("snapshot Count = %d, %v", n, err)
		}
	}
	check()
	mustGet(t, st, "a", "new-a")
	// A snapshot of the snapshot shows the same moment.
	snap2, err := snap.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, snap2, "b", "old-b")
	snap2.Close()
	st.Close()
	check()
	v, err := snap.Version([]byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Put":             snap.Put([]byte("a"), []byte("x")),
		"Delete":          snap.Delete([]byte("a")),
		"PutIfAbsent":     snap.PutIfAbsent([]byte("z"), []byte("x")),
		"PutIfVersion":    snap.PutIfVersion([]byte("a"), v, []byte("x")),
		"DeleteIfVersion": snap.DeleteIfVersion([]byte("a"), v),
		"Compact":         snap.Compact(),
		"Apply":           func() error { _, err := snap.Apply([]Op{PutOp([]byte("a"), []byte("x"))}); return err }(),
	} {
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrReadOnly) || e.Op != name {
			t.Fatalf("%s on a snapshot: %#v", name, err)
		}
	}
	check()
}

func TestBackupAndIncrementalBackup(t *testing.T) {
	st, _ := openTemp(t)
	dst := filepath.Join(t.TempDir(), "backup.srd")
	want := map[string]string{}
	for i := 0; i < 200; i++ {
		k, v := fmt.Sprintf("k%03d", i), strings.Repeat(fmt.Sprint(i), 50)
		mustPut(t, st, k, v)
		want[k] = v
	}
	var calls int
	var last, lastTotal uint64
	if err := st.Backup(dst, func(done, total uint64) {
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		calls++
		last, lastTotal = done, total
	}); err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != lastTotal || last == 0 {
		t.Fatalf("progress: %d calls, last %d/%d", calls, last, lastTotal)
	}
	checkBackup := func(want map[string]string) {
		t.Helper()
		b, err := Open(dst, ReadOnly)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if n, err := b.Count(); err != nil || n != uint64(len(want)) {
			t.Fatalf("backup Count = %d, %v; want %d", n, err, len(want))
		}
		for k, v := range want {
			mustGet(t, b, k, v)
		}
	}
	checkBackup(want)
	first, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	fi1, _ := os.Stat(dst)

	for i := 200; i < 260; i++ {
		k, v := fmt.Sprintf("k%03d", i), fmt.Sprint("later-", i)
		mustPut(t, st, k, v)
		want[k] = v
	}
	mustPut(t, st, "k000", "overwritten")
	want["k000"] = "overwritten"
	if err := st.Delete([]byte("k001")); err != nil {
		t.Fatal(err)
	}
	delete(want, "k001")
	if err := st.Backup(dst, nil); err != nil { // no progress: NULL callback
		t.Fatal(err)
	}
	checkBackup(want)
	second, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) <= len(first) || !bytes.Equal(second[:len(first)], first) {
		t.Fatalf("second backup (%d bytes) does not extend the first (%d bytes)", len(second), len(first))
	}
	fi2, _ := os.Stat(dst)
	if fi1.Sys().(*syscall.Stat_t).Ino != fi2.Sys().(*syscall.Stat_t).Ino {
		t.Fatal("second backup replaced the file instead of appending to it")
	}

	// Each failure carries its own detail: a destination in a missing directory.
	bad := filepath.Join(t.TempDir(), "missing", "b.srd")
	err = st.Backup(bad, nil)
	var e *Error
	if !errors.As(err, &e) || e.Op != "Backup" || e.Status == StatusOK || !strings.Contains(e.Message, "missing") {
		t.Fatalf("Backup into a missing directory: %#v", err)
	}
	t.Logf("backup into a missing directory: %s (errno %d)", e.Message, e.Errno)

	// A panic in the progress function comes back out of Backup, after it.
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v", r)
			}
		}()
		st.Backup(filepath.Join(t.TempDir(), "p.srd"), func(done, total uint64) { panic("boom") })
		t.Fatal("Backup did not re-raise the progress panic")
	}()
}

func TestApplyMixedBatch(t *testing.T) {
	st, _ := openTemp(t)
	mustPut(t, st, "gone", "x")
	mustPut(t, st, "twice", "x")
	deleted, err := st.Apply([]Op{
		PutOp([]byte("a"), []byte("1")),
		PutOp([]byte("a"), []byte("2")), // a later item wins
		DeleteOp([]byte("gone")),
		DeleteOp([]byte("never-there")), // skipped
		DeleteOp([]byte("twice")),
		DeleteOp([]byte("twice")), // already deleted in this batch: skipped
		PutOp([]byte("b"), []byte("b1")),
		DeleteOp([]byte("b")),
		PutOp([]byte("b"), []byte("b2")),
	})
	if err != nil || deleted != 3 {
		t.Fatalf("Apply = %d, %v; want 3 deletes", deleted, err)
	}
	mustGet(t, st, "a", "2")
	mustGet(t, st, "b", "b2")
	for _, k := range []string{"gone", "twice", "never-there"} {
		if ok, _ := st.Exists([]byte(k)); ok {
			t.Fatalf("%s still exists", k)
		}
	}
	if n, err := st.Apply(nil); n != 0 || err != nil {
		t.Fatalf("empty Apply = %d, %v", n, err)
	}

	// One invalid item rejects all, and the message names it.
	size := fileSize(t, st)
	for i, bad := range []Op{
		PutOp(nil, []byte("v")),
		PutOp([]byte("k"), nil),
		PutOp([]byte("k"), []byte{0}),
		DeleteOp(nil),
		{Kind: 7, Key: []byte("k")},
	} {
		_, err := st.Apply([]Op{PutOp([]byte("new"), []byte("v")), DeleteOp([]byte("a")), bad})
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalidArgument) || e.Op != "Apply" ||
			!strings.Contains(e.Message, "batch item 2") {
			t.Fatalf("invalid item %d: %#v", i, err)
		}
	}
	if got := fileSize(t, st); got != size {
		t.Fatalf("rejected batches wrote %d bytes", got-size)
	}
	mustGet(t, st, "a", "2")
	if ok, _ := st.Exists([]byte("new")); ok {
		t.Fatal("a rejected batch wrote an item")
	}
}

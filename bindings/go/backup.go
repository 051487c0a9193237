package srd

// The Go side of Backup's progress callback. It lives in its own file
// because a file with //export may only declare, not define, C functions in
// its preamble (srd.go defines the C trampoline that calls it).

// #include <stdint.h>
import "C"

import "runtime/cgo"

// backupProgress is what a Backup's cgo.Handle refers to: the caller's
// function, and a panic it raised (re-raised by Backup once the C call has
// returned, so that no panic unwinds through the library's frames).
type backupProgress struct {
	fn         func(done, total uint64)
	panicked   bool
	panicValue any
}

//export srdgoBackupProgress
func srdgoBackupProgress(h C.uintptr_t, done, total C.uint64_t) {
	pr := cgo.Handle(h).Value().(*backupProgress)
	if pr.panicked {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			pr.panicked = true
			pr.panicValue = r
		}
	}()
	pr.fn(uint64(done), uint64(total))
}

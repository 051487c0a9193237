package srd

import (
	"strconv"
	"syscall"
)

// Status is the C API's srd_status: the kind of a failure. Statuses are also
// errors, so they serve as sentinels for errors.Is:
//
//	if errors.Is(err, srd.ErrNotFound) { ... }
type Status int32

// The statuses of the C API (include/simd_r_drive.h).
const (
	StatusOK              Status = 0
	StatusNotFound        Status = 1
	StatusInvalidArgument Status = 2
	StatusIO              Status = 3
	StatusCorrupt         Status = 4
	StatusLocked          Status = 5
	StatusReadOnly        Status = 6
	StatusPanic           Status = 7
	StatusBusy            Status = 8
	StatusBroken          Status = 9
	StatusConflict        Status = 10
)

// Sentinel errors, one per failure status, for errors.Is.
var (
	ErrNotFound        error = StatusNotFound
	ErrInvalidArgument error = StatusInvalidArgument
	ErrIO              error = StatusIO
	ErrCorrupt         error = StatusCorrupt
	ErrLocked          error = StatusLocked
	ErrReadOnly        error = StatusReadOnly
	ErrPanic           error = StatusPanic
	ErrBusy            error = StatusBusy
	ErrBroken          error = StatusBroken
	// ErrConflict: a conditional write (PutIfAbsent, PutIfVersion,
	// DeleteIfVersion) found its condition false; nothing was written.
	ErrConflict error = StatusConflict
)

var statusNames = [...]string{
	"SRD_OK", "SRD_NOT_FOUND", "SRD_INVALID_ARGUMENT", "SRD_IO", "SRD_CORRUPT",
	"SRD_LOCKED", "SRD_READ_ONLY", "SRD_PANIC", "SRD_BUSY", "SRD_BROKEN",
	"SRD_CONFLICT",
}

// Code is the status's name in the C API, e.g. "SRD_NOT_FOUND".
func (s Status) Code() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "SRD_STATUS_" + strconv.Itoa(int(s))
}

// String is the library's short description of the status
// (srd_status_str), e.g. "not found".
func (s Status) String() string { return statusText(s) }

// Error makes a Status usable as a sentinel error.
func (s Status) Error() string { return "simd-r-drive: " + statusText(s) }

// Error is a failed call: its status, and the message and OS error number
// the library recorded for that very call. The binding reads the detail in
// the same native call as the operation (rule E5 of the C header), so it
// cannot belong to another goroutine's call.
type Error struct {
	Op      string        // the Go method, e.g. "Open" or "Get"
	Status  Status        // what kind of failure
	Message string        // srd_last_error_message() of this call
	Errno   syscall.Errno // srd_last_error_os_errno() of this call; 0 if none
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = statusText(e.Status)
	}
	return "simd-r-drive: " + e.Op + ": " + msg
}

// Is reports whether target is this error's Status (a sentinel such as
// ErrNotFound).
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// Unwrap returns the OS error number, if any, so errors.Is(err,
// fs.ErrNotExist) and errors.Is(err, syscall.ENOSPC) work.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// ErrClosed is returned by calls on a Store, Entry or Iterator after Close.
var ErrClosed = &Error{Op: "use", Status: StatusInvalidArgument, Message: "handle is closed"}

//! The operating-system layer: files beside the store, locks, memory maps,
//! preallocation, snapshots for readers that others may cut, and which
//! process owns a handle. Depends on nothing else in the crate but `error`
//! and `format`; every system call of the crate lives here.

pub(crate) mod file;
// pthread_atfork.
#[allow(unsafe_code)]
pub(crate) mod fork;
// Unmapping, and slices of mapped memory.
#[allow(unsafe_code)]
pub mod mapping;
pub(crate) mod paths;
// Slices of the writable window.
#[allow(unsafe_code)]
pub(crate) mod prealloc;
// mmap/munmap of the snapshot's pages.
#[allow(unsafe_code)]
pub(crate) mod snapshot;

// The platform split: Linux's fast paths, or the generic Unix path (also
// on Linux with `--cfg srd_generic_unix`, which the test command uses to
// run the suites through it). Both define the same functions.
#[cfg(all(target_os = "linux", not(srd_generic_unix)))]
// fcntl, fstatfs, fallocate, membarrier, clock_gettime.
#[allow(unsafe_code)]
pub(crate) mod linux;
#[cfg(all(target_os = "linux", not(srd_generic_unix)))]
pub(crate) use linux as platform;

#[cfg(not(all(target_os = "linux", not(srd_generic_unix))))]
// clock_gettime.
#[allow(unsafe_code)]
pub(crate) mod generic;
#[cfg(not(all(target_os = "linux", not(srd_generic_unix))))]
pub(crate) use generic as platform;

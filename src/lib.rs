//! simd-r-drive for C: an append-only, single-file key/value store with
//! zero-copy, 64-byte aligned reads.
//!
//! Layers, each depending only on those above it:
//! - [`error`], [`format`]: errors; the encoding of entries (no I/O);
//! - `os`: every system call (side files and their names, locks, memory
//!   maps, preallocation, snapshots for readers, fork ownership); `sync`:
//!   the read-copy-update cell readers enter views through, and waiting;
//! - `index`: the in-memory table and its copy on disk ([`persist`]);
//! - `recovery`: validating a file and rebuilding its index;
//! - `engine`: [`Store`], a front over its readers, writer and durability
//!   (open, read, append, publish, group commit);
//! - `ops`: operations built on the engine (compaction, streams, refresh,
//!   iteration, verification, transfers, salvage); the engine never uses
//!   them;
//! - `ffi`: the C API, the only place with `extern "C"` functions.

// The unsafe discipline: every `unsafe` block states the invariant it relies
// on, and an `unsafe fn` body is no blanket licence.
// `unsafe` is denied everywhere but in the modules allowed below, each for
// a stated reason.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]

pub mod engine;
pub mod error;
pub mod format;

// Raw pointers from C.
#[allow(unsafe_code)]
mod ffi;
// Prefetch intrinsics, the table in a mapped index copy.
#[allow(unsafe_code)]
mod index;
mod ops;
mod os;
mod recovery;
mod sync;

pub use index::persist;
pub use ops::salvage;

pub use engine::{BatchOp, CompactStats, Entry, Expect, OpenOptions, Store};
pub use error::{Error, Result};
pub use ops::backup::BackupReport;
pub use ops::iter::Iter;
pub use ops::refresh::RefreshStats;
pub use ops::salvage::{salvage, SalvageReport};
pub use ops::stream::Stream;
pub use ops::verify::VerifyReport;
pub use os::mapping;
pub use os::mapping::MemorySource;

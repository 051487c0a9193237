//! simd-r-drive for C: an append-only, single-file key/value store with
//! zero-copy, 64-byte aligned reads.
//!
//! The crate has three layers: [`format`] (encoding of entries, no I/O), the
//! engine ([`store::Store`], with recovery and compaction), and `ffi`, the C
//! API (the only place with `extern "C"` functions and raw pointers).

// The unsafe discipline: every `unsafe` block states the invariant it relies
// on, and an `unsafe fn` body is no blanket licence.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod error;
pub mod format;
pub mod store;

mod compact;
mod ffi;
mod index;
mod iter;
mod os;
pub mod persist;
mod recovery;
mod refresh;
pub mod salvage;
mod stream;
mod transfer;
mod verify;
mod view_cell;

pub use error::{Error, Result};
pub use iter::Iter;
pub use os::mapping;
pub use os::mapping::MemorySource;
pub use refresh::RefreshStats;
pub use salvage::{salvage, SalvageReport};
pub use store::{CompactStats, Entry, OpenOptions, Store};
pub use stream::Stream;
pub use verify::VerifyReport;

//! The operating-system layer: files beside the store, locks, memory maps,
//! preallocation, snapshots for readers that others may cut, and which
//! process owns a handle. Depends on nothing else in the crate but `error`
//! and `format`; every system call of the crate lives here.

pub(crate) mod file;
pub(crate) mod fork;
pub mod mapping;
pub(crate) mod paths;
pub(crate) mod prealloc;
pub(crate) mod snapshot;

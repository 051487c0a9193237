//! The operating-system layer: how files beside the store are created and
//! opened. Depends on nothing else in the crate.

pub(crate) mod file;
pub(crate) mod snapshot;

//! Operations built on the engine (`crate::engine`): compaction, streams,
//! refresh of read-only handles, iteration, verification, transfers between
//! stores, salvage, online backup. The engine itself never uses this
//! module.

pub(crate) mod backup;
pub(crate) mod compact;
pub(crate) mod iter;
pub(crate) mod refresh;
pub mod salvage;
pub(crate) mod stream;
pub(crate) mod transfer;
pub(crate) mod verify;

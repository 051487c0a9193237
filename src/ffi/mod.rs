#![allow(non_camel_case_types)]

//! The C API: the only module with `extern "C"` functions and raw pointers.
//!
//! Every export validates its arguments (handles through [`handle::Handle`],
//! buffers, arrays and outputs through [`args`]), runs inside
//! [`error::guard`] (so a panic becomes `SRD_PANIC` instead of unwinding
//! into C), and writes its outputs only on success.

pub(crate) mod args;
pub mod backup;
pub mod conditional;
pub mod entry;
pub mod error;
pub(crate) mod handle;
pub mod iter;
pub mod keys;
pub mod nested;
pub mod read;
pub mod salvage;
pub mod store;
pub mod stream;
pub mod transfer;
pub mod verify;
pub mod version;
pub mod write;

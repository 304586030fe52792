//! Quoting for POSIX shells (faultline-core's, one helper for every crate).

pub use faultline_core::shell::quote;

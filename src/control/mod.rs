//! Reaching nodes: the SSH implementation of the core's `Remote` protocol.

mod shell;
mod ssh;

pub use shell::quote;
pub use ssh::SshRemote;

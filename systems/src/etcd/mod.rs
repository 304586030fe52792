//! etcd: its lifecycle on the nodes, a client of its v3 JSON gateway, and
//! the [`faultline_core::System`] that joins them.

mod bank;
mod client;
mod counter;
mod db;
pub mod identity;
mod leader;
mod lock;
mod membership;
mod set;
mod suite;
mod system;
mod txn;
mod unique_ids;
mod watch;

pub use client::EtcdClient;
pub use db::{client_url, peer_url, pid_file, EtcdDb};
pub use leader::find_leader;
pub use suite::Etcd;
pub use system::{EtcdOptions, EtcdSystem};

//! etcd: its lifecycle on the nodes and a client of its v3 JSON gateway.

mod client;
mod db;
pub mod identity;
mod leader;
mod txn;

pub use client::EtcdClient;
pub use db::{client_url, peer_url, pid_file, EtcdDb};
pub use leader::find_leader;

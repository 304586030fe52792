//! Redis from Debian's packages: one primary (the first node) and every
//! other node its replica (`--replicaof`), persistence as chosen, Redis
//! Sentinel for failover if asked, a client on the `redis` crate that
//! writes to the primary and reads from the primary or from its own node.

mod bank;
mod client;
mod db;
mod options;
pub mod sentinel;
mod stream;
mod suite;
mod system;
mod txn;

pub use client::RedisClient;
pub use db::{pid_file, RedisDb};
pub use options::{Persistence, RedisOptions, RedisReads};
pub use suite::Redis;
pub use system::RedisSystem;

//! PostgreSQL from Debian's packages: one primary (the first node, made
//! by `initdb`) and every other node a hot standby streaming from it,
//! commits waiting for a replica or not, every transaction at the
//! isolation level asked for; a client on `tokio-postgres` that writes to
//! the primary and reads from it or from its own node.

mod bank;
mod client;
mod db;
mod options;
mod suite;
mod system;

pub use client::PostgresClient;
pub use db::{pid_file, resume, PostgresDb};
pub use options::{Isolation, PostgresOptions, PostgresReads, Replication};
pub use suite::Postgres;
pub use system::PostgresSystem;

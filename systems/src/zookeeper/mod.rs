//! ZooKeeper from Debian's packages: an ensemble of every node (the
//! `zookeeper` package's server, run on its own configuration under
//! `<node dir>/zookeeper`), and a client on the `zookeeper-client` crate
//! that keeps one session with the server on its own node, as Jepsen's
//! ZooKeeper test does. Registers are znodes compared and set by version.

mod bank;
mod client;
mod db;
mod options;
mod suite;
mod system;

pub use client::ZookeeperClient;
pub use db::{pid_file, ZookeeperDb};
pub use options::{ZookeeperOptions, ZookeeperReads};
pub use suite::Zookeeper;
pub use system::ZookeeperSystem;

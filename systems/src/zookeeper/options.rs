//! The ZooKeeper suite's own options: whether a read syncs first.

use serde::{Deserialize, Serialize};

/// ZooKeeper's options (`faultline test zookeeper --reads`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct ZookeeperOptions {
    /// How reads are made: synced (`sync`, then read: current, checked as linearizable) or local (what the client's own server has: ZooKeeper promises only that a client never sees the past again, so stale reads are expected and reported).
    #[arg(long, value_enum, default_value_t = ZookeeperReads::Synced)]
    pub reads: ZookeeperReads,
}

/// How a client reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ZookeeperReads {
    /// `sync` then read: the client's server first catches up with the
    /// leader, so the read sees every write completed before the sync.
    #[default]
    Synced,
    /// Read what the client's server has: ZooKeeper promises only that a
    /// client's own view never goes back (sequential consistency), so
    /// another client's completed write may be missing.
    Local,
}

impl ZookeeperOptions {
    /// Whether a read sees every write completed before it began, which
    /// the linearizability and set checkers then demand.
    pub fn reads_are_current(self) -> bool {
        self.reads == ZookeeperReads::Synced
    }
}

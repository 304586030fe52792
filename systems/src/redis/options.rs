//! The Redis suite's own options: where reads go and how writes persist.

use faultline_checkers::serializable::ConsistencyModel;
use serde::{Deserialize, Serialize};

/// Redis's options (`faultline test redis --reads --persistence`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedisOptions {
    /// Where reads go.
    pub reads: RedisReads,
    /// How the servers persist writes.
    pub persistence: Persistence,
    /// A sentinel beside every server, failing the primary over.
    #[serde(default)]
    pub sentinel: bool,
}

impl RedisOptions {
    /// What transactions are held to: `MULTI` / `EXEC` on the primary runs
    /// each alone in one order, so strict serializability; a replica
    /// applies the primary's transactions in that order, whole, but late,
    /// so read-only transactions there are only serializable.
    pub fn consistency_model(self) -> ConsistencyModel {
        match self.reads {
            RedisReads::Primary => ConsistencyModel::StrictSerializable,
            RedisReads::Local => ConsistencyModel::Serializable,
        }
    }
}

/// Where a client reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RedisReads {
    /// From the primary, where every write goes.
    #[default]
    Primary,
    /// From the node the client is on: a replica lags behind the primary.
    Local,
}

/// How Redis persists writes (`appendonly`, `appendfsync`, `save`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Persistence {
    /// Append-only file, fsynced before every reply (`appendfsync always`).
    #[default]
    Always,
    /// Append-only file, fsynced once a second.
    Everysec,
    /// Append-only file, fsynced when the kernel decides.
    No,
    /// No append-only file: a snapshot every second when anything changed
    /// (`save 1 1`); what came after the last snapshot is lost on a restart.
    Snapshot,
}

impl Persistence {
    /// The server's arguments for it.
    pub fn arguments(self) -> &'static str {
        match self {
            Persistence::Always => "--appendonly yes --appendfsync always --save ''",
            Persistence::Everysec => "--appendonly yes --appendfsync everysec --save ''",
            Persistence::No => "--appendonly yes --appendfsync no --save ''",
            Persistence::Snapshot => "--appendonly no --save '1 1'",
        }
    }
}

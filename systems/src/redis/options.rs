//! The Redis suite's own options: where reads go and how writes persist.

use faultline_checkers::serializable::ConsistencyModel;
use serde::{Deserialize, Serialize};

/// Redis's options (`faultline test redis --reads --persistence`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct RedisOptions {
    /// Where reads go: primary (where every write goes), or local (the client's own node: replicas lag).
    #[arg(long, value_enum, default_value_t = RedisReads::Primary)]
    pub reads: RedisReads,
    /// How writes persist: always (append-only file fsynced before each reply), everysec, no (fsync left to the kernel), snapshot (no append-only file; a snapshot each second with changes).
    #[arg(long, value_enum, default_value_t = Persistence::Always)]
    pub persistence: Persistence,
    /// Run Redis Sentinel beside every server: when the primary stops answering for 1 s, a majority of sentinels promote a replica, and clients ask a sentinel where the primary is.
    #[arg(long)]
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

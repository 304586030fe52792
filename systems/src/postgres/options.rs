//! The PostgreSQL suite's own options: the isolation level transactions
//! ask for, where read-only work goes, and whether commits wait for a
//! replica.

use faultline_checkers::serializable::ConsistencyModel;
use serde::{Deserialize, Serialize};

/// PostgreSQL's options (`faultline test postgres --isolation --reads --replication`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct PostgresOptions {
    /// The isolation level of every transaction: read-committed, repeatable-read (snapshot isolation) or serializable (SSI); the checker holds PostgreSQL to what it promises for the level.
    #[arg(long, value_enum, default_value_t = Isolation::Serializable)]
    pub isolation: Isolation,
    /// Where reads and read-only transactions go: primary, or local (the client's own node, a hot standby that lags; only read committed is promised then).
    #[arg(long, value_enum, default_value_t = PostgresReads::Primary)]
    pub reads: PostgresReads,
    /// Whether a commit waits for a replica to have it on disk: async or sync.
    #[arg(long, value_enum, default_value_t = Replication::Async)]
    pub replication: Replication,
}

/// A transaction isolation level PostgreSQL offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// Each statement sees what was committed when it began.
    ReadCommitted,
    /// One snapshot for the whole transaction: snapshot isolation.
    RepeatableRead,
    /// Serializable snapshot isolation (SSI).
    #[default]
    Serializable,
}

impl Isolation {
    /// Its name in SQL (`SET default_transaction_isolation`).
    pub fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableRead => "repeatable read",
            Isolation::Serializable => "serializable",
        }
    }
}

/// Where read-only work goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PostgresReads {
    /// To the primary, where every write goes.
    #[default]
    Primary,
    /// To the node the client is on: a hot standby replays the primary's
    /// log behind it.
    Local,
}

/// Whether a commit waits for a replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Replication {
    /// Commits return once on the primary's disk; replicas follow.
    #[default]
    Async,
    /// Commits wait until one replica has them on disk
    /// (`synchronous_standby_names = 'ANY 1 (*)'`).
    Sync,
}

impl PostgresOptions {
    /// What PostgreSQL promises transactions with these options, as the
    /// serializability checker names it. Sources, in PostgreSQL 15's
    /// manual: "Transaction Isolation" (13.2) gives read committed no dirty
    /// reads (Adya's G0, G1), repeatable read one snapshot per transaction
    /// (snapshot isolation: Fekete et al., "Making snapshot isolation
    /// serializable", and Ports & Grittner, VLDB 2012, which say so of
    /// PostgreSQL), serializable "any concurrent execution of a set of
    /// Serializable transactions is guaranteed to produce the same effect
    /// as running them one at a time in some order" (no real-time
    /// promise). "Hot Standby" (27.4) promises a standby's queries only a
    /// consistent view of the past, refuses serializable there, and says
    /// nothing of how it orders commits against the primary's readers; so
    /// with reads on replicas only read committed is promised.
    pub fn consistency_model(self) -> ConsistencyModel {
        match (self.reads, self.isolation) {
            (PostgresReads::Local, _) | (_, Isolation::ReadCommitted) => {
                ConsistencyModel::ReadCommitted
            }
            (PostgresReads::Primary, Isolation::RepeatableRead) => {
                ConsistencyModel::SnapshotIsolation
            }
            (PostgresReads::Primary, Isolation::Serializable) => ConsistencyModel::Serializable,
        }
    }

    /// Whether a read is promised everything acknowledged before it began
    /// (single statements on the primary are; a standby lags).
    pub fn reads_are_current(self) -> bool {
        self.reads == PostgresReads::Primary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_promise_no_more_than_read_committed() {
        let strongest = PostgresOptions::default();
        assert_eq!(
            strongest.consistency_model(),
            ConsistencyModel::Serializable
        );
        let on_replicas = PostgresOptions {
            reads: PostgresReads::Local,
            ..strongest
        };
        assert_eq!(
            on_replicas.consistency_model(),
            ConsistencyModel::ReadCommitted
        );
        let snapshot = PostgresOptions {
            isolation: Isolation::RepeatableRead,
            ..strongest
        };
        assert_eq!(
            snapshot.consistency_model(),
            ConsistencyModel::SnapshotIsolation
        );
    }
}

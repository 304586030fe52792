//! The anomalies the serializability checker names, and which consistency
//! models each one rules out (Adya's phenomena as Elle uses them).

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A dependency cycle's class, by its read-write (anti-dependency) edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum CycleClass {
    /// Write-write edges only (dirty write).
    G0,
    /// Write-write and write-read edges, at least one write-read.
    G1c,
    /// Exactly one read-write edge.
    GSingle,
    /// Two or more read-write edges, no two adjacent.
    GNonadjacent,
    /// Two or more read-write edges, some adjacent (write skew).
    G2Item,
}

/// Which order edges besides data dependencies a cycle needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Via {
    /// Data dependencies only.
    Data,
    /// At least one process-order edge.
    Process,
    /// At least one real-time edge.
    Realtime,
}

/// An anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnomalyKind {
    /// A dependency cycle.
    Cycle(CycleClass, Via),
    /// Read a write of an aborted transaction.
    G1a,
    /// Read a value a transaction later overwrote within itself.
    G1b,
    /// A transaction did not see its own earlier reads and writes.
    Internal,
    /// Two reads of a key whose orders cannot both be true.
    IncompatibleOrder,
    /// An element appears twice in one read.
    DuplicateElements,
    /// Two committed transactions read the same version and both wrote it.
    LostUpdate,
    /// Read a value nobody wrote.
    GarbageRead,
}

impl AnomalyKind {
    /// Elle's name: `G0`, `G-single-realtime`, `internal`...
    pub fn name(self) -> String {
        match self {
            AnomalyKind::Cycle(class, via) => {
                let base = match class {
                    CycleClass::G0 => "G0",
                    CycleClass::G1c => "G1c",
                    CycleClass::GSingle => "G-single",
                    CycleClass::GNonadjacent => "G-nonadjacent",
                    CycleClass::G2Item => "G2-item",
                };
                match via {
                    Via::Data => base.to_owned(),
                    Via::Process => format!("{base}-process"),
                    Via::Realtime => format!("{base}-realtime"),
                }
            }
            AnomalyKind::G1a => "G1a".into(),
            AnomalyKind::G1b => "G1b".into(),
            AnomalyKind::Internal => "internal".into(),
            AnomalyKind::IncompatibleOrder => "incompatible-order".into(),
            AnomalyKind::DuplicateElements => "duplicate-elements".into(),
            AnomalyKind::LostUpdate => "lost-update".into(),
            AnomalyKind::GarbageRead => "garbage-read".into(),
        }
    }

    /// What it means, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            AnomalyKind::Cycle(CycleClass::G0, _) => "transactions overwrote each other's writes in a cycle (dirty write)",
            AnomalyKind::Cycle(CycleClass::G1c, _) => "transactions saw each other's writes in a cycle (circular information flow)",
            AnomalyKind::Cycle(CycleClass::GSingle, _) => "a transaction missed a write that, through the others, it also depended on (read skew)",
            AnomalyKind::Cycle(CycleClass::GNonadjacent, _) => "a cycle of dependencies with non-adjacent anti-dependencies, which snapshot isolation forbids",
            AnomalyKind::Cycle(CycleClass::G2Item, _) => "transactions each missed the other's writes (write skew)",
            AnomalyKind::G1a => "a transaction read a write of a transaction that aborted (aborted read)",
            AnomalyKind::G1b => "a transaction read a value another transaction later overwrote within itself (intermediate read)",
            AnomalyKind::Internal => "a transaction's read disagrees with its own earlier reads and writes",
            AnomalyKind::IncompatibleOrder => "two reads of a key show orders of its elements that cannot both be true",
            AnomalyKind::DuplicateElements => "an element appended once appears twice in a read",
            AnomalyKind::LostUpdate => "two committed transactions read the same version of a key and both wrote it: one update is lost",
            AnomalyKind::GarbageRead => "a read returned a value that no transaction wrote",
        }
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A consistency model a history may be required to satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConsistencyModel {
    /// Adya PL-1: no G0.
    ReadUncommitted,
    /// Adya PL-2: no G0, G1.
    ReadCommitted,
    /// Adya PL-2.99: no G0, G1, G2-item.
    RepeatableRead,
    /// No G0, G1, G-single, G-nonadjacent, lost update.
    SnapshotIsolation,
    /// Snapshot isolation plus each process sees its own earlier transactions.
    StrongSessionSnapshotIsolation,
    /// Adya PL-3: no dependency cycle.
    Serializable,
    /// Serializable plus each process's transactions in its order.
    StrongSessionSerializable,
    /// Serializable plus real-time order.
    StrictSerializable,
}

impl ConsistencyModel {
    /// Every model, weakest first.
    pub const ALL: [ConsistencyModel; 8] = [
        ConsistencyModel::ReadUncommitted,
        ConsistencyModel::ReadCommitted,
        ConsistencyModel::RepeatableRead,
        ConsistencyModel::SnapshotIsolation,
        ConsistencyModel::StrongSessionSnapshotIsolation,
        ConsistencyModel::Serializable,
        ConsistencyModel::StrongSessionSerializable,
        ConsistencyModel::StrictSerializable,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ConsistencyModel::ReadUncommitted => "read-uncommitted",
            ConsistencyModel::ReadCommitted => "read-committed",
            ConsistencyModel::RepeatableRead => "repeatable-read",
            ConsistencyModel::SnapshotIsolation => "snapshot-isolation",
            ConsistencyModel::StrongSessionSnapshotIsolation => "strong-session-snapshot-isolation",
            ConsistencyModel::Serializable => "serializable",
            ConsistencyModel::StrongSessionSerializable => "strong-session-serializable",
            ConsistencyModel::StrictSerializable => "strict-serializable",
        }
    }

    /// Which order edges the model orders transactions by.
    pub fn orders_by(self) -> (bool, bool) {
        use ConsistencyModel::*;
        let process = matches!(
            self,
            StrongSessionSnapshotIsolation | StrongSessionSerializable | StrictSerializable
        );
        (process, self == StrictSerializable)
    }

    /// Whether the model rules out `kind`.
    pub fn forbids(self, kind: AnomalyKind) -> bool {
        use ConsistencyModel::*;
        let level = match self {
            ReadUncommitted => 0,
            ReadCommitted => 1,
            RepeatableRead => 2,
            SnapshotIsolation | StrongSessionSnapshotIsolation => 3,
            Serializable | StrongSessionSerializable | StrictSerializable => 4,
        };
        match kind {
            AnomalyKind::Internal
            | AnomalyKind::IncompatibleOrder
            | AnomalyKind::DuplicateElements
            | AnomalyKind::GarbageRead => true,
            AnomalyKind::G1a | AnomalyKind::G1b => level >= 1,
            AnomalyKind::LostUpdate => level >= 2,
            AnomalyKind::Cycle(class, via) => {
                let (process, realtime) = self.orders_by();
                let via_ok = match via {
                    Via::Data => true,
                    Via::Process => process,
                    Via::Realtime => realtime,
                };
                let class_ok = match class {
                    CycleClass::G0 => true,
                    CycleClass::G1c => level >= 1,
                    CycleClass::GSingle | CycleClass::GNonadjacent => level >= 2,
                    // Write skew: repeatable read and serializable forbid it,
                    // snapshot isolation allows it.
                    CycleClass::G2Item => level == 2 || level == 4,
                };
                via_ok && class_ok
            }
        }
    }

    /// The models `kind` rules out.
    pub fn ruled_out_by(kind: AnomalyKind) -> Vec<ConsistencyModel> {
        ConsistencyModel::ALL
            .into_iter()
            .filter(|m| m.forbids(kind))
            .collect()
    }
}

impl fmt::Display for ConsistencyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ConsistencyModel {
    type Err = String;

    fn from_str(text: &str) -> Result<ConsistencyModel, String> {
        ConsistencyModel::ALL
            .into_iter()
            .find(|m| m.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = ConsistencyModel::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown consistency model `{text}`; choose from {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsistencyModel::*;

    #[test]
    fn stronger_models_forbid_more() {
        let g2 = AnomalyKind::Cycle(CycleClass::G2Item, Via::Data);
        assert!(!SnapshotIsolation.forbids(g2), "SI allows write skew");
        assert!(Serializable.forbids(g2) && RepeatableRead.forbids(g2));
        let single_rt = AnomalyKind::Cycle(CycleClass::GSingle, Via::Realtime);
        assert!(!Serializable.forbids(single_rt) && StrictSerializable.forbids(single_rt));
        let g0_process = AnomalyKind::Cycle(CycleClass::G0, Via::Process);
        assert!(StrongSessionSerializable.forbids(g0_process));
        assert!(!ReadCommitted.forbids(AnomalyKind::LostUpdate));
        assert!(!ReadUncommitted.forbids(AnomalyKind::G1a));
        assert!(ReadUncommitted.forbids(AnomalyKind::Cycle(CycleClass::G0, Via::Data)));
        assert_eq!(
            AnomalyKind::Cycle(CycleClass::GSingle, Via::Realtime).name(),
            "G-single-realtime"
        );
        assert_eq!("strict-serializable".parse(), Ok(StrictSerializable));
        assert!("linearizable".parse::<ConsistencyModel>().is_err());
    }
}

//! The anomalies the serializability checker names, and which consistency
//! models each one rules out.
//!
//! Sources, cited row by row in [`ConsistencyModel::forbids`]:
//! - Adya, "Weak Consistency: A Generalized Theory and Optimistic
//!   Implementations for Distributed Transactions" (MIT, 1999): PL-1, PL-2,
//!   PL-2.99, PL-SI, PL-3 and their phenomena; §3.1's well-formed histories.
//! - Berenson et al., "A Critique of ANSI SQL Isolation Levels" (1995):
//!   read committed allows fuzzy (non-repeatable) reads, P2.
//! - Cerone, Bernardi, Gotsman, "A Framework for Transactional Consistency
//!   Models with Atomic Visibility" (2015): the INT axiom.
//! - Elle's model map (`elle/consistency_model.clj`, `implied-anomalies` and
//!   `direct-proscribed-anomalies`), which combines the above.

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
    /// A transaction read a key twice and saw different versions, its own
    /// writes accounted for (a non-repeatable read inside a transaction).
    Internal,
    /// A transaction read a key it had written and did not see its own
    /// last write there.
    OwnWriteUnseen,
    /// A transaction read a value it wrote only later in itself.
    FutureRead,
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
            AnomalyKind::OwnWriteUnseen => "own-write-unseen".into(),
            AnomalyKind::FutureRead => "future-read".into(),
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
            AnomalyKind::Internal => "a transaction read the same key twice and saw different versions (a non-repeatable read inside one transaction)",
            AnomalyKind::OwnWriteUnseen => "a transaction read a key it had written and did not see its own write",
            AnomalyKind::FutureRead => "a transaction read a value that it wrote itself only later",
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

    /// Whether the model rules out `kind`. Each row names its source (see
    /// the module's list); the README quotes the same table.
    pub fn forbids(self, kind: AnomalyKind) -> bool {
        use ConsistencyModel::*;
        // Read committed and every model above it (all but PL-1).
        let pl2 = self != ReadUncommitted;
        // Models that forbid item anti-dependency cycles with one rw edge:
        // PL-2.99 (repeatable read), PL-SI and PL-3, with their session and
        // strict variants; read committed and read uncommitted do not.
        let item_rw = !matches!(self, ReadUncommitted | ReadCommitted);
        match kind {
            // Adya §3.1: in a well-formed history a transaction that wrote x
            // and then reads x observes its own last write, and every read
            // observes a version some transaction installed. No model allows
            // what no history of the formalism can contain. Elle: PL-1
            // proscribes duplicate elements.
            AnomalyKind::OwnWriteUnseen
            | AnomalyKind::GarbageRead
            | AnomalyKind::DuplicateElements => true,
            // Adya PL-2 proscribes G1 = G1a ∪ G1b ∪ G1c. Elle:
            // incompatible-order implies G1a, future-read implies G1c.
            AnomalyKind::G1a
            | AnomalyKind::G1b
            | AnomalyKind::IncompatibleOrder
            | AnomalyKind::FutureRead => pl2,
            // A non-repeatable read inside a transaction. Berenson et al.:
            // read committed allows it (P2). Adya: T read x1, T' installed
            // x2, T read x2 is T -rw-> T' -wr-> T, an item G-single, which
            // PL-2.99 and PL-SI proscribe. Cerone's INT axiom (Elle: SI and
            // serializable proscribe `internal`).
            AnomalyKind::Internal => item_rw,
            // Elle: cursor stability proscribes lost update (Adya, Bailis);
            // repeatable read and snapshot isolation imply cursor stability.
            AnomalyKind::LostUpdate => item_rw,
            AnomalyKind::Cycle(class, via) => {
                let (process, realtime) = self.orders_by();
                let via_ok = match via {
                    Via::Data => true,
                    Via::Process => process,
                    Via::Realtime => realtime,
                };
                let class_ok = match class {
                    // Adya PL-1 proscribes G0; strong-session PL-1 its
                    // process variant, strong PL-1 its real-time one (Elle).
                    CycleClass::G0 => true,
                    // Adya PL-2 proscribes G1c.
                    CycleClass::G1c => pl2,
                    // Adya: an item G-single is G2-item (PL-2.99) and
                    // PL-SI proscribes G-single; Elle: snapshot isolation
                    // proscribes G-nonadjacent (Cerone-Gotsman, Daudjee),
                    // and G-nonadjacent-item implies G2-item.
                    CycleClass::GSingle | CycleClass::GNonadjacent => item_rw,
                    // Write skew: PL-2.99 and PL-3 proscribe G2-item; snapshot
                    // isolation allows it (Adya PL-SI; Berenson A5B).
                    CycleClass::G2Item => !matches!(
                        self,
                        ReadUncommitted
                            | ReadCommitted
                            | SnapshotIsolation
                            | StrongSessionSnapshotIsolation
                    ),
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

impl CycleClass {
    /// Every class, the worst first.
    pub const ALL: [CycleClass; 5] = [
        CycleClass::G0,
        CycleClass::G1c,
        CycleClass::GSingle,
        CycleClass::GNonadjacent,
        CycleClass::G2Item,
    ];
}

impl AnomalyKind {
    /// Every kind, in the order the verdict table lists them.
    pub fn all() -> Vec<AnomalyKind> {
        let mut kinds = Vec::new();
        for via in [Via::Data, Via::Process, Via::Realtime] {
            for class in CycleClass::ALL {
                kinds.push(AnomalyKind::Cycle(class, via));
            }
        }
        kinds.extend([
            AnomalyKind::G1a,
            AnomalyKind::G1b,
            AnomalyKind::Internal,
            AnomalyKind::OwnWriteUnseen,
            AnomalyKind::FutureRead,
            AnomalyKind::IncompatibleOrder,
            AnomalyKind::DuplicateElements,
            AnomalyKind::LostUpdate,
            AnomalyKind::GarbageRead,
        ]);
        kinds
    }
}

/// The verdict table as Markdown: one row per anomaly, one column per
/// model, `✗` where the model forbids it. The README quotes it (a test
/// keeps the two equal).
pub fn verdict_table() -> String {
    let short = ["RU", "RC", "RR", "SI", "SSSI", "SER", "SSSER", "STRICT"];
    let mut out = format!("| anomaly | {} |\n|---|", short.join(" | "));
    out.push_str(&"---|".repeat(short.len()));
    out.push('\n');
    for kind in AnomalyKind::all() {
        let cells: Vec<&str> = ConsistencyModel::ALL
            .iter()
            .map(|m| if m.forbids(kind) { "✗" } else { "" })
            .collect();
        out.push_str(&format!("| {kind} | {} |\n", cells.join(" | ")));
    }
    out
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

    /// The table by hand, row by row from the sources in the module's
    /// overview, columns RU RC RR SI SSSI SER SSSER STRICT.
    #[test]
    fn every_anomaly_rules_out_exactly_the_models_of_the_literature() {
        let expected: &[(&str, [u8; 8])] = &[
            ("G0", [1, 1, 1, 1, 1, 1, 1, 1]),
            ("G1c", [0, 1, 1, 1, 1, 1, 1, 1]),
            ("G-single", [0, 0, 1, 1, 1, 1, 1, 1]),
            ("G-nonadjacent", [0, 0, 1, 1, 1, 1, 1, 1]),
            ("G2-item", [0, 0, 1, 0, 0, 1, 1, 1]),
            ("G0-process", [0, 0, 0, 0, 1, 0, 1, 1]),
            ("G1c-process", [0, 0, 0, 0, 1, 0, 1, 1]),
            ("G-single-process", [0, 0, 0, 0, 1, 0, 1, 1]),
            ("G-nonadjacent-process", [0, 0, 0, 0, 1, 0, 1, 1]),
            ("G2-item-process", [0, 0, 0, 0, 0, 0, 1, 1]),
            ("G0-realtime", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("G1c-realtime", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("G-single-realtime", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("G-nonadjacent-realtime", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("G2-item-realtime", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("G1a", [0, 1, 1, 1, 1, 1, 1, 1]),
            ("G1b", [0, 1, 1, 1, 1, 1, 1, 1]),
            // PostgreSQL's read committed shows these: allowed there.
            ("internal", [0, 0, 1, 1, 1, 1, 1, 1]),
            ("own-write-unseen", [1, 1, 1, 1, 1, 1, 1, 1]),
            ("future-read", [0, 1, 1, 1, 1, 1, 1, 1]),
            ("incompatible-order", [0, 1, 1, 1, 1, 1, 1, 1]),
            ("duplicate-elements", [1, 1, 1, 1, 1, 1, 1, 1]),
            ("lost-update", [0, 0, 1, 1, 1, 1, 1, 1]),
            ("garbage-read", [1, 1, 1, 1, 1, 1, 1, 1]),
        ];
        let kinds = AnomalyKind::all();
        assert_eq!(kinds.len(), expected.len());
        for (kind, (name, row)) in kinds.into_iter().zip(expected) {
            assert_eq!(&kind.name(), name);
            for (model, &cell) in ConsistencyModel::ALL.iter().zip(row) {
                assert_eq!(model.forbids(kind), cell == 1, "{kind} under {model}");
            }
        }
    }

    /// A stronger model forbids everything a weaker one it implies does
    /// (Elle's `models` graph, restricted to these eight).
    #[test]
    fn stronger_models_forbid_at_least_what_weaker_ones_do() {
        let implies = [
            (ReadCommitted, ReadUncommitted),
            (RepeatableRead, ReadCommitted),
            (SnapshotIsolation, ReadCommitted),
            (StrongSessionSnapshotIsolation, SnapshotIsolation),
            (Serializable, RepeatableRead),
            (Serializable, SnapshotIsolation),
            (StrongSessionSerializable, Serializable),
            (StrongSessionSerializable, StrongSessionSnapshotIsolation),
            (StrictSerializable, StrongSessionSerializable),
        ];
        for (strong, weak) in implies {
            for kind in AnomalyKind::all() {
                assert!(
                    !weak.forbids(kind) || strong.forbids(kind),
                    "{weak} forbids {kind} but {strong} does not"
                );
            }
        }
    }

    #[test]
    fn the_book_quotes_the_table_the_code_applies() {
        let chapter = include_str!("../../../docs/src/checking.md");
        assert!(
            chapter.contains(&verdict_table()),
            "docs/src/checking.md must contain, verbatim:\n{}",
            verdict_table()
        );
    }

    #[test]
    fn names_parse_and_print() {
        assert_eq!(
            AnomalyKind::Cycle(CycleClass::GSingle, Via::Realtime).name(),
            "G-single-realtime"
        );
        assert_eq!("strict-serializable".parse(), Ok(StrictSerializable));
        assert!("linearizable".parse::<ConsistencyModel>().is_err());
    }
}

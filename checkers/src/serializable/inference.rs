//! What inference hands the graph: dependency edges between transactions,
//! anomalies found without a cycle, and the per-key facts that explain
//! each edge in words.

use super::anomaly::AnomalyKind;
use ahash::AHashMap as HashMap;

/// Write-write dependency: the second installed the next version.
pub const WW: u8 = 1;
/// Write-read dependency: the second read the first's write.
pub const WR: u8 = 2;
/// Read-write anti-dependency: the second overwrote what the first read.
pub const RW: u8 = 4;
/// Process order: the same process ran the second later.
pub const PROCESS: u8 = 8;
/// Real-time order: the first completed before the second began.
pub const REALTIME: u8 = 16;

/// The name of a single edge label.
pub fn label_name(label: u8) -> &'static str {
    match label {
        WW => "ww",
        WR => "wr",
        RW => "rw",
        PROCESS => "process",
        _ => "realtime",
    }
}

/// An anomaly found without a cycle: which transactions, and why.
#[derive(Clone, Debug)]
pub struct Found {
    /// The anomaly.
    pub kind: AnomalyKind,
    /// The transactions involved (indexes into the transactions).
    pub txns: Vec<usize>,
    /// Why, in words.
    pub explanation: String,
}

/// One key's facts.
#[derive(Clone, Debug, Default)]
pub struct KeyFacts {
    /// list-append: the key's version order (the longest read), when all
    /// reads agree.
    pub order: Vec<i64>,
    /// Position of each element in `order`.
    pub position: HashMap<i64, usize>,
    /// Who appended or wrote each value.
    pub writer: HashMap<i64, usize>,
    /// rw-register: known version orders `(earlier, later)`, `None` = the
    /// initial nil.
    pub precedes: Vec<(Option<i64>, i64)>,
    /// Reads of the key disagree: no version order is inferred.
    pub inconsistent: bool,
}

/// Everything inference learned.
#[derive(Clone, Debug, Default)]
pub struct Inference {
    /// `(from, to, label)`; parallel edges are merged by the graph.
    pub edges: Vec<(u32, u32, u8)>,
    /// Anomalies without cycles.
    pub found: Vec<Found>,
    /// Per key (interned number).
    pub keys: Vec<KeyFacts>,
}

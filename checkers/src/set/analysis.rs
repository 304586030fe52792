//! What the set checker found, as results.json holds it.

use faultline_core::{Validity, Value};
use serde::{Deserialize, Serialize};

/// Elements described in full per outcome (the counts are exact).
pub const ELEMENTS_SHOWN: usize = 32;

/// The set checker's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetAnalysis {
    /// The verdict.
    pub valid: Validity,
    /// `set-full` or `set-full (linearizable)`: whether stale reads refute.
    pub model: String,
    /// Stale elements make the history invalid (the system promised
    /// linearizable reads).
    pub linearizable: bool,
    /// Sets checked (keys; one when the history has no keys).
    pub sets: usize,
    /// Elements whose add was invoked.
    pub attempted: u64,
    /// Elements whose add was acknowledged.
    pub acknowledged: u64,
    /// Reads that returned the set.
    pub reads: u64,
    /// Elements present in every read invoked after some point.
    pub stable: u64,
    /// Elements known to be in the set, then absent from every read from
    /// some point on.
    pub lost: Outcome,
    /// Stable elements that a read invoked after they were known missed.
    pub stale: Outcome,
    /// Elements no read began after they were known (unknown adds
    /// included): nothing is claimed about them.
    pub never_read: Outcome,
    /// Elements a read returned before any add of them had begun.
    pub unexpected: Outcome,
    /// Elements a single read returned more than once.
    pub duplicated: Outcome,
    /// Milliseconds from known to stable, at quantiles 0, 0.5, 0.95,
    /// 0.99 and 1 (empty with no stable element).
    pub stable_latencies: Vec<(f64, f64)>,
    /// Milliseconds from known to lost, at the same quantiles.
    pub lost_latencies: Vec<(f64, f64)>,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Elements of one outcome: how many, and the first described.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// How many elements.
    pub count: u64,
    /// The first [`ELEMENTS_SHOWN`], worst first where there is an order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ElementView>,
}

/// One element and the operations that decided its outcome. Positions
/// are event indices in the history (the timeline's `#event-N`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementView {
    /// The set (key) it was added to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The element.
    pub element: Value,
    /// The add's invocation, when one was invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<usize>,
    /// The operation (its invocation) whose completion made it known: the
    /// acknowledged add, or the first read that returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<usize>,
    /// The invocation of the last read that returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_present: Option<usize>,
    /// The invocation of the last read that did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_absent: Option<usize>,
    /// The read that shows the anomaly (its invocation): the last absent
    /// one for lost and stale elements, the one that returned it for
    /// unexpected and duplicated ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<usize>,
    /// The node that read answered on, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness_node: Option<String>,
    /// Milliseconds from known to stable (stale) or to lost (lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

impl SetAnalysis {
    /// `3 lost, 2 stale` (the outcomes that refute), or empty.
    pub fn refuted_text(&self) -> String {
        self.refuting()
            .iter()
            .map(|(name, o)| format!("{} {name}", o.count))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The outcomes that make this history invalid, by name, in order.
    pub fn refuting(&self) -> Vec<(&'static str, &Outcome)> {
        let mut out = vec![
            ("lost", &self.lost),
            ("unexpected", &self.unexpected),
            ("duplicated", &self.duplicated),
        ];
        if self.linearizable {
            out.push(("stale", &self.stale));
        }
        out.retain(|(_, o)| o.count > 0);
        out
    }
}

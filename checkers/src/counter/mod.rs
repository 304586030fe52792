//! Counters: increments (`add` of a positive amount) and reads. Does every
//! read lie between what had certainly been added when it began and what
//! could have been added by the time it ended?
//!
//! Jepsen's `counter` checker (jepsen/src/jepsen/checker.clj, `counter`),
//! per key: a read's *lower* bound is the sum of the acknowledged adds that
//! completed before the read was invoked; its *upper* bound the sum of the
//! adds invoked before the read completed, acknowledged or of unknown
//! outcome. A read outside its bounds refutes. Jepsen takes a failed add
//! out of the upper bound only once its failure is seen in the history;
//! here a failed add never counts (it certainly did not happen), which is
//! stricter and as sound. With increments of 1 the bounds are exact: a
//! read can return any value between them in some order of the adds it
//! overlaps; a test checks the verdicts against a brute-force search of
//! every such order.

use faultline_core::{CheckError, History, Outcome, Process, Validity, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Reads out of bounds described in full (the count is exact).
pub const ERRORS_SHOWN: usize = 32;

/// The counter checker's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CounterAnalysis {
    /// The verdict.
    pub valid: Validity,
    /// `counter`.
    pub model: String,
    /// Counters checked (keys; one when the history has no keys).
    pub counters: usize,
    /// Adds invoked.
    pub attempted: u64,
    /// Adds acknowledged.
    pub acknowledged: u64,
    /// Reads that returned a value.
    pub reads: u64,
    /// Reads outside their bounds.
    pub out_of_bounds: u64,
    /// The first [`ERRORS_SHOWN`] of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<BoundsError>,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A read outside what could have been.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoundsError {
    /// The counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The read's invocation (an event index: the timeline's `#event-N`).
    pub read: usize,
    /// The node it was answered on, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// What it returned.
    pub value: i64,
    /// Acknowledged before it began.
    pub lower: i64,
    /// Possibly added before it ended.
    pub upper: i64,
}

impl CounterAnalysis {
    /// `3 reads out of bounds`, or empty.
    pub fn refuted_text(&self) -> String {
        match self.out_of_bounds {
            0 => String::new(),
            1 => "1 read out of bounds".to_owned(),
            n => format!("{n} reads out of bounds"),
        }
    }
}

/// Checks the `add` and `read` operations of `history`, each key a
/// counter of its own starting at 0.
pub fn check(history: &History) -> Result<CounterAnalysis, CheckError> {
    let operations = history.operations()?;
    let at = |invoke: usize| match history.line_of(invoke) {
        Some(line) => format!("line {line}"),
        None => format!("event {invoke}"),
    };
    let amount = |value: &Value| value.as_i64().filter(|n| *n >= 0);
    let mut by_key: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, op) in operations.iter().enumerate() {
        if op.process == Process::Nemesis {
            continue;
        }
        let problem = match (op.f, op.outcome) {
            ("add", _) if amount(op.input).is_none() => Some(format!(
                "an add must carry a non-negative integer, not {}",
                op.input
            )),
            ("read", Outcome::Ok) if op.output.is_none_or(|v| v.as_i64().is_none()) => {
                Some(format!(
                    "an ok read must return the counter's value, an integer, not {}; a client that cannot say what it read should answer info",
                    op.output.unwrap_or(&Value::Null)
                ))
            }
            ("add" | "read", _) => None,
            (f, _) => Some(format!(
                "the counter checker knows `add` and `read`, not `{f}`; check this history with the checker its workload needs"
            )),
        };
        if let Some(message) = problem {
            return Err(CheckError::Operation {
                at: at(op.invoke),
                message,
            });
        }
        by_key.entry(op.key).or_default().push(i);
    }
    let mut analysis = CounterAnalysis {
        valid: Validity::Valid,
        model: "counter".into(),
        counters: by_key.len().max(1),
        attempted: 0,
        acknowledged: 0,
        reads: 0,
        out_of_bounds: 0,
        errors: Vec::new(),
        reason: None,
    };
    for (key, ops) in by_key {
        // Sweep the events in order: the bounds at each moment.
        let mut events: Vec<(usize, usize, bool)> = Vec::new();
        for &i in &ops {
            let op = &operations[i];
            events.push((op.invoke, i, false));
            if let Some(done) = op.complete {
                events.push((done, i, true));
            }
        }
        events.sort_unstable();
        let (mut lower, mut upper) = (0i64, 0i64);
        let mut lower_at_invoke: BTreeMap<usize, i64> = BTreeMap::new();
        for (_, i, completion) in events {
            let op = &operations[i];
            match (op.f, completion) {
                ("add", false) => {
                    analysis.attempted += 1;
                    if op.outcome != Outcome::Fail {
                        upper += amount(op.input).unwrap_or(0);
                    }
                }
                ("add", true) if op.outcome == Outcome::Ok => {
                    analysis.acknowledged += 1;
                    lower += amount(op.input).unwrap_or(0);
                }
                ("read", false) => {
                    lower_at_invoke.insert(i, lower);
                }
                ("read", true) if op.outcome == Outcome::Ok => {
                    analysis.reads += 1;
                    let value = op.output.and_then(Value::as_i64).unwrap_or(0);
                    let floor = lower_at_invoke.remove(&i).unwrap_or(0);
                    if value < floor || value > upper {
                        analysis.out_of_bounds += 1;
                        if analysis.errors.len() < ERRORS_SHOWN {
                            analysis.errors.push(BoundsError {
                                key: key.map(str::to_owned),
                                read: op.invoke,
                                node: op.node.map(str::to_owned),
                                value,
                                lower: floor,
                                upper,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if analysis.out_of_bounds > 0 {
        analysis.valid = Validity::Invalid;
    } else if analysis.reads == 0 {
        analysis.valid = Validity::Unknown;
        analysis.reason = Some("no read returned a value, so nothing was checked".into());
    }
    Ok(analysis)
}

#[cfg(test)]
mod tests;
mod words;

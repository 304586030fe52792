//! Watches: `put`s of unique values to keys, each acknowledged with the
//! revision the store gave it, and `watch`es that each report the events
//! of one key from a starting revision on, in the order delivered. Did
//! every watcher see the same ordered revisions, none skipped?
//!
//! The rules are etcd's watch guarantees (etcd API guarantees, "Watch
//! APIs": ordered, unique, reliable; as Jepsen's etcd watch test checks
//! them, jepsen-io/etcd `jepsen.etcd.watch`): events of a watch come in
//! increasing revision order, none twice (`disordered`); a watch that
//! delivered revisions a < c delivered every event of its key between
//! them, so a revision of that key known to another watch, or given to an
//! acknowledged put, that falls inside a watch's span and is missing from
//! it was skipped (`skipped`); every watcher that saw a revision saw the
//! same value there, and that value was put to that key (`disagreement`).
//! A watch spans from the revision it started at to the last event it
//! delivered: after that it may simply not have been told yet. Failed,
//! unknown and pending operations carry nothing to judge; an unknown put
//! may still appear in watches. Each key is judged on its own.

use faultline_core::{CheckError, History, Outcome, Process, Validity, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Findings described in full (the counts are exact).
pub const FINDINGS_SHOWN: usize = 32;

/// What a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WatchError {
    /// A revision of the watch's key inside its span that it did not deliver.
    Skipped,
    /// Revisions out of order or repeated within one watch.
    Disordered,
    /// Two watchers saw different values at one revision, or a value no
    /// put wrote to that key.
    Disagreement,
}

impl WatchError {
    /// Its name in results and reports.
    pub fn name(self) -> &'static str {
        match self {
            WatchError::Skipped => "skipped",
            WatchError::Disordered => "disordered",
            WatchError::Disagreement => "disagreement",
        }
    }

    /// What it means, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            WatchError::Skipped => "a watch delivered events on both sides of a revision of its key, known from another watch or an acknowledged put, without delivering that one",
            WatchError::Disordered => "a watch delivered a revision no later than one it had already delivered",
            WatchError::Disagreement => "two watches saw different values at one revision, or a watch saw a value no put wrote to its key",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WatchFinding {
    /// What is wrong.
    pub error: WatchError,
    /// The key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The watch's invocation (event index: the timeline's `#event-N`).
    pub operation: usize,
    /// The revision concerned.
    pub revision: i64,
    /// What this watch saw there (`null`: nothing).
    pub seen: Value,
    /// What is known there otherwise: the other watch's or the put's value.
    pub known: Value,
    /// The operation that made it known (a watch's or a put's invocation),
    /// when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_from: Option<usize>,
}

/// The watch checker's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WatchAnalysis {
    /// The verdict.
    pub valid: Validity,
    /// `watch`.
    pub model: String,
    /// Keys checked.
    pub keys: usize,
    /// Puts acknowledged with their revision.
    pub puts_ok: u64,
    /// Watches that returned their events.
    pub watches: u64,
    /// Events delivered, over every watch.
    pub events: u64,
    /// Distinct revisions known (seen by a watch or given to a put).
    pub revisions: u64,
    /// Findings per kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<WatchError, u64>,
    /// The first [`FINDINGS_SHOWN`] findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<WatchFinding>,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl WatchAnalysis {
    /// `3 revisions skipped, 1 disagreement`, or empty.
    pub fn refuted_text(&self) -> String {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|(e, n)| match (e, n) {
                (WatchError::Skipped, 1) => "1 revision skipped".to_owned(),
                (WatchError::Skipped, n) => format!("{n} revisions skipped"),
                (WatchError::Disordered, 1) => "1 revision out of order".to_owned(),
                (WatchError::Disordered, n) => format!("{n} revisions out of order"),
                (WatchError::Disagreement, 1) => "1 disagreement".to_owned(),
                (WatchError::Disagreement, n) => format!("{n} disagreements"),
            })
            .collect();
        parts.join(", ")
    }

    fn found(&mut self, finding: WatchFinding) {
        self.valid = Validity::Invalid;
        *self.errors.entry(finding.error).or_default() += 1;
        if self.findings.len() < FINDINGS_SHOWN {
            self.findings.push(finding);
        }
    }
}

/// A watch's report: where it started and the events it delivered, as
/// `(revision, value)` in the order delivered.
struct Watched {
    invoke: usize,
    from: i64,
    events: Vec<(i64, Value)>,
}

/// Reads an ok watch's value, `{"from": r, "events": [[revision, value], ...]}`.
fn watched(value: &Value, invoke: usize) -> Option<Watched> {
    let from = value.get("from")?.as_i64()?;
    let events = value
        .get("events")?
        .as_array()?
        .iter()
        .map(|e| Some((e.get(0)?.as_i64()?, e.get(1)?.clone())))
        .collect::<Option<Vec<_>>>()?;
    Some(Watched {
        invoke,
        from,
        events,
    })
}

/// One key's operations.
#[derive(Default)]
struct KeyLog {
    /// Every value a put to the key was invoked with.
    put_values: BTreeSet<String>,
    /// Acknowledged puts: revision → (value, invocation).
    acknowledged: BTreeMap<i64, (Value, usize)>,
    watches: Vec<Watched>,
}

/// Checks the puts and watches of `history`.
pub fn check(history: &History) -> Result<WatchAnalysis, CheckError> {
    let operations = history.operations()?;
    let at = |invoke: usize| match history.line_of(invoke) {
        Some(line) => format!("line {line}"),
        None => format!("event {invoke}"),
    };
    let mut logs: BTreeMap<Option<&str>, KeyLog> = BTreeMap::new();
    let mut analysis = WatchAnalysis {
        valid: Validity::Valid,
        model: "watch".into(),
        keys: 0,
        puts_ok: 0,
        watches: 0,
        events: 0,
        revisions: 0,
        errors: BTreeMap::new(),
        findings: Vec::new(),
        reason: None,
    };
    for op in &operations {
        if op.process == Process::Nemesis {
            continue;
        }
        let log = logs.entry(op.key).or_default();
        match (op.f, op.outcome) {
            ("put", outcome) => {
                log.put_values.insert(op.input.to_string());
                if outcome != Outcome::Ok {
                    continue;
                }
                let revision = op.output.and_then(|v| v.get("revision")).and_then(Value::as_i64);
                let Some(revision) = revision else {
                    return Err(CheckError::Operation {
                        at: at(op.invoke),
                        message: "an ok put must return {\"value\", \"revision\"}: the revision the store gave it; a client that cannot say should answer info".into(),
                    });
                };
                analysis.puts_ok += 1;
                log.acknowledged
                    .insert(revision, (op.input.clone(), op.invoke));
            }
            ("watch", Outcome::Ok) => {
                let Some(w) = op.output.and_then(|v| watched(v, op.invoke)) else {
                    return Err(CheckError::Operation {
                        at: at(op.invoke),
                        message: "an ok watch must return {\"from\": revision, \"events\": [[revision, value], ...]}; a client that cannot say should answer info".into(),
                    });
                };
                analysis.watches += 1;
                analysis.events += w.events.len() as u64;
                log.watches.push(w);
            }
            ("watch", _) => {}
            (other, _) => {
                return Err(CheckError::Operation {
                    at: at(op.invoke),
                    message: format!("the watch checker knows `put` and `watch`, not `{other}`; check this history with the checker its workload needs"),
                })
            }
        }
    }
    analysis.keys = logs.len().max(1);
    for (key, log) in &logs {
        check_key(&mut analysis, key.map(str::to_owned), log);
    }
    if analysis.valid == Validity::Valid && analysis.events == 0 {
        analysis.valid = Validity::Unknown;
        analysis.reason = Some("no watch delivered an event, so nothing was checked".into());
    }
    Ok(analysis)
}

/// Judges one key's watches against each other and its acknowledged puts.
fn check_key(analysis: &mut WatchAnalysis, key: Option<String>, log: &KeyLog) {
    // Every revision known, with the value and who made it known first:
    // acknowledged puts, then watches in history order.
    let mut known: BTreeMap<i64, (Value, usize)> = log.acknowledged.clone();
    for w in &log.watches {
        let mut last: Option<i64> = None;
        for (revision, value) in &w.events {
            let finding = |error, known: &Value, from: Option<usize>| WatchFinding {
                error,
                key: key.clone(),
                operation: w.invoke,
                revision: *revision,
                seen: value.clone(),
                known: known.clone(),
                known_from: from,
            };
            if last.is_some_and(|l| *revision <= l) || *revision < w.from {
                analysis.found(finding(WatchError::Disordered, &Value::Null, None));
                continue;
            }
            last = Some(*revision);
            if !log.put_values.contains(&value.to_string()) {
                analysis.found(finding(WatchError::Disagreement, &Value::Null, None));
            }
            match known.get(revision) {
                Some((other, from)) if other != value => {
                    analysis.found(finding(WatchError::Disagreement, other, Some(*from)));
                }
                Some(_) => {}
                None => {
                    known.insert(*revision, (value.clone(), w.invoke));
                }
            }
        }
    }
    analysis.revisions += known.len() as u64;
    for w in &log.watches {
        // Events out of order were found above; the span is what came in order.
        let Some(last) = w
            .events
            .iter()
            .map(|(r, _)| *r)
            .max()
            .filter(|l| *l >= w.from)
        else {
            continue;
        };
        let delivered: BTreeSet<i64> = w.events.iter().map(|(r, _)| *r).collect();
        for (revision, (value, from)) in known.range(w.from..=last) {
            if !delivered.contains(revision) {
                analysis.found(WatchFinding {
                    error: WatchError::Skipped,
                    key: key.clone(),
                    operation: w.invoke,
                    revision: *revision,
                    seen: Value::Null,
                    known: value.clone(),
                    known_from: Some(*from),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
mod words;

//! Unique ids: `generate` operations, each acknowledged with an id. Did
//! any two acknowledged operations get the same id from one generator?
//!
//! Jepsen's `unique-ids` checker (jepsen/src/jepsen/checker.clj,
//! `unique-ids`): the ids of the acknowledged `generate`s, counted; an id
//! seen more than once refutes. Here each key is a generator of its own
//! (a history without keys has one), so two generators may hand out the
//! same id. An operation whose outcome is unknown or that failed carries
//! no id to count; one still pending counts only as attempted.

use faultline_core::{CheckError, History, Outcome, Process, Validity, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Duplicated ids described in full (the count is exact).
pub const DUPLICATES_SHOWN: usize = 32;

/// The unique-ids checker's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UniqueIdsAnalysis {
    /// The verdict.
    pub valid: Validity,
    /// `unique-ids`.
    pub model: String,
    /// Generators checked (keys; one when the history has no keys).
    pub generators: usize,
    /// `generate`s invoked.
    pub attempted: u64,
    /// `generate`s acknowledged with an id.
    pub acknowledged: u64,
    /// Ids handed out more than once by one generator.
    pub duplicated: u64,
    /// The first [`DUPLICATES_SHOWN`] of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<Duplicate>,
    /// The smallest and largest numeric ids acknowledged, if any were numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<(i64, i64)>,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An id acknowledged to more than one operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The id.
    pub id: Value,
    /// The invocations (event indexes: the timeline's `#event-N`) of the
    /// operations that were given it, in order.
    pub operations: Vec<usize>,
}

impl UniqueIdsAnalysis {
    /// `2 ids handed out twice or more`, or empty.
    pub fn refuted_text(&self) -> String {
        match self.duplicated {
            0 => String::new(),
            1 => "1 id handed out twice or more".to_owned(),
            n => format!("{n} ids handed out twice or more"),
        }
    }
}

/// One generator's ids (keyed by their JSON text: ids may be numbers or
/// strings) and the invocations given each.
type IdsGiven = BTreeMap<String, (Value, Vec<usize>)>;

/// Checks the `generate` operations of `history`.
pub fn check(history: &History) -> Result<UniqueIdsAnalysis, CheckError> {
    let operations = history.operations()?;
    let at = |invoke: usize| match history.line_of(invoke) {
        Some(line) => format!("line {line}"),
        None => format!("event {invoke}"),
    };
    let mut analysis = UniqueIdsAnalysis {
        valid: Validity::Valid,
        model: "unique-ids".into(),
        generators: 0,
        attempted: 0,
        acknowledged: 0,
        duplicated: 0,
        duplicates: Vec::new(),
        range: None,
        reason: None,
    };
    let mut given: BTreeMap<Option<&str>, IdsGiven> = BTreeMap::new();
    for op in &operations {
        if op.process == Process::Nemesis {
            continue;
        }
        if op.f != "generate" {
            return Err(CheckError::Operation {
                at: at(op.invoke),
                message: format!("the unique-ids checker knows `generate`, not `{}`; check this history with the checker its workload needs", op.f),
            });
        }
        analysis.attempted += 1;
        let ids = given.entry(op.key).or_default();
        if op.outcome != Outcome::Ok {
            continue;
        }
        let id = match op.output {
            Some(id) if !id.is_null() => id,
            _ => {
                return Err(CheckError::Operation {
                    at: at(op.invoke),
                    message: "an ok generate must return the id it was given; a client that cannot say should answer info".into(),
                })
            }
        };
        analysis.acknowledged += 1;
        if let Some(n) = id.as_i64() {
            analysis.range = Some(match analysis.range {
                Some((low, high)) => (low.min(n), high.max(n)),
                None => (n, n),
            });
        }
        ids.entry(id.to_string())
            .or_insert_with(|| (id.clone(), Vec::new()))
            .1
            .push(op.invoke);
    }
    analysis.generators = given.len().max(1);
    for (key, ids) in given {
        for (_, (id, mut operations)) in ids {
            if operations.len() < 2 {
                continue;
            }
            analysis.duplicated += 1;
            if analysis.duplicates.len() < DUPLICATES_SHOWN {
                operations.sort_unstable();
                analysis.duplicates.push(Duplicate {
                    key: key.map(str::to_owned),
                    id,
                    operations,
                });
            }
        }
    }
    if analysis.duplicated > 0 {
        analysis.valid = Validity::Invalid;
    } else if analysis.acknowledged == 0 {
        analysis.valid = Validity::Unknown;
        analysis.reason = Some("no generate was acknowledged, so nothing was checked".into());
    }
    Ok(analysis)
}

#[cfg(test)]
mod tests;
mod words;

//! Linearizability: is there a total order of the operations, consistent
//! with real time, that the model accepts?
//!
//! The history is split into independent partitions (one per key), each
//! searched on its own (P-compositionality), all of them in turns on every
//! core; the first turn that finds an illegal partition ends the check. An
//! illegal partition is explained by a [`Counterexample`].

pub mod brute_force;
mod counterexample;
mod entries;
mod entry;
mod limits;
mod model;
mod model_kind;
pub mod models;
mod search;
pub mod simulated;
pub mod simulated_register;
pub mod unique_registers;
pub mod unique_values;
mod words;

pub use counterexample::{Counterexample, OpView, PartialLinearization, Step, Window, FINAL_READS};
pub use entries::{prepare, Entry, Partition, Prepared};
pub use model::{Interner, Model, ValueId};
pub use model_kind::ModelKind;
pub use search::{final_states, search, Deepest, Exhausted, Limits, Search, SearchOutcome};

use faultline_core::{Budget, CheckError, History, Validity};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The result of checking one history for linearizability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The verdict.
    pub valid: Validity,
    /// The model checked against.
    pub model: Cow<'static, str>,
    /// Operations checked (failed and nemesis operations excluded).
    pub ops: usize,
    /// Client operations that certainly failed: they took no effect, so
    /// they have no place to be found. With `ops`, every client operation
    /// of the history, the count the report and the store show.
    #[serde(default)]
    pub failed_ops: usize,
    /// Independent partitions (keys).
    pub partitions: usize,
    /// Why the verdict is unknown, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the history is not linearizable, when it is not: the key
    /// refuted in the fewest steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// How many keys (partitions) were refuted: every one, not only the
    /// first, so a run with one stale read and one with thousands differ.
    #[serde(default)]
    pub refuted_keys: usize,
    /// The refuted keys' names (the first [`NAMED_KEYS`]), fewest steps first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refuted: Vec<String>,
    /// The next refuted keys' counterexamples (up to [`MORE_EXPLAINED`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_counterexamples: Vec<Counterexample>,
    /// Keys still undecided when a refutation was known and their search
    /// passed the counting budget, or the time limit came: they may hold
    /// more refutations.
    #[serde(default)]
    pub undecided_keys: usize,
}

/// Refuted keys named in an analysis.
pub const NAMED_KEYS: usize = 20;
/// Counterexamples built beyond the first.
pub const MORE_EXPLAINED: usize = 2;

impl Analysis {
    /// The history's client operations: those checked and those failed.
    pub fn client_ops(&self) -> usize {
        self.ops + self.failed_ops
    }

    /// `85 ops, 20 failed` (a failed one took no effect: nothing to place),
    /// or `3 ops` when none failed.
    pub fn ops_text(&self) -> String {
        let total = match self.client_ops() {
            1 => "1 op".to_owned(),
            n => format!("{n} ops"),
        };
        match self.failed_ops {
            0 => total,
            n => format!("{total}, {n} failed"),
        }
    }

    /// `3 of 50 keys refuted (k1, k7, k9)`, or empty when none was or
    /// the history is one object (nothing to count).
    pub fn refuted_text(&self) -> String {
        if self.refuted_keys == 0 || (self.partitions == 1 && self.refuted == ["(whole history)"]) {
            return String::new();
        }
        let mut names = self.refuted.join(", ");
        if self.refuted_keys > self.refuted.len() {
            names.push_str(", …");
        }
        let undecided = match self.undecided_keys {
            0 => String::new(),
            n => format!("; {n} undecided"),
        };
        format!(
            "{} of {} key(s) refuted ({names}){undecided}",
            self.refuted_keys, self.partitions
        )
    }
}

impl Analysis {
    /// A valid verdict on `ops` operations in `partitions` keys, nothing
    /// refuted: where every analysis starts.
    fn valid(model: Cow<'static, str>, ops: usize, partitions: usize) -> Analysis {
        Analysis {
            valid: Validity::Valid,
            model,
            ops,
            partitions,
            reason: None,
            counterexample: None,
            refuted_keys: 0,
            refuted: Vec::new(),
            more_counterexamples: Vec::new(),
            undecided_keys: 0,
            failed_ops: 0,
        }
    }

    /// Its counterexamples' event positions moved through `position`
    /// (see [`Counterexample::relocate`]).
    pub fn relocate(&mut self, position: &dyn Fn(usize) -> usize, final_reads_at: Option<usize>) {
        for c in self
            .counterexample
            .iter_mut()
            .chain(&mut self.more_counterexamples)
        {
            c.relocate(position, final_reads_at);
        }
    }

    /// The analysis of a history from those of its keys, checked one by
    /// one (P-compositionality: the history is linearizable exactly when
    /// every key is). Invalid over unknown over valid; the first refuted
    /// key (in key order) is explained, the next ones after it.
    pub fn combine(model: &str, parts: Vec<Analysis>) -> Analysis {
        let mut all = Analysis::valid(Cow::Owned(model.to_owned()), 0, 0);
        let mut explained = Vec::new();
        for part in parts {
            all.valid = all.valid.merge(part.valid);
            all.ops += part.ops;
            all.partitions += part.partitions;
            all.refuted_keys += part.refuted_keys;
            all.failed_ops += part.failed_ops;
            all.undecided_keys += part.undecided_keys
                + usize::from(part.valid == Validity::Unknown) * part.partitions;
            if all.reason.is_none() {
                all.reason = part.reason;
            }
            all.refuted.extend(part.refuted);
            explained.extend(part.counterexample);
            explained.extend(part.more_counterexamples);
        }
        all.refuted.truncate(NAMED_KEYS);
        let mut explained = explained.into_iter();
        all.counterexample = explained.next();
        all.more_counterexamples = explained.take(MORE_EXPLAINED).collect();
        if all.valid == Validity::Invalid {
            all.reason = None;
        } else {
            all.undecided_keys = 0;
        }
        all
    }
}

/// Whether an illegal history is explained (costs a few more searches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Explain {
    /// Build the counterexample.
    Yes,
    /// Only the verdict.
    No,
}

/// Checks `history` against `model` within `budget`, explaining a failure.
pub fn check<M: Model>(
    model: &M,
    history: &History,
    budget: &Budget,
) -> Result<Analysis, CheckError> {
    check_with(model, history, budget, Explain::Yes)
}

/// Checks `history` against `model` within `budget`.
pub fn check_with<M: Model>(
    model: &M,
    history: &History,
    budget: &Budget,
    explain: Explain,
) -> Result<Analysis, CheckError> {
    let start = Instant::now();
    let prepared = prepare(model, history)?;
    let cancel = AtomicBool::new(false);
    let limits = Limits {
        deadline: budget.time_limit.map(|t| start + t),
        cancel: &cancel,
        max_states: budget.max_states,
        memory_limit: budget.memory_limit,
    };
    let outcomes = search_in_turns(model, &prepared.partitions, &limits, explain);
    let ops = prepared.partitions.iter().map(|p| p.entries.len()).sum();
    let mut analysis = Analysis::valid(model.name().into(), ops, prepared.partitions.len());
    analysis.failed_ops = history
        .events()
        .iter()
        .filter(|e| {
            e.kind == faultline_core::OpType::Fail && e.process != faultline_core::Process::Nemesis
        })
        .count();
    // Refuted partitions, fewest steps first (then lowest index): the first
    // is explained, and does not depend on thread timing (search_in_turns).
    let mut illegal: Vec<(u64, usize, usize)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(at, d)| match d.outcome {
            SearchOutcome::Illegal { .. } => Some((d.steps, d.partition, at)),
            _ => None,
        })
        .collect();
    illegal.sort_unstable();
    if !illegal.is_empty() {
        analysis.valid = Validity::Invalid;
        analysis.refuted_keys = illegal.len();
        analysis.undecided_keys = prepared.partitions.len()
            - outcomes
                .iter()
                .filter(|d| !matches!(d.outcome, SearchOutcome::Unknown(_)))
                .count();
        analysis.refuted = illegal
            .iter()
            .take(NAMED_KEYS)
            .map(|&(_, i, _)| key_name(&prepared.partitions[i]))
            .collect();
        if explain == Explain::Yes {
            let mut explained = illegal.iter().take(1 + MORE_EXPLAINED).map(|&(_, i, at)| {
                counterexample::explain(
                    model,
                    &prepared,
                    history,
                    &prepared.partitions[i],
                    outcomes[at].deepest.clone(),
                    &limits,
                )
            });
            analysis.counterexample = explained.next();
            analysis.more_counterexamples = explained.collect();
        }
    } else if let Some(why) = outcomes.iter().find_map(|d| match d.outcome {
        SearchOutcome::Unknown(why) => Some((d.partition, why)),
        _ => None,
    }) {
        analysis.valid = Validity::Unknown;
        let key = prepared.partitions[why.0]
            .key
            .as_deref()
            .map_or(String::new(), |k| format!(" on key {k}"));
        analysis.reason = Some(match why.1 {
            Exhausted::Time => {
                format!("time limit reached{key} before a verdict; raise --time-limit")
            }
            Exhausted::Memory => format!("search state limit ({}) reached{key}", budget.max_states),
            Exhausted::MemoryLimit => format!(
                "memory limit of {} reached{key} before a verdict; raise --memory-limit",
                faultline_core::memory::Bytes(budget.memory_limit.unwrap_or_default())
            ),
            Exhausted::Cancelled => "cancelled".to_owned(),
        });
    }
    Ok(analysis)
}

/// A partition's name in a summary: its key, or `(whole history)`.
fn key_name<M: Model>(partition: &Partition<M>) -> String {
    partition
        .key
        .clone()
        .unwrap_or_else(|| "(whole history)".to_owned())
}

/// Once a partition is refuted after `s` steps, the others go on until
/// `s` times this (at least [`MIN_COUNTING_STEPS`]) to be counted too.
const COUNTING_FACTOR: u64 = 4;
/// The least counting budget per partition after a refutation.
const MIN_COUNTING_STEPS: u64 = 1 << 13;

/// Steps a partition's search takes in its first turn; doubled every turn.
const FIRST_TURN_STEPS: u64 = 1 << 10;

/// A partition's search, ended: its outcome and step count, and (when
/// explaining) its deepest partial linearizations and frontier.
struct Decided {
    partition: usize,
    outcome: SearchOutcome,
    steps: u64,
    deepest: Option<search::Deepest>,
}

/// A search waiting for its next turn.
struct Queued<'e, M: Model> {
    partition: usize,
    search: Search<'e, M>,
    turn: u64,
}

/// Searches every partition in turns of doubling length, taken from one
/// queue by every core, so that an easy refutation is never held up by hard
/// partitions. Once a partition is found illegal after `s` steps, the others
/// go on only to a counting budget (`s` × [`COUNTING_FACTOR`]), so every
/// refuted key is counted while a hard valid key cannot hold the verdict
/// up; the partition explained (fewest steps, then lowest key) does not
/// depend on the number of threads or their timing.
/// Returns each decided partition with its outcome and step count; those
/// past the counting budget are not returned (they are undecided).
fn counting_budget(refuted_after: u64) -> u64 {
    refuted_after
        .saturating_mul(COUNTING_FACTOR)
        .max(MIN_COUNTING_STEPS)
}

fn search_in_turns<M: Model>(
    model: &M,
    partitions: &[Partition<M>],
    limits: &Limits,
    explain: Explain,
) -> Vec<Decided> {
    // Counting every refuted key is part of the explanation; the verdict
    // alone stops the others at the first refutation's step count.
    let budget_after = |steps: u64| match explain {
        Explain::Yes => counting_budget(steps),
        Explain::No => steps,
    };
    let queue: Mutex<VecDeque<Queued<M>>> = Mutex::new(
        partitions
            .iter()
            .enumerate()
            .map(|(partition, p)| {
                let mut search = Search::of_history(model, &p.entries, model.init());
                if explain == Explain::Yes {
                    search.track_deepest(counterexample::PATHS_KEPT);
                }
                Queued {
                    partition,
                    search,
                    turn: FIRST_TURN_STEPS,
                }
            })
            .collect(),
    );
    let undecided = AtomicUsize::new(partitions.len());
    // Steps past which a partition is left undecided: lowered to the
    // counting budget of the first refutation.
    let cap = AtomicU64::new(u64::MAX);
    let decided = Mutex::new(Vec::with_capacity(partitions.len()));
    let workers = rayon::current_num_threads().clamp(1, partitions.len().max(1));
    let work = || loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        let Some(mut item) = next else {
            if undecided.load(Ordering::Acquire) == 0 {
                return;
            }
            std::thread::yield_now();
            continue;
        };
        let until = item.search.steps().saturating_add(item.turn);
        let outcome = item
            .search
            .run_bounded(model, limits, until, &cap, None, None);
        let steps = item.search.steps();
        match outcome {
            Some(outcome) => {
                if matches!(outcome, SearchOutcome::Illegal { .. }) {
                    cap.fetch_min(budget_after(steps), Ordering::Relaxed);
                }
                let deepest = item.search.take_deepest();
                decided
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Decided {
                        partition: item.partition,
                        outcome,
                        steps,
                        deepest,
                    });
                undecided.fetch_sub(1, Ordering::Release);
            }
            None if steps >= cap.load(Ordering::Relaxed) => {
                undecided.fetch_sub(1, Ordering::Release);
            }
            None => {
                item.turn = item.turn.saturating_mul(2);
                queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back(item);
            }
        }
    };
    rayon::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|_| work());
        }
    });
    decided.into_inner().unwrap_or_else(|e| e.into_inner())
}

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
mod model;
mod model_kind;
pub mod models;
mod search;

pub use counterexample::{Counterexample, OpView, PartialLinearization, Step, Window};
pub use entries::{prepare, Entry, Partition, Prepared};
pub use model::{Interner, Model, ValueId};
pub use model_kind::ModelKind;
pub use search::{final_states, search, Exhausted, Limits, Search, SearchOutcome};

use faultline_core::{Budget, CheckError, History, Validity};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The result of checking one history for linearizability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The verdict.
    pub valid: Validity,
    /// The model checked against.
    pub model: &'static str,
    /// Operations checked (failed and nemesis operations excluded).
    pub ops: usize,
    /// Independent partitions (keys).
    pub partitions: usize,
    /// Why the verdict is unknown, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the history is not linearizable, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
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
    };
    let outcomes = search_in_turns(model, &prepared.partitions, &limits);
    let ops = prepared.partitions.iter().map(|p| p.entries.len()).sum();
    let mut analysis = Analysis {
        valid: Validity::Valid,
        model: model.name(),
        ops,
        partitions: prepared.partitions.len(),
        reason: None,
        counterexample: None,
    };
    // The partition refuted in the fewest steps is explained (see search_in_turns).
    let illegal = outcomes
        .iter()
        .filter_map(|(i, o, steps)| match o {
            SearchOutcome::Illegal { best_depth } => Some((*steps, *i, *best_depth)),
            _ => None,
        })
        .min()
        .map(|(_, i, best_depth)| (i, best_depth));
    if let Some((i, best_depth)) = illegal {
        analysis.valid = Validity::Invalid;
        analysis.counterexample = (explain == Explain::Yes).then(|| {
            counterexample::explain(
                model,
                &prepared,
                history,
                &prepared.partitions[i],
                best_depth,
                &limits,
            )
        });
    } else if let Some(why) = outcomes.iter().find_map(|(i, o, _)| match o {
        SearchOutcome::Unknown(why) => Some((*i, *why)),
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
            Exhausted::Cancelled => "cancelled".to_owned(),
        });
    }
    Ok(analysis)
}

/// Steps a partition's search takes in its first turn; doubled every turn.
const FIRST_TURN_STEPS: u64 = 1 << 10;

/// A search waiting for its next turn.
struct Queued<'e, M: Model> {
    partition: usize,
    search: Search<'e, M>,
    turn: u64,
}

/// Searches every partition in turns of doubling length, taken from one
/// queue by every core, so that an easy refutation is never held up by hard
/// partitions. Once a partition is found illegal after `s` steps, the others
/// stop past `s` steps: the partition explained (fewest steps, then lowest
/// key) does not depend on the number of threads or their timing.
/// Returns each decided partition with its outcome and step count.
fn search_in_turns<M: Model>(
    model: &M,
    partitions: &[Partition<M>],
    limits: &Limits,
) -> Vec<(usize, SearchOutcome, u64)> {
    let queue: Mutex<VecDeque<Queued<M>>> = Mutex::new(
        partitions
            .iter()
            .enumerate()
            .map(|(partition, p)| Queued {
                partition,
                search: Search::new(&p.entries, model.init()),
                turn: FIRST_TURN_STEPS,
            })
            .collect(),
    );
    let undecided = AtomicUsize::new(partitions.len());
    let bound = AtomicU64::new(u64::MAX);
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
            .run_bounded(model, limits, until, &bound, None, None);
        let steps = item.search.steps();
        match outcome {
            Some(outcome) => {
                if matches!(outcome, SearchOutcome::Illegal { .. }) {
                    bound.fetch_min(steps, Ordering::Relaxed);
                }
                decided.lock().unwrap_or_else(|e| e.into_inner()).push((
                    item.partition,
                    outcome,
                    steps,
                ));
                undecided.fetch_sub(1, Ordering::Release);
            }
            None if steps > bound.load(Ordering::Relaxed) => {
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

//! The Checker protocol: a pure function from a history to a verdict.

use crate::{History, HistoryError, Validity};
use std::time::Duration;
use thiserror::Error;

/// How much a checker may spend before it must answer `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time for the whole check; `None` for no limit.
    pub time_limit: Option<Duration>,
    /// How many search states a checker may remember.
    pub max_states: usize,
    /// Bytes this process may hold resident before a search gives up with
    /// `Unknown` (`--memory-limit`); `None` for no bound.
    pub memory_limit: Option<u64>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            time_limit: None,
            max_states: 50_000_000,
            memory_limit: crate::memory::default_memory_limit(),
        }
    }
}

/// A checker's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    /// The verdict.
    pub validity: Validity,
    /// One line a person reads first.
    pub summary: String,
    /// Everything a report needs (counterexamples, anomalies...), as JSON.
    pub details: serde_json::Value,
}

/// The history cannot be judged by this checker at all.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum CheckError {
    /// The events do not pair into operations.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// An operation does not fit the checker's model.
    #[error("{at}: {message}")]
    Operation {
        /// Where (line or event).
        at: String,
        /// What is wrong and what would fit.
        message: String,
    },
}

/// Judges histories. Implementations are pure: the same history and budget
/// give the same verdict, and nothing else decides validity.
pub trait Checker: Send + Sync {
    /// A short name for reports (`linearizable`, `list-append`...).
    fn name(&self) -> &str;

    /// Checks `history` within `budget`.
    fn check(&self, history: &History, budget: &Budget) -> Result<CheckResult, CheckError>;
}

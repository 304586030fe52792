//! What bounds a search, and how it ends: a linearization, none, or
//! unknown because a bound (time, states, memory) came first.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Why a search stopped without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhausted {
    /// The time limit passed.
    Time,
    /// The cache reached its size limit.
    Memory,
    /// The process's resident memory passed the memory limit.
    MemoryLimit,
    /// Another partition already decided the verdict.
    Cancelled,
}

/// What one search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchOutcome {
    /// A linearization exists.
    Linearizable,
    /// None exists; the longest partial linearization had this many operations.
    Illegal {
        /// Length of the longest partial linearization seen.
        best_depth: usize,
    },
    /// The budget ran out first.
    Unknown(Exhausted),
}

/// The budget a search runs under.
pub struct Limits<'a> {
    /// When to give up.
    pub deadline: Option<Instant>,
    /// Set by others to stop this search.
    pub cancel: &'a AtomicBool,
    /// Most cache entries allowed.
    pub max_states: usize,
    /// Most resident bytes allowed (the whole process's).
    pub memory_limit: Option<u64>,
}

impl<'a> Limits<'a> {
    /// No deadline and the default state limit, stopped by `cancel`.
    pub fn new(cancel: &'a AtomicBool) -> Limits<'a> {
        Limits {
            deadline: None,
            cancel,
            max_states: faultline_core::Budget::default().max_states,
            memory_limit: None,
        }
    }

    /// Whether the time limit has passed.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Steps between readings of the process's memory (a read of /proc costs
/// microseconds: every 2^16 steps it is noise).
pub(crate) const MEMORY_EVERY: u64 = 1 << 16;

/// Below this many entries a cache's growth is too small to matter (the
/// periodic check sees it): reading /proc for it would cost more than the
/// search of a small key.
pub(crate) const SMALL_CACHE: usize = 1 << 16;

/// Whether the process holds more than the limit allows.
pub(crate) fn over_memory_limit(limits: &Limits) -> bool {
    limits.memory_limit.is_some_and(|limit| {
        faultline_core::memory::resident_bytes().is_some_and(|resident| resident > limit)
    })
}

//! How a client process keeps off a system that will not serve (a node
//! refusing connections, a client reconnecting): while its client says
//! the system is unavailable ([`Completion::unavailable`], a client
//! program's `"unavailable": true`), it waits, with jitter, longer while
//! that repeats; anything else resets it. An ordinary failure (a compare
//! that did not hold, a transaction that conflicted) is a result, not a
//! refusal: it does not back off, so contention stays what the workload
//! makes it. One safety net remains for a client that never says it is
//! refused: [`UNCLASSIFIED_IN_A_ROW`] failures in a row, each back within
//! [`FAST_FAILURE`], count as refusals (at a 32% conflict rate, 8
//! conflicts in a row come once in 9 000 transactions). A client may also
//! ask for a wait itself.
//!
//! [`Completion::unavailable`]: faultline_core::Completion::unavailable

use faultline_core::{OpType, Rng};
use std::time::Duration;

/// A failure back faster than this may be a refusal the client did not name.
pub const FAST_FAILURE: Duration = Duration::from_millis(50);
/// Fast failures in a row not marked unavailable that count as refusals.
pub const UNCLASSIFIED_IN_A_ROW: u32 = 8;

/// The first wait.
const FIRST_WAIT: Duration = Duration::from_millis(10);
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// One process's back-off.
pub struct Backoff {
    refusals: u32,
    fast_failures: u32,
    rng: Rng,
}

impl Backoff {
    /// A back-off whose jitter comes from `rng` (its own stream, so that
    /// the operations drawn from the worker's stream do not depend on it).
    pub fn new(rng: Rng) -> Backoff {
        Backoff {
            refusals: 0,
            fast_failures: 0,
            rng,
        }
    }

    /// How long to wait after an operation that ended `kind` in `took`,
    /// refused by the system (`unavailable`) or not, when the client
    /// asked for `asked`.
    pub fn after(
        &mut self,
        kind: OpType,
        took: Duration,
        unavailable: bool,
        asked: Option<Duration>,
    ) -> Option<Duration> {
        let fast_failure = kind == OpType::Fail && took < FAST_FAILURE;
        self.fast_failures = if fast_failure {
            self.fast_failures + 1
        } else {
            0
        };
        if !unavailable && self.fast_failures < UNCLASSIFIED_IN_A_ROW {
            self.refusals = 0;
            return asked;
        }
        let doublings = self.refusals.min(16);
        self.refusals += 1;
        let ceiling = FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT);
        // Full jitter between half the ceiling and the ceiling.
        let half = ceiling.as_micros() as u64 / 2;
        let wait = Duration::from_micros(half + self.rng.below(half.max(1) + 1));
        Some(asked.map_or(wait, |a| a.max(wait)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_millis(1);
    const SLOW: Duration = Duration::from_secs(1);

    #[test]
    fn waits_grow_while_refusals_repeat_and_anything_else_resets_them() {
        let mut b = Backoff::new(Rng::new(1));
        let mut last = Duration::ZERO;
        for _ in 0..12 {
            let wait = b
                .after(OpType::Fail, FAST, true, None)
                .expect("backing off");
            assert!(
                wait <= MAX_WAIT && wait >= last / 2,
                "{wait:?} after {last:?}"
            );
            last = wait;
        }
        assert!(last >= MAX_WAIT / 2, "grew to the cap: {last:?}");
        assert_eq!(b.after(OpType::Ok, FAST, false, None), None);
        let again = b.after(OpType::Fail, SLOW, true, None).unwrap();
        assert!(again <= FIRST_WAIT, "reset: {again:?}");
    }

    #[test]
    fn ordinary_failures_never_back_off_and_a_clients_request_is_honoured() {
        let mut b = Backoff::new(Rng::new(2));
        // Conflicts are results: any run of them short of the safety net,
        // slow ones however many.
        for _ in 0..UNCLASSIFIED_IN_A_ROW - 1 {
            assert_eq!(b.after(OpType::Fail, FAST, false, None), None);
        }
        assert_eq!(b.after(OpType::Ok, FAST, false, None), None);
        for _ in 0..1000 {
            assert_eq!(b.after(OpType::Fail, SLOW, false, None), None);
        }
        let asked = Some(Duration::from_millis(250));
        assert_eq!(b.after(OpType::Fail, FAST, false, asked), asked);
        assert_eq!(
            b.after(OpType::Fail, FAST, true, asked),
            asked,
            "the longer of the two"
        );
    }

    #[test]
    fn a_client_that_never_says_it_is_refused_still_backs_off_after_a_run_of_fast_failures() {
        let mut b = Backoff::new(Rng::new(3));
        let waits: Vec<Option<Duration>> = (0..UNCLASSIFIED_IN_A_ROW + 2)
            .map(|_| b.after(OpType::Fail, FAST, false, None))
            .collect();
        let first = UNCLASSIFIED_IN_A_ROW as usize - 1;
        assert!(waits[..first].iter().all(Option::is_none), "{waits:?}");
        assert!(waits[first..].iter().all(Option::is_some), "{waits:?}");
    }
}

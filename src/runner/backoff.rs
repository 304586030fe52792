//! How a client process keeps off a system that answers with failures at
//! once (a node that refuses connections, a client reconnecting): after
//! fast failures in a row it waits, with jitter, longer while they repeat;
//! a success resets it. A single fast failure is often an ordinary result
//! (a compare-and-set whose compare failed), so the wait starts with the
//! second in a row. A client may also ask for a wait itself.

use faultline_core::{OpType, Rng};
use std::time::Duration;

/// A failure that returned faster than this is the system refusing.
pub const FAST_FAILURE: Duration = Duration::from_millis(50);
/// The first wait.
const FIRST_WAIT: Duration = Duration::from_millis(10);
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// One process's back-off.
pub struct Backoff {
    fast_failures: u32,
    rng: Rng,
}

impl Backoff {
    /// A back-off whose jitter comes from `rng` (its own stream, so that
    /// the operations drawn from the worker's stream do not depend on it).
    pub fn new(rng: Rng) -> Backoff {
        Backoff {
            fast_failures: 0,
            rng,
        }
    }

    /// How long to wait after an operation that ended `kind` in `took`,
    /// when the client asked for `asked`.
    pub fn after(
        &mut self,
        kind: OpType,
        took: Duration,
        asked: Option<Duration>,
    ) -> Option<Duration> {
        if kind == OpType::Ok {
            self.fast_failures = 0;
            return asked;
        }
        if took >= FAST_FAILURE {
            // A slow failure paces itself.
            self.fast_failures = 0;
            return asked;
        }
        self.fast_failures += 1;
        if self.fast_failures < 2 {
            return asked;
        }
        let doublings = (self.fast_failures - 2).min(16);
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

    #[test]
    fn waits_grow_while_fast_failures_repeat_and_a_success_resets_them() {
        let mut b = Backoff::new(Rng::new(1));
        assert_eq!(
            b.after(OpType::Fail, FAST, None),
            None,
            "one failure is a result"
        );
        let mut last = Duration::ZERO;
        for _ in 0..12 {
            let wait = b.after(OpType::Fail, FAST, None).expect("backing off");
            assert!(
                wait <= MAX_WAIT && wait >= last / 2,
                "{wait:?} after {last:?}"
            );
            last = wait;
        }
        assert!(last >= MAX_WAIT / 2, "grew to the cap: {last:?}");
        assert_eq!(b.after(OpType::Ok, FAST, None), None);
        assert_eq!(
            b.after(OpType::Info, FAST, None),
            None,
            "reset by the success"
        );
    }

    #[test]
    fn slow_failures_do_not_back_off_and_a_clients_request_is_honoured() {
        let mut b = Backoff::new(Rng::new(2));
        for _ in 0..5 {
            assert_eq!(b.after(OpType::Info, Duration::from_secs(5), None), None);
        }
        let asked = Some(Duration::from_millis(250));
        assert_eq!(b.after(OpType::Fail, FAST, asked), asked);
        assert_eq!(b.after(OpType::Ok, FAST, asked), asked);
    }
}

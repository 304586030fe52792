//! Undoing a fault until it holds: the undo is tried, then verified, and
//! tried again with growing pauses until verified or out of time. A heal
//! that ran without error but left rules behind, or that timed out on a
//! loaded node (iptables waiting for its lock), is not taken for healed.

use std::time::{Duration, Instant};

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub struct HealPolicy {
    /// The pause after the first failed try; doubled after each.
    pub first_pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
    /// Time for all tries together.
    pub bound: Duration,
}

impl Default for HealPolicy {
    fn default() -> HealPolicy {
        HealPolicy {
            first_pause: Duration::from_millis(100),
            max_pause: Duration::from_secs(2),
            bound: Duration::from_secs(30),
        }
    }
}

/// What became of a heal that was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Healed {
    /// Tries it took (1: the first held).
    pub tries: u32,
}

impl HealPolicy {
    /// Runs `undo` then `verify` until `verify` says the fault is gone;
    /// `Err` with the last reason once `bound` has passed.
    pub fn until_verified(
        &self,
        mut undo: impl FnMut() -> Result<(), String>,
        mut verify: impl FnMut() -> Result<bool, String>,
    ) -> Result<Healed, String> {
        let start = Instant::now();
        let mut pause = self.first_pause;
        let mut tries = 0;
        loop {
            tries += 1;
            let reason = match undo().and_then(|_| verify()) {
                Ok(true) => return Ok(Healed { tries }),
                Ok(false) => "the fault is still there after undoing it".to_owned(),
                Err(e) => e,
            };
            if start.elapsed() + pause > self.bound {
                return Err(format!(
                    "not healed after {tries} tries in {:.1} s: {reason}",
                    start.elapsed().as_secs_f64()
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(self.max_pause);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> HealPolicy {
        HealPolicy {
            first_pause: Duration::from_millis(1),
            max_pause: Duration::from_millis(4),
            bound: Duration::from_millis(200),
        }
    }

    /// An in-process fake: an undo that fails its first `n` tries.
    #[test]
    fn a_heal_that_fails_its_first_tries_is_retried_until_verified() {
        let mut calls = 0;
        let healed = quick().until_verified(
            || {
                calls += 1;
                if calls <= 3 {
                    Err("iptables: timed out waiting for the xtables lock".into())
                } else {
                    Ok(())
                }
            },
            || Ok(true),
        );
        assert_eq!(healed, Ok(Healed { tries: 4 }));
    }

    /// An undo that "succeeds" but leaves the fault is not healed.
    #[test]
    fn an_undo_that_leaves_the_fault_is_retried_and_then_reported() {
        let mut verified = 0;
        let result = quick().until_verified(
            || Ok(()),
            || {
                verified += 1;
                Ok(false)
            },
        );
        let reason = result.unwrap_err();
        assert!(reason.contains("still there"), "{reason}");
        assert!(verified > 3, "tried {verified} times");
    }
}

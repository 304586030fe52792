//! The watch workload (etcd's): processes sharing a key `put` unique
//! values to it, each acknowledged with the revision the store gave it,
//! and `watch` it: a watch streams the key's events from the revision
//! after the last one that process saw (from 1 at first) for a short
//! window, then reports where it started and every event delivered, in
//! order. Checked with the watch checker: the same ordered revisions for
//! every watcher, none skipped.

use crate::workload::{Independent, RunShape, Unread, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// One watch in this many operations; the rest are puts.
const WATCH_EVERY: u64 = 8;

/// How the watch workload is shaped.
#[derive(Clone, Debug)]
pub struct WatchWorkload {
    /// Processes that share a key.
    pub processes_per_key: u64,
}

impl WatchWorkload {
    /// The `n`th operation of `worker`, from its own random stream; put
    /// values are unique per worker and operation.
    pub fn next(&self, worker: u64, n: u64, rng: &mut Rng) -> Planned {
        let key = Some(format!("w{}", worker / self.processes_per_key.max(1)));
        if rng.below(WATCH_EVERY) == 0 {
            return Planned {
                f: "watch",
                key,
                value: Value::Null,
            };
        }
        Planned {
            f: "put",
            key,
            value: json!(worker * 1_000_000 + n),
        }
    }
}

/// The watch workload in the registry.
pub struct Watch;

impl Workload for Watch {
    /// A watch stream has no final read: its watches are its reads.
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            let workload = WatchWorkload {
                processes_per_key: shape.processes_per_key,
            };
            Box::new(Unread(move |n, rng: &mut Rng| {
                workload.next(worker, n, rng)
            }))
        }))
    }

    /// etcd's watch guarantees.
    fn check_spec(&self, _promise: Promise) -> CheckSpec {
        CheckSpec::Watch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_puts_unique_values_to_one_key_and_watches_it() {
        let w = WatchWorkload {
            processes_per_key: 2,
        };
        let mut rng = Rng::new(5);
        let mut values = std::collections::BTreeSet::new();
        let mut watches = 0;
        for worker in [2, 3] {
            for n in 0..300 {
                let op = w.next(worker, n, &mut rng);
                assert_eq!(op.key.as_deref(), Some("w1"));
                match op.f {
                    "put" => assert!(values.insert(op.value.to_string()), "{}", op.value),
                    _ => watches += 1,
                }
            }
        }
        assert!((40..120).contains(&watches), "{watches} watches of 600");
    }
}

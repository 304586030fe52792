//! The set workload: elements added one at a time to sets shared by a few
//! processes, and reads of a whole set now and then; checked with
//! Jepsen's set-full analysis (lost, stale and never-read elements).
//!
//! Every element is distinct across workers (worker `w`'s `n`-th operation
//! adds `(n + 1) · workers + w`), so a read names the adds it saw. Sets
//! are shared the way register keys are: `processes_per_key` workers add
//! to one set for `ops_per_key` operations, then move to a fresh one, so
//! that no read grows without bound; the final reads read every set.

use crate::workload::{Generator, Independent, RunShape, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// One read in this many operations; the rest are adds.
const READ_EVERY: u64 = 4;

/// How the set workload is shaped.
#[derive(Clone, Debug)]
pub struct SetWorkload {
    /// Processes that add to one set.
    pub processes_per_key: u64,
    /// Operations on a set before its processes move to a fresh one.
    pub ops_per_key: u64,
    /// Workers in the run (elements are unique across them).
    pub workers: u64,
}

impl SetWorkload {
    /// A worker's workload: `processes_per_key` share a set for
    /// `ops_per_key` operations, among `workers` workers in all.
    pub fn new(processes_per_key: u64, ops_per_key: u64, workers: u64) -> SetWorkload {
        SetWorkload {
            processes_per_key,
            ops_per_key,
            workers,
        }
    }

    /// The next operation of `worker` (its `n`-th), from its own random
    /// stream so that a seed replays the same schedule.
    pub fn next(&self, worker: u64, n: u64, rng: &mut Rng) -> Planned {
        let group = worker / self.processes_per_key.max(1);
        let share = (self.ops_per_key / self.processes_per_key.max(1)).max(1);
        let key = format!("s{group}.{}", n / share);
        if rng.below(READ_EVERY) == 0 {
            return SetWorkload::read(key);
        }
        Planned {
            f: "add",
            key: Some(key),
            value: json!((n + 1) * self.workers.max(worker + 1) + worker),
        }
    }

    /// A read of the whole set `key`.
    pub fn read(key: String) -> Planned {
        Planned {
            f: "read",
            key: Some(key),
            value: Value::Null,
        }
    }
}

/// The set workload in the registry.
pub struct Set;

impl Workload for Set {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            Box::new(SetGenerator {
                workload: SetWorkload::new(
                    shape.processes_per_key,
                    shape.ops_per_key,
                    shape.concurrency,
                ),
                worker,
            })
        }))
    }

    /// Jepsen's set-full; a stale read refutes only where reads are
    /// promised to be current.
    fn check_spec(&self, promise: Promise) -> CheckSpec {
        CheckSpec::Set {
            linearizable: promise.reads_are_current,
        }
    }
}

/// One worker's adds and reads.
struct SetGenerator {
    workload: SetWorkload,
    worker: u64,
}

impl Generator for SetGenerator {
    fn next(&mut self, n: u64, rng: &mut Rng) -> Planned {
        self.workload.next(self.worker, n, rng)
    }

    /// Keys move forward: every set the worker added to is read at the
    /// end (a set is new when it differs from the last).
    fn final_keys(&self, planned: &Planned, last: Vec<String>) -> Vec<String> {
        crate::workload::every_key_used(planned, last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn elements_are_distinct_and_sets_are_shared_then_left() {
        let workload = SetWorkload::new(2, 20, 4);
        let mut elements = HashSet::new();
        let (mut reads, mut adds) = (0, 0);
        let mut keys = HashSet::new();
        for worker in 0..4 {
            let mut rng = Rng::stream(5, worker);
            for n in 0..100 {
                let op = workload.next(worker, n, &mut rng);
                keys.insert((worker / 2, op.key.clone().unwrap()));
                match op.f {
                    "add" => {
                        adds += 1;
                        assert!(elements.insert(op.value.as_u64().unwrap()), "{op:?}");
                    }
                    _ => {
                        reads += 1;
                        assert_eq!(op.value, Value::Null);
                    }
                }
            }
        }
        assert!(reads > 50 && adds > 250, "{reads} reads, {adds} adds");
        // Each pair of workers shares a set for 10 ops each: 10 sets per pair.
        assert_eq!(keys.len(), 20);
        assert!(keys.contains(&(1, "s1.9".to_owned())));
    }

    #[test]
    fn a_seed_replays_the_same_operations() {
        let plan = |seed| {
            let w = SetWorkload::new(3, 200, 10);
            let mut rng = Rng::new(seed);
            (0..100).map(|n| w.next(1, n, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(plan(3), plan(3));
        assert_ne!(plan(3), plan(4));
    }
}

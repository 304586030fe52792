//! The register workload: independent keys, a few processes per key, a mix
//! of read, write and compare-and-set; checked per key with the
//! cas-register model.
//!
//! Every value set is distinct (worker `w`'s `n`-th operation sets
//! `(n + 1) · workers + w`), so that a read names the write it saw and the
//! checker's unique-value fast path applies (see the book's "How the
//! checker works"): timed-out writes nobody saw stop costing the search.
//! A cas expects the value its worker last set on the key, which is
//! current whenever no other worker set one since; with none yet, it is a
//! write. Both come from the plan alone, so a seed replays the same
//! operations whatever the database answered.

use crate::workload::{Independent, Keyed, RunShape, Workload, WorkloadRun};
use faultline_checkers::linearizable::ModelKind;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// How the register workload is shaped, and one worker's memory of what
/// it last set.
#[derive(Clone, Debug)]
pub struct RegisterWorkload {
    /// Processes that share a key.
    pub processes_per_key: u64,
    /// Operations on a key before its processes move to a fresh one.
    pub ops_per_key: u64,
    /// Workers in the run (values are unique across them).
    pub workers: u64,
    /// The key and value this worker last wrote or cas'd to.
    last_set: Option<(String, u64)>,
}

impl Default for RegisterWorkload {
    fn default() -> RegisterWorkload {
        RegisterWorkload::new(3, 200, 10)
    }
}

/// One operation to invoke.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// `read`, `write` or `cas`.
    pub f: &'static str,
    /// The key (`None` for transactions, which name their keys inside).
    pub key: Option<String>,
    /// The argument.
    pub value: Value,
}

impl RegisterWorkload {
    /// A worker's workload: `processes_per_key` share a key for
    /// `ops_per_key` operations, among `workers` workers in all.
    pub fn new(processes_per_key: u64, ops_per_key: u64, workers: u64) -> RegisterWorkload {
        RegisterWorkload {
            processes_per_key,
            ops_per_key,
            workers,
            last_set: None,
        }
    }

    /// The next operation of `worker` (its `n`-th), drawn from its own
    /// random stream so that a seed replays the same schedule.
    pub fn next(&mut self, worker: u64, n: u64, rng: &mut Rng) -> Planned {
        let group = worker / self.processes_per_key.max(1);
        // Each worker of a group moves on after its share of the key's ops.
        let share = (self.ops_per_key / self.processes_per_key.max(1)).max(1);
        let key = format!("r{group}.{}", n / share);
        let value = (n + 1) * self.workers.max(worker + 1) + worker;
        let own = self
            .last_set
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| *v);
        let (f, value) = match (rng.below(3), own) {
            (0, _) => ("read", Value::Null),
            (1, _) | (_, None) => ("write", json!(value)),
            (_, Some(old)) => ("cas", json!([old, value])),
        };
        if f != "read" {
            self.last_set = Some((key.clone(), set_value(&value)));
        }
        Planned {
            f,
            key: Some(key),
            value,
        }
    }
}

/// The value an operation sets: a write's, a cas's new one.
fn set_value(value: &Value) -> u64 {
    value
        .as_array()
        .and_then(|pair| pair.get(1))
        .unwrap_or(value)
        .as_u64()
        .unwrap_or_default()
}

/// The register workload in the registry.
pub struct Register;

impl Workload for Register {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            let mut workload = RegisterWorkload::new(
                shape.processes_per_key,
                shape.ops_per_key,
                shape.concurrency,
            );
            Box::new(Keyed(move |n, rng: &mut Rng| workload.next(worker, n, rng)))
        }))
    }

    /// Each key a register with compare-and-set: linearizable per key.
    fn check_spec(&self, _promise: Promise) -> CheckSpec {
        CheckSpec::Linearizable {
            model: ModelKind::CasRegister,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_of_a_group_share_keys_and_move_on() {
        let mut w = RegisterWorkload::new(2, 10, 4);
        let mut rng = Rng::new(1);
        let mut key = |worker, n, rng: &mut Rng| w.next(worker, n, rng).key.unwrap();
        assert_eq!(key(0, 0, &mut rng), "r0.0");
        assert_eq!(key(1, 4, &mut rng), "r0.0");
        assert_eq!(key(1, 5, &mut rng), "r0.1");
        assert_eq!(key(2, 0, &mut rng), "r1.0");
        let mut w = RegisterWorkload::new(2, 10, 4);
        let kinds: std::collections::BTreeSet<_> =
            (0..50).map(|n| w.next(0, n, &mut rng).f).collect();
        assert_eq!(kinds.len(), 3);
    }

    #[test]
    fn every_value_set_is_distinct_and_a_cas_expects_its_workers_last() {
        let workers = 6;
        let mut set = std::collections::HashSet::new();
        let mut cas = 0;
        for worker in 0..workers {
            let mut w = RegisterWorkload::new(3, 60, workers);
            let mut rng = Rng::stream(9, worker);
            let mut last: Option<(String, u64)> = None;
            for n in 0..300 {
                let op = w.next(worker, n, &mut rng);
                let key = op.key.clone().unwrap();
                match op.f {
                    "write" => assert!(set.insert(op.value.as_u64().unwrap())),
                    "cas" => {
                        cas += 1;
                        let (old, new) = (op.value[0].as_u64(), op.value[1].as_u64().unwrap());
                        assert_eq!(last.as_ref().filter(|(k, _)| *k == key).map(|l| l.1), old);
                        assert!(set.insert(new));
                    }
                    _ => continue,
                }
                last = Some((key, set_value(&op.value)));
            }
        }
        assert!(cas > 300, "{cas} cas of 1800 operations");
    }

    #[test]
    fn a_seed_replays_the_same_operations() {
        let plan = |seed| {
            let mut w = RegisterWorkload::default();
            let mut rng = Rng::new(seed);
            (0..100).map(|n| w.next(1, n, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(plan(3), plan(3));
        assert_ne!(plan(3), plan(4));
    }
}

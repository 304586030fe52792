//! The counter workload: increments of 1 and reads of counters shared by a
//! few processes; checked with Jepsen's counter bounds. Increments of 1
//! make the bounds exact: a read out of them is an anomaly, and any value
//! within them is possible in some order.

use crate::workload::{Independent, Keyed, RunShape, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// One read in this many operations; the rest are increments.
const READ_EVERY: u64 = 3;

/// How the counter workload is shaped: `processes_per_key` workers share
/// one counter for the whole run.
#[derive(Clone, Debug)]
pub struct CounterWorkload {
    /// Processes that share a counter.
    pub processes_per_key: u64,
}

impl CounterWorkload {
    /// The next operation of `worker`, from its own random stream.
    pub fn next(&self, worker: u64, rng: &mut Rng) -> Planned {
        let key = Some(format!("c{}", worker / self.processes_per_key.max(1)));
        if rng.below(READ_EVERY) == 0 {
            Planned {
                f: "read",
                key,
                value: Value::Null,
            }
        } else {
            Planned {
                f: "add",
                key,
                value: json!(1),
            }
        }
    }
}

/// The counter workload in the registry.
pub struct Counter;

impl Workload for Counter {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            let workload = CounterWorkload {
                processes_per_key: shape.processes_per_key,
            };
            Box::new(Keyed(move |_, rng: &mut Rng| workload.next(worker, rng)))
        }))
    }

    /// Jepsen's counter bounds.
    fn check_spec(&self, _promise: Promise) -> CheckSpec {
        CheckSpec::Counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_of_a_group_share_one_counter_and_mostly_add() {
        let w = CounterWorkload {
            processes_per_key: 3,
        };
        let mut rng = Rng::new(4);
        let ops: Vec<Planned> = (0..300).map(|_| w.next(4, &mut rng)).collect();
        assert!(ops.iter().all(|op| op.key.as_deref() == Some("c1")));
        let adds = ops.iter().filter(|op| op.f == "add").count();
        assert!((150..250).contains(&adds), "{adds} adds of 300");
        assert!(ops
            .iter()
            .filter(|op| op.f == "add")
            .all(|op| op.value == json!(1)));
    }
}

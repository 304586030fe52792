//! The lock workload: processes sharing a lock take it and give it back in
//! turn; checked for linearizability against the mutex model (Knossos's
//! `mutex`: acquire only when free, release only when held), as Jepsen's
//! lock tests do. A lock the system lets go on its own (a lease or
//! timeout ran out while its holder still believed it held it) shows up
//! as two acquisitions without a release between them.

use crate::workload::{Independent, RunShape, Unread, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::linearizable::ModelKind;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::Rng;
use faultline_core::Value;

/// How the lock workload is shaped: `processes_per_key` workers share one
/// lock for the whole run.
#[derive(Clone, Debug)]
pub struct LockWorkload {
    /// Processes that share a lock.
    pub processes_per_key: u64,
}

impl LockWorkload {
    /// The `n`th operation of `worker`: acquire, then release, in turn (a
    /// release after a refused acquire is refused in its turn: the client
    /// holds nothing to give back).
    pub fn next(&self, worker: u64, n: u64) -> Planned {
        Planned {
            f: if n % 2 == 0 { "acquire" } else { "release" },
            key: Some(format!("l{}", worker / self.processes_per_key.max(1))),
            value: Value::Null,
        }
    }
}

/// The lock workload in the registry.
pub struct Lock;

impl Workload for Lock {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            let workload = LockWorkload {
                processes_per_key: shape.processes_per_key,
            };
            Box::new(Unread(move |n, _: &mut Rng| workload.next(worker, n)))
        }))
    }

    /// Jepsen's lock tests: Knossos's mutex model.
    fn check_spec(&self, _promise: Promise) -> CheckSpec {
        CheckSpec::Linearizable {
            model: ModelKind::Mutex,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_of_a_group_share_one_lock_and_alternate() {
        let w = LockWorkload {
            processes_per_key: 3,
        };
        let ops: Vec<Planned> = (0..6).map(|n| w.next(5, n)).collect();
        assert!(ops.iter().all(|op| op.key.as_deref() == Some("l1")));
        let fs: Vec<&str> = ops.iter().map(|op| op.f).collect();
        assert_eq!(
            fs,
            ["acquire", "release", "acquire", "release", "acquire", "release"]
        );
        assert_eq!(w.next(2, 0).key.as_deref(), Some("l0"));
    }
}

//! The unique-ids workload: processes sharing a generator ask it for ids
//! (`generate`, acknowledged with the id); checked with Jepsen's
//! unique-ids checker: no id is handed out twice. Each group of
//! `processes_per_key` processes shares a generator for the whole run.

use crate::workload::{Independent, RunShape, Unread, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::Rng;
use faultline_core::Value;

/// How the unique-ids workload is shaped.
#[derive(Clone, Debug)]
pub struct UniqueIdsWorkload {
    /// Processes that share a generator.
    pub processes_per_key: u64,
}

impl UniqueIdsWorkload {
    /// The next operation of `worker`: always a `generate`.
    pub fn next(&self, worker: u64) -> Planned {
        Planned {
            f: "generate",
            key: Some(format!("u{}", worker / self.processes_per_key.max(1))),
            value: Value::Null,
        }
    }
}

/// The unique-ids workload in the registry.
pub struct UniqueIds;

impl Workload for UniqueIds {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            let workload = UniqueIdsWorkload {
                processes_per_key: shape.processes_per_key,
            };
            Box::new(Unread(move |_, _: &mut Rng| workload.next(worker)))
        }))
    }

    /// Jepsen's unique-ids.
    fn check_spec(&self, _promise: Promise) -> CheckSpec {
        CheckSpec::UniqueIds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_of_a_group_share_one_generator() {
        let w = UniqueIdsWorkload {
            processes_per_key: 3,
        };
        let keys: Vec<Option<String>> = (0..6).map(|worker| w.next(worker).key).collect();
        assert_eq!(keys[0], keys[2]);
        assert_ne!(keys[2], keys[3]);
        assert!((0..6).all(|worker| w.next(worker).f == "generate"));
    }
}

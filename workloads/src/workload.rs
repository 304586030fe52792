//! What a workload is to the runner: operations for each worker, the keys
//! read again once the faults are healed, and the checker that judges the
//! history. Each workload's file implements [`Workload`];
//! [`crate::WorkloadKind::workload`] is the one place that lists them.

use crate::{Planned, TxnShape};
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};

/// The shape of a run, as a workload plans for it.
#[derive(Clone, Copy, Debug)]
pub struct RunShape {
    /// Workers (client processes) in the run.
    pub concurrency: u64,
    /// Processes that share a key.
    pub processes_per_key: u64,
    /// Operations on a key before its processes move to a fresh one.
    pub ops_per_key: u64,
    /// The transactional workloads' keys and lengths.
    pub txn: TxnShape,
}

/// A workload, as the registry lists it.
pub trait Workload: Sync {
    /// Its operations for one run, shared by every worker.
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun>;

    /// The checker a history of it needs, holding the system to `promise`.
    fn check_spec(&self, promise: Promise) -> CheckSpec;
}

/// One run of a workload: what every worker shares (a pool of keys).
pub trait WorkloadRun: Send + Sync {
    /// The operations of worker `worker`.
    fn generator(&self, worker: u64) -> Box<dyn Generator + '_>;

    /// Keys read again at the end beyond each worker's own (a pool's).
    fn shared_final_keys(&self) -> Vec<String> {
        Vec::new()
    }

    /// The reads of `keys` at the end: one read per key unless the
    /// workload reads otherwise.
    fn final_reads(&self, keys: &[String]) -> Vec<Planned> {
        keys.iter()
            .map(|key| Planned {
                f: "read",
                key: Some(key.clone()),
                value: Value::Null,
            })
            .collect()
    }
}

/// One worker's operations.
pub trait Generator: Send {
    /// The worker's `n`th operation, from its own random stream.
    fn next(&mut self, n: u64, rng: &mut Rng) -> Planned;

    /// The worker's keys to read at the end, after it performed `planned`
    /// (`last`: what they were before). Default: the key it is on.
    fn final_keys(&self, planned: &Planned, last: Vec<String>) -> Vec<String> {
        match &planned.key {
            Some(key) => vec![key.clone()],
            None => last,
        }
    }
}

/// `last` with the key of `planned` added when it is not the one before:
/// every key a worker used, for workloads whose keys all hold something to
/// read at the end (sets, streams).
pub(crate) fn every_key_used(planned: &Planned, mut last: Vec<String>) -> Vec<String> {
    if let Some(key) = &planned.key {
        if last.last() != Some(key) {
            last.push(key.clone());
        }
    }
    last
}

/// A generator from a function of the worker's `n` and random stream,
/// whose keys hold nothing to read at the end (a lock, a generator of ids).
pub(crate) struct Unread<F>(pub F);

impl<F: FnMut(u64, &mut Rng) -> Planned + Send> Generator for Unread<F> {
    fn next(&mut self, n: u64, rng: &mut Rng) -> Planned {
        (self.0)(n, rng)
    }

    fn final_keys(&self, _planned: &Planned, _last: Vec<String>) -> Vec<String> {
        Vec::new()
    }
}

/// A generator from a function whose key is read at the end.
pub(crate) struct Keyed<F>(pub F);

impl<F: FnMut(u64, &mut Rng) -> Planned + Send> Generator for Keyed<F> {
    fn next(&mut self, n: u64, rng: &mut Rng) -> Planned {
        (self.0)(n, rng)
    }
}

/// A run whose workers share nothing: each worker's generator is made by
/// `make` from the run's shape.
pub(crate) struct Independent {
    shape: RunShape,
    make: fn(&RunShape, u64) -> Box<dyn Generator>,
}

impl Independent {
    pub(crate) fn new(shape: RunShape, make: fn(&RunShape, u64) -> Box<dyn Generator>) -> Self {
        Independent { shape, make }
    }
}

impl WorkloadRun for Independent {
    fn generator(&self, worker: u64) -> Box<dyn Generator + '_> {
        (self.make)(&self.shape, worker)
    }
}

#[cfg(test)]
mod tests {
    use crate::{TxnShape, WorkloadKind};
    use faultline_checkers::linearizable::ModelKind;
    use faultline_checkers::serializable::{ConsistencyModel, Workload as Txns};
    use faultline_checkers::{CheckSpec, Promise};
    use faultline_core::Rng;

    fn shape() -> super::RunShape {
        super::RunShape {
            concurrency: 4,
            processes_per_key: 2,
            ops_per_key: 4,
            txn: TxnShape::default(),
        }
    }

    /// Each workload asks for its checker, holding the system to its promise.
    #[test]
    fn each_workload_asks_for_its_checker() {
        let weak = Promise {
            consistency_model: ConsistencyModel::ReadCommitted,
            reads_are_current: false,
        };
        let spec = |kind: WorkloadKind| kind.workload().check_spec(weak);
        let serializable = |workload| CheckSpec::Serializable {
            workload,
            consistency_model: ConsistencyModel::ReadCommitted,
        };
        let expected = [
            (
                WorkloadKind::Register,
                CheckSpec::Linearizable {
                    model: ModelKind::CasRegister,
                },
            ),
            (WorkloadKind::Append, serializable(Txns::ListAppend)),
            (WorkloadKind::Wr, serializable(Txns::RwRegister)),
            (
                WorkloadKind::Set,
                CheckSpec::Set {
                    linearizable: false,
                },
            ),
            (WorkloadKind::Counter, CheckSpec::Counter),
            (
                WorkloadKind::Lock,
                CheckSpec::Linearizable {
                    model: ModelKind::Mutex,
                },
            ),
            (WorkloadKind::UniqueIds, CheckSpec::UniqueIds),
            (
                WorkloadKind::Bank,
                CheckSpec::Bank {
                    accounts: crate::BANK_ACCOUNTS as usize,
                    total: crate::BANK_TOTAL,
                },
            ),
            (WorkloadKind::Watch, CheckSpec::Watch),
            (
                WorkloadKind::Stream,
                CheckSpec::Stream {
                    reads_are_current: false,
                },
            ),
        ];
        assert_eq!(expected.len(), WorkloadKind::ALL.len());
        for (kind, checker) in expected {
            assert_eq!(spec(kind), checker, "{kind}");
        }
        let strict = WorkloadKind::Set.workload().check_spec(Promise::STRICT);
        assert_eq!(strict, CheckSpec::Set { linearizable: true });
    }

    /// What a worker reads at the end: the key it is on; every set it added
    /// to; nothing for a lock, an id generator or a watch; the keys of its
    /// last transaction.
    #[test]
    fn a_worker_reads_again_the_keys_its_workload_says() {
        let ends = |kind: WorkloadKind| {
            let run = kind.workload().start(&shape());
            let mut generator = run.generator(1);
            let mut rng = Rng::new(7);
            let mut keys = Vec::new();
            let mut seen = Vec::new();
            for n in 0..40 {
                let planned = generator.next(n, &mut rng);
                if let Some(key) = &planned.key {
                    if seen.last() != Some(key) {
                        seen.push(key.clone());
                    }
                }
                keys = generator.final_keys(&planned, keys);
            }
            (keys, seen)
        };
        let (register, seen) = ends(WorkloadKind::Register);
        assert_eq!(register, [seen.last().unwrap().clone()]);
        let (set, seen) = ends(WorkloadKind::Set);
        assert!(seen.len() > 1, "{seen:?}");
        assert_eq!(set, seen);
        for kind in [
            WorkloadKind::Lock,
            WorkloadKind::UniqueIds,
            WorkloadKind::Watch,
        ] {
            assert!(ends(kind).0.is_empty(), "{kind}");
        }
        let (append, _) = ends(WorkloadKind::Append);
        assert!(!append.is_empty() && append.iter().all(|k| k.parse::<u64>().is_ok()));
    }
}

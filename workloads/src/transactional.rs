//! Transactional workloads, Elle's: `append` (list-append: read lists and
//! append unique integers) and `wr` (rw-register: read and write unique
//! integers). Each transaction has 1 to `max_txn_length` micro-operations
//! over keys drawn from one [`KeyPool`] shared by every worker, so
//! contention is the same at the end of a run as at its start.

use crate::key_pool::KeyPool;
use crate::workload::{Generator, RunShape, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// Which transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnKind {
    /// `["append", k, v]` and `["r", k, null]`.
    Append,
    /// `["w", k, v]` and `["r", k, null]`.
    Wr,
}

/// The shape of the transactions: `--key-count`, `--max-txn-length`,
/// `--max-writes-per-key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TxnShape {
    /// Keys in use at once, over all workers.
    pub key_count: u64,
    /// Micro-operations per transaction at most.
    pub max_txn_length: u64,
    /// Writes to a key before it is retired for a fresh one.
    pub max_writes_per_key: u64,
}

impl Default for TxnShape {
    /// 8 keys for 10 workers: most transactions meet another on a key,
    /// and a list-append read stays under 32 elements.
    fn default() -> TxnShape {
        TxnShape {
            key_count: 8,
            max_txn_length: 4,
            max_writes_per_key: 32,
        }
    }
}

/// A transactional workload: what each worker draws its transactions
/// from. One is shared by all the workers of a run.
#[derive(Debug)]
pub struct TxnWorkload {
    /// append or wr.
    pub kind: TxnKind,
    /// Micro-operations per transaction at most.
    pub max_txn_length: u64,
    /// The keys in use.
    pub pool: KeyPool,
}

impl TxnWorkload {
    /// Transactions of `kind` shaped as `shape`.
    pub fn new(kind: TxnKind, shape: TxnShape) -> TxnWorkload {
        TxnWorkload {
            kind,
            max_txn_length: shape.max_txn_length.max(1),
            pool: KeyPool::new(shape.key_count, shape.max_writes_per_key),
        }
    }

    /// The next transaction: half reads, half writes, each of a key drawn
    /// from the pool. Written values are unique over the run.
    pub fn next(&self, rng: &mut Rng) -> Planned {
        let count = 1 + rng.below(self.max_txn_length);
        let mops = (0..count)
            .map(|_| {
                if rng.below(2) == 0 {
                    return json!(["r", self.pool.read_key(rng), null]);
                }
                let (key, value) = self.pool.write_key(rng);
                match self.kind {
                    TxnKind::Append => json!(["append", key, value]),
                    TxnKind::Wr => json!(["w", key, value]),
                }
            })
            .collect();
        Planned {
            f: "txn",
            key: None,
            value: Value::Array(mops),
        }
    }

    /// A read-only transaction of `keys` (the final reads).
    pub fn read_all(keys: &[u64]) -> Planned {
        Planned {
            f: "txn",
            key: None,
            value: Value::Array(keys.iter().map(|k| json!(["r", k, null])).collect()),
        }
    }

    /// The keys a transaction touches.
    pub fn keys_of(txn: &Value) -> Vec<u64> {
        let mut keys: Vec<u64> = txn
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.get(1).and_then(Value::as_u64))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// Keys per final read-only transaction: within etcd's default limit of
/// 128 operations per transaction.
pub const KEYS_PER_READ: usize = 64;

/// The list-append workload in the registry.
pub struct Append;

/// The rw-register workload in the registry.
pub struct Wr;

impl Workload for Append {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(TxnWorkload::new(TxnKind::Append, shape.txn))
    }

    fn check_spec(&self, promise: Promise) -> CheckSpec {
        CheckSpec::Serializable {
            workload: faultline_checkers::serializable::Workload::ListAppend,
            consistency_model: promise.consistency_model,
        }
    }
}

impl Workload for Wr {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(TxnWorkload::new(TxnKind::Wr, shape.txn))
    }

    fn check_spec(&self, promise: Promise) -> CheckSpec {
        CheckSpec::Serializable {
            workload: faultline_checkers::serializable::Workload::RwRegister,
            consistency_model: promise.consistency_model,
        }
    }
}

/// One pool of keys for every worker: contention that lasts the run.
impl WorkloadRun for TxnWorkload {
    fn generator(&self, _worker: u64) -> Box<dyn Generator + '_> {
        Box::new(TxnGenerator(self))
    }

    /// Every key the pool handed out: a write a crash lost shows only when
    /// its key is read again.
    fn shared_final_keys(&self) -> Vec<String> {
        self.pool
            .every_key()
            .into_iter()
            .map(|k| k.to_string())
            .collect()
    }

    /// Read-only transactions of up to [`KEYS_PER_READ`] keys each.
    fn final_reads(&self, keys: &[String]) -> Vec<Planned> {
        let numbers: Vec<u64> = keys.iter().filter_map(|k| k.parse().ok()).collect();
        numbers
            .chunks(KEYS_PER_READ)
            .map(TxnWorkload::read_all)
            .collect()
    }
}

/// A worker's transactions, drawn from the shared pool.
struct TxnGenerator<'a>(&'a TxnWorkload);

impl Generator for TxnGenerator<'_> {
    fn next(&mut self, _n: u64, rng: &mut Rng) -> Planned {
        self.0.next(rng)
    }

    /// The keys its last transaction touched.
    fn final_keys(&self, planned: &Planned, _last: Vec<String>) -> Vec<String> {
        TxnWorkload::keys_of(&planned.value)
            .iter()
            .map(u64::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::WorkloadKind;

    /// The final reads read every key the pool handed out, in read-only
    /// transactions of at most [`KEYS_PER_READ`] keys; registers are read
    /// one key at a time.
    #[test]
    fn final_reads_cover_every_key_in_transactions_of_at_most_64() {
        let shape = RunShape {
            concurrency: 1,
            processes_per_key: 1,
            ops_per_key: 1,
            txn: TxnShape::default(),
        };
        let run = WorkloadKind::Append.workload().start(&shape);
        let keys: Vec<String> = (0..130).map(|k| k.to_string()).collect();
        let ops = run.final_reads(&keys);
        assert_eq!(ops.len(), 3);
        let read: Vec<u64> = ops
            .iter()
            .flat_map(|op| TxnWorkload::keys_of(&op.value))
            .collect();
        assert_eq!(read, (0..130).collect::<Vec<u64>>());
        assert!(ops
            .iter()
            .all(|op| op.f == "txn" && op.value.as_array().unwrap().len() <= KEYS_PER_READ));
        let registers = WorkloadKind::Register.workload().start(&shape);
        let reads = registers.final_reads(&keys[..2]);
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[1].key.as_deref(), Some("1"));
    }

    use super::*;

    #[test]
    fn transactions_share_the_pool_with_unique_writes() {
        let shape = TxnShape {
            key_count: 4,
            max_txn_length: 3,
            max_writes_per_key: 8,
        };
        let w = TxnWorkload::new(TxnKind::Append, shape);
        let mut written = std::collections::HashSet::new();
        let mut lengths = std::collections::BTreeSet::new();
        for worker in 0..3 {
            let mut rng = Rng::stream(3, worker);
            for _ in 0..40 {
                let planned = w.next(&mut rng);
                assert_eq!(planned.f, "txn");
                let mops = planned.value.as_array().unwrap();
                lengths.insert(mops.len());
                for mop in mops {
                    if mop[0] == "append" {
                        let key = mop[1].as_u64().unwrap();
                        assert!(written.insert((key, mop[2].as_i64().unwrap())), "unique");
                    }
                }
            }
        }
        assert_eq!(lengths, [1, 2, 3].into(), "1 to max_txn_length mops");
        assert!(written.len() > 50);
        // 120 transactions of about 1 write each over 8-write keys: the
        // pool moved on, and still holds 4 keys.
        assert!(w.pool.retired() > 5, "{}", w.pool.retired());
        assert_eq!(w.pool.active().len(), 4);
        assert_eq!(
            TxnWorkload::keys_of(&TxnWorkload::read_all(&[3, 1, 3]).value),
            [1, 3]
        );
    }
}

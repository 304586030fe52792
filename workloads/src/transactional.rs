//! Transactional workloads, Elle's: `append` (list-append: read lists and
//! append unique integers) and `wr` (rw-register: read and write unique
//! integers). Each transaction has 1 to `max_txn_length` micro-operations
//! over keys drawn from one [`KeyPool`] shared by every worker, so
//! contention is the same at the end of a run as at its start.

use crate::key_pool::KeyPool;
use crate::Planned;
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

#[cfg(test)]
mod tests {
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

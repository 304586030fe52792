//! Transactional workloads, Elle's: `append` (list-append: read lists and
//! append unique integers) and `wr` (rw-register: read and write unique
//! integers). Each transaction has 1–4 micro-operations over a small
//! window of keys that moves on as the worker goes, so keys see
//! contention while young and their lists stay short.

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

/// How a transactional workload is shaped.
#[derive(Clone, Debug)]
pub struct TxnWorkload {
    /// append or wr.
    pub kind: TxnKind,
    /// Keys a transaction chooses from at once.
    pub window: u64,
    /// A worker's transactions before its window moves one key on.
    pub txns_per_step: u64,
    /// Micro-operations per transaction at most.
    pub max_mops: u64,
}

impl TxnWorkload {
    /// The default shape for `kind`.
    pub fn new(kind: TxnKind) -> TxnWorkload {
        TxnWorkload {
            kind,
            window: 4,
            txns_per_step: 4,
            max_mops: 4,
        }
    }

    /// The keys of worker's `n`-th transaction's window.
    fn keys(&self, n: u64) -> std::ops::Range<u64> {
        let base = n / self.txns_per_step.max(1);
        base..base + self.window.max(1)
    }

    /// The next transaction of `worker` (its `n`-th). Written values are
    /// unique per key: worker and sequence number are encoded in them.
    pub fn next(&self, worker: u64, n: u64, rng: &mut Rng) -> Planned {
        let keys = self.keys(n);
        let count = 1 + rng.below(self.max_mops.max(1));
        let mut mops = Vec::with_capacity(count as usize);
        for i in 0..count {
            let key = keys.start + rng.below(keys.end - keys.start);
            let value = (worker * 1_000_000 + n) * 8 + i + 1;
            let mop = match (self.kind, rng.below(2)) {
                (_, 0) => json!(["r", key, null]),
                (TxnKind::Append, _) => json!(["append", key, value]),
                (TxnKind::Wr, _) => json!(["w", key, value]),
            };
            mops.push(mop);
        }
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
    fn transactions_stay_in_a_moving_window_with_unique_writes() {
        let w = TxnWorkload::new(TxnKind::Append);
        let mut rng = Rng::new(3);
        let mut written = std::collections::HashSet::new();
        for worker in 0..3 {
            for n in 0..40 {
                let planned = w.next(worker, n, &mut rng);
                assert_eq!(planned.f, "txn");
                for mop in planned.value.as_array().unwrap() {
                    let key = mop[1].as_u64().unwrap();
                    assert!(w.keys(n).contains(&key));
                    if mop[0] == "append" {
                        assert!(written.insert((key, mop[2].as_i64().unwrap())), "unique");
                    }
                }
            }
        }
        assert!(written.len() > 50);
        assert_eq!(
            TxnWorkload::keys_of(&TxnWorkload::read_all(&[3, 1, 3]).value),
            [1, 3]
        );
    }
}

//! The register workload: independent keys, a few processes per key, a mix
//! of read, write and compare-and-set on small integers; checked per key
//! with the cas-register model.

use faultline_core::{Rng, Value};
use serde_json::json;

/// How the register workload is shaped.
#[derive(Clone, Debug)]
pub struct RegisterWorkload {
    /// Processes that share a key.
    pub processes_per_key: u64,
    /// Operations on a key before its processes move to a fresh one.
    pub ops_per_key: u64,
    /// Values are drawn from `0..values`.
    pub values: u64,
}

impl Default for RegisterWorkload {
    fn default() -> RegisterWorkload {
        RegisterWorkload {
            processes_per_key: 3,
            ops_per_key: 200,
            values: 5,
        }
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
    /// The next operation of `worker` (its `n`-th), drawn from its own
    /// random stream so that a seed replays the same schedule.
    pub fn next(&self, worker: u64, n: u64, rng: &mut Rng) -> Planned {
        let group = worker / self.processes_per_key.max(1);
        // Each worker of a group moves on after its share of the key's ops.
        let share = (self.ops_per_key / self.processes_per_key.max(1)).max(1);
        let key = format!("r{group}.{}", n / share);
        let (f, value) = match rng.below(3) {
            0 => ("read", Value::Null),
            1 => ("write", json!(rng.below(self.values))),
            _ => (
                "cas",
                json!([rng.below(self.values), rng.below(self.values)]),
            ),
        };
        Planned {
            f,
            key: Some(key),
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_of_a_group_share_keys_and_move_on() {
        let w = RegisterWorkload {
            processes_per_key: 2,
            ops_per_key: 10,
            values: 5,
        };
        let mut rng = Rng::new(1);
        let key = |worker, n, rng: &mut Rng| w.next(worker, n, rng).key.unwrap();
        assert_eq!(key(0, 0, &mut rng), "r0.0");
        assert_eq!(key(1, 4, &mut rng), "r0.0");
        assert_eq!(key(1, 5, &mut rng), "r0.1");
        assert_eq!(key(2, 0, &mut rng), "r1.0");
        let kinds: std::collections::BTreeSet<_> =
            (0..50).map(|n| w.next(0, n, &mut rng).f).collect();
        assert_eq!(kinds.len(), 3);
    }
}

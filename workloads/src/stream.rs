//! The stream workload, after Jepsen's Kafka workload: unique messages
//! sent to a few shared streams, each worker also a consumer polling the
//! streams it sends to from where it last read, and at the end a read of
//! every stream from its start; checked with Jepsen's Kafka checker.
//!
//! Messages are distinct across workers (worker `w`'s `n`-th operation
//! sends `(n + 1) · workers + w`). Streams are shared the way sets are:
//! `processes_per_key` workers use one for `ops_per_key` operations, then
//! move to a fresh one, so that no stream grows without bound.

use crate::workload::{Generator, Independent, RunShape, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::stream::{FROM_START, POLL, SEND};
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// One poll in this many operations; the rest are sends.
const POLL_EVERY: u64 = 3;

/// The stream workload in the registry.
pub struct Stream;

impl Workload for Stream {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(StreamRun(Independent::new(*shape, |shape, worker| {
            Box::new(StreamGenerator {
                shape: *shape,
                worker,
            })
        })))
    }

    /// Every case refutes (consumers are assigned their streams and every
    /// message is sent once), but for messages a read from the start
    /// missed where reads may lag.
    fn check_spec(&self, promise: Promise) -> CheckSpec {
        CheckSpec::Stream {
            reads_are_current: promise.reads_are_current,
        }
    }
}

/// A run: independent workers, each stream read from its start at the end.
struct StreamRun(Independent);

impl WorkloadRun for StreamRun {
    fn generator(&self, worker: u64) -> Box<dyn Generator + '_> {
        self.0.generator(worker)
    }

    fn final_reads(&self, keys: &[String]) -> Vec<Planned> {
        keys.iter().map(|key| from_start(key.clone())).collect()
    }
}

/// A read of stream `key` from its start.
fn from_start(key: String) -> Planned {
    Planned {
        f: POLL,
        key: Some(key),
        value: json!(FROM_START),
    }
}

/// One worker's sends and polls.
struct StreamGenerator {
    shape: RunShape,
    worker: u64,
}

impl Generator for StreamGenerator {
    fn next(&mut self, n: u64, rng: &mut Rng) -> Planned {
        let per_key = self.shape.processes_per_key.max(1);
        let group = self.worker / per_key;
        let share = (self.shape.ops_per_key / per_key).max(1);
        let key = Some(format!("q{group}.{}", n / share));
        if rng.below(POLL_EVERY) == 0 {
            return Planned {
                f: POLL,
                key,
                value: Value::Null,
            };
        }
        Planned {
            f: SEND,
            key,
            value: json!((n + 1) * self.shape.concurrency.max(self.worker + 1) + self.worker),
        }
    }

    /// Every stream the worker used is read at the end.
    fn final_keys(&self, planned: &Planned, last: Vec<String>) -> Vec<String> {
        crate::workload::every_key_used(planned, last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn messages_are_distinct_streams_are_shared_and_every_stream_is_read_from_its_start() {
        let shape = RunShape {
            concurrency: 4,
            processes_per_key: 2,
            ops_per_key: 20,
            txn: Default::default(),
        };
        let run = Stream.start(&shape);
        let mut messages = HashSet::new();
        let (mut polls, mut sends) = (0, 0);
        let mut streams = HashSet::new();
        for worker in 0..4 {
            let mut generator = run.generator(worker);
            let mut rng = Rng::stream(5, worker);
            let mut keys = Vec::new();
            for n in 0..100 {
                let op = generator.next(n, &mut rng);
                streams.insert((worker / 2, op.key.clone().unwrap()));
                keys = generator.final_keys(&op, keys);
                match op.f {
                    SEND => {
                        sends += 1;
                        assert!(messages.insert(op.value.as_u64().unwrap()), "{op:?}");
                    }
                    _ => {
                        polls += 1;
                        assert_eq!(op.value, Value::Null);
                    }
                }
            }
            assert_eq!(keys.len(), 10, "each worker reads its 10 streams again");
            let reads = run.final_reads(&keys);
            assert!(reads
                .iter()
                .all(|r| r.f == POLL && r.value == json!(FROM_START)));
        }
        assert!(polls > 90 && sends > 220, "{polls} polls, {sends} sends");
        assert_eq!(streams.len(), 20);
    }
}

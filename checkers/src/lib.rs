//! faultline's checkers: pure functions from a history to a verdict.
//!
//! [`linearizable`] decides whether a history of operations on objects
//! (registers, compare-and-set registers, key-value maps, sets, queues,
//! mutexes) could have happened atomically in an order consistent with real
//! time. It is a Porcupine-style search, P-compositional (each key on its
//! own, in parallel), three-valued, and explains every illegal history.
//!
//! [`serializable`] decides which isolation anomalies a history of
//! transactions (list-append or rw-register micro-operations) shows, Elle's
//! way: dependencies inferred from what reads saw, a dependency graph, its
//! cycles named (G0, G1c, G-single, G-nonadjacent, G2-item, with process and
//! real-time variants) next to G1a, G1b, internal and other anomalies, each
//! explained step by step and judged against a chosen consistency model
//! (which model forbids what: [`serializable::verdict_table`]).
//!
//! [`set`] is Jepsen's set-full analysis: every acknowledged element of a
//! set that only grows must be kept (not lost) and, where reads are
//! linearizable, seen by every read that begins after it is known.
//!
//! [`bank`] is Jepsen's bank: every acknowledged read of a bank's balances
//! sums to its total and overdraws no account. [`stream`] is Jepsen's
//! Kafka checker for append-only logs: acknowledged messages lost or
//! unseen, offsets that disagree, consumers that skip or go back.
//! [`counter`] and
//! [`unique_ids`] are Jepsen's counter bounds and unique ids. [`watch`]
//! holds watchers to etcd's watch guarantees: the same ordered revisions
//! for every watcher, none skipped.
//!
//! A [`CheckSpec`] names a checker and its model as data: a run records it,
//! and [`CheckSpec::check`] judges any history the same way again.
//!
//! ```
//! use faultline_checkers::linearizable::ModelKind;
//! use faultline_core::{Budget, Format, Validity};
//!
//! // Process 1 reads 1 after process 0's write of 2 completed: stale.
//! let log = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
//!            INFO  jepsen.util - 0\t:ok\t:write\t1\n\
//!            INFO  jepsen.util - 0\t:invoke\t:write\t2\n\
//!            INFO  jepsen.util - 0\t:ok\t:write\t2\n\
//!            INFO  jepsen.util - 1\t:invoke\t:read\tnil\n\
//!            INFO  jepsen.util - 1\t:ok\t:read\t1\n";
//! let history = Format::JepsenLog.parse(log).unwrap().history;
//! let analysis = ModelKind::CasRegister.check(&history, &Budget::default()).unwrap();
//! assert_eq!(analysis.valid, Validity::Invalid);
//! let why = analysis.counterexample.unwrap();
//! assert_eq!(why.failing_op.unwrap().description, "read → 1");
//! ```

mod analysis;
pub mod bank;
mod check_spec;
pub mod counter;
pub mod linearizable;
mod linearizable_checker;
mod promise;
pub mod serializable;
pub mod set;
pub mod stream;
pub mod unique_ids;
pub mod watch;
pub mod words;

pub use analysis::Analysis;
pub use check_spec::{CheckSpec, CheckedHistory};
pub use linearizable_checker::LinearizableChecker;
pub use promise::Promise;

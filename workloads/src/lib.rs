//! Workloads: the operations a test performs, whichever system it drives,
//! the keys read again at the end, and which checker judges them. Each
//! workload's file implements [`Workload`]; [`WorkloadKind::workload`] is
//! the one place that lists them.
//!
//! ```
//! use faultline_checkers::{CheckSpec, Promise};
//! use faultline_core::Rng;
//! use faultline_workloads::{RunShape, WorkloadKind};
//!
//! let shape = RunShape {
//!     concurrency: 10,
//!     processes_per_key: 3,
//!     ops_per_key: 200,
//!     txn: Default::default(),
//! };
//! let register = WorkloadKind::Register.workload();
//! let run = register.start(&shape);
//! let op = run.generator(0).next(0, &mut Rng::new(42));
//! assert!(["read", "write", "cas"].contains(&op.f));
//! assert_eq!(op.key.as_deref(), Some("r0.0"));
//! assert!(matches!(register.check_spec(Promise::STRICT), CheckSpec::Linearizable { .. }));
//! ```

mod bank;
mod counter;
mod key_pool;
mod kind;
mod lock;
mod register;
mod set;
mod stream;
mod transactional;
mod unique_ids;
mod watch;
mod workload;

pub use bank::{
    transfer_parts, BankWorkload, BANK_ACCOUNTS, BANK_TOTAL, INITIAL_BALANCE, MALFORMED_TRANSFER,
};
pub use counter::CounterWorkload;
pub use key_pool::KeyPool;
pub use kind::WorkloadKind;
pub use lock::LockWorkload;
pub use register::{Planned, RegisterWorkload};
pub use set::SetWorkload;
pub use transactional::KEYS_PER_READ;
pub use transactional::{TxnKind, TxnShape, TxnWorkload};
pub use unique_ids::UniqueIdsWorkload;
pub use watch::WatchWorkload;
pub use workload::{Generator, RunShape, Workload, WorkloadRun};

//! Workloads: the operations a test performs, whichever system it drives,
//! and which checker judges them.
//!
//! ```
//! use faultline_core::Rng;
//! use faultline_workloads::RegisterWorkload;
//!
//! let mut workload = RegisterWorkload::default();
//! let op = workload.next(0, 0, &mut Rng::new(42));
//! assert!(["read", "write", "cas"].contains(&op.f));
//! assert_eq!(op.key.as_deref(), Some("r0.0"));
//! ```

mod bank;
mod counter;
mod key_pool;
mod kind;
mod lock;
mod register;
mod set;
mod transactional;
mod unique_ids;
mod watch;

pub use bank::{
    transfer_parts, BankWorkload, BANK_ACCOUNTS, BANK_TOTAL, INITIAL_BALANCE, MALFORMED_TRANSFER,
};
pub use counter::CounterWorkload;
pub use key_pool::KeyPool;
pub use kind::WorkloadKind;
pub use lock::LockWorkload;
pub use register::{Planned, RegisterWorkload};
pub use set::SetWorkload;
pub use transactional::{TxnKind, TxnShape, TxnWorkload};
pub use unique_ids::UniqueIdsWorkload;
pub use watch::WatchWorkload;

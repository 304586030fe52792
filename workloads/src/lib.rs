//! Workloads: for each system under test, its lifecycle on the nodes, its
//! client, and the operations a test performs.
//!
//! ```
//! use faultline_core::Rng;
//! use faultline_workloads::RegisterWorkload;
//!
//! let workload = RegisterWorkload::default();
//! let op = workload.next(0, 0, &mut Rng::new(42));
//! assert!(["read", "write", "cas"].contains(&op.f));
//! assert_eq!(op.key.as_deref(), Some("r0.0"));
//! ```

pub mod etcd;
mod kind;
pub mod pidfile;
mod register;
mod transactional;

pub use kind::WorkloadKind;
pub use register::{Planned, RegisterWorkload};
pub use transactional::{TxnKind, TxnWorkload};

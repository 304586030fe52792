//! Nemeses: faults injected while a test runs. Partitions are plain data
//! (a [`Grudge`]: node → nodes it drops), applied with iptables in a chain
//! of faultline's own inside each node and healed by flushing only it.
//!
//! ```
//! use faultline_core::Rng;
//! use faultline_nemeses::{describe, random_halves};
//!
//! let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
//! let grudge = random_halves(&nodes, &mut Rng::new(7));
//! assert_eq!(grudge.len(), 5);
//! println!("{}", describe(&grudge)); // e.g. [n2 n4] | [n1 n3 n5]
//! ```

mod grudge;
pub mod partition;

pub use grudge::{complete_grudge, describe, random_halves, Grudge};

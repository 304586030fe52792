//! The systems faultline tests, each in its own folder: its `Db`, its
//! `Client`, a [`faultline_core::System`] with whichever abilities it has,
//! and a [`Suite`] that describes it (its options, the workloads its
//! client serves, what it promises). [`SYSTEMS`] lists them, one line
//! each; the command line, the runner and `cluster heal` ask it, never
//! which system a run tests.
//!
//! Adding a system: a folder here and one line in [`SYSTEMS`].
//!
//! ```
//! use faultline_core::Node;
//! use faultline_systems::{find, RunContext, SystemChoice};
//!
//! let run = RunContext {
//!     nodes: vec![Node {
//!         name: "n1".into(),
//!         host: "10.0.0.1".into(),
//!         dir: "/var/lib/faultline".into(),
//!     }],
//!     run_id: "0123456789ab".into(),
//!     launch_prefix: Default::default(),
//!     workload: Default::default(),
//! };
//! let choice = SystemChoice::new("etcd", serde_json::json!({"serializable_reads": true}));
//! let etcd = choice.open(run).unwrap();
//! assert_eq!(etcd.name(), "etcd");
//! assert!(etcd.kill().is_some() && etcd.pause().is_some());
//! assert!(!choice.promise().unwrap().reads_are_current);
//! assert!(find("zookeeper").unwrap().workloads().len() < find("etcd").unwrap().workloads().len());
//! ```

pub mod custom;
mod descriptor;
pub mod etcd;
mod failure;
mod lock_token;
pub mod nats;
mod package;
pub mod pidfile;
pub mod postgres;
pub mod redis;
mod registry;
mod run_context;
#[cfg(test)]
mod silent_server;
mod wipe;
pub mod zookeeper;

pub use custom::{CustomConfig, CustomSystem};
pub use descriptor::{Prepared, Promise, Registered, Setup, Suite, SystemDescriptor};
pub use etcd::{EtcdOptions, EtcdSystem};
pub use nats::{NatsOptions, NatsSystem};
pub use postgres::{PostgresOptions, PostgresSystem};
pub use redis::{RedisOptions, RedisSystem};
pub use registry::{find, resume_any, SystemChoice, SYSTEMS};
pub use run_context::RunContext;
pub use zookeeper::{ZookeeperOptions, ZookeeperSystem};

//! The systems faultline tests, each in its own folder behind the
//! [`faultline_core::System`] trait: etcd (built in) and any system a TOML
//! file describes, Redis, PostgreSQL and ZooKeeper. [`open`] is the one place that knows them all; the
//! runner holds what it returns and never asks which system it is.
//!
//! Adding a system: a folder here with its `Db`, its `Client` and a type
//! implementing `System` (and whichever abilities it has), a variant of
//! [`SystemSpec`], and one line in [`open`].
//!
//! ```
//! use faultline_core::Node;
//! use faultline_systems::{open, EtcdOptions, RunContext, SystemSpec};
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
//! let etcd = open(&SystemSpec::Etcd(EtcdOptions::default()), run);
//! assert_eq!(etcd.name(), "etcd");
//! assert!(etcd.kill().is_some() && etcd.pause().is_some());
//! ```

pub mod custom;
pub mod etcd;
mod failure;
mod lock_token;
mod package;
pub mod pidfile;
pub mod postgres;
pub mod redis;
mod run_context;
#[cfg(test)]
mod silent_server;
mod wipe;
pub mod zookeeper;

pub use custom::{CustomConfig, CustomSystem};
pub use etcd::{EtcdOptions, EtcdSystem};
pub use postgres::{PostgresOptions, PostgresSystem};
pub use redis::{RedisOptions, RedisSystem};
pub use run_context::RunContext;
pub use zookeeper::{ZookeeperOptions, ZookeeperSystem};

use faultline_core::{Node, Remote, System};
use std::sync::Arc;

/// Which system a run tests, with its own options.
#[derive(Clone, Debug)]
pub enum SystemSpec {
    /// etcd from the nodes' packages (or an uploaded binary).
    Etcd(EtcdOptions),
    /// A system described by a TOML file.
    Custom(Box<CustomConfig>),
    /// Redis from the nodes' packages: a primary and its replicas.
    Redis(RedisOptions),
    /// PostgreSQL from the nodes' packages: a primary and its standbys.
    Postgres(PostgresOptions),
    /// ZooKeeper from the nodes' packages: one ensemble of every node.
    Zookeeper(ZookeeperOptions),
}

/// The system `spec` names, set up for the run `run` describes.
pub fn open(spec: &SystemSpec, run: RunContext) -> Arc<dyn System> {
    match spec {
        SystemSpec::Etcd(options) => Arc::new(EtcdSystem::new(options.clone(), run)),
        SystemSpec::Custom(config) => Arc::new(CustomSystem::new((**config).clone(), run)),
        SystemSpec::Redis(options) => Arc::new(RedisSystem::new(*options, run)),
        SystemSpec::Postgres(options) => Arc::new(PostgresSystem::new(*options, run)),
        SystemSpec::Zookeeper(options) => Arc::new(ZookeeperSystem::new(*options, run)),
    }
}

/// Resumes whatever process of any known system a pause left stopped on
/// `node` (`faultline cluster heal`: by hand nobody says which system
/// ran). Harmless where none is.
pub fn resume_any(remote: &dyn Remote, node: &Node) {
    for pidfile in [
        etcd::pid_file(node),
        custom::db::CustomDb::pidfile(node),
        redis::pid_file(node),
        zookeeper::pid_file(node),
    ] {
        let _ = pidfile::signal(remote, &pidfile, "CONT");
    }
    // PostgreSQL's backends are paused with their server, as a group.
    let _ = postgres::resume(remote, node);
}

//! ZooKeeper in the registry: `faultline test zookeeper`.

use super::{pid_file, ZookeeperOptions, ZookeeperSystem};
use crate::descriptor::{Prepared, Promise, Suite};
use crate::RunContext;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;

/// ZooKeeper, as the registry lists it.
pub struct Zookeeper;

impl Suite for Zookeeper {
    type Args = ZookeeperOptions;
    type Options = ZookeeperOptions;
    const NAME: &'static str = "zookeeper";
    const TITLE: &'static str = "ZooKeeper";
    const ABOUT: &'static str = "Test ZooKeeper from the nodes' packages: one ensemble of every node, each client in a session with its own node's server (workloads register, set, counter, lock, unique-ids, bank)";
    const WORKLOADS: &'static [WorkloadKind] = &[
        WorkloadKind::Register,
        WorkloadKind::Set,
        WorkloadKind::Counter,
        WorkloadKind::Lock,
        WorkloadKind::UniqueIds,
        WorkloadKind::Bank,
    ];

    fn prepare(args: ZookeeperOptions) -> Result<Prepared<ZookeeperOptions>, String> {
        Ok(Prepared::options(args))
    }

    fn open(options: ZookeeperOptions, run: RunContext) -> Arc<dyn System> {
        Arc::new(ZookeeperSystem::new(options, run))
    }

    /// Its writes are linearizable (ZooKeeper Programmer's Guide,
    /// "Consistency Guarantees"); a read is current only after `sync`.
    fn promise(options: &ZookeeperOptions) -> Promise {
        Promise {
            reads_are_current: options.reads_are_current(),
            ..Promise::STRICT
        }
    }

    fn resume(remote: &dyn Remote, node: &Node) {
        let _ = crate::pidfile::signal(remote, &pid_file(node), "CONT");
    }
}

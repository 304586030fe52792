//! etcd in the registry: `faultline test etcd`.

use super::{pid_file, EtcdOptions, EtcdSystem};
use crate::descriptor::{Prepared, Promise, Suite};
use crate::RunContext;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;

/// etcd, as the registry lists it.
pub struct Etcd;

impl Suite for Etcd {
    type Args = EtcdOptions;
    type Options = EtcdOptions;
    const NAME: &'static str = "etcd";
    const TITLE: &'static str = "etcd";
    const ABOUT: &'static str = "Test an etcd cluster reachable over SSH";
    const WORKLOADS: &'static [WorkloadKind] = &[
        WorkloadKind::Register,
        WorkloadKind::Append,
        WorkloadKind::Wr,
        WorkloadKind::Set,
        WorkloadKind::Counter,
        WorkloadKind::Lock,
        WorkloadKind::UniqueIds,
        WorkloadKind::Bank,
        WorkloadKind::Watch,
    ];

    fn prepare(args: EtcdOptions) -> Result<Prepared<EtcdOptions>, String> {
        Ok(Prepared::options(args))
    }

    fn open(options: EtcdOptions, run: RunContext) -> Arc<dyn System> {
        Arc::new(EtcdSystem::new(options, run))
    }

    /// etcd's transactions and default reads are linearizable ("etcd
    /// ensures linearizability for all other operations by default",
    /// etcd's API guarantees); serializable reads are answered by one
    /// member and may be stale.
    fn promise(options: &EtcdOptions) -> Promise {
        Promise {
            reads_are_current: !options.serializable_reads,
            ..Promise::STRICT
        }
    }

    fn resume(remote: &dyn Remote, node: &Node) {
        let _ = crate::pidfile::signal(remote, &pid_file(node), "CONT");
    }
}

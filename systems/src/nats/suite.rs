//! NATS JetStream in the registry: `faultline test nats`.

use super::{pid_file, NatsOptions, NatsSystem};
use crate::descriptor::{Prepared, Promise, Suite};
use crate::RunContext;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;

/// NATS JetStream, as the registry lists it.
pub struct Nats;

impl Suite for Nats {
    type Args = NatsOptions;
    type Options = NatsOptions;
    const NAME: &'static str = "nats";
    const TITLE: &'static str = "NATS JetStream";
    const ABOUT: &'static str = "Test NATS JetStream from the nodes' packages: one cluster of every node, one file-stored stream replicated on up to five, each client on its own node's server (workload stream)";
    const WORKLOADS: &'static [WorkloadKind] = &[WorkloadKind::Stream];
    /// After kills and partitions a 2.9 stream stayed stalled ("NO
    /// quorum") for more than 5 s and served again within 30 s.
    const RECOVERY_TIME: &'static str = "30";

    fn prepare(args: NatsOptions) -> Result<Prepared<NatsOptions>, String> {
        Ok(Prepared::options(args))
    }

    fn open(options: NatsOptions, run: RunContext) -> Arc<dyn System> {
        Arc::new(NatsSystem::new(options, run))
    }

    /// A replicated stream acknowledges a message once a quorum of its
    /// replicas has it, and its reads here go to its leader (NATS,
    /// "JetStream Clustering": "Immediate consistency (as opposed to
    /// eventual consistency) even in the face of failures", and
    /// `STREAM.MSG.GET` is answered by the stream leader); so no
    /// acknowledged message may go, and reads are current.
    fn promise(_options: &NatsOptions) -> Promise {
        Promise::STRICT
    }

    fn resume(remote: &dyn Remote, node: &Node) {
        let _ = crate::pidfile::signal(remote, &pid_file(node), "CONT");
    }
}

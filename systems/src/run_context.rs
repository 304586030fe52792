//! What a system needs to know of the run it serves.

use faultline_core::Node;
use std::collections::BTreeMap;

/// The run a system is set up for.
#[derive(Clone, Debug, Default)]
pub struct RunContext {
    /// Every node, in order.
    pub nodes: Vec<Node>,
    /// Unique to the run: the cluster token and the key prefix derive
    /// from it, so that nothing a node kept from another run is taken for
    /// this run's. Empty outside a run (`faultline cluster`).
    pub run_id: String,
    /// Per node name, words put before the database's command (e.g.
    /// libfaketime's `env LD_PRELOAD=…`), restarts included.
    pub launch_prefix: BTreeMap<String, String>,
    /// The workload the clients perform: what a key holds (a register's
    /// value, a set's elements) follows from it.
    pub workload: faultline_workloads::WorkloadKind,
}

impl RunContext {
    /// The cluster token (etcd's `--initial-cluster-token`).
    pub fn cluster_token(&self) -> String {
        format!("faultline-{}", self.run_id)
    }

    /// What clients put before every key they store (not recorded in the
    /// history, so that runs with one seed have the same operations).
    pub fn key_prefix(&self) -> String {
        if self.run_id.is_empty() {
            String::new()
        } else {
            format!("{}/", self.run_id)
        }
    }
}

//! Everything that defines a test run, saved as `test.json`.

use faultline_core::{Node, SshSettings};
pub use faultline_nemeses::{NemesisConfig, NemesisPlan};
use faultline_systems::{RunContext, SystemChoice};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A test's full configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestConfig {
    /// Names the run directory (`etcd-register`).
    pub name: String,
    /// register (linearizable per key), append (list-append) or wr
    /// (rw-register) transactions.
    #[serde(default)]
    pub workload: faultline_workloads::WorkloadKind,
    /// The nodes.
    pub nodes: Vec<Node>,
    /// How to reach them.
    pub ssh: SshSettings,
    /// The nodes are this machine's namespaces (a local cluster): the
    /// packages the run needs are installed here before they start.
    #[serde(default)]
    pub local_cluster: bool,
    /// Client processes running at once.
    pub concurrency: u64,
    /// Target operations per second over all processes (`None`: as fast as possible).
    pub rate: Option<f64>,
    /// At most this many operations per second per process.
    #[serde(default)]
    pub process_rate: Option<f64>,
    /// Seconds of workload.
    pub time_limit: f64,
    /// Seeds the schedule of operations and faults.
    pub seed: u64,
    /// Processes that share a key.
    pub processes_per_key: u64,
    /// Operations on a key before moving to the next.
    pub ops_per_key: u64,
    /// The transactional workloads' keys and lengths.
    #[serde(default)]
    pub txn_shape: faultline_workloads::TxnShape,
    /// The faults and their options.
    pub nemesis: NemesisConfig,
    /// Seconds an operation may take before its outcome is unknown.
    pub op_timeout: f64,
    /// Keep the database running after the test.
    pub leave_db_running: bool,
    /// The store's root.
    pub store: PathBuf,
    /// Where to write a JUnit XML file for the run, if anywhere.
    #[serde(default)]
    pub junit: Option<PathBuf>,
    /// Where to write a JSON summary of the run, if anywhere.
    #[serde(default)]
    pub summary_json: Option<PathBuf>,
    /// The system under test and its own options.
    pub system: SystemChoice,
    /// The checker and model that judge the run (derived from the
    /// workload when the run starts; `analyze` reads it back).
    #[serde(default)]
    pub check: Option<faultline_checkers::CheckSpec>,
    /// Unique to the run (set when it starts): etcd's cluster token and
    /// the prefix of every key the run stores derive from it, so that
    /// nothing a node kept from another run is taken for this run's.
    #[serde(default)]
    pub run_id: String,
    /// The command line that started the run.
    pub command_line: Vec<String>,
    /// faultline's version.
    pub version: String,
}

impl TestConfig {
    /// What the system needs to know of this run; `launch_prefix`: per
    /// node, what the database's command starts with (libfaketime's).
    pub fn run_context(&self, launch_prefix: BTreeMap<String, String>) -> RunContext {
        RunContext {
            nodes: self.nodes.clone(),
            run_id: self.run_id.clone(),
            launch_prefix,
            workload: self.workload,
        }
    }

    /// The checker this workload needs, holding the system to what it
    /// promises under its options.
    pub fn check_spec(&self) -> anyhow::Result<faultline_checkers::CheckSpec> {
        let promise = self.system.promise().map_err(anyhow::Error::msg)?;
        Ok(self.workload.workload().check_spec(promise))
    }

    /// The run's shape, as the workload plans for it.
    pub fn shape(&self) -> faultline_workloads::RunShape {
        faultline_workloads::RunShape {
            concurrency: self.concurrency,
            processes_per_key: self.processes_per_key,
            ops_per_key: self.ops_per_key,
            txn: self.txn_shape,
        }
    }

    /// The nodes' names, in order.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_nemeses::Fault;

    /// The page reads test.json through `faultline_reports::TestRecord`:
    /// what the runner writes must read back there field for field.
    #[test]
    fn test_json_reads_back_as_the_pages_record() {
        let node = Node {
            name: "n1".into(),
            host: "10.0.0.1".into(),
            dir: "/var/lib/faultline".into(),
        };
        let config = TestConfig {
            name: "etcd-append".into(),
            workload: faultline_workloads::WorkloadKind::Append,
            nodes: vec![node.clone()],
            ssh: SshSettings::default(),
            local_cluster: false,
            concurrency: 3,
            rate: None,
            process_rate: None,
            time_limit: 1.0,
            seed: 42,
            processes_per_key: 3,
            ops_per_key: 10,
            txn_shape: Default::default(),
            nemesis: NemesisConfig {
                faults: vec![Fault::Partition, Fault::Kill],
                ..NemesisConfig::default()
            },
            op_timeout: 1.0,
            leave_db_running: false,
            store: "store".into(),
            junit: None,
            summary_json: None,
            system: SystemChoice::new("etcd", serde_json::json!({})),
            check: None,
            run_id: "0123456789ab".into(),
            command_line: vec!["faultline".into(), "test".into(), "etcd".into()],
            version: "0".into(),
        };
        let text = serde_json::to_string(&config).unwrap();
        let record: faultline_reports::TestRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(record.name.as_deref(), Some("etcd-append"));
        assert_eq!(record.workload.as_deref(), Some("append"));
        assert_eq!(record.nemesis.faults.as_deref(), Some("partition,kill"));
        assert_eq!(record.seed, Some(42));
        assert_eq!(record.command_line, config.command_line);
        assert_eq!(record.nodes, [node]);
    }
}

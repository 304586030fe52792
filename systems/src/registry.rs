//! Every system faultline tests, one line each. The command line builds
//! `test <system>` and `test-all <system>` from this list, the runner
//! opens what a run's [`SystemChoice`] names, and `cluster heal` resumes
//! what any of them left paused.

use crate::descriptor::{Promise, Registered, SystemDescriptor};
use crate::RunContext;
use faultline_core::{Node, Remote, System};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Every system, in the order help lists them.
pub static SYSTEMS: &[&dyn SystemDescriptor] = &[
    &Registered::<crate::etcd::Etcd>::new(),
    &Registered::<crate::redis::Redis>::new(),
    &Registered::<crate::postgres::Postgres>::new(),
    &Registered::<crate::zookeeper::Zookeeper>::new(),
    &Registered::<crate::nats::Nats>::new(),
    &Registered::<crate::custom::Custom>::new(),
];

/// The system named `name`.
pub fn find(name: &str) -> Result<&'static dyn SystemDescriptor, String> {
    SYSTEMS
        .iter()
        .copied()
        .find(|d| d.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = SYSTEMS.iter().map(|d| d.name()).collect();
            format!(
                "no system is named `{name}`; faultline tests {}",
                names.join(", ")
            )
        })
}

/// Which system a run tests, with its own options as it keeps them (the
/// `system` of test.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemChoice {
    /// The registry's name for it.
    pub name: String,
    /// Its options, as its [`crate::Suite::Options`] serialise.
    pub options: serde_json::Value,
}

impl SystemChoice {
    /// The system `name` with `options`.
    pub fn new(name: &str, options: serde_json::Value) -> SystemChoice {
        SystemChoice {
            name: name.to_owned(),
            options,
        }
    }

    /// The system, set up for the run `run` describes.
    pub fn open(&self, run: RunContext) -> Result<Arc<dyn System>, String> {
        find(&self.name)?.open(&self.options, run)
    }

    /// What the system promises under these options.
    pub fn promise(&self) -> Result<Promise, String> {
        find(&self.name)?.promise(&self.options)
    }
}

/// Resumes whatever process of any known system a pause left stopped on
/// `node` (`faultline cluster heal`: by hand nobody says which system
/// ran). Harmless where none is.
pub fn resume_any(remote: &dyn Remote, node: &Node) {
    for system in SYSTEMS {
        system.resume(remote, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checkers::serializable::ConsistencyModel;
    use serde_json::json;

    fn run() -> RunContext {
        RunContext {
            nodes: vec![Node {
                name: "n1".into(),
                host: "10.0.0.1".into(),
                dir: "/var/lib/faultline".into(),
            }],
            run_id: "0123456789ab".into(),
            launch_prefix: Default::default(),
            workload: Default::default(),
        }
    }

    #[test]
    fn every_system_has_its_own_name_and_unknown_names_are_told_the_known_ones() {
        let mut names: Vec<&str> = SYSTEMS.iter().map(|d| d.name()).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        let error = find("zookeper").err().unwrap();
        assert!(
            error.contains("`zookeper`") && error.contains("etcd, redis, postgres, zookeeper"),
            "{error}"
        );
    }

    /// Each built-in system's options, parsed from an empty command line,
    /// open as that system: the descriptor, its options and its `System`
    /// agree on its name.
    #[test]
    fn default_options_open_the_system_they_name() {
        for system in SYSTEMS.iter().filter(|d| d.takes_node_options()) {
            let command = system.args(clap::Command::new(system.name()));
            let matches = command.try_get_matches_from([system.name()]).unwrap();
            let (options, setup) = system.prepare(&matches).unwrap();
            assert!(setup.workload.is_none() && setup.nodes.is_none());
            let choice = SystemChoice::new(system.name(), options);
            assert_eq!(choice.open(run()).unwrap().name(), system.name());
            assert!(!system.workloads().is_empty(), "{}", system.name());
        }
    }

    /// What each system is held to, per option, as test.json keeps the
    /// options: the table the checkers apply.
    #[test]
    fn promises_follow_the_options() {
        use ConsistencyModel::*;
        let promise = |name: &str, options| SystemChoice::new(name, options).promise().unwrap();
        let cases = [
            ("etcd", json!({}), StrictSerializable, true),
            (
                "etcd",
                json!({"serializable_reads": true}),
                StrictSerializable,
                false,
            ),
            ("redis", json!({}), StrictSerializable, true),
            ("redis", json!({"reads": "local"}), Serializable, false),
            ("postgres", json!({}), Serializable, true),
            (
                "postgres",
                json!({"isolation": "repeatable-read"}),
                SnapshotIsolation,
                true,
            ),
            (
                "postgres",
                json!({"isolation": "read-committed"}),
                ReadCommitted,
                true,
            ),
            ("postgres", json!({"reads": "local"}), ReadCommitted, false),
            ("zookeeper", json!({}), StrictSerializable, true),
            (
                "zookeeper",
                json!({"reads": "local"}),
                StrictSerializable,
                false,
            ),
        ];
        for (name, options, model, current) in cases {
            let got = promise(name, options.clone());
            assert_eq!(got.consistency_model, model, "{name} {options}");
            assert_eq!(got.reads_are_current, current, "{name} {options}");
        }
    }

    #[test]
    fn options_a_system_does_not_have_are_an_error_naming_it() {
        let choice = SystemChoice::new("redis", json!({"reads": "everywhere"}));
        let error = choice.promise().err().unwrap();
        assert!(
            error.starts_with("redis's options in test.json:"),
            "{error}"
        );
    }
}

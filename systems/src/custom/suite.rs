//! TOML-described systems in the registry: `faultline test custom --config`.

use super::db::CustomDb;
use super::{CustomConfig, CustomSystem};
use crate::descriptor::{Prepared, Promise, Setup, Suite};
use crate::RunContext;
use faultline_checkers::serializable::ConsistencyModel;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use std::path::PathBuf;
use std::sync::Arc;

/// A TOML-described system, as the registry lists it.
pub struct Custom;

/// `faultline test custom`'s own option.
#[derive(Clone, Debug, clap::Args)]
pub struct CustomArgs {
    /// The system's TOML file (check it with `faultline validate-config`).
    #[arg(long)]
    pub config: PathBuf,
}

impl Suite for Custom {
    type Args = CustomArgs;
    type Options = CustomConfig;
    const NAME: &'static str = "custom";
    const TITLE: &'static str = "TOML-described system";
    const ABOUT: &'static str = "Test any system described by a TOML file: nodes, lifecycle commands, client program, workload";
    /// What a client program may serve (etcd's watch streams are etcd's).
    const WORKLOADS: &'static [WorkloadKind] = &[
        WorkloadKind::Register,
        WorkloadKind::Append,
        WorkloadKind::Wr,
        WorkloadKind::Set,
        WorkloadKind::Counter,
        WorkloadKind::Lock,
        WorkloadKind::UniqueIds,
        WorkloadKind::Bank,
        WorkloadKind::Stream,
    ];
    const TAKES_NODE_OPTIONS: bool = false;

    /// The file names the run, its workload and its nodes.
    fn prepare(args: CustomArgs) -> Result<Prepared<CustomConfig>, String> {
        let config = CustomConfig::load(&args.config).map_err(|e| e.to_string())?;
        let name = &config.workload.name;
        let workload = name.parse().map_err(|e| format!("workload.name: {e}"))?;
        let source = format!(
            "a TOML system names its workload in {} ([workload] name = \"{name}\")",
            args.config.display()
        );
        Ok(Prepared {
            setup: Setup {
                name: Some(config.name.clone()),
                workload: Some((workload, source)),
                nodes: Some(config.nodes.clone()),
            },
            options: config,
        })
    }

    fn open(options: CustomConfig, run: RunContext) -> Arc<dyn System> {
        Arc::new(CustomSystem::new(options, run))
    }

    /// What the file says it promises; reads are current only where it
    /// promises strict serializability.
    fn promise(options: &CustomConfig) -> Promise {
        let consistency_model = options
            .workload
            .consistency_model
            .parse()
            .unwrap_or(ConsistencyModel::StrictSerializable);
        Promise {
            consistency_model,
            reads_are_current: consistency_model == ConsistencyModel::StrictSerializable,
        }
    }

    fn resume(remote: &dyn Remote, node: &Node) {
        let _ = crate::pidfile::signal(remote, &CustomDb::pidfile(node), "CONT");
    }
}

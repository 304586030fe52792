//! `faultline cluster up|down|status`: a local cluster of network namespaces.

use crate::cli_args::{NodeOptions, SpecArgs};
use crate::cluster::{self, ClusterSpec};
use crate::exit::Failure;
use anyhow::anyhow;
use clap::{Args, Subcommand};

/// Options of `faultline cluster`.
#[derive(Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    action: ClusterAction,
}

#[derive(Subcommand)]
enum ClusterAction {
    /// Build the nodes: a bridge, a network namespace and an sshd per node.
    Up {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Remove exactly what `up` created. Safe to run twice.
    Down {
        /// The cluster's name.
        #[arg(long, default_value = "local")]
        name: String,
    },
    /// Undo every fault on the nodes by hand: heal partitions and packet
    /// faults, resume paused databases, reset clocks; then verify that no
    /// rule or qdisc of faultline's is left.
    Heal {
        #[command(flatten)]
        nodes: NodeOptions,
    },
    /// Show the cluster's nodes and whether their sshds run.
    Status {
        /// The cluster's name.
        #[arg(long, default_value = "local")]
        name: String,
    },
}

/// Runs the action; 0 on success, 254 when the request is wrong.
pub fn run(args: &ClusterArgs) -> Result<i32, Failure> {
    match &args.action {
        ClusterAction::Up { spec } => {
            let nodes = cluster::up(&spec.spec()).map_err(Failure::bad_input)?;
            let dir = ClusterSpec::dir_of(&spec.name);
            println!(
                "{} nodes: {}",
                nodes.nodes.len(),
                nodes
                    .nodes
                    .iter()
                    .map(|n| format!("{}={}", n.name, n.host))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            println!("nodes file: {}", dir.join("nodes.json").display());
        }
        ClusterAction::Down { name } => cluster::down(name).map_err(Failure::bad_input)?,
        ClusterAction::Heal { nodes } => {
            let nodes = nodes.resolve().map_err(Failure::bad_input)?;
            let mut unhealed = Vec::new();
            for (name, problems) in heal_cluster(&nodes) {
                if problems.is_empty() {
                    println!(
                        "{name}: healed (no faultline rule, qdisc, delayer or clock offset left)"
                    );
                } else {
                    println!("{name}: NOT healed: {}", problems.join("; "));
                    unhealed.push(name);
                }
            }
            if !unhealed.is_empty() {
                return Err(Failure {
                    code: crate::exit::EXIT_INTERNAL,
                    error: anyhow!(
                        "{} could not be healed (see above); check SSH access and run `faultline cluster heal` again",
                        unhealed.join(", ")
                    ),
                });
            }
        }
        ClusterAction::Status { name } => {
            println!("{}", cluster::status(name).map_err(Failure::bad_input)?)
        }
    }
    Ok(0)
}

/// `faultline cluster heal`: connects to every node and heals it; per
/// node, its problems (all empty when the cluster is healthy again).
fn heal_cluster(nodes: &faultline_core::NodesFile) -> Vec<(String, Vec<String>)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = nodes
            .nodes
            .iter()
            .map(|node| {
                scope.spawn(
                    move || match crate::control::SshRemote::connect(node, &nodes.ssh) {
                        Ok(remote) => {
                            // The nodes are taken back from any run: a fault
                            // still in flight cannot land after the heal.
                            let owner = format!("cluster-heal-{}", std::process::id());
                            if let Err(e) = faultline_core::fence::claim(&remote, &node.dir, &owner)
                            {
                                return vec![format!("could not claim the node: {e}")];
                            }
                            faultline_systems::resume_any(&remote, node);
                            let mut problems =
                                faultline_nemeses::heal_node(&remote, node, &nodes.nodes, None);
                            problems
                                .extend(faultline_nemeses::disk::remove_from_node(&remote, node));
                            problems
                        }
                        Err(e) => vec![e.to_string()],
                    },
                )
            })
            .collect();
        nodes
            .nodes
            .iter()
            .zip(handles)
            .map(|(node, h)| {
                let problems = h
                    .join()
                    .unwrap_or_else(|_| vec!["healing panicked".to_owned()]);
                (node.name.clone(), problems)
            })
            .collect()
    })
}

//! Option groups that several subcommands share: which nodes and how to
//! reach them, and which local cluster to build.

use crate::cluster::ClusterSpec;
use anyhow::Context;
use clap::Args;
use faultline_core::{Node, NodesFile, SshSettings};
use std::path::PathBuf;

/// Which nodes, and how to reach them (Jepsen's flags).
#[derive(Args, Clone)]
pub struct NodeOptions {
    /// Nodes as host names or addresses, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub(crate) nodes: Vec<String>,
    /// A nodes file (default: the local cluster's, from `faultline cluster up`).
    #[arg(long)]
    pub(crate) nodes_file: Option<PathBuf>,
    /// SSH login name (commands run through sudo when not root); default
    /// root, or the nodes file's.
    #[arg(long)]
    pub(crate) username: Option<String>,
    /// SSH private key (default: the SSH agent).
    #[arg(long)]
    pub(crate) ssh_key: Option<PathBuf>,
    /// Do not check host keys against known_hosts.
    #[arg(long)]
    pub(crate) no_strict_host_key_checking: bool,
    /// Directory faultline owns on each node (with --nodes).
    #[arg(long, default_value = "/var/lib/faultline")]
    pub(crate) node_dir: PathBuf,
}

impl NodeOptions {
    /// The nodes these options name.
    pub fn resolve(&self) -> anyhow::Result<NodesFile> {
        if !self.nodes.is_empty() {
            let nodes = self
                .nodes
                .iter()
                .map(|h| Node {
                    name: h.clone(),
                    host: h.clone(),
                    dir: self.node_dir.clone(),
                })
                .collect();
            let ssh = SshSettings {
                username: self.username.clone().unwrap_or_else(|| "root".into()),
                private_key: self.ssh_key.clone(),
                known_hosts: None,
                strict_host_key_checking: !self.no_strict_host_key_checking,
                port: 22,
            };
            return Ok(NodesFile {
                nodes,
                ssh,
                local: false,
            });
        }
        let file = self
            .nodes_file
            .clone()
            .unwrap_or_else(|| ClusterSpec::dir_of("local").join("nodes.json"));
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!("cannot read nodes file {}: pass --nodes or --nodes-file, or build a local cluster with `faultline cluster up`", file.display())
        })?;
        let mut nodes: NodesFile = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a nodes file", file.display()))?;
        if self.no_strict_host_key_checking {
            nodes.ssh.strict_host_key_checking = false;
        }
        if let Some(username) = &self.username {
            nodes.ssh.username = username.clone();
        }
        Ok(nodes)
    }
}

/// What cluster to build.
#[derive(Args, Clone)]
pub struct SpecArgs {
    /// The cluster's name (names its namespaces, bridge and state directory).
    #[arg(long, default_value = "local")]
    pub name: String,
    /// How many nodes.
    #[arg(long, default_value_t = 5)]
    pub nodes: usize,
    /// A /24 that exists only on this machine, as three octets.
    #[arg(long, default_value = "10.77.0")]
    pub subnet: String,
}

impl SpecArgs {
    /// The spec these options describe.
    pub fn spec(&self) -> ClusterSpec {
        ClusterSpec {
            name: self.name.clone(),
            nodes: self.nodes,
            subnet: self.subnet.clone(),
        }
    }
}

//! The machines a test runs on, and how the controller reaches them.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One node of the cluster under test.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Node {
    /// Its name in histories and reports (`n1`).
    pub name: String,
    /// The address the controller and the other nodes reach it at.
    pub host: String,
    /// A directory on the node that faultline owns: databases keep their
    /// data, logs and pidfiles under it. The same layout on local
    /// namespaces and on real hosts keeps the database code the same.
    pub dir: PathBuf,
}

/// How the controller logs in to the nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshSettings {
    /// Login name; commands run through `sudo` when it is not root.
    pub username: String,
    /// Private key; `None` to ask the SSH agent.
    pub private_key: Option<PathBuf>,
    /// Known hosts file to check host keys against.
    pub known_hosts: Option<PathBuf>,
    /// Skip host key checking (`--no-strict-host-key-checking`).
    pub strict_host_key_checking: bool,
    /// SSH port.
    pub port: u16,
}

impl Default for SshSettings {
    fn default() -> SshSettings {
        SshSettings {
            username: "root".into(),
            private_key: None,
            known_hosts: None,
            strict_host_key_checking: true,
            port: 22,
        }
    }
}

/// A nodes file: the nodes and how to reach them (written by `cluster up`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodesFile {
    /// The nodes, in order.
    pub nodes: Vec<Node>,
    /// How to log in.
    pub ssh: SshSettings,
    /// The nodes are network namespaces of this machine (`cluster up`):
    /// they share its filesystem and reach no package mirror, so what a
    /// test needs is installed here, once, before they start.
    #[serde(default)]
    pub local: bool,
}

//! What a local cluster created, saved as it is created.

use super::ClusterSpec;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The record in `<dir>/cluster.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterState {
    /// The cluster's name.
    pub name: String,
    /// Its /24 (three octets).
    pub subnet: String,
    /// How many nodes were asked for.
    pub nodes: usize,
    /// The state directory.
    pub dir: PathBuf,
    /// The bridge, once created.
    pub bridge: Option<String>,
    /// The namespaces created so far.
    pub netns: Vec<String>,
    /// Whether a FORWARD rule for the bridge was added.
    pub forward_rule: bool,
    /// The sshd of each node.
    pub sshd_pids: Vec<u32>,
}

impl ClusterState {
    /// Nothing created yet.
    pub fn new(spec: &ClusterSpec, dir: &Path) -> ClusterState {
        ClusterState {
            name: spec.name.clone(),
            subnet: spec.subnet.clone(),
            nodes: spec.nodes,
            dir: dir.to_owned(),
            bridge: None,
            netns: Vec::new(),
            forward_rule: false,
            sshd_pids: Vec::new(),
        }
    }

    /// The namespace of node `i` (1-based).
    pub fn netns_of(&self, i: usize) -> String {
        format!("fl-{}-n{i}", self.name)
    }

    /// Writes the record (atomically: a crash leaves the old or the new one).
    pub fn save(&self) -> Result<()> {
        let tmp = self.dir.join("cluster.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)?;
        std::fs::rename(&tmp, self.dir.join("cluster.json"))?;
        Ok(())
    }

    /// Reads the record in `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<ClusterState>> {
        let file = dir.join("cluster.json");
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                Ok(Some(serde_json::from_str(&text).with_context(|| {
                    format!("{} is damaged", file.display())
                })?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
        }
    }
}

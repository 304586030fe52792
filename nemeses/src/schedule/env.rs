//! What every fault needs: the plan, the nodes and their remotes, the
//! system under test (for its abilities), the recorder; and the one way a nemesis action
//! is carried out on nodes and recorded.

use super::{ReadySchedule, Schedule};
use crate::packet::NodeNetwork;
use crate::{HealPolicy, NemesisPlan, Target};
use faultline_core::{Node, Op, OpType, Process, Recorder, Remote, Remotes, Rng, System};
use serde_json::{json, Value};
use std::sync::Arc;

/// The nemesis's world.
pub struct Env {
    pub nodes: Vec<Node>,
    pub plan: NemesisPlan,
    pub remotes: Remotes,
    pub system: Arc<dyn System>,
    pub recorder: Arc<Recorder>,
    /// Per node, its network as packet faults see it (packet faults only).
    pub networks: Vec<Option<NodeNetwork>>,
    /// Per node, the command that runs the delayer there (delay without netem).
    pub delayers: Vec<Option<String>>,
}

impl Env {
    pub fn new(ready: ReadySchedule, recorder: Arc<Recorder>) -> Env {
        let ReadySchedule {
            schedule,
            networks: (networks, delayers),
        } = ready;
        let Schedule {
            plan,
            nodes,
            remotes,
            system,
            ..
        } = schedule;
        Env {
            networks,
            delayers,
            nodes,
            plan,
            remotes,
            system,
            recorder,
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// The nodes one of `targets` (drawn at random) picks now, as indices.
    pub async fn pick(&self, targets: &[Target], rng: &mut Rng) -> Vec<usize> {
        let target = &targets[rng.below(targets.len() as u64) as usize];
        let primaries = if target.needs_primaries() {
            self.primaries().await
        } else {
            Vec::new()
        };
        let names = self.names();
        target
            .pick(&names, &primaries, rng)
            .iter()
            .filter_map(|n| names.iter().position(|m| m == n))
            .collect()
    }

    /// The current primaries (etcd's leader), if any node says it leads
    /// (none when the system cannot tell: the plan left that target out).
    pub async fn primaries(&self) -> Vec<String> {
        match self.system.primaries() {
            Some(primaries) => primaries.primaries(&self.nodes, &self.remotes).await,
            None => Vec::new(),
        }
    }

    /// Names of the nodes at `indices`.
    pub fn names_of(&self, indices: &[usize]) -> Vec<String> {
        indices
            .iter()
            .map(|&i| self.nodes[i].name.clone())
            .collect()
    }

    /// Records the invocation of nemesis action `f`.
    pub fn invoke(&self, f: &str, value: Value) {
        self.recorder
            .record(Op::new(Process::Nemesis, OpType::Invoke, f, value));
    }

    /// Records the completion of nemesis action `f` (with any errors) and
    /// prints it as progress.
    /// On failure the record says so, and says only that: the value is
    /// `{"failed": [...], "attempted": <what was meant>}`, never a success
    /// text beside an error.
    pub fn done(&self, f: &str, value: Value, errors: &[String], what: &str) {
        let (value, said) = if errors.is_empty() {
            (value, what.to_owned())
        } else {
            let error = errors.join("; ");
            self.recorder
                .problems
                .add(format!("nemesis {f} failed: {error}"));
            (
                json!({"failed": errors, "attempted": value}),
                format!("{f} FAILED: {error}"),
            )
        };
        let mut done = Op::new(Process::Nemesis, OpType::Info, f, value);
        if !errors.is_empty() {
            done.error = Some(errors.join("; "));
        }
        eprintln!("[{:>5.1}s] nemesis: {said}", self.recorder.elapsed_secs());
        self.recorder.record(done);
    }

    /// Runs `action` on the nodes at `indices` at once (blocking work, off
    /// the async workers); the errors, as text.
    pub async fn on_nodes<F>(&self, indices: &[usize], action: F) -> Vec<String>
    where
        F: Fn(&dyn Remote, &Node, usize) -> Result<(), String> + Send + Sync + 'static,
    {
        let remotes = self.remotes.clone();
        let nodes = self.nodes.clone();
        let indices = indices.to_vec();
        tokio::task::spawn_blocking(move || {
            std::thread::scope(|scope| {
                let action = &action;
                let handles: Vec<_> = indices
                    .iter()
                    .map(|&i| {
                        let (remote, node) = (remotes[i].clone(), &nodes[i]);
                        scope.spawn(move || action(remote.as_ref(), node, i))
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| match h.join() {
                        Ok(result) => result.err(),
                        Err(_) => Some("a node's action panicked".to_owned()),
                    })
                    .collect()
            })
        })
        .await
        .unwrap_or_else(|e| vec![e.to_string()])
    }

    /// Undoes a fault on the nodes at `indices` at once, each until
    /// `verify` says it is gone (see [`HealPolicy`]); per node that could
    /// not be healed within the bound, why.
    pub async fn heal_nodes<U, V>(&self, indices: &[usize], undo: U, verify: V) -> Vec<String>
    where
        U: Fn(&dyn Remote, &Node, usize) -> Result<(), String> + Send + Sync + 'static,
        V: Fn(&dyn Remote, &Node, usize) -> Result<bool, String> + Send + Sync + 'static,
    {
        let policy = HealPolicy::default();
        self.on_nodes(indices, move |remote, node, i| {
            policy
                .until_verified(|| undo(remote, node, i), || verify(remote, node, i))
                .map(|_| ())
                .map_err(|e| format!("{}: {e}", node.name))
        })
        .await
    }

    /// `{"nodes": [...]}` for the nodes at `indices`.
    pub fn nodes_value(&self, indices: &[usize]) -> Value {
        json!({ "nodes": self.names_of(indices) })
    }
}

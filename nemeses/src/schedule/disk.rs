//! Disk faults: the database on the targets is killed, then its
//! filesystem drops every change it had not fsynced (the crash of a
//! machine whose page cache is lost); later the database restarts on what
//! is left. What was lost, per node, is recorded in the event.

use super::env::Env;
use super::Active;
use crate::disk::{control_on_node, ControlCommand};
use faultline_core::{Kill, Rng, System};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

// The plan was fitted to the system's abilities before the run.
fn killing(system: &dyn System) -> Result<&dyn Kill, String> {
    system
        .kill()
        .ok_or_else(|| format!("{} cannot kill its process", system.name()))
}

/// Kills the database on the nodes a disk target picks (except `spared`)
/// and drops their unsynced writes.
pub async fn lose_unsynced(env: &Env, rng: &mut Rng, spared: &[usize]) -> Active {
    let mut nodes = env.pick(&env.plan.disk_targets, rng).await;
    nodes.retain(|n| !spared.contains(n));
    let mut value = env.nodes_value(&nodes);
    env.invoke("disk-lose-unsynced", value.clone());
    let lost: Arc<Mutex<BTreeMap<String, Value>>> = Arc::default();
    let summaries: Arc<Mutex<Vec<String>>> = Arc::default();
    let (system, into, said) = (env.system.clone(), lost.clone(), summaries.clone());
    let errors = env
        .on_nodes(&nodes, move |remote, node, _| {
            killing(system.as_ref())?
                .kill(remote, node)
                .map_err(|e| format!("{}: {e}", node.name))?;
            let answer = control_on_node(remote, node, ControlCommand::Drop)
                .map_err(|e| format!("{}: {e}", node.name))?;
            let summary = answer["summary"].as_str().unwrap_or("").to_owned();
            said.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(format!("{}: {summary}", node.name));
            into.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(node.name.clone(), answer["lost"].clone());
            Ok(())
        })
        .await;
    let lost = std::mem::take(&mut *lost.lock().unwrap_or_else(|p| p.into_inner()));
    value["lost"] = json!(lost);
    let mut summaries = std::mem::take(&mut *summaries.lock().unwrap_or_else(|p| p.into_inner()));
    summaries.sort();
    let what = if nodes.is_empty() {
        "disk-lose-unsynced: no node to act on (the picked ones are held by another process fault)"
            .to_owned()
    } else {
        format!(
            "disk-lose-unsynced {} (killed, unsynced writes dropped): {}",
            env.names_of(&nodes).join(" "),
            summaries.join("; ")
        )
    };
    env.done("disk-lose-unsynced", value, &errors, &what);
    Active::Disk(nodes)
}

/// Restarts the database on what its disk kept.
pub async fn restart(env: &Env, nodes: &[usize]) {
    let value = env.nodes_value(nodes);
    env.invoke("disk-restart", value.clone());
    let (system, cluster) = (env.system.clone(), env.nodes.clone());
    let errors = env
        .on_nodes(nodes, move |remote, node, _| {
            killing(system.as_ref())?
                .restart(remote, node, &cluster)
                .map_err(|e| format!("{}: {e}", node.name))
        })
        .await;
    env.done(
        "disk-restart",
        value,
        &errors,
        &if nodes.is_empty() {
            "disk-restart: nothing to restart (no node was picked)".to_owned()
        } else {
            format!("disk-restart {}", env.names_of(nodes).join(" "))
        },
    );
}

/// Makes everything on the node's disk durable: the harness's own changes
/// (a member's wipe) are not the database's to lose.
pub async fn sync(env: &Env, nodes: &[usize]) -> Vec<String> {
    env.on_nodes(nodes, |remote, node, _| {
        control_on_node(remote, node, ControlCommand::Sync)
            .map(|_| ())
            .map_err(|e| format!("{}: syncing its disk: {e}", node.name))
    })
    .await
}

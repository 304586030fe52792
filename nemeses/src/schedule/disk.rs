//! Disk faults: the database on the targets is killed, then its
//! filesystem drops every change it had not fsynced (the crash of a
//! machine whose page cache is lost); later the database restarts on what
//! is left. What was lost, per node, is recorded in the event.
//! Or (`corrupt`) one of the stopped database's files is truncated or has
//! bits flipped; the restart then shows whether the database noticed: one
//! that does not serve again soon gets its file back and starts once more.

use super::env::Env;
use super::Active;
use crate::disk::{
    control_on_node, corrupt_on_node, uncorrupt_on_node, ControlCommand, CorruptMode, DiskKind,
};
use faultline_core::shell::ShellQuoted;
use faultline_core::{Kill, Rng, System};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a database restarted on a corrupted file has to serve again
/// before the file is put back.
const SERVE_AFTER_CORRUPTION: Duration = Duration::from_secs(20);

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
    let errors = restart_on(env, nodes).await;
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

/// Starts the database again on the nodes; the errors.
async fn restart_on(env: &Env, nodes: &[usize]) -> Vec<String> {
    let (system, cluster) = (env.system.clone(), env.nodes.clone());
    env.on_nodes(nodes, move |remote, node, _| {
        killing(system.as_ref())?
            .restart(remote, node, &cluster)
            .map_err(|e| format!("{}: {e}", node.name))
    })
    .await
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

/// Starts a disk fault of a kind drawn from `--disk`.
pub async fn start(env: &Env, rng: &mut Rng, spared: &[usize]) -> Active {
    let kinds = &env.plan.disk;
    match kinds[rng.below(kinds.len() as u64) as usize] {
        DiskKind::LoseUnsynced => lose_unsynced(env, rng, spared).await,
        DiskKind::Corrupt => corrupt(env, rng, spared).await,
    }
}

/// Kills the database on the nodes a corrupt target picks (except
/// `spared`) and truncates or flips bits in one of its files on each.
pub async fn corrupt(env: &Env, rng: &mut Rng, spared: &[usize]) -> Active {
    let mut nodes = env.pick(&env.plan.corrupt_targets, rng).await;
    nodes.retain(|n| !spared.contains(n));
    let mode = CorruptMode::ALL[rng.below(CorruptMode::ALL.len() as u64) as usize];
    let seeds: BTreeMap<usize, u64> = nodes.iter().map(|&n| (n, rng.next_u64())).collect();
    let mut value = env.nodes_value(&nodes);
    value["mode"] = json!(mode.word());
    env.invoke("disk-corrupt", value.clone());
    let done: Arc<Mutex<BTreeMap<String, Value>>> = Arc::default();
    let (system, into) = (env.system.clone(), done.clone());
    let errors = env
        .on_nodes(&nodes, move |remote, node, i| {
            let data = system
                .data_dir()
                .ok_or_else(|| format!("{} does not say where its data lives", system.name()))?;
            killing(system.as_ref())?
                .kill(remote, node)
                .map_err(|e| format!("{}: {e}", node.name))?;
            let answer = corrupt_on_node(
                remote,
                node,
                &data.data_dir(node),
                &data.corruptible(),
                mode,
                seeds[&i],
            )
            .map_err(|e| format!("{}: {e}", node.name))?;
            into.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(node.name.clone(), answer);
            Ok(())
        })
        .await;
    let done = std::mem::take(&mut *done.lock().unwrap_or_else(|p| p.into_inner()));
    let what = if nodes.is_empty() {
        "disk-corrupt: no node to act on (the picked ones are held by another process fault)"
            .to_owned()
    } else {
        let said: Vec<String> = done
            .iter()
            .map(|(node, c)| format!("{node}: {}", describe_corruption(c)))
            .collect();
        format!(
            "disk-corrupt {} (killed, {}): {}",
            env.names_of(&nodes).join(" "),
            mode.word(),
            said.join("; ")
        )
    };
    value["corrupted"] = json!(done);
    env.done("disk-corrupt", value, &errors, &what);
    Active::Corrupted(nodes)
}

/// Whether the database on node `i` has exited since its restart (false
/// when the system cannot tell or the node does not answer).
async fn exited(env: &Env, i: usize) -> bool {
    let (system, remote, node) = (
        env.system.clone(),
        env.remotes[i].clone(),
        env.nodes[i].clone(),
    );
    tokio::task::spawn_blocking(move || {
        killing(system.as_ref()).is_ok_and(|k| k.exited(remote.as_ref(), &node).unwrap_or(false))
    })
    .await
    .unwrap_or(false)
}

/// One corruption in words.
fn describe_corruption(c: &Value) -> String {
    let file = c["file"].as_str().unwrap_or("?");
    let (offset, bytes, size) = (&c["offset"], &c["bytes"], &c["size"]);
    match c["mode"].as_str() {
        Some("truncate") => match c["zeroed_up_to"].as_u64() {
            // Preallocated: the data's tail zeroed, the length kept.
            Some(data) => format!(
                "{file}: the last {bytes} B of its {data} B of data zeroed from {offset} (its {size} B kept)"
            ),
            None => format!("{file} cut from {size} to {offset} B ({bytes} B lost)"),
        },
        _ => {
            let bits = c["bits"].as_array().map_or(0, Vec::len);
            format!(
                "{bits} bit(s) flipped in {bytes} byte(s) of {file} ({size} B), first at {offset}"
            )
        }
    }
}

/// Restarts the database on its corrupted files; a node whose database
/// exits (it found the damage and refused, or crashed on it) or does not
/// serve within [`SERVE_AFTER_CORRUPTION`] gets its file back and restarts
/// again. The event records which nodes refused, and why.
pub async fn restart_corrupted(env: &Env, nodes: &[usize]) {
    let mut value = env.nodes_value(nodes);
    env.invoke("disk-restart", value.clone());
    let mut errors = restart_on(env, nodes).await;
    let mut refused = Vec::new();
    let started = Instant::now();
    for &i in nodes {
        loop {
            let remote = env.remotes[i].clone();
            match env.system.serves(remote, &env.nodes[i]).await {
                Ok(()) => break,
                Err(why) if started.elapsed() > SERVE_AFTER_CORRUPTION => {
                    let allowance = SERVE_AFTER_CORRUPTION.as_secs();
                    refused.push((i, format!("not serving after {allowance} s ({why})")));
                    break;
                }
                // A database that exited on what it found will not serve:
                // no need to wait out the allowance.
                Err(why) if exited(env, i).await => {
                    refused.push((i, format!("it exited ({why})")));
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }
    let refused_nodes: Vec<usize> = refused.iter().map(|(i, _)| *i).collect();
    let (system, cluster) = (env.system.clone(), env.nodes.clone());
    let logs: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let into = logs.clone();
    errors.extend(
        env.on_nodes(&refused_nodes, move |remote, node, _| {
            // Its log says what it found: the last fatal or panic line
            // (a Go panic ends in a stack trace), else the last line.
            if let Some(log) = system.db().log_files(node).into_iter().next() {
                let log = log.quoted();
                let last = remote
                    .run(
                        &format!(
                            "tail -n 300 {log} | grep -E '^panic:|\"level\":\"(fatal|panic)\"' | tail -n 1 | grep . || tail -n 1 {log}"
                        ),
                        Duration::from_secs(10),
                    )
                    .unwrap_or_default();
                into.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(node.name.clone(), last.trim().chars().take(400).collect());
            }
            let kill = killing(system.as_ref())?;
            // It may have exited on its own: a failed kill is no failure.
            let _ = kill.kill(remote, node);
            uncorrupt_on_node(remote, node).map_err(|e| format!("{}: {e}", node.name))?;
            kill.restart(remote, node, &cluster)
                .map_err(|e| format!("{}: {e}", node.name))
        })
        .await,
    );
    let logs = std::mem::take(&mut *logs.lock().unwrap_or_else(|p| p.into_inner()));
    let refusals: BTreeMap<String, Value> = refused
        .iter()
        .map(|(i, why)| {
            let name = env.nodes[*i].name.clone();
            let log = logs.get(&name).cloned().unwrap_or_default();
            (name, json!({"why": why, "log": log}))
        })
        .collect();
    value["refused"] = json!(refusals);
    let what = if nodes.is_empty() {
        "disk-restart: nothing to restart (no node was picked)".to_owned()
    } else if refused.is_empty() {
        format!(
            "disk-restart {} (serving on the corrupted files)",
            env.names_of(nodes).join(" ")
        )
    } else {
        format!(
            "disk-restart {}: {} did not serve on the corrupted files ({}); their files were put back and they restarted",
            env.names_of(nodes).join(" "),
            env.names_of(&refused_nodes).join(" "),
            refused
                .iter()
                .map(|(_, why)| why.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    env.done("disk-restart", value, &errors, &what);
}

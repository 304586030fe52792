//! The final phase: with every fault healed, wait `--recovery-time`, then
//! read from every node the keys the workers were last on and, for
//! transactions, every key the pool handed out. The reads are
//! ordinary operations in the history (so the checker judges them), and a
//! node whose reads do not succeed is named: it did not recover.

use super::client_process::ClientProcess;
use super::config::TestConfig;
use super::workers::WorkerEnd;
use faultline_core::{Op, OpType, Process, Recorder, System};
use faultline_workloads::{Planned, WorkloadRun};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Keys every worker shares (a transactional pool's) read at the end at
/// most: the most recent.
pub const MAX_SHARED_KEYS: usize = 100_000;

/// Failed reads in a row after which a node's final reads stop.
const GIVE_UP_AFTER: usize = 3;

/// Performs `planned` on every node at once, each node's reads one after
/// another by a fresh process; returns, per node, how many did not succeed
/// and how many were left unread after [`GIVE_UP_AFTER`] failures in a row.
async fn read_on_every_node(
    config: &TestConfig,
    system: &dyn System,
    planned: &[Planned],
    recorder: &Arc<Recorder>,
    ends: &[WorkerEnd],
) -> Vec<(String, usize, usize)> {
    // Fresh process ids, above every worker's.
    let base = ends.iter().map(|e| e.process).max().unwrap_or(0) + 1;
    let nodes = config.nodes.len() as u64;
    let timeout = Duration::from_secs_f64(config.op_timeout);
    let mut reads = Vec::new();
    for (i, node) in config.nodes.iter().enumerate() {
        let mut process = ClientProcess::new(
            base + i as u64,
            nodes,
            Some(node.name.clone()),
            system.client(node, timeout),
            recorder.clone(),
        );
        let planned = planned.to_vec();
        let name = node.name.clone();
        reads.push(tokio::spawn(async move {
            let (mut failed, mut in_a_row) = (0, 0);
            for (done, op) in planned.iter().enumerate() {
                if process.perform(op).await.kind == OpType::Ok {
                    in_a_row = 0;
                    continue;
                }
                failed += 1;
                in_a_row += 1;
                // A node that has not recovered would spend a timeout on
                // every key: it is left, its keys unread (claiming less).
                if in_a_row == GIVE_UP_AFTER {
                    return (name, failed, planned.len() - done - 1);
                }
            }
            (name, failed, 0)
        }));
    }
    let mut results = Vec::new();
    for read in reads {
        if let Ok(result) = read.await {
            results.push(result);
        }
    }
    results
}

/// The keys every worker shared (a transactional pool's), the most recent
/// past [`MAX_SHARED_KEYS`]: a write a crash lost shows only when its key
/// is read again.
fn shared_keys(run: &dyn WorkloadRun) -> Vec<String> {
    let every = run.shared_final_keys();
    let skip = every.len().saturating_sub(MAX_SHARED_KEYS);
    if skip > 0 {
        eprintln!(
            "final reads: the {MAX_SHARED_KEYS} most recent of {} keys (the first {skip} are not read again)",
            every.len()
        );
    }
    every.into_iter().skip(skip).collect()
}

/// Waits for recovery and reads again each worker's last keys and the
/// keys every worker shared; prints what they found.
pub async fn run(
    config: &TestConfig,
    system: &dyn System,
    run: &dyn WorkloadRun,
    recorder: &Arc<Recorder>,
    ends: &[WorkerEnd],
    stop: &CancellationToken,
) {
    let shared = shared_keys(run);
    let keys: BTreeSet<&String> = ends
        .iter()
        .flat_map(|e| e.keys.iter())
        .chain(&shared)
        .collect();
    if keys.is_empty() {
        return;
    }
    let recovery = Duration::from_secs_f64(config.nemesis.recovery_time);
    eprintln!(
        "[{:>5.1}s] faults healed; waiting {:.1} s for recovery, then reading {} keys on every node",
        recorder.elapsed_secs(),
        recovery.as_secs_f64(),
        keys.len()
    );
    tokio::select! {
        _ = tokio::time::sleep(recovery) => {}
        _ = stop.cancelled() => return,
    }
    // The phase starts here: a marker in the history, so that an
    // explanation can say an operation was a final read.
    let marker = |kind| {
        Op::new(
            Process::Nemesis,
            kind,
            faultline_checkers::linearizable::FINAL_READS,
            json!({ "keys": keys.len(), "nodes": config.node_names() }),
        )
    };
    recorder.record(marker(OpType::Invoke));
    recorder.record(marker(OpType::Info));
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let results = read_on_every_node(config, system, &run.final_reads(&keys), recorder, ends).await;
    let unrecovered: Vec<String> = results
        .iter()
        .filter(|(_, failed, _)| *failed > 0)
        .map(|(name, failed, left)| match left {
            0 => format!("{name} ({failed} reads failed)"),
            left => format!(
                "{name} ({failed} reads failed, {GIVE_UP_AFTER} in a row: {left} keys left unread)"
            ),
        })
        .collect();
    if unrecovered.is_empty() {
        eprintln!(
            "[{:>5.1}s] final reads: every node served all {} keys",
            recorder.elapsed_secs(),
            keys.len()
        );
    } else {
        eprintln!(
            "[{:>5.1}s] final reads: not recovered after {:.1} s: {}",
            recorder.elapsed_secs(),
            recovery.as_secs_f64(),
            unrecovered.join(", ")
        );
    }
}

//! The final phase: with every fault healed, wait `--recovery-time`, then
//! read from every node the keys the workers were last on and, for
//! transactions, every key the pool handed out. The reads are
//! ordinary operations in the history (so the checker judges them), and a
//! node whose reads do not succeed is named: it did not recover.

use super::client_process::ClientProcess;
use super::config::TestConfig;
use super::workers::WorkerEnd;
use faultline_core::{Op, OpType, Process, Recorder, System};
use faultline_workloads::{Planned, TxnWorkload};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Transactional keys read at the end at most (the most recent).
pub const MAX_TRANSACTIONAL_KEYS: usize = 100_000;

/// Keys per final read-only transaction: within etcd's default limit of
/// 128 operations per transaction.
const KEYS_PER_READ: usize = 64;

/// The final reads of `keys`: one read per key; for transactions,
/// read-only transactions of up to [`KEYS_PER_READ`] keys each.
fn final_read_ops(keys: &[String], transactional: bool) -> Vec<Planned> {
    if transactional {
        let numbers: Vec<u64> = keys.iter().filter_map(|k| k.parse().ok()).collect();
        numbers
            .chunks(KEYS_PER_READ)
            .map(TxnWorkload::read_all)
            .collect()
    } else {
        keys.iter()
            .map(|key| Planned {
                f: "read",
                key: Some(key.clone()),
                value: Value::Null,
            })
            .collect()
    }
}

/// Waits for recovery and runs the final reads; prints what they found.
pub async fn run(
    config: &TestConfig,
    system: &dyn System,
    recorder: &Arc<Recorder>,
    ends: &[WorkerEnd],
    in_use: &[String],
    stop: &CancellationToken,
) {
    let keys: BTreeSet<&String> = ends
        .iter()
        .flat_map(|e| e.keys.iter())
        .chain(in_use)
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
    // Fresh process ids, above every worker's.
    let base = ends.iter().map(|e| e.process).max().unwrap_or(0) + 1;
    let nodes = config.nodes.len() as u64;
    let timeout = Duration::from_secs_f64(config.op_timeout);
    let transactional = config.workload.transactions().is_some();
    let mut reads = Vec::new();
    for (i, node) in config.nodes.iter().enumerate() {
        let mut process = ClientProcess::new(
            base + i as u64,
            nodes,
            Some(node.name.clone()),
            system.client(node, timeout),
            recorder.clone(),
        );
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let name = node.name.clone();
        reads.push(tokio::spawn(async move {
            let mut failed = 0;
            let planned = final_read_ops(&keys, transactional);
            for op in planned {
                if process.perform(&op).await.kind != OpType::Ok {
                    failed += 1;
                }
            }
            (name, failed)
        }));
    }
    let mut results = Vec::new();
    for read in reads {
        if let Ok(result) = read.await {
            results.push(result);
        }
    }
    let unrecovered: Vec<String> = results
        .iter()
        .filter(|(_, failed)| *failed > 0)
        .map(|(name, failed)| format!("{name} ({failed} reads failed)"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactional_keys_are_read_in_transactions_of_at_most_64_each_and_none_is_missed() {
        let keys: Vec<String> = (0..130).map(|k| k.to_string()).collect();
        let ops = final_read_ops(&keys, true);
        assert_eq!(ops.len(), 3);
        let read: Vec<u64> = ops
            .iter()
            .flat_map(|op| TxnWorkload::keys_of(&op.value))
            .collect();
        assert_eq!(read, (0..130).collect::<Vec<u64>>());
        assert!(ops
            .iter()
            .all(|op| op.f == "txn" && op.value.as_array().unwrap().len() <= KEYS_PER_READ));
        let registers = final_read_ops(&keys[..2], false);
        assert_eq!(registers.len(), 2);
        assert_eq!(registers[1].key.as_deref(), Some("1"));
    }
}

//! The same seed replays the same run: the nemesis takes the same actions
//! on the same nodes, and every worker issues the same operations (what
//! their timing lets each run reach of them). Needs root (a local cluster).

use crate::local_cluster::{root_or_skip, TestCluster};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const CLUSTER: &str = "itseed";
const TIME_LIMIT_S: u64 = 12;

fn faultline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

/// Runs a test with `seed`; its history's events.
fn run(store: &Path, seed: &str) -> Vec<Value> {
    let out = faultline()
        .args([
            "test",
            "etcd",
            "--nodes-file",
            &format!("/run/faultline/{CLUSTER}/nodes.json"),
        ])
        .arg("--store")
        .arg(store)
        .args(["--nemesis", "all", "--nemesis-interval", "1"])
        .args(["--time-limit", &TIME_LIMIT_S.to_string()])
        // Targets that do not follow the leader, whose election is timing.
        .args([
            "--partition",
            "majority,one,ring,bridge",
            "--kill-targets",
            "one,minority",
        ])
        .args([
            "--pause-targets",
            "one,minority",
            "--clock-targets",
            "one,all",
        ])
        .args(["--recovery-time", "1", "--concurrency", "6", "--seed", seed])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = std::fs::canonicalize(store.join("latest")).unwrap();
    std::fs::read_to_string(run.join("history.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The nemesis's scheduled actions, what it did to which nodes: those
/// invoked within the time limit (after it, it stops what is active, and
/// how far a run got by then is a matter of timing).
fn nemesis_actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["process"] == "nemesis" && e["type"] == "invoke")
        .filter(|e| e["time"].as_u64().unwrap_or(0) < TIME_LIMIT_S * 1_000_000_000)
        .map(|e| format!("{} {}", e["f"], e["value"]))
        .collect()
}

/// Per worker (process modulo the concurrency), its invocations; the
/// final reads, after the nemesis's last event, are not a worker's.
fn worker_ops(events: &[Value], concurrency: u64) -> Vec<Vec<String>> {
    let last_nemesis = events
        .iter()
        .rposition(|e| e["process"] == "nemesis")
        .unwrap_or(events.len());
    let mut per = vec![Vec::new(); concurrency as usize];
    for e in events[..last_nemesis]
        .iter()
        .filter(|e| e["type"] == "invoke")
    {
        if let Some(p) = e["process"].as_u64() {
            per[(p % concurrency) as usize].push(format!("{} {} {}", e["f"], e["key"], e["value"]));
        }
    }
    per
}

fn common_prefix<'a>(a: &'a [String], b: &[String]) -> &'a [String] {
    let n = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    &a[..n]
}

#[test]
fn one_seed_replays_the_same_nemesis_actions_and_operations() {
    if !root_or_skip("one_seed_replays_the_same_nemesis_actions_and_operations") {
        return;
    }
    let _cluster = TestCluster::up(CLUSTER, 5, "10.92.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-seed", std::process::id()));
    let first = run(&store, "42");
    let second = run(&store, "42");
    let other = run(&store, "43");

    let (a, b, c) = (
        nemesis_actions(&first),
        nemesis_actions(&second),
        nemesis_actions(&other),
    );
    let shorter = a.len().min(b.len());
    assert!(shorter >= 4, "too few nemesis actions to compare: {a:?}");
    let same = common_prefix(&a, &b).len();
    assert!(
        same >= shorter,
        "the same seed, the same nemesis actions; action {same} differs:\n{}\n{}",
        a[same],
        b[same]
    );
    assert_ne!(
        a[..shorter.min(c.len())],
        c[..shorter.min(c.len())],
        "another seed, other actions"
    );

    let (a, b) = (worker_ops(&first, 6), worker_ops(&second, 6));
    for (worker, (x, y)) in a.iter().zip(&b).enumerate() {
        let same = common_prefix(x, y).len();
        let reached = x.len().min(y.len());
        assert!(
            reached > 20,
            "worker {worker} ran only {reached} operations"
        );
        assert_eq!(
            same, reached,
            "worker {worker}: operation {same} differs: {} vs {}",
            x[same], y[same]
        );
    }
    let _ = std::fs::remove_dir_all(&store);
}

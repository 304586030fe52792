//! A heal that fails its first tries is retried until it holds: the
//! pidfiles of a paused etcd are hidden when the resume comes, so SIGCONT
//! cannot find the process, and put back half a second later; the resume
//! is retried, verified (the process runs again) and recorded as done, not
//! failed, at the moment it held. Needs root (a local cluster).

use crate::local_cluster::{root_or_skip, TestCluster};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn events(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("history.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn has(events: &[Value], f: &str, kind: &str) -> bool {
    events
        .iter()
        .any(|e| e["process"] == "nemesis" && e["f"] == f && e["type"] == kind)
}

#[test]
fn a_resume_that_fails_at_first_is_retried_until_the_process_runs() {
    if !root_or_skip("a_resume_that_fails_at_first_is_retried_until_the_process_runs") {
        return;
    }
    let cluster = TestCluster::up("itheal", 3, "10.99.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-heal", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["test", "etcd", "--nodes-file", &cluster.nodes_file()])
        .args([
            "--nemesis",
            "pause",
            "--pause-targets",
            "one",
            "--nemesis-interval",
            "3",
        ])
        .args([
            "--time-limit",
            "8",
            "--recovery-time",
            "1",
            "--seed",
            "1",
            "--store",
        ])
        .arg(&store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pidfiles: Vec<PathBuf> = cluster
        .nodes()
        .nodes
        .iter()
        .map(|n| n.dir.join("etcd/etcd.pid"))
        .collect();
    let hidden = |p: &PathBuf| p.with_extension("hidden");
    let start = Instant::now();
    let mut run = None;
    // Hide the pidfiles once the pause has been applied...
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
        run = run.or_else(|| std::fs::canonicalize(store.join("latest")).ok());
        if run
            .as_ref()
            .is_some_and(|r| has(&events(r), "pause", "info"))
        {
            for p in &pidfiles {
                std::fs::rename(p, hidden(p)).unwrap();
            }
            break;
        }
    }
    let run = run.expect("the run started");
    // ...and put them back half a second after the resume began.
    while start.elapsed() < Duration::from_secs(60) && !has(&events(&run), "resume", "invoke") {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    for p in &pidfiles {
        std::fs::rename(hidden(p), p).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let events = events(&run);
    let invoked = events
        .iter()
        .find(|e| e["process"] == "nemesis" && e["f"] == "resume" && e["type"] == "invoke")
        .unwrap();
    let done = events
        .iter()
        .find(|e| e["process"] == "nemesis" && e["f"] == "resume" && e["type"] == "info")
        .unwrap();
    assert!(
        done["error"].is_null() && done["value"].get("failed").is_none(),
        "{done}"
    );
    let took = done["time"].as_u64().unwrap() - invoked["time"].as_u64().unwrap();
    assert!(
        took >= 400_000_000,
        "the resume was recorded when it held, after its retries: {took} ns"
    );
    let _ = std::fs::remove_dir_all(&store);
}

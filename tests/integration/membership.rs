//! Members leaving and joining a real etcd cluster mid-run (`--nemesis
//! member`, with kills and partitions at the same time): the run stays
//! valid, every member removed is added back before the end, and the
//! history says what was done. Needs root (CI runs as root).

use crate::local_cluster::{root_or_skip, TestCluster};
use std::process::Command;

#[test]
fn members_leave_and_rejoin_under_kills_and_partitions_and_etcd_stays_valid() {
    if !root_or_skip("members_leave_and_rejoin") {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-member", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let cluster = TestCluster::up("itmember", 3, "10.80.0");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "test",
            "etcd",
            "--nodes-file",
            &cluster.nodes_file(),
            "--store",
        ])
        .arg(&store)
        .args([
            "--time-limit",
            "40",
            "--nemesis",
            "member,kill,partition",
            "--nemesis-interval",
            "3",
            "--seed",
            "11",
        ])
        .output()
        .expect("faultline runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(": VALID =="), "{stdout}");

    let run = std::fs::canonicalize(store.join("latest")).unwrap();
    let history = std::fs::read_to_string(run.join("history.jsonl")).unwrap();
    // Member changes in order: (f, done or refused, node).
    let changes: Vec<(String, &'static str, String)> = history
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["process"] == "nemesis" && e["type"] == "info")
        .filter(|e| e["f"].as_str().is_some_and(|f| f.starts_with("member-")))
        .map(|e| {
            let how = if e["value"]["done"].is_string() {
                "done"
            } else if e["value"]["refused"].is_string() {
                "refused"
            } else {
                "failed"
            };
            let node = e["value"]["nodes"][0].as_str().unwrap_or("").to_owned();
            (e["f"].as_str().unwrap().to_owned(), how, node)
        })
        .collect();
    assert!(
        !changes.iter().any(|(_, how, _)| *how == "failed"),
        "{changes:?}"
    );
    let left: Vec<&(String, &str, String)> = changes
        .iter()
        .filter(|(f, how, _)| f == "member-leave" && *how == "done")
        .collect();
    assert!(!left.is_empty(), "no member left the cluster: {changes:?}");
    // Each member that left came back, after it left.
    let mut out_now: Vec<&str> = Vec::new();
    for (f, how, node) in &changes {
        match (f.as_str(), *how) {
            ("member-leave", "done") => out_now.push(node),
            ("member-join", "done") => {
                assert!(
                    out_now.contains(&node.as_str()),
                    "{node} joined without leaving: {changes:?}"
                );
                out_now.retain(|n| n != node);
            }
            _ => {}
        }
    }
    assert!(
        out_now.is_empty(),
        "still out at the end: {out_now:?} in {changes:?}"
    );
    assert!(
        history.contains("removed member") && history.contains("as member"),
        "the history says what was done"
    );
    let _ = std::fs::remove_dir_all(&store);
}

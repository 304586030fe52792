//! `--nemesis disk` on a real etcd cluster, with kills and member changes
//! at the same time: etcd fsyncs its log before it acknowledges, so losing
//! every unsynced write on a crash keeps it valid; the history says what
//! each drop took, and nothing is left mounted afterwards. Needs root and
//! `/dev/fuse` (CI has both).

use crate::local_cluster::{root_or_skip, TestCluster};
use std::path::Path;
use std::process::Command;

/// The nemesis's completed actions in the latest run under `store`,
/// checked to have all succeeded.
fn nemesis_events(store: &Path) -> Vec<serde_json::Value> {
    let run = std::fs::canonicalize(store.join("latest")).unwrap();
    let history = std::fs::read_to_string(run.join("history.jsonl")).unwrap();
    let events: Vec<serde_json::Value> = history
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["process"] == "nemesis" && e["type"] == "info")
        .collect();
    let failed: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["error"].is_string()).collect();
    assert!(failed.is_empty(), "nemesis actions failed: {failed:?}");
    events
}

#[test]
fn etcd_stays_valid_when_crashes_lose_what_it_had_not_fsynced() {
    if !root_or_skip("etcd_stays_valid_when_crashes_lose_what_it_had_not_fsynced") {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-disk", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let cluster = TestCluster::up("itdisk", 3, "10.79.0");
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
            "60",
            "--nemesis",
            "disk,kill,member",
            "--nemesis-interval",
            "3",
            "--seed",
            "3",
        ])
        .output()
        .expect("faultline runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(": VALID =="), "{stdout}");
    assert!(
        stderr.contains("mounting faultline's lose-unsynced filesystem"),
        "{stderr}"
    );

    let events = nemesis_events(&store);
    // Drops that hit a node, each saying what it took from whom.
    let drops: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["f"] == "disk-lose-unsynced")
        .filter(|e| {
            e["value"]["nodes"]
                .as_array()
                .is_some_and(|n| !n.is_empty())
        })
        .collect();
    assert!(!drops.is_empty(), "no disk fault hit a node:\n{stderr}");
    for drop in &drops {
        for node in drop["value"]["nodes"].as_array().unwrap() {
            let lost = &drop["value"]["lost"][node.as_str().unwrap()];
            assert!(
                lost["files"].is_array() && lost["names"].is_array(),
                "{drop}"
            );
        }
    }
    let count = |f: &str| events.iter().filter(|e| e["f"] == f).count();
    assert_eq!(
        count("disk-lose-unsynced"),
        count("disk-restart"),
        "every drop is followed by a restart"
    );
    assert!(count("member-leave") > 0, "no member change:\n{stderr}");
    for i in 1..=3 {
        let mounts = cluster.disk_mounts(i);
        assert!(mounts.is_empty(), "n{i} still has {mounts:?}");
        let dir = format!("/run/faultline/itdisk/n{i}/faultline-disk");
        assert!(!std::path::Path::new(&dir).exists(), "{dir} is left");
    }
    let _ = std::fs::remove_dir_all(&store);
}

/// `--disk corrupt`: etcd's data files are truncated or bit-flipped on a
/// minority; each event names the file, offset and bytes; etcd either
/// serves again on them or refuses (and gets them back); the cluster stays
/// valid, since a majority keeps every acknowledged write.
#[test]
fn corrupting_a_minority_of_etcd_data_files_is_recorded_and_only_a_corrupted_member_errs() {
    if !root_or_skip(
        "corrupting_a_minority_of_etcd_data_files_is_recorded_and_only_a_corrupted_member_errs",
    ) {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-corrupt", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let cluster = TestCluster::up("itcor", 3, "10.76.0");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["test", "etcd", "--nodes-file", &cluster.nodes_file()])
        .arg("--store")
        .arg(&store)
        .args([
            "--time-limit",
            "30",
            "--nemesis",
            "disk",
            "--disk",
            "corrupt",
        ])
        .args(["--nemesis-interval", "2", "--seed", "3"])
        .output()
        .expect("faultline runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // etcd 3.4 stops on a WAL that lost acknowledged entries and on most
    // corrupt bbolt pages, but bbolt has no page checksums: a member may
    // restart on flipped bits and serve what they say (seen in CI: `read →
    // nil` on n3 after bits flipped in its member/snap/db, checked by hand
    // against the history). So the run is valid, or invalid only through
    // a member that served on corrupted files, after they were corrupted.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{stdout}\n{stderr}"
    );
    let events = nemesis_events(&store);
    if out.status.code() == Some(1) {
        let run = std::fs::canonicalize(store.join("latest")).unwrap();
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap())
                .unwrap();
        let checked = &results["checkers"]["linearizable"];
        let explained = std::iter::once(&checked["counterexample"]).chain(
            checked["more_counterexamples"]
                .as_array()
                .into_iter()
                .flatten(),
        );
        for c in explained {
            let op = &c["failing_op"];
            let node = op["node"].as_str().expect("the failing op's node");
            let before = op["complete"].as_u64().unwrap_or(u64::MAX);
            let about_node: Vec<&serde_json::Value> = events
                .iter()
                .filter(|e| e["index"].as_u64().unwrap() < before)
                .filter(|e| {
                    (e["f"] == "disk-corrupt" && e["value"]["corrupted"].get(node).is_some())
                        || (e["f"] == "disk-restart"
                            && e["value"]["nodes"]
                                .as_array()
                                .is_some_and(|n| n.iter().any(|n| n == node)))
                })
                .collect();
            // Restarted and served on corrupted files, or corrupted and not
            // yet restarted when the operation ended.
            let served_corrupted = about_node
                .iter()
                .any(|e| e["f"] == "disk-restart" && e["value"]["refused"].get(node).is_none())
                || about_node.last().is_some_and(|e| e["f"] == "disk-corrupt");
            assert!(
                served_corrupted,
                "{node} erred ({op}) without serving on corrupted files:\n{stdout}"
            );
        }
    }
    let corruptions: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["f"] == "disk-corrupt")
        .flat_map(|e| e["value"]["corrupted"].as_object().unwrap().values())
        .collect();
    assert!(!corruptions.is_empty(), "nothing was corrupted:\n{stderr}");
    for c in &corruptions {
        let file = c["file"].as_str().unwrap();
        assert!(
            file == "member/snap/db" || (file.starts_with("member/wal/") && file.ends_with(".wal")),
            "{c}"
        );
        let (offset, bytes, size) = (
            c["offset"].as_u64().unwrap(),
            c["bytes"].as_u64().unwrap(),
            c["size"].as_u64().unwrap(),
        );
        assert!(bytes >= 1 && offset < size, "{c}");
    }
    let count = |f: &str| events.iter().filter(|e| e["f"] == f).count();
    assert_eq!(count("disk-corrupt"), count("disk-restart"), "{stderr}");
    for i in 1..=3 {
        let mounts = cluster.disk_mounts(i);
        assert!(mounts.is_empty(), "n{i} still has {mounts:?}");
    }
    let _ = std::fs::remove_dir_all(&store);
}

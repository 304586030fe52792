//! The built-in ZooKeeper suite on the local cluster, from Debian's
//! zookeeper package: an ensemble of three, each client in a session with
//! its own node's server. Registers compared and set by version stay
//! linearizable while the leader is killed and the network split; sets
//! read without a sync are held only to what such reads promise; locks
//! (ephemeral znodes) stay mutexes under pauses. Needs root (CI runs as
//! root).

use crate::local_cluster::{root_or_skip, suite_run, TestCluster};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// `faultline test zookeeper` on `cluster`, 12 s under `nemesis`, faults
/// every 3 s; the exit code, what it printed, results.json. `extra` names
/// the seed: which faults a seed draws is fixed, and each run below
/// needs its own to be drawn.
fn zookeeper_run(
    cluster: &TestCluster,
    store: &Path,
    nemesis: &str,
    extra: &[&str],
) -> (Option<i32>, String, Value) {
    let fixed = [
        "--nemesis",
        nemesis,
        "--kill-targets",
        "primaries",
        "--pause-targets",
        "primaries,one",
        "--nemesis-interval",
        "3",
        "--time-limit",
        "12",
        "--recovery-time",
        "3",
    ];
    suite_run("zookeeper", cluster, store, &[&fixed[..], extra].concat())
}

fn nemesis_events(store: &Path, f: &str) -> usize {
    std::fs::read_to_string(store.join("latest/history.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["process"] == "nemesis" && e["type"] == "info" && e["f"] == f)
        .count()
}

#[test]
fn zookeeper_registers_stay_linearizable_as_leaders_die_and_unsynced_sets_are_held_to_less() {
    if !root_or_skip(
        "zookeeper_registers_stay_linearizable_as_leaders_die_and_unsynced_sets_are_held_to_less",
    ) {
        return;
    }
    let cluster = TestCluster::up("itzk", 3, "10.72.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-zookeeper", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);

    // Registers with synced reads, the leader killed (seed 3 draws kills).
    let (code, stdout, results) = zookeeper_run(
        &cluster,
        &store,
        "kill,partition",
        &["--workload", "register", "--seed", "3"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("checker: linearizable (cas-register, per key): valid"),
        "{stdout}"
    );
    assert!(results["ops"]["ok"].as_u64().unwrap() > 1000, "{results}");
    assert!(nemesis_events(&store, "kill") >= 1, "the leader was killed");
    assert!(store.join("latest/index.html").exists());
    assert!(
        store.join("latest/nodes/n1/zookeeper.log").exists(),
        "logs collected"
    );

    // Sets read without a sync: no acknowledged element may be lost, but a
    // read may miss what another server has acknowledged.
    let (code, stdout, results) = zookeeper_run(
        &cluster,
        &store,
        "pause",
        &["--workload", "set", "--reads", "local", "--seed", "1"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    let set = &results["checkers"]["set"];
    assert!(set["acknowledged"].as_u64().unwrap() > 500, "{set}");
    assert_eq!(set["linearizable"], false, "unsynced reads may be stale");
    assert!(nemesis_events(&store, "pause") >= 1);

    // Locks: ephemeral znodes, under pauses of the leader and others.
    let (code, stdout, _) = zookeeper_run(
        &cluster,
        &store,
        "pause",
        &["--workload", "lock", "--seed", "1"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("checker: linearizable (mutex, per key): valid"),
        "{stdout}"
    );

    // Banks: one znode each, set at the version read, the leader killed.
    let (code, stdout, results) = zookeeper_run(
        &cluster,
        &store,
        "kill",
        &["--workload", "bank", "--seed", "1"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    let checked = &results["checkers"]["bank"];
    assert!(checked["transfers_ok"].as_u64().unwrap() > 50, "{checked}");
    assert_eq!(checked["bad_reads"], 0, "{checked}");

    // Transactions are not in the suite: said at once, with what it runs.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "test",
            "zookeeper",
            "--nodes-file",
            &cluster.nodes_file(),
            "--workload",
            "wr",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("[possible values: register, set, counter, lock, unique-ids, bank]"));
    let _ = std::fs::remove_dir_all(&store);
}

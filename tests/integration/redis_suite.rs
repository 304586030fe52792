//! The built-in Redis suite on the local cluster, from Debian's
//! redis-server: a primary and two replicas, the primary killed while
//! sets grow. With the append-only file fsynced before every reply
//! nothing acknowledged is lost; with snapshots only, a killed primary
//! restarts from its last snapshot and its replicas follow it, losing what
//! came after. Needs root (CI runs as root).

use crate::local_cluster::{root_or_skip, suite_run, TestCluster};
use serde_json::Value;
use std::path::Path;

/// `faultline test redis` on `cluster`, 12 s of the set workload with the
/// primary killed every 3 s; the exit code, what it printed, results.json.
fn redis_run(cluster: &TestCluster, store: &Path, extra: &[&str]) -> (Option<i32>, String, Value) {
    let fixed = [
        "--nemesis",
        "kill",
        "--kill-targets",
        "primaries",
        "--nemesis-interval",
        "3",
        "--time-limit",
        "12",
        "--recovery-time",
        "2",
        "--seed",
        "1",
    ];
    suite_run("redis", cluster, store, &[&fixed[..], extra].concat())
}

#[test]
fn redis_keeps_acknowledged_writes_when_fsynced_and_loses_them_on_snapshots() {
    if !root_or_skip("redis_keeps_acknowledged_writes_when_fsynced_and_loses_them_on_snapshots") {
        return;
    }
    let cluster = TestCluster::up("itrds", 3, "10.74.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-redis", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);

    let (code, stdout, results) = redis_run(&cluster, &store, &["--workload", "set"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("checker: set-full (linearizable): valid"),
        "{stdout}"
    );
    let set = &results["checkers"]["set"];
    assert!(set["acknowledged"].as_u64().unwrap() > 1000, "{set}");
    let events: Vec<Value> = std::fs::read_to_string(store.join("latest/history.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kills = events
        .iter()
        .filter(|e| e["process"] == "nemesis" && e["type"] == "info" && e["f"] == "kill")
        .count();
    assert!(kills >= 2, "the primary was killed {kills} times");
    assert!(store.join("latest/index.html").exists());
    assert!(
        store.join("latest/nodes/n1/redis.log").exists(),
        "logs collected"
    );

    // Streams on the same nodes: XADD on the primary, fsynced before it
    // answers, XRANGE after each consumer's last id: nothing lost.
    let (code, stdout, results) = redis_run(&cluster, &store, &["--workload", "stream"]);
    assert_eq!(code, Some(0), "{stdout}");
    let stream = &results["checkers"]["stream"];
    assert!(stream["acknowledged"].as_u64().unwrap() > 1000, "{stream}");
    assert!(stream["messages_read"].as_u64().unwrap() > 1000, "{stream}");

    // Counters on the same nodes: INCRBY on the primary, read back within bounds.
    let (code, stdout, results) = redis_run(&cluster, &store, &["--workload", "counter"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        results["checkers"]["counter"]["acknowledged"]
            .as_u64()
            .unwrap()
            > 1000
    );

    // Snapshots only, reads from the replicas: acknowledged elements lost.
    let (code, stdout, results) = redis_run(
        &cluster,
        &store,
        &[
            "--workload",
            "set",
            "--persistence",
            "snapshot",
            "--reads",
            "local",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}");
    let set = &results["checkers"]["set"];
    assert!(set["lost"]["count"].as_u64().unwrap() > 0, "{set}");
    assert_eq!(set["linearizable"], false, "replica reads may be stale");
    assert!(stdout.contains("  lost: "), "{stdout}");

    // Ids from INCR with snapshots only: a killed primary restarts from
    // its last snapshot and hands out again ids it had acknowledged.
    let (code, stdout, results) = redis_run(
        &cluster,
        &store,
        &["--workload", "unique-ids", "--persistence", "snapshot"],
    );
    assert_eq!(code, Some(1), "{stdout}");
    let ids = &results["checkers"]["unique-ids"];
    assert!(ids["duplicated"].as_u64().unwrap() > 0, "{ids}");
    assert!(stdout.contains("ids handed out twice or more"), "{stdout}");

    // Banks: a Lua transfer is one step on the primary and reaches the
    // replicas whole, so even a snapshot that loses transfers keeps the total.
    let (code, stdout, results) = redis_run(
        &cluster,
        &store,
        &["--workload", "bank", "--persistence", "snapshot"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    let checked = &results["checkers"]["bank"];
    assert!(checked["reads"].as_u64().unwrap() > 50, "{checked}");
    assert!(checked["transfers_ok"].as_u64().unwrap() > 50, "{checked}");

    // List-append transactions in MULTI / EXEC, the primary killed and
    // restarted from its fsynced append-only file: strict serializable.
    let (code, stdout, results) = redis_run(&cluster, &store, &["--workload", "append"]);
    assert_eq!(code, Some(0), "{stdout}");
    let serializable = &results["checkers"]["serializable"];
    assert_eq!(
        serializable["model"], "strict-serializable",
        "{serializable}"
    );
    assert!(
        serializable["txns"].as_u64().unwrap() > 100,
        "{serializable}"
    );
    let _ = std::fs::remove_dir_all(&store);
}

#[test]
fn sentinels_fail_the_primary_over_and_its_isolated_writes_are_lost() {
    if !root_or_skip("sentinels_fail_the_primary_over_and_its_isolated_writes_are_lost") {
        return;
    }
    let cluster = TestCluster::up("itsent", 3, "10.70.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-sentinel", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    // The primary cut off from both replicas for 10 s: the sentinels on
    // the majority side promote a replica, while clients on the primary's
    // node, told by their own sentinel that it is still the primary, keep
    // writing to it; when the network heals it is made a replica of the
    // new primary and drops what it took alone. Redis replicates
    // asynchronously and documents such losses.
    let (code, stdout, results) = suite_run(
        "redis",
        &cluster,
        &store,
        &[
            "--sentinel",
            "--workload",
            "set",
            "--nemesis",
            "partition",
            "--partition",
            "primaries",
            "--nemesis-interval",
            "10",
            "--time-limit",
            "24",
            "--recovery-time",
            "3",
            "--seed",
            "3",
        ],
    );
    let logs: String = ["n1", "n2", "n3"]
        .iter()
        .filter_map(|n| {
            std::fs::read_to_string(store.join(format!("latest/nodes/{n}/sentinel.log"))).ok()
        })
        .collect();
    assert!(
        logs.contains("+switch-master faultline"),
        "no failover: {stdout}"
    );
    assert_eq!(code, Some(1), "{stdout}");
    let set = &results["checkers"]["set"];
    assert!(set["lost"]["count"].as_u64().unwrap() > 0, "{set}");
    assert!(stdout.contains(" lost ("), "{stdout}");

    // The same for Redis Streams: XADDs acknowledged by the cut-off
    // primary are lost, and consumers that read them see them go.
    let (code, stdout, results) = suite_run(
        "redis",
        &cluster,
        &store,
        &[
            "--sentinel",
            "--workload",
            "stream",
            "--nemesis",
            "partition",
            "--partition",
            "primaries",
            "--nemesis-interval",
            "10",
            "--time-limit",
            "24",
            "--recovery-time",
            "3",
            "--seed",
            "3",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}");
    let stream = &results["checkers"]["stream"];
    let gone = ["lost_write", "unseen", "vanished"]
        .iter()
        .map(|kind| stream[kind]["count"].as_u64().unwrap_or(0))
        .sum::<u64>();
    assert!(gone > 0, "{stream}");
    let _ = std::fs::remove_dir_all(&store);
}

//! The built-in PostgreSQL suite on the local cluster, from Debian's
//! postgresql: a primary and two streaming hot standbys. List-append
//! transactions at serializable, with the primary killed and paused, are
//! serializable; at read committed, with reads on the standbys, they show
//! the cycles read committed allows and serializability forbids, which
//! `faultline check` then names when held to serializable. Sets with
//! synchronous replication keep every element; locks are mutexes; banks
//! lose updates at read committed and keep their total at serializable. Needs
//! root (CI runs as root).

use crate::local_cluster::{root_or_skip, suite_run, TestCluster};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// `faultline test postgres` on `cluster`, 12 s of list-append with
/// `extra`; the exit code, what it printed, results.json.
fn postgres_run(
    cluster: &TestCluster,
    store: &Path,
    extra: &[&str],
) -> (Option<i32>, String, Value) {
    let fixed = [
        "--workload",
        "append",
        "--nemesis-interval",
        "3",
        "--time-limit",
        "12",
        "--recovery-time",
        "2",
        "--seed",
        "1",
    ];
    suite_run("postgres", cluster, store, &[&fixed[..], extra].concat())
}

#[test]
fn postgres_is_serializable_at_serializable_and_shows_write_skew_at_read_committed() {
    if !root_or_skip(
        "postgres_is_serializable_at_serializable_and_shows_write_skew_at_read_committed",
    ) {
        return;
    }
    let cluster = TestCluster::up("itpg", 3, "10.71.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-postgres", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);

    // The strongest configuration, its primary killed and paused.
    let (code, stdout, results) = postgres_run(
        &cluster,
        &store,
        &[
            "--nemesis",
            "kill,pause",
            "--kill-targets",
            "primaries",
            "--pause-targets",
            "primaries",
        ],
    );
    // PostgreSQL 15's SSI has let a rare G2-item through under these
    // faults (one in 14 219 transactions in 240 s, checked by hand; see
    // the README): that is a finding about PostgreSQL, not a failure of
    // the suite, and nothing else may be found.
    let counts = &results["checkers"]["serializable"]["counts"];
    match code {
        Some(0) => assert!(
            stdout.contains("checker: serializable (list-append): valid"),
            "{stdout}"
        ),
        Some(1) => {
            let kinds: Vec<&String> = counts.as_object().unwrap().keys().collect();
            assert_eq!(kinds, ["G2-item"], "{stdout}");
            eprintln!("PostgreSQL let a G2-item through at serializable: {counts}");
        }
        other => panic!("exit {other:?}: {stdout}"),
    }
    assert!(results["ops"]["ok"].as_u64().unwrap() > 100, "{results}");
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap();
    let events: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let faults = events
        .iter()
        .filter(|e| {
            e["process"] == "nemesis"
                && e["type"] == "info"
                && (e["f"] == "kill" || e["f"] == "pause")
        })
        .count();
    assert!(
        faults >= 2,
        "the primary was killed or paused {faults} times"
    );
    assert!(
        history.contains("could not serialize access"),
        "serialization failures are recorded as failures"
    );
    assert!(store.join("latest/index.html").exists());
    assert!(
        store.join("latest/nodes/n1/postgres.log").exists(),
        "logs collected"
    );

    // The weakest: read committed, reads on the standbys, a partition.
    let (code, stdout, results) = postgres_run(
        &cluster,
        &store,
        &[
            "--isolation",
            "read-committed",
            "--reads",
            "local",
            "--nemesis",
            "partition",
        ],
    );
    assert_eq!(
        code,
        Some(0),
        "read committed allows these cycles: {stdout}"
    );
    assert_eq!(
        results["checkers"]["serializable"]["model"], "read-committed",
        "{results}"
    );
    // Held to serializable, the same history is refuted, cycles named.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "check",
            "--checker",
            "list-append",
            "--consistency-model",
            "serializable",
        ])
        .arg(store.join("latest/history.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        ["G-single", "G2-item", "G-nonadjacent"]
            .iter()
            .any(|a| text.contains(a)),
        "{text}"
    );

    // Sets, every commit waiting for a standby, the network partitioned.
    let (code, stdout, results) = suite_run(
        "postgres",
        &cluster,
        &store,
        &[
            "--workload",
            "set",
            "--replication",
            "sync",
            "--nemesis",
            "partition",
            "--time-limit",
            "8",
            "--recovery-time",
            "2",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        results["checkers"]["set"]["acknowledged"].as_u64().unwrap() > 100,
        "{results}"
    );

    // Locks: a row each, taken and given back in turn, the primary killed.
    let (code, stdout, results) = suite_run(
        "postgres",
        &cluster,
        &store,
        &[
            "--workload",
            "lock",
            "--nemesis",
            "kill",
            "--kill-targets",
            "primaries",
            "--nemesis-interval",
            "3",
            "--time-limit",
            "8",
            "--recovery-time",
            "2",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("checker: linearizable (mutex, per key): valid"),
        "{stdout}"
    );
    assert!(results["ops"]["ok"].as_u64().unwrap() > 100, "{results}");

    // Banks: at read committed two transfers may read one balance and the
    // later overwrite the earlier (a lost update), so reads stop summing
    // to the total; serializable refuses that, its primary killed or not.
    let bank = |isolation: &'static str, nemesis: &'static str| {
        suite_run(
            "postgres",
            &cluster,
            &store,
            &[
                "--workload",
                "bank",
                "--isolation",
                isolation,
                "--nemesis",
                nemesis,
                "--kill-targets",
                "primaries",
                "--nemesis-interval",
                "3",
                "--time-limit",
                "8",
                "--recovery-time",
                "2",
            ],
        )
    };
    let (code, stdout, results) = bank("read-committed", "partition");
    assert_eq!(code, Some(1), "{stdout}");
    let checked = &results["checkers"]["bank"];
    assert!(
        checked["errors"]["wrong-total"].as_u64().unwrap() > 0,
        "{checked}"
    );
    let page = std::fs::read_to_string(store.join("latest/index.html")).unwrap();
    assert!(page.contains("id=\"bad-reads\""), "bad reads explained");
    let (code, stdout, results) = bank("serializable", "kill");
    assert_eq!(code, Some(0), "{stdout}");
    let checked = &results["checkers"]["bank"];
    assert!(checked["reads"].as_u64().unwrap() > 50, "{checked}");
    assert!(checked["transfers_ok"].as_u64().unwrap() > 50, "{checked}");

    // etcd's options are etcd's alone: the suite does not take them.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["test", "postgres", "--nodes-file", &cluster.nodes_file()])
        .arg("--serializable-reads")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--serializable-reads'")
    );
    let _ = std::fs::remove_dir_all(&store);
}

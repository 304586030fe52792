//! A run on nodes that ran a test before sees none of it (regression: after
//! `--leave-db-running`, set-up wiped the data directory under the old etcd,
//! the new one could not bind, the old one answered the health check, a
//! read returned the earlier run's value and a correct etcd was reported
//! INVALID). Needs root (CI runs as root).

use crate::local_cluster::{root_or_skip, TestCluster};
use faultline_systems::etcd::identity::expected_cluster_id;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CLUSTER: &str = "itfresh";

fn faultline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

fn nodes_file() -> String {
    format!("/run/faultline/{CLUSTER}/nodes.json")
}

fn test_etcd(store: &Path, seed: &str, extra: &[&str]) -> Output {
    faultline()
        .args(["test", "etcd", "--nodes-file", &nodes_file(), "--store"])
        .arg(store)
        .args([
            "--time-limit",
            "8",
            "--nemesis-interval",
            "3",
            "--seed",
            seed,
        ])
        .args(extra)
        .output()
        .expect("faultline runs")
}

fn latest(store: &Path) -> PathBuf {
    std::fs::canonicalize(store.join("latest")).expect("a run directory")
}

/// The cluster ID etcd logs for a run (hex), from its nodes and token.
fn cluster_hex(run: &Path) -> String {
    let test: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("test.json")).unwrap()).unwrap();
    let nodes: Vec<faultline_core::Node> = serde_json::from_value(test["nodes"].clone()).unwrap();
    let token = format!("faultline-{}", test["run_id"].as_str().unwrap());
    format!("{:x}", expected_cluster_id(&nodes, &token))
}

fn assert_valid(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains(": VALID =="), "{what}: {stdout}");
}

/// The run's node logs: none says "address already in use", each names
/// this run's cluster and none an earlier run's.
fn assert_logs_are_the_runs_own(run: &Path, earlier: &[String]) {
    let own = cluster_hex(run);
    for n in 1..=3 {
        let log = run.join(format!("nodes/n{n}/etcd.log"));
        let text =
            std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        assert!(
            !text.contains("address already in use"),
            "{}",
            log.display()
        );
        assert!(
            text.contains(&own),
            "{} does not name cluster {own}",
            log.display()
        );
        for other in earlier {
            assert!(
                !text.contains(other.as_str()),
                "{} holds lines of an earlier run (cluster {other})",
                log.display()
            );
        }
    }
}

/// Runs, in n2's namespace and once the next run's history has begun,
/// the partition the killed run `killed` would have applied there, fenced
/// by that run's ID as faultline sends it.
fn late_partition(
    killed: &Path,
    store: &Path,
    nodes: &faultline_core::NodesFile,
) -> std::thread::JoinHandle<Output> {
    let test: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(killed.join("test.json")).unwrap()).unwrap();
    let run_id = test["run_id"].as_str().unwrap().to_owned();
    let n2 = &nodes.nodes[1];
    let mut partition = "iptables -w -N FAULTLINE; iptables -w -I INPUT -j FAULTLINE".to_owned();
    for peer in [&nodes.nodes[0], &nodes.nodes[2]] {
        partition += &format!("; iptables -w -A FAULTLINE -s {} -j DROP", peer.host);
    }
    let command = faultline_core::fence::fenced_command(&partition, &n2.dir, &run_id);
    let (killed, store) = (killed.to_owned(), store.to_owned());
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            let begun = std::fs::canonicalize(store.join("latest"))
                .map(|run| run != killed && run.join("history.jsonl").exists())
                .unwrap_or(false);
            if begun {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Command::new("ip")
            .args(["netns", "exec", &format!("fl-{CLUSTER}-n2"), "sh", "-c"])
            .arg(&command)
            .output()
            .expect("ip netns exec runs")
    })
}

#[test]
fn runs_on_reused_nodes_start_fresh_after_leave_db_running_and_after_a_killed_faultline() {
    if !root_or_skip("runs_on_reused_nodes_start_fresh") {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-fresh", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let cluster = TestCluster::up(CLUSTER, 3, "10.85.0");

    // 1. A run that leaves etcd running, then a second on the same nodes.
    let first = test_etcd(&store, "5", &["--leave-db-running"]);
    assert_valid(&first, "the first run");
    let first_cluster = cluster_hex(&latest(&store));
    let second = test_etcd(&store, "5", &[]);
    assert_valid(&second, "the run after --leave-db-running");
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("left by an earlier run"),
        "the leftover etcd was stopped: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_logs_are_the_runs_own(&latest(&store), std::slice::from_ref(&first_cluster));
    let second_cluster = cluster_hex(&latest(&store));
    assert_ne!(first_cluster, second_cluster, "every run its own cluster");

    // 2. faultline killed with SIGKILL mid-run, under partitions: nothing
    // healed, etcd left running. The next run still starts fresh.
    let mut killed = faultline()
        .args(["test", "etcd", "--nodes-file", &nodes_file(), "--store"])
        .arg(&store)
        .args([
            "--time-limit",
            "60",
            "--nemesis-interval",
            "2",
            "--seed",
            "6",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Until its history holds operations (bounded).
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(500));
        let history = std::fs::canonicalize(store.join("latest"))
            .ok()
            .map(|run| run.join("history.jsonl"))
            .and_then(|h| std::fs::read_to_string(h).ok())
            .unwrap_or_default();
        if history.lines().count() > 200 && history.contains("start-partition") {
            break;
        }
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    // As the original bug left them: the pidfiles gone or wrong, the old
    // etcd still holding its ports. Set-up must find it by its ports.
    let nodes = cluster.nodes();
    for node in &nodes.nodes {
        std::fs::remove_file(node.dir.join("etcd/etcd.pid")).unwrap();
    }
    let killed_run = latest(&store);
    let killed_cluster = cluster_hex(&killed_run);
    // The killed run's partition of n2 still in flight (as a command sshd
    // had not yet run when faultline died): it lands while the next run
    // is under way, and must be refused, not cut n2 off.
    let late = late_partition(&killed_run, &store, &nodes);
    let after_kill = test_etcd(&store, "7", &[]);
    let late = late.join().expect("the late command ran");
    assert_eq!(
        late.status.code(),
        Some(faultline_core::fence::SUPERSEDED),
        "the killed run's late partition was refused: {}",
        String::from_utf8_lossy(&late.stderr)
    );
    assert_valid(&after_kill, "the run after a killed faultline");
    let said = String::from_utf8_lossy(&after_kill.stderr);
    assert!(
        said.matches("left by an earlier run (found holding etcd's ports)")
            .count()
            >= 3,
        "every node's leftover etcd was found by its ports: {said}"
    );
    assert_logs_are_the_runs_own(
        &latest(&store),
        &[first_cluster, second_cluster, killed_cluster],
    );

    let _ = std::fs::remove_dir_all(&store);
}

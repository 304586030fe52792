//! Redis described in TOML (`workloads/examples/redis*.toml`) under
//! `--nemesis disk`: acknowledging writes it leaves to the OS
//! (`appendfsync no`) loses acknowledged writes when a crash takes what
//! was not fsynced, and faultline says INVALID; the same server syncing
//! every write before it answers (`appendfsync always`) stays VALID, as
//! registers and as streams.
//! Needs root and `/dev/fuse`; the TOML names redis-server in [db] packages, which faultline installs.

use crate::local_cluster::{root_or_skip, TestCluster};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The example `name`, pointed at `cluster` and at the client by full path.
fn example(name: &str, cluster: &TestCluster, dir: &Path) -> PathBuf {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workloads/examples");
    let text = std::fs::read_to_string(examples.join(name))
        .unwrap()
        .replace("/run/faultline/redis/nodes.json", &cluster.nodes_file())
        .replace(
            "workloads/examples/redis-client.py",
            examples.join("redis-client.py").to_str().unwrap(),
        );
    let config = dir.join(name);
    std::fs::write(&config, text).unwrap();
    config
}

/// Runs `config` under disk faults; exit code, stdout, the history.
fn run_under_disk_faults(config: &Path, store: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["test", "custom", "--config"])
        .arg(config)
        .args([
            "--nemesis",
            "disk",
            "--nemesis-interval",
            "3",
            "--time-limit",
            "24",
            "--recovery-time",
            "2",
            "--seed",
            "4",
            "--store",
        ])
        .arg(store)
        .output()
        .expect("faultline runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap_or_default();
    (out.status.code(), format!("{stdout}\n{stderr}"), history)
}

/// The bytes each disk fault said it dropped, in order.
fn dropped_bytes(history: &str) -> Vec<u64> {
    history
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["f"] == "disk-lose-unsynced" && e["type"] == "info")
        .map(|e| {
            e["value"]["lost"]["n1"]["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f[1].as_u64())
                .sum()
        })
        .collect()
}

#[test]
fn redis_loses_acknowledged_writes_only_when_it_acknowledges_before_fsync() {
    if !root_or_skip("redis_loses_acknowledged_writes_only_when_it_acknowledges_before_fsync") {
        return;
    }
    let cluster = TestCluster::up("itredis", 1, "10.78.0");
    let dir = std::env::temp_dir().join(format!("faultline-it-{}-redis", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let lazy = example("redis-appendfsync-no.toml", &cluster, &dir);
    let (code, output, history) = run_under_disk_faults(&lazy, &dir.join("lazy"));
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("== faultline redis-appendfsync-no-register: INVALID =="),
        "{output}"
    );
    assert!(output.contains("cannot linearize"), "{output}");
    let dropped = dropped_bytes(&history);
    assert!(
        dropped.iter().any(|&b| b > 0),
        "appendfsync no leaves writes unsynced, yet no drop took any: {dropped:?}"
    );

    let synced = example("redis.toml", &cluster, &dir);
    let (code, output, history) = run_under_disk_faults(&synced, &dir.join("synced"));
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("== faultline redis-register: VALID =="),
        "{output}"
    );
    assert!(
        !dropped_bytes(&history).is_empty(),
        "no disk fault ran: {output}"
    );
    // The same server as a stream (XADD / XRANGE through the example
    // client's stream operations): nothing acknowledged lost either.
    let text = std::fs::read_to_string(&synced)
        .unwrap()
        .replace("name = \"register\"", "name = \"stream\"");
    let streams = dir.join("redis-stream.toml");
    std::fs::write(&streams, text).unwrap();
    let (code, output, history) = run_under_disk_faults(&streams, &dir.join("streams"));
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("== faultline redis-stream: VALID =="),
        "{output}"
    );
    assert!(history.contains("\"f\":\"poll\""), "{output}");
    assert!(
        !dropped_bytes(&history).is_empty(),
        "no disk fault ran: {output}"
    );
    let mounts = cluster.disk_mounts(1);
    assert!(mounts.is_empty(), "{mounts:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

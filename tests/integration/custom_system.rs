//! A custom system from a TOML file: etcd's lifecycle as commands and a
//! small client program (`workloads/examples/`), tested on a local cluster
//! under partitions and kills, gives the same kind of result as the
//! built-in etcd suite. Needs root (and python3 for the client program).

use crate::local_cluster::root_or_skip;
use std::path::{Path, PathBuf};
use std::process::Command;

fn faultline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs")
}

#[test]
fn etcd_described_in_toml_runs_under_faults_and_checks_valid() {
    if !root_or_skip("etcd_described_in_toml_runs_under_faults_and_checks_valid") {
        return;
    }
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workloads/examples");
    let _ = faultline(&["cluster", "down", "--name", "itcus"]);
    let up = faultline(&[
        "cluster", "up", "--name", "itcus", "--nodes", "3", "--subnet", "10.96.0",
    ]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    struct Down;
    impl Drop for Down {
        fn drop(&mut self) {
            let _ = faultline(&["cluster", "down", "--name", "itcus"]);
        }
    }
    let _down = Down;
    // The example, pointed at this cluster and at the client by full path.
    let text = std::fs::read_to_string(examples.join("etcd.toml"))
        .unwrap()
        .replace(
            "/run/faultline/local/nodes.json",
            "/run/faultline/itcus/nodes.json",
        )
        .replace(
            "workloads/examples/etcd-client.py",
            examples.join("etcd-client.py").to_str().unwrap(),
        );
    let dir = std::env::temp_dir().join(format!("faultline-it-{}-custom", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("etcd.toml");
    std::fs::write(&config, text).unwrap();
    let valid = faultline(&["validate-config", config.to_str().unwrap()]);
    assert!(
        valid.status.success(),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );
    let store = dir.join("store");
    let stdout = test_custom(
        &config,
        &store,
        &[
            "--nemesis",
            "partition,kill",
            "--kill-targets",
            "primaries,one",
            "--nemesis-interval",
            "4",
            "--time-limit",
            "16",
            "--recovery-time",
            "2",
            "--seed",
            "3",
        ],
    );
    assert!(
        stdout.contains("== faultline etcd-custom-register: VALID =="),
        "{stdout}"
    );
    assert!(
        stdout.contains("linearizable (cas-register, per key): valid"),
        "{stdout}"
    );
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap();
    let ok = history
        .lines()
        .filter(|l| l.contains("\"type\":\"ok\""))
        .count();
    assert!(
        ok > 200,
        "{ok} operations succeeded through the client program"
    );
    let kills = history
        .lines()
        .filter(|l| {
            l.contains("\"process\":\"nemesis\"")
                && l.contains("\"type\":\"info\"")
                && l.contains("\"f\":\"kill\"")
                && !l.contains("\"error\"")
        })
        .count();
    assert!(
        kills > 0,
        "kills went through the pidfile the start command wrote"
    );
    assert!(
        store.join("latest/nodes/n1/etcd.log").exists(),
        "the log files were collected"
    );

    // The same client program runs list-append transactions: the txn
    // protocol end to end, reads filled in, on the same nodes (wiped).
    let stdout = test_workload(&config, &store, "append", "4");
    assert!(
        stdout.contains("strict-serializable (list-append): valid"),
        "{stdout}"
    );
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap();
    let committed: Vec<serde_json::Value> = history
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["type"] == "ok" && e["f"] == "txn")
        .collect();
    let lists_read = committed
        .iter()
        .flat_map(|e| e["value"].as_array().cloned().unwrap_or_default())
        .filter(|m| m[0] == "r" && m[2].as_array().is_some_and(|l| !l.is_empty()))
        .count();
    assert!(
        committed.len() > 50 && lists_read > 20,
        "{} transactions committed, {lists_read} non-empty lists read",
        committed.len()
    );

    // And sets: the program learns its workload from `{workload}`.
    let stdout = test_workload(&config, &store, "set", "6");
    // The TOML's model is the default, strict: stale reads would refute.
    assert!(
        stdout.contains("checker: set-full (linearizable): valid"),
        "{stdout}"
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("latest/results.json")).unwrap())
            .unwrap();
    let checked = &results["checkers"]["set"];
    assert!(
        checked["stable"].as_u64().unwrap() > 100 && checked["reads"].as_u64().unwrap() > 30,
        "{checked}"
    );

    // And counters, incremented through the client's own retry loop.
    let stdout = test_workload(&config, &store, "counter", "8");
    assert!(stdout.contains("checker: counter: valid"), "{stdout}");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("latest/results.json")).unwrap())
            .unwrap();
    let checked = &results["checkers"]["counter"];
    assert!(
        checked["acknowledged"].as_u64().unwrap() > 50 && checked["reads"].as_u64().unwrap() > 20,
        "{checked}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The system of `config` with the workload `workload`, 10 s under
/// partitions; what `test_custom` printed.
fn test_workload(config: &Path, store: &Path, workload: &str, seed: &str) -> String {
    let changed = config.with_file_name(format!("etcd-{workload}.toml"));
    let text = std::fs::read_to_string(config).unwrap();
    std::fs::write(
        &changed,
        text.replace("name = \"register\"", &format!("name = \"{workload}\"")),
    )
    .unwrap();
    let args = [
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "3",
        "--time-limit",
        "10",
        "--recovery-time",
        "2",
        "--seed",
        seed,
    ];
    test_custom(&changed, store, &args)
}

/// `faultline test custom --config CONFIG --store STORE ARGS`, which must
/// exit 0; what it printed.
fn test_custom(config: &Path, store: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "test",
        "custom",
        "--config",
        config.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = faultline(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

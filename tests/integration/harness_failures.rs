//! The harness's own failures are never a verdict: a history that cannot
//! be written for a while, a nemesis action that fails. The run ends
//! unknown (exit 2) with the reason in results.json and on the page, and
//! `analyze` keeps saying so. Needs root (a local cluster, a tmpfs).

use crate::local_cluster::{root_or_skip, TestCluster};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const CLUSTER: &str = "itharn";

fn faultline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

fn spawn_test(store: &Path, extra: &[&str]) -> Child {
    faultline()
        .args([
            "test",
            "etcd",
            "--nodes-file",
            &format!("/run/faultline/{CLUSTER}/nodes.json"),
        ])
        .arg("--store")
        .arg(store)
        .args(["--time-limit", "10", "--recovery-time", "1", "--seed", "3"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("faultline runs")
}

/// Waits (bounded) until the newest run's history holds `lines` lines.
fn wait_for_history(store: &Path, lines: usize) -> PathBuf {
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the run never got going"
        );
        std::thread::sleep(Duration::from_millis(200));
        if let Ok(run) = std::fs::canonicalize(store.join("latest")) {
            let text = std::fs::read_to_string(run.join("history.jsonl")).unwrap_or_default();
            if text.lines().count() >= lines {
                return run;
            }
        }
    }
}

fn results(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap()
}

fn assert_unknown_because(out: &Output, run: &Path, reason: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let results = results(run);
    assert_eq!(results["valid"], "unknown");
    let failures = results["harness_failures"].to_string();
    assert!(failures.contains(reason), "{failures}");
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(
        page.contains("The harness failed, so the verdict is unknown"),
        "the page says why"
    );
    // Checked again, it is still unknown, for the same reason.
    let again = faultline().arg("analyze").arg(run).output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains(reason));
}

#[test]
fn a_history_write_failure_or_a_failed_fault_makes_the_run_unknown() {
    if !root_or_skip("a_history_write_failure_or_a_failed_fault_makes_the_run_unknown") {
        return;
    }
    let cluster = TestCluster::up(CLUSTER, 3, "10.88.0");
    let base = std::env::temp_dir().join(format!("faultline-it-{}-harness", std::process::id()));
    let store = base.join("store");
    std::fs::create_dir_all(&store).unwrap();

    // 1. The store's disk fills up for two seconds mid-run.
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&store)
        .status()
        .unwrap();
    assert!(mounted.success());
    let unmount = Unmount(store.clone());
    let child = spawn_test(&store, &["--nemesis", "none"]);
    let run = wait_for_history(&store, 300);
    let filler = store.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=65536"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status();
    std::thread::sleep(Duration::from_secs(2));
    std::fs::remove_file(&filler).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_unknown_because(&out, &run, "the history could not be written");
    drop(unmount);

    // 2. A nemesis action fails: the pause finds no pidfile to act on.
    let child = spawn_test(&store, &["--nemesis", "pause", "--nemesis-interval", "3"]);
    let run = wait_for_history(&store, 100);
    let nodes = cluster.nodes();
    for node in &nodes.nodes {
        let _ = std::fs::remove_file(node.dir.join("etcd/etcd.pid"));
    }
    let out = child.wait_with_output().unwrap();
    assert_unknown_because(&out, &run, "nemesis pause");

    let _ = std::fs::remove_dir_all(&base);
}

/// Unmounts the tmpfs store however the test ends.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

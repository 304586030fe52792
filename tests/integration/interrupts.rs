//! Ctrl-C at random points of a run under every fault: each time the
//! cluster is left healed (no faultline rule, no etcd, nothing paused, no
//! disk fault's mount) and the history is checkable. Also: `--nemesis all` keeps etcd valid.
//! Needs root.

use crate::local_cluster::root_or_skip;
use faultline_core::Rng;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn faultline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

/// Removes the cluster however the test ends.
struct Down(&'static str);
impl Drop for Down {
    fn drop(&mut self) {
        let _ = faultline()
            .args(["cluster", "down", "--name", self.0])
            .output();
    }
}

/// What is left in node `i`'s namespace: faultline's rules (partition and
/// packet chains) and qdiscs, and processes other than its sshd (etcd, a
/// delayer, a clock strobe).
fn leftovers(cluster: &str, i: usize) -> (usize, usize) {
    let ns = format!("fl-{cluster}-n{i}");
    let in_ns = |args: &[&str]| {
        let out = Command::new("ip")
            .args(["netns", "exec", &ns])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut rules = 0;
    for chain in ["FAULTLINE", "FAULTLINE-PACKET"] {
        rules += in_ns(&["iptables", "-w", "-S", chain])
            .lines()
            .filter(|l| l.starts_with("-A"))
            .count();
    }
    rules += in_ns(&["tc", "qdisc", "show", "dev", "eth0"])
        .lines()
        .filter(|l| l.contains(" fa11:"))
        .count();
    let pids = Command::new("ip")
        .args(["netns", "pids", &ns])
        .output()
        .unwrap();
    let processes = String::from_utf8_lossy(&pids.stdout)
        .split_whitespace()
        .count();
    (rules, processes.saturating_sub(1))
}

#[test]
fn interrupting_a_run_anywhere_heals_the_cluster_and_keeps_a_checkable_history() {
    if !root_or_skip("interrupting_a_run_anywhere_heals_the_cluster_and_keeps_a_checkable_history")
    {
        return;
    }
    let cluster = "itint";
    let _ = faultline()
        .args(["cluster", "down", "--name", cluster])
        .output();
    let up = faultline()
        .args([
            "cluster", "up", "--name", cluster, "--nodes", "3", "--subnet", "10.86.0",
        ])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let _down = Down("itint");
    let nodes_file = format!("/run/faultline/{cluster}/nodes.json");
    let store =
        std::env::temp_dir().join(format!("faultline-it-{}-interrupts", std::process::id()));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    println!("interrupt points drawn with seed {seed} (set FAULTLINE_INTERRUPT_SEED to replay)");
    let seed = std::env::var("FAULTLINE_INTERRUPT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(seed);
    let mut rng = Rng::new(seed);
    for point in 0..5 {
        // Between 1.5 s (set-up) and 9 s into the run.
        let after = Duration::from_millis(1500 + rng.below(7500));
        let stderr_path = std::env::temp_dir().join(format!(
            "faultline-it-{}-interrupt-{point}.stderr",
            std::process::id()
        ));
        let mut child = faultline()
            .args([
                "test",
                "etcd",
                "--nodes-file",
                &nodes_file,
                "--nemesis",
                "all,disk",
                "--nemesis-interval",
                "1",
            ])
            .args([
                "--time-limit",
                "60",
                "--store",
                store.to_str().unwrap(),
                "--seed",
                &point.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "point {point}: faultline did not stop after Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let code = status.code();
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let _ = std::fs::remove_file(&stderr_path);
        assert!(
            matches!(code, Some(0..=2)),
            "point {point} ({after:?}): exit {code:?}; stderr:\n{stderr}"
        );
        for i in 1..=3 {
            assert_eq!(
                leftovers(cluster, i),
                (0, 0),
                "point {point} ({after:?}): node n{i} not clean (rules, processes)"
            );
            let mounts = crate::local_cluster::disk_mounts(cluster, i);
            assert!(
                mounts.is_empty(),
                "point {point} ({after:?}): node n{i} still has {mounts:?}"
            );
        }
        let run = store.join("latest");
        if Path::new(&run).join("history.jsonl").exists() {
            let analyzed = faultline()
                .args(["analyze", run.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(
                matches!(analyzed.status.code(), Some(0..=2)),
                "point {point}: {}",
                String::from_utf8_lossy(&analyzed.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&store);
}

#[test]
fn every_fault_at_once_keeps_etcd_valid_and_is_recorded() {
    if !root_or_skip("every_fault_at_once_keeps_etcd_valid_and_is_recorded") {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-all", std::process::id()));
    let _ = faultline()
        .args(["cluster", "down", "--name", "itall"])
        .output();
    let out = faultline()
        .args([
            "demo",
            "--time-limit",
            "120",
            "--nemesis",
            "all",
            "--partition",
            "all",
            "--nemesis-interval",
            "2",
            "--recovery-time",
            "10",
            "--seed",
            "21",
        ])
        .args([
            "--store",
            store.to_str().unwrap(),
            "--cluster-name",
            "itall",
            "--cluster-subnet",
            "10.87.0",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("final reads: every node served"),
        "the cluster recovered after healing: {stderr}"
    );
    assert!(
        stdout.contains("no faultline rule or qdisc left"),
        "{stdout}"
    );
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap();
    let nemesis: Vec<serde_json::Value> = history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["process"] == "nemesis" && e["type"] == "info")
        .collect();
    let done = |f: &str| {
        nemesis
            .iter()
            .filter(|e| e["f"] == f && e["error"].is_null())
            .count()
    };
    // The seed draws every kind of fault; each start is matched by a stop.
    for f in [
        "kill",
        "pause",
        "start-partition",
        "start-packet",
        "clock-reset",
    ] {
        assert!(done(f) > 0, "no successful {f}: {nemesis:?}");
    }
    assert_eq!(done("kill"), done("restart"));
    assert_eq!(done("pause"), done("resume"));
    assert_eq!(done("start-partition"), done("stop-partition"));
    assert_eq!(done("start-packet"), done("stop-packet"));
    assert_eq!(
        done("clock-bump") + done("clock-strobe"),
        done("clock-reset")
    );
    // What each fault did is recorded: shapes, offsets, packet mechanisms.
    let shapes: std::collections::BTreeSet<&str> = nemesis
        .iter()
        .filter(|e| e["f"] == "start-partition")
        .filter_map(|e| e["value"]["shape"].as_str())
        .collect();
    assert!(shapes.len() >= 2, "several shapes drawn: {shapes:?}");
    assert!(nemesis
        .iter()
        .filter(|e| e["f"] == "clock-bump" || e["f"] == "clock-strobe")
        .all(|e| e["value"]["offsets_ms"].is_object()));
    assert!(nemesis
        .iter()
        .filter(|e| e["f"] == "start-packet" && e["error"].is_null())
        .all(|e| e["value"]["mechanism"]
            .as_str()
            .is_some_and(|m| !m.is_empty())));
    let _ = std::fs::remove_dir_all(&store);
}

#[test]
fn a_panic_mid_run_exits_255_heals_and_keeps_the_history() {
    if !root_or_skip("a_panic_mid_run_exits_255_heals_and_keeps_the_history") {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-panic", std::process::id()));
    let _ = faultline()
        .args(["cluster", "down", "--name", "itpanic"])
        .output();
    let out = faultline()
        .env("FAULTLINE_INJECT_PANIC_AFTER_S", "4")
        .args([
            "demo",
            "--time-limit",
            "30",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "2",
            "--cluster-nodes",
            "3",
            "--cluster-name",
            "itpanic",
            "--cluster-subnet",
            "10.97.0",
            "--store",
            store.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(stderr.contains("internal error"), "{stderr}");
    assert!(
        !Path::new("/run/faultline/itpanic").exists(),
        "cluster removed"
    );
    let run = store.join("latest");
    let history = std::fs::read_to_string(run.join("history.jsonl")).unwrap();
    assert!(
        history.lines().count() > 10,
        "the history written before the panic is kept"
    );
    let analyzed = faultline()
        .args(["analyze", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        matches!(analyzed.status.code(), Some(0..=2)),
        "{}",
        String::from_utf8_lossy(&analyzed.stderr)
    );
    let _ = std::fs::remove_dir_all(&store);
}

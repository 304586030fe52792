//! The non-root path: a login that is not root, whose commands run through
//! `sudo -n`, and `--etcd-binary`, uploaded through that login (staged in
//! /tmp, moved with sudo, since it cannot write the node's directories).
//! Needs root to make the user and the cluster, and sudo (CI installs it).

use crate::local_cluster::{root_or_skip, TestCluster};
use std::process::Command;

const CLUSTER: &str = "itsudo";
const USER: &str = "faultline-it-sudo";

fn faultline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
}

fn sh(script: &str) -> bool {
    Command::new("sh")
        .args(["-c", script])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_sudo_user_with_an_uploaded_etcd_binary_runs_a_valid_test() {
    if !root_or_skip("a_sudo_user_with_an_uploaded_etcd_binary_runs_a_valid_test") {
        return;
    }
    if !sh("command -v sudo >/dev/null") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs sudo; .ci/run must"
        );
        eprintln!("skipping: sudo is not installed (apt-get install sudo)");
        return;
    }
    let etcd = String::from_utf8_lossy(
        &Command::new("sh")
            .args(["-c", "command -v etcd"])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_owned();
    assert!(!etcd.is_empty(), "etcd-server must be installed");
    // A login with password-less sudo; removed however the test ends.
    assert!(sh(&format!(
        "id {USER} >/dev/null 2>&1 || useradd --system --shell /bin/sh -p '*' {USER}; \
         echo '{USER} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/{USER} && chmod 440 /etc/sudoers.d/{USER}"
    )));
    let _user = RemoveUser;
    let cluster = TestCluster::up(CLUSTER, 3, "10.94.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-sudo", std::process::id()));
    let out = faultline()
        .args([
            "test",
            "etcd",
            "--nodes-file",
            &format!("/run/faultline/{CLUSTER}/nodes.json"),
        ])
        .args(["--username", USER, "--etcd-binary", &etcd])
        .args([
            "--nemesis",
            "partition,kill",
            "--nemesis-interval",
            "3",
            "--time-limit",
            "10",
        ])
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains(": VALID =="), "{stdout}");
    // The binary reached every node whole through the staged upload, and
    // the logs came back through the staged download.
    let nodes = cluster.nodes();
    let original = std::fs::read(&etcd).unwrap();
    for node in &nodes.nodes {
        let copy = std::fs::read(node.dir.join("etcd/etcd")).unwrap();
        assert!(copy == original, "{}: the uploaded etcd differs", node.name);
    }
    let run = std::fs::canonicalize(store.join("latest")).unwrap();
    let log = std::fs::read_to_string(run.join("nodes/n1/etcd.log")).unwrap();
    assert!(log.contains("\"level\""), "etcd's log came back");
    let _ = std::fs::remove_dir_all(&store);
}

/// Removes the user and its sudoers entry (after the cluster, which is
/// declared later and so dropped first).
struct RemoveUser;

impl Drop for RemoveUser {
    fn drop(&mut self) {
        sh(&format!(
            "rm -f /etc/sudoers.d/{USER}; userdel {USER} 2>/dev/null; true"
        ));
    }
}

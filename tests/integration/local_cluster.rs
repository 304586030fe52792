//! A real local cluster: namespaces, bridge, sshd per node, reached over
//! SSH; removed without a trace. Needs root (CI runs as root).

use crate::stdout_of;
use std::path::Path;
use std::process::Command;

/// True when the test may run; prints why it is skipped otherwise.
pub fn root_or_skip(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} needs root, and CI runs as root: run the tests as root"
    );
    eprintln!("skipping {test}: it needs root (network namespaces); CI runs it as root");
    false
}

fn faultline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs")
}

#[test]
fn cluster_up_gives_reachable_nodes_and_down_leaves_nothing() {
    if !root_or_skip("cluster_up_gives_reachable_nodes_and_down_leaves_nothing") {
        return;
    }
    let name = "itcl";
    let _ = faultline(&["cluster", "down", "--name", name]);
    let up = faultline(&[
        "cluster", "up", "--name", name, "--nodes", "3", "--subnet", "10.81.0",
    ]);
    assert!(
        up.status.success(),
        "up failed: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let stdout = String::from_utf8_lossy(&up.stdout);
    assert!(
        stdout.contains("n1=10.81.0.1") && stdout.contains("n3=10.81.0.3"),
        "{stdout}"
    );

    // A second `up` of the same name is refused, and harms nothing.
    let again = faultline(&[
        "cluster", "up", "--name", name, "--nodes", "3", "--subnet", "10.81.0",
    ]);
    assert_eq!(again.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // Every node answers over SSH inside its own namespace.
    let nodes: faultline_core::NodesFile = serde_json::from_str(
        &std::fs::read_to_string(format!("/run/faultline/{name}/nodes.json")).unwrap(),
    )
    .unwrap();
    let key = nodes.ssh.private_key.clone().unwrap();
    let root_netns = std::fs::read_link("/proc/self/ns/net").unwrap();
    for node in &nodes.nodes {
        let out = Command::new("ssh")
            .args([
                "-i",
                key.to_str().unwrap(),
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
            ])
            .args([
                "-o",
                &format!(
                    "UserKnownHostsFile={}",
                    nodes.ssh.known_hosts.as_ref().unwrap().display()
                ),
            ])
            .arg(format!("root@{}", node.host))
            .arg("hostname; readlink /proc/self/ns/net")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(node.name.as_str()),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(
            lines.next().map(std::path::PathBuf::from),
            Some(root_netns.clone())
        );
    }

    let status = faultline(&["cluster", "status", "--name", name]);
    assert_eq!(
        String::from_utf8_lossy(&status.stdout)
            .matches("sshd running")
            .count(),
        3
    );

    for _ in 0..2 {
        let down = faultline(&["cluster", "down", "--name", name]);
        assert!(
            down.status.success(),
            "{}",
            String::from_utf8_lossy(&down.stderr)
        );
    }
    let namespaces = stdout_of("ip", &["netns", "list"]);
    assert!(!namespaces.contains(&format!("fl-{name}-")), "{namespaces}");
    let links = stdout_of("ip", &["-o", "link"]);
    assert!(!links.contains(&format!("fl-{name}")), "{links}");
    assert!(!std::path::Path::new(&format!("/run/faultline/{name}")).exists());
}

/// The disk fault's mounts on node `i` (1-based) of cluster `name`, in
/// the mount namespace of the node's sshd.
pub fn disk_mounts(name: &str, i: usize) -> Vec<String> {
    let pid =
        std::fs::read_to_string(format!("/run/faultline/{name}/n{i}/sshd.pid")).unwrap_or_default();
    std::fs::read_to_string(format!("/proc/{}/mounts", pid.trim()))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("faultline-disk "))
        .map(str::to_owned)
        .collect()
}

/// A local cluster for one test: built fresh (any stale one of its name
/// removed first) and removed however the test ends.
pub struct TestCluster {
    /// Its name (`faultline cluster up --name`).
    pub name: &'static str,
}

impl TestCluster {
    /// Builds cluster `name` of `nodes` nodes on `subnet` (e.g. `10.85.0`).
    pub fn up(name: &'static str, nodes: u32, subnet: &str) -> TestCluster {
        let _ = faultline(&["cluster", "down", "--name", name]);
        let up = faultline(&[
            "cluster",
            "up",
            "--name",
            name,
            "--nodes",
            &nodes.to_string(),
            "--subnet",
            subnet,
        ]);
        assert!(
            up.status.success(),
            "cluster up {name}: {}",
            String::from_utf8_lossy(&up.stderr)
        );
        TestCluster { name }
    }

    /// Its nodes file.
    pub fn nodes_file(&self) -> String {
        format!("/run/faultline/{}/nodes.json", self.name)
    }

    /// The disk fault's mounts on node `i` (1-based), as its sshd (and
    /// so every command run over SSH) sees them.
    pub fn disk_mounts(&self, i: usize) -> Vec<String> {
        disk_mounts(self.name, i)
    }

    /// Its nodes.
    pub fn nodes(&self) -> faultline_core::NodesFile {
        serde_json::from_str(&std::fs::read_to_string(self.nodes_file()).unwrap()).unwrap()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = faultline(&["cluster", "down", "--name", self.name]);
    }
}

/// `faultline test <system>` on `cluster` with `args`, its store `store`;
/// the exit code, what it printed, and the run's results.json.
pub fn suite_run(
    system: &str,
    cluster: &TestCluster,
    store: &Path,
    args: &[&str],
) -> (Option<i32>, String, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["test", system, "--nodes-file", &cluster.nodes_file()])
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let results = std::fs::read_to_string(store.join("latest/results.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_else(|e| {
            panic!(
                "no results.json ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (out.status.code(), stdout, results)
}

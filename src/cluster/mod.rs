//! A cluster on one machine: one network namespace per node joined by a
//! bridge, an sshd in each. What `up` creates is recorded in `cluster.json`
//! as it is created, so `down` removes exactly that, even after a crash.

mod host;
pub mod packages;
mod state;

pub use host::is_root;
pub use state::ClusterState;

use crate::control::SshRemote;
use anyhow::{bail, Context, Result};
use faultline_core::{Node, NodesFile, Remote, SshSettings};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where local clusters keep their state, keys, node directories and logs.
pub const CLUSTERS_DIR: &str = "/run/faultline";

/// What to build.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Names the namespaces, bridge and state directory (a-z, 0-9, at most 8).
    pub name: String,
    /// How many nodes.
    pub nodes: usize,
    /// The first three octets of a /24 used only inside this machine.
    pub subnet: String,
}

impl ClusterSpec {
    /// The state directory of cluster `name`.
    pub fn dir_of(name: &str) -> PathBuf {
        Path::new(CLUSTERS_DIR).join(name)
    }

    fn validate(&self) -> Result<()> {
        let ok = !self.name.is_empty()
            && self.name.len() <= 8
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            bail!("cluster name `{}` must be 1 to 8 lowercase letters or digits (it names network interfaces)", self.name);
        }
        if !(1..=9).contains(&self.nodes) {
            bail!("--nodes must be between 1 and 9, not {}", self.nodes);
        }
        let octets: Vec<&str> = self.subnet.split('.').collect();
        if octets.len() != 3 || octets.iter().any(|o| o.parse::<u8>().is_err()) {
            bail!(
                "--subnet `{}` must be three octets such as 10.77.0",
                self.subnet
            );
        }
        Ok(())
    }
}

/// Builds the cluster: namespaces, bridge, sshds; writes `nodes.json`.
/// On failure, whatever was created is removed again.
pub fn up(spec: &ClusterSpec) -> Result<NodesFile> {
    spec.validate()?;
    if !host::is_root() {
        bail!("a local cluster needs root (network namespaces, bridges, iptables): run faultline as root");
    }
    let dir = ClusterSpec::dir_of(&spec.name);
    if dir.join("cluster.json").exists() {
        bail!(
            "cluster `{}` already exists ({}); run `faultline cluster down --name {}` first",
            spec.name,
            dir.display(),
            spec.name
        );
    }
    packages::ensure()?;
    let addresses = host::run("ip", &["-o", "-4", "addr"])?;
    if addresses.contains(&format!(" {}.", spec.subnet)) {
        bail!("subnet {}.0/24 is already on an interface of this machine; choose another with --subnet", spec.subnet);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut state = ClusterState::new(spec, &dir);
    state.save()?;
    match build(spec, &mut state) {
        Ok(nodes) => Ok(nodes),
        Err(e) => {
            eprintln!("cluster up failed; removing what it created");
            let _ = down(&spec.name);
            Err(e)
        }
    }
}

fn build(spec: &ClusterSpec, state: &mut ClusterState) -> Result<NodesFile> {
    let start = Instant::now();
    let bridge = format!("fl-{}", spec.name);
    host::run("ip", &["link", "add", &bridge, "type", "bridge"])?;
    state.bridge = Some(bridge.clone());
    state.save()?;
    let controller = format!("{}.254/24", spec.subnet);
    host::run("ip", &["addr", "add", &controller, "dev", &bridge])?;
    host::run("ip", &["link", "set", &bridge, "up"])?;
    for i in 1..=spec.nodes {
        add_node(spec, state, i, &bridge)?;
    }
    // Bridged frames pass the FORWARD chain when br_netfilter is loaded.
    let forward = host::run("iptables", &["-S", "FORWARD"]).unwrap_or_default();
    if !forward.lines().next().unwrap_or("").contains("ACCEPT") {
        host::run(
            "iptables",
            &[
                "-I", "FORWARD", "-i", &bridge, "-o", &bridge, "-j", "ACCEPT",
            ],
        )?;
        state.forward_rule = true;
        state.save()?;
    }
    eprintln!("network up in {} ms", start.elapsed().as_millis());
    let nodes = start_sshds(spec, state)?;
    eprintln!(
        "cluster `{}` up in {:.1} s: {}",
        spec.name,
        start.elapsed().as_secs_f64(),
        state.dir.display()
    );
    Ok(nodes)
}

fn add_node(spec: &ClusterSpec, state: &mut ClusterState, i: usize, bridge: &str) -> Result<()> {
    let ns = state.netns_of(i);
    host::run("ip", &["netns", "add", &ns])?;
    state.netns.push(ns.clone());
    state.save()?;
    let veth = format!("{bridge}-{i}");
    host::run(
        "ip",
        &[
            "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ],
    )?;
    host::run("ip", &["link", "set", &veth, "master", bridge, "up"])?;
    let address = format!("{}.{i}/24", spec.subnet);
    host::run("ip", &["-n", &ns, "addr", "add", &address, "dev", "eth0"])?;
    host::run("ip", &["-n", &ns, "link", "set", "eth0", "up"])?;
    host::run("ip", &["-n", &ns, "link", "set", "lo", "up"])?;
    Ok(())
}

fn start_sshds(spec: &ClusterSpec, state: &mut ClusterState) -> Result<NodesFile> {
    let dir = state.dir.clone();
    let key = dir.join("id_ed25519");
    host::run(
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "faultline",
            "-f",
            path(&key)?,
        ],
    )?;
    let authorized = dir.join("authorized_keys");
    std::fs::copy(dir.join("id_ed25519.pub"), &authorized)?;
    std::fs::create_dir_all("/run/sshd")?;
    let mut known_hosts = String::new();
    let mut nodes = Vec::new();
    for i in 1..=spec.nodes {
        let name = format!("n{i}");
        let node_dir = dir.join(&name);
        std::fs::create_dir_all(&node_dir)?;
        let host_key = node_dir.join("ssh_host_ed25519_key");
        host::run(
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-f", path(&host_key)?],
        )?;
        let ip = format!("{}.{i}", spec.subnet);
        let public = std::fs::read_to_string(node_dir.join("ssh_host_ed25519_key.pub"))?;
        let mut fields = public.split_whitespace();
        known_hosts += &format!(
            "{ip} {} {}\n",
            fields.next().unwrap_or(""),
            fields.next().unwrap_or("")
        );
        let config = node_dir.join("sshd_config");
        std::fs::write(&config, sshd_config(&ip, &node_dir, &authorized))?;
        let pidfile = node_dir.join("sshd.pid");
        let launch = format!(
            "hostname {name} && exec /usr/sbin/sshd -f {} -E {}",
            config.display(),
            node_dir.join("sshd.log").display()
        );
        host::run(
            "ip",
            &[
                "netns",
                "exec",
                &state.netns_of(i),
                "unshare",
                "--uts",
                "sh",
                "-c",
                &launch,
            ],
        )?;
        // The pidfile may exist a moment before the PID is written into it.
        let read_pid = || {
            std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
        };
        if !host::wait_until(Duration::from_secs(10), || read_pid().is_some()) {
            bail!(
                "sshd on {name} did not start within 10 s; see {}",
                node_dir.join("sshd.log").display()
            );
        }
        let pid = read_pid().context("sshd pidfile")?;
        state.sshd_pids.push(pid);
        state.save()?;
        nodes.push(Node {
            name,
            host: ip,
            dir: node_dir,
        });
    }
    std::fs::write(dir.join("known_hosts"), known_hosts)?;
    let ssh = SshSettings {
        username: "root".into(),
        private_key: Some(key),
        known_hosts: Some(dir.join("known_hosts")),
        strict_host_key_checking: true,
        port: 22,
    };
    let nodes_file = NodesFile {
        nodes,
        ssh,
        local: true,
    };
    for node in &nodes_file.nodes {
        let reached = host::wait_until(Duration::from_secs(10), || {
            SshRemote::connect(node, &nodes_file.ssh).is_ok()
        });
        if !reached {
            let err = SshRemote::connect(node, &nodes_file.ssh)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            bail!("cannot log in to {} over SSH within 10 s: {err}", node.name);
        }
    }
    let remote = SshRemote::connect(&nodes_file.nodes[0], &nodes_file.ssh)?;
    let hostname = remote.run("hostname", Duration::from_secs(5))?;
    if hostname.trim() != nodes_file.nodes[0].name {
        bail!(
            "ssh to {} reached host `{}`, not the node's namespace",
            nodes_file.nodes[0].host,
            hostname.trim()
        );
    }
    std::fs::write(
        dir.join("nodes.json"),
        serde_json::to_string_pretty(&nodes_file)?,
    )?;
    Ok(nodes_file)
}

fn path(p: &Path) -> Result<&str> {
    p.to_str()
        .with_context(|| format!("path {} is not UTF-8", p.display()))
}

fn sshd_config(ip: &str, node_dir: &Path, authorized: &Path) -> String {
    format!(
        "ListenAddress {ip}:22\nHostKey {}\nPidFile {}\nPermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         AuthorizedKeysFile {}\n# the key files live under /run, which StrictModes would refuse\n\
         StrictModes no\nUsePAM no\nPrintMotd no\nMaxStartups 200\nMaxSessions 200\n\
         Subsystem sftp /usr/lib/openssh/sftp-server\n",
        node_dir.join("ssh_host_ed25519_key").display(),
        node_dir.join("sshd.pid").display(),
        authorized.display()
    )
}

/// Removes cluster `name`: every process in its namespaces, the namespaces,
/// the bridge, the rule; then checks nothing is left. Safe to run twice.
pub fn down(name: &str) -> Result<()> {
    let dir = ClusterSpec::dir_of(name);
    let Some(state) = ClusterState::load(&dir)? else {
        eprintln!(
            "no cluster `{name}` ({} has no cluster.json): nothing to remove",
            dir.display()
        );
        return Ok(());
    };
    // Every process in our namespaces is ours: sshds, databases, helpers.
    for ns in &state.netns {
        let pids = host::run("ip", &["netns", "pids", ns]).unwrap_or_default();
        let pids: Vec<u32> = pids
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        std::thread::scope(|scope| {
            for &pid in &pids {
                scope.spawn(move || host::stop_pid(pid, Duration::from_secs(10)));
            }
        });
    }
    for &pid in &state.sshd_pids {
        host::stop_pid(pid, Duration::from_secs(5));
    }
    for (i, ns) in state.netns.iter().enumerate() {
        host::try_run("ip", &["netns", "delete", ns]);
        // The kernel destroys a namespace (and so its veth) asynchronously,
        // slowly under load; deleting our end of the pair needs no waiting.
        if let Some(bridge) = &state.bridge {
            host::try_run("ip", &["link", "delete", &format!("{bridge}-{}", i + 1)]);
        }
    }
    if let Some(bridge) = &state.bridge {
        if state.forward_rule {
            host::try_run(
                "iptables",
                &["-D", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"],
            );
        }
        host::try_run("ip", &["link", "delete", bridge]);
    }
    // The kernel removes a deleted namespace's interfaces asynchronously.
    host::wait_until(Duration::from_secs(60), || leftovers(&state).is_empty());
    let left = leftovers(&state);
    if !left.is_empty() {
        bail!("cluster `{name}` is not fully removed: {} still exist; run `faultline cluster down --name {name}` again", left.join(", "));
    }
    remove_dir(&dir)?;
    eprintln!("cluster `{name}` removed: no namespace, interface, rule or process of it is left");
    Ok(())
}

/// Removes the state directory. A process that was just stopped may still
/// have been writing or deleting files in it, so a failure is retried a few
/// times before it is reported.
fn remove_dir(dir: &Path) -> Result<()> {
    let mut last = None;
    for _ in 0..10 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let e = last.map(|e| e.to_string()).unwrap_or_default();
    bail!(
        "cannot remove {}: {e}; remove it by hand once nothing uses it",
        dir.display()
    )
}

/// What of the cluster still exists.
pub fn leftovers(state: &ClusterState) -> Vec<String> {
    let mut left = Vec::new();
    let namespaces = host::run("ip", &["netns", "list"]).unwrap_or_default();
    for ns in &state.netns {
        if namespaces.split_whitespace().any(|n| n == ns) {
            left.push(format!("namespace {ns}"));
        }
    }
    let links = host::run("ip", &["-o", "link"]).unwrap_or_default();
    if let Some(bridge) = &state.bridge {
        if links.contains(&format!(" {bridge}:")) || links.contains(&format!(" {bridge}-")) {
            left.push(format!("interfaces {bridge}*"));
        }
    }
    for &pid in &state.sshd_pids {
        if !host::pid_gone(pid) {
            left.push(format!("process {pid}"));
        }
    }
    left
}

/// Describes cluster `name` for `faultline cluster status`.
pub fn status(name: &str) -> Result<String> {
    let dir = ClusterSpec::dir_of(name);
    let Some(state) = ClusterState::load(&dir)? else {
        return Ok(format!("no cluster `{name}`"));
    };
    let mut text = format!(
        "cluster `{name}`: {} nodes on {}.0/24, state in {}\n",
        state.nodes,
        state.subnet,
        dir.display()
    );
    for (i, ns) in state.netns.iter().enumerate() {
        let alive = state.sshd_pids.get(i).is_some_and(|&p| !host::pid_gone(p));
        text += &format!(
            "  n{} {}.{} netns {ns}, sshd {}\n",
            i + 1,
            state.subnet,
            i + 1,
            if alive { "running" } else { "not running" }
        );
    }
    text += &format!("  nodes file: {}", dir.join("nodes.json").display());
    Ok(text)
}

//! etcd's lifecycle on a node, driven over the node's `Remote`: the same
//! commands on local namespaces and on real hosts. Everything lives under
//! `<node dir>/etcd` (data, log, pidfile), and processes are stopped by
//! pidfile only.

use crate::pidfile;
use faultline_core::shell::{quote, ShellQuoted};
use faultline_core::{DataDir, Db, DbError, Node, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(15);

/// etcd as the database under test.
#[derive(Clone, Debug, Default)]
pub struct EtcdDb {
    /// A binary to upload instead of the node's `etcd` (`--etcd-binary`).
    pub binary: Option<PathBuf>,
    /// Per node name, words put before the etcd command (e.g. libfaketime's
    /// `env LD_PRELOAD=…`), so that restarts run the same way.
    pub launch_prefix: BTreeMap<String, String>,
    /// `--initial-cluster-token`: unique to the run, so that the cluster ID
    /// every member reports proves it was started by this run (see
    /// [`super::identity`]). Empty: `faultline`.
    pub cluster_token: String,
}

/// etcd's client and peer ports.
const PORTS: [u16; 2] = [2379, 2380];

fn dir(node: &Node) -> PathBuf {
    node.dir.join("etcd")
}

/// etcd's data directory on `node`.
pub fn data_dir(node: &Node) -> PathBuf {
    dir(node).join("data")
}

fn wipe_data(node: &Node) -> String {
    crate::wipe::wipe_data_dir(&data_dir(node))
}

/// The pidfile of etcd on `node`.
pub fn pid_file(node: &Node) -> PathBuf {
    dir(node).join("etcd.pid")
}

/// The peer URL of `node`.
pub fn peer_url(node: &Node) -> String {
    format!("http://{}:2380", node.host)
}

/// The client URL of `node` (the v3 JSON gateway).
pub fn client_url(node: &Node) -> String {
    format!("http://{}:2379", node.host)
}

impl EtcdDb {
    /// The cluster token in use.
    pub fn token(&self) -> &str {
        if self.cluster_token.is_empty() {
            "faultline"
        } else {
            &self.cluster_token
        }
    }

    /// Stops what an earlier run left on the node: the etcd in the
    /// pidfile, then any process that still holds etcd's ports and was
    /// started by faultline (its command line names this node's data
    /// directory, e.g. one left by `--leave-db-running` or by a killed
    /// faultline). Refuses, naming the PID, when another program holds them.
    fn stop_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::stop_leftover(remote, node, &pid_file(node), "etcd")?;
        let data_dir = data_dir(node).display().to_string();
        for pid in port_holders(remote)? {
            let command = remote
                .exec(&format!("tr '\\0' ' ' < /proc/{pid}/cmdline"), SHORT)?
                .stdout
                .trim()
                .to_owned();
            if !command.contains(&data_dir) {
                return Err(DbError::NotRunning {
                    node: node.name.clone(),
                    message: format!(
                        "etcd's ports ({}) are held by PID {pid} (`{command}`), which faultline did not start; stop it, or test on nodes where those ports are free",
                        PORTS.map(|p| p.to_string()).join(", ")
                    ),
                });
            }
            eprintln!(
                "{}: stopping etcd PID {pid} left by an earlier run (found holding etcd's ports)",
                node.name
            );
            let gone = remote.exec(
                &format!("kill -9 {pid}; i=0; while kill -0 {pid} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ! kill -0 {pid} 2>/dev/null"),
                Duration::from_secs(30),
            )?;
            if gone.status != 0 {
                return Err(DbError::NotRunning {
                    node: node.name.clone(),
                    message: format!(
                        "PID {pid}, an etcd of an earlier run, did not stop on SIGKILL within 10 s"
                    ),
                });
            }
        }
        Ok(())
    }

    fn executable(&self, node: &Node) -> String {
        match &self.binary {
            Some(_) => dir(node).join("etcd").quoted(),
            None => "etcd".to_owned(),
        }
    }

    fn install(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        remote.run(&format!("mkdir -p {}", dir(node).quoted()), SHORT)?;
        if let Some(binary) = &self.binary {
            let target = dir(node).join("etcd");
            remote.upload(binary, &target)?;
            remote.run(&format!("chmod +x {}", target.quoted()), SHORT)?;
            return Ok(());
        }
        if remote.exec("command -v etcd", SHORT)?.status != 0 {
            crate::package::apt_install(remote, node, "etcd-server")?;
        }
        Ok(())
    }

    /// Starts etcd in the background, its PID in the pidfile: a member of
    /// a new cluster of `cluster`.
    fn start(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        let initial: Vec<String> = cluster
            .iter()
            .map(|n| format!("{}={}", n.name, peer_url(n)))
            .collect();
        self.start_as(remote, node, &initial.join(","), "new")
    }

    /// Starts etcd on an empty data directory as a member just added to a
    /// running cluster whose members are `initial` (`name=peer-url,...`).
    pub(super) fn start_joining(
        &self,
        remote: &dyn Remote,
        node: &Node,
        initial: &str,
    ) -> Result<(), DbError> {
        self.start_as(remote, node, initial, "existing")
    }

    /// Stops etcd (SIGKILL: a removed member has nothing left to save) and
    /// wipes its data, so that it can join again as a new member.
    pub(super) fn stop_and_wipe(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::signal_and_wait(remote, &pid_file(node), "KILL", 10)?;
        remote.run(&wipe_data(node), SHORT)?;
        Ok(())
    }

    fn start_as(
        &self,
        remote: &dyn Remote,
        node: &Node,
        initial: &str,
        state: &str,
    ) -> Result<(), DbError> {
        let d = dir(node);
        let command = format!(
            // Only etcd goes to the background, with every descriptor
            // redirected: a backgrounded list would hold the SSH channel open.
            "setsid nohup {prefix}{exe} --name {name} --data-dir {d}/data \
             --listen-client-urls {client} --advertise-client-urls {client} \
             --listen-peer-urls {peer} --initial-advertise-peer-urls {peer} \
             --initial-cluster {initial} --initial-cluster-state {state} --initial-cluster-token {token} \
             --logger zap --log-outputs stderr >> {d}/etcd.log 2>&1 < /dev/null & echo $! > {pid}",
            d = d.quoted(),
            exe = self.executable(node),
            prefix = self.launch_prefix.get(&node.name).map_or("", String::as_str),
            name = node.name,
            client = client_url(node),
            peer = peer_url(node),
            initial = quote(initial),
            token = self.token(),
            pid = pid_file(node).quoted(),
        );
        remote.run(&command, SHORT)?;
        Ok(())
    }
}

impl Db for EtcdDb {
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        self.stop_leftovers(remote, node)?;
        // A fresh cluster: no data from an earlier run.
        remote.run(
            &format!("{}; rm -f {}/etcd.log", wipe_data(node), dir(node).quoted()),
            SHORT,
        )?;
        Ok(())
    }

    fn setup(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        self.install(remote, node)?;
        // Idempotent: whoever calls setup alone gets a fresh node too.
        self.clear_leftovers(remote, node)?;
        self.start(remote, node, cluster)
    }

    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        // etcd takes up to ~7 s to exit on SIGTERM when its peers are gone.
        pidfile::stop(remote, &pid_file(node))?;
        remote.run(
            &format!("{}; rm -f {}", wipe_data(node), pid_file(node).quoted()),
            SHORT,
        )?;
        Ok(())
    }

    fn log_files(&self, node: &Node) -> Vec<PathBuf> {
        vec![dir(node).join("etcd.log")]
    }
}

impl DataDir for EtcdDb {
    fn data_dir(&self, node: &Node) -> PathBuf {
        data_dir(node)
    }

    /// The write-ahead log's segments and the bbolt database, the files
    /// Jepsen's etcd test corrupts (`bitflip-wal`, `bitflip-snap`:
    /// <https://github.com/jepsen-io/etcd>, README, Nemeses).
    fn corruptible(&self) -> Vec<String> {
        vec!["member/wal/*.wal".into(), "member/snap/db".into()]
    }
}

/// The PIDs listening on etcd's ports on the node.
fn port_holders(remote: &dyn Remote) -> Result<Vec<u32>, DbError> {
    let filter = PORTS.map(|p| format!("sport = :{p}")).join(" or ");
    let out = remote.exec(&format!("ss -Hltnp '( {filter} )'"), SHORT)?;
    let mut pids: Vec<u32> = out
        .stdout
        .split("pid=")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse().ok())
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    Ok(pids)
}

pidfile::pidfile_abilities!(
    EtcdDb,
    pid_file,
    |db: &EtcdDb, remote: &dyn Remote, node: &Node, cluster: &[Node]| db
        .start(remote, node, cluster)
);

//! ZooKeeper's lifecycle on a node, over the node's `Remote`: installed
//! from Debian's `zookeeper` package, everything under
//! `<node dir>/zookeeper` (configuration, data, log, pidfile), every node
//! a voting member of one ensemble, started anew on an empty data
//! directory each run and stopped by pidfile only. The server is one JVM,
//! so kill and pause signal one process.

use crate::pidfile;
use faultline_core::shell::{quote, ShellQuoted};
use faultline_core::{DataDir, Db, DbError, Node, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(15);
/// The port clients connect to.
pub const PORT: u16 = 2181;
/// The server's main class and class path: Debian's jar names its
/// dependencies in its manifest; slf4j-simple sends the log to stderr.
const SERVER: &str = "-cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
                      org.apache.zookeeper.server.quorum.QuorumPeerMain";
/// A small heap and one GC thread: five servers share a test machine.
/// Log lines carry the time, to line them up with the history.
const JVM_OPTIONS: &str = "-Xms32m -Xmx256m -XX:+UseSerialGC -XX:-UsePerfData \
     -Dorg.slf4j.simpleLogger.showDateTime=true \
     '-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS'";

/// ZooKeeper as the database under test.
#[derive(Clone, Debug, Default)]
pub struct ZookeeperDb {
    /// Per node name, words put before the server's command (libfaketime's).
    pub launch_prefix: BTreeMap<String, String>,
}

fn dir(node: &Node) -> PathBuf {
    node.dir.join("zookeeper")
}

fn data_dir(node: &Node) -> PathBuf {
    dir(node).join("data")
}

fn config_file(node: &Node) -> PathBuf {
    dir(node).join("zoo.cfg")
}

fn log_file(node: &Node) -> PathBuf {
    dir(node).join("zookeeper.log")
}

/// The pidfile of ZooKeeper on `node`.
pub fn pid_file(node: &Node) -> PathBuf {
    dir(node).join("zookeeper.pid")
}

/// The server's configuration on `node` in `cluster`: each node's id is
/// its place in the cluster, from 1. Ticks of 500 ms (ZooKeeper's
/// default is 2 s) bound sessions to 1 to 10 s, so that faults of a few
/// seconds end sessions and elect leaders within a short test.
pub fn config(node: &Node, cluster: &[Node]) -> String {
    let mut text = format!(
        "tickTime=500\ninitLimit=20\nsyncLimit=4\ndataDir={data}\n\
         clientPortAddress={host}\nclientPort={PORT}\nquorumListenOnAllIPs=false\n\
         admin.enableServer=false\n4lw.commands.whitelist=srvr,conf,ruok\n\
         autopurge.purgeInterval=0\n",
        data = data_dir(node).display(),
        host = node.host,
    );
    for (i, member) in cluster.iter().enumerate() {
        text.push_str(&format!("server.{}={}:2888:3888\n", i + 1, member.host));
    }
    text
}

/// `node`'s id in the ensemble (its place in `cluster`, from 1).
fn my_id(node: &Node, cluster: &[Node]) -> usize {
    cluster
        .iter()
        .position(|n| n.name == node.name)
        .map_or(1, |i| i + 1)
}

impl ZookeeperDb {
    fn install(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        remote.run(&format!("mkdir -p {}", dir(node).quoted()), SHORT)?;
        let check = "[ -r /usr/share/java/zookeeper.jar ] && command -v java >/dev/null";
        if remote.exec(check, SHORT)?.status == 0 {
            return Ok(());
        }
        crate::package::apt_install(remote, node, "zookeeper")
    }

    /// Writes the configuration and the node's id (kept in the data
    /// directory, as ZooKeeper wants it), then starts the server in the
    /// background, its PID in the pidfile.
    fn start(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        let command = format!(
            // Only the server goes to the background, every descriptor
            // redirected, so the SSH channel closes.
            "mkdir -p {data} && printf '%s' {config} > {config_file} && echo {id} > {data}/myid && \
             {{ setsid nohup {prefix}java {JVM_OPTIONS} {SERVER} {config_file} \
             >> {log} 2>&1 < /dev/null & echo $! > {pid}; }}",
            data = data_dir(node).quoted(),
            config = quote(&config(node, cluster)),
            config_file = config_file(node).quoted(),
            id = my_id(node, cluster),
            prefix = self
                .launch_prefix
                .get(&node.name)
                .map_or("", String::as_str),
            log = log_file(node).quoted(),
            pid = pid_file(node).quoted(),
        );
        remote.run(&command, SHORT)?;
        Ok(())
    }

    fn wipe(node: &Node) -> String {
        crate::wipe::wipe_data_dir(&data_dir(node))
    }
}

impl Db for ZookeeperDb {
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::stop_leftover(remote, node, &pid_file(node), "ZooKeeper")?;
        // A fresh ensemble: nothing from an earlier run.
        remote.run(
            &format!("{}; rm -f {}", Self::wipe(node), log_file(node).quoted()),
            SHORT,
        )?;
        Ok(())
    }

    fn setup(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        self.install(remote, node)?;
        self.clear_leftovers(remote, node)?;
        self.start(remote, node, cluster)
    }

    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::stop(remote, &pid_file(node))?;
        remote.run(
            &format!("{}; rm -f {}", Self::wipe(node), pid_file(node).quoted()),
            SHORT,
        )?;
        Ok(())
    }

    fn log_files(&self, node: &Node) -> Vec<PathBuf> {
        vec![log_file(node)]
    }
}

impl DataDir for ZookeeperDb {
    fn data_dir(&self, node: &Node) -> PathBuf {
        data_dir(node)
    }

    /// The transaction logs and snapshots.
    fn corruptible(&self) -> Vec<String> {
        vec!["version-2/log.*".into(), "version-2/snapshot.*".into()]
    }
}

pidfile::pidfile_abilities!(
    ZookeeperDb,
    pid_file,
    |db: &ZookeeperDb, remote: &dyn Remote, node: &Node, cluster: &[Node]| db
        .start(remote, node, cluster)
);

#[cfg(test)]
mod tests {
    use super::*;

    fn node(i: usize) -> Node {
        Node {
            name: format!("n{i}"),
            host: format!("10.0.0.{i}"),
            dir: format!("/var/lib/faultline/n{i}").into(),
        }
    }

    #[test]
    fn every_member_is_listed_by_its_place_and_the_server_binds_its_own_address() {
        let cluster: Vec<Node> = (1..=3).map(node).collect();
        let text = config(&cluster[1], &cluster);
        assert!(text.contains("server.1=10.0.0.1:2888:3888\n"), "{text}");
        assert!(text.contains("server.3=10.0.0.3:2888:3888\n"), "{text}");
        assert!(text.contains("clientPortAddress=10.0.0.2\n"), "{text}");
        assert!(
            text.contains("dataDir=/var/lib/faultline/n2/zookeeper/data\n"),
            "{text}"
        );
        assert_eq!(my_id(&cluster[2], &cluster), 3);
    }
}

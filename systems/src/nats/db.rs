//! NATS's lifecycle on a node, over the node's `Remote`: installed from
//! Debian's `nats-server` package, everything under `<node dir>/nats`
//! (configuration, JetStream's store, log, pidfile), every node routed to
//! every other in one cluster, started anew on an empty store each run
//! and stopped by pidfile only.

use crate::pidfile;
use faultline_core::shell::{quote, ShellQuoted};
use faultline_core::{DataDir, Db, DbError, Node, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(15);
/// The port clients connect to.
pub const PORT: u16 = 4222;
/// The port servers route to each other on.
const CLUSTER_PORT: u16 = 6222;
/// The monitoring port (`/healthz`, `/jsz`).
pub const MONITOR_PORT: u16 = 8222;

/// NATS as the database under test.
#[derive(Clone, Debug, Default)]
pub struct NatsDb {
    /// Per node name, words put before the server's command (libfaketime's).
    pub launch_prefix: BTreeMap<String, String>,
}

fn dir(node: &Node) -> PathBuf {
    node.dir.join("nats")
}

/// JetStream's store directory on `node` (the server keeps its streams
/// under `jetstream/` in it).
pub fn store_dir(node: &Node) -> PathBuf {
    dir(node).join("data")
}

fn config_file(node: &Node) -> PathBuf {
    dir(node).join("nats.conf")
}

fn log_file(node: &Node) -> PathBuf {
    dir(node).join("nats.log")
}

/// The pidfile of NATS on `node`.
pub fn pid_file(node: &Node) -> PathBuf {
    dir(node).join("nats.pid")
}

/// The server's configuration on `node` in `cluster`: named after the
/// node, listening on its own address, routed to every other node
/// (<https://docs.nats.io/running-a-nats-service/configuration/clustering/jetstream_clustering>).
pub fn config(node: &Node, cluster: &[Node]) -> String {
    let routes: Vec<String> = cluster
        .iter()
        .filter(|n| n.name != node.name)
        .map(|n| format!("nats-route://{}:{CLUSTER_PORT}", n.host))
        .collect();
    format!(
        "server_name: {name}\nlisten: {host}:{PORT}\nhttp: {host}:{MONITOR_PORT}\n\
         jetstream {{\n  store_dir: \"{store}\"\n}}\n\
         cluster {{\n  name: faultline\n  listen: {host}:{CLUSTER_PORT}\n  routes: [{routes}]\n}}\n",
        name = node.name,
        host = node.host,
        store = store_dir(node).display(),
        routes = routes.join(", "),
    )
}

impl NatsDb {
    fn install(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        remote.run(&format!("mkdir -p {}", dir(node).quoted()), SHORT)?;
        if remote
            .exec("command -v nats-server >/dev/null", SHORT)?
            .status
            == 0
        {
            return Ok(());
        }
        crate::package::apt_install(remote, node, "nats-server")
    }

    /// Writes the configuration and starts the server in the background,
    /// its PID in the pidfile.
    fn start(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        let command = format!(
            // Only the server goes to the background, every descriptor
            // redirected, so the SSH channel closes.
            "mkdir -p {store} && printf '%s' {config} > {config_file} && \
             {{ setsid nohup {prefix}nats-server -c {config_file} \
             >> {log} 2>&1 < /dev/null & echo $! > {pid}; }}",
            store = store_dir(node).quoted(),
            config = quote(&config(node, cluster)),
            config_file = config_file(node).quoted(),
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
        crate::wipe::wipe_data_dir(&store_dir(node))
    }
}

impl Db for NatsDb {
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::stop_leftover(remote, node, &pid_file(node), "NATS")?;
        // A fresh cluster: no stream from an earlier run.
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

impl DataDir for NatsDb {
    fn data_dir(&self, node: &Node) -> PathBuf {
        store_dir(node)
    }

    /// The streams' message blocks (Jepsen's NATS analysis corrupted them).
    fn corruptible(&self) -> Vec<String> {
        vec!["jetstream/*/streams/*/msgs/*.blk".into()]
    }
}

pidfile::pidfile_abilities!(
    NatsDb,
    pid_file,
    |db: &NatsDb, remote: &dyn Remote, node: &Node, cluster: &[Node]| db
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
    fn each_server_is_named_after_its_node_and_routed_to_every_other() {
        let cluster: Vec<Node> = (1..=3).map(node).collect();
        let text = config(&cluster[1], &cluster);
        assert!(text.contains("server_name: n2\n"), "{text}");
        assert!(text.contains("listen: 10.0.0.2:4222\n"), "{text}");
        assert!(
            text.contains("routes: [nats-route://10.0.0.1:6222, nats-route://10.0.0.3:6222]"),
            "{text}"
        );
        assert!(
            text.contains("store_dir: \"/var/lib/faultline/n2/nats/data\""),
            "{text}"
        );
    }
}

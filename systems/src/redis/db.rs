//! Redis's lifecycle on a node, over the node's `Remote`: installed from
//! Debian's packages, everything under `<node dir>/redis` (data, log,
//! pidfile), the first node the primary and every other its replica, each
//! started anew on an empty data directory and stopped by pidfile only.

use super::{sentinel, Persistence};
use crate::pidfile;
use faultline_core::shell::ShellQuoted;
use faultline_core::{DataDir, Db, DbError, Node, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(15);
/// Redis's port.
pub const PORT: u16 = 6379;

/// Redis as the database under test.
#[derive(Clone, Debug, Default)]
pub struct RedisDb {
    /// How writes persist.
    pub persistence: Persistence,
    /// Per node name, words put before the server's command (libfaketime's).
    pub launch_prefix: BTreeMap<String, String>,
    /// A sentinel beside every server (`--sentinel`).
    pub sentinel: bool,
}

fn dir(node: &Node) -> PathBuf {
    node.dir.join("redis")
}

fn data_dir(node: &Node) -> PathBuf {
    dir(node).join("data")
}

/// The pidfile of Redis on `node`.
pub fn pid_file(node: &Node) -> PathBuf {
    dir(node).join("redis.pid")
}

impl RedisDb {
    fn install(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        remote.run(&format!("mkdir -p {}", dir(node).quoted()), SHORT)?;
        if remote.exec("command -v redis-server", SHORT)?.status == 0 {
            return Ok(());
        }
        crate::package::apt_install(remote, node, "redis-server")
    }

    /// Starts the server in the background, its PID in the pidfile: the
    /// primary on the first node of `cluster`, a replica of it elsewhere.
    /// Under `--sentinel`, a server started again (after a kill) follows
    /// the primary its sentinel names, as one whose configuration the
    /// sentinels rewrote would: started in its first role it could come
    /// back a second primary, or follow a demoted one.
    fn start(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        let primary = self
            .sentinel
            .then(|| sentinel::primary_seen_from(remote, node))
            .flatten()
            .or_else(|| cluster.first().map(|p| p.host.clone()));
        let replica_of = primary
            .filter(|host| *host != node.host)
            .map_or(String::new(), |host| format!(" --replicaof {host} {PORT}"));
        let d = dir(node);
        let command = format!(
            // Only the server goes to the background, every descriptor
            // redirected, so the SSH channel closes.
            "mkdir -p {data}; setsid nohup {prefix}redis-server --bind {host} --port {PORT} \
             --protected-mode no --daemonize no --dir {data} {persistence}{replica_of} \
             >> {log} 2>&1 < /dev/null & echo $! > {pid}",
            data = data_dir(node).quoted(),
            prefix = self
                .launch_prefix
                .get(&node.name)
                .map_or("", String::as_str),
            host = node.host,
            persistence = self.persistence.arguments(),
            log = d.join("redis.log").quoted(),
            pid = pid_file(node).quoted(),
        );
        remote.run(&command, SHORT)?;
        Ok(())
    }

    fn wipe(node: &Node) -> String {
        crate::wipe::wipe_data_dir(&data_dir(node))
    }
}

impl Db for RedisDb {
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        // A sentinel first: one left running would fail over what follows.
        pidfile::stop_leftover(remote, node, &sentinel::pid_file(node), "Redis Sentinel")?;
        pidfile::stop_leftover(remote, node, &pid_file(node), "Redis")?;
        // A fresh server: nothing from an earlier run.
        remote.run(
            &format!(
                "{}; rm -f {}/redis.log",
                Self::wipe(node),
                dir(node).quoted()
            ),
            SHORT,
        )?;
        Ok(())
    }

    fn setup(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        self.install(remote, node)?;
        self.clear_leftovers(remote, node)?;
        self.start(remote, node, cluster)?;
        if self.sentinel {
            sentinel::start(remote, node, cluster)?;
        }
        Ok(())
    }

    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        // The sentinel first, so that it fails nothing over as servers stop.
        sentinel::stop(remote, node)?;
        pidfile::stop(remote, &pid_file(node))?;
        remote.run(
            &format!("{}; rm -f {}", Self::wipe(node), pid_file(node).quoted()),
            SHORT,
        )?;
        Ok(())
    }

    fn log_files(&self, node: &Node) -> Vec<PathBuf> {
        let mut logs = vec![dir(node).join("redis.log")];
        if self.sentinel {
            logs.push(sentinel::log_file(node));
        }
        logs
    }
}

impl DataDir for RedisDb {
    fn data_dir(&self, node: &Node) -> PathBuf {
        data_dir(node)
    }

    /// The append-only file and the snapshot.
    fn corruptible(&self) -> Vec<String> {
        vec![
            "appendonlydir/*".into(),
            "appendonly.aof".into(),
            "dump.rdb".into(),
        ]
    }
}

pidfile::pidfile_abilities!(
    RedisDb,
    pid_file,
    |db: &RedisDb, remote: &dyn Remote, node: &Node, cluster: &[Node]| db
        .start(remote, node, cluster)
);

//! ZooKeeper as a [`System`]: its lifecycle ([`ZookeeperDb`]), a client
//! per process on its own node's server, health as "serves as a member
//! of this run's ensemble", kill, pause, the leader and the data
//! directory.

use super::{ZookeeperClient, ZookeeperDb, ZookeeperOptions};
use crate::RunContext;
use faultline_core::{
    BoxFuture, DataDir, Db, DynClient, Kill, Node, Pause, Primaries, Remote, System,
};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// ZooKeeper, set up for one run.
pub struct ZookeeperSystem {
    db: ZookeeperDb,
    options: ZookeeperOptions,
    workload: WorkloadKind,
    key_prefix: String,
}

impl ZookeeperSystem {
    /// ZooKeeper for the run `run` describes.
    pub fn new(options: ZookeeperOptions, run: RunContext) -> ZookeeperSystem {
        ZookeeperSystem {
            db: ZookeeperDb {
                launch_prefix: run.launch_prefix.clone(),
            },
            key_prefix: run.key_prefix(),
            workload: run.workload,
            options,
        }
    }
}

/// Asks the server on `node` one of ZooKeeper's four-letter words and
/// returns its answer (the server closes the connection after it).
async fn four_letter_word(node: &Node, word: &str) -> Result<String, String> {
    let ask = async {
        let mut stream =
            tokio::net::TcpStream::connect((node.host.as_str(), super::db::PORT)).await?;
        stream.write_all(word.as_bytes()).await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    match tokio::time::timeout(Duration::from_secs(2), ask).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => Err(format!("cannot ask `{word}`: {e}")),
        Err(_) => Err(format!("no answer to `{word}` within 2 s")),
    }
}

/// The `Mode:` line of a `srvr` answer: leader, follower or standalone;
/// `None` when the server is not serving (no quorum).
fn mode(srvr: &str) -> Option<&str> {
    srvr.lines()
        .find_map(|line| line.strip_prefix("Mode: "))
        .map(str::trim)
}

/// Whether a `conf` answer names `data_dir` as the server's data
/// directory (ZooKeeper shows it with its `version-2` below).
fn configured_here(conf: &str, data_dir: &std::path::Path) -> bool {
    let expected = format!("dataDir={}", data_dir.display());
    conf.lines().any(|line| {
        line.trim()
            .strip_prefix(&expected)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl System for ZookeeperSystem {
    fn name(&self) -> &str {
        "zookeeper"
    }

    fn db(&self) -> &dyn Db {
        &self.db
    }

    fn packages(&self) -> Vec<String> {
        vec!["zookeeper".into()]
    }

    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        Box::new(ZookeeperClient::new(
            node,
            self.options.reads,
            self.workload,
            &self.key_prefix,
            timeout,
        ))
    }

    /// It serves as a leader or follower of a quorum, on the data
    /// directory this run configured.
    fn serves<'a>(
        &'a self,
        _remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let srvr = four_letter_word(node, "srvr").await?;
            match mode(&srvr) {
                Some("leader" | "follower") => {}
                Some(other) => return Err(format!("it runs as {other}, not in an ensemble")),
                None => return Err(format!("not serving: {}", srvr.trim())),
            }
            let conf = four_letter_word(node, "conf").await?;
            if configured_here(&conf, &self.db.data_dir(node)) {
                Ok(())
            } else {
                Err("a ZooKeeper this run did not configure holds its port".into())
            }
        })
    }

    fn kill(&self) -> Option<&dyn Kill> {
        Some(&self.db)
    }

    fn pause(&self) -> Option<&dyn Pause> {
        Some(&self.db)
    }

    fn primaries(&self) -> Option<&dyn Primaries> {
        Some(self)
    }

    fn data_dir(&self) -> Option<&dyn DataDir> {
        Some(&self.db)
    }
}

/// The leader: the server that says so (none while an election runs).
impl Primaries for ZookeeperSystem {
    fn primaries<'a>(
        &'a self,
        cluster: &'a [Node],
        _remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut leaders = Vec::new();
            for node in cluster {
                if let Ok(srvr) = four_letter_word(node, "srvr").await {
                    if mode(&srvr) == Some("leader") {
                        leaders.push(node.name.clone());
                    }
                }
            }
            leaders
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{configured_here, mode};
    use std::path::Path;

    #[test]
    fn a_server_is_this_run_s_when_its_data_directory_is_the_one_configured() {
        let conf = "clientPort=2181\ndataDir=/n1/zookeeper/data/version-2\ndataLogDir=/n1/zookeeper/data/version-2\n";
        assert!(configured_here(conf, Path::new("/n1/zookeeper/data")));
        assert!(!configured_here(conf, Path::new("/n1/zookeeper/dat")));
        assert!(!configured_here(conf, Path::new("/n2/zookeeper/data")));
    }

    #[test]
    fn the_mode_is_read_from_srvr_and_absent_when_not_serving() {
        let srvr = "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nZxid: 0x100000000\nMode: leader\nNode count: 5\n";
        assert_eq!(mode(srvr), Some("leader"));
        assert_eq!(
            mode("This ZooKeeper instance is not currently serving requests\n"),
            None
        );
    }
}

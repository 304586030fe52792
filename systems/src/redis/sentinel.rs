//! Redis Sentinel (`--sentinel`): a sentinel beside every server
//! (`redis-server <conf> --sentinel`, from the same package), all
//! monitoring the first node's server as the primary `faultline` with a
//! quorum of a majority. When the primary stops answering for 1 s,
//! sentinels that agree elect one to promote a replica and point the other
//! servers at it (Redis documentation, "High availability with Redis
//! Sentinel"). Clients ask a sentinel where the primary is; replication
//! stays asynchronous, so a failover may drop writes the old primary had
//! acknowledged, which is what the checkers look for.

use super::db::PORT;
use crate::pidfile;
use faultline_core::shell::ShellQuoted;
use faultline_core::{DbError, Node, Remote};
use std::path::PathBuf;
use std::time::Duration;

/// The sentinels' port.
pub const SENTINEL_PORT: u16 = 26379;

/// The name the sentinels know the primary by.
pub const MASTER_NAME: &str = "faultline";

const SHORT: Duration = Duration::from_secs(15);

fn dir(node: &Node) -> PathBuf {
    node.dir.join("redis").join("sentinel")
}

/// The pidfile of the sentinel on `node`.
pub fn pid_file(node: &Node) -> PathBuf {
    dir(node).join("sentinel.pid")
}

/// Its log.
pub fn log_file(node: &Node) -> PathBuf {
    dir(node).join("sentinel.log")
}

/// The sentinel's configuration on `node` (it rewrites the file as it
/// learns, so each run writes it anew).
fn config(node: &Node, cluster: &[Node]) -> String {
    let primary = &cluster[0];
    let quorum = cluster.len() / 2 + 1;
    format!(
        "port {SENTINEL_PORT}\nbind {host}\nprotected-mode no\ndaemonize no\ndir {dir}\n\
         sentinel monitor {MASTER_NAME} {primary} {PORT} {quorum}\n\
         sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
         sentinel failover-timeout {MASTER_NAME} 2000\n\
         sentinel parallel-syncs {MASTER_NAME} 1\n",
        host = node.host,
        dir = dir(node).display(),
        primary = primary.host,
    )
}

/// Stops a sentinel an earlier run left, forgets what it learnt, writes
/// this run's configuration and starts it in the background.
pub fn start(remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
    pidfile::stop_leftover(remote, node, &pid_file(node), "Redis Sentinel")?;
    let d = dir(node);
    let conf = d.join("sentinel.conf");
    let command = format!(
        // Only the sentinel goes to the background, every descriptor
        // redirected, so the SSH channel closes.
        "rm -rf {d}; mkdir -p {d}; printf '%s' {text} > {conf}; \
         setsid nohup redis-server {conf} --sentinel >> {log} 2>&1 < /dev/null & echo $! > {pid}",
        d = d.quoted(),
        text = faultline_core::shell::quote(&config(node, cluster)),
        conf = conf.quoted(),
        log = log_file(node).quoted(),
        pid = pid_file(node).quoted(),
    );
    remote.run(&command, SHORT)?;
    Ok(())
}

/// Where the sentinel on `node` says the primary is (its host), asked
/// there with `redis-cli`; `None` when it does not answer (not started
/// yet: the run's first start).
pub fn primary_seen_from(remote: &dyn Remote, node: &Node) -> Option<String> {
    let command = format!(
        "timeout 2 redis-cli -h {} -p {SENTINEL_PORT} --raw SENTINEL get-master-addr-by-name {MASTER_NAME}",
        node.host
    );
    let out = remote.exec(&command, SHORT).ok()?;
    let host = out.stdout.lines().next()?.trim().to_owned();
    (out.status == 0 && !host.is_empty() && !host.contains(' ')).then_some(host)
}

/// Stops the sentinel on `node`, if one runs.
pub fn stop(remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
    pidfile::stop(remote, &pid_file(node))
}

/// Where the sentinels say the primary is (`SENTINEL
/// get-master-addr-by-name`), asking each of `sentinels` (`host:port`) in
/// turn until one answers: `host:port` of the primary.
pub async fn current_primary(sentinels: &[String], timeout: Duration) -> Result<String, String> {
    let mut errors = Vec::new();
    for sentinel in sentinels {
        let url = format!("redis://{sentinel}/");
        let asked = async {
            let mut connection = super::client::connect(&url, timeout)
                .await
                .map_err(|e| e.to_string())?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(MASTER_NAME)
                .query_async::<Option<(String, u16)>>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(timeout, asked).await {
            Ok(Ok(Some((host, port)))) => return Ok(format!("{host}:{port}")),
            Ok(Ok(None)) => errors.push(format!("{sentinel}: knows no primary")),
            Ok(Err(e)) => errors.push(format!("{sentinel}: {e}")),
            Err(_) => errors.push(format!("{sentinel}: no answer")),
        }
    }
    Err(format!(
        "no sentinel says where the primary is ({})",
        errors.join("; ")
    ))
}

/// The sentinels of `cluster`, `node`'s own first.
pub fn sentinels_from(node: &Node, cluster: &[Node]) -> Vec<String> {
    let mut all: Vec<&Node> = cluster.iter().collect();
    all.sort_by_key(|n| n.name != node.name);
    all.iter()
        .map(|n| format!("{}:{SENTINEL_PORT}", n.host))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, host: &str) -> Node {
        Node {
            name: name.into(),
            host: host.into(),
            dir: "/var/lib/faultline".into(),
        }
    }

    #[test]
    fn every_sentinel_watches_the_first_node_with_a_majority_quorum() {
        let cluster = [
            node("n1", "10.0.0.1"),
            node("n2", "10.0.0.2"),
            node("n3", "10.0.0.3"),
        ];
        let text = config(&cluster[1], &cluster);
        assert!(
            text.contains("sentinel monitor faultline 10.0.0.1 6379 2\n"),
            "{text}"
        );
        assert!(text.contains("bind 10.0.0.2\n"), "{text}");
        assert_eq!(
            sentinels_from(&cluster[2], &cluster),
            ["10.0.0.3:26379", "10.0.0.1:26379", "10.0.0.2:26379"]
        );
    }
}

//! etcd's abilities on a real local cluster, as later nemeses will use
//! them: find the leader, kill it (gone, a new leader is elected, it comes
//! back), pause a member (stopped, resumes). Needs root.

use crate::local_cluster::root_or_skip;
use faultline::cluster::{self, ClusterSpec};
use faultline::control::SshRemote;
use faultline_core::{Client, Db, Kill, Node, OpType, Pause, Remote};
use faultline_systems::etcd::{client_url, find_leader, pid_file, EtcdClient, EtcdDb};
use std::time::{Duration, Instant};

/// Removes the cluster however the test ends.
struct Down(&'static str);
impl Drop for Down {
    fn drop(&mut self) {
        let _ = cluster::down(self.0);
    }
}

/// The state letter of etcd's process on `node` (`S`, `T`...), or `None` when it is gone.
fn process_state(remote: &dyn Remote, node: &Node) -> Option<char> {
    let command = format!(
        "ps -o stat= -p $(cat {}) 2>/dev/null",
        pid_file(node).display()
    );
    let out = remote.exec(&command, Duration::from_secs(10)).unwrap();
    out.stdout.trim().chars().next().filter(|&c| c != 'Z')
}

async fn serves(node: &Node) -> bool {
    let client = EtcdClient::new(&client_url(node), Duration::from_secs(1), false);
    client
        .invoke("read", Some("probe"), &serde_json::Value::Null)
        .await
        .kind
        == OpType::Ok
}

async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_restart_pause_and_resume_etcd_members() {
    if !root_or_skip("kill_restart_pause_and_resume_etcd_members") {
        return;
    }
    let _ = cluster::down("itab");
    let spec = ClusterSpec {
        name: "itab".into(),
        nodes: 3,
        subnet: "10.84.0".into(),
    };
    let nodes_file = cluster::up(&spec).expect("cluster up");
    let _down = Down("itab");
    let nodes = nodes_file.nodes.clone();
    let remotes: Vec<SshRemote> = nodes
        .iter()
        .map(|n| SshRemote::connect(n, &nodes_file.ssh).unwrap())
        .collect();
    let db = EtcdDb::default();
    for (remote, node) in remotes.iter().zip(&nodes) {
        db.setup(remote, node, &nodes).unwrap();
    }
    for node in &nodes {
        assert!(
            eventually(Duration::from_secs(30), async || serves(node).await).await,
            "{} never served",
            node.name
        );
    }

    let mut leader = None;
    assert!(
        eventually(Duration::from_secs(10), async || {
            leader = find_leader(&nodes, Duration::from_secs(1)).await;
            leader.is_some()
        })
        .await
    );
    let leader = leader.unwrap();
    let at = nodes.iter().position(|n| n.name == leader).unwrap();

    // Kill the leader: its process is gone, another member takes over.
    db.kill(&remotes[at], &nodes[at]).unwrap();
    assert_eq!(
        process_state(&remotes[at], &nodes[at]),
        None,
        "killed process still there"
    );
    let others: Vec<Node> = nodes.iter().filter(|n| n.name != leader).cloned().collect();
    let mut next = None;
    assert!(
        eventually(Duration::from_secs(20), async || {
            next = find_leader(&others, Duration::from_secs(1)).await;
            next.is_some()
        })
        .await,
        "no new leader after killing {leader}"
    );
    assert_ne!(next.as_deref(), Some(leader.as_str()));

    // Restart it: it serves again with its data.
    db.restart(&remotes[at], &nodes[at], &nodes).unwrap();
    assert!(
        eventually(Duration::from_secs(20), async || serves(&nodes[at]).await).await,
        "{leader} did not come back"
    );

    // Pause a member: its process is stopped (T); resume: it runs and serves.
    let follower = (at + 1) % nodes.len();
    db.pause(&remotes[follower], &nodes[follower]).unwrap();
    assert_eq!(
        process_state(&remotes[follower], &nodes[follower]),
        Some('T')
    );
    assert!(!serves(&nodes[follower]).await, "a paused member answered");
    db.resume(&remotes[follower], &nodes[follower]).unwrap();
    assert_ne!(
        process_state(&remotes[follower], &nodes[follower]),
        Some('T')
    );
    assert!(
        eventually(Duration::from_secs(10), async || serves(&nodes[follower])
            .await)
        .await
    );

    for (remote, node) in remotes.iter().zip(&nodes) {
        db.teardown(remote, node).unwrap();
        assert_eq!(process_state(remote, node), None);
    }
}

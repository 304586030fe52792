//! NATS JetStream as a [`System`]: its lifecycle ([`NatsDb`]), a client
//! per process on its own node's server, health as "healthy, with
//! JetStream on this run's store", kill, pause, the stream's leader and
//! the store directory.

use super::db::MONITOR_PORT;
use super::{NatsClient, NatsDb, NatsOptions};
use crate::RunContext;
use faultline_core::{
    BoxFuture, DataDir, Db, DynClient, Kill, Node, Pause, Primaries, Remote, System,
};
use std::sync::Arc;
use std::time::Duration;

/// NATS JetStream, set up for one run.
pub struct NatsSystem {
    db: NatsDb,
    replicas: usize,
    key_prefix: String,
}

impl NatsSystem {
    /// NATS for the run `run` describes.
    pub fn new(options: NatsOptions, run: RunContext) -> NatsSystem {
        NatsSystem {
            db: NatsDb {
                launch_prefix: run.launch_prefix.clone(),
            },
            replicas: options.replicas(run.nodes.len()),
            key_prefix: run.key_prefix(),
        }
    }
}

/// The server's monitoring answer at `path` on `node`, as JSON.
async fn monitor(node: &Node, path: &str) -> Result<serde_json::Value, String> {
    let url = format!("http://{}:{MONITOR_PORT}{path}", node.host);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("no answer from {url}: {e}"))?;
    let status = answer.status();
    let body: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| format!("{url} answered {status} with no JSON: {e}"))?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url} answered {status}: {body}"))
    }
}

/// The leader `jsz` names for the stream, if this server knows one.
fn stream_leader(jsz: &serde_json::Value) -> Option<String> {
    jsz["account_details"]
        .as_array()?
        .iter()
        .flat_map(|account| account["stream_detail"].as_array().into_iter().flatten())
        .find(|stream| stream["name"] == super::client::STREAM)
        .and_then(|stream| stream["cluster"]["leader"].as_str())
        .map(str::to_owned)
}

impl System for NatsSystem {
    fn name(&self) -> &str {
        "nats"
    }

    fn db(&self) -> &dyn Db {
        &self.db
    }

    fn packages(&self) -> Vec<String> {
        vec!["nats-server".into()]
    }

    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        Box::new(NatsClient::new(
            node,
            self.replicas,
            &self.key_prefix,
            timeout,
        ))
    }

    /// `/healthz` says ok (JetStream on and current with its cluster) and
    /// `/jsz` names this run's store.
    fn serves<'a>(
        &'a self,
        _remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            monitor(node, "/healthz").await?;
            let jsz = monitor(node, "/jsz").await?;
            let store = self.db.data_dir(node).join("jetstream");
            if jsz["config"]["store_dir"].as_str() == Some(&store.display().to_string()) {
                Ok(())
            } else {
                Err(format!(
                    "a NATS this run did not configure holds its port (its store is {})",
                    jsz["config"]["store_dir"]
                ))
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

/// The stream's leader, as the first server that names one says.
impl Primaries for NatsSystem {
    fn primaries<'a>(
        &'a self,
        cluster: &'a [Node],
        _remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move {
            for node in cluster {
                if let Ok(jsz) = monitor(node, "/jsz?accounts=true&streams=true").await {
                    if let Some(leader) = stream_leader(&jsz) {
                        return vec![leader];
                    }
                }
            }
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::stream_leader;
    use serde_json::json;

    #[test]
    fn the_leader_is_read_from_the_stream_s_cluster_in_jsz() {
        let jsz = json!({"account_details": [{"name": "$G", "stream_detail": [
            {"name": "other", "cluster": {"leader": "n3"}},
            {"name": "faultline", "cluster": {"leader": "n2"}}
        ]}]});
        assert_eq!(stream_leader(&jsz).as_deref(), Some("n2"));
        assert_eq!(stream_leader(&json!({"config": {}})), None);
    }
}

//! The system under test, whichever it is: etcd (built in) or a custom
//! system from a TOML file. Everything else in the runner asks here for
//! the database, a client, the primaries and whether the nodes serve.

use super::config::TestConfig;
use super::Remotes;
use crate::custom::db::CustomDb;
use crate::custom::http_client::HttpClient;
use crate::custom::program_client::ProgramClient;
use faultline_core::{Abilities, Client, Completion, Node, OpType, Value};
use faultline_workloads::etcd::identity::expected_cluster_id;
use faultline_workloads::etcd::{client_url, find_leader, EtcdClient, EtcdDb};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client of either kind.
pub enum AnyClient {
    /// etcd's JSON gateway.
    Etcd(EtcdClient),
    /// A custom system's client program.
    Program(Box<ProgramClient>),
    /// A custom system's REST API.
    Http(Box<HttpClient>),
}

impl Client for AnyClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        match self {
            AnyClient::Etcd(c) => c.invoke(f, key, value).await,
            AnyClient::Program(c) => c.invoke(f, key, value).await,
            AnyClient::Http(c) => c.invoke(f, key, value).await,
        }
    }
}

/// A custom system's commands (without launch environment: for health,
/// primary and client templates).
fn commands(config: &TestConfig, custom: &crate::custom::CustomConfig) -> CustomDb {
    CustomDb {
        db: custom.db.clone(),
        cluster: config.nodes.clone(),
        launch_env: BTreeMap::new(),
    }
}

/// A client of `node` with the test's operation timeout.
pub fn client_for(config: &TestConfig, node: &Node, timeout: Duration) -> AnyClient {
    match &config.custom {
        Some(custom) => {
            let db = commands(config, custom);
            let values = db.values(node);
            match (&custom.client.http, &custom.client.program) {
                (Some(http), _) => {
                    let base = crate::custom::config::render(&http.base, &values);
                    AnyClient::Http(Box::new(HttpClient::new(http.clone(), base, timeout)))
                }
                (None, program) => {
                    let command = crate::custom::config::render(
                        program.as_deref().unwrap_or("false"),
                        &values,
                    );
                    AnyClient::Program(Box::new(ProgramClient::new(
                        command,
                        node.name.clone(),
                        timeout,
                    )))
                }
            }
        }
        None => AnyClient::Etcd(
            EtcdClient::new(&client_url(node), timeout, config.serializable_reads)
                .with_key_prefix(&config.key_prefix()),
        ),
    }
}

/// The database, with per-node launch prefixes (libfaketime's) in effect.
pub fn database(
    config: &TestConfig,
    launch_prefix: BTreeMap<String, String>,
) -> Arc<dyn Abilities> {
    match &config.custom {
        Some(custom) => Arc::new(CustomDb {
            db: custom.db.clone(),
            cluster: config.nodes.clone(),
            // `env A=1 B=2 ` → exported before the start command.
            launch_env: launch_prefix
                .into_iter()
                .map(|(node, prefix)| (node, prefix.trim().trim_start_matches("env ").to_owned()))
                .collect(),
        }),
        None => Arc::new(EtcdDb {
            binary: config.etcd_binary.clone(),
            launch_prefix,
            cluster_token: config.cluster_token(),
        }),
    }
}

/// The nodes that are primary now (etcd: the leader; custom: where the
/// `primary` command passes).
pub async fn primaries(config: &TestConfig, remotes: &Remotes) -> Vec<String> {
    match &config.custom {
        None => find_leader(&config.nodes, Duration::from_secs(2))
            .await
            .into_iter()
            .collect(),
        Some(custom) => {
            let db = commands(config, custom);
            let (nodes, remotes) = (config.nodes.clone(), remotes.clone());
            tokio::task::spawn_blocking(move || {
                nodes
                    .iter()
                    .zip(remotes.iter())
                    .filter(|(node, remote)| db.is_primary(remote.as_ref(), node))
                    .map(|(node, _)| node.name.clone())
                    .collect()
            })
            .await
            .unwrap_or_default()
        }
    }
}

/// Whether `node`'s etcd serves and is this run's own: it answers a read,
/// and reports the cluster ID that this run's nodes and token make (an
/// etcd left by another run, still holding the port, reports another).
async fn etcd_serves_this_run(config: &TestConfig, node: &Node) -> (bool, String) {
    let client = EtcdClient::new(&client_url(node), Duration::from_secs(2), false);
    let probe = client
        .invoke("read", Some("faultline-health"), &Value::Null)
        .await;
    if probe.kind != OpType::Ok {
        return (false, probe.error.unwrap_or_default());
    }
    let expected = expected_cluster_id(&config.nodes, &config.cluster_token());
    match client.identity().await {
        Ok((cluster, _)) if cluster == expected => (true, String::new()),
        Ok((cluster, _)) => (
            false,
            format!(
                "it answers for cluster {cluster:x}, not this run's {expected:x}: an etcd this run did not start holds its client port"
            ),
        ),
        Err(e) => (false, e),
    }
}

/// Waits (bounded by `within`) until every node serves: etcd answers a
/// read as a member of this run's cluster, a custom system's health
/// command passes with the process the run started alive.
pub async fn wait_healthy(
    config: &TestConfig,
    remotes: &Remotes,
    within: Duration,
) -> anyhow::Result<()> {
    let start = Instant::now();
    for (i, node) in config.nodes.iter().enumerate() {
        loop {
            let (ok, why) = match &config.custom {
                None => etcd_serves_this_run(config, node).await,
                Some(custom) => {
                    let db = commands(config, custom);
                    let (remote, node) = (remotes[i].clone(), node.clone());
                    let ok =
                        tokio::task::spawn_blocking(move || db.healthy(remote.as_ref(), &node))
                            .await
                            .unwrap_or(false);
                    (ok, "the health command did not pass".to_owned())
                }
            };
            if ok {
                break;
            }
            if start.elapsed() > within {
                anyhow::bail!(
                    "{} did not serve within {} s ({why}); see its log in the run directory",
                    node.name,
                    within.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!(
        "every node serves after {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

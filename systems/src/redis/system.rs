//! Redis as a [`System`]: its lifecycle ([`RedisDb`]), a client per
//! process, health as "answers PING in the role this run gave it", kill,
//! pause, the primary (the first node) and its data directory.

use super::{sentinel, RedisClient, RedisDb, RedisOptions, RedisReads};
use crate::RunContext;
use faultline_core::{
    BoxFuture, DataDir, Db, DynClient, Kill, Node, Pause, Primaries, Remote, System,
};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;
use std::time::Duration;

/// Redis, set up for one run.
pub struct RedisSystem {
    db: RedisDb,
    nodes: Vec<Node>,
    options: RedisOptions,
    workload: WorkloadKind,
    key_prefix: String,
}

impl RedisSystem {
    /// Redis for the run `run` describes.
    pub fn new(options: RedisOptions, run: RunContext) -> RedisSystem {
        RedisSystem {
            db: RedisDb {
                persistence: options.persistence,
                launch_prefix: run.launch_prefix.clone(),
                sentinel: options.sentinel,
            },
            key_prefix: run.key_prefix(),
            workload: run.workload,
            nodes: run.nodes,
            options,
        }
    }

    fn primary(&self) -> &Node {
        &self.nodes[0]
    }
}

impl System for RedisSystem {
    fn name(&self) -> &str {
        "redis"
    }

    fn db(&self) -> &dyn Db {
        &self.db
    }

    fn packages(&self) -> Vec<String> {
        vec!["redis-server".into()]
    }

    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        let reads = (self.options.reads == RedisReads::Local).then_some(node);
        let client = RedisClient::new(
            self.primary(),
            reads,
            self.workload,
            &self.key_prefix,
            timeout,
        );
        Box::new(if self.options.sentinel {
            client.with_sentinels(sentinel::sentinels_from(node, &self.nodes))
        } else {
            client
        })
    }

    /// It answers `ROLE` as this run made it: the first node `master`,
    /// every other a `slave` (a replica) of it.
    fn serves<'a>(
        &'a self,
        _remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let url = format!("redis://{}:{}/", node.host, super::db::PORT);
            let mut connection = super::client::connect(&url, Duration::from_secs(2))
                .await
                .map_err(|e| format!("cannot connect: {e}"))?;
            let role: Vec<redis::Value> = redis::cmd("ROLE")
                .query_async(&mut connection)
                .await
                .map_err(|e| e.to_string())?;
            let name = match role.first() {
                Some(redis::Value::BulkString(bytes)) => {
                    String::from_utf8_lossy(bytes).into_owned()
                }
                Some(redis::Value::SimpleString(text)) => text.clone(),
                other => return Err(format!("ROLE answered {other:?}")),
            };
            // Sentinels move the primary: either role is this run's.
            if self.options.sentinel && (name == "master" || name == "slave") {
                return Ok(());
            }
            let expected = if node.name == self.primary().name {
                "master"
            } else {
                "slave"
            };
            if name == expected {
                Ok(())
            } else {
                Err(format!("it is a {name}, not a {expected}: a Redis this run did not start holds its port"))
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

/// The primary: the first node, or under `--sentinel` the one the
/// sentinels name (none when no sentinel answers: nothing to aim at).
impl Primaries for RedisSystem {
    fn primaries<'a>(
        &'a self,
        _cluster: &'a [Node],
        _remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move {
            if !self.options.sentinel {
                return vec![self.primary().name.clone()];
            }
            let sentinels = sentinel::sentinels_from(self.primary(), &self.nodes);
            let Ok(address) = sentinel::current_primary(&sentinels, Duration::from_secs(1)).await
            else {
                return Vec::new();
            };
            self.nodes
                .iter()
                .filter(|n| address == format!("{}:{}", n.host, super::db::PORT))
                .map(|n| n.name.clone())
                .collect()
        })
    }
}

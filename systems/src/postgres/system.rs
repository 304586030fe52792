//! PostgreSQL as a [`System`]: its lifecycle ([`PostgresDb`]), a client
//! per process, health as "answers in the role this run gave it", kill,
//! pause, the primary (the first node) and its data directory.

use super::{PostgresClient, PostgresDb, PostgresOptions, PostgresReads};
use crate::RunContext;
use faultline_core::{
    BoxFuture, DataDir, Db, DynClient, Kill, Node, Pause, Primaries, Remote, System,
};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;
use std::time::Duration;

/// PostgreSQL, set up for one run.
pub struct PostgresSystem {
    db: PostgresDb,
    nodes: Vec<Node>,
    options: PostgresOptions,
    workload: WorkloadKind,
}

impl PostgresSystem {
    /// PostgreSQL for the run `run` describes.
    pub fn new(options: PostgresOptions, run: RunContext) -> PostgresSystem {
        PostgresSystem {
            db: PostgresDb {
                replication: options.replication,
                // The run's own: a client of another run cannot log in.
                password: format!("faultline-{}", run.run_id),
                launch_prefix: run.launch_prefix.clone(),
            },
            workload: run.workload,
            nodes: run.nodes,
            options,
        }
    }

    fn primary(&self) -> &Node {
        &self.nodes[0]
    }
}

impl System for PostgresSystem {
    fn name(&self) -> &str {
        "postgres"
    }

    fn db(&self) -> &dyn Db {
        &self.db
    }

    fn packages(&self) -> Vec<String> {
        vec!["postgresql".into()]
    }

    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        let reads = (self.options.reads == PostgresReads::Local).then_some(node);
        Box::new(PostgresClient::new(
            self.primary(),
            reads,
            self.workload,
            self.options.isolation,
            &self.db.password,
            timeout,
        ))
    }

    /// It answers as this run made it: the first node the primary, every
    /// other a standby in recovery (`pg_is_in_recovery()`).
    fn serves<'a>(
        &'a self,
        _remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut config = tokio_postgres::Config::new();
            config
                .host(&node.host)
                .port(super::db::PORT)
                .user(super::db::ROLE)
                .password(&self.db.password)
                .dbname(super::db::ROLE)
                .connect_timeout(Duration::from_secs(2));
            let check = async {
                let (client, connection) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| format!("cannot connect: {e}"))?;
                tokio::spawn(connection);
                let row = client
                    .query_one("SELECT pg_is_in_recovery()", &[])
                    .await
                    .map_err(|e| e.to_string())?;
                row.try_get::<_, bool>(0).map_err(|e| e.to_string())
            };
            let in_recovery = tokio::time::timeout(Duration::from_secs(5), check)
                .await
                .map_err(|_| "no answer within 5 s".to_owned())??;
            let primary = node.name == self.primary().name;
            match (primary, in_recovery) {
                (true, false) | (false, true) => Ok(()),
                (true, true) => Err("the primary is in recovery".into()),
                (false, false) => {
                    Err("it is not a standby: it no longer follows the primary".into())
                }
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

/// The primary is the first node, always (no failover in this suite).
impl Primaries for PostgresSystem {
    fn primaries<'a>(
        &'a self,
        _cluster: &'a [Node],
        _remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move { vec![self.primary().name.clone()] })
    }
}

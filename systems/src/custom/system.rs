//! A TOML-described system as a [`System`]: its `[db]` commands, a client
//! program or the built-in HTTP client, health as "the process the run
//! started is alive and the health command passes". Kill and pause work
//! through `{pidfile}`, which `db.start` must write; finding primaries
//! needs `db.primary`, and membership changes `db.leave` and `db.join`.

use super::config::render;
use super::db::CustomDb;
use super::http_client::HttpClient;
use super::program_client::ProgramClient;
use super::CustomConfig;
use crate::RunContext;
use faultline_core::{
    BoxFuture, Db, DynClient, Kill, MemberChange, Membership, Node, Pause, Primaries, Remote,
    System,
};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;
use std::time::Duration;

/// A custom system, set up for one run.
pub struct CustomSystem {
    config: CustomConfig,
    db: Arc<CustomDb>,
}

impl CustomSystem {
    /// The system `config` describes, for the run `run` describes.
    pub fn new(config: CustomConfig, run: RunContext) -> CustomSystem {
        let db = CustomDb {
            db: config.db.clone(),
            workload: config.workload.name.clone(),
            cluster: run.nodes,
            // `env A=1 B=2 ` → exported before the start command.
            launch_env: run
                .launch_prefix
                .into_iter()
                .map(|(node, prefix)| (node, prefix.trim().trim_start_matches("env ").to_owned()))
                .collect(),
        };
        CustomSystem {
            config,
            db: Arc::new(db),
        }
    }
}

impl System for CustomSystem {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn db(&self) -> &dyn Db {
        self.db.as_ref()
    }

    fn packages(&self) -> Vec<String> {
        self.config.db.packages.clone()
    }

    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        let values = self.db.values(node);
        let client = &self.config.client;
        match (&client.http, &client.program) {
            (Some(http), _) => {
                let base = render(&http.base, &values);
                Box::new(HttpClient::new(http.clone(), base, timeout))
            }
            (None, program) => {
                let command = render(program.as_deref().unwrap_or("false"), &values);
                let workload = self
                    .config
                    .workload
                    .name
                    .parse()
                    .unwrap_or(WorkloadKind::Register);
                Box::new(
                    ProgramClient::new(command, node.name.clone(), timeout).with_workload(workload),
                )
            }
        }
    }

    fn serves<'a>(
        &'a self,
        remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        let (db, node) = (self.db.clone(), node.clone());
        Box::pin(async move {
            let healthy = tokio::task::spawn_blocking(move || db.healthy(remote.as_ref(), &node))
                .await
                .unwrap_or(false);
            if healthy {
                Ok(())
            } else {
                Err("the health command did not pass".to_owned())
            }
        })
    }

    fn kill(&self) -> Option<&dyn Kill> {
        Some(self.db.as_ref())
    }

    fn pause(&self) -> Option<&dyn Pause> {
        Some(self.db.as_ref())
    }

    fn data_dir(&self) -> Option<&dyn faultline_core::DataDir> {
        Some(self.db.as_ref())
    }

    fn primaries(&self) -> Option<&dyn Primaries> {
        self.config
            .db
            .primary
            .as_ref()
            .map(|_| self as &dyn Primaries)
    }

    fn membership(&self) -> Option<&dyn Membership> {
        // Both or neither: the configuration checks it.
        self.config
            .db
            .leave
            .as_ref()
            .map(|_| self as &dyn Membership)
    }
}

/// `db.leave` and `db.join`, run on the node that leaves or joins.
impl Membership for CustomSystem {
    fn leave<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        leaving: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>> {
        self.run_member_command(self.config.db.leave.clone(), cluster, remotes, leaving)
    }

    fn join<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        joining: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>> {
        self.run_member_command(self.config.db.join.clone(), cluster, remotes, joining)
    }
}

impl CustomSystem {
    fn run_member_command<'a>(
        &'a self,
        template: Option<String>,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        at: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>> {
        let (db, node, remote) = (self.db.clone(), cluster[at].clone(), remotes[at].clone());
        Box::pin(async move {
            let template = template.ok_or("[db] has no leave and join")?;
            tokio::task::spawn_blocking(move || {
                db.change_membership(&template, remote.as_ref(), &node)
            })
            .await
            .map_err(|e| e.to_string())?
        })
    }
}

/// The nodes where `db.primary` passes.
impl Primaries for CustomSystem {
    fn primaries<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>> {
        let (db, nodes, remotes) = (self.db.clone(), cluster.to_vec(), remotes.to_vec());
        Box::pin(async move {
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
        })
    }
}

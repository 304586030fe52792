//! etcd as a [`System`]: its lifecycle ([`EtcdDb`]), a client of its v3
//! JSON gateway, health as "answers a read as a member of this run's
//! cluster", and every ability (kill, pause, its leader as primary, membership).

use super::identity::expected_cluster_id;
use super::{client_url, find_leader, EtcdClient, EtcdDb};
use crate::RunContext;
use faultline_core::{
    BoxFuture, Client, DataDir, Db, DynClient, Kill, MemberChange, Membership, Node, OpType, Pause,
    Primaries, Remote, System, Value,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// etcd's own options (`test etcd`, `test-all etcd`, `demo`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct EtcdOptions {
    /// Read with etcd's serializable (local, possibly stale) reads.
    #[arg(long)]
    pub serializable_reads: bool,
    /// Upload this etcd binary instead of using the nodes' own.
    #[arg(long = "etcd-binary")]
    pub binary: Option<PathBuf>,
}

/// etcd, set up for one run.
pub struct EtcdSystem {
    db: EtcdDb,
    nodes: Vec<Node>,
    options: EtcdOptions,
    key_prefix: String,
    workload: faultline_workloads::WorkloadKind,
}

impl EtcdSystem {
    /// etcd for the run `run` describes.
    pub fn new(options: EtcdOptions, run: RunContext) -> EtcdSystem {
        EtcdSystem {
            db: EtcdDb {
                binary: options.binary.clone(),
                launch_prefix: run.launch_prefix.clone(),
                cluster_token: run.cluster_token(),
            },
            key_prefix: run.key_prefix(),
            workload: run.workload,
            nodes: run.nodes,
            options,
        }
    }
}

impl System for EtcdSystem {
    fn name(&self) -> &str {
        "etcd"
    }

    fn db(&self) -> &dyn Db {
        &self.db
    }

    fn packages(&self) -> Vec<String> {
        // An uploaded --etcd-binary needs no package.
        match self.options.binary {
            Some(_) => Vec::new(),
            None => vec!["etcd-server".into()],
        }
    }

    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        Box::new(
            EtcdClient::new(&client_url(node), timeout, self.options.serializable_reads)
                .with_key_prefix(&self.key_prefix)
                .with_workload(self.workload),
        )
    }

    /// It answers a read, and reports the cluster ID that this run's nodes
    /// and token make (an etcd left by another run, still holding the
    /// port, reports another).
    fn serves<'a>(
        &'a self,
        _remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let client = EtcdClient::new(&client_url(node), Duration::from_secs(2), false);
            let probe = client
                .invoke("read", Some("faultline-health"), &Value::Null)
                .await;
            if probe.kind != OpType::Ok {
                return Err(probe.error.unwrap_or_default());
            }
            let expected = expected_cluster_id(&self.nodes, self.db.token());
            match client.identity().await {
                Ok((cluster, _)) if cluster == expected => Ok(()),
                Ok((cluster, _)) => Err(format!(
                    "it answers for cluster {cluster:x}, not this run's {expected:x}: an etcd this run did not start holds its client port"
                )),
                Err(e) => Err(e),
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

    fn membership(&self) -> Option<&dyn Membership> {
        Some(self)
    }

    fn data_dir(&self) -> Option<&dyn DataDir> {
        Some(&self.db)
    }

    fn ignores_faketime(&self) -> Option<&str> {
        Some("etcd is a Go program and reads the clock without libc, so libfaketime does not move its clock")
    }
}

/// The primary is the leader: the member whose status names itself.
impl Primaries for EtcdSystem {
    fn primaries<'a>(
        &'a self,
        cluster: &'a [Node],
        _remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move {
            find_leader(cluster, Duration::from_secs(2))
                .await
                .into_iter()
                .collect()
        })
    }
}

impl Membership for EtcdSystem {
    fn leave<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        leaving: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>> {
        Box::pin(super::membership::leave(
            &self.db, cluster, remotes, leaving,
        ))
    }

    fn join<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        joining: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>> {
        Box::pin(super::membership::join(&self.db, cluster, remotes, joining))
    }
}

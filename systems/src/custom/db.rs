//! A database described by `[db]` commands: each run on the node over its
//! `Remote`, with the placeholders filled in for that node. Kill and pause
//! act on the pid the start command wrote to `{pidfile}`.

use super::config::{render, DbSection};
use crate::pidfile;
use faultline_core::shell::ShellQuoted;
use faultline_core::{Db, DbError, Kill, Node, Pause, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(30);
const INSTALL: Duration = Duration::from_secs(300);

/// The custom database.
#[derive(Clone, Debug)]
pub struct CustomDb {
    /// The commands.
    pub db: DbSection,
    /// Every node (for `{nodes}`, `{hosts}`, `{peers}`).
    pub cluster: Vec<Node>,
    /// Per node name, environment exported before the start command
    /// (libfaketime for clock faults).
    pub launch_env: BTreeMap<String, String>,
}

impl CustomDb {
    /// Where the start command writes the process id on `node`.
    pub fn pidfile(node: &Node) -> PathBuf {
        node.dir.join("db.pid")
    }

    /// The placeholder values for `node`.
    pub fn values(&self, node: &Node) -> Vec<(&'static str, String)> {
        let names: Vec<&str> = self.cluster.iter().map(|n| n.name.as_str()).collect();
        let hosts: Vec<&str> = self.cluster.iter().map(|n| n.host.as_str()).collect();
        let peers: Vec<String> = self
            .cluster
            .iter()
            .map(|n| {
                render(
                    &self.db.peer,
                    &[("node", n.name.clone()), ("host", n.host.clone())],
                )
            })
            .collect();
        vec![
            ("node", node.name.clone()),
            ("host", node.host.clone()),
            ("nodes", names.join(",")),
            ("hosts", hosts.join(",")),
            ("peers", peers.join(",")),
            ("data_dir", node.dir.join("db").display().to_string()),
            ("dir", node.dir.display().to_string()),
            ("pidfile", Self::pidfile(node).display().to_string()),
        ]
    }

    fn command(&self, template: &str, node: &Node) -> String {
        render(template, &self.values(node))
    }

    fn start(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        let env = self
            .launch_env
            .get(&node.name)
            .map_or(String::new(), |e| format!("export {e}; "));
        remote.run(
            &format!("{env}{}", self.command(&self.db.start, node)),
            SHORT,
        )?;
        Ok(())
    }

    /// Whether `node` serves and it is this run's process that does: the
    /// PID the start command wrote to `{pidfile}` is alive and the health
    /// command passes.
    pub fn healthy(&self, remote: &dyn Remote, node: &Node) -> bool {
        let alive = format!(
            "kill -0 \"$(cat {} 2>/dev/null)\" 2>/dev/null",
            Self::pidfile(node).quoted()
        );
        let passes = |command: &str| remote.exec(command, SHORT).is_ok_and(|out| out.status == 0);
        passes(&alive) && passes(&self.command(&self.db.health, node))
    }

    /// Stops and wipes what an earlier run left (`--leave-db-running`, a
    /// killed faultline): the process in the pidfile, then the `stop` and
    /// `wipe` commands.
    fn stop_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::stop(remote, &Self::pidfile(node))?;
        if let Some(stop) = &self.db.stop {
            // Nothing may be running: a failing stop is no error here.
            remote.exec(&self.command(stop, node), SHORT)?;
        }
        if let Some(wipe) = &self.db.wipe {
            remote.run(&self.command(wipe, node), SHORT)?;
        }
        Ok(())
    }

    /// Whether the primary command says `node` is primary now.
    pub fn is_primary(&self, remote: &dyn Remote, node: &Node) -> bool {
        self.db.primary.as_ref().is_some_and(|p| {
            remote
                .exec(&self.command(p, node), SHORT)
                .is_ok_and(|out| out.status == 0)
        })
    }
}

impl Db for CustomDb {
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        self.stop_leftovers(remote, node)
    }

    fn setup(&self, remote: &dyn Remote, node: &Node, _cluster: &[Node]) -> Result<(), DbError> {
        let data = node.dir.join("db");
        self.stop_leftovers(remote, node)?;
        remote.run(
            &format!(
                "mkdir -p {} && rm -rf {}/* {}",
                node.dir.quoted(),
                data.quoted(),
                Self::pidfile(node).quoted()
            ),
            SHORT,
        )?;
        remote.run(&format!("mkdir -p {}", data.quoted()), SHORT)?;
        if let Some(install) = &self.db.install {
            remote.run(&self.command(install, node), INSTALL)?;
        }
        self.start(remote, node)
    }

    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        match &self.db.stop {
            Some(stop) => {
                remote.run(&self.command(stop, node), SHORT)?;
            }
            None => pidfile::stop(remote, &Self::pidfile(node))?,
        }
        let wipe = self
            .db
            .wipe
            .clone()
            .unwrap_or_else(|| "rm -rf {data_dir}".into());
        remote.run(
            &format!(
                "{}; rm -f {}",
                self.command(&wipe, node),
                Self::pidfile(node).quoted()
            ),
            SHORT,
        )?;
        Ok(())
    }

    fn log_files(&self, node: &Node) -> Vec<PathBuf> {
        self.db
            .log_files
            .iter()
            .map(|f| PathBuf::from(self.command(f, node)))
            .collect()
    }
}

impl Kill for CustomDb {
    fn kill(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::signal_and_wait(remote, &Self::pidfile(node), "KILL", 10)?;
        Ok(())
    }

    fn restart(&self, remote: &dyn Remote, node: &Node, _cluster: &[Node]) -> Result<(), DbError> {
        self.start(remote, node)
    }
}

impl Pause for CustomDb {
    fn pause(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::signal(remote, &Self::pidfile(node), "STOP")
    }

    fn resume(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::signal(remote, &Self::pidfile(node), "CONT")
    }

    fn is_paused(&self, remote: &dyn Remote, node: &Node) -> Result<bool, DbError> {
        pidfile::stopped(remote, &Self::pidfile(node))
    }
}

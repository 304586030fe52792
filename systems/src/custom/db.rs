//! A database described by `[db]` commands: each run on the node over its
//! `Remote`, with the placeholders filled in for that node. Kill and pause
//! act on the pid the start command wrote to `{pidfile}`.

use super::config::{render, DbSection};
use crate::pidfile;
use faultline_core::shell::ShellQuoted;
use faultline_core::{Db, DbError, MemberChange, Node, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(30);
/// The exit status of a `leave` or `join` the cluster refused (EX_TEMPFAIL).
pub const REFUSED: i32 = 75;
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
    /// `{workload}`: the workload's name (a client program that serves
    /// several learns which one it runs).
    pub workload: String,
}

impl CustomDb {
    /// Where the start command writes the process id on `node`.
    pub fn pidfile(node: &Node) -> PathBuf {
        node.dir.join("db.pid")
    }

    /// `{data_dir}` on `node`: where the disk fault mounts its filesystem.
    pub fn data_dir(node: &Node) -> PathBuf {
        node.dir.join("db")
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
            ("data_dir", Self::data_dir(node).display().to_string()),
            ("dir", node.dir.display().to_string()),
            ("pidfile", Self::pidfile(node).display().to_string()),
            ("workload", self.workload.clone()),
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

    /// Runs the `leave` or `join` command on `node`: done, refused by the
    /// cluster (exit 75), or failed.
    pub fn change_membership(
        &self,
        template: &str,
        remote: &dyn Remote,
        node: &Node,
    ) -> Result<MemberChange, String> {
        let out = remote
            .exec(&self.command(template, node), SHORT)
            .map_err(|e| e.to_string())?;
        let said = |text: &str| {
            let text = text.trim();
            let tail: Vec<&str> = text.lines().rev().take(3).collect();
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        };
        match out.status {
            0 => Ok(MemberChange::Done(said(&out.stdout))),
            REFUSED => Ok(MemberChange::Refused(said(&out.stderr))),
            status => Err(format!(
                "{}: exited with {status}: {}",
                node.name,
                said(&out.stderr)
            )),
        }
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
        let data = Self::data_dir(node);
        self.stop_leftovers(remote, node)?;
        remote.run(
            &format!(
                "mkdir -p {} && {} && rm -f {}",
                node.dir.quoted(),
                crate::wipe::wipe_data_dir(&data),
                Self::pidfile(node).quoted()
            ),
            SHORT,
        )?;
        remote.run(&format!("mkdir -p {}", data.quoted()), SHORT)?;
        if !self.db.packages.is_empty() {
            let packages: Vec<&str> = self.db.packages.iter().map(String::as_str).collect();
            let install = faultline_core::packages::apt_install_command(&packages);
            remote.run(&install, INSTALL)?;
        }
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
        let wipe = match &self.db.wipe {
            Some(wipe) => self.command(wipe, node),
            None => crate::wipe::wipe_data_dir(&Self::data_dir(node)),
        };
        remote.run(
            &format!("{wipe}; rm -f {}", Self::pidfile(node).quoted()),
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

impl faultline_core::DataDir for CustomDb {
    fn data_dir(&self, node: &Node) -> PathBuf {
        Self::data_dir(node)
    }

    fn corruptible(&self) -> Vec<String> {
        self.db.corrupt_files.clone()
    }
}

pidfile::pidfile_abilities!(
    CustomDb,
    CustomDb::pidfile,
    |db: &CustomDb, remote: &dyn Remote, node: &Node, _cluster: &[Node]| db.start(remote, node)
);

#[cfg(test)]
mod tests {
    //! `leave` and `join` run through an in-process fake remote that runs
    //! commands in a local `sh` (no SSH).
    use super::*;
    use faultline_core::{CommandOutput, RemoteError};
    use std::path::Path;

    struct LocalShell;

    impl Remote for LocalShell {
        fn node(&self) -> &str {
            "n1"
        }
        fn exec(&self, command: &str, _: Duration) -> Result<CommandOutput, RemoteError> {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .output()?;
            Ok(CommandOutput {
                status: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
        fn upload(&self, _: &Path, _: &Path) -> Result<(), RemoteError> {
            unimplemented!("not used")
        }
        fn download(&self, _: &Path, _: &Path) -> Result<(), RemoteError> {
            unimplemented!("not used")
        }
    }

    #[test]
    fn a_member_command_is_done_refused_on_75_or_failed() {
        let node = Node {
            name: "n1".into(),
            host: "10.0.0.1".into(),
            dir: PathBuf::from("/tmp"),
        };
        let db: DbSection =
            toml::from_str("start = \"x & echo $! > {pidfile}\"\nhealth = \"true\"").unwrap();
        let db = CustomDb {
            db,
            cluster: vec![node.clone()],
            launch_env: BTreeMap::new(),
            workload: "register".into(),
        };
        let run = |template: &str| db.change_membership(template, &LocalShell, &node);
        assert_eq!(
            run("echo removed {node} at {host}"),
            Ok(MemberChange::Done("removed n1 at 10.0.0.1".into()))
        );
        assert_eq!(
            run("echo no quorum >&2; exit 75"),
            Ok(MemberChange::Refused("no quorum".into()))
        );
        let failed = run("echo cannot reach >&2; exit 3").unwrap_err();
        assert!(failed.contains("exited with 3: cannot reach"), "{failed}");
    }
}

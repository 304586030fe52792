//! The Db protocol: a database's lifecycle on one node, and optional abilities.

use crate::{Node, Remote, RemoteError};
use std::path::PathBuf;
use thiserror::Error;

/// Why a database action failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DbError {
    /// Reaching the node failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The database did not come up.
    #[error("{node}: {message}")]
    NotRunning {
        /// Which node.
        node: String,
        /// What was seen.
        message: String,
    },
}

/// Installs, starts and removes a database on a node. `clear_leftovers`
/// runs on every node, then `setup` on every node, before the test;
/// `teardown` after it (and on the way out of any failure), and must be
/// safe when setup never happened.
pub trait Db: Send + Sync {
    /// Stops and wipes whatever an earlier run left on the node (a database
    /// left running, a faultline killed mid-run). The runner does this on
    /// every node before setting any up, so that no process of an earlier
    /// run talks to a new one. Default: [`Db::teardown`].
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        self.teardown(remote, node)
    }

    /// Installs if missing, configures for `cluster`, starts in the background.
    fn setup(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError>;

    /// Stops the database and wipes its data.
    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError>;

    /// Files on the node worth keeping with the run (logs).
    fn log_files(&self, node: &Node) -> Vec<PathBuf>;
}

/// Ability: kill the process and start it again.
pub trait Kill: Db {
    /// Kills the database process (SIGKILL) and waits until it is gone.
    fn kill(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError>;
    /// Starts it again with its existing data.
    fn restart(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError>;
    /// Whether the process started last is gone (it exited on its own, as
    /// a database does on data it refuses). Default: cannot tell, so a
    /// restart is waited on for its whole allowance.
    fn exited(&self, _remote: &dyn Remote, _node: &Node) -> Result<bool, DbError> {
        Ok(false)
    }
}

/// Ability: pause the process (SIGSTOP) and resume it.
pub trait Pause: Db {
    /// Pauses the database process.
    fn pause(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError>;
    /// Resumes it.
    fn resume(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError>;
    /// Whether the process is stopped now, to verify a resume. Default:
    /// cannot tell, so a resume that ran is taken as done.
    fn is_paused(&self, _remote: &dyn Remote, _node: &Node) -> Result<bool, DbError> {
        Ok(false)
    }
}

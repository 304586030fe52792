//! The Remote protocol: running commands on a node and moving files.

use std::path::Path;
use std::time::Duration;
use thiserror::Error;

/// What a command printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit status (non-zero is not an error at this level).
    pub status: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Why a remote action failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The node could not be reached or the session broke.
    #[error("{node}: cannot reach the node over SSH: {message}")]
    Unreachable {
        /// Which node.
        node: String,
        /// What the transport said.
        message: String,
    },
    /// The command ran longer than allowed.
    #[error("{node}: `{}` did not finish within {seconds} s", brief(command))]
    Timeout {
        /// Which node.
        node: String,
        /// The command.
        command: String,
        /// The limit.
        seconds: u64,
    },
    /// The command ran and failed.
    #[error("{node}: `{}` exited with {status}: {stderr}", brief(command))]
    Failed {
        /// Which node.
        node: String,
        /// The command.
        command: String,
        /// Its exit status.
        status: i32,
        /// The end of what it printed on stderr.
        stderr: String,
    },
    /// A file could not be read or written on the controller.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The start of a long command, for one-line messages.
fn brief(command: &str) -> String {
    let first: String = command.chars().take(72).collect();
    if first.len() < command.len() {
        format!("{first}…")
    } else {
        first
    }
}

/// Runs commands on one node. Implementations keep a session open and
/// reconnect on transport errors.
pub trait Remote: Send + Sync {
    /// The node's name.
    fn node(&self) -> &str;

    /// Runs a shell command (through sudo when not root); a non-zero exit
    /// status is reported in the output, not as an error.
    fn exec(&self, command: &str, timeout: Duration) -> Result<CommandOutput, RemoteError>;

    /// Runs a command and fails unless it exits 0; returns its stdout.
    fn run(&self, command: &str, timeout: Duration) -> Result<String, RemoteError> {
        let out = self.exec(command, timeout)?;
        if out.status == 0 {
            return Ok(out.stdout);
        }
        let tail: String = out
            .stderr
            .trim()
            .chars()
            .rev()
            .take(300)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(RemoteError::Failed {
            node: self.node().to_owned(),
            command: command.to_owned(),
            status: out.status,
            stderr: tail,
        })
    }

    /// Copies a local file to `remote` on the node.
    fn upload(&self, local: &Path, remote: &Path) -> Result<(), RemoteError>;

    /// Copies `remote` on the node to a local file.
    fn download(&self, remote: &Path, local: &Path) -> Result<(), RemoteError>;
}

/// The remotes of a run, one per node in the nodes' order, shared with
/// blocking tasks.
pub type Remotes = std::sync::Arc<Vec<std::sync::Arc<dyn Remote>>>;

/// Runs `action` on every node at once (node index given), each on a
/// thread of its own; the errors, as text.
pub fn on_every_node<T: Send, E: std::fmt::Display + Send>(
    remotes: &[std::sync::Arc<dyn Remote>],
    action: impl Fn(&dyn Remote, usize) -> Result<T, E> + Sync,
) -> Vec<String> {
    std::thread::scope(|scope| {
        let action = &action;
        let handles: Vec<_> = remotes
            .iter()
            .enumerate()
            .map(|(i, r)| scope.spawn(move || action(r.as_ref(), i)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| match h.join() {
                Ok(result) => result.err().map(|e| e.to_string()),
                Err(_) => Some("a node's action panicked".to_owned()),
            })
            .collect()
    })
}

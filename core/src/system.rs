//! The System protocol: the thing under test, whichever it is. Its
//! lifecycle on a node ([`Db`]), a client per process, whether a node
//! serves as a member of this run, and optional abilities the nemeses
//! ask for at run time (kill, pause, finding the primaries, membership). The runner
//! holds an `Arc<dyn System>` and never learns which system it drives.

use crate::{Completion, Db, Kill, Node, Pause, Remote, Value};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A future a trait object can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The system under test.
pub trait System: Send + Sync {
    /// Its name in messages (`etcd`, a TOML file's `name`).
    fn name(&self) -> &str;

    /// Its lifecycle on a node.
    fn db(&self) -> &dyn Db;

    /// The Debian packages every node needs for it (none when it brings
    /// its own program). On a local cluster, whose nodes share the
    /// controller's filesystem and reach no package mirror, they are
    /// installed once on the controller before any node starts; remote
    /// nodes install what they miss themselves.
    fn packages(&self) -> Vec<String> {
        Vec::new()
    }

    /// A client of `node` whose operations take at most `timeout`.
    fn client(&self, node: &Node, timeout: Duration) -> Box<dyn DynClient>;

    /// Whether `node` serves, and serves as this run's member (not a
    /// process an earlier run left on the port); `Err` says why not.
    fn serves<'a>(
        &'a self,
        remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Ability: kill and restart the process.
    fn kill(&self) -> Option<&dyn Kill> {
        None
    }

    /// Ability: pause and resume the process.
    fn pause(&self) -> Option<&dyn Pause> {
        None
    }

    /// Ability: say which nodes are primary now (the `primaries` target).
    fn primaries(&self) -> Option<&dyn Primaries> {
        None
    }

    /// Ability: a member leaves the cluster and joins it again.
    fn membership(&self) -> Option<&dyn Membership> {
        None
    }

    /// Ability: say where the database keeps its durable state (the disk
    /// fault mounts its filesystem there).
    fn data_dir(&self) -> Option<&dyn DataDir> {
        None
    }

    /// Why clock faults applied through libfaketime will not reach this
    /// system, when they will not (a Go program reads the clock without
    /// libc).
    fn ignores_faketime(&self) -> Option<&str> {
        None
    }
}

/// Ability: the directory on a node that holds the database's durable
/// state, for the disk fault to mount its filesystem over before the
/// database starts. The database's own wipes must empty it, not remove
/// it (a mount point cannot be removed).
pub trait DataDir: Send + Sync {
    /// The directory on `node`.
    fn data_dir(&self, node: &Node) -> PathBuf;
    /// The files the `corrupt` disk fault chooses from, as patterns
    /// relative to the directory (`*` within one path segment). Default:
    /// none named, so any file.
    fn corruptible(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Ability: finding the nodes that are primary now.
pub trait Primaries: Send + Sync {
    /// The names of the nodes that are primary now (may be none: an
    /// election, a partition). `remotes` are in `cluster`'s order.
    fn primaries<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
    ) -> BoxFuture<'a, Vec<String>>;
}

/// What a membership change did, or why the database refused it (it
/// needs a quorum: under a partition it may not be possible). A refusal
/// is an answer of the system under test, not a failure of the harness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Done: what was done, for the history.
    Done(String),
    /// Refused by the cluster: why; nothing changed.
    Refused(String),
}

/// Ability: a member leaves the cluster and joins it again (etcd's
/// `member remove` and `member add`): the fault that changes who votes.
/// `remotes` are in `cluster`'s order; `Err` is a failure of the harness
/// (a node that could not be reached, a process that did not stop).
pub trait Membership: Send + Sync {
    /// Takes `cluster[leaving]` out of the cluster: removed from the
    /// membership through a member that stays, its process stopped and
    /// its data wiped.
    fn leave<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        leaving: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>>;

    /// Adds `cluster[joining]` back as a new member, and starts it with an
    /// empty data directory joining the cluster as it now is.
    fn join<'a>(
        &'a self,
        cluster: &'a [Node],
        remotes: &'a [Arc<dyn Remote>],
        joining: usize,
    ) -> BoxFuture<'a, Result<MemberChange, String>>;
}

/// A [`crate::Client`] as a trait object: what [`System::client`] returns.
/// Every `Client` is one.
pub trait DynClient: Send + Sync {
    /// Performs `f` with `value` on `key` (see [`crate::Client::invoke`]).
    fn invoke_dyn<'a>(
        &'a self,
        f: &'a str,
        key: Option<&'a str>,
        value: &'a Value,
    ) -> BoxFuture<'a, Completion>;
}

impl<C: crate::Client> DynClient for C {
    fn invoke_dyn<'a>(
        &'a self,
        f: &'a str,
        key: Option<&'a str>,
        value: &'a Value,
    ) -> BoxFuture<'a, Completion> {
        Box::pin(self.invoke(f, key, value))
    }
}

//! The System protocol: the thing under test, whichever it is. Its
//! lifecycle on a node ([`Db`]), a client per process, whether a node
//! serves as a member of this run, and optional abilities the nemeses
//! ask for at run time (kill, pause, finding the primaries). The runner
//! holds an `Arc<dyn System>` and never learns which system it drives.

use crate::{Completion, Db, Kill, Node, Pause, Remote, Value};
use std::future::Future;
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

    /// Why clock faults applied through libfaketime will not reach this
    /// system, when they will not (a Go program reads the clock without
    /// libc).
    fn ignores_faketime(&self) -> Option<&str> {
        None
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

//! The Client protocol: performing one operation against the system.

use crate::{OpType, Value};
use std::future::Future;

/// How an operation ended, as the client saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// `Ok`, `Fail` (certainly did not happen) or `Info` (unknown).
    pub kind: OpType,
    /// The result (for ok) or the argument again.
    pub value: Value,
    /// Why it failed or is unknown.
    pub error: Option<String>,
    /// The client asks its process to wait this long before the next
    /// operation (a client program's `"backoff_ms"`: reconnecting, say).
    pub backoff: Option<std::time::Duration>,
    /// The system would not serve at all (a refused connection; a client
    /// program's `"unavailable": true`): the process backs off while this
    /// repeats. An ordinary failure (a failed compare, a conflict) is not.
    pub unavailable: bool,
}

impl Completion {
    /// It happened, with this result.
    pub fn ok(value: Value) -> Completion {
        Completion {
            kind: OpType::Ok,
            value,
            error: None,
            backoff: None,
            unavailable: false,
        }
    }

    /// It certainly did not happen.
    pub fn fail(value: Value, error: impl Into<String>) -> Completion {
        Completion {
            kind: OpType::Fail,
            value,
            error: Some(error.into()),
            backoff: None,
            unavailable: false,
        }
    }

    /// It certainly did not happen: the system would not serve.
    pub fn unavailable(value: Value, error: impl Into<String>) -> Completion {
        Completion {
            unavailable: true,
            ..Completion::fail(value, error)
        }
    }

    /// It may or may not have happened.
    pub fn info(value: Value, error: impl Into<String>) -> Completion {
        Completion {
            kind: OpType::Info,
            value,
            error: Some(error.into()),
            backoff: None,
            unavailable: false,
        }
    }
}

/// Performs operations against one node of the system. A client never
/// panics on the system's failures: they are completions (fail or info).
pub trait Client: Send + Sync {
    /// Performs `f` with `value` on `key`.
    fn invoke(
        &self,
        f: &str,
        key: Option<&str>,
        value: &Value,
    ) -> impl Future<Output = Completion> + Send;
}

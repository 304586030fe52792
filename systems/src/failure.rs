//! Why an operation of a built-in client did not complete, and how the
//! history records each reason: shared by the built-in clients,
//! each of which decides which reason applies.

use faultline_core::{Completion, Value};

/// Why an operation did not complete.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Never reached the server: certainly not applied; the node is
    /// unavailable (the runner backs off).
    Unreachable(String),
    /// Certainly not applied.
    Certain(String),
    /// It may have been applied.
    Unknown(String),
}

impl Failure {
    /// The completion the history records, carrying `value`.
    pub(crate) fn completion(self, value: Value) -> Completion {
        match self {
            Failure::Unreachable(why) => Completion::unavailable(value, why),
            Failure::Certain(why) => Completion::fail(value, why),
            Failure::Unknown(why) => Completion::info(value, why),
        }
    }
}

/// How a write-like operation ended, as the history records it: applied,
/// certainly not (`refused`: a compare that did not hold), or `failure`.
pub(crate) fn write_completion(
    outcome: Result<bool, Failure>,
    value: Value,
    refused: &str,
) -> Completion {
    match outcome {
        Ok(true) => Completion::ok(value),
        Ok(false) => Completion::fail(value, refused),
        Err(failure) => failure.completion(value),
    }
}

/// How a read ended: a read that did not return changed nothing, so it
/// failed, whatever the reason (unavailable when the node was unreachable).
pub(crate) fn read_completion(outcome: Result<Value, Failure>) -> Completion {
    match outcome {
        Ok(read) => Completion::ok(read),
        Err(Failure::Unreachable(why)) => Completion::unavailable(Value::Null, why),
        Err(Failure::Certain(why) | Failure::Unknown(why)) => Completion::fail(Value::Null, why),
    }
}

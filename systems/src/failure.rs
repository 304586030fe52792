//! Why an operation of a built-in client did not complete, and how the
//! history records each reason: shared by the Redis and PostgreSQL clients,
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

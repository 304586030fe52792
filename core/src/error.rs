//! Typed errors for reading and interpreting histories.

use thiserror::Error;

/// A history's events do not pair into operations.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum HistoryError {
    /// A completion arrived for a process with no operation in flight.
    #[error("{at}: process {process} completes ({kind}) an operation it never invoked; every ok/fail/info needs an earlier invoke by the same process")]
    CompletionWithoutInvoke {
        /// Where.
        at: String,
        /// Which process.
        process: String,
        /// ok, fail or info.
        kind: &'static str,
    },
    /// A process invoked a second operation before the first completed.
    #[error("{at}: process {process} invokes again while its operation from event {previous} is still in flight; a process runs one operation at a time (retire it with an info completion first)")]
    DoubleInvoke {
        /// Where.
        at: String,
        /// Which process.
        process: String,
        /// Event position of the operation still open.
        previous: usize,
    },
    /// The completion names another function than its invocation.
    #[error("{at}: process {process} completes `{completed}` but invoked `{invoked}`; a completion must repeat its invocation's f")]
    MismatchedCompletion {
        /// Where.
        at: String,
        /// Which process.
        process: String,
        /// f of the completion.
        completed: String,
        /// f of the invocation.
        invoked: String,
    },
}

/// A history file could not be read.
#[derive(Debug, Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line where the problem is.
    pub line: usize,
    /// What is wrong, and how to fix it where that is clear.
    pub message: String,
}

impl ParseError {
    /// An error at `line`.
    pub fn new(line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

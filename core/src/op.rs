//! One event of a history: the invocation or the completion of an operation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The values operations carry: `null`, integers, strings, lists and maps.
/// EDN keywords become strings without their colon.
pub type Value = serde_json::Value;

/// What an event says about its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// The operation was started.
    Invoke,
    /// The operation took effect, with the completion's value as its result.
    Ok,
    /// The operation certainly did not take effect.
    Fail,
    /// The outcome is unknown: it may take effect at any time after its
    /// invocation, or never.
    Info,
}

impl OpType {
    /// The lowercase name used on disk (`invoke`, `ok`, `fail`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }
}

/// Who performed an operation: a numbered client process or the nemesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Process {
    /// A client process. A process runs one operation at a time.
    Client(u64),
    /// The fault injector.
    Nemesis,
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(n) => write!(f, "{n}"),
            Process::Nemesis => f.write_str("nemesis"),
        }
    }
}

// On disk a process is an integer, or the string "nemesis", as in Jepsen.
impl Serialize for Process {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Process::Client(n) => s.serialize_u64(*n),
            Process::Nemesis => s.serialize_str("nemesis"),
        }
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) if n.as_u64().is_some() => {
                Ok(Process::Client(n.as_u64().unwrap_or(0)))
            }
            Value::String(s) if s == "nemesis" => Ok(Process::Nemesis),
            other => Err(serde::de::Error::custom(format!(
                "process must be a non-negative integer or \"nemesis\", not {other}"
            ))),
        }
    }
}

/// One event: an operation's invocation or its completion.
///
/// Read strictly: a field it does not know is an error, and so is a missing
/// `value`, because a misspelled `"valeu"` read as a `nil` result would turn
/// a valid history invalid without a word.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// Position of this event in its history, from 0 (renumbered on read).
    #[serde(default)]
    pub index: u64,
    /// Nanoseconds since the test started (monotonic clock).
    #[serde(default)]
    pub time: u64,
    /// Who performed it.
    pub process: Process,
    /// Invocation or which kind of completion.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// The function: `read`, `write`, `cas`, `append`, `start-partition`...
    pub f: String,
    /// The argument (on invoke) or the result (on completion); required,
    /// `null` when there is none.
    pub value: Value,
    /// The independent object the operation acts on, when the workload has
    /// many (checkers may check each key on its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Why it failed or is unknown, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The node the client talked to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl Op {
    /// An event with the required fields; the optional ones empty.
    pub fn new(process: Process, kind: OpType, f: impl Into<String>, value: Value) -> Op {
        Op {
            index: 0,
            time: 0,
            process,
            kind,
            f: f.into(),
            value,
            key: None,
            error: None,
            node: None,
        }
    }

    /// The same event acting on `key`.
    pub fn with_key(mut self, key: impl Into<String>) -> Op {
        self.key = Some(key.into());
        self
    }
}

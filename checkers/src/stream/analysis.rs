//! What the stream checker found, as results.json holds it.

use faultline_core::{Validity, Value};
use serde::{Deserialize, Serialize};

/// Cases described in full per kind (the counts are exact).
pub const CASES_SHOWN: usize = 32;

/// The stream checker's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamAnalysis {
    /// The verdict.
    pub valid: Validity,
    /// `stream`, or `stream (reads may lag)`.
    pub model: String,
    /// Reads from the start are promised to be current: a message they
    /// miss refutes (unseen, vanished). Where reads may lag (replicas),
    /// those cases are counted and shown, not held against the system.
    pub reads_are_current: bool,
    /// Streams (keys) checked.
    pub streams: usize,
    /// Sends invoked.
    pub sent: u64,
    /// Sends acknowledged with their offset.
    pub acknowledged: u64,
    /// Polls that returned.
    pub polls: u64,
    /// Messages those polls returned, repeats included.
    pub messages_read: u64,
    /// Acknowledged messages no poll returned and no read from the start
    /// began after they were acknowledged: nothing is claimed about them.
    pub never_read: u64,
    /// Two different messages at one offset of a stream.
    pub inconsistent_offsets: Found,
    /// One message at two offsets of a stream.
    pub duplicate: Found,
    /// Acknowledged, at or below the highest offset any poll of its stream
    /// returned, and returned by none.
    pub lost_write: Found,
    /// Acknowledged and returned by no poll, though a read of its stream
    /// from the start began after it was acknowledged and returned.
    pub unseen: Found,
    /// Returned by a poll, then missed by a read of its stream from the
    /// start begun after it was known (acknowledged or read).
    pub vanished: Found,
    /// A consumer read two messages in turn with others between them.
    pub poll_skip: Found,
    /// A consumer read a message at or before one it had already read.
    pub nonmonotonic_poll: Found,
    /// A producer's acknowledged send sat at or before its previous one.
    pub nonmonotonic_send: Found,
    /// A poll returned a message whose send failed.
    pub aborted_read: Found,
    /// A poll returned a message no one sent to its stream.
    pub unexpected: Found,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The cases of one kind: how many, and the first described.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// How many.
    pub count: u64,
    /// The first [`CASES_SHOWN`], in the order they happened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Case>,
}

impl Found {
    pub(crate) fn push(&mut self, case: Case) {
        self.count += 1;
        if self.cases.len() < CASES_SHOWN {
            self.cases.push(case);
        }
    }

    pub(crate) fn sort(&mut self) {
        self.cases.sort_by_key(|c| (c.witness, c.send));
    }
}

/// One case and the operations that show it. Positions are event indices
/// in the history (the timeline's `#event-N`); offsets are as the system
/// gave them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The message the case is about (for a skip, the first one skipped).
    pub value: Value,
    /// Where it sits (every offset, for a duplicate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offsets: Vec<String>,
    /// The other messages involved: every message at the offset
    /// (inconsistent offsets), the messages skipped (poll skip), the
    /// message read or sent before (nonmonotonic).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<Value>,
    /// Invocation of the send of `value`, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<usize>,
    /// Its acknowledgement: where a lost message became a promise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<usize>,
    /// Invocation of the earlier operation of the pair: the poll or send
    /// before, for skips and nonmonotonic cases; the operation whose
    /// completion made a vanished message known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<usize>,
    /// Invocation of the operation that shows the case: the poll that read
    /// past a lost message, the read from the start that missed an unseen
    /// one, the poll or send that skipped or went back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<usize>,
    /// The node that operation ran on, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness_node: Option<String>,
}

impl StreamAnalysis {
    /// The kinds of case, by name, each with what was found.
    pub fn kinds(&self) -> [(&'static str, &Found); 10] {
        [
            ("lost-write", &self.lost_write),
            ("unseen", &self.unseen),
            ("vanished", &self.vanished),
            ("inconsistent-offsets", &self.inconsistent_offsets),
            ("duplicate", &self.duplicate),
            ("poll-skip", &self.poll_skip),
            ("nonmonotonic-poll", &self.nonmonotonic_poll),
            ("nonmonotonic-send", &self.nonmonotonic_send),
            ("aborted-read", &self.aborted_read),
            ("unexpected", &self.unexpected),
        ]
    }

    /// The kinds found that refute the history, in order.
    pub fn refuting(&self) -> Vec<(&'static str, &Found)> {
        self.kinds()
            .into_iter()
            .filter(|(kind, found)| found.count > 0 && self.refutes(kind))
            .collect()
    }

    /// The kinds found that the system's promise allows (a lagging read
    /// from the start missing messages), in order.
    pub fn allowed(&self) -> Vec<(&'static str, &Found)> {
        self.kinds()
            .into_iter()
            .filter(|(kind, found)| found.count > 0 && !self.refutes(kind))
            .collect()
    }

    /// Whether a case of `kind` refutes: all do, but for what a lagging
    /// read from the start shows where reads may lag.
    pub fn refutes(&self, kind: &str) -> bool {
        self.reads_are_current || !matches!(kind, "unseen" | "vanished")
    }

    /// `3 lost-write, 1 poll-skip`, or empty.
    pub fn refuted_text(&self) -> String {
        self.refuting()
            .iter()
            .map(|(name, found)| format!("{} {name}", found.count))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

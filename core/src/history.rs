//! A history: the ordered events of a test, and the operations they pair into.

use crate::op::{Op, OpType, Process, Value};
use crate::HistoryError;

/// The events of one test, in the order they happened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    events: Vec<Op>,
    /// The source line of each event (1-based), when read from a file.
    lines: Vec<usize>,
}

/// What became of an operation, the single place where `info` is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Took effect; `output` holds the result.
    Ok,
    /// Did not take effect.
    Fail,
    /// May have taken effect at any time after its invocation, or never:
    /// an `info` completion or an operation still pending when the history ends.
    Unknown,
}

/// An invocation paired with its completion, borrowing from the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Operation<'h> {
    /// Who performed it.
    pub process: Process,
    /// The function invoked.
    pub f: &'h str,
    /// The independent object it acted on, if any.
    pub key: Option<&'h str>,
    /// The invocation's value (the argument).
    pub input: &'h Value,
    /// The completion's value when the outcome is `Ok`.
    pub output: Option<&'h Value>,
    /// What became of it.
    pub outcome: Outcome,
    /// Position of the invocation in the history.
    pub invoke: usize,
    /// Position of the completion, if there was one.
    pub complete: Option<usize>,
    /// The completion's error, if any.
    pub error: Option<&'h str>,
    /// The node the client talked to, if recorded.
    pub node: Option<&'h str>,
}

impl<'h> Operation<'h> {
    /// The operation `event` (at `position`) invokes, not yet completed.
    fn invoked(event: &'h Op, position: usize) -> Operation<'h> {
        Operation {
            process: event.process,
            f: &event.f,
            key: event.key.as_deref(),
            input: &event.value,
            output: None,
            outcome: Outcome::Unknown,
            invoke: position,
            complete: None,
            error: None,
            node: event.node.as_deref(),
        }
    }
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// A history of these events, in order; event indexes are renumbered.
    pub fn from_events(events: impl IntoIterator<Item = Op>) -> History {
        let mut history = History::new();
        for event in events {
            history.push(event, 0);
        }
        history
    }

    /// Appends an event read from `line` (0 when it has no source line),
    /// giving it the next index.
    pub fn push(&mut self, mut event: Op, line: usize) {
        event.index = self.events.len() as u64;
        self.events.push(event);
        self.lines.push(line);
    }

    /// The events, in order.
    pub fn events(&self) -> &[Op] {
        &self.events
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when there are no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The source line of event `position`, if it was read from a file.
    pub fn line_of(&self, position: usize) -> Option<usize> {
        self.lines.get(position).copied().filter(|&l| l > 0)
    }

    /// Removes client completions without an earlier invocation by the same
    /// process; returns a warning for each, naming where it was.
    pub fn drop_orphan_completions(&mut self) -> Vec<String> {
        let mut busy: ahash::AHashSet<Process> = ahash::AHashSet::new();
        let mut keep = Vec::with_capacity(self.events.len());
        let mut warnings = Vec::new();
        for (position, event) in self.events.iter().enumerate() {
            let orphan = match (event.process, event.kind) {
                (Process::Nemesis, _) => false,
                (p, OpType::Invoke) => {
                    busy.insert(p);
                    false
                }
                (p, _) => !busy.remove(&p),
            };
            if orphan {
                let at = Location {
                    event: position,
                    line: self.line_of(position),
                };
                warnings.push(format!(
                    "{at}: process {} completes ({}) an operation it never invoked; skipped",
                    event.process,
                    event.kind.as_str()
                ));
            }
            keep.push(!orphan);
        }
        if !warnings.is_empty() {
            let old = std::mem::take(self);
            for ((event, line), keep) in old.events.into_iter().zip(old.lines).zip(keep) {
                if keep {
                    self.push(event, line);
                }
            }
        }
        warnings
    }

    /// Pairs every invocation with its completion, in invocation order.
    /// Nemesis events are fault markers: a completion without invocation
    /// (Jepsen's nemeses long logged only `:info`) stands alone unless the
    /// nemesis's next event is an `info` with the same `f`, which completes
    /// it (Jepsen writes a nemesis operation so), and a new invocation
    /// leaves an unfinished one pending.
    /// Operations still pending at the end have the outcome `Unknown`.
    pub fn operations(&self) -> Result<Vec<Operation<'_>>, HistoryError> {
        let mut ops: Vec<Operation> = Vec::with_capacity(self.events.len() / 2 + 1);
        let mut pairing = crate::Pairing::new();
        for (position, event) in self.events.iter().enumerate() {
            let at = || {
                Location {
                    event: position,
                    line: self.line_of(position),
                }
                .to_string()
            };
            match pairing.pair(position, event, at)? {
                crate::Paired::Invoked { .. } => ops.push(Operation::invoked(event, position)),
                crate::Paired::Marker { .. } => ops.push(Operation {
                    complete: Some(position),
                    error: event.error.as_deref(),
                    ..Operation::invoked(event, position)
                }),
                crate::Paired::Completed { id, outcome } => {
                    let op = &mut ops[id];
                    op.complete = Some(position);
                    op.error = event.error.as_deref();
                    op.outcome = outcome;
                    // Some recorders name the node only on the completion.
                    op.node = op.node.or(event.node.as_deref());
                    if outcome == Outcome::Ok {
                        op.output = Some(&event.value);
                    }
                }
            }
        }
        Ok(ops)
    }
}

/// Where an event is, for error messages.
struct Location {
    event: usize,
    line: Option<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}"),
            None => write!(f, "event {}", self.event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(p: u64, kind: OpType, f: &str, v: Value) -> Op {
        Op::new(Process::Client(p), kind, f, v)
    }

    /// Jepsen writes a nemesis operation as two `info` events with one
    /// `f`: the second completes the first. A lone one stays a marker.
    #[test]
    fn jepsen_nemesis_info_pairs_are_one_operation() {
        let nemesis = |f: &str, v: Value| Op::new(Process::Nemesis, OpType::Info, f, v);
        let h = History::from_events([
            nemesis("kill", json!(null)),
            ev(0, OpType::Invoke, "read", json!(null)),
            nemesis("kill", json!({"n1": "killed"})),
            ev(0, OpType::Ok, "read", json!(1)),
            nemesis("start", json!(null)),
            nemesis("start", json!({"n1": "started"})),
            nemesis("final-reads", json!(null)),
            nemesis("kill", json!(null)),
        ]);
        let ops = h.operations().unwrap();
        let nemesis_ops: Vec<(&str, usize, Option<usize>)> = ops
            .iter()
            .filter(|o| o.process == Process::Nemesis)
            .map(|o| (o.f, o.invoke, o.complete))
            .collect();
        assert_eq!(
            nemesis_ops,
            [
                ("kill", 0, Some(2)),
                ("start", 4, Some(5)),
                ("final-reads", 6, Some(6)),
                ("kill", 7, Some(7))
            ]
        );
    }

    #[test]
    fn pairs_invocations_with_completions_and_treats_pending_as_unknown() {
        let h = History::from_events([
            ev(0, OpType::Invoke, "write", json!(1)),
            ev(1, OpType::Invoke, "read", json!(null)),
            ev(0, OpType::Ok, "write", json!(1)),
            ev(2, OpType::Invoke, "cas", json!([1, 2])),
            ev(1, OpType::Info, "read", json!(null)),
            ev(2, OpType::Fail, "cas", json!([1, 2])),
            ev(3, OpType::Invoke, "write", json!(4)),
        ]);
        let ops = h.operations().unwrap();
        assert_eq!(ops.len(), 4);
        assert_eq!(
            (ops[0].outcome, ops[0].output, ops[0].complete),
            (Outcome::Ok, Some(&json!(1)), Some(2))
        );
        assert_eq!(ops[1].outcome, Outcome::Unknown);
        assert_eq!(ops[2].outcome, Outcome::Fail);
        assert_eq!((ops[3].outcome, ops[3].complete), (Outcome::Unknown, None));
    }

    #[test]
    fn rejects_a_completion_without_invocation() {
        let h = History::from_events([ev(0, OpType::Ok, "read", json!(1))]);
        let err = h.operations().unwrap_err().to_string();
        assert!(
            err.contains("process 0") && err.contains("never invoked"),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_second_invocation_by_a_busy_process() {
        let h = History::from_events([
            ev(0, OpType::Invoke, "read", json!(null)),
            ev(0, OpType::Invoke, "read", json!(null)),
        ]);
        assert!(matches!(
            h.operations(),
            Err(HistoryError::DoubleInvoke { .. })
        ));
    }
}

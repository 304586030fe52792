//! Pairing invocations with completions one event at a time, so that a
//! history can be read as a stream (a report of millions of operations
//! never holds them all) and still be interpreted exactly as
//! [`History::operations`](crate::History::operations) does: this is the
//! one place where `info` becomes [`Outcome::Unknown`] and where nemesis
//! markers are allowed to stand alone.

use crate::error::HistoryError;
use crate::op::{Op, OpType, Process};
use crate::Outcome;

/// What one event did to the operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paired {
    /// It invoked operation `id` (numbered from 0 in invocation order).
    Invoked {
        /// The operation.
        id: usize,
    },
    /// It completed operation `id`.
    Completed {
        /// The operation.
        id: usize,
        /// Ok, fail, or unknown (`info`).
        outcome: Outcome,
    },
    /// A nemesis completion with no invocation (Jepsen's nemeses long
    /// logged only `:info`): operation `id`, invoked and completed here.
    Marker {
        /// The operation.
        id: usize,
    },
}

/// Pairs a history's events as they come.
#[derive(Debug, Default)]
pub struct Pairing {
    /// Each busy process: its open operation, where it was invoked, and
    /// its `f` (a position in `fs`).
    open: ahash::AHashMap<Process, (usize, usize, usize)>,
    /// The operation names seen: few, so each open operation holds a
    /// number, not a copy.
    fs: Vec<String>,
    next: usize,
    /// The nemesis's last event, when it was a lone `info` (operation id,
    /// its `f` in `fs`): Jepsen writes a nemesis operation as two `info`
    /// events with one `f`, the second its completion.
    lone_marker: Option<(usize, usize)>,
}

impl Pairing {
    /// A pairing before any event.
    pub fn new() -> Pairing {
        Pairing::default()
    }

    /// Operations invoked so far.
    pub fn operations(&self) -> usize {
        self.next
    }

    /// Takes the event at `position`; `at` says where that is in words, for
    /// errors. Operations still open at the end are pending: their outcome
    /// is unknown.
    pub fn pair(
        &mut self,
        position: usize,
        event: &Op,
        at: impl Fn() -> String,
    ) -> Result<Paired, HistoryError> {
        let marker = event.process == Process::Nemesis;
        let lone_marker = if marker {
            self.lone_marker.take()
        } else {
            self.lone_marker
        };
        if marker && event.kind != OpType::Invoke && !self.open.contains_key(&event.process) {
            // Jepsen's `:info :kill nil` then `:info :kill {"n1" :killed}`:
            // one operation, invoked by the first and completed by the second.
            if let Some((id, _)) = lone_marker.filter(|&(_, f)| self.fs[f] == event.f) {
                return Ok(Paired::Completed {
                    id,
                    outcome: Outcome::Unknown,
                });
            }
            let id = self.take_id();
            self.lone_marker = Some((id, self.f_index(&event.f)));
            return Ok(Paired::Marker { id });
        }
        // A new nemesis invocation leaves an unfinished one pending.
        if marker && event.kind == OpType::Invoke {
            self.open.remove(&event.process);
        }
        match event.kind {
            OpType::Invoke => {
                if let Some((_, previous, _)) = self.open.get(&event.process) {
                    return Err(HistoryError::DoubleInvoke {
                        at: at(),
                        process: event.process.to_string(),
                        previous: *previous,
                    });
                }
                let id = self.take_id();
                let f = self.f_index(&event.f);
                self.open.insert(event.process, (id, position, f));
                Ok(Paired::Invoked { id })
            }
            kind => {
                let Some((id, _, f)) = self.open.remove(&event.process) else {
                    return Err(HistoryError::CompletionWithoutInvoke {
                        at: at(),
                        process: event.process.to_string(),
                        kind: kind.as_str(),
                    });
                };
                if self.fs[f] != event.f && !marker {
                    return Err(HistoryError::MismatchedCompletion {
                        at: at(),
                        process: event.process.to_string(),
                        completed: event.f.clone(),
                        invoked: self.fs[f].clone(),
                    });
                }
                let outcome = match kind {
                    OpType::Ok => Outcome::Ok,
                    OpType::Fail => Outcome::Fail,
                    _ => Outcome::Unknown,
                };
                Ok(Paired::Completed { id, outcome })
            }
        }
    }

    /// `f`'s position in `fs`, added when new.
    fn f_index(&mut self, f: &str) -> usize {
        match self.fs.iter().position(|known| known == f) {
            Some(at) => at,
            None => {
                self.fs.push(f.to_owned());
                self.fs.len() - 1
            }
        }
    }

    fn take_id(&mut self) -> usize {
        self.next += 1;
        self.next - 1
    }
}

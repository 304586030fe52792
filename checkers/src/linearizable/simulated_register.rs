//! Large histories of a simulated linearizable store of compare-and-set
//! registers, shaped like a long faultline register run: many keys, many
//! processes, reads, writes and cas with distinct values (as faultline's
//! register workload sets them), cas that fail on a value that moved, and
//! operations whose outcome is unknown (`info`: they took effect at some
//! moment after their invocation, possibly after the client gave up, or
//! never; the process is then replaced by a fresh one, as Jepsen does).
//! For the benchmark of `faultline check` on millions of operations.
//!
//! Each operation takes effect at one instant, reads return the state at
//! that instant and a cas succeeds when the state is its expected value, so
//! a history is linearizable by construction; [`RegisterHistory::stale`]
//! makes one read in the middle return a value that two acknowledged
//! writes before its invocation had replaced, so that it is not.
//!
//! ```
//! use faultline_checkers::linearizable::{simulated_register::RegisterHistory, ModelKind};
//! use faultline_core::{Budget, Validity};
//!
//! let spec = RegisterHistory { operations: 20_000, keys: 100, ..RegisterHistory::default() };
//! let history = faultline_core::Format::Jsonl.parse(&spec.jsonl()).unwrap().history;
//! let analysis = ModelKind::CasRegister.check(&history, &Budget::default()).unwrap();
//! assert_eq!(analysis.valid, Validity::Valid);
//! ```

use faultline_core::Rng;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// What to generate.
#[derive(Clone, Debug)]
pub struct RegisterHistory {
    /// Operations in all.
    pub operations: usize,
    /// Processes live at any time.
    pub processes: usize,
    /// Registers they share (each operation picks one at random).
    pub keys: usize,
    /// Share of operations whose outcome is unknown (0.0–1.0).
    pub infos: f64,
    /// One read in the middle returns a value replaced before it began.
    pub stale: bool,
    /// The seed: the same spec gives the same history.
    pub seed: u64,
}

impl Default for RegisterHistory {
    fn default() -> RegisterHistory {
        RegisterHistory {
            operations: 100_000,
            processes: 50,
            keys: 1_000,
            infos: 0.15,
            stale: false,
            seed: 1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum F {
    Read,
    Write,
    Cas,
}

/// One operation as simulated (times in ticks).
struct Simulated {
    process: u64,
    key: u32,
    f: F,
    /// A write's value; a cas's new value.
    value: u64,
    /// A cas's expected value (0: nil).
    expected: u64,
    invoke: u64,
    effect: Option<u64>,
    complete: u64,
    /// The outcome is unknown (`info`).
    unknown: bool,
    /// A read's result (0: nil); whether a cas took effect.
    read: u64,
    succeeded: bool,
}

/// Invocations, effects and completions fall on distinct residues (0, 1, 2
/// mod 3), so real-time order and effect order never tie.
const INVOKE: u64 = 0;
const EFFECT: u64 = 1;
const COMPLETE: u64 = 2;

impl RegisterHistory {
    /// The history as faultline's `history.jsonl`, whole.
    pub fn jsonl(&self) -> String {
        let mut out = Vec::new();
        self.write_jsonl(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("the lines are ASCII")
    }

    /// Writes the history as faultline's `history.jsonl` (one event a line,
    /// with index, time in ns, process, type, f, value, key and node).
    pub fn write_jsonl(&self, out: &mut impl Write) -> io::Result<()> {
        let mut rng = Rng::new(self.seed);
        let mut ops = self.simulate(&mut rng);
        apply_effects(&mut ops, self.keys);
        if self.stale {
            make_one_read_stale(&mut ops);
        }
        write_events(&ops, out)
    }

    fn simulate(&self, rng: &mut Rng) -> Vec<Simulated> {
        let per_million = (self.infos.clamp(0.0, 1.0) * 1e6) as u64;
        let mut next_process = self.processes as u64;
        // Per worker: its current process and when it is next free (ticks).
        let mut free: BinaryHeap<std::cmp::Reverse<(u64, u64)>> = (0..self.processes as u64)
            .map(|p| std::cmp::Reverse((rng.below(10), p)))
            .collect();
        let mut ops = Vec::with_capacity(self.operations);
        let mut value = 0u64;
        while ops.len() < self.operations {
            let Some(std::cmp::Reverse((at, process))) = free.pop() else {
                break;
            };
            let invoke = at + 1 + rng.below(5);
            let span = 1 + rng.below(20);
            let key = rng.below(self.keys.max(1) as u64) as u32;
            let f = match rng.below(10) {
                0..=3 => F::Read,
                4..=6 => F::Write,
                _ => F::Cas,
            };
            if f != F::Read {
                value += 1;
            }
            let unknown = rng.below(1_000_000) < per_million;
            let effect = if unknown {
                // Took effect, maybe after the client gave up, or never.
                (rng.below(2) == 0).then(|| invoke + rng.below(3 * span + 1))
            } else {
                Some(invoke + rng.below(span))
            };
            ops.push(Simulated {
                process,
                key,
                f,
                value,
                expected: 0,
                invoke: 3 * invoke + INVOKE,
                effect: effect.map(|t| 3 * t + EFFECT),
                complete: 3 * (invoke + span) + COMPLETE,
                unknown,
                read: 0,
                succeeded: false,
            });
            let process = if unknown {
                next_process += 1;
                next_process - 1
            } else {
                process
            };
            free.push(std::cmp::Reverse((invoke + span, process)));
        }
        ops
    }
}

/// Applies every effect in time order. A cas expects what its key held
/// when it was invoked (what its process could have read just before), so
/// most succeed and some find the value moved.
fn apply_effects(ops: &mut [Simulated], keys: usize) {
    let mut timeline: Vec<(u64, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        timeline.push((op.invoke, i));
        if let Some(t) = op.effect {
            timeline.push((t, i));
        }
    }
    timeline.sort_unstable();
    let mut state = vec![0u64; keys.max(1)];
    for (t, i) in timeline {
        let op = &mut ops[i];
        let key = op.key as usize;
        if t % 3 == INVOKE {
            op.expected = state[key];
            continue;
        }
        match op.f {
            F::Read => op.read = state[key],
            F::Write => state[key] = op.value,
            F::Cas => {
                op.succeeded = state[key] == op.expected;
                if op.succeeded {
                    state[key] = op.value;
                }
            }
        }
    }
}

/// Makes the middle read that can be made stale return a value replaced
/// by two acknowledged writes that both completed before it was invoked.
fn make_one_read_stale(ops: &mut [Simulated]) {
    // Per key: the acknowledged writes, in completion order.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_unstable_by_key(|&i| ops[i].complete);
    let mut acknowledged: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for &i in &order {
        let op = &ops[i];
        if op.f == F::Write && !op.unknown {
            acknowledged.entry(op.key).or_default().push(i);
        }
    }
    // The first read from the middle on that can be made stale.
    let stale = (ops.len() / 2..ops.len()).find_map(|i| {
        let op = &ops[i];
        if op.f != F::Read || op.unknown || op.effect.is_none() {
            return None;
        }
        let writes = acknowledged.get(&op.key)?;
        // The last two writes acknowledged before this read began, the
        // older one completed before the newer one was invoked.
        let before = writes.partition_point(|&w| ops[w].complete < op.invoke);
        let older = writes[before.checked_sub(2)?];
        let newer = writes[before - 1];
        let stale = ops[older].complete < ops[newer].invoke && op.read != ops[older].value;
        stale.then_some((i, ops[older].value))
    });
    if let Some((read, old)) = stale {
        ops[read].read = old;
    }
}

/// The invocation and completion events in time order, as JSON lines.
fn write_events(ops: &[Simulated], out: &mut impl Write) -> io::Result<()> {
    let mut timed: Vec<(u64, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        timed.push((op.invoke, i));
        timed.push((op.complete, i));
    }
    timed.sort_unstable();
    let nil = |v: u64| match v {
        0 => "null".to_owned(),
        v => v.to_string(),
    };
    for (index, &(t, i)) in timed.iter().enumerate() {
        let op = &ops[i];
        let f = match op.f {
            F::Read => "read",
            F::Write => "write",
            F::Cas => "cas",
        };
        let argument = match op.f {
            F::Read => "null".to_owned(),
            F::Write => op.value.to_string(),
            F::Cas => format!("[{},{}]", nil(op.expected), op.value),
        };
        let (kind, value) = if t % 3 == INVOKE {
            ("invoke", argument)
        } else if op.unknown {
            ("info", argument)
        } else {
            match op.f {
                F::Read => ("ok", nil(op.read)),
                F::Cas if !op.succeeded => ("fail", argument),
                _ => ("ok", argument),
            }
        };
        // A tick is a microsecond; the node is the process's, as a client
        // sticks to one.
        writeln!(
            out,
            r#"{{"index":{index},"time":{},"process":{},"type":"{kind}","f":"{f}","value":{value},"key":"r{}","node":"n{}"}}"#,
            t * 1000,
            op.process,
            op.key,
            1 + op.process % 5
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizable::ModelKind;
    use faultline_core::{Budget, Format, Outcome, Validity};

    fn parse(spec: &RegisterHistory) -> faultline_core::History {
        Format::Jsonl.parse(&spec.jsonl()).unwrap().history
    }

    #[test]
    fn histories_have_the_shape_asked_for() {
        let spec = RegisterHistory {
            operations: 20_000,
            keys: 100,
            ..RegisterHistory::default()
        };
        let history = parse(&spec);
        let ops = history.operations().unwrap();
        assert_eq!(ops.len(), 20_000);
        let unknown = ops.iter().filter(|o| o.outcome == Outcome::Unknown).count();
        let share = unknown as f64 / ops.len() as f64;
        assert!((0.13..0.17).contains(&share), "{unknown} unknown");
        let failed = ops.iter().filter(|o| o.outcome == Outcome::Fail).count();
        assert!(failed > 100, "some cas find the value moved: {failed}");
        let keys: std::collections::HashSet<_> = ops.iter().map(|o| o.key).collect();
        assert_eq!(keys.len(), 100);
        assert_eq!(spec.jsonl(), spec.jsonl(), "the seed decides");
    }

    #[test]
    fn generated_histories_get_the_verdicts_they_were_made_with() {
        for stale in [false, true] {
            let spec = RegisterHistory {
                operations: 20_000,
                keys: 50,
                stale,
                ..RegisterHistory::default()
            };
            let got = ModelKind::CasRegister
                .check(&parse(&spec), &Budget::default())
                .unwrap()
                .valid;
            let want = if stale {
                Validity::Invalid
            } else {
                Validity::Valid
            };
            assert_eq!(got, want, "stale: {stale}");
        }
    }
}

//! Histories of a simulated linearizable key-value store under contention,
//! shaped like `tests/data/reference/hot/`: many processes on few keys, gets,
//! puts and appends, and writes that time out (an invoke with no
//! completion; the write took effect at some later moment or never; the
//! process is replaced by a fresh one, as Jepsen does). For benchmarks and
//! tests of the checker at scales the shared files do not cover.
//!
//! Each operation takes effect at one instant between its invocation and
//! completion, and reads return the state at that instant, so a history is
//! linearizable by construction; [`HotHistory::corrupt`] makes one read in
//! the middle return a value nobody wrote, so that it is not.
//!
//! ```
//! use faultline_checkers::linearizable::{simulated::HotHistory, ModelKind};
//! use faultline_core::{Budget, Validity};
//!
//! let spec = HotHistory { operations: 2_000, processes: 20, timeouts: 0.3, ..HotHistory::default() };
//! let analysis = ModelKind::Kv.check(&spec.generate(), &Budget::default()).unwrap();
//! assert_eq!(analysis.valid, Validity::Valid);
//! ```

use faultline_core::{History, Op, OpType, Process, Rng};
use serde_json::{json, Value};

/// What to generate.
#[derive(Clone, Debug)]
pub struct HotHistory {
    /// Operations in all (timed-out writes included).
    pub operations: usize,
    /// Processes live at any time.
    pub processes: usize,
    /// Keys they share.
    pub keys: usize,
    /// Share of writes that time out (0.0–1.0).
    pub timeouts: f64,
    /// Every written text distinct (`x <process> <n> y`); otherwise drawn
    /// from a handful, so that a read does not tell which write it saw.
    pub unique: bool,
    /// One read in the middle returns a value nobody wrote.
    pub corrupt: bool,
    /// The seed: the same spec gives the same history.
    pub seed: u64,
}

impl Default for HotHistory {
    fn default() -> HotHistory {
        HotHistory {
            operations: 5_000,
            processes: 10,
            keys: 1,
            timeouts: 0.05,
            unique: true,
            corrupt: false,
            seed: 1,
        }
    }
}

/// One operation as simulated: times are ticks, and invocations, effects
/// and completions fall on distinct residues (0, 1, 2 mod 3), so that
/// real-time order and effect order never tie.
struct Simulated {
    process: u64,
    key: usize,
    f: &'static str,
    written: Option<String>,
    invoke: u64,
    effect: Option<u64>,
    complete: Option<u64>,
    read: Option<String>,
}

/// A text nobody writes (no written text contains `!`).
const NEVER_WRITTEN: &str = "never written!";

impl HotHistory {
    /// The history, linearizable unless [`HotHistory::corrupt`].
    pub fn generate(&self) -> History {
        let mut rng = Rng::new(self.seed);
        let mut ops = self.simulate(&mut rng);
        apply_effects(&mut ops);
        if self.corrupt {
            let reads: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].read.is_some()).collect();
            if let Some(&middle) = reads.get(reads.len() / 2) {
                ops[middle].read = Some(NEVER_WRITTEN.to_owned());
            }
        }
        History::from_events(events(&ops))
    }

    fn simulate(&self, rng: &mut Rng) -> Vec<Simulated> {
        let per_million = (self.timeouts.clamp(0.0, 1.0) * 1e6) as u64;
        let mut next_process = self.processes as u64;
        // Per worker: its current process and when it is next free (ticks).
        let mut workers: Vec<(u64, u64)> = (0..self.processes as u64)
            .map(|p| (p, rng.below(10)))
            .collect();
        let mut ops = Vec::with_capacity(self.operations);
        let mut written = 0u64;
        while ops.len() < self.operations {
            // The worker free first goes next.
            let w = (0..workers.len())
                .min_by_key(|&w| workers[w].1)
                .unwrap_or(0);
            let (process, free) = workers[w];
            let invoke = free + 1 + rng.below(5);
            let span = 1 + rng.below(20);
            let key = rng.below(self.keys.max(1) as u64) as usize;
            let f = match rng.below(100) {
                0..=2 => "put",
                3..=49 => "append",
                _ => "get",
            };
            let text = (f != "get").then(|| {
                written += 1;
                if self.unique {
                    format!("x {process} {written} y")
                } else {
                    format!("{}", rng.below(3))
                }
            });
            let timed_out = f != "get" && rng.below(1_000_000) < per_million;
            let (effect, complete) = if timed_out {
                // Took effect, maybe long after, or never.
                let effect = (rng.below(2) == 0).then(|| invoke + rng.below(3 * span + 1));
                (effect, None)
            } else {
                (Some(invoke + rng.below(span)), Some(invoke + span))
            };
            ops.push(Simulated {
                process,
                key,
                f,
                written: text,
                invoke: 3 * invoke,
                effect: effect.map(|t| 3 * t + 1),
                complete: complete.map(|t| 3 * t + 2),
                read: None,
            });
            workers[w] = if timed_out {
                next_process += 1;
                (next_process - 1, invoke + span)
            } else {
                (process, invoke + span)
            };
        }
        ops
    }
}

/// Applies every effect in time order; each get that completes reads the
/// state of its key at its effect.
fn apply_effects(ops: &mut [Simulated]) {
    let mut order: Vec<(u64, usize)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| op.effect.map(|t| (t, i)))
        .collect();
    order.sort_unstable();
    let mut state: Vec<String> = Vec::new();
    for (_, i) in order {
        let key = ops[i].key;
        if state.len() <= key {
            state.resize(key + 1, String::new());
        }
        match (ops[i].f, ops[i].written.as_deref()) {
            ("put", Some(text)) => state[key] = text.to_owned(),
            ("append", Some(text)) => state[key].push_str(text),
            _ => ops[i].read = Some(state[key].clone()),
        }
    }
}

/// The invocation and completion events, in time order.
fn events(ops: &[Simulated]) -> Vec<Op> {
    let mut timed: Vec<(u64, Op)> = Vec::with_capacity(2 * ops.len());
    for op in ops {
        let key = format!("{}", op.key);
        let argument = op.written.as_deref().map_or(Value::Null, |t| json!(t));
        timed.push((
            op.invoke,
            Op::new(
                Process::Client(op.process),
                OpType::Invoke,
                op.f,
                argument.clone(),
            )
            .with_key(key.clone()),
        ));
        if let Some(at) = op.complete {
            let result = op.read.as_deref().map_or(argument, |r| json!(r));
            timed.push((
                at,
                Op::new(Process::Client(op.process), OpType::Ok, op.f, result).with_key(key),
            ));
        }
    }
    timed.sort_by_key(|(t, _)| *t);
    timed.into_iter().map(|(_, op)| op).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizable::ModelKind;
    use faultline_core::{Budget, Outcome, Validity};

    #[test]
    fn histories_have_the_shape_asked_for() {
        let spec = HotHistory {
            operations: 3_000,
            processes: 50,
            timeouts: 0.3,
            ..HotHistory::default()
        };
        let history = spec.generate();
        let ops = history.operations().unwrap();
        assert_eq!(ops.len(), 3_000);
        let writes = ops.iter().filter(|o| o.f != "get").count();
        let timed_out = ops.iter().filter(|o| o.outcome == Outcome::Unknown).count();
        let share = timed_out as f64 / writes as f64;
        assert!((0.25..0.35).contains(&share), "{timed_out} of {writes}");
        // At most 50 processes in flight at once, and more than 50 in all.
        let processes: std::collections::HashSet<_> = ops.iter().map(|o| o.process).collect();
        assert!(processes.len() > 50 + timed_out / 2, "{}", processes.len());
        assert_eq!(history, spec.generate(), "the seed decides");
    }

    #[test]
    fn generated_histories_get_the_verdicts_they_were_made_with() {
        for corrupt in [false, true] {
            let spec = HotHistory {
                operations: 1_000,
                processes: 20,
                timeouts: 0.2,
                corrupt,
                ..HotHistory::default()
            };
            let got = ModelKind::Kv
                .check(&spec.generate(), &Budget::default())
                .unwrap()
                .valid;
            let want = if corrupt {
                Validity::Invalid
            } else {
                Validity::Valid
            };
            assert_eq!(got, want, "corrupt: {corrupt}");
        }
    }
}

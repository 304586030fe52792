//! Sets: elements added one at a time, reads that return them all. Was
//! every acknowledged element kept, and seen by every read that began
//! after it was known?
//!
//! This is Jepsen's `set-full` checker (jepsen/src/jepsen/checker.clj,
//! `set-full`, `SetFullElement`, `set-full-element-results`), per set:
//!
//! - an element is *known* at the completion of its acknowledged add or of
//!   the first read that returned it, whichever comes first;
//! - it is *stable* when its last present read was invoked after its last
//!   absent read (or no read missed it);
//! - it is *lost* when it was known, and a read invoked after it was known
//!   missed it, with no read invoked later returning it;
//! - otherwise it is *never read*: no read began after it was known (an
//!   add of unknown outcome that no read returned is one), and nothing is
//!   claimed about it;
//! - a stable element is *stale* when a read invoked after it was known
//!   missed it. Jepsen calls it stale when that read began at least 1 ms
//!   after (latencies are truncated to whole milliseconds); here any read
//!   invoked after the known completion in the history's order counts, so
//!   a stale read is never hidden by a fast network.
//!
//! Lost elements make the history invalid; stale ones too when the system
//! promises linearizable reads; and with no stable element the verdict is
//! unknown. Two more refutations come from Jepsen's simpler `set` checker
//! and its `set-full` duplicate count: an *unexpected* element (a read
//! returned it before any add of it had begun) and a *duplicated* one (a
//! single read returned it twice; Jepsen's own duplicate test, `(< v 1)`
//! on a frequency, can never fire). Each refutation is a linearizability
//! violation of a set that only grows, so no verdict here accuses a
//! linearizable history (a property test checks this against the
//! linearizability checker's set model).

mod analysis;

pub use analysis::{ElementView, Outcome, SetAnalysis, ELEMENTS_SHOWN};

use faultline_core::{CheckError, History, OpType, Outcome as OpOutcome, Process, Validity, Value};
use std::collections::{BTreeMap, HashMap};

/// Checks the `add` and `read` operations of `history`, each key a set of
/// its own. `linearizable`: stale reads refute (the system promised
/// linearizable reads).
pub fn check(history: &History, linearizable: bool) -> Result<SetAnalysis, CheckError> {
    let operations = history.operations()?;
    let at = |invoke: usize| match history.line_of(invoke) {
        Some(line) => format!("line {line}"),
        None => format!("event {invoke}"),
    };
    // Another workload's history is named as such before any value is read.
    if let Some(op) = operations
        .iter()
        .find(|op| op.process != Process::Nemesis && op.f != "add" && op.f != "read")
    {
        return Err(CheckError::Operation {
            at: at(op.invoke),
            message: format!(
                "the set checker knows `add` and `read`, not `{}`; check this history with the checker its workload needs",
                op.f
            ),
        });
    }
    // Which operation each event invokes or completes, so that the
    // events are replayed in the order they happened.
    let mut at_event: Vec<Option<(usize, bool)>> = vec![None; history.len()];
    for (i, op) in operations.iter().enumerate() {
        if op.process == Process::Nemesis {
            continue;
        }
        if op.f == "read" && op.outcome == OpOutcome::Ok && !op.output.is_some_and(Value::is_array)
        {
            return Err(CheckError::Operation {
                at: at(op.invoke),
                message: format!(
                    "an ok read must return the set's elements as a list, not {}; a client that cannot say what it read should answer info",
                    op.output.unwrap_or(&Value::Null)
                ),
            });
        }
        at_event[op.invoke] = Some((i, false));
        if let Some(done) = op.complete {
            at_event[done] = Some((i, true));
        }
    }
    let time = |position: usize| history.events()[position].time;
    let mut sets: BTreeMap<Option<&str>, Set> = BTreeMap::new();
    let mut reads = 0;
    for (position, slot) in at_event.iter().enumerate() {
        let Some((i, completion)) = *slot else {
            continue;
        };
        let op = &operations[i];
        let set = sets.entry(op.key).or_default();
        match (op.f, completion) {
            ("add", false) => set.invoke_add(op.input, position),
            ("add", true) if op.outcome == OpOutcome::Ok => {
                if let Some(&e) = set.by_value.get(&op.input.to_string()) {
                    let element = &mut set.elements[e];
                    element.acknowledged = true;
                    element.known.get_or_insert(Known {
                        completed: position,
                        time: time(position),
                        by: op.invoke,
                    });
                }
            }
            ("read", true) if history.events()[position].kind == OpType::Ok => {
                reads += 1;
                let seen = op.output.and_then(Value::as_array).map_or(&[][..], |v| v);
                set.read(
                    seen,
                    (op.invoke, time(op.invoke)),
                    (position, time(position)),
                );
            }
            _ => {}
        }
    }
    // The node each read answered on, by its invocation.
    let mut nodes: Vec<Option<&str>> = vec![None; history.len()];
    for op in operations.iter().filter(|op| op.f == "read") {
        nodes[op.invoke] = op.node;
    }
    Ok(judge(sets, reads, linearizable, &nodes))
}

/// When an element became known: the completion (position, time) of the
/// operation invoked at `by`.
#[derive(Clone, Copy, Debug)]
struct Known {
    completed: usize,
    time: u64,
    by: usize,
}

/// One element's history (positions and times of events).
#[derive(Debug)]
struct Element {
    value: Value,
    /// `value` as JSON text: how reads name it.
    text: String,
    add: usize,
    acknowledged: bool,
    known: Option<Known>,
    last_present: Option<(usize, u64)>,
    last_absent: Option<(usize, u64)>,
}

/// One set's elements, in the order their adds were invoked.
#[derive(Debug, Default)]
struct Set {
    elements: Vec<Element>,
    by_value: HashMap<String, usize>,
    unexpected: Vec<(Value, usize)>,
    duplicated: Vec<(Value, usize)>,
}

impl Set {
    fn invoke_add(&mut self, value: &Value, position: usize) {
        let text = value.to_string();
        // A retried add of the same element keeps the first.
        if !self.by_value.contains_key(&text) {
            self.by_value.insert(text.clone(), self.elements.len());
            self.elements.push(Element {
                value: value.clone(),
                text,
                add: position,
                acknowledged: false,
                known: None,
                last_present: None,
                last_absent: None,
            });
        }
    }

    /// A read invoked at `invoked` and completed at `completed` returned `seen`.
    fn read(&mut self, seen: &[Value], invoked: (usize, u64), completed: (usize, u64)) {
        let mut counts: HashMap<String, (usize, &Value)> = HashMap::new();
        for v in seen {
            counts.entry(v.to_string()).or_insert((0, v)).0 += 1;
        }
        for (text, (count, value)) in &counts {
            if *count > 1 {
                self.duplicated.push(((*value).clone(), invoked.0));
            }
            if !self.by_value.contains_key(text) {
                self.unexpected.push(((*value).clone(), invoked.0));
            }
        }
        for e in &mut self.elements {
            // Only adds begun before the read completed are in the map.
            if counts.contains_key(&e.text) {
                e.known.get_or_insert(Known {
                    completed: completed.0,
                    time: completed.1,
                    by: invoked.0,
                });
                e.last_present = e.last_present.max(Some(invoked));
            } else {
                e.last_absent = e.last_absent.max(Some(invoked));
            }
        }
    }
}

/// An element's fate, Jepsen's `set-full-element-results`.
enum Fate {
    Stable { stale: bool, latency_ms: f64 },
    Lost { latency_ms: f64 },
    NeverRead,
}

fn fate(e: &Element) -> Fate {
    let ms = |later: u64, earlier: u64| later.saturating_sub(earlier) as f64 / 1e6;
    let known = e.known;
    match (e.last_present, e.last_absent, known) {
        (Some(present), absent, _) if absent.is_none_or(|a| a.0 < present.0) => {
            let missed_after_known = absent.zip(known).filter(|(a, k)| a.0 > k.completed);
            Fate::Stable {
                stale: missed_after_known.is_some(),
                latency_ms: missed_after_known.map_or(0.0, |(a, k)| ms(a.1, k.time)),
            }
        }
        (present, Some(absent), Some(known))
            if present.is_none_or(|p| p.0 < absent.0) && known.completed < absent.0 =>
        {
            Fate::Lost {
                latency_ms: present.map_or(0.0, |p| ms(p.1, known.time)),
            }
        }
        _ => Fate::NeverRead,
    }
}

fn judge(
    sets: BTreeMap<Option<&str>, Set>,
    reads: u64,
    linearizable: bool,
    nodes: &[Option<&str>],
) -> SetAnalysis {
    let node_of = |read: Option<usize>| read.and_then(|r| nodes[r]).map(str::to_owned);
    let mut lost = Vec::new();
    let mut stale = Vec::new();
    let mut never_read = Outcome::default();
    let mut unexpected = Outcome::default();
    let mut duplicated = Outcome::default();
    let (mut stable, mut attempted, mut acknowledged) = (0, 0, 0);
    let mut stable_latencies = Vec::new();
    let mut lost_latencies = Vec::new();
    let count = sets.len();
    for (key, set) in sets {
        let key = key.map(str::to_owned);
        let view = |e: &Element, witness: Option<usize>, latency_ms: Option<f64>| ElementView {
            key: key.clone(),
            element: e.value.clone(),
            add: Some(e.add),
            known: e.known.map(|k| k.by),
            last_present: e.last_present.map(|p| p.0),
            last_absent: e.last_absent.map(|a| a.0),
            witness,
            witness_node: node_of(witness),
            latency_ms,
        };
        for e in &set.elements {
            attempted += 1;
            acknowledged += u64::from(e.acknowledged);
            match fate(e) {
                Fate::Stable {
                    stale: s,
                    latency_ms,
                } => {
                    stable += 1;
                    stable_latencies.push(latency_ms);
                    if s {
                        stale.push(view(e, e.last_absent.map(|a| a.0), Some(latency_ms)));
                    }
                }
                Fate::Lost { latency_ms } => {
                    lost_latencies.push(latency_ms);
                    lost.push(view(e, e.last_absent.map(|a| a.0), Some(latency_ms)));
                }
                Fate::NeverRead => {
                    never_read.count += 1;
                    if never_read.elements.len() < ELEMENTS_SHOWN {
                        never_read.elements.push(view(e, None, None));
                    }
                }
            }
        }
        let odd = |found: &[(Value, usize)], into: &mut Outcome| {
            for (value, read) in found {
                into.count += 1;
                if into.elements.len() < ELEMENTS_SHOWN {
                    into.elements.push(ElementView {
                        key: key.clone(),
                        element: value.clone(),
                        add: set
                            .by_value
                            .get(&value.to_string())
                            .map(|&e| set.elements[e].add),
                        known: None,
                        last_present: None,
                        last_absent: None,
                        witness: Some(*read),
                        witness_node: node_of(Some(*read)),
                        latency_ms: None,
                    });
                }
            }
        };
        odd(&set.unexpected, &mut unexpected);
        odd(&set.duplicated, &mut duplicated);
    }
    // Lost: earliest known first; stale: the longest to show up first.
    lost.sort_by_key(|e| e.known);
    stale.sort_by(|a, b| {
        b.latency_ms
            .unwrap_or(0.0)
            .total_cmp(&a.latency_ms.unwrap_or(0.0))
    });
    let shown = |mut all: Vec<ElementView>| Outcome {
        count: all.len() as u64,
        elements: {
            all.truncate(ELEMENTS_SHOWN);
            all
        },
    };
    let (lost, stale) = (shown(lost), shown(stale));
    let refuted =
        lost.count + unexpected.count + duplicated.count > 0 || (linearizable && stale.count > 0);
    let (valid, reason) = if refuted {
        (Validity::Invalid, None)
    } else if stable == 0 {
        let why = if reads == 0 {
            "no read returned the set, so nothing was checked"
        } else {
            "no element was seen by every read after it was known (none was added, or none read)"
        };
        (Validity::Unknown, Some(why.to_owned()))
    } else {
        (Validity::Valid, None)
    };
    SetAnalysis {
        valid,
        model: if linearizable {
            "set-full (linearizable)".into()
        } else {
            "set-full".into()
        },
        linearizable,
        sets: count.max(1),
        attempted,
        acknowledged,
        reads,
        stable,
        lost,
        stale,
        never_read,
        unexpected,
        duplicated,
        stable_latencies: quantiles(stable_latencies),
        lost_latencies: quantiles(lost_latencies),
        reason,
    }
}

/// Jepsen's `frequency-distribution` at 0, 0.5, 0.95, 0.99 and 1.
fn quantiles(mut values: Vec<f64>) -> Vec<(f64, f64)> {
    if values.is_empty() {
        return Vec::new();
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    [0.0, 0.5, 0.95, 0.99, 1.0]
        .into_iter()
        .map(|p| (p, values[((n as f64 * p) as usize).min(n - 1)]))
        .collect()
}

#[cfg(test)]
mod tests;
mod words;

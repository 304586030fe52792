//! A history read for drawing: every client operation with its start and
//! end in seconds, the fault windows the nemesis opened and closed, and the
//! clock offsets it set. Everything the plots and the timeline share, read
//! as a stream: a page of millions of operations holds their times and
//! words, never the events.

use faultline_core::{read_jsonl, Op, OpType, Outcome, Paired, Pairing, Process};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write;

/// A client operation placed in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimedOp {
    /// Its client process.
    pub process: u64,
    /// Seconds from the history's start to the invocation.
    pub start: f64,
    /// Seconds to the completion; the history's end when it never completed.
    pub end: f64,
    /// Whether it completed at all.
    pub completed: bool,
    /// Ok, fail or unknown.
    pub outcome: Outcome,
    /// Index into [`RunData::fs`].
    pub f: u16,
    /// Position of the invocation among the history's events.
    pub invoke: usize,
    /// Position of the completion.
    pub complete: Option<usize>,
}

impl TimedOp {
    /// 0 ok, 1 fail, 2 unknown: the order of `colors::OUTCOMES`.
    pub fn outcome_index(&self) -> usize {
        match self.outcome {
            Outcome::Ok => 0,
            Outcome::Fail => 1,
            Outcome::Unknown => 2,
        }
    }

    /// Latency in milliseconds.
    pub fn latency_ms(&self) -> f64 {
        (self.end - self.start) * 1e3
    }
}

/// A stretch of time during which a fault was in force.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    /// partition, packet, kill, pause or clock.
    pub kind: &'static str,
    /// What it was, briefly: `[n1] | [n2 n3]`, `loss 20%`, `n2 n5`.
    pub label: String,
    /// Seconds from the start: when the nemesis began applying it.
    pub start: f64,
    /// When its healing completed (the end of the history if it never did).
    pub end: f64,
}

/// A node's clock offset from some moment on.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockChange {
    /// Seconds from the start.
    pub time: f64,
    /// The node.
    pub node: String,
    /// Its offset from true time, in milliseconds.
    pub offset_ms: f64,
}

/// A fault action as the faults table lists it: a nemesis completion.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedFault {
    /// Seconds from the history's start.
    pub time: f64,
    /// The action (`start-partition`, `kill`...).
    pub f: String,
    /// What was done, as JSON.
    pub value: String,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// A history ready to draw: only what the page needs, read as a stream, so
/// that a run of millions of operations is drawn without holding its events.
#[derive(Debug, Default)]
pub struct RunData {
    /// Client operations in invocation order.
    pub ops: Vec<TimedOp>,
    /// Each event's line in history.jsonl, kept only when some event is
    /// not on line position + 1 (blank lines, or a history laid out on
    /// the lines of the file it was read from).
    pub(crate) lines: Option<Vec<u32>>,
    /// Distinct operation names (`read`, `write`, `txn`...).
    pub fs: Vec<String>,
    /// Faults, in the order they began.
    pub faults: Vec<FaultWindow>,
    /// The nemesis's completed actions, in order, for the faults table.
    pub applied: Vec<AppliedFault>,
    /// Clock changes, in time order.
    pub clock: Vec<ClockChange>,
    /// Events in the history.
    pub events: usize,
    /// Seconds from the first to the last event.
    pub duration: f64,
    /// Whether the events carry times. Histories imported from Jepsen's
    /// logs have none: then "seconds" are event positions.
    pub timed: bool,
    /// What was wrong with the history, if it could not be read whole.
    pub warnings: Vec<String>,
    /// Each operation's words (what it asked, what came back, where and
    /// why), one after another; `described[i]` is operation `i`'s span.
    pub(crate) descriptions: String,
    pub(crate) described: Vec<(u64, u32)>,
}

/// A nemesis operation as read, until its fault windows are worked out.
struct NemesisOp {
    f: String,
    /// The completion's value, else the invocation's.
    value: Value,
    invoke: (usize, u64),
    complete: Option<(usize, u64)>,
}

/// A client operation invoked and not yet completed.
struct Open {
    op: usize,
    invocation: Op,
}

/// What [`RunData::read`] keeps while it streams.
#[derive(Default)]
struct Reading {
    run: RunData,
    pairing: Pairing,
    origin: Option<u64>,
    last_time: u64,
    open: ahash::AHashMap<usize, Open>,
    nemesis: Vec<NemesisOp>,
    /// Nemesis operations invoked (one left pending by a newer invocation
    /// stays here, never completed).
    nemesis_open: ahash::AHashMap<usize, usize>,
    f_index: HashMap<String, u16>,
    /// The pairing failed: no operation is drawn (they cannot be trusted).
    unpaired: bool,
}

/// More distinct operation names than this share the last slot.
const MAX_FS: usize = u16::MAX as usize;
/// The window kind a nemesis operation opens, and the operations closing
/// it: faultline's own names, Jepsen's (`kill` / `start`, `pause` /
/// `resume`, `start-partition` / `stop-partition`, the generic `start` /
/// `stop`), and any pair a client program invents on the same pattern
/// (`start-X` / `stop-X`, `X-start` / `X-stop`, `break-X` / `heal-X`,
/// `begin-X` / `end-X`).
fn opens(f: &str) -> Option<(&'static str, Vec<String>)> {
    let named =
        |kind, closers: &[&str]| Some((kind, closers.iter().map(|c| c.to_string()).collect()));
    match f {
        "start-partition" => return named("partition", &["stop-partition"]),
        "start-packet" => return named("packet", &["stop-packet"]),
        // `start` closes a kill in histories from Jepsen's process nemesis.
        "kill" => return named("kill", &["restart", "start"]),
        "pause" => return named("pause", &["resume"]),
        "member-leave" => return named("member", &["member-join"]),
        "disk-lose-unsynced" | "disk-corrupt" => return named("disk", &["disk-restart"]),
        "clock-bump" | "clock-strobe" => return named("clock", &["clock-reset"]),
        // Jepsen's generic nemesis (partitioner, hammer-time...): a fault
        // whose kind the history does not say.
        "start" => return named("fault", &["stop"]),
        _ => {}
    }
    let (subject, closers) = if let Some(x) = f.strip_prefix("start-") {
        (x, vec![format!("stop-{x}")])
    } else if let Some(x) = f.strip_suffix("-start") {
        (x, vec![format!("{x}-stop")])
    } else if let Some(x) = f.strip_prefix("break-") {
        (
            x,
            vec![
                format!("heal-{x}"),
                format!("fix-{x}"),
                format!("repair-{x}"),
            ],
        )
    } else if let Some(x) = f.strip_prefix("begin-") {
        (x, vec![format!("end-{x}")])
    } else {
        return None;
    };
    Some((kind_of(subject), closers))
}

/// The window kind a fault's name says, `fault` when it says none.
fn kind_of(subject: &str) -> &'static str {
    const KINDS: [(&str, &str); 8] = [
        ("partition", "partition"),
        ("kill", "kill"),
        ("crash", "kill"),
        ("pause", "pause"),
        ("clock", "clock"),
        ("packet", "packet"),
        ("disk", "disk"),
        ("member", "member"),
    ];
    KINDS
        .iter()
        .find(|(word, _)| subject.contains(word))
        .map_or("fault", |&(_, kind)| kind)
}

/// The nodes a nemesis value names: faultline's `nodes`, or the keys of
/// Jepsen's map of node to result (`{"n1": "killed"}`).
fn nodes_of(value: &Value) -> Vec<String> {
    if let Some(nodes) = value["nodes"].as_array() {
        return nodes
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    match value {
        Value::Object(map) if map.values().all(Value::is_string) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn label_of(kind: &str, f: &str, value: &Value) -> String {
    match kind {
        "partition" => partition_label(value),
        "packet" => format!(
            "{} on {}",
            value["behavior"].as_str().unwrap_or("packets"),
            nodes_of(value).join(" ")
        ),
        "clock" => {
            let offsets: Vec<String> = value["offsets_ms"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(n, o)| format!("{n} {:+}ms", o.as_i64().unwrap_or(0)))
                .collect();
            format!("{} {}", f.trim_start_matches("clock-"), offsets.join(" "))
        }
        // Jepsen describes its fault in the value: `"Cut off {...}"`, or a
        // structure; its first words are the label.
        "fault" => match value {
            Value::String(text) => text.chars().take(40).collect(),
            Value::Null => f.to_owned(),
            other => other.to_string().chars().take(40).collect(),
        },
        _ => nodes_of(value).join(" "),
    }
}

/// A partition as its sides (`[n1] | [n2 n3]`): faultline's `partition`
/// text, Jepsen's grudge (node → the nodes it drops, perhaps behind a
/// keyword such as `[:isolated {...}]`) turned into the groups that still
/// reach each other, or Jepsen's own words.
fn partition_label(value: &Value) -> String {
    match value {
        Value::Object(map) => match map.get("partition").and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => {
                grudge_sides(map).unwrap_or_else(|| value.to_string().chars().take(40).collect())
            }
        },
        Value::Array(items) => items.iter().rev().find(|v| v.is_object()).map_or_else(
            || value.to_string().chars().take(40).collect(),
            partition_label,
        ),
        Value::String(text) => text.chars().take(40).collect(),
        _ => "network split".to_owned(),
    }
}

/// The groups of a grudge: nodes joined when neither drops the other.
fn grudge_sides(grudge: &serde_json::Map<String, Value>) -> Option<String> {
    let mut nodes: Vec<&str> = grudge.keys().map(String::as_str).collect();
    for dropped in grudge.values() {
        nodes.extend(dropped.as_array()?.iter().filter_map(Value::as_str));
    }
    nodes.sort_unstable();
    nodes.dedup();
    let drops = |a: &str, b: &str| {
        grudge[a]
            .as_array()
            .is_some_and(|d| d.iter().any(|n| n.as_str() == Some(b)))
    };
    let drops = |a: &str, b: &str| grudge.contains_key(a) && drops(a, b);
    let mut group: Vec<usize> = (0..nodes.len()).collect();
    for i in 0..nodes.len() {
        for j in 0..i {
            if !drops(nodes[i], nodes[j]) && !drops(nodes[j], nodes[i]) {
                let (from, to) = (group[i], group[j]);
                group
                    .iter_mut()
                    .filter(|g| **g == from)
                    .for_each(|g| *g = to);
            }
        }
    }
    let mut sides: Vec<Vec<&str>> = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for (i, g) in group.iter().enumerate() {
        match seen.iter().position(|s| s == g) {
            Some(at) => sides[at].push(nodes[i]),
            None => {
                seen.push(*g);
                sides.push(vec![nodes[i]]);
            }
        }
    }
    let text: Vec<String> = sides.iter().map(|s| format!("[{}]", s.join(" "))).collect();
    Some(text.join(" | "))
}

impl RunData {
    /// Reads a JSON Lines history; an unreadable one gives an empty run
    /// with the reason in `warnings`, so a page can still be written.
    pub fn from_jsonl(text: &str) -> RunData {
        RunData::read(text.as_bytes())
    }

    /// Reads a JSON Lines history as a stream (see [`RunData::from_jsonl`]).
    pub fn read(reader: impl std::io::Read + Send) -> RunData {
        let mut reading = Reading::default();
        let result = read_jsonl(reader, |event, line| reading.event(event, line));
        let mut run = reading.finish();
        match result {
            Ok(warnings) => run.warnings.extend(warnings),
            Err(e) => {
                run = RunData {
                    warnings: vec![format!("history.jsonl line {}: {}", e.line, e.message)],
                    ..RunData::default()
                }
            }
        }
        run
    }

    /// Operation `i` in words, for the timeline: what it asked, what came
    /// back, where and why, and when.
    pub fn describe(&self, i: usize) -> String {
        let mut text = String::new();
        self.describe_to(&mut text, i);
        text
    }

    /// [`RunData::describe`], written after `text`.
    pub fn describe_to(&self, text: &mut String, i: usize) {
        let op = &self.ops[i];
        let (at, len) = self.described.get(i).copied().unwrap_or_default();
        text.push_str(
            self.descriptions
                .get(at as usize..at as usize + len as usize)
                .unwrap_or_default(),
        );
        if self.timed {
            let _ = write!(
                text,
                ", {:.3}–{:.3} s, {:.1} ms",
                op.start,
                op.end,
                op.latency_ms()
            );
        } else {
            let _ = write!(text, ", events {}–{}", op.start, op.end);
        }
    }

    /// How the event at `position` is named, as `check` names it: by its
    /// line in the history's file.
    pub fn place(&self, position: usize) -> String {
        let line = match &self.lines {
            Some(lines) => lines.get(position).map_or(0, |&l| l as usize),
            None => position + 1,
        };
        if line == 0 {
            format!("event {position}")
        } else {
            format!("line {line}")
        }
    }

    /// A link to the event at `position` on the timeline, named by [`RunData::place`].
    pub fn link(&self, position: usize) -> String {
        format!("<a href=\"#event-{position}\">{}</a>", self.place(position))
    }

    /// The operation invoked at history position `invoke`, if a client's.
    pub fn op_invoked_at(&self, invoke: usize) -> Option<&TimedOp> {
        let i = self.ops.partition_point(|o| o.invoke < invoke);
        self.ops.get(i).filter(|o| o.invoke == invoke)
    }
}

impl Reading {
    /// Takes the event at the next position.
    fn event(&mut self, event: Op, line: usize) {
        let position = self.run.events;
        if self.run.lines.is_none() && line != position + 1 {
            self.run.lines = Some((1..=position as u32).collect());
        }
        if let Some(lines) = &mut self.run.lines {
            lines.push(line as u32);
        }
        self.run.events += 1;
        let origin = *self.origin.get_or_insert(event.time);
        self.last_time = event.time;
        let secs = event.time.saturating_sub(origin) as f64 / 1e9;
        if event.process == Process::Nemesis && event.kind == OpType::Info {
            self.run.applied.push(AppliedFault {
                time: secs,
                f: event.f.clone(),
                value: event.value.to_string(),
                error: event.error.clone(),
            });
        }
        if self.unpaired {
            return;
        }
        let at = || {
            if line > 0 {
                format!("line {line}")
            } else {
                format!("event {position}")
            }
        };
        let paired = match self.pairing.pair(position, &event, at) {
            Ok(paired) => paired,
            Err(e) => {
                self.run
                    .warnings
                    .push(format!("the history's operations do not pair up: {e}"));
                self.unpaired = true;
                return;
            }
        };
        match (event.process, paired) {
            (Process::Client(process), Paired::Invoked { id }) => {
                let f = match self.f_index.get(&event.f) {
                    Some(&f) => f,
                    None => {
                        let next = self.run.fs.len().min(MAX_FS - 1) as u16;
                        if self.run.fs.len() < MAX_FS {
                            self.run.fs.push(event.f.clone());
                        }
                        self.f_index.insert(event.f.clone(), next);
                        next
                    }
                };
                self.open.insert(
                    id,
                    Open {
                        op: self.run.ops.len(),
                        invocation: event,
                    },
                );
                self.run.ops.push(TimedOp {
                    process,
                    start: secs,
                    end: secs,
                    completed: false,
                    outcome: Outcome::Unknown,
                    f,
                    invoke: position,
                    complete: None,
                });
                self.run.described.push((0, 0));
            }
            (Process::Client(_), Paired::Completed { id, outcome }) => {
                let Some(open) = self.open.remove(&id) else {
                    return;
                };
                let op = &mut self.run.ops[open.op];
                op.end = secs;
                op.completed = true;
                op.outcome = outcome;
                op.complete = Some(position);
                let op = *op;
                self.run
                    .describe_into(open.op, &op, &open.invocation, Some(&event));
            }
            (_, Paired::Invoked { id }) => {
                self.nemesis_open.insert(id, self.nemesis.len());
                self.nemesis.push(NemesisOp {
                    f: event.f,
                    value: event.value,
                    invoke: (position, event.time),
                    complete: None,
                });
            }
            (_, Paired::Completed { id, .. }) => {
                if let Some(n) = self.nemesis_open.remove(&id) {
                    let op = &mut self.nemesis[n];
                    op.value = event.value;
                    op.complete = Some((position, event.time));
                }
            }
            // A marker may yet be completed by the next (Jepsen's second `info`).
            (_, Paired::Marker { id }) => {
                self.nemesis_open.insert(id, self.nemesis.len());
                self.nemesis.push(NemesisOp {
                    f: event.f,
                    value: event.value,
                    invoke: (position, event.time),
                    complete: Some((position, event.time)),
                })
            }
        }
    }

    /// The run, once every event is read: times settled, pending
    /// operations described, fault windows worked out.
    fn finish(mut self) -> RunData {
        let mut run = std::mem::take(&mut self.run);
        if self.unpaired {
            self.open.clear();
            run.ops.clear();
            run.described.clear();
            run.descriptions.clear();
            self.nemesis.clear();
        }
        let origin = self.origin.unwrap_or(0);
        run.timed = self.last_time > origin;
        let timed = run.timed;
        let secs = |(position, time): (usize, u64)| {
            if timed {
                time.saturating_sub(origin) as f64 / 1e9
            } else {
                position as f64
            }
        };
        run.duration = if timed {
            (self.last_time - origin) as f64 / 1e9
        } else {
            run.events.saturating_sub(1) as f64
        };
        // Never completed: pending to the end.
        let mut pending: Vec<Open> = self.open.into_values().collect();
        pending.sort_by_key(|o| o.op);
        for open in pending {
            let op = run.ops[open.op];
            run.describe_into(open.op, &op, &open.invocation, None);
        }
        let duration = run.duration;
        for op in &mut run.ops {
            if !timed {
                op.start = op.invoke as f64;
                op.end = op.complete.map_or(duration, |c| c as f64);
            } else if !op.completed {
                op.end = duration;
            }
        }
        run.faults_from(&self.nemesis, secs);
        run.clock.sort_by(|a, b| a.time.total_cmp(&b.time));
        run
    }
}

impl RunData {
    /// Writes operation `i`'s words, without its times (what it asked,
    /// what came back, where and why), after the others.
    fn describe_into(&mut self, i: usize, op: &TimedOp, invoke: &Op, completion: Option<&Op>) {
        let at = self.descriptions.len();
        let text = &mut self.descriptions;
        let _ = write!(text, "#{} process {} {}", op.invoke, op.process, invoke.f);
        if let Some(key) = &invoke.key {
            let _ = write!(text, " key {key}");
        }
        if !invoke.value.is_null() {
            text.push(' ');
            compact(text, &invoke.value);
        }
        let outcome = match op.outcome {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Unknown if op.completed => "info (unknown)",
            Outcome::Unknown => "pending (unknown)",
        };
        let _ = write!(text, " → {outcome}");
        if let Some(c) = completion {
            if op.outcome == Outcome::Ok && c.value != invoke.value && !c.value.is_null() {
                text.push(' ');
                compact(text, &c.value);
            }
            if let Some(error) = &c.error {
                let _ = write!(text, " ({error})");
            }
            if let Some(node) = c.node.as_ref().or(invoke.node.as_ref()) {
                let _ = write!(text, " on {node}");
            }
        }
        // One line each in the details files.
        if text[at..].contains('\n') {
            let line = text[at..].replace('\n', " ");
            text.truncate(at);
            text.push_str(&line);
        }
        self.described[i] = (at as u64, (text.len() - at) as u32);
    }

    /// The fault windows and clock changes the nemesis's operations made.
    fn faults_from(&mut self, nemesis: &[NemesisOp], secs: impl Fn((usize, u64)) -> f64) {
        let duration = self.duration;
        // Windows still open, per kind and node set, waiting for their close.
        let mut open: Vec<(usize, Vec<String>, Vec<String>)> = Vec::new();
        for op in nemesis {
            let value = &op.value;
            let at = secs(op.invoke);
            let done = op.complete.map_or(at, &secs);
            if let Some(offsets) = value["offsets_ms"].as_object() {
                for (node, offset) in offsets {
                    self.clock.push(ClockChange {
                        time: done,
                        node: node.clone(),
                        offset_ms: offset.as_f64().unwrap_or(0.0),
                    });
                }
            }
            // A change the cluster refused (a member it would not remove or
            // take back) neither opens nor closes a window.
            if value.get("refused").is_some() {
                continue;
            }
            // In Jepsen's process nemesis, `start` ends a kill.
            let ends_a_kill = open.iter().any(|(_, closers, _)| closers.contains(&op.f));
            if let Some((kind, closers)) = opens(&op.f).filter(|_| !ends_a_kill) {
                open.push((self.faults.len(), closers, nodes_of(value)));
                self.faults.push(FaultWindow {
                    kind,
                    label: label_of(kind, &op.f, value),
                    start: at,
                    end: duration,
                });
                continue;
            }
            // A close ends the oldest matching window whose nodes it covers
            // (a stop with no nodes closes every one of its kind).
            let nodes = nodes_of(value);
            let mut closed = Vec::new();
            for (i, (window, closers, window_nodes)) in open.iter().enumerate() {
                let covers = nodes.is_empty() || window_nodes.iter().all(|n| nodes.contains(n));
                if closers.contains(&op.f) && covers {
                    self.faults[*window].end = done;
                    closed.push(i);
                }
            }
            for i in closed.into_iter().rev() {
                open.remove(i);
            }
        }
    }
}

/// A value in few characters, written after `text`: long ones are cut.
fn compact(text: &mut String, value: &Value) {
    let at = text.len();
    let _ = write!(text, "{value}");
    if let Some((cut, _)) = text[at..].char_indices().nth(157) {
        if text[at..].chars().count() > 160 {
            text.truncate(at + cut);
            text.push('…');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HISTORY: &str = r#"{"index":0,"time":1000000000,"process":0,"type":"invoke","f":"write","value":3}
{"index":1,"time":1500000000,"process":"nemesis","type":"invoke","f":"start-partition","value":null}
{"index":2,"time":1600000000,"process":"nemesis","type":"info","f":"start-partition","value":{"partition":"[n1] | [n2 n3]"}}
{"index":3,"time":2000000000,"process":0,"type":"ok","f":"write","value":3,"node":"n2"}
{"index":4,"time":2100000000,"process":1,"type":"invoke","f":"read","value":null}
{"index":5,"time":3000000000,"process":"nemesis","type":"invoke","f":"stop-partition","value":null}
{"index":6,"time":3500000000,"process":"nemesis","type":"info","f":"stop-partition","value":"network healed"}
{"index":7,"time":4000000000,"process":"nemesis","type":"invoke","f":"clock-bump","value":{"nodes":["n2"],"offsets_ms":{"n2":500}}}
{"index":8,"time":4100000000,"process":"nemesis","type":"info","f":"clock-bump","value":{"nodes":["n2"],"offsets_ms":{"n2":500}}}
{"index":9,"time":5000000000,"process":1,"type":"info","f":"read","value":null,"error":"timeout"}
"#;

    #[test]
    fn operations_faults_and_clock_changes_are_placed_in_time() {
        let run = RunData::from_jsonl(HISTORY);
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        assert_eq!(run.duration, 4.0);
        assert_eq!(run.ops.len(), 2);
        assert_eq!((run.ops[0].start, run.ops[0].end), (0.0, 1.0));
        assert_eq!(run.ops[1].outcome, Outcome::Unknown);
        assert_eq!(run.fs, ["write", "read"]);
        assert_eq!(run.faults.len(), 2);
        assert_eq!(run.faults[0].kind, "partition");
        assert_eq!(run.faults[0].label, "[n1] | [n2 n3]");
        assert_eq!((run.faults[0].start, run.faults[0].end), (0.5, 2.5));
        // Never reset: the clock window lasts to the end.
        assert_eq!((run.faults[1].start, run.faults[1].end), (3.0, 4.0));
        assert_eq!(run.clock.len(), 1);
        assert_eq!(run.clock[0].offset_ms, 500.0);
        let text = run.describe(0);
        assert!(
            text.contains("write 3 → ok") && text.contains("on n2"),
            "{text}"
        );
        let text = run.describe(1);
        assert!(text.contains("info (unknown) (timeout)"), "{text}");
    }

    /// Jepsen writes a nemesis operation as two `info` events with one
    /// `f`; a client program may name its own faults `break-X` / `heal-X`.
    #[test]
    fn jepsen_info_pairs_and_invented_names_are_one_window_each() {
        let event = |t: u64, f: &str, value: &str| {
            format!("{{\"time\":{t}000000000,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"{f}\",\"value\":{value}}}\n")
        };
        let history = [
            event(1, "kill", "null"),
            event(2, "kill", r#"{"n1":"killed","n2":"killed"}"#),
            event(3, "start", "null"),
            event(4, "start", r#"{"n1":"started","n2":"started"}"#),
            event(5, "start-partition", "null"),
            event(
                6,
                "start-partition",
                r#"{"n1":["n2","n3"],"n2":["n1"],"n3":["n1"]}"#,
            ),
            event(7, "stop-partition", "null"),
            event(8, "stop-partition", r#""network healed""#),
            event(9, "break-disk", "null"),
            event(10, "break-disk", r#"{"n3":"broken"}"#),
            event(11, "heal-disk", r#"{"n3":"healed"}"#),
        ]
        .concat();
        let run = RunData::from_jsonl(&history);
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        let windows: Vec<(&str, &str, f64, f64)> = run
            .faults
            .iter()
            .map(|w| (w.kind, w.label.as_str(), w.start, w.end))
            .collect();
        assert_eq!(
            windows,
            [
                ("kill", "n1 n2", 0.0, 3.0),
                ("partition", "[n1] | [n2 n3]", 4.0, 7.0),
                ("disk", "n3", 8.0, 10.0),
            ]
        );
    }

    #[test]
    fn a_grudge_is_told_as_the_sides_that_still_reach_each_other() {
        let sides = |grudge: serde_json::Value| partition_label(&grudge);
        assert_eq!(
            sides(serde_json::json!({"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]})),
            "[n1] | [n2 n3]"
        );
        assert_eq!(
            sides(
                serde_json::json!(["isolated", {"n1": ["n3"], "n2": ["n3"], "n3": ["n1", "n2"]}])
            ),
            "[n1 n2] | [n3]"
        );
        assert_eq!(
            sides(serde_json::json!({"partition": "[a] | [b]"})),
            "[a] | [b]"
        );
        assert_eq!(
            sides(serde_json::json!("Cut off {n1 #{n2}}")),
            "Cut off {n1 #{n2}}"
        );
    }

    #[test]
    fn a_member_out_of_the_cluster_is_a_window_and_a_refusal_is_none() {
        let event = |i: u64, t: u64, kind: &str, f: &str, value: &str| {
            format!(
                "{{\"index\":{i},\"time\":{t}000000000,\"process\":\"nemesis\",\"type\":\"{kind}\",\"f\":\"{f}\",\"value\":{value}}}\n"
            )
        };
        let n2 = r#"{"nodes":["n2"]}"#;
        let history = [
            event(0, 1, "invoke", "member-leave", n2),
            event(
                1,
                2,
                "info",
                "member-leave",
                r#"{"nodes":["n2"],"done":"removed member 9 (n2) through n1"}"#,
            ),
            // Refused: n2 stays out, the window goes on.
            event(2, 3, "invoke", "member-join", n2),
            event(
                3,
                4,
                "info",
                "member-join",
                r#"{"nodes":["n2"],"refused":"n1: no quorum"}"#,
            ),
            event(4, 5, "invoke", "member-join", n2),
            event(
                5,
                6,
                "info",
                "member-join",
                r#"{"nodes":["n2"],"done":"added n2"}"#,
            ),
            // A refused leave opens nothing.
            event(6, 7, "invoke", "member-leave", r#"{"nodes":["n3"]}"#),
            event(
                7,
                8,
                "info",
                "member-leave",
                r#"{"nodes":["n3"],"refused":"n1: no quorum"}"#,
            ),
        ]
        .concat();
        let run = RunData::from_jsonl(&history);
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        assert_eq!(run.faults.len(), 1, "{:?}", run.faults);
        assert_eq!(run.faults[0].kind, "member");
        assert_eq!(run.faults[0].label, "n2");
        assert_eq!((run.faults[0].start, run.faults[0].end), (0.0, 5.0));
    }

    #[test]
    fn a_disk_fault_is_a_window_until_the_restart() {
        let event = |i: u64, kind: &str, f: &str, value: &str| {
            let t = i + 1;
            format!(
                "{{\"index\":{i},\"time\":{t}000000000,\"process\":\"nemesis\",\"type\":\"{kind}\",\"f\":\"{f}\",\"value\":{value}}}\n"
            )
        };
        let n1 = r#"{"nodes":["n1"]}"#;
        let history = [
            event(0, "invoke", "disk-lose-unsynced", n1),
            event(
                1,
                "info",
                "disk-lose-unsynced",
                r#"{"nodes":["n1"],"lost":{"n1":{"files":[["/wal",35]],"names":[]}}}"#,
            ),
            event(2, "invoke", "disk-restart", n1),
            event(3, "info", "disk-restart", n1),
        ]
        .concat();
        let run = RunData::from_jsonl(&history);
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        assert_eq!(run.faults.len(), 1, "{:?}", run.faults);
        assert_eq!(run.faults[0].kind, "disk");
        assert_eq!(run.faults[0].label, "n1");
        assert_eq!((run.faults[0].start, run.faults[0].end), (0.0, 3.0));
    }

    #[test]
    fn without_times_event_positions_stand_in() {
        let run = RunData::from_jsonl(
            "{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\
             {\"index\":1,\"time\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\
             {\"index\":2,\"time\":0,\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":null}\n",
        );
        assert!(!run.timed);
        assert_eq!(run.duration, 2.0);
        assert_eq!((run.ops[0].start, run.ops[0].end), (0.0, 2.0));
        assert!(run.describe(0).ends_with("events 0–2"));
    }

    #[test]
    fn operations_that_do_not_pair_up_are_a_warning_not_a_panic() {
        // Process 0 is still in its read when its write completes.
        let run = RunData::from_jsonl(
            "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\
             {\"index\":1,\"time\":2,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\
             {\"index\":2,\"time\":3,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n",
        );
        assert!(run.ops.is_empty());
        assert_eq!(run.events, 3);
        assert!(
            run.warnings[0].contains("do not pair up") && run.warnings[0].contains("line 3"),
            "{:?}",
            run.warnings
        );
    }

    #[test]
    fn an_unreadable_history_is_a_warning_not_a_panic() {
        let run = RunData::from_jsonl("{\"index\":0}\nnot json\n");
        assert_eq!(run.ops.len(), 0);
        assert!(run.warnings[0].contains("line 1"), "{:?}", run.warnings);
    }
}

//! Serializability, Elle-style: transactions of micro-operations
//! (list-append or rw-register), dependencies inferred from what each read
//! saw (ww, wr, rw), plus process and real-time order when the required
//! consistency model includes them; a petgraph dependency graph whose
//! cycles, found by strongly connected components and shortest-cycle
//! searches, are named by Adya's phenomena (G0, G1c, G-single,
//! G-nonadjacent, G2-item, with -process and -realtime variants), alongside
//! anomalies seen without a cycle (G1a, G1b, internal, incompatible order,
//! duplicate elements, lost update, garbage reads). Each anomaly is
//! explained step by step and comes with its cycle as graph data.
//!
//! ```
//! use faultline_checkers::serializable::{check, ConsistencyModel, Workload};
//! use faultline_core::{Budget, History, Op, OpType, Process, Validity};
//! use serde_json::json;
//!
//! // T0 and T1 each read the other's key as empty and append to their own:
//! // each missed the other's append (write skew, G2-item).
//! let mut events = Vec::new();
//! for (p, (mine, theirs)) in [("x", "y"), ("y", "x")].into_iter().enumerate() {
//!     let txn = |r: serde_json::Value| json!([["r", theirs, r], ["append", mine, 1]]);
//!     events.push(Op::new(Process::Client(p as u64), OpType::Invoke, "txn", txn(json!(null))));
//!     events.push(Op::new(Process::Client(p as u64), OpType::Ok, "txn", txn(json!([]))));
//! }
//! events.push(Op::new(Process::Client(2), OpType::Invoke, "txn", json!([["r", "x", null], ["r", "y", null]])));
//! events.push(Op::new(Process::Client(2), OpType::Ok, "txn", json!([["r", "x", [1]], ["r", "y", [1]]])));
//! let history = History::from_events(events);
//! let analysis = check(&history, Workload::ListAppend, ConsistencyModel::Serializable, &Budget::default()).unwrap();
//! assert_eq!(analysis.valid, Validity::Invalid);
//! assert_eq!(analysis.anomalies[0].name, "G2-item");
//! println!("{}", analysis.anomalies[0].explanation);
//! ```

mod anomaly;
#[cfg(test)]
mod anomaly_examples;
#[cfg(test)]
mod brute_force;
mod explain;
mod graph;
mod inference;
mod list_append;
mod rw_register;
mod txn;
mod words;

pub use anomaly::{verdict_table, AnomalyKind, ConsistencyModel, CycleClass, Via};
pub use txn::{parse_txns, Mop, Txn, Txns, Workload};

use faultline_core::{Budget, CheckError, History, Outcome, Validity};
use graph::{DepGraph, Search, Step};
use inference::{label_name, Inference, PROCESS, REALTIME, RW, WR, WW};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Instant;

/// Anomalies kept per kind (the count is always complete).
pub const KEPT_PER_KIND: usize = 8;

/// A transaction as a report shows it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TxnView {
    /// `T12`: the position of its invocation in the history.
    pub name: String,
    /// Its process.
    pub process: String,
    /// `ok`, `fail` or `info`.
    pub outcome: Cow<'static, str>,
    /// Its micro-operations as text: `append x 1`, `r x [1 2]`.
    pub mops: Vec<String>,
    /// The node its client talked to, when recorded.
    pub node: Option<String>,
}

impl TxnView {
    /// The event invoking it, read back from its name (`T12`: event 12).
    pub fn invoke(&self) -> Option<usize> {
        self.name.strip_prefix('T')?.parse().ok()
    }
}

/// One edge of a cycle.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Edge {
    /// The earlier transaction's name.
    pub from: String,
    /// The later one's.
    pub to: String,
    /// `ww`, `wr`, `rw`, `process` or `realtime`.
    pub label: Cow<'static, str>,
    /// Why, in words.
    pub why: String,
}

/// One anomaly, explained.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Anomaly {
    /// Elle's name (`G-single`, `G1a`...).
    pub name: String,
    /// What the kind means.
    pub meaning: Cow<'static, str>,
    /// The consistency models it rules out.
    pub rules_out: Vec<Cow<'static, str>>,
    /// The whole explanation: every step, then the conclusion.
    pub explanation: String,
    /// The transactions involved (graph nodes).
    pub txns: Vec<TxnView>,
    /// The cycle's edges, in order (empty for anomalies without a cycle).
    pub cycle: Vec<Edge>,
    #[serde(skip)]
    kind: Option<AnomalyKind>,
}

impl Anomaly {
    /// Its kind.
    pub fn kind(&self) -> Option<AnomalyKind> {
        self.kind
    }
}

/// The verdict and everything behind it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SerialAnalysis {
    /// Valid, invalid or unknown for `model`.
    pub valid: Validity,
    /// The workload checked.
    pub workload: Cow<'static, str>,
    /// The consistency model required.
    pub model: Cow<'static, str>,
    /// Transactions in the history.
    pub txns: usize,
    /// Distinct ordered pairs in the dependency graph.
    #[serde(default)]
    pub edges: usize,
    /// Strongly connected components with more than one transaction.
    #[serde(default)]
    pub cycles_components: usize,
    /// How many anomalies of each kind were found.
    #[serde(default)]
    pub counts: BTreeMap<String, usize>,
    /// Up to a few anomalies of each kind, explained; forbidden ones first.
    #[serde(default)]
    pub anomalies: Vec<Anomaly>,
    /// Every model the anomalies found rule out.
    #[serde(default)]
    pub not: Vec<Cow<'static, str>>,
    /// Why the answer is unknown, when it is.
    #[serde(default)]
    pub reason: Option<String>,
    /// Milliseconds taken.
    #[serde(default)]
    pub elapsed_ms: f64,
}

impl SerialAnalysis {
    /// `G-single ×2, lost-update ×1` (empty when nothing was found).
    pub fn counts_text(&self) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect();
        counts.join(", ")
    }
}

/// `T12`: a transaction's name (its invocation's position).
pub(crate) fn txn_name(txns: &Txns, t: usize) -> String {
    format!("T{}", txns.txns[t].invoke)
}

/// `[1 2 3]`.
/// Elements of a list an explanation shows; the rest are counted, not
/// printed (a read of a long-lived key holds thousands).
const LIST_SHOWN: usize = 6;

/// `[1 2 3]`; a long list keeps its end, what a read saw last:
/// `[… 114 earlier, 23 25 26 27 28 32]`.
pub(crate) fn describe_list(list: &[i64]) -> String {
    describe_from(list, list.len().saturating_sub(LIST_SHOWN))
}

/// `list` from element `from` on, at most [`LIST_SHOWN`] of them, with
/// how many come before and after: `[… 3 earlier, 4 5 6 … 2 later]`.
pub(crate) fn describe_from(list: &[i64], from: usize) -> String {
    let from = from.min(list.len());
    let to = (from + LIST_SHOWN).min(list.len());
    let mut parts: Vec<String> = Vec::new();
    if from > 0 {
        parts.push(format!("… {from} earlier,"));
    }
    parts.extend(list[from..to].iter().map(i64::to_string));
    if to < list.len() {
        parts.push(format!("… {} later", list.len() - to));
    }
    format!("[{}]", parts.join(" "))
}

fn view(txns: &Txns, t: usize) -> TxnView {
    let txn = &txns.txns[t];
    let key = |k: u32| &txns.keys[k as usize];
    TxnView {
        name: txn_name(txns, t),
        process: txn.process.to_string(),
        node: txn.node.map(|n| txns.nodes[n as usize].clone()),
        outcome: match txn.outcome {
            Outcome::Ok => "ok".into(),
            Outcome::Fail => "fail".into(),
            Outcome::Unknown => "info".into(),
        },
        mops: txn
            .mops
            .iter()
            .map(|m| match m {
                Mop::Append { key: k, value } => format!("append {} {value}", key(*k)),
                Mop::Write { key: k, value } => format!("w {} {value}", key(*k)),
                Mop::ReadList { key: k, values } => format!(
                    "r {} {}",
                    key(*k),
                    values.as_deref().map_or("?".to_owned(), describe_list)
                ),
                Mop::ReadRegister { key: k, value } => format!(
                    "r {} {}",
                    key(*k),
                    match value {
                        None => "?".to_owned(),
                        Some(None) => "nil".to_owned(),
                        Some(Some(v)) => v.to_string(),
                    }
                ),
            })
            .collect(),
    }
}

fn make_anomaly(
    kind: AnomalyKind,
    explanation: String,
    txns: Vec<TxnView>,
    cycle: Vec<Edge>,
) -> Anomaly {
    Anomaly {
        name: kind.name(),
        meaning: kind.meaning().into(),
        rules_out: ConsistencyModel::ruled_out_by(kind)
            .into_iter()
            .map(|m| m.name().into())
            .collect(),
        explanation,
        txns,
        cycle,
        kind: Some(kind),
    }
}

/// Checks `history` (transactions of `workload`) against `model`.
pub fn check(
    history: &History,
    workload: Workload,
    model: ConsistencyModel,
    budget: &Budget,
) -> Result<SerialAnalysis, CheckError> {
    let start = Instant::now();
    let deadline = budget.time_limit.map(|limit| start + limit);
    let txns = parse_txns(history, workload)?;
    let inference = match workload {
        Workload::ListAppend => list_append::infer(&txns)?,
        Workload::RwRegister => rw_register::infer(&txns)?,
    };
    Ok(analyze(&txns, inference, workload, model, deadline, start))
}

fn analyze(
    txns: &Txns,
    mut inference: Inference,
    workload: Workload,
    model: ConsistencyModel,
    deadline: Option<Instant>,
    start: Instant,
) -> SerialAnalysis {
    let (by_process, by_realtime) = model.orders_by();
    let mut edges = std::mem::take(&mut inference.edges);
    if by_process {
        edges.extend(graph::process_edges(txns));
    }
    if by_realtime {
        edges.extend(graph::realtime_edges(txns));
    }
    let graph = DepGraph::new(txns.txns.len(), edges);
    let mask = WW | WR | RW | PROCESS | REALTIME;
    let components = graph.components(mask);
    let mut found: Vec<(AnomalyKind, Anomaly)> = Vec::new();
    let mut gave_up: Vec<String> = Vec::new();
    let mut vias = vec![Via::Data];
    if by_process {
        vias.push(Via::Process);
    }
    if by_realtime {
        vias.push(Via::Realtime);
    }
    for component in &components {
        for &via in &vias {
            for class in CycleClass::ALL {
                let kind = AnomalyKind::Cycle(class, via);
                match graph.shortest_cycle(component, class, via, deadline) {
                    Search::Found(steps) => found.push((
                        kind,
                        explain_cycle(txns, &inference, workload, kind, &steps),
                    )),
                    Search::None => {}
                    Search::GaveUp => {
                        if model.forbids(kind) {
                            gave_up.push(format!(
                                "the search for {kind} in a cycle of {} transactions ran out of time",
                                component.len()
                            ));
                        }
                    }
                }
            }
        }
    }
    for f in std::mem::take(&mut inference.found) {
        let views = f.txns.iter().map(|&t| view(txns, t)).collect();
        found.push((
            f.kind,
            make_anomaly(f.kind, f.explanation, views, Vec::new()),
        ));
    }
    // Forbidden kinds first, then by kind.
    found.sort_by_key(|(kind, _)| (!model.forbids(*kind), *kind));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut anomalies = Vec::new();
    let mut ruled_out = std::collections::BTreeSet::new();
    let mut invalid = false;
    for (kind, anomaly) in found {
        let count = counts.entry(kind.name()).or_default();
        *count += 1;
        invalid |= model.forbids(kind);
        ruled_out.extend(ConsistencyModel::ruled_out_by(kind));
        if *count <= KEPT_PER_KIND {
            anomalies.push(anomaly);
        }
    }
    let (valid, reason) = if invalid {
        (Validity::Invalid, None)
    } else if !gave_up.is_empty() {
        (Validity::Unknown, Some(gave_up.join("; ")))
    } else {
        (Validity::Valid, None)
    };
    SerialAnalysis {
        valid,
        workload: workload.name().into(),
        model: model.name().into(),
        txns: txns.txns.len(),
        edges: graph.edge_count(),
        cycles_components: components.len(),
        counts,
        anomalies,
        not: ruled_out.into_iter().map(|m| m.name().into()).collect(),
        reason,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
    }
}

fn explain_cycle(
    txns: &Txns,
    inference: &Inference,
    workload: Workload,
    kind: AnomalyKind,
    steps: &[Step],
) -> Anomaly {
    let edges: Vec<Edge> = steps
        .iter()
        .map(|&step| Edge {
            from: txn_name(txns, step.from as usize),
            to: txn_name(txns, step.to as usize),
            label: label_name(step.label).into(),
            why: explain::why(txns, inference, workload, step),
        })
        .collect();
    let sentences: Vec<&str> = edges.iter().map(|e| e.why.as_str()).collect();
    let explanation = format!(
        "{}: a cycle ({kind}: {}).",
        sentences.join("; "),
        kind.meaning()
    );
    let views = steps.iter().map(|s| view(txns, s.from as usize)).collect();
    make_anomaly(kind, explanation, views, edges)
}

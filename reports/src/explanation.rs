//! A checker's verdict explained on the page: for linearizability the
//! counterexample drawn, the longest partial linearization and the
//! smallest failing window; for serializability the anomalies by kind,
//! each cycle drawn with its transactions.

use crate::counterexample_svg::counterexample_svg;
use crate::cycle_svg::cycle_svg;
use crate::html::escape;
use crate::run_data::{RunData, TimedOp};
use faultline_checkers::linearizable::{Analysis, Counterexample, OpView};
use faultline_checkers::serializable::{Anomaly, SerialAnalysis};
use std::fmt::Write;

/// When and where the history's operations ran, and the faults in force,
/// to tell a counterexample's story in time.
pub struct Timing<'a> {
    run: &'a RunData,
}

impl<'a> Timing<'a> {
    /// The timing of `run` (none for a history without times).
    pub fn of(run: &'a RunData) -> Timing<'a> {
        Timing { run }
    }

    /// The operation invoked at `op`'s position, when the run has times.
    fn timed(&self, op: &OpView) -> Option<&'a TimedOp> {
        self.run.op_invoked_at(op.invoke).filter(|_| self.run.timed)
    }

    /// `12.31–12.40 s`, or `from 12.31 s, never completed`.
    fn span(&self, op: &OpView) -> Option<String> {
        let timed = self.timed(op)?;
        Some(if timed.completed {
            format!("{:.2}–{:.2} s", timed.start, timed.end)
        } else {
            format!("from {:.2} s, never completed", timed.start)
        })
    }

    /// The faults in force at some moment of `op`'s interval.
    fn faults_during(&self, op: &OpView) -> Option<Vec<String>> {
        let timed = self.timed(op)?;
        Some(
            self.run
                .faults
                .iter()
                .filter(|w| w.start <= timed.end && w.end >= timed.start)
                .map(|w| format!("{} {}", w.kind, w.label))
                .collect(),
        )
    }

    /// One sentence: when `op` ran, on which node, under which faults.
    fn story(&self, op: &OpView) -> String {
        let Some(span) = self.span(op) else {
            return String::new();
        };
        let node = op
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {}", escape(n)));
        let faults = self.faults_during(op).unwrap_or_default();
        let under = if faults.is_empty() {
            "no fault was in force".to_owned()
        } else {
            format!("in force: {}", escape(&faults.join("; ")))
        };
        format!(" It ran {span} after the history began{node}; {under}.")
    }
}

/// What was checked, in one line.
fn scope(body: &mut String, scope: &str, model: &str) {
    let _ = writeln!(
        body,
        "<p class=\"muted\">{} checked for {}.</p>",
        escape(scope),
        escape(model)
    );
}

/// A linearizability verdict explained: the counterexample drawn, the
/// longest partial linearization, the smallest failing window.
pub fn explain_linearizable(body: &mut String, analysis: &Analysis, timing: &Timing) {
    scope(
        body,
        &format!(
            "{} operations in {} key(s)",
            analysis.ops, analysis.partitions
        ),
        &analysis.model,
    );
    if let Some(reason) = &analysis.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if let Some(c) = &analysis.counterexample {
        counterexample(body, c, timing);
    }
}

fn counterexample(body: &mut String, c: &Counterexample, timing: &Timing) {
    let Some(op) = &c.failing_op else {
        return;
    };
    let _ = writeln!(
        body,
        "<div id=\"counterexample\"><p>{}: process {} <code>{}</code> (event {}{}) cannot be linearized.{}</p>",
        c.key.as_deref().map_or("The history".to_owned(), |k| format!("Key <code>{}</code>", escape(k))),
        escape(&op.process),
        escape(&op.description),
        op.invoke,
        if op.final_read {
            ", <strong>a final read</strong>: every fault healed, the cluster given time to recover"
        } else {
            ""
        },
        timing.story(op)
    );
    if let Some(svg) = counterexample_svg(c) {
        let _ = writeln!(
            body,
            "<p class=\"muted\">Operations of this key {}, one lane per process in event order; \
the numbered points are the longest partial linearization (hover for the state after each step); \
the red one cannot be placed.</p>\n<div class=\"drawing\">{svg}</div>",
            if c.window.is_some() {
                "in the smallest failing window"
            } else {
                "named by the explanation"
            }
        );
    }
    if let Some(path) = c.partial_linearizations.first() {
        *body += "<p>The longest partial linearization, with the state after each step:</p>\n<table>\n<tr><th>step</th><th>process</th><th>node</th><th>ran</th><th>operation</th><th>state after</th></tr>\n";
        for (k, step) in path.steps.iter().enumerate() {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                k + 1,
                escape(&step.op.process),
                escape(step.op.node.as_deref().unwrap_or("")),
                escape(&timing.span(&step.op).unwrap_or_default()),
                escape(&step.op.description),
                escape(&step.state_after)
            );
        }
        *body += "</table>\n";
    }
    if let Some(w) = &c.window {
        let _ = writeln!(
            body,
            "<p>Smallest failing window: events {} to {} ({} operations), starting from state {}.</p>",
            w.from_event,
            w.to_event,
            w.op_count,
            escape(&w.start_states.join(" or "))
        );
    }
    *body += "</div>\n";
}

/// A serializability verdict explained: the anomalies by kind, in the
/// order the checker ranked them, each cycle drawn with its transactions.
pub fn explain_serializable(body: &mut String, analysis: &SerialAnalysis) {
    scope(
        body,
        &format!(
            "{} transactions, {} dependency edges",
            analysis.txns, analysis.edges
        ),
        &analysis.model,
    );
    if let Some(reason) = &analysis.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if !analysis.counts.is_empty() {
        let not: Vec<&str> = analysis.not.iter().map(AsRef::as_ref).collect();
        let _ = writeln!(
            body,
            "<p id=\"anomalies\">Anomalies: {}. Rules out: {}.</p>",
            escape(&analysis.counts_text()),
            escape(&not.join(", "))
        );
    }
    let mut kinds: Vec<&str> = analysis.anomalies.iter().map(|a| a.name.as_str()).collect();
    let mut seen = std::collections::HashSet::new();
    kinds.retain(|k| seen.insert(*k));
    let mut drawing = 0;
    for kind in kinds {
        let group: Vec<&Anomaly> = analysis
            .anomalies
            .iter()
            .filter(|a| a.name == kind)
            .collect();
        let _ = writeln!(
            body,
            "<h4 id=\"anomaly-{}\">{} ({} shown)</h4>\n<p class=\"muted\">{}</p>",
            escape(kind),
            escape(kind),
            group.len(),
            escape(&group[0].meaning)
        );
        for anomaly in group {
            explain_anomaly(body, anomaly, drawing);
            drawing += 1;
        }
    }
}

fn explain_anomaly(body: &mut String, anomaly: &Anomaly, drawing: usize) {
    let _ = writeln!(
        body,
        "<div class=\"anomaly\"><p>{}</p>",
        escape(&anomaly.explanation)
    );
    if let Some(svg) = cycle_svg(anomaly, drawing) {
        let _ = writeln!(body, "<div class=\"drawing\">{svg}</div>");
    }
    *body += "<table>\n<tr><th>transaction</th><th>process</th><th>outcome</th><th>micro-operations</th></tr>\n";
    for txn in &anomaly.txns {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&txn.name),
            escape(&txn.process),
            escape(&txn.outcome),
            escape(&txn.mops.join("; "))
        );
    }
    *body += "</table></div>\n";
}

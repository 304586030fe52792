//! A checker's verdict explained on the page: for linearizability the
//! counterexample drawn, the longest partial linearization and the
//! smallest failing window; for serializability the anomalies by kind,
//! each cycle drawn with its transactions.

use crate::counterexample_svg::counterexample_svg;
use crate::cycle_svg::cycle_svg;
use crate::html::escape;
use crate::run_data::{RunData, TimedOp};
use faultline_checkers::linearizable::{Analysis, Counterexample, OpView, PartialLinearization};
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

    /// A link to the event at `position`, named by its line as `check` names it.
    pub(crate) fn link(&self, position: usize) -> String {
        self.run.link(position)
    }

    /// The operation invoked at event `invoke`, when the run has times.
    fn timed(&self, invoke: usize) -> Option<&'a TimedOp> {
        self.run.op_invoked_at(invoke).filter(|_| self.run.timed)
    }

    /// `12.314–12.402 s`, or `from 12.314 s, never completed`.
    pub(crate) fn span(&self, invoke: usize) -> Option<String> {
        let timed = self.timed(invoke)?;
        Some(if timed.completed {
            format!("{:.3}–{:.3} s", timed.start, timed.end)
        } else {
            format!("from {:.3} s, never completed", timed.start)
        })
    }

    /// The faults in force at some moment between the invocation at
    /// `from` and the completion of the operation invoked at `to`.
    fn faults_during(&self, from: usize, to: usize) -> Option<Vec<String>> {
        let (first, last) = (self.timed(from)?, self.timed(to)?);
        Some(
            self.run
                .faults
                .iter()
                .filter(|w| w.start <= last.end && w.end >= first.start)
                .map(|w| format!("{} {}", w.kind, w.label))
                .collect(),
        )
    }

    /// `no fault was in force` or `in force: partition …`.
    pub(crate) fn under(&self, from: usize, to: usize) -> String {
        let faults = self.faults_during(from, to).unwrap_or_default();
        if faults.is_empty() {
            "no fault was in force".to_owned()
        } else {
            format!("in force: {}", escape(&faults.join("; ")))
        }
    }

    /// One sentence: when `op` ran, on which node, under which faults.
    fn story(&self, op: &OpView) -> String {
        let Some(span) = self.span(op.invoke) else {
            return String::new();
        };
        let node = op
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {}", escape(n)));
        let under = self.under(op.invoke, op.invoke);
        format!(" It ran {span} after the history began{node}; {under}.")
    }

    /// One sentence: when a cycle's transactions ran, under which faults.
    fn txns_story(&self, anomaly: &Anomaly) -> String {
        let ranged: Vec<(usize, &TimedOp)> = anomaly
            .txns
            .iter()
            .filter_map(|t| {
                let invoke = t.invoke()?;
                Some((invoke, self.timed(invoke)?))
            })
            .collect();
        let (Some(first), Some(last)) = (
            ranged.iter().min_by(|a, b| a.1.start.total_cmp(&b.1.start)),
            ranged.iter().max_by(|a, b| a.1.end.total_cmp(&b.1.end)),
        ) else {
            return String::new();
        };
        format!(
            "Its transactions ran {:.3}–{:.3} s after the history began; {}.",
            first.1.start,
            last.1.end,
            self.under(first.0, last.0)
        )
    }
}

/// A list whose first `shown` items are in view and the rest behind
/// "show all: N more `what`".
pub(crate) fn list_with_more<T>(
    body: &mut String,
    items: &[T],
    shown: usize,
    what: &str,
    item: impl Fn(&T) -> String,
) {
    let (first, rest) = items.split_at(items.len().min(shown));
    *body += "<ul>\n";
    for i in first {
        let _ = writeln!(body, "<li>{}</li>", item(i));
    }
    *body += "</ul>\n";
    if !rest.is_empty() {
        let _ = writeln!(
            body,
            "<details><summary>show all: {} more {what}</summary><ul>",
            rest.len()
        );
        for i in rest {
            let _ = writeln!(body, "<li>{}</li>", item(i));
        }
        *body += "</ul></details>\n";
    }
}

/// What was checked, in one line.
/// A list of the kinds of finding a checker made, each with what it means.
pub(crate) fn meanings<'a>(body: &mut String, kinds: impl Iterator<Item = (&'a str, &'a str)>) {
    *body += "<ul>\n";
    for (name, meaning) in kinds {
        let _ = writeln!(body, "<li><code>{name}</code>: {}</li>", escape(meaning));
    }
    *body += "</ul>\n";
}

pub(crate) fn scope(body: &mut String, scope: &str, model: &str) {
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
        &format!("{} in {} key(s)", analysis.ops_text(), analysis.partitions),
        &analysis.model,
    );
    if let Some(reason) = &analysis.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if let Some(c) = &analysis.counterexample {
        counterexample(body, c, timing, "counterexample");
    }
    if !analysis.more_counterexamples.is_empty() {
        let _ = writeln!(
            body,
            "<details id=\"more-counterexamples\"><summary>show all: {} more refuted key(s) explained</summary>",
            analysis.more_counterexamples.len()
        );
        for (k, c) in analysis.more_counterexamples.iter().enumerate() {
            counterexample(body, c, timing, &format!("counterexample-{}", k + 2));
        }
        *body += "</details>\n";
    }
}

/// `process 5 <code>write 1</code> (<a>event 69</a>)`, linked to the
/// timeline.
fn op_named(op: &OpView, timing: &Timing) -> String {
    format!(
        "process {} <code>{}</code> ({})",
        escape(&op.process),
        escape(&op.description),
        timing.link(op.invoke)
    )
}

/// Steps of the longest partial linearization shown before "show all":
/// the last ones, which lead to the failing operation.
const STEPS_SHOWN: usize = 8;

fn counterexample(body: &mut String, c: &Counterexample, timing: &Timing, id: &str) {
    let Some(op) = &c.failing_op else {
        return;
    };
    let _ = writeln!(
        body,
        "<div id=\"{id}\" class=\"counterexample\"><p>{}: {}{} cannot be linearized.{}</p>",
        c.key
            .as_deref()
            .map_or("The history".to_owned(), |k| format!(
                "Key <code>{}</code>",
                escape(k)
            )),
        op_named(op, timing),
        if op.final_read {
            ", <strong>a final read</strong> (every fault healed, the cluster given time to recover),"
        } else {
            ""
        },
        timing.story(op)
    );
    let longest = c.partial_linearizations.first();
    let setter = longest.and_then(PartialLinearization::state_setter);
    if let Some(path) = longest {
        let state = path
            .steps
            .last()
            .map_or("the initial state", |s| s.state_after.as_str());
        let _ = writeln!(
            body,
            "<p>Why: no order of the operations before it that respects real time leaves a state in which \
<code>{}</code> can happen; the longest such order ({} operations) ends in state <code>{}</code>{}.</p>",
            escape(&op.description),
            path.steps.len(),
            escape(state),
            setter.map_or(String::new(), |s| format!(", left by {}", op_named(s, timing)))
        );
    }
    if !c.conflicts.is_empty() {
        let _ = writeln!(
            body,
            "<p>It contradicts {} (without {}, everything before it could be linearized; \
which side is wrong the history cannot tell):</p>\n<ul class=\"conflicts\">",
            if c.conflicts.len() == 1 {
                "this acknowledged operation"
            } else {
                "these acknowledged operations"
            },
            if c.conflicts.len() == 1 {
                "it"
            } else {
                "any one of them"
            },
        );
        for conflict in &c.conflicts {
            let _ = writeln!(
                body,
                "<li>{}{}.{}</li>",
                op_named(conflict, timing),
                if Some(conflict) == setter {
                    ", which left that state"
                } else {
                    ""
                },
                timing.story(conflict)
            );
        }
        *body += "</ul>\n";
    }
    if let Some(svg) = counterexample_svg(c) {
        let _ = writeln!(
            body,
            "<p class=\"muted\">Operations of this key {}, one lane per process in event order; \
the numbered points are the longest partial linearization (hover for the state after each step); \
the red one cannot be placed.</p>\n<div class=\"drawing\">{svg}</div>",
            match (c.window.is_some(), c.conflicts.is_empty()) {
                (true, true) => "in the smallest failing window",
                (true, false) => "in the smallest failing window, with those it contradicts",
                (false, _) => "named by the explanation",
            }
        );
    }
    if let Some(path) = c.partial_linearizations.first() {
        let hidden = path.steps.len().saturating_sub(STEPS_SHOWN);
        let _ = writeln!(
            body,
            "<p>The longest partial linearization, with the state after each step{}:</p>",
            if hidden > 0 {
                format!(" (its last {STEPS_SHOWN})")
            } else {
                String::new()
            }
        );
        let header = "<table>\n<tr><th>step</th><th>process</th><th>node</th><th>ran</th><th>operation</th><th>state after</th></tr>\n";
        let rows = |body: &mut String, from: usize, to: usize| {
            for (k, step) in path.steps.iter().enumerate().take(to).skip(from) {
                let _ = writeln!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td><a href=\"#event-{}\"><code>{}</code></a></td><td><code>{}</code></td></tr>",
                    k + 1,
                    escape(&step.op.process),
                    escape(step.op.node.as_deref().unwrap_or("")),
                    escape(&timing.span(step.op.invoke).unwrap_or_default()),
                    step.op.invoke,
                    escape(&step.op.description),
                    escape(&step.state_after)
                );
            }
        };
        if hidden > 0 {
            let _ = write!(
                body,
                "<details class=\"earlier-steps\"><summary>show the {hidden} steps before them</summary>{header}"
            );
            rows(body, 0, hidden);
            *body += "</table></details>\n";
        }
        *body += header;
        rows(body, hidden, path.steps.len());
        *body += "</table>\n";
    }
    if let Some(w) = &c.window {
        let _ = writeln!(
            body,
            "<p>Smallest failing window: {} to {} ({} operations), starting from state {}.</p>",
            timing.link(w.from_event),
            timing.link(w.to_event),
            w.op_count,
            escape(&w.start_states.join(" or "))
        );
    }
    if c.cut_short {
        *body += "<p class=\"muted cut-short\">The time limit ended this explanation early: the window may be \
larger than the smallest and some contradicted operations may be missing (the verdict is not affected); \
raise <code>--time-limit</code> for the whole explanation.</p>\n";
    }
    *body += "</div>\n";
}

/// Anomalies of each kind shown whole before "show all".
const ANOMALIES_SHOWN: usize = 2;

/// A serializability verdict explained: the anomalies by kind, in the
/// order the checker ranked them, the first few of each kind whole (each
/// cycle drawn with its transactions), the rest behind "show all".
pub fn explain_serializable(body: &mut String, analysis: &SerialAnalysis, timing: &Timing) {
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
        let found = analysis.counts.get(kind).copied().unwrap_or(group.len());
        let _ = writeln!(
            body,
            "<h4 id=\"anomaly-{}\">{} ({} found, {} explained)</h4>\n<p class=\"muted\">{}</p>",
            escape(kind),
            escape(kind),
            found,
            group.len(),
            escape(&group[0].meaning)
        );
        for (k, anomaly) in group.iter().enumerate() {
            if k == ANOMALIES_SHOWN {
                let _ = writeln!(
                    body,
                    "<details class=\"more-anomalies\"><summary>show all: {} more {} explained{}</summary>",
                    group.len() - ANOMALIES_SHOWN,
                    escape(kind),
                    if found > group.len() {
                        format!(
                            " (of {} more found; the checker explains the first {} of each kind)",
                            found - ANOMALIES_SHOWN,
                            group.len()
                        )
                    } else {
                        String::new()
                    }
                );
            }
            explain_anomaly(body, anomaly, drawing, timing);
            drawing += 1;
        }
        if group.len() > ANOMALIES_SHOWN {
            *body += "</details>\n";
        } else if found > group.len() {
            let _ = writeln!(
                body,
                "<p class=\"muted\">{} more {} found; the checker explains the first {} of each kind.</p>",
                found - group.len(),
                escape(kind),
                group.len()
            );
        }
    }
}

fn explain_anomaly(body: &mut String, anomaly: &Anomaly, drawing: usize, timing: &Timing) {
    *body += "<div class=\"anomaly\">";
    // A sentence per edge of the cycle, then the conclusion, when the
    // explanation is those sentences joined (else it is shown whole).
    let whys: Vec<&str> = anomaly.cycle.iter().map(|e| e.why.as_str()).collect();
    match anomaly.explanation.strip_prefix(&whys.join("; ")) {
        Some(conclusion) if !whys.is_empty() => {
            *body += "<ol class=\"cycle-steps\">";
            for edge in &anomaly.cycle {
                let _ = write!(
                    body,
                    "<li><strong>{}</strong>: {}</li>",
                    escape(&edge.label),
                    escape(&edge.why)
                );
            }
            let conclusion = conclusion.trim_start_matches([':', ' ']);
            let _ = writeln!(body, "</ol>\n<p>Together: {}</p>", escape(conclusion));
        }
        _ => {
            let _ = writeln!(body, "<p>{}</p>", escape(&anomaly.explanation));
        }
    }
    let story = timing.txns_story(anomaly);
    if !story.is_empty() {
        let _ = writeln!(body, "<p>{story}</p>");
    }
    if let Some(svg) = cycle_svg(anomaly, drawing) {
        let _ = writeln!(body, "<div class=\"drawing\">{svg}</div>");
    }
    *body += "<table>\n<tr><th>transaction</th><th>process</th><th>node</th><th>ran</th><th>outcome</th><th>micro-operations</th></tr>\n";
    for txn in &anomaly.txns {
        let invoke = txn.invoke();
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td><td><code>{}</code></td></tr>",
            invoke.map_or(escape(&txn.name), |i| format!(
                "<a href=\"#event-{i}\">{}</a>",
                escape(&txn.name)
            )),
            escape(&txn.process),
            escape(txn.node.as_deref().unwrap_or("")),
            escape(&invoke.and_then(|i| timing.span(i)).unwrap_or_default()),
            escape(&txn.outcome),
            escape(&txn.mops.join("; "))
        );
    }
    *body += "</table></div>\n";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counterexample the time limit cut short says so on the page, and
    /// that the verdict is not affected; a whole one does not.
    #[test]
    fn a_cut_short_explanation_says_so_on_the_page() {
        let run = RunData::default();
        let page = |cut_short| {
            let c = Counterexample {
                key: Some("k".to_owned()),
                failing_op: Some(OpView {
                    process: "3".to_owned(),
                    description: "read 2".to_owned(),
                    ..OpView::default()
                }),
                cut_short,
                ..Counterexample::default()
            };
            let mut body = String::new();
            counterexample(&mut body, &c, &Timing::of(&run), "failing");
            body
        };
        assert!(
            page(true).contains("class=\"muted cut-short\"")
                && page(true).contains("the verdict is not affected"),
            "{}",
            page(true)
        );
        assert!(!page(false).contains("cut-short"), "{}", page(false));
    }
}

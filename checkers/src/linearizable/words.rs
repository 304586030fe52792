//! The linearizability checker's answer in words: the verdict, then the
//! operation that cannot be linearized, what it contradicts, why, the
//! longest partial linearization and the smallest failing window.

use super::{Analysis, Counterexample};
use crate::analysis::{analysis_fields, Analysis as CheckerAnalysis};
use crate::words::{of_key, ops, prefixed, suffixed, Place};
use faultline_core::Validity;

impl CheckerAnalysis for Analysis {
    analysis_fields!(crate::CheckSpec::LINEARIZABLE);

    fn lines(&self, name: &str, elapsed_ms: f64, place: Place) -> Vec<String> {
        let mut out = Vec::new();
        lines_of(&mut out, name, self, elapsed_ms, place);
        out
    }

    fn one_line(&self) -> String {
        one_line_of(self)
    }
}

fn one_line_of(a: &Analysis) -> String {
    let refuted = a.refuted_text();
    match (&a.valid, &a.counterexample) {
        (Validity::Invalid, Some(c)) => match &c.failing_op {
            Some(op) => format!(
                "not linearizable ({}): {}process {} `{}` cannot be linearized{}",
                a.model,
                suffixed(&refuted, "; "),
                op.process,
                op.description,
                c.key
                    .as_deref()
                    .map_or(String::new(), |k| format!(" (key {k})"))
            ),
            None => format!("not linearizable ({}){}", a.model, prefixed(": ", &refuted)),
        },
        (v, _) => format!(
            "{v} ({}){}",
            a.model,
            a.reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}"))
        ),
    }
}

fn lines_of(out: &mut Vec<String>, name: &str, a: &Analysis, elapsed_ms: f64, place: Place) {
    let took = format!(
        "{}, {} key(s), {elapsed_ms:.1} ms",
        a.ops_text(),
        a.partitions
    );
    match (a.valid, &a.counterexample) {
        (Validity::Invalid, Some(c)) => {
            out.push(format!(
                "{name}: INVALID: not linearizable{} ({took})",
                prefixed(": ", &a.refuted_text())
            ));
            counterexample_lines(out, c, place);
            for more in &a.more_counterexamples {
                out.push("  and:".to_owned());
                counterexample_lines(out, more, place);
            }
        }
        (Validity::Unknown, _) => out.push(format!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        )),
        (v, _) => out.push(format!("{name}: {v} ({took})")),
    }
}

fn counterexample_lines(out: &mut Vec<String>, c: &Counterexample, place: Place) {
    let at = |line: Option<usize>, event: usize| {
        line.map_or_else(|| place(event), |l| format!("line {l}"))
    };
    if let Some(key) = &c.key {
        out.push(format!("  key: {key}"));
    }
    if let Some(op) = &c.failing_op {
        let node = of_key("on", op.node.as_deref());
        let phase = if op.final_read {
            ", a final read: every fault healed, the cluster given time to recover"
        } else {
            ""
        };
        out.push(format!(
            "  cannot linearize: process {}{node} `{}` ({}{phase})",
            op.process,
            op.description,
            at(op.line, op.invoke)
        ));
    }
    for (k, other) in c.conflicts.iter().enumerate() {
        let node = of_key("on", other.node.as_deref());
        let lead = match (k, c.conflicts.len()) {
            (0, 1) => "  contradicts (without it, all before could be linearized):",
            (0, _) => "  contradicts (without any one of these, all before could be linearized):",
            _ => "              ",
        };
        out.push(format!(
            "{lead} process {}{node} `{}` ({})",
            other.process,
            other.description,
            at(other.line, other.invoke)
        ));
    }
    if let (Some(op), Some(path)) = (&c.failing_op, c.partial_linearizations.first()) {
        match path.steps.last() {
            Some(last) => {
                let setter = path.state_setter().map_or(String::new(), |s| {
                    format!(
                        ", which `{}` by process {}{} ({}) left",
                        s.description,
                        s.process,
                        s.node.as_deref().map_or(String::new(), |n| format!(" on {n}")),
                        at(s.line, s.invoke)
                    )
                });
                out.push(format!(
                    "  why: no order of the operations before it, consistent with real time, leaves a state in which `{}` can happen; the longest such order ends in state {}{setter}",
                    op.description, last.state_after
                ))
            }
            None => out.push(format!(
                "  why: `{}` cannot happen in the initial state, and no other operation can be placed before it",
                op.description
            )),
        }
    }
    if let Some(path) = c.partial_linearizations.first() {
        let shown = path.steps.len().min(8);
        out.push(format!(
            "  longest partial linearization ({}), last {shown}:",
            ops(path.steps.len())
        ));
        for step in &path.steps[path.steps.len() - shown..] {
            out.push(format!(
                "    process {:>4} {:<28} -> state {}",
                step.op.process, step.op.description, step.state_after
            ));
        }
    }
    if let Some(w) = &c.window {
        out.push(format!(
            "  smallest failing window: {} to {} ({}), starting from state {}",
            at(w.from_line, w.from_event),
            at(w.to_line, w.to_event),
            ops(w.op_count),
            w.start_states.join(" or ")
        ));
    }
    if c.cut_short {
        out.push("  explanation cut short by the time limit (the verdict stands): the window may be larger than the smallest and contradicted operations missing; raise --time-limit for the whole explanation".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizable::OpView;
    use crate::words::by_position;

    /// An explanation the time limit cut short says so, and that the
    /// verdict stands; a whole one does not.
    #[test]
    fn a_cut_short_explanation_says_so_in_words() {
        let counterexample = |cut_short| Counterexample {
            key: Some("k".to_owned()),
            failing_op: Some(OpView {
                process: "3".to_owned(),
                description: "read 2".to_owned(),
                ..OpView::default()
            }),
            cut_short,
            ..Counterexample::default()
        };
        let said = |cut_short| {
            let mut out = Vec::new();
            counterexample_lines(&mut out, &counterexample(cut_short), &by_position);
            out.join("\n")
        };
        assert!(said(true).contains("explanation cut short by the time limit (the verdict stands)"));
        assert!(!said(false).contains("cut short"), "{}", said(false));
    }
}

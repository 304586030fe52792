//! A checker's answer in words, the same wherever it is printed: `check`,
//! `analyze` and the end of a test print these lines, and JUnit carries
//! the one-line form.

use faultline_checkers::linearizable::{Analysis, Counterexample};
use faultline_checkers::serializable::SerialAnalysis;
use faultline_checkers::CheckedHistory;
use faultline_core::Validity;

/// Anomalies explained per kind in text (JSON has them all).
const SHOWN_PER_KIND: usize = 2;

/// Prints the verdict on `name` and its explanation.
pub fn print(name: &str, checked: &CheckedHistory, elapsed_ms: f64) {
    match checked {
        CheckedHistory::Linearizable(a) => print_linearizable(name, a, elapsed_ms),
        CheckedHistory::Serializable(a) => print_serializable(name, a),
        CheckedHistory::Unchecked(reason) => println!("{name}: unknown: {reason}"),
    }
}

/// The verdict in one line, for JUnit and summaries.
pub fn one_line(checked: &CheckedHistory) -> String {
    match checked {
        CheckedHistory::Linearizable(a) => linearizable_line(a),
        CheckedHistory::Serializable(a) if a.counts.is_empty() => {
            format!("{} ({})", a.valid, a.model)
        }
        CheckedHistory::Serializable(a) => format!(
            "{} ({}): {}; rules out {}",
            a.valid,
            a.model,
            a.counts_text(),
            a.not.join(", ")
        ),
        CheckedHistory::Unchecked(reason) => format!("unknown: {reason}"),
    }
}

fn linearizable_line(a: &Analysis) -> String {
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

fn print_linearizable(name: &str, a: &Analysis, elapsed_ms: f64) {
    let took = format!("{} ops, {} key(s), {elapsed_ms:.1} ms", a.ops, a.partitions);
    match (a.valid, &a.counterexample) {
        (Validity::Invalid, Some(c)) => {
            println!(
                "{name}: INVALID: not linearizable{} ({took})",
                prefixed(": ", &a.refuted_text())
            );
            print_counterexample(c);
            for more in &a.more_counterexamples {
                println!("  and:");
                print_counterexample(more);
            }
        }
        (Validity::Unknown, _) => println!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        ),
        (v, _) => println!("{name}: {v} ({took})"),
    }
}

fn print_counterexample(c: &Counterexample) {
    let at = |line: Option<usize>, event: usize| {
        line.map_or_else(|| format!("event {event}"), |l| format!("line {l}"))
    };
    if let Some(key) = &c.key {
        println!("  key: {key}");
    }
    if let Some(op) = &c.failing_op {
        let node = op
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {n}"));
        println!(
            "  cannot linearize: process {}{node} `{}` ({})",
            op.process,
            op.description,
            at(op.line, op.invoke)
        );
    }
    if let (Some(op), Some(path)) = (&c.failing_op, c.partial_linearizations.first()) {
        match path.steps.last() {
            Some(last) => println!(
                "  why: no order of the operations before it, consistent with real time, leaves a state in which `{}` can happen; the longest such order ends in state {}",
                op.description, last.state_after
            ),
            None => println!(
                "  why: `{}` cannot happen in the initial state, and no other operation can be placed before it",
                op.description
            ),
        }
    }
    if let Some(path) = c.partial_linearizations.first() {
        let shown = path.steps.len().min(8);
        println!(
            "  longest partial linearization ({} ops), last {shown}:",
            path.steps.len()
        );
        for step in &path.steps[path.steps.len() - shown..] {
            println!(
                "    process {:>4} {:<28} -> state {}",
                step.op.process, step.op.description, step.state_after
            );
        }
    }
    if let Some(w) = &c.window {
        println!(
            "  smallest failing window: {} to {} ({} ops), starting from state {}",
            at(w.from_line, w.from_event),
            at(w.to_line, w.to_event),
            w.op_count,
            w.start_states.join(" or ")
        );
    }
}

fn print_serializable(name: &str, a: &SerialAnalysis) {
    let took = format!(
        "{} transactions, {} dependency edges, {:.1} ms",
        a.txns, a.edges, a.elapsed_ms
    );
    match a.valid {
        Validity::Valid if a.anomalies.is_empty() => {
            println!("{name}: valid: {} ({took})", a.model)
        }
        Validity::Valid => println!("{name}: valid: {} allows what was found ({took})", a.model),
        Validity::Unknown => println!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        ),
        Validity::Invalid => println!("{name}: INVALID: not {} ({took})", a.model),
    }
    if !a.counts.is_empty() {
        println!("  anomalies: {}", a.counts_text());
        println!("  rules out: {}", a.not.join(", "));
    }
    let mut shown: std::collections::BTreeMap<&str, usize> = Default::default();
    for anomaly in &a.anomalies {
        let n = shown.entry(anomaly.name.as_str()).or_default();
        *n += 1;
        if *n > SHOWN_PER_KIND {
            continue;
        }
        println!("  {}: {}", anomaly.name, anomaly.explanation);
        for txn in &anomaly.txns {
            println!(
                "    {} (process {}, {}): {}",
                txn.name,
                txn.process,
                txn.outcome,
                txn.mops.join("; ")
            );
        }
    }
}

/// `text` + `suffix`, or nothing when `text` is empty.
fn suffixed(text: &str, suffix: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}{suffix}")
    }
}

/// `prefix` + `text`, or nothing when `text` is empty.
fn prefixed(prefix: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{prefix}{text}")
    }
}

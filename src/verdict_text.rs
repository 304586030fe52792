//! A checker's answer in words, the same wherever it is printed: `check`,
//! `analyze` and the end of a test print these lines, and JUnit carries
//! the one-line form.

use faultline_checkers::bank::BankAnalysis;
use faultline_checkers::counter::CounterAnalysis;
use faultline_checkers::linearizable::{Analysis, Counterexample};
use faultline_checkers::serializable::SerialAnalysis;
use faultline_checkers::set::SetAnalysis;
use faultline_checkers::unique_ids::UniqueIdsAnalysis;
use faultline_checkers::watch::WatchAnalysis;
use faultline_checkers::CheckedHistory;
use faultline_core::Validity;

/// Anomalies explained per kind in text: the first says what went wrong;
/// the page shows more, results.json has every explained one.
const SHOWN_PER_KIND: usize = 1;

/// How an event is named: `line 132` of the history's file, or `event
/// 131` (its position) where the line is not known. The page names it the
/// same way.
pub type Place<'a> = &'a dyn Fn(usize) -> String;

/// An event named by its position alone.
pub fn by_position(position: usize) -> String {
    format!("event {position}")
}

/// An event of a run's own `history.jsonl`, one event a line.
pub fn run_line(position: usize) -> String {
    format!("line {}", position + 1)
}

/// Prints the verdict on `name` and its explanation.
pub fn print(name: &str, checked: &CheckedHistory, elapsed_ms: f64, place: Place) {
    for line in lines(name, checked, elapsed_ms, place) {
        println!("{line}");
    }
}

/// The verdict on `name` and its explanation, as `check` prints them.
pub fn lines(name: &str, checked: &CheckedHistory, elapsed_ms: f64, place: Place) -> Vec<String> {
    let mut out = Vec::new();
    match checked {
        CheckedHistory::Linearizable(a) => linearizable_lines(&mut out, name, a, elapsed_ms, place),
        CheckedHistory::Serializable(a) => serializable_lines(&mut out, name, a),
        CheckedHistory::Set(a) => set_lines(&mut out, name, a, place),
        CheckedHistory::Counter(a) => counter_lines(&mut out, name, a, place),
        CheckedHistory::UniqueIds(a) => unique_ids_lines(&mut out, name, a, place),
        CheckedHistory::Bank(a) => bank_lines(&mut out, name, a, place),
        CheckedHistory::Watch(a) => watch_lines(&mut out, name, a, place),
        CheckedHistory::Unchecked(reason) => out.push(format!("{name}: unknown: {reason}")),
    }
    out
}

/// The explanation alone (no verdict line): what a JUnit failure carries
/// under its one-line message, so that a CI log says what went wrong.
pub fn explanation(checked: &CheckedHistory, place: Place) -> String {
    let lines = lines("", checked, 0.0, place);
    lines.into_iter().skip(1).collect::<Vec<_>>().join("\n")
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
        CheckedHistory::Counter(a) => refuted_line(a.valid, &a.model, &a.refuted_text()),
        CheckedHistory::Set(a) => refuted_line(a.valid, &a.model, &a.refuted_text()),
        CheckedHistory::UniqueIds(a) => refuted_line(a.valid, &a.model, &a.refuted_text()),
        CheckedHistory::Watch(a) => refuted_line(a.valid, &a.model, &a.refuted_text()),
        CheckedHistory::Bank(a) => refuted_line(a.valid, &a.model, &a.refuted_text()),
        CheckedHistory::Unchecked(reason) => format!("unknown: {reason}"),
    }
}

/// `invalid (model): what was refuted`, or `valid (model)`.
fn refuted_line(valid: Validity, model: &str, refuted: &str) -> String {
    format!("{valid} ({model}){}", prefixed(": ", refuted))
}

/// `name: INVALID: what (counts)`, `name: unknown: why (counts)` or
/// `name: valid (counts)`.
fn verdict_line(
    name: &str,
    valid: Validity,
    refuted: &str,
    reason: Option<&str>,
    counts: &str,
) -> String {
    match valid {
        Validity::Invalid => format!("{name}: INVALID: {refuted} ({counts})"),
        Validity::Unknown => format!(
            "{name}: unknown: {} ({counts})",
            reason.unwrap_or("no verdict")
        ),
        Validity::Valid => format!("{name}: valid ({counts})"),
    }
}

/// After the first of `found` findings printed: how many more, and how
/// many of them the report describes.
fn and_more(out: &mut Vec<String>, found: u64, described: usize) {
    if found > 1 {
        out.push(format!(
            "  … and {} more (the report and results.json describe the first {described})",
            found - 1
        ));
    }
}

fn watch_lines(out: &mut Vec<String>, name: &str, a: &WatchAnalysis, place: Place) {
    let counts = format!(
        "{} puts acknowledged, {} watches delivering {} events, {} revisions of {} key(s)",
        a.puts_ok, a.watches, a.events, a.revisions, a.keys
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    if let Some(f) = a.findings.first() {
        let key = f
            .key
            .as_deref()
            .map_or(String::new(), |k| format!(" of {k}"));
        let known = f.known_from.map_or(String::new(), |i| {
            format!(", known from {} as {}", place(i), f.known)
        });
        out.push(format!(
            "  {}: the watch{key} invoked at {}, revision {} (it saw {}{known})",
            f.error.name(),
            place(f.operation),
            f.revision,
            f.seen
        ));
        and_more(out, a.errors.values().sum(), a.findings.len());
    }
}

fn bank_lines(out: &mut Vec<String>, name: &str, a: &BankAnalysis, place: Place) {
    let totals = match a.totals {
        Some((low, high)) if low != high => format!(", totals from {low} to {high}"),
        _ => String::new(),
    };
    let counts = format!(
        "{} reads; {} transfers ok, {} failed, {} unknown; {} bank(s) of {} accounts holding {}{totals}",
        a.reads,
        a.transfers_ok,
        a.transfers_failed,
        a.transfers_unknown,
        a.banks,
        a.accounts,
        a.total
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    if let Some(bad) = a.examples.first() {
        let key = bad
            .key
            .as_deref()
            .map_or(String::new(), |k| format!(" of {k}"));
        let errors: Vec<&str> = bad.errors.iter().map(|e| e.name()).collect();
        out.push(format!(
            "  the read{key} invoked at {} returned {}, summing to {} ({})",
            place(bad.operation),
            bad.balances,
            bad.total,
            errors.join(", ")
        ));
        and_more(out, a.bad_reads, a.examples.len());
    }
}

fn unique_ids_lines(out: &mut Vec<String>, name: &str, a: &UniqueIdsAnalysis, place: Place) {
    let range = a.range.map_or(String::new(), |(low, high)| {
        format!(", ids from {low} to {high}")
    });
    let counts = format!(
        "{} generates, {} acknowledged, {} generator(s){range}",
        a.attempted, a.acknowledged, a.generators
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    if let Some(d) = a.duplicates.first() {
        let key = d
            .key
            .as_deref()
            .map_or(String::new(), |k| format!(" by {k}"));
        let events: Vec<String> = d.operations.iter().map(|&p| place(p)).collect();
        out.push(format!(
            "  id {} handed out{key} to the generates invoked at {}",
            d.id,
            events.join(", ")
        ));
        and_more(out, a.duplicated, a.duplicates.len());
    }
}

fn counter_lines(out: &mut Vec<String>, name: &str, a: &CounterAnalysis, place: Place) {
    let counts = format!(
        "{} adds, {} acknowledged; {} reads of {} counter(s)",
        a.attempted, a.acknowledged, a.reads, a.counters
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    if let Some(e) = a.errors.first() {
        let key = e
            .key
            .as_deref()
            .map_or(String::new(), |k| format!(" of {k}"));
        let node = e
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {n}"));
        out.push(format!(
            "  read{key} at {}{node} returned {}, outside {} to {} (from what was acknowledged before it began to what was tried before it ended)",
            place(e.read),
            e.value,
            e.lower,
            e.upper
        ));
        and_more(
            out,
            a.out_of_bounds,
            faultline_checkers::counter::ERRORS_SHOWN,
        );
    }
}

fn set_lines(out: &mut Vec<String>, name: &str, a: &SetAnalysis, place: Place) {
    let counts = format!(
        "{} added, {} acknowledged, {} stable, {} lost, {} stale, {} never read; {} reads of {} set(s)",
        a.attempted,
        a.acknowledged,
        a.stable,
        a.lost.count,
        a.stale.count,
        a.never_read.count,
        a.reads,
        a.sets
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    let event = |e: Option<usize>| e.map_or("none".to_owned(), place);
    for (outcome, found) in a.refuting() {
        let Some(e) = found.elements.first() else {
            continue;
        };
        let set = e
            .key
            .as_deref()
            .map_or(String::new(), |k| format!(" in set {k}"));
        let shown = match outcome {
            "lost" | "stale" => format!(
                "added at {}{}, missed by the read at {}{}",
                event(e.add),
                match e.known {
                    known if known == e.add => " (acknowledged)".to_owned(),
                    known => format!(", known from the read at {}", event(known)),
                },
                event(e.witness),
                if outcome == "lost" {
                    " and every read after it"
                } else {
                    ", seen again later"
                }
            ),
            _ => format!("returned by the read at {}", event(e.witness)),
        };
        out.push(format!("  {outcome}: {}{set}: {shown}", e.element));
        if found.count > 1 {
            out.push(format!(
                "  … and {} more {outcome} (the report and results.json describe the first {})",
                found.count - 1,
                faultline_checkers::set::ELEMENTS_SHOWN
            ));
        }
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

fn linearizable_lines(
    out: &mut Vec<String>,
    name: &str,
    a: &Analysis,
    elapsed_ms: f64,
    place: Place,
) {
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
        let node = op
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {n}"));
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
        let node = other
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {n}"));
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

fn serializable_lines(out: &mut Vec<String>, name: &str, a: &SerialAnalysis) {
    let took = format!(
        "{} transactions, {} dependency edges, {:.1} ms",
        a.txns, a.edges, a.elapsed_ms
    );
    match a.valid {
        Validity::Valid if a.anomalies.is_empty() => {
            out.push(format!("{name}: valid: {} ({took})", a.model))
        }
        Validity::Valid => out.push(format!(
            "{name}: valid: {} allows what was found ({took})",
            a.model
        )),
        Validity::Unknown => out.push(format!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        )),
        Validity::Invalid => out.push(format!("{name}: INVALID: not {} ({took})", a.model)),
    }
    if !a.counts.is_empty() {
        out.push(format!("  anomalies: {}", a.counts_text()));
        out.push(format!("  rules out: {}", a.not.join(", ")));
    }
    let mut shown: std::collections::BTreeMap<&str, usize> = Default::default();
    for anomaly in &a.anomalies {
        let n = shown.entry(anomaly.name.as_str()).or_default();
        *n += 1;
        if *n > SHOWN_PER_KIND {
            continue;
        }
        out.push(format!("  {}: {}", anomaly.name, anomaly.explanation));
        for txn in &anomaly.txns {
            out.push(format!(
                "    {} (process {}{}, {}): {}",
                txn.name,
                txn.process,
                txn.node
                    .as_deref()
                    .map_or(String::new(), |n| format!(" on {n}")),
                txn.outcome,
                txn.mops.join("; ")
            ));
        }
    }
    for (kind, found) in &a.counts {
        let printed = shown
            .get(kind.as_str())
            .copied()
            .unwrap_or(0)
            .min(SHOWN_PER_KIND);
        if *found > printed {
            out.push(format!(
                "  … and {} more {kind} (the report and results.json explain the first {} of each kind)",
                found - printed,
                faultline_checkers::serializable::KEPT_PER_KIND
            ));
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

/// `1 op`, `65 ops`.
fn ops(n: usize) -> String {
    if n == 1 {
        "1 op".to_owned()
    } else {
        format!("{n} ops")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checkers::linearizable::OpView;

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

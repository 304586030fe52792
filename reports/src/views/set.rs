//! The set checker's verdict explained on the page: every outcome counted
//! with its latencies, then each refuting element as a story in time: the
//! add, when it was known, the reads that returned it and the read that
//! missed it, with the faults in force.

use super::{jump, seen_at, undecided, CheckerView};
use crate::explanation::{list_with_more, scope, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::set::{ElementView, Outcome, SetAnalysis};
use faultline_core::Validity;
use std::fmt::Write;

/// Elements explained per outcome before "show all".
const EXPLAINED: usize = 4;

/// A set verdict explained.
fn explain_set(body: &mut String, a: &SetAnalysis, timing: &Timing) {
    scope(
        body,
        &format!(
            "{} adds and {} reads in {} set(s)",
            a.attempted, a.reads, a.sets
        ),
        &a.model,
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    *body +=
        "<table class=\"set-outcomes\"><tr><th>outcome</th><th>elements</th><th>means</th></tr>\n";
    let stale_means = if a.linearizable {
        "a read begun after the element was known missed it, a later one saw it (refutes: reads were to be linearizable)"
    } else {
        "a read begun after the element was known missed it, a later one saw it (allowed: reads may be stale)"
    };
    let rows: [(&str, u64, &str); 7] = [
        ("attempted", a.attempted, "adds invoked"),
        ("acknowledged", a.acknowledged, "adds that completed ok"),
        (
            "stable",
            a.stable,
            "every read from some point on returned it",
        ),
        (
            "lost",
            a.lost.count,
            "known, then missed by every read from some point on (refutes)",
        ),
        ("stale", a.stale.count, stale_means),
        (
            "never read",
            a.never_read.count,
            "no read began after it was known: nothing claimed",
        ),
        (
            "unexpected",
            a.unexpected.count,
            "returned before any add of it began (refutes)",
        ),
    ];
    for (name, count, means) in rows {
        let _ = writeln!(
            body,
            "<tr><td>{name}</td><td>{count}</td><td>{}</td></tr>",
            escape(means)
        );
    }
    if a.duplicated.count > 0 {
        let _ = writeln!(
            body,
            "<tr><td>duplicated</td><td>{}</td><td>returned twice by one read (refutes)</td></tr>",
            a.duplicated.count
        );
    }
    *body += "</table>\n";
    for (name, latencies) in [("stable", &a.stable_latencies), ("lost", &a.lost_latencies)] {
        if latencies.is_empty() {
            continue;
        }
        let cells: Vec<String> = latencies
            .iter()
            .map(|(q, ms)| format!("q{q}: {ms:.1} ms"))
            .collect();
        let _ = writeln!(
            body,
            "<p class=\"muted\">From known to {name}: {}.</p>",
            escape(&cells.join(", "))
        );
    }
    let _ = writeln!(body, "<div id=\"set-elements\">");
    for (name, outcome) in a.refuting() {
        elements(body, name, outcome, timing);
    }
    *body += "</div>\n";
}

/// One refuting outcome's elements, the first few in full.
fn elements(body: &mut String, name: &str, outcome: &Outcome, timing: &Timing) {
    let _ = writeln!(
        body,
        "<h4 id=\"set-{name}\">{name} ({} element(s){})</h4>",
        outcome.count,
        if outcome.count as usize > outcome.elements.len() {
            format!(", the first {} described", outcome.elements.len())
        } else {
            String::new()
        }
    );
    list_with_more(body, &outcome.elements, EXPLAINED, name, |e| {
        element_story(name, e, timing)
    });
}

/// `<a>event 12</a> (0.100–0.120 s)`.
fn event(invoke: usize, timing: &Timing) -> String {
    let span = timing
        .span(invoke)
        .map_or(String::new(), |s| format!(" ({s})"));
    format!("{}{span}", timing.link(invoke))
}

/// One element's story, in sentences, in the order things happened.
fn element_story(outcome: &str, e: &ElementView, timing: &Timing) -> String {
    let mut text = format!("<code>{}</code>", escape(&e.element.to_string()));
    if let Some(key) = &e.key {
        let _ = write!(text, " in set <code>{}</code>", escape(key));
    }
    text += ": ";
    match e.add {
        Some(add) => {
            let _ = write!(text, "added at {}", event(add, timing));
        }
        None => text += "no add of it was ever invoked",
    }
    match e.known {
        Some(known) if Some(known) == e.add => text += ", acknowledged",
        Some(known) => {
            let _ = write!(text, "; known from the read at {}", event(known, timing));
        }
        None => {}
    }
    let Some(witness) = e.witness else {
        return text + ".";
    };
    let on = e
        .witness_node
        .as_deref()
        .map_or(String::new(), |n| format!(" on {}", escape(n)));
    let read = format!("the read at {}{on}", event(witness, timing));
    let from = e.known.or(e.add).unwrap_or(witness).min(witness);
    let faults = timing.under(from, witness);
    let ms = e.latency_ms.unwrap_or(0.0);
    match outcome {
        "lost" => {
            if let Some(present) = e.last_present {
                let _ = write!(
                    text,
                    "; last returned by the read at {}",
                    event(present, timing)
                );
            }
            let _ = write!(
                text,
                "; then missed by {read} and by every read after it (lost {ms:.1} ms after it was known). From its add to that read, {faults}."
            );
        }
        "stale" => {
            let _ = write!(
                text,
                "; yet missed by {read}, begun {ms:.1} ms after it was known. From its add to that read, {faults}."
            );
            if let Some(present) = e.last_present {
                let _ = write!(
                    text,
                    " Later reads returned it (the last at {}).",
                    event(present, timing)
                );
            }
        }
        "unexpected" => {
            let _ = write!(text, "; returned by {read} before any add of it began.");
        }
        _ => {
            let _ = write!(text, "; returned twice by {read}.");
        }
    }
    text
}

impl CheckerView for SetAnalysis {
    fn story_line(&self) -> String {
        set_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        set_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        jump(self.valid, &self.refuted_text(), "set-elements", "elements")
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_set(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        self.refuting()
            .iter()
            .map(|(name, o)| format!("{name} ×{}", o.count))
            .collect()
    }
}

/// A set's anomalies are seen at the read that shows them.
fn set_firsts(checker: &str, a: &SetAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.refuting()
        .into_iter()
        .flat_map(|(name, outcome)| outcome.elements.iter().map(move |e| (name, e)))
        .filter_map(|(name, e)| {
            let invoke = e.witness?;
            Some(FirstSeen {
                at: seen_at(run, invoke)?,
                invoke,
                what: format!(
                    "the read that shows element <code>{}</code>{} {name}",
                    escape(&e.element.to_string()),
                    e.key.as_deref().map_or(String::new(), |k| format!(
                        " of set <code>{}</code>",
                        escape(k)
                    ))
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn set_line(a: &SetAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("every acknowledged element kept, {} stable", a.stable),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => format!(
            "<strong>elements not kept</strong>: {} of {} acknowledged (<a href=\"#set-elements\">see the elements</a>)",
            escape(&a.refuted_text()),
            a.acknowledged
        ),
    }
}

//! The counter checker's verdict explained on the page: the counts, then
//! each read out of bounds with its bounds, when and where it ran, and
//! the faults in force.

use super::{jump, seen_at, undecided, CheckerView};
use crate::explanation::{list_with_more, scope, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::counter::{BoundsError, CounterAnalysis};
use faultline_core::Validity;
use std::fmt::Write;

/// Reads explained before "show all".
const EXPLAINED: usize = 4;

/// A counter verdict explained.
fn explain_counter(body: &mut String, a: &CounterAnalysis, timing: &Timing) {
    scope(
        body,
        &format!(
            "{} adds ({} acknowledged) and {} reads of {} counter(s)",
            a.attempted, a.acknowledged, a.reads, a.counters
        ),
        &format!(
            "{}: every read at least what was acknowledged before it began, at most what was tried before it ended",
            a.model
        ),
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if a.errors.is_empty() {
        return;
    }
    let _ = writeln!(
        body,
        "<h4 id=\"counter-reads\">{} read(s) out of bounds{}</h4>",
        a.out_of_bounds,
        if a.out_of_bounds as usize > a.errors.len() {
            format!(", the first {} described", a.errors.len())
        } else {
            String::new()
        }
    );
    list_with_more(body, &a.errors, EXPLAINED, "reads out of bounds", |e| {
        read_story(e, timing)
    });
}

fn read_story(e: &BoundsError, timing: &Timing) -> String {
    let span = timing
        .span(e.read)
        .map_or(String::new(), |s| format!(" ({s})"));
    let on = e
        .node
        .as_deref()
        .map_or(String::new(), |n| format!(" on {}", escape(n)));
    let key = e.key.as_deref().map_or(String::new(), |k| {
        format!(" of counter <code>{}</code>", escape(k))
    });
    let why = if e.value < e.lower {
        format!("{} had been acknowledged before it began", e.lower)
    } else {
        format!("at most {} had been tried before it ended", e.upper)
    };
    format!(
        "The read{key} at {}{span}{on} returned <strong>{}</strong>, but {why} (bounds {}–{}); {}.",
        timing.link(e.read),
        e.value,
        e.lower,
        e.upper,
        timing.under(e.read, e.read)
    )
}

impl CheckerView for CounterAnalysis {
    fn story_line(&self) -> String {
        counter_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        counter_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        jump(self.valid, &self.refuted_text(), "counter-reads", "reads")
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_counter(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        (self.out_of_bounds > 0)
            .then(|| format!("read out of bounds ×{}", self.out_of_bounds))
            .into_iter()
            .collect()
    }
}

/// A counter's anomaly is seen when the read out of bounds returned.
fn counter_firsts(checker: &str, a: &CounterAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.errors
        .iter()
        .filter_map(|e| {
            Some(FirstSeen {
                at: seen_at(run, e.read)?,
                invoke: e.read,
                what: format!(
                    "a read returned {} outside its bounds {}–{}{}",
                    e.value,
                    e.lower,
                    e.upper,
                    e.node
                        .as_deref()
                        .map_or(String::new(), |n| format!(" on {}", escape(n)))
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn counter_line(a: &CounterAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("every read within its bounds, {} reads", a.reads),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => format!(
            "<strong>{} of {}</strong> (<a href=\"#counter-reads\">see the reads</a>)",
            escape(&a.refuted_text()),
            a.reads
        ),
    }
}

//! The watch checker's verdict explained on the page: the counts, then
//! each finding with the watch, the revision, what it saw and what was
//! known there, when and where it ran, and the faults in force.

use super::{jump, seen_at, undecided, CheckerView};
use crate::explanation::{list_with_more, meanings, scope, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::watch::{WatchAnalysis, WatchFinding};
use faultline_core::Validity;
use std::fmt::Write;

/// Findings explained before "show all".
const EXPLAINED: usize = 4;

/// A watch verdict explained.
fn explain_watch(body: &mut String, a: &WatchAnalysis, timing: &Timing) {
    scope(
        body,
        &format!(
            "{} puts acknowledged and {} watches delivering {} events ({} revisions) of {} key(s)",
            a.puts_ok, a.watches, a.events, a.revisions, a.keys
        ),
        &format!(
            "{}: every watch delivers its key's revisions in order, none twice, none skipped between two it delivered, each with the value every other watcher saw there",
            a.model
        ),
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if a.findings.is_empty() {
        return;
    }
    let total: u64 = a.errors.values().sum();
    let _ = writeln!(
        body,
        "<h4 id=\"watch-findings\">{}{}</h4>",
        escape(&a.refuted_text()),
        if total as usize > a.findings.len() {
            format!(", the first {} described", a.findings.len())
        } else {
            String::new()
        }
    );
    meanings(body, a.errors.keys().map(|e| (e.name(), e.meaning())));
    list_with_more(body, &a.findings, EXPLAINED, "findings", |f| {
        finding_story(f, timing)
    });
}

fn finding_story(f: &WatchFinding, timing: &Timing) -> String {
    let span = timing
        .span(f.operation)
        .map_or(String::new(), |s| format!(" ({s})"));
    let key = f
        .key
        .as_deref()
        .map_or(String::new(), |k| format!(" of <code>{}</code>", escape(k)));
    let known = match f.known_from {
        Some(i) => format!(
            "; {} knew it as <strong>{}</strong>",
            timing.link(i),
            escape(&f.known.to_string())
        ),
        None => String::new(),
    };
    format!(
        "<code>{}</code>: the watch{key} at {}{span}, revision {}: it saw <strong>{}</strong>{known}; {}.",
        f.error.name(),
        timing.link(f.operation),
        f.revision,
        escape(&f.seen.to_string()),
        timing.under(f.operation, f.operation)
    )
}

impl CheckerView for WatchAnalysis {
    fn story_line(&self) -> String {
        watch_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        watch_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        jump(
            self.valid,
            &self.refuted_text(),
            "watch-findings",
            "watches",
        )
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_watch(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|(e, n)| format!("{} ×{n}", e.name()))
            .collect()
    }
}

fn watch_firsts(checker: &str, a: &WatchAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.findings
        .iter()
        .filter_map(|f| {
            Some(FirstSeen {
                at: seen_at(run, f.operation)?,
                invoke: f.operation,
                what: format!("a watch {} revision {}", f.error.name(), f.revision),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn watch_line(a: &WatchAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!(
            "every watcher saw the same ordered revisions, {} events in {} watches",
            a.events, a.watches
        ),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => format!(
            "<strong>{} in {} watches</strong> (<a href=\"#watch-findings\">see the watches</a>)",
            escape(&a.refuted_text()),
            a.watches
        ),
    }
}

//! The watch checker's verdict explained on the page: the counts, then
//! each finding with the watch, the revision, what it saw and what was
//! known there, when and where it ran, and the faults in force.

use crate::explanation::{list_with_more, meanings, scope, Timing};
use crate::html::escape;
use faultline_checkers::watch::{WatchAnalysis, WatchFinding};
use std::fmt::Write;

/// Findings explained before "show all".
const EXPLAINED: usize = 4;

/// A watch verdict explained.
pub fn explain_watch(body: &mut String, a: &WatchAnalysis, timing: &Timing) {
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

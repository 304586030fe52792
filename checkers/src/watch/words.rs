//! The watch checker's answer in words.

use super::WatchAnalysis;
use crate::analysis::refuting_analysis;
use crate::words::{and_more, of_key, verdict_line, Place};

refuting_analysis!(WatchAnalysis, crate::CheckSpec::WATCH);

fn lines_of(out: &mut Vec<String>, name: &str, a: &WatchAnalysis, place: Place) {
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
        let key = of_key("of", f.key.as_deref());
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

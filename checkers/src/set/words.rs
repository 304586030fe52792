//! The set checker's answer in words.

use super::SetAnalysis;
use crate::analysis::refuting_analysis;
use crate::words::{verdict_line, Place};

refuting_analysis!(SetAnalysis, crate::CheckSpec::SET);

fn lines_of(out: &mut Vec<String>, name: &str, a: &SetAnalysis, place: Place) {
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
                crate::set::ELEMENTS_SHOWN
            ));
        }
    }
}

//! The unique-ids checker's answer in words.

use super::UniqueIdsAnalysis;
use crate::analysis::refuting_analysis;
use crate::words::{and_more, of_key, verdict_line, Place};

refuting_analysis!(UniqueIdsAnalysis, crate::CheckSpec::UNIQUE_IDS);

fn lines_of(out: &mut Vec<String>, name: &str, a: &UniqueIdsAnalysis, place: Place) {
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
        let key = of_key("by", d.key.as_deref());
        let events: Vec<String> = d.operations.iter().map(|&p| place(p)).collect();
        out.push(format!(
            "  id {} handed out{key} to the generates invoked at {}",
            d.id,
            events.join(", ")
        ));
        and_more(out, a.duplicated, a.duplicates.len());
    }
}

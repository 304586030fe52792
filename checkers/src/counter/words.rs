//! The counter checker's answer in words.

use super::CounterAnalysis;
use crate::analysis::refuting_analysis;
use crate::words::{and_more, of_key, verdict_line, Place};

refuting_analysis!(CounterAnalysis, crate::CheckSpec::COUNTER);

fn lines_of(out: &mut Vec<String>, name: &str, a: &CounterAnalysis, place: Place) {
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
        let key = of_key("of", e.key.as_deref());
        let node = of_key("on", e.node.as_deref());
        out.push(format!(
            "  read{key} at {}{node} returned {}, outside {} to {} (from what was acknowledged before it began to what was tried before it ended)",
            place(e.read),
            e.value,
            e.lower,
            e.upper
        ));
        and_more(out, a.out_of_bounds, crate::counter::ERRORS_SHOWN);
    }
}

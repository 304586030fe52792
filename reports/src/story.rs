//! The story of a run's anomalies at a glance, at the top of the checker
//! section: per checker what is affected (keys refuted, components with
//! cycles) and the anomalies by kind with counts; then when the first was
//! seen, by which operation, and where that moment falls among the faults.
//! The same moment is marked on the plots and the timeline.

use crate::html::escape;
use crate::run_data::{FaultWindow, RunData};
use crate::run_record::RunRecord;
use crate::views::view;
use faultline_core::Validity;
use std::fmt::Write;

/// The earliest anomaly the checkers explained.
#[derive(Clone, Debug, PartialEq)]
pub struct FirstSeen {
    /// From the history's start to the completion that made it an
    /// anomaly: seconds, or events for a history without times.
    pub at: f64,
    /// The event invoking the operation that completed it (for the link
    /// to the timeline).
    pub invoke: usize,
    /// What it was, as HTML: `process 7 <code>read → 4</code> on n2`.
    pub what: String,
    /// The checker that found it.
    pub checker: String,
}

/// The earliest anomaly of every checker's explained ones; None when the
/// run is valid, or its history has no operations to place it.
pub fn first_seen(record: &RunRecord, run: &RunData) -> Option<FirstSeen> {
    record
        .analyses
        .iter()
        .flat_map(|(checker, checked)| match view(checked) {
            Ok(view) => view.firsts(checker, run),
            Err(_) => Vec::new(),
        })
        .min_by(|a, b| a.at.total_cmp(&b.at))
}

/// `12.314 s` or `event 72`.
pub fn moment(run: &RunData, at: f64) -> String {
    if run.timed {
        format!("{at:.3} s")
    } else {
        format!("event {at:.0}")
    }
}

/// Where `at` falls among the fault windows, in words.
pub fn among_faults(run: &RunData, at: f64) -> String {
    let name = |w: &FaultWindow| format!("{} {}", w.kind, w.label);
    let active: Vec<String> = run
        .faults
        .iter()
        .filter(|w| w.start <= at && at <= w.end)
        .map(|w| format!("{} (from {})", name(w), moment(run, w.start)))
        .collect();
    if !active.is_empty() {
        return format!("during {}", active.join("; "));
    }
    let last_healed = run
        .faults
        .iter()
        .filter(|w| w.end < at)
        .max_by(|x, y| x.end.total_cmp(&y.end));
    match last_healed {
        Some(w) if run.timed => format!(
            "with no fault in force, {:.3} s after {} healed",
            at - w.end,
            name(w)
        ),
        Some(w) => format!("with no fault in force, after {} healed", name(w)),
        None if run.faults.is_empty() => "with no fault applied".to_owned(),
        None => "before any fault".to_owned(),
    }
}

/// One line per checker, then the first anomaly: the block a reader sees
/// before any explanation.
pub fn story(body: &mut String, record: &RunRecord, run: &RunData, first: Option<&FirstSeen>) {
    if !record
        .analyses
        .iter()
        .any(|(_, checked)| checked.valid() != Validity::Valid)
    {
        return;
    }
    *body += "<div id=\"story\" class=\"story\"><ul>\n";
    for (checker, checked) in &record.analyses {
        let line = match view(checked) {
            Ok(view) => view.story_line(),
            Err(reason) => format!("not checked: {}", escape(reason)),
        };
        let _ = writeln!(
            body,
            "<li><strong>{}</strong>: {line}</li>",
            escape(checker)
        );
    }
    *body += "</ul>\n";
    if let Some(first) = first {
        let _ = writeln!(
            body,
            "<p id=\"first-anomaly\">First anomaly seen at <strong>{}</strong> ({}): {}, \
{}; {}. Marked in red on the plots and the timeline.</p>",
            moment(run, first.at),
            escape(&first.checker),
            first.what,
            run.link(first.invoke),
            escape(&among_faults(run, first.at))
        );
    }
    *body += "</div>\n";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with_faults(windows: &[(f64, f64)]) -> RunData {
        RunData {
            timed: true,
            faults: windows
                .iter()
                .map(|&(start, end)| FaultWindow {
                    kind: "partition",
                    label: format!("{start}"),
                    start,
                    end,
                })
                .collect(),
            ..RunData::default()
        }
    }

    #[test]
    fn a_moment_is_placed_during_after_or_before_the_faults() {
        let run = run_with_faults(&[(10.0, 20.0), (30.0, 40.0)]);
        assert_eq!(
            among_faults(&run, 12.5),
            "during partition 10 (from 10.000 s)"
        );
        assert_eq!(
            among_faults(&run, 41.5),
            "with no fault in force, 1.500 s after partition 30 healed"
        );
        assert_eq!(
            among_faults(&run, 25.0),
            "with no fault in force, 5.000 s after partition 10 healed"
        );
        assert_eq!(among_faults(&run, 5.0), "before any fault");
        assert_eq!(
            among_faults(&run_with_faults(&[]), 5.0),
            "with no fault applied"
        );
        let overlapping = run_with_faults(&[(10.0, 20.0), (15.0, 25.0)]);
        assert_eq!(
            among_faults(&overlapping, 16.0),
            "during partition 10 (from 10.000 s); partition 15 (from 15.000 s)"
        );
    }

    #[test]
    fn a_valid_run_tells_no_story() {
        let mut body = String::new();
        story(&mut body, &RunRecord::default(), &RunData::default(), None);
        assert!(body.is_empty(), "{body}");
    }
}

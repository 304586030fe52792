//! The story of a run's anomalies at a glance, at the top of the checker
//! section: per checker what is affected (keys refuted, components with
//! cycles) and the anomalies by kind with counts; then when the first was
//! seen, by which operation, and where that moment falls among the faults.
//! The same moment is marked on the plots and the timeline.

use crate::html::escape;
use crate::run_data::{FaultWindow, RunData};
use crate::run_record::RunRecord;
use faultline_checkers::bank::BankAnalysis;
use faultline_checkers::counter::CounterAnalysis;
use faultline_checkers::linearizable::Analysis;
use faultline_checkers::serializable::{Anomaly, SerialAnalysis};
use faultline_checkers::set::SetAnalysis;
use faultline_checkers::unique_ids::UniqueIdsAnalysis;
use faultline_checkers::watch::WatchAnalysis;
use faultline_checkers::CheckedHistory;
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
        .flat_map(|(checker, checked)| match checked {
            CheckedHistory::Linearizable(a) => linearizable_firsts(checker, a, run),
            CheckedHistory::Serializable(a) => serializable_firsts(checker, a, run),
            CheckedHistory::Set(a) => set_firsts(checker, a, run),
            CheckedHistory::Counter(a) => counter_firsts(checker, a, run),
            CheckedHistory::UniqueIds(a) => unique_ids_firsts(checker, a, run),
            CheckedHistory::Bank(a) => bank_firsts(checker, a, run),
            CheckedHistory::Watch(a) => watch_firsts(checker, a, run),
            CheckedHistory::Unchecked(_) => Vec::new(),
        })
        .min_by(|a, b| a.at.total_cmp(&b.at))
}

/// When an operation's anomaly was complete: at its completion, or its
/// invocation when it never completed.
fn seen_at(run: &RunData, invoke: usize) -> Option<f64> {
    run.op_invoked_at(invoke)
        .map(|op| if op.completed { op.end } else { op.start })
}

fn linearizable_firsts(checker: &str, a: &Analysis, run: &RunData) -> Vec<FirstSeen> {
    a.counterexample
        .iter()
        .chain(&a.more_counterexamples)
        .filter_map(|c| {
            let op = c.failing_op.as_ref()?;
            Some(FirstSeen {
                at: seen_at(run, op.invoke)?,
                invoke: op.invoke,
                what: format!(
                    "process {} <code>{}</code>{}{}",
                    escape(&op.process),
                    escape(&op.description),
                    op.node
                        .as_deref()
                        .map_or(String::new(), |n| format!(" on {}", escape(n))),
                    c.key.as_deref().map_or(String::new(), |k| format!(
                        " (key <code>{}</code>)",
                        escape(k)
                    ))
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn serializable_firsts(checker: &str, a: &SerialAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.anomalies
        .iter()
        .filter_map(|anomaly| {
            // The cycle exists once its last transaction completed.
            let (at, invoke) = anomaly
                .txns
                .iter()
                .filter_map(|t| {
                    let invoke = t.invoke()?;
                    Some((seen_at(run, invoke)?, invoke))
                })
                .max_by(|x, y| x.0.total_cmp(&y.0))?;
            Some(FirstSeen {
                at,
                invoke,
                what: format!("{} among {}", escape(&anomaly.name), txn_names(anomaly)),
                checker: checker.to_owned(),
            })
        })
        .collect()
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

/// A duplicated id is seen when its second operation returned.
fn unique_ids_firsts(checker: &str, a: &UniqueIdsAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.duplicates
        .iter()
        .filter_map(|d| {
            let second = *d.operations.get(1)?;
            Some(FirstSeen {
                at: seen_at(run, second)?,
                invoke: second,
                what: format!(
                    "the id {} was handed out a second time",
                    escape(&d.id.to_string())
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
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

fn bank_firsts(checker: &str, a: &BankAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.examples
        .iter()
        .filter_map(|bad| {
            Some(FirstSeen {
                at: seen_at(run, bad.operation)?,
                invoke: bad.operation,
                what: format!(
                    "a read of the bank summed to {} (of {})",
                    bad.total, a.total
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn bank_line(a: &BankAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("every read summed to {}, {} reads", a.total, a.reads),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => format!(
            "<strong>{} of {} reads</strong> (<a href=\"#bad-reads\">see the reads</a>)",
            escape(&a.refuted_text()),
            a.reads
        ),
    }
}

fn unique_ids_line(a: &UniqueIdsAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("every id unique, {} acknowledged", a.acknowledged),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => format!(
            "<strong>{} of {} acknowledged</strong> (<a href=\"#duplicate-ids\">see the ids</a>)",
            escape(&a.refuted_text()),
            a.acknowledged
        ),
    }
}

/// `undecided: why`.
fn undecided(reason: Option<&str>) -> String {
    reason.map_or("undecided".to_owned(), |r| {
        format!("undecided: {}", escape(r))
    })
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

fn txn_names(anomaly: &Anomaly) -> String {
    let names: Vec<&str> = anomaly.txns.iter().map(|t| t.name.as_str()).collect();
    escape(&names.join(", "))
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
        let line = match checked {
            CheckedHistory::Linearizable(a) => linearizable_line(a),
            CheckedHistory::Serializable(a) => serializable_line(a),
            CheckedHistory::Set(a) => set_line(a),
            CheckedHistory::Counter(a) => counter_line(a),
            CheckedHistory::UniqueIds(a) => unique_ids_line(a),
            CheckedHistory::Bank(a) => bank_line(a),
            CheckedHistory::Watch(a) => watch_line(a),
            CheckedHistory::Unchecked(reason) => format!("not checked: {}", escape(reason)),
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

fn linearizable_line(a: &Analysis) -> String {
    match a.valid {
        Validity::Valid => format!("linearizable, {}", a.ops_text()),
        Validity::Unknown => undecided(a.reason.as_deref()),
        // The checker's own words for what was refuted, as `check` prints.
        Validity::Invalid => match a.refuted_text() {
            refuted if refuted.is_empty() => "<strong>not linearizable</strong>".to_owned(),
            refuted => format!("<strong>not linearizable</strong>: {}", escape(&refuted)),
        },
    }
}

fn serializable_line(a: &SerialAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("{} for {} transactions", escape(&a.model), a.txns),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => {
            let total: usize = a.counts.values().sum();
            let kinds: Vec<String> = a
                .counts
                .iter()
                .map(|(kind, n)| format!("<a href=\"#anomaly-{0}\">{0}</a> ×{n}", escape(kind)))
                .collect();
            format!(
                "<strong>{total} anomalies</strong> ({}){}; not {}",
                kinds.join(", "),
                if a.cycles_components > 0 {
                    format!(
                        ", in {} strongly connected component(s) of the dependency graph",
                        a.cycles_components
                    )
                } else {
                    String::new()
                },
                escape(&a.model)
            )
        }
    }
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

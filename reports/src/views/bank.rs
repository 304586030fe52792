//! The bank checker's verdict explained on the page: the counts, then each
//! read that broke the bank with its balances, what it got wrong, when and
//! where it ran, and the faults in force.

use super::{jump, seen_at, undecided, CheckerView};
use crate::explanation::{list_with_more, meanings, scope, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::bank::{BadRead, BankAnalysis};
use faultline_core::Validity;
use std::fmt::Write;

/// Reads explained before "show all".
const EXPLAINED: usize = 4;

/// A bank verdict explained.
fn explain_bank(body: &mut String, a: &BankAnalysis, timing: &Timing) {
    let totals = a.totals.map_or(String::new(), |(low, high)| {
        if low == high {
            format!("; every read summed to {low}")
        } else {
            format!("; reads summed to {low}–{high}")
        }
    });
    scope(
        body,
        &format!(
            "{} reads and {} transfers ({} acknowledged, {} failed, {} unknown) of {} bank(s) of {} accounts{totals}",
            a.reads,
            a.transfers_ok + a.transfers_failed + a.transfers_unknown,
            a.transfers_ok,
            a.transfers_failed,
            a.transfers_unknown,
            a.banks,
            a.accounts
        ),
        &format!(
            "{}: every acknowledged read holds each account once, sums to {}, and no balance is negative",
            a.model, a.total
        ),
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if a.examples.is_empty() {
        return;
    }
    let _ = writeln!(
        body,
        "<h4 id=\"bad-reads\">{}{}</h4>",
        escape(&a.refuted_text()),
        if a.bad_reads as usize > a.examples.len() {
            format!(", the first {} described", a.examples.len())
        } else {
            String::new()
        }
    );
    meanings(body, a.errors.keys().map(|e| (e.name(), e.meaning())));
    list_with_more(body, &a.examples, EXPLAINED, "bad reads", |bad| {
        read_story(bad, a.total, timing)
    });
}

fn read_story(bad: &BadRead, total: i64, timing: &Timing) -> String {
    let span = timing
        .span(bad.operation)
        .map_or(String::new(), |s| format!(" ({s})"));
    let on = bad
        .node
        .as_deref()
        .map_or(String::new(), |n| format!(" on {}", escape(n)));
    let key = bad.key.as_deref().map_or(String::new(), |k| {
        format!(" of bank <code>{}</code>", escape(k))
    });
    let errors: Vec<&str> = bad.errors.iter().map(|e| e.name()).collect();
    format!(
        "The read{key} at {}{span}{on} returned <strong>{}</strong>, summing to {} where the bank holds {total} ({}); {}.",
        timing.link(bad.operation),
        escape(&bad.balances.to_string()),
        bad.total,
        errors.join(", "),
        timing.under(bad.operation, bad.operation)
    )
}

impl CheckerView for BankAnalysis {
    fn story_line(&self) -> String {
        bank_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        bank_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        jump(self.valid, &self.refuted_text(), "bad-reads", "reads")
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_bank(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|(e, n)| format!("{} ×{n}", e.name()))
            .collect()
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

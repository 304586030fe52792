//! The bank checker's verdict explained on the page: the counts, then each
//! read that broke the bank with its balances, what it got wrong, when and
//! where it ran, and the faults in force.

use crate::explanation::{list_with_more, meanings, scope, Timing};
use crate::html::escape;
use faultline_checkers::bank::{BadRead, BankAnalysis};
use std::fmt::Write;

/// Reads explained before "show all".
const EXPLAINED: usize = 4;

/// A bank verdict explained.
pub fn explain_bank(body: &mut String, a: &BankAnalysis, timing: &Timing) {
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

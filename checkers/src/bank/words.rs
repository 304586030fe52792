//! The bank checker's answer in words.

use super::BankAnalysis;
use crate::analysis::refuting_analysis;
use crate::words::{and_more, of_key, verdict_line, Place};

refuting_analysis!(BankAnalysis, crate::CheckSpec::BANK);

fn lines_of(out: &mut Vec<String>, name: &str, a: &BankAnalysis, place: Place) {
    let totals = match a.totals {
        Some((low, high)) if low != high => format!(", totals from {low} to {high}"),
        _ => String::new(),
    };
    let counts = format!(
        "{} reads; {} transfers ok, {} failed, {} unknown; {} bank(s) of {} accounts holding {}{totals}",
        a.reads,
        a.transfers_ok,
        a.transfers_failed,
        a.transfers_unknown,
        a.banks,
        a.accounts,
        a.total
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    if let Some(bad) = a.examples.first() {
        let key = of_key("of", bad.key.as_deref());
        let errors: Vec<&str> = bad.errors.iter().map(|e| e.name()).collect();
        out.push(format!(
            "  the read{key} invoked at {} returned {}, summing to {} ({})",
            place(bad.operation),
            bad.balances,
            bad.total,
            errors.join(", ")
        ));
        and_more(out, a.bad_reads, a.examples.len());
    }
}

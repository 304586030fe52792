//! The serializability checker's answer in words: the verdict, the
//! anomalies found and the models they rule out, then the first of each
//! kind with its transactions.

use super::SerialAnalysis;
use crate::analysis::{analysis_fields, Analysis};
use crate::words::Place;
use faultline_core::Validity;

/// Anomalies explained per kind in text: the first says what went wrong;
/// the page shows more, results.json has every explained one.
const SHOWN_PER_KIND: usize = 1;

impl Analysis for SerialAnalysis {
    analysis_fields!(crate::CheckSpec::SERIALIZABLE);

    fn lines(&self, name: &str, _elapsed_ms: f64, _place: Place) -> Vec<String> {
        let mut out = Vec::new();
        lines_of(&mut out, name, self);
        out
    }

    fn one_line(&self) -> String {
        if self.counts.is_empty() {
            return format!("{} ({})", self.valid, self.model);
        }
        format!(
            "{} ({}): {}; rules out {}",
            self.valid,
            self.model,
            self.counts_text(),
            self.not.join(", ")
        )
    }
}

fn lines_of(out: &mut Vec<String>, name: &str, a: &SerialAnalysis) {
    let took = format!(
        "{} transactions, {} dependency edges, {:.1} ms",
        a.txns, a.edges, a.elapsed_ms
    );
    match a.valid {
        Validity::Valid if a.anomalies.is_empty() => {
            out.push(format!("{name}: valid: {} ({took})", a.model))
        }
        Validity::Valid => out.push(format!(
            "{name}: valid: {} allows what was found ({took})",
            a.model
        )),
        Validity::Unknown => out.push(format!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        )),
        Validity::Invalid => out.push(format!("{name}: INVALID: not {} ({took})", a.model)),
    }
    if !a.counts.is_empty() {
        out.push(format!("  anomalies: {}", a.counts_text()));
        out.push(format!("  rules out: {}", a.not.join(", ")));
    }
    let mut shown: std::collections::BTreeMap<&str, usize> = Default::default();
    for anomaly in &a.anomalies {
        let n = shown.entry(anomaly.name.as_str()).or_default();
        *n += 1;
        if *n > SHOWN_PER_KIND {
            continue;
        }
        out.push(format!("  {}: {}", anomaly.name, anomaly.explanation));
        for txn in &anomaly.txns {
            out.push(format!(
                "    {} (process {}{}, {}): {}",
                txn.name,
                txn.process,
                txn.node
                    .as_deref()
                    .map_or(String::new(), |n| format!(" on {n}")),
                txn.outcome,
                txn.mops.join("; ")
            ));
        }
    }
    for (kind, found) in &a.counts {
        let printed = shown
            .get(kind.as_str())
            .copied()
            .unwrap_or(0)
            .min(SHOWN_PER_KIND);
        if *found > printed {
            out.push(format!(
                "  … and {} more {kind} (the report and results.json explain the first {} of each kind)",
                found - printed,
                crate::serializable::KEPT_PER_KIND
            ));
        }
    }
}

//! `faultline check --checker list-append|rw-register`: the
//! serializability checker's verdict on a history, as text or JSON.

use crate::check_command::CheckArgs;
use crate::exit::Failure;
use anyhow::anyhow;
use faultline_checkers::serializable::{check, SerialAnalysis, Workload};
use faultline_core::{Budget, History, Validity};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Anomalies printed per kind in text mode (JSON has them all).
const SHOWN_PER_KIND: usize = 2;

/// Checks one parsed history and reports it.
pub fn check_history(
    args: &CheckArgs,
    file: &Path,
    history: &History,
    workload: Workload,
    budget: &Budget,
    start: Instant,
) -> Result<(Validity, String), Failure> {
    let name = file.display().to_string();
    let analysis = check(history, workload, args.consistency_model, budget).map_err(|e| {
        Failure::bad_input(anyhow!(
            "{name}: {e} (checked with --checker {})",
            workload.name()
        ))
    })?;
    let check_ms = start.elapsed().as_secs_f64() * 1e3;
    if args.json {
        let mut line = serde_json::to_value(&analysis).unwrap_or_default();
        line["file"] = json!(name);
        line["elapsed_ms"] = json!((start.elapsed().as_secs_f64() * 1e6).round() / 1000.0);
        println!("{line}");
    } else {
        print_text(&name, &analysis);
    }
    crate::check_command::write_report(
        args,
        file,
        history,
        &faultline_checkers::CheckSpec::Serializable {
            workload,
            consistency_model: args.consistency_model,
        },
        analysis.valid,
        serde_json::to_value(&analysis).unwrap_or_default(),
        check_ms,
    )?;
    let message = if analysis.counts.is_empty() {
        format!("{} ({})", analysis.valid, analysis.model)
    } else {
        format!(
            "{} ({}): {}; rules out {}",
            analysis.valid,
            analysis.model,
            analysis.counts_text(),
            analysis.not.join(", ")
        )
    };
    Ok((analysis.valid, message))
}

pub(crate) fn print_text(name: &str, a: &SerialAnalysis) {
    let took = format!(
        "{} transactions, {} dependency edges, {:.1} ms",
        a.txns, a.edges, a.elapsed_ms
    );
    match a.valid {
        Validity::Valid if a.anomalies.is_empty() => {
            println!("{name}: valid: {} ({took})", a.model)
        }
        Validity::Valid => println!("{name}: valid: {} allows what was found ({took})", a.model),
        Validity::Unknown => println!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        ),
        Validity::Invalid => println!("{name}: INVALID: not {} ({took})", a.model),
    }
    if !a.counts.is_empty() {
        println!("  anomalies: {}", a.counts_text());
        println!("  rules out: {}", a.not.join(", "));
    }
    let mut shown: std::collections::BTreeMap<&str, usize> = Default::default();
    for anomaly in &a.anomalies {
        let n = shown.entry(anomaly.name.as_str()).or_default();
        *n += 1;
        if *n > SHOWN_PER_KIND {
            continue;
        }
        println!("  {}: {}", anomaly.name, anomaly.explanation);
        for txn in &anomaly.txns {
            println!(
                "    {} (process {}, {}): {}",
                txn.name,
                txn.process,
                txn.outcome,
                txn.mops.join("; ")
            );
        }
    }
}

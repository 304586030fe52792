//! `faultline check`: judge histories recorded by faultline or by Jepsen.

use crate::exit::Failure;
use crate::junit::{write_junit, write_summary, Case, CaseOutcome};
use anyhow::anyhow;
use clap::Args;
use faultline_checkers::linearizable::{Analysis, Counterexample, ModelKind};
use faultline_checkers::serializable::{ConsistencyModel, Workload};
use faultline_core::{Budget, Format, Validity};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Options of `faultline check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The checker: linearizable (with --model), list-append or rw-register (transactions, with --consistency-model).
    #[arg(long, default_value = "linearizable", value_parser = ["linearizable", "list-append", "rw-register"])]
    pub(crate) checker: String,
    /// For list-append and rw-register: the model required (read-uncommitted, read-committed, repeatable-read, snapshot-isolation, serializable, strict-serializable, strong-session-...).
    #[arg(long, default_value = "strict-serializable", value_parser = parse_consistency_model)]
    pub(crate) consistency_model: ConsistencyModel,
    /// The model: register, cas-register, kv, set, queue, mutex.
    #[arg(long, default_value = "cas-register", value_parser = parse_model)]
    model: ModelKind,
    /// Input format: jsonl, jepsen-log, edn, kv-edn.
    #[arg(long, default_value = "jsonl", value_parser = parse_format)]
    format: Format,
    /// Seconds allowed per file; past it the verdict is unknown, never valid.
    #[arg(long, default_value_t = 120.0)]
    time_limit: f64,
    /// Print one JSON object per file on stdout instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also write a JUnit XML file: one test case per history file.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Also write a JSON summary: every file's verdict and anomalies.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Also write a report (page, plots, timeline, counterexample or anomalies drawn) into this directory; one subdirectory per file when there are several.
    #[arg(long)]
    pub(crate) report: Option<PathBuf>,
    /// The history files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn parse_consistency_model(s: &str) -> Result<ConsistencyModel, String> {
    s.parse()
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    s.parse()
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Checks every file; the exit code is the merged verdict, or 254 when a
/// file could not be read (the other files are still checked).
pub fn run(args: &CheckArgs) -> Result<i32, Failure> {
    if !(args.time_limit > 0.0 && args.time_limit.is_finite()) {
        return Err(Failure::bad_input(anyhow!(
            "--time-limit must be a positive number of seconds, not {}",
            args.time_limit
        )));
    }
    let budget = Budget {
        time_limit: Some(Duration::from_secs_f64(args.time_limit)),
        ..Budget::default()
    };
    let mut verdict = Validity::Valid;
    let mut unreadable = None;
    let mut cases = Vec::new();
    for file in &args.files {
        let start = Instant::now();
        let case = |outcome, message: String| Case {
            name: file.display().to_string(),
            classname: format!("faultline.check.{}", args.checker),
            time_s: start.elapsed().as_secs_f64(),
            outcome,
            message,
            details: String::new(),
        };
        match check_file(args, file, &budget) {
            Ok((v, message)) => {
                verdict = verdict.merge(v);
                let outcome = match v {
                    Validity::Valid => CaseOutcome::Passed,
                    Validity::Invalid => CaseOutcome::Failed,
                    Validity::Unknown => CaseOutcome::Error,
                };
                cases.push(case(outcome, message));
            }
            Err(failure) => {
                eprintln!("error: {:#}", failure.error);
                cases.push(case(CaseOutcome::Error, format!("{:#}", failure.error)));
                unreadable = Some(failure.code);
            }
        }
    }
    let code = unreadable.unwrap_or(verdict.exit_code());
    if let Some(path) = &args.junit {
        write_junit(path, "faultline check", &cases)
            .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.summary_json {
        write_summary(path, &cases, code)
            .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    Ok(code)
}

/// With `--report`, writes the file's run directory and page.
pub(crate) fn write_report(
    args: &CheckArgs,
    file: &Path,
    history: &faultline_core::History,
    spec: &faultline_checkers::CheckSpec,
    valid: Validity,
    analysis: serde_json::Value,
    check_ms: f64,
) -> Result<(), Failure> {
    let Some(base) = &args.report else {
        return Ok(());
    };
    let dir = crate::check_report::report_dir(base, file, args.files.len() > 1);
    let page = crate::check_report::write_check_report(
        &dir, file, history, spec, valid, analysis, check_ms,
    )
    .map_err(Failure::bad_input)?;
    if args.json {
        eprintln!("report: {}", page.display());
    } else {
        println!("  report: {}", page.display());
    }
    Ok(())
}

/// Checks one file: its verdict and a one-line summary.
fn check_file(
    args: &CheckArgs,
    file: &Path,
    budget: &Budget,
) -> Result<(Validity, String), Failure> {
    let name = file.display();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::bad_input(anyhow!("{name}: cannot read: {e}")))?;
    let mut parsed = args.format.parse(&text).map_err(|e| {
        Failure::bad_input(anyhow!(
            "{name}:{}: {} (read as --format {})",
            e.line,
            e.message,
            args.format
        ))
    })?;
    parsed.drop_orphan_completions();
    for warning in &parsed.warnings {
        eprintln!("warning: {name}: {warning}");
    }
    let start = Instant::now();
    if parsed.history.is_empty() {
        let reason = "the history is empty: nothing was recorded, so nothing can be judged";
        report(args, file, None, reason, start);
        return Ok((Validity::Unknown, reason.to_owned()));
    }
    let workload = match args.checker.as_str() {
        "list-append" => Some(Workload::ListAppend),
        "rw-register" => Some(Workload::RwRegister),
        _ => None,
    };
    if let Some(workload) = workload {
        return crate::check_serial::check_history(
            args,
            file,
            &parsed.history,
            workload,
            budget,
            start,
        );
    }
    let analysis = args.model.check(&parsed.history, budget).map_err(|e| {
        Failure::bad_input(anyhow!("{name}: {e} (checked with --model {})", args.model))
    })?;
    let check_ms = start.elapsed().as_secs_f64() * 1e3;
    report(args, file, Some(&analysis), "", start);
    write_report(
        args,
        file,
        &parsed.history,
        &faultline_checkers::CheckSpec::Linearizable { model: args.model },
        analysis.valid,
        serde_json::to_value(&analysis).unwrap_or_default(),
        check_ms,
    )?;
    let message = match (&analysis.valid, &analysis.counterexample) {
        (Validity::Invalid, Some(c)) => match &c.failing_op {
            Some(op) => format!(
                "not linearizable ({}): {}process {} `{}` cannot be linearized{}",
                analysis.model,
                suffixed(&analysis.refuted_text(), "; "),
                op.process,
                op.description,
                c.key
                    .as_deref()
                    .map_or(String::new(), |k| format!(" (key {k})"))
            ),
            None => format!(
                "not linearizable ({}){}",
                analysis.model,
                prefixed(": ", &analysis.refuted_text())
            ),
        },
        (v, _) => format!(
            "{v} ({}){}",
            analysis.model,
            analysis
                .reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}"))
        ),
    };
    Ok((analysis.valid, message))
}

/// `text` + `suffix`, or nothing when `text` is empty.
fn suffixed(text: &str, suffix: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}{suffix}")
    }
}

/// `prefix` + `text`, or nothing when `text` is empty.
fn prefixed(prefix: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{prefix}{text}")
    }
}

fn report(
    args: &CheckArgs,
    file: &Path,
    analysis: Option<&Analysis>,
    empty_reason: &str,
    start: Instant,
) {
    let elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
    let name = file.display().to_string();
    if args.json {
        let mut line = match analysis {
            Some(a) => serde_json::to_value(a).unwrap_or_default(),
            None => {
                json!({"valid": "unknown", "model": args.model.name(), "ops": 0, "reason": empty_reason})
            }
        };
        line["file"] = json!(name);
        line["elapsed_ms"] = json!((elapsed_ms * 1000.0).round() / 1000.0);
        println!("{line}");
        return;
    }
    let Some(a) = analysis else {
        println!("{name}: unknown: {empty_reason}");
        return;
    };
    let took = format!("{} ops, {} key(s), {elapsed_ms:.1} ms", a.ops, a.partitions);
    match (a.valid, &a.counterexample) {
        (Validity::Invalid, Some(c)) => {
            println!(
                "{name}: INVALID: not linearizable{} ({took})",
                prefixed(": ", &a.refuted_text())
            );
            print_counterexample(c);
            for more in &a.more_counterexamples {
                println!("  and:");
                print_counterexample(more);
            }
        }
        (Validity::Unknown, _) => println!(
            "{name}: unknown: {} ({took})",
            a.reason.as_deref().unwrap_or("no verdict")
        ),
        (v, _) => println!("{name}: {v} ({took})"),
    }
}

pub(crate) fn print_counterexample(c: &Counterexample) {
    let at = |line: Option<usize>, event: usize| {
        line.map_or_else(|| format!("event {event}"), |l| format!("line {l}"))
    };
    if let Some(key) = &c.key {
        println!("  key: {key}");
    }
    if let Some(op) = &c.failing_op {
        let node = op
            .node
            .as_deref()
            .map_or(String::new(), |n| format!(" on {n}"));
        println!(
            "  cannot linearize: process {}{node} `{}` ({})",
            op.process,
            op.description,
            at(op.line, op.invoke)
        );
    }
    if let Some(path) = c.partial_linearizations.first() {
        let shown = path.steps.len().min(8);
        println!(
            "  longest partial linearization ({} ops), last {shown}:",
            path.steps.len()
        );
        for step in &path.steps[path.steps.len() - shown..] {
            println!(
                "    process {:>4} {:<28} -> state {}",
                step.op.process, step.op.description, step.state_after
            );
        }
    }
    if let Some(w) = &c.window {
        println!(
            "  smallest failing window: {} to {} ({} ops), starting from state {}",
            at(w.from_line, w.from_event),
            at(w.to_line, w.to_event),
            w.op_count,
            w.start_states.join(" or ")
        );
    }
}

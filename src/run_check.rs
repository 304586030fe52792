//! Checking a run directory: its history.jsonl judged with the checker its
//! test.json names, the verdict merged with the harness's own failures,
//! results.json written. The end of every test and `faultline analyze`
//! both come here.

use crate::check_by_key::{check_keyed, KeyedCheck};
use anyhow::{anyhow, Context};
use faultline_checkers::linearizable::ModelKind;
use faultline_checkers::serializable::{ConsistencyModel, Workload};
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{
    parse_jsonl, Budget, Format, History, OpType, OutcomeCounts, ParseError, Process, RunResults,
    Validity,
};
use faultline_workloads::WorkloadKind;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// A checker's analysis of a run.
pub use faultline_checkers::CheckedHistory as RunAnalysis;

/// What a run's history showed.
pub struct RunVerdict {
    /// The merged verdict.
    pub valid: Validity,
    /// The harness's own failures, which make the verdict unknown.
    pub harness_failures: Vec<String>,
    /// The checker's analysis.
    pub analysis: RunAnalysis,
    /// Operations by outcome: ok, fail, info (client operations only).
    pub outcomes: [u64; 3],
    /// Nemesis operations completed.
    pub nemesis_events: u64,
    /// How long checking took.
    pub check_time: Duration,
    /// Seconds from the first to the last event.
    pub duration_s: f64,
    /// Each event's line in history.jsonl, when not position + 1.
    pub lines: Option<Vec<u32>>,
}

/// Client operations by outcome as [ok, fail, info], an operation still
/// pending at the end counted with info (its outcome is as unknown), so
/// that the counts add up to every client operation, as the verdict's do;
/// and nemesis actions completed.
pub fn count_completions(history: &History) -> ([u64; 3], u64) {
    let mut outcomes = [0u64; 3];
    let mut nemesis_events = 0;
    let mut pending = std::collections::HashSet::new();
    for op in history.events() {
        if let Process::Client(process) = op.process {
            if op.kind == OpType::Invoke {
                pending.insert(process);
            } else {
                pending.remove(&process);
            }
        }
        match (op.process, op.kind) {
            // The final phase's marker is no fault.
            (Process::Nemesis, OpType::Info)
                if op.f != faultline_checkers::linearizable::FINAL_READS =>
            {
                nemesis_events += 1
            }
            (Process::Client(_), OpType::Ok) => outcomes[0] += 1,
            (Process::Client(_), OpType::Fail) => outcomes[1] += 1,
            (Process::Client(_), OpType::Info) => outcomes[2] += 1,
            _ => {}
        }
    }
    outcomes[2] += pending.len() as u64;
    (outcomes, nemesis_events)
}

/// Checks `<run_dir>/history.jsonl` and writes `results.json`. `harness`:
/// the harness's own failures during the run (`None`: those results.json
/// already records, when the run is checked again); any makes the verdict
/// unknown, since the history cannot be trusted to be whole or the faults
/// to have been what the run says. `budget`: what the check may spend.
/// A history larger than `stream_above` bytes is checked key by key when
/// the checker is per key, so that memory follows the largest key.
pub fn check_run(
    run_dir: &Path,
    budget: &Budget,
    harness: Option<&[String]>,
    stream_above: u64,
) -> anyhow::Result<RunVerdict> {
    let harness_failures: Vec<String> = match harness {
        Some(list) => list.to_vec(),
        None => RunResults::read(run_dir)
            .map(|r| r.harness_failures)
            .unwrap_or_default(),
    };
    let file = run_dir.join("history.jsonl");
    let spec = run_check_spec(run_dir)?;
    let start = Instant::now();
    let size = std::fs::metadata(&file).map_or(0, |m| m.len());
    let read = match spec {
        // Read back key by key: memory follows the largest key, not the run.
        CheckSpec::Linearizable { model } if size > stream_above => {
            check_keyed(&file, Format::Jsonl, model, budget)
        }
        _ => check_whole(&file, &spec, budget),
    };
    let KeyedCheck {
        checked,
        outcomes,
        nemesis_events,
        last_time,
        lines,
    } = read.map_err(|e| match e.line {
        0 => anyhow!("{}: {}", file.display(), e.message),
        line => anyhow!("{}:{line}: {}", file.display(), e.message),
    })?;
    let analysis = match checked {
        Ok(checked) => checked,
        // The harness already failed this run: a history it could not
        // write whole may not pair up, and that is no new error.
        Err(e) if !harness_failures.is_empty() => {
            RunAnalysis::Unchecked(format!("the history could not be checked: {e}"))
        }
        Err(e) => {
            return Err(anyhow!(
                "{}: {e} (checked as test.json says: {})",
                file.display(),
                describe(&spec)
            ))
        }
    };
    let duration_s = last_time as f64 / 1e9;
    let (checked, checker) = (analysis.to_json(), spec.checker_name());
    let check_time = start.elapsed();
    let checked_valid = analysis.valid();
    // A history without one acknowledged operation proves nothing (no
    // failed or unknown operation refutes alone: the system that refused
    // everything kept every promise vacuously), nor one the harness failed
    // to record or to fault as it says.
    let valid = if outcomes[0] == 0 || !harness_failures.is_empty() {
        Validity::Unknown
    } else {
        checked_valid
    };
    RunResults {
        valid,
        checkers: BTreeMap::from([(checker.to_owned(), checked)]),
        ops: OutcomeCounts {
            ok: outcomes[0],
            fail: outcomes[1],
            info: outcomes[2],
        },
        nemesis_events,
        check_ms: check_time.as_secs_f64() * 1e3,
        duration_s: Some(duration_s),
        harness_failures: harness_failures.clone(),
    }
    .write(run_dir)
    .with_context(|| format!("cannot write {}", run_dir.join("results.json").display()))?;
    Ok(RunVerdict {
        valid,
        harness_failures,
        analysis,
        outcomes,
        nemesis_events,
        check_time,
        duration_s,
        lines,
    })
}

/// Histories larger than this are checked key by key (as `check`'s
/// `--stream-above` default) when the checker is per key.
pub const STREAM_ABOVE: u64 = 256 << 20;

/// Checks the history read whole (the serializability checker needs every
/// transaction at once).
fn check_whole(file: &Path, spec: &CheckSpec, budget: &Budget) -> Result<KeyedCheck, ParseError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| ParseError::new(0, format!("cannot read: {e}")))?;
    let mut parsed = parse_jsonl(&text)?;
    drop(text);
    parsed.drop_orphan_completions();
    crate::warnings::print(&file.display().to_string(), &parsed.warnings);
    let history = parsed.history;
    let (outcomes, nemesis_events) = count_completions(&history);
    let last_time = history.events().last().map_or(0, |e| e.time);
    let checking = format!("checking {}", file.display());
    let checked = crate::progress::with_progress(&checking, || spec.check(&history, budget));
    Ok(KeyedCheck {
        checked,
        outcomes,
        nemesis_events,
        last_time,
        lines: crate::check_by_key::event_lines(&history),
    })
}

/// `linearizable (cas-register)`, `serializable (list-append, read-committed)`.
fn describe(spec: &CheckSpec) -> String {
    match spec {
        CheckSpec::Linearizable { model } => format!("linearizable ({})", model.name()),
        CheckSpec::Serializable {
            workload,
            consistency_model,
        } => format!("serializable ({}, {consistency_model})", workload.name()),
        CheckSpec::Set { linearizable: true } => "set (linearizable reads)".to_owned(),
        CheckSpec::Set {
            linearizable: false,
        } => "set (stale reads allowed)".to_owned(),
        CheckSpec::Counter => "counter".to_owned(),
        CheckSpec::UniqueIds => "unique-ids".to_owned(),
        CheckSpec::Watch => "watch".to_owned(),
        CheckSpec::Stream {
            reads_are_current: true,
        } => "stream".to_owned(),
        CheckSpec::Stream {
            reads_are_current: false,
        } => "stream (reads may lag)".to_owned(),
        CheckSpec::Bank { accounts, total } => {
            format!("bank ({accounts} accounts, total {total})")
        }
    }
}

/// The checker a run was judged with: `check` in test.json; for runs made
/// before it was written there, the workload (and a custom system's
/// consistency model) in test.json, or the checker and model results.json
/// names (`check --report` directories).
pub fn run_check_spec(run_dir: &Path) -> anyhow::Result<CheckSpec> {
    let read = |name: &str| -> serde_json::Value {
        std::fs::read_to_string(run_dir.join(name))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    };
    let test = read("test.json");
    if !test["check"].is_null() {
        return serde_json::from_value(test["check"].clone()).map_err(|e| {
            anyhow!(
                "{}: `check` is not a checker faultline knows ({e}); fix or remove it",
                run_dir.join("test.json").display()
            )
        });
    }
    let results = read("results.json");
    let named = |checker: &str, field: &str| {
        results["checkers"][checker][field]
            .as_str()
            .map(str::to_owned)
    };
    // What those runs' systems promised, as test.json and results.json say.
    let promise = Promise {
        consistency_model: named(CheckSpec::SERIALIZABLE, "model")
            .or_else(|| {
                test["custom"]["workload"]["consistency_model"]
                    .as_str()
                    .map(str::to_owned)
            })
            .and_then(|m| m.parse().ok())
            .unwrap_or(ConsistencyModel::StrictSerializable),
        reads_are_current: test["serializable_reads"] != serde_json::json!(true),
    };
    let workload = test["workload"].as_str().unwrap_or("register");
    Ok(match workload.parse::<WorkloadKind>() {
        // A register's model is the one results.json names, if any.
        Ok(WorkloadKind::Register) | Err(_) if workload != CheckSpec::SERIALIZABLE => {
            CheckSpec::Linearizable {
                model: named(CheckSpec::LINEARIZABLE, "model")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(ModelKind::CasRegister),
            }
        }
        Ok(kind) => kind.workload().check_spec(promise),
        // Older `check --report` directories name the checker instead.
        Err(_) => CheckSpec::Serializable {
            workload: named(CheckSpec::SERIALIZABLE, "workload")
                .and_then(|w| w.parse().ok())
                .unwrap_or(Workload::ListAppend),
            consistency_model: promise.consistency_model,
        },
    })
}

/// The checker's lines of a summary: the checker and model, then the same
/// explanation `check` prints.
pub fn print_verdict(v: &RunVerdict) {
    let [ok, fail, info] = v.outcomes;
    println!(
        "ops:     {ok} ok, {fail} fail, {info} info (unknown); {} nemesis events",
        v.nemesis_events
    );
    for failure in &v.harness_failures {
        println!("harness: {failure} (so the verdict is unknown)");
    }
    if ok == 0 {
        println!("verdict: no operation was acknowledged, so nothing was tested (unknown); the errors are in history.jsonl");
    }
    match &v.analysis {
        RunAnalysis::Linearizable(a) => {
            println!("checker: linearizable ({}, per key): {}", a.model, v.valid)
        }
        RunAnalysis::Serializable(a) => {
            println!("checker: {} ({}): {}", a.model, a.workload, v.valid)
        }
        RunAnalysis::Unchecked(_) => {}
        other => println!("checker: {}: {}", other.model(), v.valid),
    }
    let place = |p: usize| match v.lines.as_ref().and_then(|lines| lines.get(p)) {
        Some(&line) if line > 0 => format!("line {line}"),
        Some(_) => faultline_checkers::words::by_position(p),
        None => faultline_checkers::words::run_line(p),
    };
    let elapsed_ms = v.check_time.as_secs_f64() * 1e3;
    for line in v.analysis.lines("check", elapsed_ms, &place) {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::{Op, Value};

    /// The counts add up to every client operation, as the verdict's do: an
    /// operation never completed is counted with the unknown ones.
    #[test]
    fn a_pending_operation_counts_as_unknown() {
        let op = |p: u64, kind, f: &str| Op::new(Process::Client(p), kind, f, Value::Null);
        let history = History::from_events([
            op(0, OpType::Invoke, "read"),
            op(1, OpType::Invoke, "write"),
            op(0, OpType::Ok, "read"),
            op(2, OpType::Invoke, "write"),
            op(2, OpType::Fail, "write"),
            op(3, OpType::Invoke, "read"),
            op(3, OpType::Info, "read"),
            Op::new(Process::Nemesis, OpType::Info, "kill", Value::Null),
        ]);
        assert_eq!(count_completions(&history), ([1, 1, 2], 1));
    }
}

//! `faultline check --report DIR`: the same page a test run gets (plots,
//! timeline, counterexample or anomalies drawn) for a history checked on
//! its own, e.g. one imported from Jepsen. DIR becomes a run directory:
//! history.jsonl (converted from whatever format was read, each event on
//! its line in the file read), test.json,
//! results.json and the page.

use anyhow::{Context, Result};
use faultline_core::{History, OutcomeCounts, RunResults, Validity};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes the run directory `dir` for `history` read from `source` and
/// checked as `spec` says; returns the page. test.json records `spec`, so
/// `analyze DIR` checks the history again with the same checker and model.
pub fn write_check_report(
    dir: &Path,
    source: &Path,
    history: &History,
    spec: &faultline_checkers::CheckSpec,
    valid: Validity,
    analysis: Value,
    check_ms: f64,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("--report {}: cannot create the directory", dir.display()))?;
    let file = dir.join("history.jsonl");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&file).with_context(|| format!("cannot write {}", file.display()))?,
    );
    // Each event on the line it had in the file read, blank lines between,
    // so that the page, `analyze` and `check` name an event by one number.
    let mut line = 0;
    for (position, event) in history.events().iter().enumerate() {
        let at = history.line_of(position).unwrap_or(0);
        while line + 1 < at {
            out.write_all(b"\n")?;
            line += 1;
        }
        serde_json::to_writer(&mut out, event)?;
        out.write_all(b"\n")?;
        line += 1;
    }
    out.flush()?;
    let (outcomes, nemesis_events) = crate::run_check::count_completions(history);
    let events = history.events();
    let duration_s = match (events.first(), events.last()) {
        // Histories imported without times have no duration to speak of.
        (Some(a), Some(b)) if b.time > a.time => json!(b.time.saturating_sub(a.time) as f64 / 1e9),
        _ => Value::Null,
    };
    let name = source
        .file_name()
        .map_or("history".into(), |n| n.to_string_lossy().into_owned());
    std::fs::write(
        dir.join("test.json"),
        serde_json::to_string_pretty(&json!({
            "name": format!("check {name}"),
            "source": source.display().to_string(),
            "workload": spec.checker_name(),
            "check": spec,
            "command_line": std::env::args().collect::<Vec<_>>(),
        }))?,
    )?;
    RunResults {
        valid,
        checkers: BTreeMap::from([(spec.checker_name().to_owned(), analysis)]),
        ops: OutcomeCounts {
            ok: outcomes[0],
            fail: outcomes[1],
            info: outcomes[2],
        },
        nemesis_events,
        check_ms,
        duration_s: duration_s.as_f64(),
        harness_failures: Vec::new(),
    }
    .write(dir)?;
    crate::progress::with_progress("writing the report", || {
        faultline_reports::write_run_report(dir)
    })
    .with_context(|| format!("cannot write the page in {}", dir.display()))
}

/// The report directory of each checked file: DIR itself for one file,
/// DIR/<file name> for several.
pub fn report_dir(base: &Path, file: &Path, several: bool) -> PathBuf {
    if several {
        base.join(
            file.file_name()
                .map_or("history".into(), |n| n.to_string_lossy().replace('.', "_")),
        )
    } else {
        base.to_owned()
    }
}

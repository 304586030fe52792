//! The end of a run: the history checked, the verdict and where
//! everything is printed, the page, the store's index, JUnit and the JSON
//! summary written.

use super::config::TestConfig;
use crate::exit::Failure;
use crate::run_check::{check_run, print_verdict};
use anyhow::anyhow;
use std::path::Path;
use std::time::Duration;

/// Checks the run in `run_dir`, prints and writes what it found; the exit
/// code and the run as a JUnit test case.
pub(super) fn summarize(
    config: &TestConfig,
    system_name: &str,
    run_dir: &Path,
    took: Duration,
    notes: &[String],
    problems: &[String],
) -> Result<(i32, faultline_reports::junit::Case), Failure> {
    let verdict = check_run(
        run_dir,
        &run_budget(),
        Some(problems),
        crate::run_check::STREAM_ABOVE,
    )
    .map_err(|e| Failure {
        code: 255,
        error: e,
    })?;
    let [ok, fail, info] = verdict.outcomes;
    println!();
    println!(
        "== faultline {}: {} ==",
        config.name,
        verdict.valid.to_string().to_uppercase()
    );
    println!("run:     {}", run_dir.display());
    println!(
        "seed:    {} (the same seed replays the same schedule: --seed {})",
        config.seed, config.seed
    );
    println!(
        "took:    {:.1} s in all; workload {:.1} s at {:.0} ops/s",
        took.as_secs_f64(),
        verdict.duration_s,
        (ok + fail + info) as f64 / verdict.duration_s.max(0.001)
    );
    print_verdict(&verdict);
    if notes.is_empty() {
        println!(
            "cleanup: network healed, clocks reset, no faultline rule or qdisc left, logs collected{}",
            if config.leave_db_running {
                format!(", {system_name} left running")
            } else {
                format!(", {system_name} stopped and wiped")
            }
        );
    } else {
        for note in notes {
            println!("cleanup: {note}");
        }
    }
    println!("history: {}", run_dir.join("history.jsonl").display());
    match crate::progress::with_progress("writing the report", || {
        faultline_reports::write_run_report(run_dir)
    }) {
        Ok(page) => println!("page:    {}", page.display()),
        Err(e) => eprintln!("warning: the run's page could not be written: {e}"),
    }
    match faultline_reports::write_store_index(&config.store) {
        Ok(index) => println!("index:   {}", index.display()),
        Err(e) => eprintln!("warning: the store's index could not be written: {e}"),
    }
    let code = verdict.valid.exit_code();
    let case = run_case(config, run_dir, took, &verdict);
    if let Some(path) = &config.junit {
        faultline_reports::junit::write_junit(
            path,
            &format!("faultline test {}", config.name),
            std::slice::from_ref(&case),
        )
        .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &config.summary_json {
        faultline_reports::junit::write_summary(path, std::slice::from_ref(&case), code)
            .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    Ok((code, case))
}

/// The run as one JUnit test case: the checker's verdict, the anomalies,
/// where the run is.
pub(crate) fn run_case(
    config: &TestConfig,
    run_dir: &Path,
    took: Duration,
    verdict: &crate::run_check::RunVerdict,
) -> faultline_reports::junit::Case {
    use crate::run_check::RunAnalysis;
    use faultline_core::Validity;
    use faultline_reports::junit::{Case, CaseOutcome};
    // The one-line verdict `check` gives; details: the reason or the first
    // explanations.
    let message = verdict.analysis.one_line();
    // The same explanation `check` prints, so that a CI log says what
    // went wrong without the report; a serializability analysis always
    // gives its explanation.
    let checker = verdict.analysis.checker_name();
    let details = match (&verdict.analysis, verdict.analysis.reason()) {
        (RunAnalysis::Serializable(_), _) | (_, None) => verdict
            .analysis
            .explanation(&faultline_checkers::words::run_line),
        (_, Some(reason)) => reason.to_owned(),
    };
    Case {
        name: format!("{} {checker} (seed {})", config.name, config.seed),
        classname: format!("faultline.test.{}", config.name),
        time_s: took.as_secs_f64(),
        outcome: match verdict.valid {
            Validity::Valid => CaseOutcome::Passed,
            Validity::Invalid => CaseOutcome::Failed,
            Validity::Unknown => CaseOutcome::Error,
        },
        message: if verdict.harness_failures.is_empty() {
            message
        } else {
            format!(
                "{message}; the harness failed: {}",
                verdict.harness_failures.join("; ")
            )
        },
        details: format!("run directory: {}\n{details}", run_dir.display()),
    }
}

/// What checking a test's history may spend: five minutes, and the
/// default memory bound.
fn run_budget() -> faultline_core::Budget {
    faultline_core::Budget {
        time_limit: Some(Duration::from_secs(300)),
        ..faultline_core::Budget::default()
    }
}

//! `faultline analyze RUN-DIR`: check a stored run again, also one that
//! was interrupted (its history is on disk up to the last event), with the
//! checker and model that judged it first.

use crate::exit::Failure;
use crate::run_check::{check_run, print_verdict};
use clap::Args;
use faultline_core::memory::Bytes;
use faultline_core::Budget;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `faultline analyze`.
#[derive(Args)]
pub struct AnalyzeArgs {
    /// The run directory (holding history.jsonl).
    run_dir: PathBuf,
    /// Seconds the checker may take.
    #[arg(long, default_value_t = 300.0)]
    time_limit: f64,
    /// Memory the check may hold (4G, 512M); past it the verdict is unknown, never valid (default: half the machine's memory).
    #[arg(long)]
    memory_limit: Option<Bytes>,
    /// Histories larger than this are read back key by key with a per-key
    /// model, so memory follows the largest key, not the run.
    #[arg(long, default_value = "256M")]
    stream_above: Bytes,
}

/// Runs `faultline analyze`.
pub fn run(args: &AnalyzeArgs) -> Result<i32, Failure> {
    let mut budget = Budget {
        time_limit: Some(Duration::from_secs_f64(args.time_limit.max(0.001))),
        ..Budget::default()
    };
    if let Some(limit) = args.memory_limit {
        budget.memory_limit = Some(limit.0);
    }
    let verdict =
        check_run(&args.run_dir, &budget, None, args.stream_above.0).map_err(Failure::bad_input)?;
    print_verdict(&verdict);
    match crate::progress::with_progress("writing the report", || {
        faultline_reports::write_run_report(&args.run_dir)
    }) {
        Ok(page) => println!("page:    {}", page.display()),
        Err(e) => eprintln!("warning: the run's page could not be written: {e}"),
    }
    Ok(verdict.valid.exit_code())
}

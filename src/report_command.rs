//! `faultline report RUN-DIR` re-renders a run's page; `faultline report
//! --store DIR` rewrites the store's index (and, with `--all`, every run's
//! page in it).

use crate::exit::Failure;
use anyhow::anyhow;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `faultline report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run directories to render (each holds history.jsonl, results.json, test.json).
    run_dirs: Vec<PathBuf>,
    /// Rewrite this store's index.html (every run, trends, filter).
    #[arg(long)]
    store: Option<PathBuf>,
    /// With --store: also re-render every run's page in it.
    #[arg(long, requires = "store")]
    all: bool,
}

/// Renders one run's page, saying where it is and how long it took.
pub fn render_run(run_dir: &Path) -> Result<PathBuf, Failure> {
    if !run_dir.is_dir() {
        return Err(Failure::bad_input(anyhow!(
            "{}: not a run directory (give the directory that holds history.jsonl)",
            run_dir.display()
        )));
    }
    if !run_dir.join("history.jsonl").exists() && !run_dir.join("results.json").exists() {
        return Err(Failure::bad_input(anyhow!(
            "{}: neither history.jsonl nor results.json is there: is this a run directory?",
            run_dir.display()
        )));
    }
    let start = Instant::now();
    let page = crate::progress::with_progress("writing the report", || {
        faultline_reports::write_run_report(run_dir)
    })
    .map_err(|e| Failure {
        code: crate::exit::EXIT_INTERNAL,
        error: anyhow!("{}: cannot write the page: {e}", run_dir.display()),
    })?;
    println!(
        "page:    {} ({:.2} s)",
        page.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(page)
}

/// Rewrites `store/index.html`, or says why not.
pub fn render_store(store: &Path) -> Result<PathBuf, Failure> {
    faultline_reports::write_store_index(store).map_err(|e| {
        Failure::bad_input(anyhow!(
            "{}: cannot write the store's index: {e} (is it a faultline store, made by `faultline test --store`?)",
            store.display()
        ))
    })
}

/// Runs `faultline report`.
pub fn run(args: &ReportArgs) -> Result<i32, Failure> {
    if args.run_dirs.is_empty() && args.store.is_none() {
        return Err(Failure::bad_input(anyhow!(
            "nothing to render: give run directories (faultline report store/etcd-register/20261122T061500Z) or --store DIR"
        )));
    }
    for dir in &args.run_dirs {
        render_run(dir)?;
    }
    if let Some(store) = &args.store {
        if args.all {
            let runs = faultline_reports::list_runs(store).map_err(|e| {
                Failure::bad_input(anyhow!("{}: cannot read the store: {e}", store.display()))
            })?;
            for (i, run) in runs.iter().enumerate() {
                eprintln!("[{}/{}] {}", i + 1, runs.len(), run.path.display());
                render_run(&store.join(&run.path))?;
            }
        }
        let index = render_store(store)?;
        println!("index:   {}", index.display());
    }
    Ok(0)
}

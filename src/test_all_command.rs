//! `faultline test-all <system>`: every workload under every nemesis,
//! `--test-count` times, one run directory each; the exit code merges the
//! verdicts, and a table, a JUnit file and a JSON summary tell each run.

use crate::exit::Failure;
use crate::runner::config::TestConfig;
use crate::system_args::{system_subcommands, Chosen, SystemArgs};
use anyhow::{anyhow, bail};
use clap::{Args, FromArgMatches};
use faultline_core::Validity;
use faultline_nemeses::FaultChoice;
use faultline_reports::junit::{Case, CaseOutcome};
use faultline_workloads::WorkloadKind;

/// Options of `faultline test-all`: the system, then the matrix and its options.
pub struct TestAllArgs(SystemArgs);

system_subcommands!(TestAllArgs, Matrix::augment_args, |system| format!(
    "A matrix of {} tests: every workload under every nemesis",
    system.title()
));

/// What `test-all` runs: every workload under every nemesis, so many times.
#[derive(Args)]
struct Matrix {
    /// Workloads, comma-separated (default: --workload).
    #[arg(long, value_enum, value_delimiter = ',')]
    workloads: Vec<WorkloadKind>,
    /// A nemesis for one column of the matrix, e.g. `partition` or `kill,pause`; repeat for more columns (default: --nemesis).
    #[arg(long)]
    nemeses: Vec<String>,
    /// Runs of each combination.
    #[arg(long, default_value_t = 1)]
    test_count: u32,
}

/// One run of the matrix.
struct Cell {
    workload: WorkloadKind,
    nemesis: String,
    run: u32,
    config: TestConfig,
}

/// What a finished run left: its cell, its verdict (`None`: it could
/// not run) and its JUnit case.
struct Row {
    workload: WorkloadKind,
    nemesis: String,
    run: u32,
    verdict: Option<Validity>,
    case: Case,
}

/// Runs `faultline test-all`.
pub fn run_all(args: &TestAllArgs) -> Result<i32, Failure> {
    let matrix = Matrix::from_arg_matches(&args.0.matches).map_err(Failure::bad_input)?;
    let chosen = args.0.choose().map_err(Failure::bad_input)?;
    // Every combination is checked before the first run starts.
    let cells = cells(&matrix, &chosen).map_err(Failure::bad_input)?;
    crate::interrupt::install();
    let total = cells.len();
    let (rows, stopped) = run_cells(cells, &chosen.system.name);
    let verdict = rows
        .iter()
        .filter_map(|row| row.verdict)
        .fold(Validity::Valid, Validity::merge);
    let code = stopped.unwrap_or(verdict.exit_code());
    print_table(&rows, total, stopped.is_some().then_some("ERROR"), verdict);
    write_outputs(&chosen, &rows, code)?;
    Ok(code)
}

/// The runs `matrix` asks for, each with its own seed.
fn cells(matrix: &Matrix, chosen: &Chosen) -> anyhow::Result<Vec<Cell>> {
    if let (Some(source), false) = (&chosen.fixed_workload, matrix.workloads.is_empty()) {
        bail!("--workloads: {source}; leave --workloads out");
    }
    let workloads = if matrix.workloads.is_empty() {
        vec![chosen.test.workload()]
    } else {
        matrix.workloads.clone()
    };
    let nemeses = if matrix.nemeses.is_empty() {
        vec![faults_text(&chosen.test.nemesis)]
    } else {
        matrix.nemeses.clone()
    };
    let mut cells = Vec::new();
    for &workload in &workloads {
        for nemesis in &nemeses {
            let faults = FaultChoice::parse_list(nemesis).map_err(|e| anyhow!("--nemeses: {e}"))?;
            let mut config = chosen.config(Some(workload), Some(faults))?;
            // One file for the whole matrix, written at the end.
            config.junit = None;
            config.summary_json = None;
            for run in 0..matrix.test_count {
                let mut config = config.clone();
                config.seed = config.seed.wrapping_add(cells.len() as u64);
                cells.push(Cell {
                    workload,
                    nemesis: nemesis.clone(),
                    run,
                    config,
                });
            }
        }
    }
    Ok(cells)
}

/// Runs `cells` in turn until one cannot run (its exit code is returned:
/// the nodes or the set-up are broken, the others would fail alike) or
/// Ctrl-C.
fn run_cells(cells: Vec<Cell>, system: &str) -> (Vec<Row>, Option<i32>) {
    let total = cells.len();
    let mut rows = Vec::new();
    for (i, cell) in cells.into_iter().enumerate() {
        if crate::interrupt::requested() {
            eprintln!("interrupted: {} of {total} runs not started", total - i);
            break;
        }
        let Cell {
            workload,
            nemesis,
            run,
            config,
        } = cell;
        eprintln!(
            "\n=== test-all: run {}/{total}: workload {workload}, nemesis {nemesis}, run {} (seed {}) ===",
            i + 1,
            run + 1,
            config.seed
        );
        let (case, verdict, stop) = match crate::runner::run_test_case(config) {
            Ok((code, case)) => (case, Some(verdict_of(code)), None),
            Err(failure) => {
                eprintln!("error: {:#}", failure.error);
                let case = Case {
                    name: format!("{system}-{workload} under {nemesis}, run {}", run + 1),
                    classname: format!("faultline.test.{system}-{workload}"),
                    time_s: 0.0,
                    outcome: CaseOutcome::Error,
                    message: format!("{:#}", failure.error),
                    details: String::new(),
                };
                (case, None, Some(failure.code))
            }
        };
        rows.push(Row {
            workload,
            nemesis,
            run,
            verdict,
            case,
        });
        if stop.is_some() {
            return (rows, stop);
        }
    }
    (rows, None)
}

/// The matrix's table: one line per run with its verdict and directory.
fn print_table(rows: &[Row], total: usize, error: Option<&str>, verdict: Validity) {
    println!(
        "\n== faultline test-all: {} ({} of {total} runs) ==",
        error.map_or_else(|| verdict.to_string().to_uppercase(), str::to_owned),
        rows.len()
    );
    println!("| workload | nemesis | run | verdict | run directory |");
    println!("|---|---|---|---|---|");
    for row in rows.iter().filter(|row| row.verdict.is_some()) {
        let dir = row
            .case
            .details
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("run directory: ");
        println!(
            "| {} | {} | {} | {} | {dir} |",
            row.workload,
            row.nemesis,
            row.run + 1,
            row.case.message
        );
    }
}

/// The JUnit file and JSON summary, where asked for.
fn write_outputs(chosen: &Chosen, rows: &[Row], code: i32) -> Result<(), Failure> {
    let cases: Vec<Case> = rows.iter().map(|row| row.case.clone()).collect();
    let cannot_write = |path: &std::path::Path, e| {
        Failure::bad_input(anyhow!("cannot write {}: {e}", path.display()))
    };
    if let Some(path) = &chosen.test.junit {
        faultline_reports::junit::write_junit(path, "faultline test-all", &cases)
            .map_err(|e| cannot_write(path, e))?;
        println!("junit:   {}", path.display());
    }
    if let Some(path) = &chosen.test.summary_json {
        faultline_reports::junit::write_summary(path, &cases, code)
            .map_err(|e| cannot_write(path, e))?;
        println!("summary: {}", path.display());
    }
    Ok(())
}

/// The verdict a run's exit code says.
fn verdict_of(code: i32) -> Validity {
    match code {
        0 => Validity::Valid,
        1 => Validity::Invalid,
        _ => Validity::Unknown,
    }
}

/// `--nemesis`'s words as one column's name (`partition,kill`).
fn faults_text(choices: &[FaultChoice]) -> String {
    use clap::ValueEnum;
    let words: Vec<String> = choices
        .iter()
        .filter_map(|c| c.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect();
    words.join(",")
}

//! `faultline check`: judge histories recorded by faultline or by Jepsen.

use crate::exit::Failure;
use anyhow::anyhow;
use clap::Args;
use faultline_checkers::linearizable::ModelKind;
use faultline_checkers::serializable::{ConsistencyModel, Workload};
use faultline_checkers::words::{by_position, Place};
use faultline_checkers::{CheckSpec, CheckedHistory};
use faultline_core::memory::Bytes;
use faultline_core::{Budget, Format, KeyedFile, Validity, DETECT_PREFIX_BYTES};
use faultline_reports::junit::{write_junit, write_summary, Case, CaseOutcome};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Options of `faultline check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The checker: linearizable (with --model), list-append or rw-register (transactions, with --consistency-model), set (Jepsen's set-full: lost, stale and never-read elements of add/read histories), counter (Jepsen's counter: reads of add/read histories within their bounds), unique-ids (no id of generate histories acknowledged twice), bank (Jepsen's bank: reads of transfer/read histories sum to --bank-total, none negative), watch (etcd's watch guarantees: put/watch histories, every watcher the same ordered revisions, none skipped).
    #[arg(long, value_enum, default_value_t = CheckerKind::Linearizable)]
    pub(crate) checker: CheckerKind,
    /// For list-append and rw-register: the model required (read-uncommitted, read-committed, repeatable-read, snapshot-isolation, serializable, strict-serializable, strong-session-...).
    #[arg(long, default_value = "strict-serializable", value_parser = parse_consistency_model)]
    pub(crate) consistency_model: ConsistencyModel,
    /// The model: register, cas-register, kv, set, queue, mutex.
    #[arg(long, default_value = "cas-register", value_parser = parse_model)]
    pub(crate) model: ModelKind,
    /// For --checker set and stream: stale reads (an element missed by a read begun after it was known; a message missed by a read from the start) do not refute; for systems whose reads may lag.
    #[arg(long)]
    pub(crate) allow_stale_reads: bool,
    /// For --checker bank: the accounts in each bank (a read must hold exactly this many balances).
    #[arg(long, default_value_t = faultline_workloads::BANK_ACCOUNTS as usize)]
    pub(crate) bank_accounts: usize,
    /// For --checker bank: what each bank's balances sum to.
    #[arg(long, default_value_t = faultline_workloads::BANK_TOTAL)]
    pub(crate) bank_total: i64,
    /// Input format: jsonl, jepsen-log, edn, kv-edn (default: told from the file's first lines, and said).
    #[arg(long, value_parser = parse_format)]
    pub(crate) format: Option<Format>,
    /// Seconds allowed per file; past it the verdict is unknown, never valid.
    #[arg(long, default_value_t = 120.0)]
    time_limit: f64,
    /// Memory the check may hold (4G, 512M); past it the verdict is unknown, never valid (default: half the machine's memory).
    #[arg(long)]
    memory_limit: Option<Bytes>,
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
    /// Files larger than this (4G, 512M; 1 for every file) are read key by key
    /// from disk with a per-key model and no --report, so memory follows
    /// the largest key, not the run.
    #[arg(long, default_value = "256M")]
    stream_above: Bytes,
    /// The history files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Which checker `check` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckerKind {
    /// Linearizability per key, against --model.
    Linearizable,
    /// Serializability of list-append transactions.
    ListAppend,
    /// Serializability of read-write register transactions.
    RwRegister,
    /// Sets: every acknowledged element kept and seen (Jepsen's set-full).
    Set,
    /// Counters: every read within its bounds (Jepsen's counter).
    Counter,
    /// Unique ids: no id acknowledged twice (Jepsen's unique-ids).
    UniqueIds,
    /// Bank: every read sums to the total, none negative (Jepsen's bank).
    Bank,
    /// Watches: the same ordered revisions for every watcher, none skipped.
    Watch,
    /// Streams: sends and polls of append-only logs (Jepsen's Kafka).
    Stream,
}

impl CheckArgs {
    /// The checker and model these options name.
    pub(crate) fn spec(&self) -> CheckSpec {
        let serializable = |workload| CheckSpec::Serializable {
            workload,
            consistency_model: self.consistency_model,
        };
        match self.checker {
            CheckerKind::Linearizable => CheckSpec::Linearizable { model: self.model },
            CheckerKind::ListAppend => serializable(Workload::ListAppend),
            CheckerKind::RwRegister => serializable(Workload::RwRegister),
            CheckerKind::Counter => CheckSpec::Counter,
            CheckerKind::UniqueIds => CheckSpec::UniqueIds,
            CheckerKind::Watch => CheckSpec::Watch,
            CheckerKind::Stream => CheckSpec::Stream {
                reads_are_current: !self.allow_stale_reads,
            },
            CheckerKind::Bank => CheckSpec::Bank {
                accounts: self.bank_accounts,
                total: self.bank_total,
            },
            CheckerKind::Set => CheckSpec::Set {
                linearizable: !self.allow_stale_reads,
            },
        }
    }
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
    let mut budget = Budget {
        time_limit: Some(Duration::from_secs_f64(args.time_limit)),
        ..Budget::default()
    };
    if let Some(limit) = args.memory_limit {
        budget.memory_limit = Some(limit.0);
    }
    let mut verdict = Validity::Valid;
    let mut unreadable = None;
    let mut cases = Vec::new();
    for file in &args.files {
        let start = Instant::now();
        let case = |outcome, (message, details): (String, String)| Case {
            name: file.display().to_string(),
            classname: format!("faultline.check.{}", checker_label(args.checker)),
            time_s: start.elapsed().as_secs_f64(),
            outcome,
            message,
            details,
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
                cases.push(case(
                    CaseOutcome::Error,
                    (format!("{:#}", failure.error), String::new()),
                ));
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
) -> Result<(Validity, (String, String)), Failure> {
    let name = file.display();
    let format = file_format(args, file)?;
    if streams(args, file, format) {
        return crate::check_by_key::check_by_key(args, file, format, budget);
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::bad_input(anyhow!("{name}: cannot read: {e}")))?;
    let mut parsed = format
        .parse(&text)
        .map_err(|e| unreadable(args, file, &e, format, Format::detect(&text)))?;
    parsed.drop_orphan_completions();
    crate::warnings::print(&name.to_string(), &parsed.warnings);
    let start = Instant::now();
    let spec = args.spec();
    if parsed.history.is_empty() {
        let reason = "the history is empty: nothing was recorded, so nothing can be judged";
        let nothing = CheckedHistory::Unchecked(reason.to_owned());
        print_result(args, file, format, &nothing, start, &by_position);
        return Ok((Validity::Unknown, (reason.to_owned(), String::new())));
    }
    let checked = crate::progress::with_progress(&format!("checking {name}"), || {
        spec.check(&parsed.history, budget)
    })
    .map_err(|e| {
        Failure::bad_input(anyhow!(
            "{name}: {e} (checked with {}{})",
            describe(args),
            model_hint(args, &parsed.history)
        ))
    })?;
    let check_ms = start.elapsed().as_secs_f64() * 1e3;
    // Events are named by their line in the file, as the page names them.
    let place = |p: usize| {
        parsed
            .history
            .line_of(p)
            .map_or_else(|| by_position(p), |l| format!("line {l}"))
    };
    print_result(args, file, format, &checked, start, &place);
    write_report(
        args,
        file,
        &parsed.history,
        &spec,
        checked.valid(),
        checked.to_json(),
        check_ms,
    )?;
    Ok((
        checked.valid(),
        (checked.one_line(), checked.explanation(&place)),
    ))
}

/// Whether `file` is read key by key: large (`--stream-above`), in a
/// format whose events name their key, for linearizability (every model
/// is checked per key), and with no report to draw (a report needs the
/// whole history).
fn streams(args: &CheckArgs, file: &Path, format: Format) -> bool {
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    size > args.stream_above.0
        && args.report.is_none()
        && args.checker == CheckerKind::Linearizable
        && KeyedFile::supports(format)
}

/// The format `--format` names, or the one the file's first lines are in.
fn file_format(args: &CheckArgs, file: &Path) -> Result<Format, Failure> {
    if let Some(format) = args.format {
        return Ok(format);
    }
    let prefix = read_prefix(file)
        .map_err(|e| Failure::bad_input(anyhow!("{}: cannot read: {e}", file.display())))?;
    if prefix.trim().is_empty() {
        // Nothing to read in any format: the empty history is said as such.
        return Ok(Format::Jsonl);
    }
    let format = Format::detect(&prefix).ok_or_else(|| {
        Failure::bad_input(anyhow!(
            "{}: not a history in any format faultline reads (faultline's JSON Lines, Jepsen's log, EDN or kv EDN); give --format to read it as one and see where it differs",
            file.display()
        ))
    })?;
    // With --json the format is a field of the file's object instead.
    if !args.json {
        println!(
            "{}: read as {format} (told from its first lines; --format forces one)",
            file.display()
        );
    }
    Ok(format)
}

/// The format `file` looks like, if any: for naming the right one when
/// another was forced.
pub(crate) fn looks_like(file: &Path) -> Option<Format> {
    Format::detect(&read_prefix(file).ok()?)
}

/// The file's first [`DETECT_PREFIX_BYTES`], for telling its format.
fn read_prefix(file: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(DETECT_PREFIX_BYTES);
    std::fs::File::open(file)?
        .take(DETECT_PREFIX_BYTES as u64)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A line of `file` that cannot be read as `format`, named with its line,
/// and the format the file looks like when that is another.
pub(crate) fn unreadable(
    args: &CheckArgs,
    file: &Path,
    e: &faultline_core::ParseError,
    format: Format,
    looks_like: Option<Format>,
) -> Failure {
    let how = match (args.format, looks_like) {
        (None, _) => format!("read as {format}, told from its first lines"),
        (Some(_), Some(other)) if other != format => format!(
            "read as --format {format}; the file looks like {other}: give --format {other} or leave --format out"
        ),
        (Some(_), _) => format!("read as --format {format}"),
    };
    Failure::bad_input(anyhow!(
        "{}:{}: {} ({how})",
        file.display(),
        e.line,
        e.message
    ))
}

/// The model that knows the first operation `--model` does not, when
/// there is one: `; `append` is an operation of --model kv`.
fn model_hint(args: &CheckArgs, history: &faultline_core::History) -> String {
    if args.checker != CheckerKind::Linearizable {
        return String::new();
    }
    history
        .events()
        .iter()
        .filter(|e| e.process != faultline_core::Process::Nemesis)
        .find(|e| !args.model.ops().contains(&e.f.as_str()))
        .and_then(|e| Some((&e.f, ModelKind::knowing(&e.f)?)))
        .map_or_else(String::new, |(f, model)| {
            format!("; `{f}` is an operation of --model {model}")
        })
}

/// `--model cas-register`, `--checker list-append`: what to change.
pub(crate) fn describe(args: &CheckArgs) -> String {
    match args.checker {
        CheckerKind::Linearizable => format!("--model {}", args.model),
        other => format!("--checker {}", checker_label(other)),
    }
}

/// Its name on the command line, as clap derives it.
fn checker_label(kind: CheckerKind) -> String {
    use clap::ValueEnum;
    kind.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

/// One JSON object with `--json`, else the verdict in words.
pub(crate) fn print_result(
    args: &CheckArgs,
    file: &Path,
    format: Format,
    checked: &CheckedHistory,
    start: Instant,
    place: Place,
) {
    let elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
    let name = file.display().to_string();
    if !args.json {
        for line in checked.lines(&name, elapsed_ms, place) {
            println!("{line}");
        }
        return;
    }
    let mut line = checked.to_json();
    if let CheckedHistory::Unchecked(_) = checked {
        line["ops"] = json!(0);
        if args.checker == CheckerKind::Linearizable {
            line["model"] = json!(args.model.name());
        }
    }
    line["file"] = json!(name);
    line["format"] = json!(format.name());
    line["elapsed_ms"] = json!((elapsed_ms * 1000.0).round() / 1000.0);
    println!("{line}");
}

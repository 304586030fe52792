//! A history file too large to hold whole, checked (by `faultline check`
//! and by `analyze` of a run): indexed by key in one pass, then read back
//! in batches of keys (one sequential pass over the file and at most
//! [`BATCH_BYTES`] of text each), each key parsed, counted and checked on
//! its own, on every core. The verdict is the whole history's (a history
//! is linearizable exactly when every key is: P-compositionality, Herlihy
//! & Wing 1990, the property Porcupine's partitions rely on), in the
//! memory of a batch; the explanations name the file's event positions.

use crate::check_command::{describe, looks_like, print_result, unreadable, CheckArgs};
use crate::exit::Failure;
use crate::verdict_text;
use anyhow::anyhow;
use faultline_checkers::linearizable::{self, Analysis, ModelKind};
use faultline_checkers::CheckedHistory;
use faultline_core::{
    Budget, CheckError, Format, KeyedFile, ParseError, Parsed, Process, Validity,
};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The most text one batch of keys holds in memory.
const BATCH_BYTES: u64 = 256 << 20;

/// One key's outcome: its parse warnings and its check, or why it failed.
type KeyOutcome = Result<KeyChecked, ParseError>;

/// What checking one key gave.
struct KeyChecked {
    warnings: Vec<String>,
    checked: Result<Option<Analysis>, CheckError>,
    /// Client completions [ok, fail, info] and nemesis actions.
    counts: ([u64; 3], u64),
    /// The time of the key's last event.
    last_time: u64,
    /// The final-reads marker's position in the key's events.
    final_reads: Option<usize>,
}

/// A file read, and checked or not: its counts are known either way.
pub struct KeyedCheck {
    /// The merged analysis, its positions the file's; or why the history
    /// could not be checked (an operation the model does not know, events
    /// that do not pair up).
    pub checked: Result<CheckedHistory, CheckError>,
    /// Client completions [ok, fail, info].
    pub outcomes: [u64; 3],
    /// Nemesis actions completed.
    pub nemesis_events: u64,
    /// The latest event time (nanoseconds).
    pub last_time: u64,
}

/// Checks `file` key by key for linearizability against `model`,
/// printing parse warnings as `warning: <name>: …`.
pub fn check_keyed(
    file: &Path,
    format: Format,
    model: ModelKind,
    budget: &Budget,
) -> Result<KeyedCheck, ParseError> {
    let name = file.display();
    let keyed = crate::progress::with_progress(&format!("indexing {name} by key"), || {
        KeyedFile::index(file, format)
    })?;
    // After a key that cannot be checked, the others are only counted.
    let failed = AtomicBool::new(false);
    let start = Instant::now();
    let check_one = |parsed: &Parsed| -> Result<Option<Analysis>, CheckError> {
        // The nemesis's events alone: nothing to check.
        if failed.load(Ordering::Relaxed)
            || parsed
                .history
                .events()
                .iter()
                .all(|e| e.process == Process::Nemesis)
        {
            return Ok(None);
        }
        let left = Budget {
            time_limit: budget.time_limit.map(|t| t.saturating_sub(start.elapsed())),
            ..*budget
        };
        let checked = model.check(&parsed.history, &left);
        failed.fetch_or(checked.is_err(), Ordering::Relaxed);
        checked.map(Some)
    };
    let mut error = None;
    let mut parts = Vec::new();
    let (mut outcomes, mut nemesis_events, mut last_time) = ([0u64; 3], 0, 0);
    // Keys sort after the keyless events, where the marker is.
    let mut final_reads_at = None;
    crate::progress::with_progress(&format!("checking {name} key by key"), || {
        for batch in keyed.batches(BATCH_BYTES) {
            let texts = keyed.texts_of(batch.clone())?;
            let checked = on_every_core(texts.len(), |i| {
                let mut parsed = keyed.parse_key(batch.start + i, &texts[i])?;
                parsed.drop_orphan_completions();
                let events = parsed.history.events();
                Ok(KeyChecked {
                    checked: check_one(&parsed),
                    counts: crate::run_check::count_completions(&parsed.history),
                    last_time: events.iter().map(|e| e.time).max().unwrap_or(0),
                    final_reads: events.iter().position(|e| {
                        e.process == Process::Nemesis && e.f == linearizable::FINAL_READS
                    }),
                    warnings: std::mem::take(&mut parsed.warnings),
                })
            });
            // In key order, whatever the threads' timing.
            for (slot, outcome) in batch.zip(checked) {
                let key = outcome?;
                for warning in &key.warnings {
                    eprintln!("warning: {name}: {warning}");
                }
                for (total, n) in outcomes.iter_mut().zip(key.counts.0) {
                    *total += n;
                }
                nemesis_events += key.counts.1;
                last_time = last_time.max(key.last_time);
                let positions = keyed.event_positions(slot);
                if let Some(at) = key.final_reads {
                    final_reads_at = final_reads_at.or(positions.get(at).copied());
                }
                match key.checked {
                    Ok(Some(mut analysis)) => {
                        let global = |p: usize| positions.get(p).copied().unwrap_or(p);
                        analysis.relocate(&global, final_reads_at);
                        parts.push(analysis);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        error.get_or_insert(e);
                    }
                }
            }
        }
        let checked = if let Some(e) = error.take() {
            Err(e)
        } else if parts.is_empty() {
            Ok(CheckedHistory::Unchecked(
                "the history is empty: nothing was recorded, so nothing can be judged".to_owned(),
            ))
        } else {
            Ok(CheckedHistory::Linearizable(Box::new(Analysis::combine(
                model.name(),
                std::mem::take(&mut parts),
            ))))
        };
        Ok(KeyedCheck {
            checked,
            outcomes,
            nemesis_events,
            last_time,
        })
    })
}

/// Checks `file` key by key: the verdict line, and the one-line verdict
/// and explanation for JUnit.
pub fn check_by_key(
    args: &CheckArgs,
    file: &Path,
    format: Format,
    budget: &Budget,
) -> Result<(Validity, (String, String)), Failure> {
    let name = file.display();
    let start = Instant::now();
    let keyed = check_keyed(file, format, args.model, budget)
        .map_err(|e| unreadable(args, file, &e, format, looks_like(file)))?;
    let checked = keyed.checked.map_err(|e| {
        Failure::bad_input(anyhow!("{name}: {e} (checked with {})", describe(args)))
    })?;
    print_result(args, file, format, &checked, start);
    Ok((
        checked.valid(),
        (
            verdict_text::one_line(&checked),
            verdict_text::explanation(&checked),
        ),
    ))
}

/// `work(0..n)` on every core, the results in index order.
fn on_every_core(n: usize, work: impl Fn(usize) -> KeyOutcome + Sync) -> Vec<KeyOutcome> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<KeyOutcome>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let outcome = work(i);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(ParseError::new(0, "a key was not checked")))
        })
        .collect()
}

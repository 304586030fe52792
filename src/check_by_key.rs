//! A history file too large to hold whole, checked (by `faultline check`
//! and by `analyze` of a run): indexed by key in one pass, then read back
//! in batches of keys (one sequential pass over the file and at most
//! [`BATCH_BYTES`] of text each), each key parsed on every core and the
//! batch checked as one history of its keys by the check a whole file
//! gets. The verdict is the whole history's (a history is linearizable
//! exactly when every key is: P-compositionality, Herlihy & Wing 1990, the
//! property Porcupine's partitions rely on), in the memory of a batch; the
//! explanations name the file's event positions.

use crate::check_command::{describe, looks_like, print_result, unreadable, CheckArgs};
use crate::exit::Failure;
use anyhow::anyhow;
use faultline_checkers::linearizable::{self, Analysis, ModelKind};
use faultline_checkers::words::by_position;
use faultline_checkers::CheckedHistory;
use faultline_core::{
    Budget, CheckError, Format, History, KeyedFile, Op, ParseError, Process, Validity,
};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The most text one batch of keys holds in memory.
/// A batch's parsed events take several times its text (a 93 MB file
/// checked whole holds 682 MB), so this bounds memory near half a GB.
const BATCH_BYTES: u64 = 64 << 20;

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
    /// Each event's line in the file, when some event is not on line
    /// position + 1 (see [`event_lines`]).
    pub lines: Option<Vec<u32>>,
}

/// Each event's line in `history`'s file, or `None` when every event is
/// on line position + 1 (a history faultline wrote), to name events as
/// the file numbers them.
pub fn event_lines(history: &History) -> Option<Vec<u32>> {
    let lines: Vec<u32> = (0..history.len())
        .map(|p| history.line_of(p).unwrap_or(0) as u32)
        .collect();
    let plain = lines.iter().enumerate().all(|(p, &l)| l as usize == p + 1);
    (!plain).then_some(lines)
}

/// Checks `file` key by key for linearizability against `model`,
/// printing parse warnings as `warning: <name>: …`. Each batch of keys is
/// checked as one history of those keys' events in the file's order, by
/// the very check the whole file gets, so that a file of one batch (any
/// up to [`BATCH_BYTES`]) gets the same verdict, counts and explained keys
/// either way; batches combine by P-compositionality.
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
    let start = Instant::now();
    let mut error = None;
    let mut parts = Vec::new();
    let mut warnings = Vec::new();
    let (mut outcomes, mut nemesis_events, mut last_time) = ([0u64; 3], 0, 0);
    // Keys sort after the keyless events, where the marker is.
    let mut final_reads_at = None;
    crate::progress::with_progress(&format!("checking {name} key by key"), || {
        for batch in keyed.batches(BATCH_BYTES) {
            let (mut merged, positions) = merge_batch(&keyed, batch, &mut warnings)?;
            warnings.extend(merged.drop_orphan_completions());
            // Dropped completions shift the events: each is found again by
            // its line, one event a line in these formats.
            let global = |p: usize| {
                merged
                    .line_of(p)
                    .and_then(|line| positions.binary_search_by_key(&line, |&(l, _)| l).ok())
                    .map_or(p, |at| positions[at].1)
            };
            let (counts, nemesis) = crate::run_check::count_completions(&merged);
            for (total, n) in outcomes.iter_mut().zip(counts) {
                *total += n;
            }
            nemesis_events += nemesis;
            let events = merged.events();
            last_time = last_time.max(events.iter().map(|e| e.time).max().unwrap_or(0));
            let marker = events
                .iter()
                .position(|e| e.process == Process::Nemesis && e.f == linearizable::FINAL_READS);
            final_reads_at = final_reads_at.or(marker.map(global));
            // The nemesis's events alone: nothing to check; after a batch that
            // cannot be checked, the others are only counted.
            if error.is_some() || events.iter().all(|e| e.process == Process::Nemesis) {
                continue;
            }
            let left = Budget {
                time_limit: budget.time_limit.map(|t| t.saturating_sub(start.elapsed())),
                ..*budget
            };
            match model.check(&merged, &left) {
                Ok(mut analysis) => {
                    analysis.relocate(&global, final_reads_at);
                    parts.push(analysis);
                }
                Err(e) => error = Some(e),
            }
        }
        crate::warnings::print(&name.to_string(), &warnings);
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
            // Linearizability's explanations carry their own lines.
            lines: None,
        })
    })
}

/// The events of `batch`'s keys as one history in the file's order (each
/// key parsed on its own, on every core), and each event's (line, position
/// in the file), sorted by line.
fn merge_batch(
    keyed: &KeyedFile,
    batch: std::ops::Range<usize>,
    warnings: &mut Vec<String>,
) -> Result<(History, Vec<(usize, usize)>), ParseError> {
    let texts = keyed.texts_of(batch.clone())?;
    let parsed = on_every_core(texts.len(), |i| keyed.parse_key(batch.start + i, &texts[i]));
    drop(texts);
    let mut events: Vec<(usize, usize, Op)> = Vec::new();
    for (slot, parsed) in batch.zip(parsed) {
        let parsed = parsed?;
        warnings.extend(parsed.warnings.iter().cloned());
        let positions = keyed.event_positions(slot);
        for (i, op) in parsed.history.events().iter().enumerate() {
            let line = parsed.history.line_of(i).unwrap_or(0);
            events.push((positions.get(i).copied().unwrap_or(i), line, op.clone()));
        }
    }
    events.sort_unstable_by_key(|&(position, _, _)| position);
    let mut history = History::new();
    let mut lines: Vec<(usize, usize)> = Vec::with_capacity(events.len());
    for (position, line, op) in events {
        lines.push((line, position));
        history.push(op, line);
    }
    lines.sort_unstable();
    Ok((history, lines))
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
    // Linearizability's explanations carry their lines from the file.
    print_result(args, file, format, &checked, start, &by_position);
    Ok((
        checked.valid(),
        (checked.one_line(), checked.explanation(&by_position)),
    ))
}

/// `work(0..n)` on every core, the results in index order.
fn on_every_core<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
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
                .expect("every index is worked on before the scope ends")
        })
        .collect()
}

//! `faultline check` of a file too large to hold whole: indexed by key in
//! one pass, then read back in batches of keys (one sequential pass over
//! the file and at most [`BATCH_BYTES`] of text each), each key parsed and
//! checked on its own, on every core. The verdict is the whole history's
//! (a history is linearizable exactly when every key is:
//! P-compositionality, Herlihy & Wing 1990, the property Porcupine's
//! partitions rely on), in the memory of a batch.

use crate::check_command::{describe, print_result, CheckArgs};
use crate::exit::Failure;
use crate::verdict_text;
use anyhow::anyhow;
use faultline_checkers::linearizable::Analysis;
use faultline_checkers::CheckedHistory;
use faultline_core::{Budget, KeyedFile, ParseError, Parsed, Process, Validity};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The most text one batch of keys holds in memory.
const BATCH_BYTES: u64 = 256 << 20;

/// One key's outcome: its parse warnings and its check, or why it failed.
type KeyOutcome = Result<(Vec<String>, Option<CheckedHistory>), Failure>;

/// Checks `file` key by key: the verdict line, and the one-line verdict
/// and explanation for JUnit.
pub fn check_by_key(
    args: &CheckArgs,
    file: &Path,
    budget: &Budget,
) -> Result<(Validity, (String, String)), Failure> {
    let name = file.display();
    let bad = |e: ParseError| {
        Failure::bad_input(anyhow!(
            "{name}:{}: {} (read as --format {})",
            e.line,
            e.message,
            args.format
        ))
    };
    let keyed = crate::progress::with_progress(&format!("indexing {name} by key"), || {
        KeyedFile::index(file, args.format)
    })
    .map_err(bad)?;
    let start = Instant::now();
    let spec = args.spec();
    let check_one = |parsed: &mut Parsed| -> Result<Option<CheckedHistory>, Failure> {
        parsed.drop_orphan_completions();
        // The nemesis's events alone: nothing to check.
        if parsed
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
        spec.check(&parsed.history, &left).map(Some).map_err(|e| {
            Failure::bad_input(anyhow!("{name}: {e} (checked with {})", describe(args)))
        })
    };
    let mut parts = Vec::new();
    let checked = crate::progress::with_progress(&format!("checking {name} key by key"), || {
        for batch in keyed.batches(BATCH_BYTES) {
            let texts = keyed.texts_of(batch.clone()).map_err(bad)?;
            let outcomes = on_every_core(texts.len(), |i| {
                let mut parsed = keyed.parse_key(batch.start + i, &texts[i]).map_err(bad)?;
                Ok((
                    std::mem::take(&mut parsed.warnings),
                    check_one(&mut parsed)?,
                ))
            });
            // In key order, whatever the threads' timing.
            for outcome in outcomes {
                let (warnings, checked) = outcome?;
                for warning in &warnings {
                    eprintln!("warning: {name}: {warning}");
                }
                match checked {
                    Some(CheckedHistory::Linearizable(a)) => parts.push(*a),
                    Some(other) => return Ok(other),
                    None => {}
                }
            }
        }
        if parts.is_empty() {
            return Ok(CheckedHistory::Unchecked(
                "the history is empty: nothing was recorded, so nothing can be judged".to_owned(),
            ));
        }
        Ok(CheckedHistory::Linearizable(Box::new(Analysis::combine(
            args.model.name(),
            std::mem::take(&mut parts),
        ))))
    })?;
    print_result(args, file, &checked, start);
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
                .unwrap_or_else(|| Err(Failure::bad_input(anyhow!("a key was not checked"))))
        })
        .collect()
}

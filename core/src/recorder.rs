//! The history, written to disk as the test runs, and the counts the
//! progress line shows. Workers hand events to one writer thread, which
//! writes whatever has arrived at once (one system call for all of it):
//! events reach the file as fast as with a write per event, and workers
//! never wait for each other's serialization.

use crate::{HistoryWriter, Op, OpType, Process};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// The harness's own failures during a run (a history write, a fault that
/// could not be applied or healed, a nemesis that could not plan): any
/// makes the run's verdict unknown, whatever the history shows.
#[derive(Clone, Debug, Default)]
pub struct Problems(Arc<Mutex<Vec<String>>>);

impl Problems {
    /// Notes a failure (the same text once).
    pub fn add(&self, problem: impl Into<String>) {
        let problem = problem.into();
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !list.contains(&problem) {
            list.push(problem);
        }
    }

    /// Every failure noted, in order.
    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Events waiting for the writer at most.
const QUEUED_EVENTS: usize = 1 << 16;

/// Appends events to `history.jsonl`; shared by every worker. Dropping the
/// last handle waits until every event is written.
pub struct Recorder {
    sender: Mutex<Option<SyncSender<Op>>>,
    writer: Option<JoinHandle<()>>,
    start: Instant,
    /// Operations that completed ok.
    pub ok: AtomicU64,
    /// Operations that failed.
    pub fail: AtomicU64,
    /// Operations of unknown outcome.
    pub info: AtomicU64,
    /// The harness's own failures.
    pub problems: Problems,
    /// Processes waiting out a back-off now.
    pub backing_off: AtomicU64,
}

impl Recorder {
    /// Creates `path` and starts the clock and the writer; a write that
    /// fails is noted in `problems`.
    pub fn create(path: &Path, problems: Problems) -> std::io::Result<Recorder> {
        let file = File::create(path)?;
        let writer_problems = problems.clone();
        // Bounded: if the disk falls behind, workers wait rather than memory grow.
        let (sender, receiver) = sync_channel::<Op>(QUEUED_EVENTS);
        let writer = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || {
                let mut writer =
                    HistoryWriter::new(std::io::BufWriter::with_capacity(1 << 16, file));
                // Said once per distinct error, however many flushes fail.
                let mut said: Option<String> = None;
                while let Ok(mut op) = receiver.recv() {
                    let mut result = writer.append(&mut op);
                    while let Ok(mut more) = receiver.try_recv() {
                        result = result.and_then(|_| writer.append(&mut more));
                    }
                    // Hand everything received so far to the operating system.
                    if let Err(e) = result.and_then(|_| writer.flush()) {
                        let problem = format!(
                            "the history could not be written ({e}): events are missing from it"
                        );
                        if said.as_ref() != Some(&problem) {
                            eprintln!(
                                "error: cannot write history.jsonl: {e} (the run will be unknown)"
                            );
                            writer_problems.add(problem.clone());
                            said = Some(problem);
                        }
                    }
                }
            })?;
        Ok(Recorder {
            sender: Mutex::new(Some(sender)),
            writer: Some(writer),
            start: Instant::now(),
            ok: AtomicU64::new(0),
            fail: AtomicU64::new(0),
            info: AtomicU64::new(0),
            problems,
            backing_off: AtomicU64::new(0),
        })
    }

    /// Nanoseconds since the test started.
    pub fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Seconds since the test started.
    pub fn elapsed_secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Stamps `op` with the time and queues it for the file.
    pub fn record(&self, mut op: Op) {
        op.time = self.now();
        let counted = if matches!(op.process, Process::Client(_)) {
            op.kind
        } else {
            OpType::Invoke // the nemesis's actions are not client operations
        };
        match counted {
            OpType::Ok => self.ok.fetch_add(1, Ordering::Relaxed),
            OpType::Fail => self.fail.fetch_add(1, Ordering::Relaxed),
            OpType::Info => self.info.fetch_add(1, Ordering::Relaxed),
            OpType::Invoke => 0,
        };
        // Cloning the sender per call is cheap and keeps the lock short.
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(sender) = sender {
            let _ = sender.send(op);
        }
    }

    /// Completed operations so far.
    pub fn completed(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
            + self.fail.load(Ordering::Relaxed)
            + self.info.load(Ordering::Relaxed)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

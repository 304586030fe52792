//! The history, written to disk event by event as the test runs, and the
//! counts the progress line shows.

use faultline_core::{HistoryWriter, Op, OpType};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Appends events to `history.jsonl`; shared by every worker.
pub struct Recorder {
    writer: Mutex<HistoryWriter<File>>,
    start: Instant,
    /// Completions so far: ok, fail, info.
    pub ok: AtomicU64,
    /// Failed operations.
    pub fail: AtomicU64,
    /// Operations of unknown outcome.
    pub info: AtomicU64,
}

impl Recorder {
    /// Creates `path` and starts the clock.
    pub fn create(path: &Path) -> std::io::Result<Recorder> {
        Ok(Recorder {
            writer: Mutex::new(HistoryWriter::create(path)?),
            start: Instant::now(),
            ok: AtomicU64::new(0),
            fail: AtomicU64::new(0),
            info: AtomicU64::new(0),
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

    /// Stamps and appends `op`. A write error is reported once per event;
    /// the test goes on (the events in memory are not the record).
    pub fn record(&self, mut op: Op) {
        op.time = self.now();
        match op.kind {
            OpType::Ok => self.ok.fetch_add(1, Ordering::Relaxed),
            OpType::Fail => self.fail.fetch_add(1, Ordering::Relaxed),
            OpType::Info => self.info.fetch_add(1, Ordering::Relaxed),
            OpType::Invoke => 0,
        };
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = writer.append(&mut op) {
            eprintln!("error: cannot append to history.jsonl: {e}");
        }
    }

    /// Completed operations so far.
    pub fn completed(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
            + self.fail.load(Ordering::Relaxed)
            + self.info.load(Ordering::Relaxed)
    }
}

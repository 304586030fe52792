//! Benchmarks the stream checker on generated histories shaped like a
//! `--workload stream` run: 10 producers sending unique messages to
//! streams of 200 messages each, every producer also a consumer polling a
//! few messages at a time, and a read of each stream from its start at the
//! end; one history clean, one with a message of every 1000th stream
//! dropped after it was acknowledged. Prints the verdict, the median time
//! and the peak heap growth, from 10 000 to 1 000 000 sends.
//!
//! `cargo bench -p faultline-checkers --bench stream` (`-- --runs 5`).

use faultline_checkers::stream::{self, FROM_START, POLL, SEND};
use faultline_core::{History, Op, OpType, Process, Validity};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::{LIVE, PEAK};

const PROCESSES: u64 = 10;
const PER_STREAM: u64 = 200;

/// `sends` sends over streams of [`PER_STREAM`], a poll after every second
/// send, and a read from the start of every stream; `lose`: one message
/// in every 1000th stream is acknowledged and never stored.
fn history(sends: u64, lose: bool) -> History {
    let mut events = Vec::new();
    let mut push = |p: u64, f: &str, key: &str, input: Value, out: Value| {
        let process = Process::Client(p);
        events.push(Op::new(process, OpType::Invoke, f, input).with_key(key));
        events.push(Op::new(process, OpType::Ok, f, out).with_key(key));
    };
    let streams = sends.div_ceil(PER_STREAM);
    for s in 0..streams {
        let key = format!("q{s}");
        let mut log: Vec<(u64, u64)> = Vec::new();
        let mut read_to = vec![0usize; PROCESSES as usize];
        for i in 0..PER_STREAM.min(sends - s * PER_STREAM) {
            let p = i % PROCESSES;
            let message = s * PER_STREAM + i;
            let offset = i;
            push(p, SEND, &key, json!(message), json!([offset, message]));
            if !(lose && s % 1000 == 0 && i == PER_STREAM / 2) {
                log.push((offset, message));
            }
            if i % 2 == 1 {
                let at = &mut read_to[p as usize];
                let got: Vec<Value> = log[*at..(*at + 3).min(log.len())]
                    .iter()
                    .map(|(o, m)| json!([o, m]))
                    .collect();
                *at += got.len();
                push(p, POLL, &key, Value::Null, Value::Array(got));
            }
        }
        let all: Vec<Value> = log.iter().map(|(o, m)| json!([o, m])).collect();
        push(PROCESSES, POLL, &key, json!(FROM_START), Value::Array(all));
    }
    for (i, e) in events.iter_mut().enumerate() {
        e.time = i as u64;
    }
    History::from_events(events)
}

fn measure(runs: usize, history: &History) -> (Validity, Duration, usize) {
    let mut times = Vec::new();
    let (mut peak, mut verdict) = (0, Validity::Unknown);
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        verdict = stream::check(history, true).unwrap().valid;
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
    }
    times.sort();
    (verdict, times[runs / 2], peak)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3);
    println!("| sends     | history  | events    | verdict | median time | peak heap |");
    println!("|-----------|----------|-----------|---------|-------------|-----------|");
    for sends in [10_000, 100_000, 1_000_000] {
        for lose in [false, true] {
            let history = history(sends, lose);
            let (verdict, time, peak) = measure(runs, &history);
            let want = if lose {
                Validity::Invalid
            } else {
                Validity::Valid
            };
            println!(
                "| {sends:>9} | {:<8} | {:>9} | {:<7} | {:>8.1} ms | {:>6.0} MB |{}",
                if lose { "one lost" } else { "clean" },
                history.len(),
                verdict.to_string(),
                time.as_secs_f64() * 1e3,
                peak as f64 / (1 << 20) as f64,
                if verdict == want { "" } else { "  WRONG" }
            );
        }
    }
}

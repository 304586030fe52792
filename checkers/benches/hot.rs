//! Benchmarks the linearizability checker under contention: the shared
//! `hot/` files (Porcupine: Unknown after 60 s on the one-key ones) and
//! generated hot histories up to 50 processes on one key and 30% of
//! writes timed out ([`HotHistory`]). Each is checked as `faultline check`
//! does (with its explanation when invalid) under a 10 s and 4 GB budget;
//! prints the verdict, the median time and the peak heap growth.
//!
//! `cargo bench -p faultline-checkers --bench hot` (`-- --runs 5`).

use faultline_checkers::linearizable::simulated::HotHistory;
use faultline_checkers::linearizable::{Explain, ModelKind};
use faultline_core::{Budget, Format, History, Validity};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::{LIVE, PEAK};

fn budget() -> Budget {
    Budget {
        time_limit: Some(Duration::from_secs(10)),
        memory_limit: Some(4 << 30),
        ..Budget::default()
    }
}

/// Checks `history` `runs` times: the verdict, the median time and the
/// largest peak heap growth.
fn measure(runs: usize, history: &History, explain: Explain) -> (Validity, Duration, usize) {
    let mut times = Vec::new();
    let (mut peak, mut verdict) = (0, Validity::Unknown);
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        verdict = ModelKind::Kv
            .check_with(history, &budget(), explain)
            .unwrap()
            .valid;
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
    }
    times.sort();
    (verdict, times[runs / 2], peak)
}

/// One history's line: the verdict alone, then with the explanation
/// (`faultline check` explains an invalid history).
fn row(name: &str, want: Validity, runs: usize, history: &History) {
    let (got, time, peak) = measure(runs, history, Explain::No);
    let (explained, explained_time, explained_peak) = measure(runs, history, Explain::Yes);
    let mark = if got == want && explained == want {
        ""
    } else {
        "  WRONG"
    };
    println!(
        "| {name:<34} | {:<7} | {:>10.1} ms | {:>9.1} MB | {:>10.1} ms | {:>9.1} MB |{mark}",
        got.to_string(),
        time.as_secs_f64() * 1e3,
        peak as f64 / 1e6,
        explained_time.as_secs_f64() * 1e3,
        explained_peak as f64 / 1e6,
    );
    assert_eq!((got, explained), (want, want), "{name}");
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    println!("median of {runs} runs; peak = heap growth during the check\n");
    println!(
        "| {:<34} | {:<7} | {:>13} | {:>12} | {:>13} | {:>12} |",
        "history", "verdict", "time", "peak heap", "explained", "peak heap"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(9),
        "-".repeat(15),
        "-".repeat(14),
        "-".repeat(15),
        "-".repeat(14)
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/reference/hot");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(dir.join(&file)).unwrap();
        let history = Format::KvEdn.parse(&text).unwrap().history;
        let want = if file.contains("-bad") {
            Validity::Invalid
        } else {
            Validity::Valid
        };
        row(&file, want, runs, &history);
    }
    for processes in [10, 20, 50] {
        for timeouts in [0.05, 0.2, 0.3] {
            for corrupt in [false, true] {
                let spec = HotHistory {
                    operations: 5_000,
                    processes,
                    timeouts,
                    corrupt,
                    ..HotHistory::default()
                };
                let name = format!(
                    "generated 5k p{processes} k1 t{:02} {}",
                    (timeouts * 100.0) as u32,
                    if corrupt { "bad" } else { "ok" }
                );
                let want = if corrupt {
                    Validity::Invalid
                } else {
                    Validity::Valid
                };
                row(&name, want, runs, &spec.generate());
            }
        }
    }
}

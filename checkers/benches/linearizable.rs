//! Benchmarks the linearizability checker on the shared reference histories,
//! against the figures Porcupine gave on this machine kind (see
//! `tests/data/reference/README.md`). Prints the median of several runs and the
//! peak heap memory of each case.
//!
//! `cargo bench -p faultline-checkers` (add `-- --runs 9` for more runs).

use faultline_checkers::linearizable::{Explain, ModelKind};
use faultline_core::{Budget, Format, History, Validity};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::{LIVE, PEAK};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/reference")
}

fn load(format: Format, path: PathBuf) -> History {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format.parse(&text).unwrap().history
}

/// Runs `f` `runs` times; returns the median time and the largest peak heap
/// growth over the heap in use before the run.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        f();
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
    }
    times.sort();
    (times[runs / 2], peak)
}

fn row(name: &str, baseline: &str, (time, peak): (Duration, usize)) {
    println!(
        "| {name:<44} | {:>10.2} ms | {:>9.1} MB | {baseline:<22} |",
        time.as_secs_f64() * 1e3,
        peak as f64 / 1e6
    );
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let dir = data_dir();
    let budget = Budget::default();
    let etcd: Vec<(String, History)> = (0..=102)
        .filter(|&i| i != 95)
        .map(|i| {
            let name = format!("etcd_{i:03}.log");
            (
                name.clone(),
                load(Format::JepsenLog, dir.join("jepsen-etcd").join(name)),
            )
        })
        .collect();
    let kv = |name: &str| load(Format::KvEdn, dir.join("kv").join(name));
    let (c50_ok, c50_bad) = (kv("c50-ok.txt"), kv("c50-bad.txt"));
    let verdict =
        |h: &History, explain| ModelKind::Kv.check_with(h, &budget, explain).unwrap().valid;
    assert_eq!(verdict(&c50_ok, Explain::No), Validity::Valid);
    assert_eq!(verdict(&c50_bad, Explain::No), Validity::Invalid);

    println!("median of {runs} runs; peak = heap growth during the run\n");
    println!(
        "| {:<44} | {:>13} | {:>12} | {:<22} |",
        "case", "time", "peak heap", "Porcupine"
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(46),
        "-".repeat(15),
        "-".repeat(14),
        "-".repeat(24)
    );
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let all = measure(runs, || {
                for (_, h) in &etcd {
                    ModelKind::CasRegister
                        .check_with(h, &budget, Explain::No)
                        .unwrap();
                }
            });
            row(
                &format!("all 102 etcd histories, one by one ({threads} thr)"),
                "366 ms",
                all,
            );
            let ok = measure(runs, || {
                assert_eq!(verdict(&c50_ok, Explain::No), Validity::Valid)
            });
            row(&format!("kv c50-ok, per key ({threads} thr)"), "173 ms", ok);
            let bad = measure(runs, || {
                assert_eq!(verdict(&c50_bad, Explain::No), Validity::Invalid)
            });
            row(
                &format!("kv c50-bad, per key ({threads} thr)"),
                "19.6 ms",
                bad,
            );
            let explained = measure(runs, || {
                assert_eq!(verdict(&c50_bad, Explain::Yes), Validity::Invalid)
            });
            row(
                &format!("kv c50-bad + counterexample ({threads} thr)"),
                "60 s timeout, 21.6 GB",
                explained,
            );
        });
    }
    let mut slowest: Vec<(Duration, &str)> = etcd
        .iter()
        .map(|(name, h)| {
            (
                measure(runs, || {
                    drop(ModelKind::CasRegister.check_with(h, &budget, Explain::No))
                })
                .0,
                name.as_str(),
            )
        })
        .collect();
    slowest.sort();
    let top: Vec<String> = slowest
        .iter()
        .rev()
        .take(3)
        .map(|(t, n)| format!("{n} {:.2} ms", t.as_secs_f64() * 1e3))
        .collect();
    println!(
        "\nslowest etcd histories: {} (Porcupine: etcd_002 136 ms, etcd_007 97 ms)",
        top.join(", ")
    );
}

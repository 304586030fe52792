//! Benchmarks `faultline check` and `faultline analyze` end to end, as
//! users run them, on a register history of millions of operations
//! (`linearizable::simulated_register`: 1 000 keys, 50 processes, 15% of
//! outcomes unknown, distinct values as faultline's register workload sets
//! them): wall time and the process's peak resident memory (its `VmHWM`,
//! read every 10 ms), for a valid history and one with a stale read.
//! Aim: at most 20 s and 3 GB for 5 000 000 operations on the 2-core
//! machine. `cargo bench --bench big_history` (add `-- --operations N`;
//! `--analyze` also runs `faultline analyze`, page included, on a run
//! directory holding each history; `--generate-to DIR` only writes those
//! run directories).

use faultline_checkers::linearizable::simulated_register::RegisterHistory;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run's wall time, peak resident memory, exit code and stdout.
struct Measured {
    wall: Duration,
    peak: u64,
    code: Option<i32>,
    stdout: String,
}

/// The peak resident memory of process `pid` so far (`VmHWM`), in bytes.
fn high_water_mark(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn run(args: &[&str]) -> Measured {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("faultline runs");
    let pid = child.id();
    let reader = {
        let mut stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut text).ok();
            text
        })
    };
    let mut peak = 0;
    // Bounded: the check's own time limit (below) ends it well before.
    let code = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status.code();
        }
        peak = peak.max(high_water_mark(pid).unwrap_or(0));
        assert!(
            start.elapsed() < Duration::from_secs(900),
            "{args:?} ran 15 min"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    Measured {
        wall: start.elapsed(),
        peak,
        code,
        stdout: reader.join().unwrap_or_default(),
    }
}

fn write_history(spec: &RegisterHistory, path: &Path) -> Duration {
    let start = Instant::now();
    let file = std::fs::File::create(path).expect("creates the history");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    spec.write_jsonl(&mut out).expect("writes the history");
    out.flush().expect("writes the history");
    start.elapsed()
}

/// A run directory as `faultline test` leaves it: the history and a
/// test.json naming the register workload (so analyze checks it as one).
fn run_dir(root: &Path, name: &str, history: &Path) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(history, dir.join("history.jsonl")).unwrap();
    let test = serde_json::json!({
        "name": "bench-register",
        "workload": "register",
        "nodes": [],
        "seed": 1,
        "check": { "checker": "linearizable", "model": "cas-register" },
    });
    std::fs::write(dir.join("test.json"), test.to_string()).unwrap();
    dir
}

/// The history measured, valid or with one stale read, and its name.
fn variant(operations: usize, stale: bool) -> (RegisterHistory, &'static str) {
    let spec = RegisterHistory {
        operations,
        stale,
        ..RegisterHistory::default()
    };
    (spec, if stale { "stale" } else { "valid" })
}

fn main() {
    let operations = std::env::args()
        .skip_while(|a| a != "--operations")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000_000);
    let with_analyze = std::env::args().any(|a| a == "--analyze");
    // `--generate-to DIR`: only write the run directories (valid, stale)
    // there, to profile `analyze` on them by hand.
    if let Some(out) = std::env::args().skip_while(|a| a != "--generate-to").nth(1) {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for stale in [false, true] {
            let (spec, name) = variant(operations, stale);
            let path = out.join(format!("{name}.jsonl"));
            write_history(&spec, &path);
            run_dir(&out, name, &path);
            std::fs::remove_file(&path).ok();
            println!("wrote {}", out.join(name).display());
        }
        return;
    }
    let root = std::env::temp_dir().join(format!("faultline-big-history-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    println!(
        "{operations} operations, 1 000 keys, 50 processes, 15% unknown; release build, 2 cores\n"
    );
    println!(
        "| {:<26} | {:<9} | {:>9} | {:>10} | {:>12} |",
        "command", "verdict", "wall", "peak RSS", "history"
    );
    println!(
        "|{}|{}|{}|{}|{}|",
        "-".repeat(28),
        "-".repeat(11),
        "-".repeat(11),
        "-".repeat(12),
        "-".repeat(14)
    );
    for stale in [false, true] {
        let (spec, name) = variant(operations, stale);
        let path = root.join(format!("{name}.jsonl"));
        let generated = write_history(&spec, &path);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "generated {name}: {:.0} MB in {:.1} s",
            size as f64 / 1e6,
            generated.as_secs_f64()
        );
        let want = if stale { "false" } else { "true" };
        let check = run(&[
            "check",
            "--model",
            "cas-register",
            "--time-limit",
            "300",
            "--json",
            path.to_str().unwrap(),
        ]);
        let verdict: serde_json::Value = serde_json::from_str(check.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}", check.stdout));
        let got = verdict["valid"].to_string();
        row(&format!("check ({name})"), &got, &check, size);
        assert_eq!(got, want, "{verdict}");
        assert_eq!(check.code, Some(if stale { 1 } else { 0 }));
        if !with_analyze {
            std::fs::remove_file(&path).ok();
            continue;
        }
        let dir = run_dir(&root, name, &path);
        let analyze = run(&["analyze", dir.to_str().unwrap()]);
        let got = if analyze.code == Some(0) {
            "valid"
        } else {
            "invalid"
        };
        row(&format!("analyze + page ({name})"), got, &analyze, size);
        assert!(dir.join("index.html").exists(), "analyze writes the page");
        assert_eq!(
            analyze.code,
            Some(if stale { 1 } else { 0 }),
            "{}",
            analyze.stdout
        );
        std::fs::remove_dir_all(&dir).ok();
        std::fs::remove_file(&path).ok();
    }
    std::fs::remove_dir_all(&root).ok();
}

fn row(command: &str, verdict: &str, m: &Measured, size: u64) {
    println!(
        "| {command:<26} | {verdict:<9} | {:>7.2} s | {:>7.0} MB | {:>9.0} MB |",
        m.wall.as_secs_f64(),
        m.peak as f64 / 1e6,
        size as f64 / 1e6
    );
}

//! Benchmarks the two ways `faultline check` reads a history, as users run
//! them: whole, and key by key from disk (`--stream-above 1`, the way
//! every history past 256 MB is read), on every reference kv and hot
//! history (`tests/data/reference`). Prints each file's median wall time
//! both ways and their ratio; the aim is key by key within 2× of whole.
//! `cargo bench --bench key_by_key` (add `-- --runs N`, default 5).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median_wall(args: &[&str], runs: usize) -> (Duration, String) {
    let mut times = Vec::with_capacity(runs);
    let mut verdict = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(args)
            .stderr(Stdio::null())
            .output()
            .expect("faultline runs");
        times.push(start.elapsed());
        let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        verdict = line["valid"].to_string();
    }
    times.sort();
    (times[runs / 2], verdict)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(5usize)
        .max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference");
    println!(
        "{:<34} {:>10} {:>12} {:>6}  verdict",
        "file", "whole", "key by key", "ratio"
    );
    let mut worst: f64 = 0.0;
    for dir in ["kv", "hot"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("the reference histories")
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for file in files {
            let path = file.to_str().expect("a UTF-8 path");
            let base = ["check", "--json", "--model", "kv", "--format", "kv-edn"];
            let (whole, verdict) = median_wall(&[&base[..], &[path]].concat(), runs);
            let keyed = [&base[..], &["--stream-above", "1", path]].concat();
            let (by_key, keyed_verdict) = median_wall(&keyed, runs);
            assert_eq!(verdict, keyed_verdict, "{path}: the same verdict both ways");
            let ratio = by_key.as_secs_f64() / whole.as_secs_f64();
            worst = worst.max(ratio);
            println!(
                "{:<34} {:>8.1}ms {:>10.1}ms {:>5.2}×  {verdict}",
                format!(
                    "{dir}/{}",
                    file.file_name().unwrap_or_default().to_string_lossy()
                ),
                whole.as_secs_f64() * 1e3,
                by_key.as_secs_f64() * 1e3,
                ratio
            );
        }
    }
    println!("slowest ratio: {worst:.2}× (medians of {runs}, whole commands)");
}

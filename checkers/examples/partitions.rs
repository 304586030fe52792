//! Per-key search statistics for a key-value history: how many steps and
//! cached states each partition needs. A development aid for tuning the
//! search: `cargo run --release -p faultline-checkers --example partitions -- FILE`.

use faultline_checkers::linearizable::{models::KvModel, prepare, Limits, Model, Search};
use faultline_core::Format;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: partitions KV-EDN-FILE");
        std::process::exit(254);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let history = Format::KvEdn
        .parse(&text)
        .unwrap_or_else(|e| panic!("{path}:{e}"))
        .history;
    let start = Instant::now();
    let ops = history.operations().unwrap();
    println!("paired {} operations in {:?}", ops.len(), start.elapsed());
    let start = Instant::now();
    let prepared = prepare(&KvModel, &history).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!(
        "prepared {} keys in {:?}",
        prepared.partitions.len(),
        start.elapsed()
    );
    let cancel = AtomicBool::new(false);
    let limits = Limits::new(&cancel);
    for partition in &prepared.partitions {
        let start = Instant::now();
        let mut search = Search::new(&partition.entries, KvModel.init());
        let outcome = search.run(&KvModel, &limits, 1 << 28, None, None);
        println!(
            "key {:?}: {} ops -> {:?} in {:?}, {} steps, {} cached states",
            partition.key.as_deref().unwrap_or("-"),
            partition.entries.len(),
            outcome,
            start.elapsed(),
            search.steps(),
            search.cached()
        );
    }
}

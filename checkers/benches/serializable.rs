//! Benchmarks the serializability checker on generated list-append
//! histories: a simulated strict-serializable store, `--concurrency`
//! processes, 1–4 micro-operations per transaction over a pool of keys that
//! rotate as their lists fill. Prints time and peak heap of the check (the
//! history itself is built beforehand and not counted), for several
//! lengths and concurrencies, and the check of one corrupted history.
//!
//! `cargo bench -p faultline-checkers --bench serializable` (add
//! `-- --max 1000000` for the million-transaction case).

use faultline_checkers::serializable::{check, ConsistencyModel, Workload};
use faultline_core::{Budget, History, Op, OpType, Process, Rng, Validity};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[path = "support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::{LIVE, PEAK};

/// Keys live at once; each retires after this many appends.
const ACTIVE_KEYS: u64 = 16;
const APPENDS_PER_KEY: i64 = 12;

/// A planned micro-operation: (is a read, key, appended value).
type Planned = (bool, u64, i64);

/// A strict-serializable list-append history of `txns` transactions.
fn generate(txns: usize, concurrency: u64, seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let mut lists: HashMap<u64, Vec<i64>> = HashMap::new();
    let mut appended: HashMap<u64, i64> = HashMap::new();
    let mut next_key = ACTIVE_KEYS;
    let mut active: Vec<u64> = (0..ACTIVE_KEYS).collect();
    let mut events = Vec::with_capacity(txns * 2);
    // Each in-flight transaction: (process, planned micro-ops).
    let mut in_flight: Vec<(u64, Vec<Planned>)> = Vec::new();
    let mut started = 0;
    let plan = |rng: &mut Rng,
                appended: &mut HashMap<u64, i64>,
                active: &mut Vec<u64>,
                next_key: &mut u64| {
        let mut mops = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let slot = rng.below(active.len() as u64) as usize;
            let key = active[slot];
            if rng.below(2) == 0 {
                mops.push((true, key, 0));
            } else {
                let n = appended.entry(key).or_default();
                *n += 1;
                mops.push((false, key, *n));
                if *n >= APPENDS_PER_KEY {
                    active[slot] = *next_key;
                    *next_key += 1;
                }
            }
        }
        mops
    };
    let invoke = |p: u64, mops: &[Planned]| {
        let value: Vec<Value> = mops
            .iter()
            .map(|&(read, k, v)| {
                if read {
                    json!(["r", k, null])
                } else {
                    json!(["append", k, v])
                }
            })
            .collect();
        Op::new(
            Process::Client(p),
            OpType::Invoke,
            "txn",
            Value::Array(value),
        )
    };
    for p in 0..concurrency.min(txns as u64) {
        let mops = plan(&mut rng, &mut appended, &mut active, &mut next_key);
        events.push(invoke(p, &mops));
        in_flight.push((p, mops));
        started += 1;
    }
    while !in_flight.is_empty() {
        let (p, mops) = in_flight.swap_remove(rng.below(in_flight.len() as u64) as usize);
        // Executes atomically now, between its invocation and completion.
        let mut done = Vec::with_capacity(mops.len());
        for (read, k, v) in mops {
            let list = lists.entry(k).or_default();
            if read {
                done.push(json!(["r", k, list.clone()]));
            } else {
                list.push(v);
                done.push(json!(["append", k, v]));
            }
        }
        events.push(Op::new(
            Process::Client(p),
            OpType::Ok,
            "txn",
            Value::Array(done),
        ));
        if started < txns {
            let mops = plan(&mut rng, &mut appended, &mut active, &mut next_key);
            events.push(invoke(p, &mops));
            in_flight.push((p, mops));
            started += 1;
        }
    }
    History::from_events(events)
}

fn main() {
    let max: usize = std::env::args()
        .skip_while(|a| a != "--max")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let budget = Budget::default();
    println!("| transactions | concurrency | model | check time | peak heap of the check | txns/s | verdict |");
    println!("|---|---|---|---|---|---|---|");
    let mut cases = vec![(10_000, 10), (100_000, 10), (100_000, 50), (100_000, 2)];
    if max >= 1_000_000 {
        cases.push((1_000_000, 10));
    }
    for (txns, concurrency) in cases {
        if txns > max {
            continue;
        }
        let history = generate(txns, concurrency, 42);
        for model in [
            ConsistencyModel::Serializable,
            ConsistencyModel::StrictSerializable,
        ] {
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let start = Instant::now();
            let analysis = check(&history, Workload::ListAppend, model, &budget).unwrap();
            let took = start.elapsed().as_secs_f64();
            let peak = PEAK.load(Ordering::Relaxed) - before;
            assert_eq!(
                analysis.valid,
                Validity::Valid,
                "{:?}",
                analysis.anomalies.first()
            );
            println!(
                "| {txns} | {concurrency} | {model} | {:.0} ms | {:.0} MB | {:.0} k | {} |",
                took * 1000.0,
                peak as f64 / 1e6,
                txns as f64 / took / 1000.0,
                analysis.valid
            );
        }
        drop(history);
    }
    // A corrupted history: one read loses its last element somewhere in the middle.
    let mut events: Vec<Op> = generate(100_000, 10, 7).events().to_vec();
    let victim = events
        .iter()
        .enumerate()
        .skip(events.len() / 2)
        .find(|(_, e)| {
            e.kind == OpType::Ok
                && e.value.as_array().is_some_and(|m| {
                    m.iter()
                        .any(|m| m[0] == "r" && m[2].as_array().is_some_and(|l| l.len() > 2))
                })
        })
        .map(|(i, _)| i)
        .unwrap();
    for mop in events[victim].value.as_array_mut().unwrap() {
        if mop[0] == "r" {
            if let Some(list) = mop[2].as_array_mut() {
                list.pop();
                break;
            }
        }
    }
    let history = History::from_events(events);
    let start = Instant::now();
    let analysis = check(
        &history,
        Workload::ListAppend,
        ConsistencyModel::StrictSerializable,
        &budget,
    )
    .unwrap();
    println!(
        "\ncorrupted 100000-transaction history: {} in {:.0} ms; found {:?}",
        analysis.valid,
        start.elapsed().as_secs_f64() * 1000.0,
        analysis.counts
    );
    assert_eq!(analysis.valid, Validity::Invalid);
}

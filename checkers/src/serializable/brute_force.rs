//! The reference the checker is tested against (tests only): tries every
//! serial order of the committed transactions, with every subset of the
//! unknown ones, and replays the micro-operations; a history is
//! serializable when some order explains every committed read (strict:
//! an order that also keeps real-time order). No inference, no graph.

use super::txn::{Mop, Txns};
use faultline_core::Outcome;
use std::collections::HashMap;

/// Whether some serial order explains the history.
pub fn serializable(txns: &Txns, strict: bool) -> bool {
    let committed: Vec<usize> = (0..txns.txns.len())
        .filter(|&t| txns.txns[t].outcome == Outcome::Ok)
        .collect();
    let unknown: Vec<usize> = (0..txns.txns.len())
        .filter(|&t| txns.txns[t].outcome == Outcome::Unknown)
        .collect();
    for subset in 0..(1u32 << unknown.len()) {
        let mut chosen = committed.clone();
        chosen.extend(
            unknown
                .iter()
                .enumerate()
                .filter(|(i, _)| subset & (1 << i) != 0)
                .map(|(_, &t)| t),
        );
        let mut order = Vec::new();
        let mut used = vec![false; chosen.len()];
        if permute(txns, strict, &chosen, &mut order, &mut used) {
            return true;
        }
    }
    false
}

fn permute(
    txns: &Txns,
    strict: bool,
    chosen: &[usize],
    order: &mut Vec<usize>,
    used: &mut [bool],
) -> bool {
    if order.len() == chosen.len() {
        return replays(txns, order);
    }
    for i in 0..chosen.len() {
        if used[i] {
            continue;
        }
        let t = chosen[i];
        // Real time: nothing still to come may have completed before `t` began.
        if strict
            && chosen.iter().enumerate().any(|(j, &u)| {
                !used[j]
                    && j != i
                    && txns.txns[u].outcome == Outcome::Ok
                    && txns.txns[u]
                        .complete
                        .is_some_and(|c| c < txns.txns[t].invoke)
            })
        {
            continue;
        }
        used[i] = true;
        order.push(t);
        let ok = permute(txns, strict, chosen, order, used);
        order.pop();
        used[i] = false;
        if ok {
            return true;
        }
    }
    false
}

fn replays(txns: &Txns, order: &[usize]) -> bool {
    let mut lists: HashMap<u32, Vec<i64>> = HashMap::new();
    let mut registers: HashMap<u32, i64> = HashMap::new();
    for &t in order {
        let txn = &txns.txns[t];
        let checks = txn.outcome == Outcome::Ok;
        for mop in &txn.mops {
            match mop {
                Mop::Append { key, value } => lists.entry(*key).or_default().push(*value),
                Mop::Write { key, value } => {
                    registers.insert(*key, *value);
                }
                Mop::ReadList {
                    key,
                    values: Some(read),
                } if checks && lists.get(key).map_or(&[][..], Vec::as_slice) != read.as_slice() => {
                    return false;
                }
                Mop::ReadRegister {
                    key,
                    value: Some(read),
                } if checks && registers.get(key).copied() != *read => {
                    return false;
                }
                _ => {}
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{check, ConsistencyModel, Workload};
    use super::*;
    use faultline_core::{Budget, History, Op, OpType, Process, Rng, Validity};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// A random small history: transactions run in a random serial order
    /// against an in-memory store (so it starts out serializable), with
    /// random outcomes and overlapping intervals; then, half the time, one
    /// read is corrupted.
    fn generate(seed: u64, workload: Workload) -> History {
        let mut rng = Rng::new(seed);
        let n = 2 + rng.below(4) as usize;
        let keys = ["x", "y", "z"];
        let mut next_value = 1i64;
        // Plan: micro-ops without read results.
        let mut plans: Vec<Vec<(bool, &str, i64)>> = Vec::new();
        for _ in 0..n {
            let mut mops = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let spread = 2 + rng.below(2);
                let key = keys[rng.below(spread) as usize];
                if rng.below(2) == 0 {
                    mops.push((true, key, 0));
                } else {
                    mops.push((false, key, next_value));
                    next_value += 1;
                }
            }
            plans.push(mops);
        }
        // Execute in a random serial order.
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let outcomes: Vec<OpType> = (0..n)
            .map(|_| match rng.below(8) {
                0 => OpType::Fail,
                1 => OpType::Info,
                _ => OpType::Ok,
            })
            .collect();
        let mut lists: HashMap<&str, Vec<i64>> = HashMap::new();
        let mut registers: HashMap<&str, i64> = HashMap::new();
        let mut results: Vec<Value> = vec![Value::Null; n];
        for &t in &order {
            let applies = match outcomes[t] {
                OpType::Fail => false,
                OpType::Info => rng.below(2) == 0,
                _ => true,
            };
            let (mut l, mut r) = (lists.clone(), registers.clone());
            let mut done = Vec::new();
            for &(read, key, value) in &plans[t] {
                let mop = match (workload, read) {
                    (Workload::ListAppend, true) => {
                        json!(["r", key, l.get(key).cloned().unwrap_or_default()])
                    }
                    (Workload::ListAppend, false) => {
                        l.entry(key).or_default().push(value);
                        json!(["append", key, value])
                    }
                    (Workload::RwRegister, true) => json!(["r", key, r.get(key)]),
                    (Workload::RwRegister, false) => {
                        r.insert(key, value);
                        json!(["w", key, value])
                    }
                };
                done.push(mop);
            }
            if applies {
                lists = l;
                registers = r;
            }
            results[t] = Value::Array(done);
        }
        // Corrupt one read half the time.
        if rng.below(2) == 0 {
            let t = rng.below(n as u64) as usize;
            if let Some(mops) = results[t].as_array_mut() {
                if let Some(read) = mops.iter_mut().find(|m| m[0] == "r") {
                    read[2] = match workload {
                        Workload::ListAppend => {
                            let mut list: Vec<i64> =
                                serde_json::from_value(read[2].clone()).unwrap_or_default();
                            match rng.below(3) {
                                0 => {
                                    list.pop();
                                }
                                1 => list.reverse(),
                                _ => list.push(1 + rng.below(next_value as u64) as i64),
                            }
                            json!(list)
                        }
                        Workload::RwRegister => {
                            let v = rng.below(next_value as u64) as i64;
                            if v == 0 {
                                Value::Null
                            } else {
                                json!(v)
                            }
                        }
                    };
                }
            }
        }
        // Intervals: the serial order, stretched so neighbours may overlap.
        let mut events: Vec<(u64, Op)> = Vec::new();
        for (position, &t) in order.iter().enumerate() {
            let start = position as u64 * 10 + rng.below(15);
            let end = start + 1 + rng.below(25);
            let invoke_value = Value::Array(
                results[t]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        if m[0] == "r" {
                            json!(["r", m[1], null])
                        } else {
                            m.clone()
                        }
                    })
                    .collect(),
            );
            let process = Process::Client(t as u64);
            events.push((
                start * 2,
                Op::new(process, OpType::Invoke, "txn", invoke_value),
            ));
            let completion = match outcomes[t] {
                OpType::Ok => results[t].clone(),
                _ => Value::Null,
            };
            events.push((
                end * 2 + 1,
                Op::new(process, outcomes[t], "txn", completion),
            ));
        }
        events.sort_by_key(|(time, _)| *time);
        History::from_events(events.into_iter().map(|(_, op)| op))
    }

    fn cases() -> u32 {
        std::env::var("FAULTLINE_DIFF_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000)
    }

    /// Checker and brute force on one random history; `complete`: also
    /// require that the checker finds every non-serializable history.
    fn agree(
        seed: u64,
        workload: Workload,
        model: ConsistencyModel,
        complete: bool,
    ) -> Result<bool, TestCaseError> {
        let history = generate(seed, workload);
        let txns = super::super::parse_txns(&history, workload).unwrap();
        let expected = serializable(&txns, model == ConsistencyModel::StrictSerializable);
        let analysis = check(&history, workload, model, &Budget::default()).unwrap();
        let events: Vec<String> = history
            .events()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        if expected {
            prop_assert_eq!(
                analysis.valid,
                Validity::Valid,
                "seed {}: brute force finds an order, the checker says {:?}\n{}\n{}",
                seed,
                analysis.anomalies.first().map(|a| a.explanation.clone()),
                events.join("\n"),
                model
            );
        } else if complete {
            prop_assert_eq!(
                analysis.valid,
                Validity::Invalid,
                "seed {}: no serial order exists, the checker found nothing\n{}",
                seed,
                events.join("\n")
            );
        }
        Ok(expected)
    }

    /// The class a cycle's labels make, by Adya's definitions: no rw edge
    /// and no wr is G0, no rw is G1c, one rw is G-single, several with
    /// none adjacent (cyclically) G-nonadjacent, else G2-item; with a
    /// process or real-time edge the name says which.
    fn shape_name(cycle: &[super::super::Edge]) -> String {
        let rw: Vec<bool> = cycle.iter().map(|e| e.label == "rw").collect();
        let count = rw.iter().filter(|r| **r).count();
        let adjacent = (0..rw.len()).any(|i| rw[i] && rw[(i + 1) % rw.len()]);
        let base = match count {
            0 if cycle.iter().all(|e| e.label != "wr") => "G0",
            0 => "G1c",
            1 => "G-single",
            _ if !adjacent => "G-nonadjacent",
            _ => "G2-item",
        };
        let labels: Vec<&str> = cycle.iter().map(|e| e.label.as_ref()).collect();
        if labels.contains(&"realtime") {
            format!("{base}-realtime")
        } else if labels.contains(&"process") {
            // A process edge is also a real-time one: a realtime search may
            // close its cycle with process edges alone.
            format!("{base}-process")
        } else {
            base.to_owned()
        }
    }

    #[test]
    fn every_reported_cycle_is_simple_and_of_its_named_shape() {
        let mut runner =
            proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases() / 4));
        let cycles = std::cell::Cell::new(0u32);
        let result = runner.run(&any::<u64>(), |seed| {
            for workload in [Workload::ListAppend, Workload::RwRegister] {
                let history = generate(seed, workload);
                for model in [
                    ConsistencyModel::Serializable,
                    ConsistencyModel::StrictSerializable,
                ] {
                    let analysis = check(&history, workload, model, &Budget::default()).unwrap();
                    for anomaly in analysis.anomalies.iter().filter(|a| !a.cycle.is_empty()) {
                        cycles.set(cycles.get() + 1);
                        let mut from: Vec<&str> =
                            anomaly.cycle.iter().map(|e| e.from.as_str()).collect();
                        from.sort_unstable();
                        let simple = from.windows(2).all(|w| w[0] != w[1]);
                        prop_assert!(
                            simple,
                            "seed {}: {} is not simple: {}",
                            seed,
                            anomaly.name,
                            anomaly.explanation
                        );
                        let closes = anomaly.cycle.windows(2).all(|w| w[0].to == w[1].from)
                            && anomaly.cycle.last().unwrap().to == anomaly.cycle[0].from;
                        prop_assert!(closes, "seed {}: not a cycle: {:?}", seed, anomaly.cycle);
                        let shape = shape_name(&anomaly.cycle);
                        // A realtime search may close with process edges
                        // only; the name then says -realtime.
                        let named = anomaly.name == shape
                            || anomaly.name == shape.replace("-process", "-realtime");
                        prop_assert!(
                            named,
                            "seed {}: named {} but shaped {}: {}",
                            seed,
                            anomaly.name,
                            shape,
                            anomaly.explanation
                        );
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        assert!(
            cycles.get() > 100,
            "too few cycles exercised: {}",
            cycles.get()
        );
    }

    macro_rules! differential {
        ($name:ident, $workload:expr, $model:expr, $complete:expr) => {
            #[test]
            fn $name() {
                let valid = std::cell::Cell::new(0u32);
                let mut runner =
                    proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases()));
                let result = runner.run(&any::<u64>(), |seed| {
                    valid.set(valid.get() + u32::from(agree(seed, $workload, $model, $complete)?));
                    Ok(())
                });
                if let Err(e) = result {
                    panic!("{e}");
                }
                // Both verdicts must be exercised.
                let valid = valid.get();
                assert!(
                    valid > cases() / 10 && valid < cases() * 9 / 10,
                    "{valid} of {} valid",
                    cases()
                );
            }
        };
    }

    differential!(
        list_append_serializable_agrees_with_brute_force,
        Workload::ListAppend,
        ConsistencyModel::Serializable,
        true
    );
    differential!(
        list_append_strict_serializable_agrees_with_brute_force,
        Workload::ListAppend,
        ConsistencyModel::StrictSerializable,
        true
    );
    // rw-register inference sees only the version orders it can prove, so
    // it may miss an anomaly; it must never report a false one.
    differential!(
        rw_register_serializable_is_sound,
        Workload::RwRegister,
        ConsistencyModel::Serializable,
        false
    );
    differential!(
        rw_register_strict_serializable_is_sound,
        Workload::RwRegister,
        ConsistencyModel::StrictSerializable,
        false
    );
}

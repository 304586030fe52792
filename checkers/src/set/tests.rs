//! Hand-built histories with known verdicts, one per rule; and a
//! differential test: every refutation is a linearizability violation.

use super::*;
use crate::linearizable::ModelKind;
use faultline_core::{Budget, Op, Rng};
use proptest::prelude::*;
use serde_json::json;

/// `(process, type, f, value, time in ms)`.
type Event = (u64, OpType, &'static str, Value, u64);

/// The events, in order.
fn history(events: &[Event]) -> History {
    History::from_events(events.iter().map(|(p, kind, f, value, ms)| {
        let mut op = Op::new(Process::Client(*p), *kind, *f, value.clone());
        op.time = ms * 1_000_000;
        op
    }))
}

use OpType::{Fail, Info, Invoke, Ok as Done};

fn add(p: u64, e: u64, end: OpType, t: u64) -> [Event; 2] {
    [
        (p, Invoke, "add", json!(e), t),
        (p, end, "add", json!(e), t + 1),
    ]
}

fn read(p: u64, seen: Value, t: u64) -> [Event; 2] {
    [
        (p, Invoke, "read", Value::Null, t),
        (p, Done, "read", seen, t + 1),
    ]
}

fn checked(events: Vec<[Event; 2]>) -> SetAnalysis {
    check(&history(&events.concat()), true).unwrap()
}

#[test]
fn an_element_every_later_read_returns_is_stable() {
    let a = checked(vec![add(0, 1, Done, 0), read(1, json!([1]), 5)]);
    assert_eq!(
        (a.valid, a.stable, a.acknowledged, a.reads),
        (Validity::Valid, 1, 1, 1)
    );
    assert_eq!(a.stable_latencies[4], (1.0, 0.0));
}

#[test]
fn an_acknowledged_element_a_later_read_misses_for_good_is_lost() {
    let a = checked(vec![
        add(0, 1, Done, 0),
        add(0, 2, Done, 2),
        read(1, json!([1, 2]), 5),
        read(1, json!([2]), 10),
    ]);
    assert_eq!(a.valid, Validity::Invalid);
    assert_eq!((a.lost.count, a.stable), (1, 1));
    let lost = &a.lost.elements[0];
    assert_eq!(lost.element, json!(1));
    // Known by the add (invoked at event 0); missed by the read invoked at event 6.
    assert_eq!(
        (lost.known, lost.witness, lost.last_present),
        (Some(0), Some(6), Some(4))
    );
    // Lost after the last present read began, 5 ms after it was known.
    assert_eq!(lost.latency_ms, Some(4.0));
    assert_eq!(a.refuted_text(), "1 lost");
}

#[test]
fn an_unknown_add_a_read_returned_is_known_and_can_be_lost() {
    let a = checked(vec![
        add(0, 1, Info, 0),
        add(0, 2, Done, 2),
        read(1, json!([1, 2]), 5),
        read(1, json!([2]), 10),
    ]);
    assert_eq!(
        (a.valid, a.lost.count, a.acknowledged),
        (Validity::Invalid, 1, 1)
    );
    assert_eq!(a.lost.elements[0].known, Some(4), "known by the read");
}

#[test]
fn an_unknown_add_no_read_returned_is_never_read_and_claims_nothing() {
    let a = checked(vec![
        add(0, 1, Info, 0),
        add(0, 2, Done, 2),
        read(1, json!([2]), 5),
    ]);
    assert_eq!(
        (a.valid, a.never_read.count, a.stable),
        (Validity::Valid, 1, 1)
    );
    assert_eq!(a.never_read.elements[0].element, json!(1));
}

#[test]
fn a_read_concurrent_with_the_add_may_miss_it() {
    // add invoked at 0, read invoked at 1, add ok at 2, read ok (empty) at 3.
    let concurrent = [
        (0, Invoke, "add", json!(1), 0),
        (1, Invoke, "read", Value::Null, 1),
        (0, Done, "add", json!(1), 2),
        (1, Done, "read", json!([]), 3),
    ];
    let a = check(&history(&concurrent), true).unwrap();
    assert_eq!((a.lost.count, a.never_read.count), (0, 1));
    assert_eq!(a.valid, Validity::Unknown, "{:?}", a.reason);
    let mut later = concurrent.to_vec();
    later.extend(read(1, json!([1]), 5));
    let a = check(&history(&later), true).unwrap();
    assert_eq!((a.valid, a.stable, a.stale.count), (Validity::Valid, 1, 0));
}

#[test]
fn a_read_begun_after_the_add_that_misses_it_is_stale_when_linearizable() {
    let events = [
        add(0, 1, Done, 0),
        read(1, json!([]), 4),
        read(1, json!([1]), 10),
    ]
    .concat();
    let a = check(&history(&events), true).unwrap();
    assert_eq!(
        (a.valid, a.stale.count, a.stable),
        (Validity::Invalid, 1, 1)
    );
    // Known at 1 ms (the add's ok), missed by the read invoked at 4 ms.
    assert_eq!(a.stale.elements[0].latency_ms, Some(3.0));
    assert_eq!(a.stale.elements[0].witness, Some(2));
    assert_eq!(a.refuted_text(), "1 stale");
    let relaxed = check(&history(&events), false).unwrap();
    assert_eq!((relaxed.valid, relaxed.stale.count), (Validity::Valid, 1));
    assert_eq!(relaxed.model, "set-full");
}

#[test]
fn a_stale_read_within_the_same_millisecond_still_counts() {
    // Jepsen truncates latencies to whole ms; the order of events decides here.
    let events = [
        (0, Invoke, "add", json!(1), 0),
        (0, Done, "add", json!(1), 0),
        (1, Invoke, "read", Value::Null, 0),
        (1, Done, "read", json!([]), 0),
    ];
    let mut events = events.to_vec();
    events.extend(read(1, json!([1]), 0));
    let a = check(&history(&events), true).unwrap();
    assert_eq!((a.valid, a.stale.count), (Validity::Invalid, 1));
}

#[test]
fn elements_nobody_added_or_read_twice_refute() {
    let a = checked(vec![add(0, 1, Done, 0), read(1, json!([1, 9]), 5)]);
    assert_eq!((a.valid, a.unexpected.count), (Validity::Invalid, 1));
    assert_eq!(a.unexpected.elements[0].element, json!(9));
    assert_eq!(a.unexpected.elements[0].witness, Some(2));
    // Returned before its add began: unexpected too.
    let early = checked(vec![read(1, json!([1]), 0), add(0, 1, Done, 5)]);
    assert_eq!(
        (early.valid, early.unexpected.count),
        (Validity::Invalid, 1)
    );
    let twice = checked(vec![add(0, 1, Done, 0), read(1, json!([1, 1]), 5)]);
    assert_eq!(
        (twice.valid, twice.duplicated.count),
        (Validity::Invalid, 1)
    );
    assert_eq!(twice.refuted_text(), "1 duplicated");
}

#[test]
fn failed_and_pending_operations_change_nothing() {
    let events = [
        add(0, 1, Done, 0),
        add(0, 2, Fail, 2),
        [
            (1, Invoke, "read", Value::Null, 4),
            (1, Fail, "read", Value::Null, 5),
        ],
        read(2, json!([1]), 6),
    ];
    let mut events = events.concat();
    // A read still pending at the end says nothing.
    events.push((3, Invoke, "read", Value::Null, 9));
    let a = check(&history(&events), true).unwrap();
    assert_eq!(
        (a.valid, a.reads, a.stable, a.attempted),
        (Validity::Valid, 1, 1, 2)
    );
    assert_eq!(a.never_read.count, 1, "the failed add is never read");
}

#[test]
fn each_key_is_a_set_of_its_own() {
    let mut events: Vec<_> = [add(0, 1, Done, 0), read(1, json!([1]), 5)].concat();
    events.extend(read(1, json!([]), 8));
    let mut history = history(&events);
    let keyed: Vec<Op> = history
        .events()
        .iter()
        .enumerate()
        .map(|(i, op)| op.clone().with_key(if i < 4 { "a" } else { "b" }))
        .collect();
    history = History::from_events(keyed);
    let a = check(&history, true).unwrap();
    assert_eq!((a.valid, a.sets, a.lost.count), (Validity::Valid, 2, 0));
}

#[test]
fn no_read_means_unknown_never_valid() {
    let a = checked(vec![add(0, 1, Done, 0)]);
    assert_eq!(a.valid, Validity::Unknown);
    assert!(a.reason.unwrap().contains("no read"));
}

#[test]
fn operations_a_set_does_not_have_are_named() {
    let cas = history(&[(0, Invoke, "cas", json!([1, 2]), 0)]);
    let e = check(&cas, true).unwrap_err().to_string();
    assert!(e.contains("`add` and `read`, not `cas`"), "{e}");
    let null_read = history(&read(0, Value::Null, 0));
    let e = check(&null_read, true).unwrap_err().to_string();
    assert!(e.contains("as a list, not null"), "{e}");
}

#[test]
fn analyses_round_trip_through_json() {
    let a = checked(vec![
        add(0, 1, Done, 0),
        read(1, json!([]), 5),
        read(1, json!([9]), 9),
    ]);
    let back: SetAnalysis = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);
}

/// A random concurrent history of adds and reads: reads return a random
/// subset of the elements whose adds have begun, now and then one nobody
/// added; completions are ok, fail or info, and some never come.
fn random_history(seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let processes = 1 + rng.below(3);
    let mut in_flight: Vec<Option<(&str, Value)>> = vec![None; processes as usize];
    let mut next_process: Vec<u64> = (0..processes).collect();
    let mut begun: Vec<u64> = Vec::new();
    let mut events = Vec::new();
    let steps = 4 + rng.below(10);
    for t in 0..steps {
        let slot = rng.below(processes) as usize;
        let p = next_process[slot];
        match in_flight[slot].take() {
            None if rng.below(2) == 0 => {
                let e = begun.len() as u64 + 1;
                begun.push(e);
                events.push((p, Invoke, "add", json!(e), t));
                in_flight[slot] = Some(("add", json!(e)));
            }
            None => {
                events.push((p, Invoke, "read", Value::Null, t));
                in_flight[slot] = Some(("read", Value::Null));
            }
            Some((f, value)) => {
                let kind = [Done, Done, Done, Fail, Info][rng.below(5) as usize];
                let value = match (f, kind) {
                    ("read", Done) => {
                        let mut seen: Vec<u64> =
                            begun.iter().copied().filter(|_| rng.below(3) > 0).collect();
                        if rng.below(10) == 0 {
                            seen.push(99);
                        }
                        json!(seen)
                    }
                    _ => value,
                };
                events.push((p, kind, f, value, t));
                if kind == Info {
                    // Jepsen's way: a crashed process is replaced.
                    next_process[slot] += processes;
                }
            }
        }
    }
    history(&events)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Lost, stale, unexpected: each refutes linearizability, so the set
    /// model must refute the same history (replay with the printed seed).
    #[test]
    fn every_refutation_is_a_linearizability_violation(seed in any::<u64>()) {
        let history = random_history(seed);
        let set = check(&history, true).unwrap();
        if set.valid == Validity::Invalid {
            let linearizable = ModelKind::Set.check(&history, &Budget::default()).unwrap();
            prop_assert_eq!(
                linearizable.valid, Validity::Invalid,
                "seed {}: set-full says {} but the set model finds it linearizable",
                seed, set.refuted_text()
            );
        }
    }
}

#[test]
fn the_random_histories_reach_every_verdict() {
    let mut verdicts = std::collections::HashSet::new();
    let mut outcomes = [0u64; 4];
    for seed in 0..2000 {
        let a = check(&random_history(seed), true).unwrap();
        verdicts.insert(a.valid);
        outcomes[0] += a.lost.count;
        outcomes[1] += a.stale.count;
        outcomes[2] += a.unexpected.count;
        outcomes[3] += a.never_read.count;
    }
    assert_eq!(verdicts.len(), 3, "{verdicts:?}");
    assert!(
        outcomes.iter().all(|&n| n > 20),
        "lost, stale, unexpected, never read: {outcomes:?}"
    );
}

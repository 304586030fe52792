//! Hand-built histories with known verdicts, and a brute force: for every
//! read, every subset of the adds it could have seen.

use super::*;
use faultline_core::{Op, OpType, Rng};
use proptest::prelude::*;
use serde_json::json;

/// `(process, type, f, value)`, in order.
type Event = (u64, OpType, &'static str, Value);

fn history(events: &[Event]) -> History {
    History::from_events(
        events
            .iter()
            .map(|(p, kind, f, value)| Op::new(Process::Client(*p), *kind, *f, value.clone())),
    )
}

use OpType::{Fail, Info, Invoke, Ok as Done};

#[test]
fn reads_between_their_bounds_are_valid() {
    let h = history(&[
        (0, Invoke, "add", json!(1)),
        (0, Done, "add", json!(1)),
        (0, Invoke, "add", json!(2)),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!(1)),
        (0, Done, "add", json!(2)),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!(3)),
    ]);
    let a = check(&h).unwrap();
    assert_eq!((a.valid, a.reads, a.acknowledged), (Validity::Valid, 2, 2));
}

#[test]
fn a_read_below_what_was_acknowledged_or_above_what_was_tried_refutes() {
    let low = history(&[
        (0, Invoke, "add", json!(1)),
        (0, Done, "add", json!(1)),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!(0)),
    ]);
    let a = check(&low).unwrap();
    assert_eq!((a.valid, a.out_of_bounds), (Validity::Invalid, 1));
    let e = &a.errors[0];
    assert_eq!((e.read, e.value, e.lower, e.upper), (2, 0, 1, 1));
    assert_eq!(a.refuted_text(), "1 read out of bounds");
    // A failed add certainly did not happen: reading it is too much.
    let high = history(&[
        (0, Invoke, "add", json!(1)),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!(1)),
        (0, Fail, "add", json!(1)),
    ]);
    assert_eq!(check(&high).unwrap().valid, Validity::Invalid);
}

#[test]
fn unknown_and_pending_adds_may_or_may_not_count() {
    let h = history(&[
        (0, Invoke, "add", json!(1)),
        (0, Info, "add", json!(1)),
        (2, Invoke, "add", json!(1)),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!(2)),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!(0)),
    ]);
    // Both reads fit (a counter may go down only in a history Jepsen's
    // per-read bounds cannot see; linearizability would catch it).
    assert_eq!(check(&h).unwrap().valid, Validity::Valid);
}

#[test]
fn no_read_is_unknown_and_other_operations_are_named() {
    let h = history(&[(0, Invoke, "add", json!(1)), (0, Done, "add", json!(1))]);
    assert_eq!(check(&h).unwrap().valid, Validity::Unknown);
    let cas = history(&[(0, Invoke, "cas", json!([1, 2]))]);
    let e = check(&cas).unwrap_err().to_string();
    assert!(e.contains("`add` and `read`, not `cas`"), "{e}");
    let list = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!([1])),
    ]);
    let e = check(&list).unwrap_err().to_string();
    assert!(e.contains("an integer, not [1]"), "{e}");
}

#[test]
fn each_key_is_a_counter_of_its_own() {
    let ops = vec![
        Op::new(Process::Client(0), Invoke, "add", json!(5)).with_key("a"),
        Op::new(Process::Client(0), Done, "add", json!(5)).with_key("a"),
        Op::new(Process::Client(1), Invoke, "read", Value::Null).with_key("b"),
        Op::new(Process::Client(1), Done, "read", json!(0)).with_key("b"),
    ];
    let a = check(&History::from_events(ops)).unwrap();
    assert_eq!((a.valid, a.counters), (Validity::Valid, 2));
}

/// A random concurrent history of unit adds and reads with random values.
fn random_history(seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let processes = 1 + rng.below(3);
    let mut in_flight: Vec<Option<&'static str>> = vec![None; processes as usize];
    let mut events = Vec::new();
    for _ in 0..4 + rng.below(10) {
        let p = rng.below(processes);
        match in_flight[p as usize].take() {
            None => {
                let f = if rng.below(2) == 0 { "add" } else { "read" };
                events.push((
                    p,
                    Invoke,
                    f,
                    if f == "add" { json!(1) } else { Value::Null },
                ));
                in_flight[p as usize] = Some(f);
            }
            Some("add") => events.push((
                p,
                [Done, Done, Fail, Info][rng.below(4) as usize],
                "add",
                json!(1),
            )),
            Some(_) => events.push((p, Done, "read", json!(rng.below(4)))),
        }
    }
    history(&events)
}

/// Whether some subset of the adds a read could have seen sums to what it
/// returned, for every read: by enumeration.
fn brute_force(history: &History) -> bool {
    let ops = history.operations().unwrap();
    let adds: Vec<_> = ops.iter().filter(|o| o.f == "add").collect();
    ops.iter()
        .filter(|r| r.f == "read" && r.outcome == Outcome::Ok)
        .all(|r| {
            let (begun, ended) = (r.invoke, r.complete.unwrap());
            let value = r.output.unwrap().as_i64().unwrap();
            (0u32..1 << adds.len()).any(|subset| {
                let chosen = |k: usize| subset & (1 << k) != 0;
                adds.iter().enumerate().all(|(k, a)| {
                    let certainly_before = a.outcome == Outcome::Ok && a.complete.unwrap() < begun;
                    let possible = a.outcome != Outcome::Fail && a.invoke < ended;
                    (!certainly_before || chosen(k)) && (possible || !chosen(k))
                }) && adds.iter().enumerate().filter(|(k, _)| chosen(*k)).count() as i64 == value
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The bounds refute exactly when no subset of the adds explains a
    /// read (replay with the printed seed).
    #[test]
    fn bounds_agree_with_every_subset_of_the_adds(seed in any::<u64>()) {
        let history = random_history(seed);
        let a = check(&history).unwrap();
        let explained = brute_force(&history);
        prop_assert_eq!(a.valid == Validity::Invalid, !explained, "seed {}: {:?}", seed, a.errors);
    }
}

#[test]
fn the_random_histories_reach_both_verdicts() {
    let verdicts: std::collections::HashSet<bool> = (0..500)
        .map(|seed| check(&random_history(seed)).unwrap().valid == Validity::Invalid)
        .collect();
    assert_eq!(verdicts.len(), 2);
}

//! Hand-built histories with known verdicts, and a simulation: a key's
//! log of revisions (gaps where other keys were written), watches that
//! each deliver a contiguous stretch of it are valid; dropping an event
//! from inside a watch, swapping two or changing a value is caught.

use super::*;
use faultline_core::{Op, OpType};
use proptest::prelude::*;
use serde_json::json;

use OpType::{Fail, Info, Invoke, Ok as Done};

/// `(process, type, f, value)`, in order, on key `w0`.
type Event = (u64, OpType, &'static str, Value);

fn history(events: &[Event]) -> History {
    History::from_events(events.iter().map(|(p, kind, f, value)| {
        let mut op = Op::new(Process::Client(*p), *kind, *f, value.clone());
        op.key = Some("w0".to_owned());
        op
    }))
}

fn put(p: u64, value: i64, revision: Option<i64>) -> [Event; 2] {
    let done = match revision {
        Some(r) => (p, Done, "put", json!({ "value": value, "revision": r })),
        None => (p, Info, "put", json!(value)),
    };
    [(p, Invoke, "put", json!(value)), done]
}

fn watch(p: u64, from: i64, events: &[(i64, i64)]) -> [Event; 2] {
    let events: Vec<Value> = events.iter().map(|(r, v)| json!([r, v])).collect();
    [
        (p, Invoke, "watch", Value::Null),
        (p, Done, "watch", json!({ "from": from, "events": events })),
    ]
}

#[test]
fn watchers_that_agree_on_every_revision_are_valid() {
    let h: Vec<Event> = [
        put(0, 1, Some(4)),
        put(0, 2, None), // unknown, yet seen at 6
        put(1, 3, Some(9)),
        watch(2, 1, &[(4, 1), (6, 2), (9, 3)]),
        watch(3, 5, &[(6, 2)]),
        watch(4, 7, &[(9, 3)]),
    ]
    .concat();
    let mut h = h;
    h.extend([
        (5, Invoke, "watch", Value::Null),
        (5, Fail, "watch", Value::Null),
    ]);
    h.extend([(6, Invoke, "put", json!(7))]); // pending
    let a = check(&history(&h)).unwrap();
    assert_eq!(a.valid, Validity::Valid, "{a:?}");
    assert_eq!((a.puts_ok, a.watches, a.events, a.revisions), (2, 3, 5, 3));
    assert!(a.refuted_text().is_empty());
}

#[test]
fn a_revision_inside_a_watchs_span_that_it_missed_was_skipped() {
    // Process 3 delivered 4 and 9 but not 6, which process 2 saw.
    let h = [
        put(0, 1, Some(4)),
        put(0, 2, Some(6)),
        put(1, 3, Some(9)),
        watch(2, 1, &[(4, 1), (6, 2), (9, 3)]),
        watch(3, 1, &[(4, 1), (9, 3)]),
    ]
    .concat();
    let a = check(&history(&h)).unwrap();
    assert_eq!(a.valid, Validity::Invalid);
    assert_eq!(a.errors[&WatchError::Skipped], 1);
    let f = &a.findings[0];
    assert_eq!(
        (f.operation, f.revision, f.known.clone(), f.known_from),
        (8, 6, json!(2), Some(2))
    );
    assert_eq!(a.refuted_text(), "1 revision skipped");
}

#[test]
fn an_acknowledged_put_no_watch_covers_is_not_skipped() {
    // The watch ended at 4: that it had not been told of 6 yet is allowed.
    let h = [
        put(0, 1, Some(4)),
        put(0, 2, Some(6)),
        watch(2, 1, &[(4, 1)]),
    ]
    .concat();
    assert_eq!(check(&history(&h)).unwrap().valid, Validity::Valid);
}

#[test]
fn out_of_order_repeated_and_foreign_events_are_caught() {
    let h = [
        put(0, 1, Some(4)),
        put(0, 2, Some(6)),
        watch(2, 1, &[(6, 2), (4, 1)]),
        watch(3, 5, &[(6, 2), (6, 2)]),
        watch(4, 1, &[(4, 99)]),
        watch(5, 5, &[(4, 1)]),
    ]
    .concat();
    let a = check(&history(&h)).unwrap();
    assert_eq!(a.valid, Validity::Invalid);
    // 4 after 6, 6 twice, 4 before its watch's start: out of order; 99
    // was never put and contradicts the put acknowledged at 4.
    assert_eq!(a.errors[&WatchError::Disordered], 3);
    assert_eq!(a.errors[&WatchError::Disagreement], 2);
}

#[test]
fn no_event_is_unknown_and_bad_values_are_bad_input() {
    let h = [put(0, 1, Some(4)), watch(2, 5, &[])].concat();
    let a = check(&history(&h)).unwrap();
    assert_eq!(a.valid, Validity::Unknown);
    assert!(a.reason.unwrap().contains("no watch delivered an event"));
    let no_revision = history(&[(0, Invoke, "put", json!(1)), (0, Done, "put", json!(1))]);
    let e = check(&no_revision).unwrap_err().to_string();
    assert!(e.contains("the revision the store gave it"), "{e}");
    let bad_watch = history(&[
        (0, Invoke, "watch", Value::Null),
        (0, Done, "watch", json!([1])),
    ]);
    let e = check(&bad_watch).unwrap_err().to_string();
    assert!(e.contains("\"events\""), "{e}");
    let register = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!(1)),
    ]);
    assert!(check(&register)
        .unwrap_err()
        .to_string()
        .contains("not `read`"));
}

/// A key's log drawn: for each put, the gap to its revision (other keys'
/// writes between) and whether it was acknowledged; then watches as
/// (start, length) over the log.
/// Puts as (gap, acknowledged), watches as (start, length).
type Drawn = (Vec<(i64, bool)>, Vec<(usize, usize)>);

fn drawn() -> impl Strategy<Value = Drawn> {
    (
        prop::collection::vec((1i64..4, any::<bool>()), 3..30),
        prop::collection::vec((0usize..30, 0usize..30), 1..8),
    )
}

/// The history: every put, then each watch delivering `length` events of
/// the log from entry `start`, starting at the revision after the one
/// before it.
fn simulated(puts: &[(i64, bool)], watches: &[(usize, usize)]) -> (Vec<Event>, Vec<(i64, i64)>) {
    let mut log = Vec::new();
    let mut revision = 0;
    let mut events = Vec::new();
    for (i, (gap, acknowledged)) in puts.iter().enumerate() {
        revision += gap;
        log.push((revision, i as i64));
        events.extend(put(0, i as i64, acknowledged.then_some(revision)));
    }
    for (p, (start, length)) in watches.iter().enumerate() {
        let start = start % log.len();
        let end = (start + length).min(log.len());
        let from = if start == 0 { 1 } else { log[start - 1].0 + 1 };
        events.extend(watch(p as u64 + 1, from, &log[start..end]));
    }
    (events, log)
}

proptest! {
    #[test]
    fn contiguous_watches_are_valid_and_a_dropped_event_is_caught(
        (puts, watches) in drawn(),
        pick in any::<prop::sample::Index>(),
    ) {
        let (events, _) = simulated(&puts, &watches);
        let a = check(&history(&events)).unwrap();
        if a.events > 0 {
            prop_assert_eq!(a.valid, Validity::Valid, "{:?}", a);
        }
        // Drop an interior event of a watch with at least three, whose put
        // was acknowledged: that watch skipped it.
        let mut candidates = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if e.2 == "watch" && e.1 == Done {
                let delivered = e.3["events"].as_array().unwrap();
                let interior = delivered.len().saturating_sub(2);
                for (j, event) in delivered.iter().enumerate().skip(1).take(interior) {
                    if puts[event[1].as_i64().unwrap() as usize].1 {
                        candidates.push((i, j));
                    }
                }
            }
        }
        if candidates.is_empty() {
            return Ok(());
        }
        let (i, j) = candidates[pick.index(candidates.len())];
        let mut altered = events.clone();
        let dropped = altered[i].3["events"].as_array_mut().unwrap().remove(j);
        let a = check(&history(&altered)).unwrap();
        prop_assert_eq!(a.valid, Validity::Invalid);
        prop_assert_eq!(a.errors.get(&WatchError::Skipped), Some(&1));
        prop_assert_eq!(a.findings[0].revision, dropped[0].as_i64().unwrap());
        prop_assert_eq!(a.findings[0].operation, i - 1);
    }
}

//! Hand-built histories with known verdicts, and a brute force: every
//! pair of acknowledged operations of one generator compared.

use super::*;
use faultline_core::{Op, OpType};
use proptest::prelude::*;
use serde_json::json;

/// `(process, type, key, value)`, in order; every operation a `generate`.
type Event = (u64, OpType, &'static str, Value);

fn history(events: &[Event]) -> History {
    History::from_events(events.iter().map(|(p, kind, key, value)| {
        let mut op = Op::new(Process::Client(*p), *kind, "generate", value.clone());
        op.key = Some((*key).to_owned());
        op
    }))
}

use OpType::{Fail, Info, Invoke, Ok as Done};

#[test]
fn distinct_ids_are_valid_and_their_range_is_told() {
    let h = history(&[
        (0, Invoke, "u", Value::Null),
        (1, Invoke, "u", Value::Null),
        (0, Done, "u", json!(3)),
        (1, Done, "u", json!(1)),
        (0, Invoke, "u", Value::Null),
        (0, Done, "u", json!(7)),
    ]);
    let a = check(&h).unwrap();
    assert_eq!(
        (a.valid, a.attempted, a.acknowledged, a.duplicated),
        (Validity::Valid, 3, 3, 0)
    );
    assert_eq!(a.range, Some((1, 7)));
}

#[test]
fn an_id_given_twice_refutes_and_names_both_operations() {
    let h = history(&[
        (0, Invoke, "u", Value::Null),
        (0, Done, "u", json!(5)),
        (1, Invoke, "u", Value::Null),
        (1, Done, "u", json!(5)),
        (2, Invoke, "u", Value::Null),
        (2, Done, "u", json!(6)),
    ]);
    let a = check(&h).unwrap();
    assert_eq!((a.valid, a.duplicated), (Validity::Invalid, 1));
    let d = &a.duplicates[0];
    assert_eq!((d.id.clone(), d.operations.clone()), (json!(5), vec![0, 2]));
    assert_eq!(d.key.as_deref(), Some("u"));
    assert_eq!(a.refuted_text(), "1 id handed out twice or more");
}

#[test]
fn failed_unknown_and_pending_operations_give_no_id_to_compare() {
    // Each of these carries the same value as an acknowledged id: only an
    // ok generate was given what it carries.
    let h = history(&[
        (0, Invoke, "u", Value::Null),
        (0, Done, "u", json!(9)),
        (1, Invoke, "u", Value::Null),
        (1, Fail, "u", json!(9)),
        (2, Invoke, "u", Value::Null),
        (2, Info, "u", json!(9)),
        (3, Invoke, "u", Value::Null),
    ]);
    let a = check(&h).unwrap();
    assert_eq!(
        (a.valid, a.attempted, a.acknowledged),
        (Validity::Valid, 4, 1)
    );
}

#[test]
fn each_key_is_a_generator_of_its_own() {
    let h = history(&[
        (0, Invoke, "u0", Value::Null),
        (0, Done, "u0", json!(1)),
        (1, Invoke, "u1", Value::Null),
        (1, Done, "u1", json!(1)),
    ]);
    let a = check(&h).unwrap();
    assert_eq!((a.valid, a.generators), (Validity::Valid, 2));
}

#[test]
fn ids_may_be_strings_and_a_number_is_not_its_text() {
    let h = history(&[
        (0, Invoke, "u", Value::Null),
        (0, Done, "u", json!("a-1")),
        (1, Invoke, "u", Value::Null),
        (1, Done, "u", json!(1)),
        (2, Invoke, "u", Value::Null),
        (2, Done, "u", json!("1")),
        (3, Invoke, "u", Value::Null),
        (3, Done, "u", json!("a-1")),
    ]);
    let a = check(&h).unwrap();
    assert_eq!((a.valid, a.duplicated), (Validity::Invalid, 1));
    assert_eq!(a.duplicates[0].id, json!("a-1"));
    assert_eq!(a.range, Some((1, 1)));
}

#[test]
fn nothing_acknowledged_is_unknown_and_malformed_operations_are_bad_input() {
    let none = history(&[(0, Invoke, "u", Value::Null), (0, Info, "u", Value::Null)]);
    let a = check(&none).unwrap();
    assert_eq!(a.valid, Validity::Unknown);
    assert!(a.reason.unwrap().contains("no generate was acknowledged"));
    let no_id = history(&[(0, Invoke, "u", Value::Null), (0, Done, "u", Value::Null)]);
    let e = check(&no_id).unwrap_err().to_string();
    assert!(e.contains("must return the id"), "{e}");
    let read = History::from_events([Op::new(Process::Client(0), Invoke, "read", Value::Null)]);
    let e = check(&read).unwrap_err().to_string();
    assert!(e.contains("knows `generate`, not `read`"), "{e}");
}

/// Every pair of ok operations of one key compared: how many distinct ids
/// were given to two or more.
fn brute_force(outcomes: &[(u8, OpType, i64)]) -> u64 {
    let ok: Vec<(u8, i64)> = outcomes
        .iter()
        .filter(|(_, t, _)| *t == Done)
        .map(|(k, _, id)| (*k, *id))
        .collect();
    let mut duplicated = std::collections::BTreeSet::new();
    for i in 0..ok.len() {
        for j in i + 1..ok.len() {
            if ok[i] == ok[j] {
                duplicated.insert(ok[i]);
            }
        }
    }
    duplicated.len() as u64
}

proptest! {
    #[test]
    fn the_checker_agrees_with_comparing_every_pair(
        outcomes in proptest::collection::vec(
            (0u8..2, prop_oneof![Just(Done), Just(Fail), Just(Info)], 0i64..12),
            0..40,
        )
    ) {
        let keys = ["u0", "u1"];
        let mut events: Vec<Event> = Vec::new();
        for (p, (k, kind, id)) in outcomes.iter().enumerate() {
            let key = keys[*k as usize];
            events.push((p as u64, Invoke, key, Value::Null));
            events.push((p as u64, *kind, key, json!(id)));
        }
        let a = check(&history(&events)).unwrap();
        let expected = brute_force(&outcomes);
        prop_assert_eq!(a.duplicated, expected);
        let acknowledged = outcomes.iter().filter(|(_, t, _)| *t == Done).count() as u64;
        prop_assert_eq!(a.acknowledged, acknowledged);
        let verdict = match (expected, acknowledged) {
            (0, 0) => Validity::Unknown,
            (0, _) => Validity::Valid,
            _ => Validity::Invalid,
        };
        prop_assert_eq!(a.valid, verdict);
    }
}

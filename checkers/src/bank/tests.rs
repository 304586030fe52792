//! Hand-built histories with known verdicts, and a simulation: banks run
//! serially (acknowledged transfers applied, unknown ones applied or not,
//! failed ones never) give only valid reads, and any read altered by a
//! nonzero amount is caught.

use super::*;
use faultline_core::{Op, OpType};
use proptest::prelude::*;
use serde_json::json;

use OpType::{Fail, Info, Invoke, Ok as Done};

/// `(process, type, f, value)`, in order, on bank `b0`.
type Event = (u64, OpType, &'static str, Value);

fn history(events: &[Event]) -> History {
    History::from_events(events.iter().map(|(p, kind, f, value)| {
        let mut op = Op::new(Process::Client(*p), *kind, *f, value.clone());
        op.key = Some("b0".to_owned());
        op
    }))
}

fn transfer(from: u64, to: u64, amount: i64) -> Value {
    json!({ "from": from, "to": to, "amount": amount })
}

#[test]
fn reads_that_sum_to_the_total_are_valid_whatever_transfers_did() {
    let h = history(&[
        (0, Invoke, "transfer", transfer(0, 1, 5)),
        (1, Invoke, "transfer", transfer(1, 2, 3)),
        (2, Invoke, "transfer", transfer(2, 0, 1)),
        (0, Done, "transfer", transfer(0, 1, 5)),
        (1, Fail, "transfer", transfer(1, 2, 3)),
        (2, Info, "transfer", transfer(2, 0, 1)),
        (3, Invoke, "transfer", transfer(0, 2, 2)), // pending forever
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!([6, 15, 9])),
        (1, Invoke, "read", Value::Null),
        (1, Fail, "read", Value::Null),
    ]);
    let a = check(&h, 3, 30).unwrap();
    assert_eq!(a.valid, Validity::Valid, "{a:?}");
    assert_eq!(
        (
            a.reads,
            a.transfers_ok,
            a.transfers_failed,
            a.transfers_unknown
        ),
        (1, 1, 1, 2)
    );
    assert_eq!((a.bad_reads, a.totals), (0, Some((30, 30))));
    assert!(a.refuted_text().is_empty());
}

#[test]
fn a_read_off_the_total_refutes_and_is_named() {
    let h = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!([10, 10, 10])),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!([5, 10, 10])),
    ]);
    let a = check(&h, 3, 30).unwrap();
    assert_eq!((a.valid, a.bad_reads), (Validity::Invalid, 1));
    let bad = &a.examples[0];
    assert_eq!(
        (bad.operation, bad.total, bad.errors.clone()),
        (2, 25, vec![BankError::WrongTotal])
    );
    assert_eq!(bad.key.as_deref(), Some("b0"));
    assert_eq!(a.totals, Some((25, 30)));
    assert_eq!(a.refuted_text(), "1 read broke the bank (1 wrong-total)");
}

#[test]
fn negative_missing_and_extra_balances_are_each_caught() {
    let h = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!([-2, 22, 10])),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!([10, null, 10])),
        (2, Invoke, "read", Value::Null),
        (2, Done, "read", json!([10, 10])),
        (3, Invoke, "read", Value::Null),
        (3, Done, "read", json!([10, 10, 10, 0])),
    ]);
    let a = check(&h, 3, 30).unwrap();
    assert_eq!((a.valid, a.bad_reads), (Validity::Invalid, 4));
    let kinds: Vec<Vec<BankError>> = a.examples.iter().map(|b| b.errors.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            vec![BankError::NegativeValue],
            vec![BankError::WrongTotal, BankError::NilBalance],
            vec![BankError::WrongTotal, BankError::NilBalance],
            vec![BankError::UnexpectedKey],
        ]
    );
    assert_eq!(a.errors[&BankError::NilBalance], 2);
}

#[test]
fn unknown_reads_carry_nothing_to_check_and_no_read_is_unknown() {
    // An info read with a wrong sum in its value is not an acknowledged read.
    let h = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Info, "read", json!([1, 2, 3])),
        (1, Invoke, "transfer", transfer(0, 1, 1)),
        (1, Done, "transfer", transfer(0, 1, 1)),
    ]);
    let a = check(&h, 3, 30).unwrap();
    assert_eq!(a.valid, Validity::Unknown);
    assert!(a.reason.unwrap().contains("no read was acknowledged"));
}

#[test]
fn an_ok_read_without_balances_and_other_functions_are_bad_input() {
    let no_balances = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!(30)),
    ]);
    let e = check(&no_balances, 3, 30).unwrap_err().to_string();
    assert!(e.contains("as an array"), "{e}");
    let register = history(&[(0, Invoke, "write", json!(1)), (0, Done, "write", json!(1))]);
    let e = check(&register, 3, 30).unwrap_err().to_string();
    assert!(e.contains("not `write`"), "{e}");
}

#[test]
fn jepsen_reads_are_maps_from_account_to_balance() {
    let h = history(&[
        (0, Invoke, "read", Value::Null),
        (0, Done, "read", json!({"0": 12, "1": 8, "2": 10})),
        (1, Invoke, "read", Value::Null),
        (1, Done, "read", json!({"0": 12, "2": 10})),
        (2, Invoke, "read", Value::Null),
        (2, Done, "read", json!({"0": 12, "1": 8, "2": 10, "7": 0})),
    ]);
    let a = check(&h, 3, 30).unwrap();
    assert_eq!((a.reads, a.bad_reads), (3, 2));
    assert_eq!(
        a.examples[0].errors,
        vec![BankError::WrongTotal, BankError::NilBalance]
    );
    assert_eq!(a.examples[0].balances, json!({"0": 12, "2": 10}));
    assert_eq!(a.examples[1].errors, vec![BankError::UnexpectedKey]);
}

#[test]
fn banks_are_separate_keys() {
    let mut events: Vec<Op> = Vec::new();
    for (key, balances) in [("b0", json!([10, 20])), ("b1", json!([25, 5]))] {
        let mut invoke = Op::new(Process::Client(0), Invoke, "read", Value::Null);
        invoke.key = Some(key.into());
        let mut done = Op::new(Process::Client(0), Done, "read", balances);
        done.key = Some(key.into());
        events.extend([invoke, done]);
    }
    let a = check(&History::from_events(events), 2, 30).unwrap();
    assert_eq!((a.valid, a.banks, a.reads), (Validity::Valid, 2, 2));
}

/// A transfer drawn for a bank of 4: from, to, amount, and what became
/// of it (0 ok, 1 fail, 2 info that applied, 3 info that did not).
fn transfers() -> impl Strategy<Value = Vec<(usize, usize, i64, u8)>> {
    prop::collection::vec((0usize..4, 0usize..4, 1i64..8, 0u8..4), 0..40)
}

/// Runs the transfers serially on a bank of four accounts of 10, refusing
/// overdrafts as the clients do, with a read after each: the history.
fn serial_bank(drawn: &[(usize, usize, i64, u8)]) -> Vec<Event> {
    let mut balances = [10i64; 4];
    let mut events = Vec::new();
    for &(from, to, amount, fate) in drawn {
        let value = transfer(from as u64, to as u64, amount);
        events.push((0, Invoke, "transfer", value.clone()));
        let applies = balances[from] >= amount && from != to && matches!(fate, 0 | 2);
        if applies {
            balances[from] -= amount;
            balances[to] += amount;
        }
        let outcome = match fate {
            0 if applies => Done,
            2 | 3 => Info,
            _ => Fail,
        };
        events.push((0, outcome, "transfer", value));
        events.push((1, Invoke, "read", Value::Null));
        events.push((1, Done, "read", json!(balances)));
    }
    events
}

proptest! {
    #[test]
    fn serial_banks_are_valid_and_any_altered_read_is_caught(
        drawn in transfers(),
        pick in any::<prop::sample::Index>(),
        account in 0usize..4,
        delta in prop_oneof![-30i64..0, 1i64..30],
    ) {
        let events = serial_bank(&drawn);
        let a = check(&history(&events), 4, 40).unwrap();
        let expected = if drawn.is_empty() { Validity::Unknown } else { Validity::Valid };
        prop_assert_eq!(a.valid, expected);
        prop_assert_eq!(a.reads, drawn.len() as u64);
        if drawn.is_empty() {
            return Ok(());
        }
        let mut altered = events.clone();
        let reads: Vec<usize> = (0..altered.len()).filter(|&i| altered[i].1 == Done && altered[i].2 == "read").collect();
        let i = reads[pick.index(reads.len())];
        let mut balances: Vec<i64> = serde_json::from_value(altered[i].3.clone()).unwrap();
        balances[account] += delta;
        altered[i].3 = json!(balances);
        let a = check(&history(&altered), 4, 40).unwrap();
        prop_assert_eq!(a.valid, Validity::Invalid);
        prop_assert_eq!(a.bad_reads, 1);
        prop_assert_eq!(a.examples[0].operation, i - 1, "the read is named by its invocation");
        prop_assert!(a.examples[0].errors.contains(&BankError::WrongTotal));
    }
}

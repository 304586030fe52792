//! One minimal hand-built history per anomaly (tests only): each is
//! detected and named, with an explanation; a valid history gives no
//! report at all.

use super::{check, ConsistencyModel, SerialAnalysis, Workload};
use faultline_core::{Budget, History, Op, OpType, Process, Validity};
use serde_json::{json, Value};

/// A transaction: process, outcome, micro-ops as completed.
type T = (u64, OpType, Value);

/// The invocation's value: reads with unknown results.
fn invocation(mops: &Value) -> Value {
    Value::Array(
        mops.as_array()
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
    )
}

/// The transactions one after another.
fn serial(txns: &[T]) -> History {
    let mut events = Vec::new();
    for (p, kind, mops) in txns {
        events.push(Op::new(
            Process::Client(*p),
            OpType::Invoke,
            "txn",
            invocation(mops),
        ));
        let done = if *kind == OpType::Ok {
            mops.clone()
        } else {
            Value::Null
        };
        events.push(Op::new(Process::Client(*p), *kind, "txn", done));
    }
    History::from_events(events)
}

/// `first` all invoked before any completes, then `then` one after another.
fn concurrent_then(first: &[T], then: &[T]) -> History {
    let mut events = Vec::new();
    for (p, _, mops) in first {
        events.push(Op::new(
            Process::Client(*p),
            OpType::Invoke,
            "txn",
            invocation(mops),
        ));
    }
    for (p, kind, mops) in first {
        let done = if *kind == OpType::Ok {
            mops.clone()
        } else {
            Value::Null
        };
        events.push(Op::new(Process::Client(*p), *kind, "txn", done));
    }
    events.extend(serial(then).events().iter().cloned());
    History::from_events(events)
}

fn ok(p: u64, mops: Value) -> T {
    (p, OpType::Ok, mops)
}

fn analyze(history: &History, workload: Workload, model: ConsistencyModel) -> SerialAnalysis {
    check(history, workload, model, &Budget::default()).unwrap()
}

/// Asserts `name` is found, invalid under `model`, explained.
fn finds(
    history: &History,
    workload: Workload,
    model: ConsistencyModel,
    name: &str,
) -> SerialAnalysis {
    let analysis = analyze(history, workload, model);
    let anomaly = analysis
        .anomalies
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{name} not found: {:#?}", analysis.anomalies));
    assert_eq!(analysis.valid, Validity::Invalid, "{name} under {model}");
    assert!(
        anomaly.rules_out.iter().any(|m| m == model.name()),
        "{name} rules out {model}"
    );
    assert!(anomaly.explanation.contains('T'), "{}", anomaly.explanation);
    println!("{name}: {}", anomaly.explanation);
    analysis
}

use ConsistencyModel::*;
use Workload::*;

#[test]
fn g0_write_cycle() {
    let h = concurrent_then(
        &[
            ok(1, json!([["append", "x", 1], ["append", "y", 1]])),
            ok(2, json!([["append", "x", 2], ["append", "y", 2]])),
        ],
        &[ok(3, json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]]))],
    );
    let a = finds(&h, ListAppend, ReadUncommitted, "G0");
    verdicts_follow_the_table(&h, ListAppend, "G0");
    let g0 = a.anomalies.iter().find(|a| a.name == "G0").unwrap();
    assert_eq!(g0.cycle.len(), 2);
    assert!(g0.cycle.iter().all(|e| e.label == "ww"));
    assert!(
        g0.explanation
            .contains("appended 2 after T0 appended 1 to key x"),
        "{}",
        g0.explanation
    );
}

#[test]
fn g1a_aborted_read() {
    let h = serial(&[
        (1, OpType::Fail, json!([["append", "x", 1]])),
        ok(2, json!([["r", "x", [1]]])),
    ]);
    finds(&h, ListAppend, ReadCommitted, "G1a");
    verdicts_follow_the_table(&h, ListAppend, "G1a");
    assert_eq!(
        analyze(&h, ListAppend, ReadUncommitted).valid,
        Validity::Valid
    );
}

#[test]
fn g1b_intermediate_read() {
    let h = serial(&[
        ok(1, json!([["append", "x", 1], ["append", "x", 2]])),
        ok(2, json!([["r", "x", [1]]])),
    ]);
    finds(&h, ListAppend, ReadCommitted, "G1b");
    verdicts_follow_the_table(&h, ListAppend, "G1b");
}

#[test]
fn g1c_circular_information_flow() {
    let h = concurrent_then(
        &[
            ok(1, json!([["append", "x", 1], ["r", "y", [1]]])),
            ok(2, json!([["append", "y", 1], ["r", "x", [1]]])),
        ],
        &[],
    );
    let a = finds(&h, ListAppend, ReadCommitted, "G1c");
    verdicts_follow_the_table(&h, ListAppend, "G1c");
    let g1c = a.anomalies.iter().find(|a| a.name == "G1c").unwrap();
    assert!(g1c.cycle.iter().all(|e| e.label == "wr"));
    assert!(
        g1c.explanation.contains("read T0's append of 1 to key x"),
        "{}",
        g1c.explanation
    );
}

#[test]
fn g_single_read_skew() {
    let h = concurrent_then(
        &[
            ok(1, json!([["r", "x", []], ["r", "y", [1]]])),
            ok(2, json!([["append", "x", 1], ["append", "y", 1]])),
        ],
        &[ok(3, json!([["r", "x", [1]]]))],
    );
    let a = finds(&h, ListAppend, SnapshotIsolation, "G-single");
    verdicts_follow_the_table(&h, ListAppend, "G-single");
    let cycle = &a
        .anomalies
        .iter()
        .find(|a| a.name == "G-single")
        .unwrap()
        .cycle;
    assert_eq!(cycle.iter().filter(|e| e.label == "rw").count(), 1);
    assert!(
        a.anomalies[0].explanation.contains("did not see"),
        "{}",
        a.anomalies[0].explanation
    );
}

#[test]
fn g_nonadjacent() {
    let h = concurrent_then(
        &[
            ok(1, json!([["r", "a", []], ["r", "d", [1]]])),
            ok(2, json!([["append", "a", 1], ["append", "b", 1]])),
            ok(3, json!([["r", "b", [1]], ["r", "c", []]])),
            ok(4, json!([["append", "c", 1], ["append", "d", 1]])),
        ],
        &[ok(5, json!([["r", "a", [1]], ["r", "c", [1]]]))],
    );
    let a = finds(&h, ListAppend, SnapshotIsolation, "G-nonadjacent");
    verdicts_follow_the_table(&h, ListAppend, "G-nonadjacent");
    let cycle = &a
        .anomalies
        .iter()
        .find(|a| a.name == "G-nonadjacent")
        .unwrap()
        .cycle;
    let labels: Vec<&str> = cycle.iter().map(|e| e.label.as_ref()).collect();
    assert_eq!(
        labels.iter().filter(|l| **l == "rw").count(),
        2,
        "{labels:?}"
    );
}

#[test]
fn g2_item_write_skew_allowed_by_snapshot_isolation() {
    let h = concurrent_then(
        &[
            ok(1, json!([["r", "y", []], ["append", "x", 1]])),
            ok(2, json!([["r", "x", []], ["append", "y", 1]])),
        ],
        &[ok(3, json!([["r", "x", [1]], ["r", "y", [1]]]))],
    );
    finds(&h, ListAppend, Serializable, "G2-item");
    verdicts_follow_the_table(&h, ListAppend, "G2-item");
    let si = analyze(&h, ListAppend, SnapshotIsolation);
    assert_eq!(si.valid, Validity::Valid, "{:?}", si.anomalies);
    assert!(
        si.not.iter().any(|m| m == "serializable")
            && !si.not.iter().any(|m| m == "snapshot-isolation")
    );
}

/// Checks a minimal history showing anomaly `name` under all eight models:
/// invalid, with `name` reported, exactly where the verdict table says the
/// model forbids it; valid everywhere else.
fn verdicts_follow_the_table(history: &History, workload: Workload, name: &str) {
    let kind = super::AnomalyKind::all()
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or_else(|| panic!("no anomaly named {name}"));
    for model in ConsistencyModel::ALL {
        let analysis = analyze(history, workload, model);
        if model.forbids(kind) {
            assert_eq!(analysis.valid, Validity::Invalid, "{name} under {model}");
            assert!(
                analysis.anomalies.iter().any(|a| a.name == name),
                "{name} under {model}: {:#?}",
                analysis.anomalies
            );
        } else {
            assert_eq!(
                analysis.valid,
                Validity::Valid,
                "{name} is allowed by {model}: {:#?}",
                analysis.anomalies
            );
        }
    }
}

#[test]
fn a_non_repeatable_read_inside_a_transaction_is_allowed_at_read_committed() {
    // T0 reads x, T1 appends and commits, T0 reads x again and sees it:
    // what PostgreSQL's read committed does.
    let h = concurrent_then(
        &[
            ok(1, json!([["r", "x", []], ["r", "x", [1]]])),
            ok(2, json!([["append", "x", 1]])),
        ],
        &[],
    );
    let rc = analyze(&h, ListAppend, ReadCommitted);
    assert_eq!(rc.valid, Validity::Valid, "{:#?}", rc.anomalies);
    assert_eq!(rc.counts.get("internal"), Some(&1));
    finds(&h, ListAppend, RepeatableRead, "internal");
    verdicts_follow_the_table(&h, ListAppend, "internal");
    // Own writes accounted for: read, append 2, then another's 1 shows up.
    let h = concurrent_then(
        &[
            ok(
                1,
                json!([["r", "x", []], ["append", "x", 2], ["r", "x", [1, 2]]]),
            ),
            ok(2, json!([["append", "x", 1]])),
        ],
        &[],
    );
    assert_eq!(
        analyze(&h, ListAppend, ReadCommitted).valid,
        Validity::Valid
    );
    finds(&h, ListAppend, SnapshotIsolation, "internal");
    let h = concurrent_then(
        &[
            ok(1, json!([["r", "x", null], ["r", "x", 2]])),
            ok(2, json!([["w", "x", 2]])),
        ],
        &[],
    );
    verdicts_follow_the_table(&h, RwRegister, "internal");
}

#[test]
fn not_seeing_its_own_write_is_forbidden_by_every_model() {
    let h = serial(&[ok(
        1,
        json!([["r", "x", []], ["append", "x", 1], ["r", "x", []]]),
    )]);
    finds(&h, ListAppend, ReadUncommitted, "own-write-unseen");
    verdicts_follow_the_table(&h, ListAppend, "own-write-unseen");
    let h = serial(&[
        ok(1, json!([["w", "x", 1], ["r", "x", 2]])),
        ok(2, json!([["w", "x", 2]])),
    ]);
    finds(&h, RwRegister, ReadUncommitted, "own-write-unseen");
    verdicts_follow_the_table(&h, RwRegister, "own-write-unseen");
}

#[test]
fn reading_its_own_later_write_is_a_future_read() {
    let h = serial(&[ok(1, json!([["r", "x", [1]], ["append", "x", 1]]))]);
    finds(&h, ListAppend, ReadCommitted, "future-read");
    verdicts_follow_the_table(&h, ListAppend, "future-read");
    let h = serial(&[ok(1, json!([["r", "x", 5], ["w", "x", 5]]))]);
    verdicts_follow_the_table(&h, RwRegister, "future-read");
}

#[test]
fn incompatible_order() {
    let h = serial(&[
        ok(1, json!([["append", "x", 1]])),
        ok(2, json!([["append", "x", 2]])),
        ok(3, json!([["r", "x", [1, 2]]])),
        ok(4, json!([["r", "x", [2, 1]]])),
    ]);
    finds(&h, ListAppend, ReadCommitted, "incompatible-order");
    verdicts_follow_the_table(&h, ListAppend, "incompatible-order");
}

#[test]
fn duplicate_elements() {
    let h = serial(&[
        ok(1, json!([["append", "x", 1]])),
        ok(2, json!([["r", "x", [1, 1]]])),
    ]);
    finds(&h, ListAppend, ReadUncommitted, "duplicate-elements");
    verdicts_follow_the_table(&h, ListAppend, "duplicate-elements");
}

#[test]
fn lost_update() {
    let h = concurrent_then(
        &[
            ok(1, json!([["r", "x", null], ["w", "x", 1]])),
            ok(2, json!([["r", "x", null], ["w", "x", 2]])),
        ],
        &[],
    );
    let a = finds(&h, RwRegister, SnapshotIsolation, "lost-update");
    verdicts_follow_the_table(&h, RwRegister, "lost-update");
    let lost = a
        .anomalies
        .iter()
        .find(|a| a.name == "lost-update")
        .unwrap();
    assert!(
        lost.explanation.contains("all read key x as nil"),
        "{}",
        lost.explanation
    );
}

#[test]
fn garbage_read() {
    let h = serial(&[ok(1, json!([["r", "x", [7]]]))]);
    finds(&h, ListAppend, ReadUncommitted, "garbage-read");
    verdicts_follow_the_table(&h, ListAppend, "garbage-read");
}

#[test]
fn real_time_and_process_order_only_count_for_the_models_that_need_them() {
    // T0 appends and completes; T2, begun afterwards by the same process,
    // still reads the empty list: serializable, not strict.
    let h = serial(&[
        ok(1, json!([["append", "x", 1]])),
        ok(1, json!([["r", "x", []]])),
        ok(2, json!([["r", "x", [1]]])),
    ]);
    assert_eq!(analyze(&h, ListAppend, Serializable).valid, Validity::Valid);
    finds(&h, ListAppend, StrictSerializable, "G-single-realtime");
    finds(
        &h,
        ListAppend,
        StrongSessionSerializable,
        "G-single-process",
    );
    verdicts_follow_the_table(&h, ListAppend, "G-single-process");
    // A real-time-only stale read (another process): strict alone forbids it.
    let h = serial(&[
        ok(1, json!([["append", "x", 1]])),
        ok(2, json!([["r", "x", []]])),
        ok(3, json!([["r", "x", [1]]])),
    ]);
    verdicts_follow_the_table(&h, ListAppend, "G-single-realtime");
}

#[test]
fn rw_register_cycles_are_found_too() {
    let h = concurrent_then(
        &[
            ok(1, json!([["w", "x", 1], ["r", "y", 1]])),
            ok(2, json!([["w", "y", 1], ["r", "x", 1]])),
        ],
        &[],
    );
    finds(&h, RwRegister, ReadCommitted, "G1c");
    verdicts_follow_the_table(&h, RwRegister, "G1c");
}

#[test]
fn a_valid_history_reports_nothing() {
    let h = concurrent_then(
        &[
            ok(1, json!([["append", "x", 1], ["r", "y", []]])),
            (2, OpType::Info, json!([["append", "y", 9]])),
            (3, OpType::Fail, json!([["append", "x", 8]])),
        ],
        &[
            ok(
                4,
                json!([["r", "x", [1]], ["append", "x", 2], ["r", "x", [1, 2]]]),
            ),
            ok(
                5,
                json!([["r", "x", [1, 2]], ["r", "y", []], ["append", "y", 3]]),
            ),
            ok(6, json!([["r", "y", [3]]])),
        ],
    );
    for model in ConsistencyModel::ALL {
        let analysis = analyze(&h, ListAppend, model);
        assert_eq!(
            analysis.valid,
            Validity::Valid,
            "{model}: {:#?}",
            analysis.anomalies
        );
        assert!(analysis.anomalies.is_empty() && analysis.not.is_empty());
    }
}

/// Explanations stay a line long whatever the lists hold: a long read is
/// shown by its end, and two reads that part are shown from just before
/// where they part (issue: "reports that tell the story of an anomaly").
#[test]
fn long_lists_are_elided_to_the_part_that_matters() {
    let mut txns: Vec<T> = (1..=40)
        .map(|v| ok(v as u64, json!([["append", "x", v]])))
        .collect();
    let seen: Vec<i64> = (1..=40).collect();
    let mut parted: Vec<i64> = (1..=20).collect();
    parted.extend([22, 21]);
    txns.push(ok(100, json!([["r", "x", seen]])));
    txns.push(ok(101, json!([["r", "x", parted]])));
    let analysis = finds(
        &serial(&txns),
        Workload::ListAppend,
        ConsistencyModel::Serializable,
        "incompatible-order",
    );
    let explanation = &analysis
        .anomalies
        .iter()
        .find(|a| a.name == "incompatible-order")
        .unwrap()
        .explanation;
    assert!(
        explanation.contains("as [… 18 earlier, 19 20 22 21]")
            && explanation.contains("as [… 18 earlier, 19 20 21 22 23 24 … 16 later]")
            && explanation.contains("they part at element 21"),
        "{explanation}"
    );
    assert!(explanation.len() < 250, "{explanation}");
    assert_eq!(super::describe_list(&[1, 2, 3]), "[1 2 3]");
    assert_eq!(
        super::describe_list(&(1..=10).collect::<Vec<_>>()),
        "[… 4 earlier, 5 6 7 8 9 10]"
    );
}

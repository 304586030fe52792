//! Hand-built histories, one per rule; and a differential test: random
//! simulated streams with planted faults, checked against a second, naive
//! reading of the definitions.

use super::*;
use faultline_core::{Op, OpType, Rng};
use serde_json::json;
use std::collections::BTreeSet;

use OpType::{Fail, Info, Invoke, Ok as Done};

/// Builds a history of operations performed one after another: each
/// `(process, key, f, value, completion type, completion value)` is an
/// invocation and its completion.
fn history(ops: &[(u64, &str, &str, Value, OpType, Value)]) -> History {
    let mut events = Vec::new();
    for (p, key, f, value, end, out) in ops {
        let process = Process::Client(*p);
        events.push(Op::new(process, Invoke, *f, value.clone()).with_key(*key));
        events.push(Op::new(process, *end, *f, out.clone()).with_key(*key));
    }
    for (i, e) in events.iter_mut().enumerate() {
        e.time = i as u64 * 1_000_000;
    }
    History::from_events(events)
}

fn send(p: u64, v: u64, offset: u64) -> (u64, &'static str, &'static str, Value, OpType, Value) {
    (p, "s", SEND, json!(v), Done, json!([offset, v]))
}

fn poll(p: u64, pairs: Value) -> (u64, &'static str, &'static str, Value, OpType, Value) {
    (p, "s", POLL, Value::Null, Done, pairs)
}

fn drain(p: u64, pairs: Value) -> (u64, &'static str, &'static str, Value, OpType, Value) {
    (p, "s", POLL, json!(FROM_START), Done, pairs)
}

fn checked(ops: &[(u64, &str, &str, Value, OpType, Value)]) -> StreamAnalysis {
    check(&history(ops), true).unwrap()
}

#[test]
fn a_log_read_in_order_by_every_consumer_is_valid() {
    let a = checked(&[
        send(0, 1, 0),
        send(0, 2, 1),
        poll(1, json!([[0, 1]])),
        send(2, 3, 2),
        poll(1, json!([[1, 2], [2, 3]])),
        drain(3, json!([[0, 1], [1, 2], [2, 3]])),
    ]);
    assert_eq!(a.valid, Validity::Valid, "{a:?}");
    assert_eq!(
        (a.sent, a.acknowledged, a.polls, a.messages_read),
        (3, 3, 3, 6)
    );
    assert!(a.refuting().is_empty());
}

#[test]
fn an_acknowledged_message_below_what_was_read_and_never_read_is_a_lost_write() {
    let a = checked(&[
        send(0, 1, 0),
        send(0, 2, 1),
        send(0, 3, 2),
        drain(1, json!([[0, 1], [2, 3]])),
    ]);
    assert_eq!(a.valid, Validity::Invalid);
    assert_eq!(a.lost_write.count, 1);
    let lost = &a.lost_write.cases[0];
    assert_eq!(
        (lost.value.clone(), lost.offsets.clone()),
        (json!(2), vec!["1".to_owned()])
    );
    // Placed at its send and acknowledgement, shown by the read past it.
    assert_eq!(
        (lost.send, lost.acknowledged, lost.witness),
        (Some(2), Some(3), Some(6))
    );
    // The drain read 1 then 3, with 2 between them in the log.
    assert_eq!(a.poll_skip.count, 1);
    assert_eq!(a.poll_skip.cases[0].others, vec![json!(2)]);
}

#[test]
fn an_acknowledged_message_a_later_read_from_the_start_missed_is_unseen() {
    let a = checked(&[send(0, 1, 0), send(0, 2, 1), drain(1, json!([[0, 1]]))]);
    assert_eq!((a.unseen.count, a.lost_write.count), (1, 0));
    assert_eq!(a.unseen.cases[0].value, json!(2));
    // Without a read from the start after it, nothing is claimed.
    let a = checked(&[send(0, 1, 0), poll(1, json!([[0, 1]])), send(0, 2, 1)]);
    assert_eq!(
        (a.valid, a.never_read, a.unseen.count),
        (Validity::Valid, 1, 0)
    );
}

#[test]
fn a_message_read_then_missing_from_a_later_read_from_the_start_vanished() {
    let ops = [
        send(0, 1, 0),
        send(0, 2, 1),
        poll(1, json!([[0, 1], [1, 2]])),
        drain(2, json!([[0, 1]])),
    ];
    let a = checked(&ops);
    assert_eq!((a.vanished.count, a.valid), (1, Validity::Invalid));
    let case = &a.vanished.cases[0];
    // Known from its acknowledgement (the send at event 2), missed by the
    // read from the start at event 6.
    assert_eq!(
        (case.value.clone(), case.previous, case.witness),
        (json!(2), Some(2), Some(6))
    );
    // Where reads may lag, the same is shown and allowed.
    let lagging = check(&history(&ops), false).unwrap();
    assert_eq!(
        (lagging.vanished.count, lagging.valid),
        (1, Validity::Valid)
    );
    assert_eq!(lagging.model, "stream (reads may lag)");
    let lines = crate::Analysis::lines(&lagging, "h", 0.0, &crate::words::by_position);
    assert!(
        lines[1].contains("allowed, as reads may lag: 1 vanished"),
        "{lines:?}"
    );
    // A read from the start begun before it was known claims nothing.
    let early = checked(&[
        send(0, 1, 0),
        drain(2, json!([[0, 1]])),
        send(0, 2, 1),
        poll(1, json!([[1, 2]])),
    ]);
    assert_eq!(early.vanished.count, 0);
}

#[test]
fn two_messages_at_one_offset_and_one_message_at_two_offsets_are_named() {
    let a = checked(&[
        send(0, 1, 0),
        send(1, 2, 0),
        drain(2, json!([[0, 1], [1, 1]])),
    ]);
    assert_eq!(a.inconsistent_offsets.count, 1);
    let case = &a.inconsistent_offsets.cases[0];
    assert_eq!(
        (case.value.clone(), case.others.clone()),
        (json!(1), vec![json!(2)])
    );
    assert_eq!(a.duplicate.count, 1);
    assert_eq!(a.duplicate.cases[0].offsets, vec!["0", "1"]);
}

#[test]
fn a_consumer_that_skips_or_goes_back_is_caught_across_polls_and_within_one() {
    let log = [send(0, 1, 0), send(0, 2, 1), send(0, 3, 2)];
    let skip = checked(
        &[
            &log[..],
            &[poll(1, json!([[0, 1]])), poll(1, json!([[2, 3]]))],
        ]
        .concat(),
    );
    assert_eq!((skip.poll_skip.count, skip.nonmonotonic_poll.count), (1, 0));
    assert_eq!(skip.poll_skip.cases[0].previous, Some(6));
    let back = checked(&[&log[..], &[poll(1, json!([[1, 2], [0, 1]]))]].concat());
    assert_eq!((back.poll_skip.count, back.nonmonotonic_poll.count), (0, 1));
    assert_eq!(back.nonmonotonic_poll.cases[0].others, vec![json!(2)]);
    // A read from the start begins again; another consumer is its own.
    let fine = checked(
        &[
            &log[..],
            &[
                poll(1, json!([[0, 1], [1, 2]])),
                drain(1, json!([[0, 1], [1, 2], [2, 3]])),
                poll(2, json!([[1, 2]])),
            ],
        ]
        .concat(),
    );
    assert_eq!(fine.valid, Validity::Valid, "{fine:?}");
}

#[test]
fn a_failed_or_unknown_poll_leaves_the_consumer_where_it_was() {
    let a = checked(&[
        send(0, 1, 0),
        send(0, 2, 1),
        poll(1, json!([[0, 1]])),
        (1, "s", POLL, Value::Null, Fail, Value::Null),
        poll(1, json!([[1, 2]])),
    ]);
    assert_eq!(a.valid, Validity::Valid, "{a:?}");
}

#[test]
fn a_producer_whose_send_lands_before_its_previous_one_is_nonmonotonic() {
    let a = checked(&[
        send(0, 1, 5),
        send(0, 2, 3),
        drain(1, json!([[3, 2], [5, 1]])),
    ]);
    assert_eq!(a.nonmonotonic_send.count, 1);
    assert_eq!(a.nonmonotonic_send.cases[0].others, vec![json!(1)]);
}

#[test]
fn a_message_whose_send_failed_or_that_no_one_sent_refutes_when_read() {
    let a = checked(&[
        (0, "s", SEND, json!(1), Fail, Value::Null),
        (0, "s", SEND, json!(2), Info, Value::Null),
        drain(1, json!([[0, 1], [1, 2], [2, 9]])),
    ]);
    assert_eq!((a.aborted_read.count, a.unexpected.count), (1, 1));
    assert_eq!(a.unexpected.cases[0].value, json!(9));
    assert_eq!(
        a.lost_write.count + a.unseen.count,
        0,
        "an unknown send that was read is fine"
    );
}

#[test]
fn redis_ids_order_by_milliseconds_then_sequence() {
    let id = |s: &str| json!(s);
    let a = checked(&[
        (0, "s", SEND, json!(1), Done, id("1700000000000-9")),
        (0, "s", SEND, json!(2), Done, id("1700000000000-10")),
        (0, "s", SEND, json!(3), Done, id("1700000000001-0")),
        drain(
            1,
            json!([
                ["1700000000000-9", 1],
                ["1700000000000-10", 2],
                ["1700000000001-0", 3]
            ]),
        ),
    ]);
    assert_eq!(a.valid, Validity::Valid, "{a:?}");
}

#[test]
fn with_nothing_read_the_verdict_is_unknown() {
    let a = checked(&[send(0, 1, 0), drain(1, json!([]))]);
    assert_eq!(
        a.valid,
        Validity::Invalid,
        "read from the start after the ack: unseen"
    );
    let a = checked(&[send(0, 1, 0)]);
    assert_eq!(a.valid, Validity::Unknown);
    assert!(a.reason.unwrap().contains("no poll returned a message"));
}

#[test]
fn malformed_operations_are_refused_with_what_to_do() {
    let bad = |op| check(&history(&[op]), true).unwrap_err().to_string();
    assert!(bad((0, "s", "read", Value::Null, Done, json!([])))
        .contains("knows `send` and `poll`, not `read`"));
    assert!(bad((0, "s", SEND, json!(1), Done, json!("x"))).contains("must return its offset"));
    assert!(
        bad((0, "s", POLL, Value::Null, Done, json!([1, 2]))).contains("[offset, message] pairs")
    );
    assert!(bad((0, "s", POLL, json!("begin"), Done, json!([]))).contains("null (go on"));
}

#[test]
fn the_analysis_reads_back_from_json_and_says_itself_in_words() {
    let a = checked(&[send(0, 1, 0), send(0, 2, 1), drain(1, json!([[1, 2]]))]);
    let back: StreamAnalysis = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
    assert_eq!(back, a);
    let lines = crate::Analysis::lines(&a, "h.jsonl", 1.0, &crate::words::by_position);
    assert!(
        lines[0].starts_with("h.jsonl: INVALID: 1 lost-write (2 sent"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("1 in stream s at offset 0: sent at event 0, acknowledged at event 1"),
        "{lines:?}"
    );
}

// ---- the differential test ----

/// Which faults a simulated stream plants.
#[derive(Clone, Copy, PartialEq)]
enum Plant {
    None,
    Some,
}

/// A simulated system: per stream a true log of (offset, message), served
/// sequentially to a few processes, with faults planted at random.
fn simulate(seed: u64, plant: Plant) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    let mut logs: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let mut positions: HashMap<(u64, String), u64> = HashMap::new();
    let mut events = Vec::new();
    let mut next = 1;
    let faulty = |rng: &mut Rng, n: u64| plant == Plant::Some && rng.below(n) == 0;
    let mut record = |p: u64, key: &str, f: &str, input: Value, end: OpType, out: Value| {
        events.push(Op::new(Process::Client(p), Invoke, f, input).with_key(key));
        events.push(Op::new(Process::Client(p), end, f, out).with_key(key));
    };
    for _ in 0..rng.below(24) + 4 {
        let p = rng.below(3);
        let key = format!("k{}", rng.below(2));
        let log = logs.entry(key.clone()).or_default();
        let last = log.iter().map(|(o, _)| *o).max().unwrap_or(100);
        if rng.below(2) == 0 {
            let v = next;
            next += 1;
            let offset = last + 1 + rng.below(2);
            if faulty(&mut rng, 6) {
                match rng.below(6) {
                    0 => {
                        log.push((offset, v));
                        record(p, &key, SEND, json!(v), Fail, Value::Null);
                    }
                    1 => match log.first() {
                        Some(&(taken, _)) => {
                            record(p, &key, SEND, json!(v), Done, json!([taken, v]))
                        }
                        None => record(p, &key, SEND, json!(v), Info, Value::Null),
                    },
                    2 => record(p, &key, SEND, json!(v), Done, json!([offset, v])),
                    5 => {
                        log.sort();
                        log.pop();
                        log.push((offset, v));
                        record(p, &key, SEND, json!(v), Done, json!([offset, v]));
                    }
                    3 => {
                        log.push((offset, v));
                        log.push((offset + 1, v));
                        record(p, &key, SEND, json!(v), Done, json!([offset, v]));
                    }
                    _ => {
                        let first = log.iter().map(|(o, _)| *o).min().unwrap_or(100);
                        log.insert(0, (first - 1, v));
                        record(p, &key, SEND, json!(v), Done, json!([first - 1, v]));
                    }
                }
            } else if rng.below(8) == 0 {
                if rng.below(2) == 0 {
                    log.push((offset, v));
                }
                record(p, &key, SEND, json!(v), Info, Value::Null);
            } else {
                log.push((offset, v));
                record(p, &key, SEND, json!(v), Done, json!([offset, v]));
            }
        } else {
            let from_start = rng.below(6) == 0;
            let after = if from_start {
                0
            } else {
                positions.get(&(p, key.clone())).copied().unwrap_or(0)
            };
            let mut sorted = log.clone();
            sorted.sort();
            // A read from the start reads the whole stream; a poll, a few.
            let limit = if from_start { usize::MAX } else { 3 };
            let mut got: Vec<(u64, u64)> = sorted
                .into_iter()
                .filter(|(o, _)| *o > after)
                .take(limit)
                .collect();
            if faulty(&mut rng, 4) {
                match rng.below(3) {
                    0 if got.len() > 1 => {
                        got.remove(0);
                    }
                    1 => got.insert(0, (after.saturating_sub(1).max(1), 9_999)),
                    _ => got.reverse(),
                }
            }
            if let Some(&(o, _)) = got.iter().max() {
                positions.insert((p, key.clone()), o);
            }
            let pairs: Vec<Value> = got.iter().map(|(o, v)| json!([o, v])).collect();
            let input = if from_start {
                json!(FROM_START)
            } else {
                Value::Null
            };
            record(p, &key, POLL, input, Done, Value::Array(pairs));
        }
    }
    for (i, (key, log)) in logs.iter().enumerate() {
        let mut sorted = log.clone();
        sorted.sort();
        let pairs: Vec<Value> = sorted.iter().map(|(o, v)| json!([o, v])).collect();
        record(
            10 + i as u64,
            key,
            POLL,
            json!(FROM_START),
            Done,
            Value::Array(pairs),
        );
    }
    for (i, e) in events.iter_mut().enumerate() {
        e.time = i as u64;
    }
    events
}

/// A poll as the naive reading sees it: its place among the key's
/// operations, whether it read from the start, its pairs, its process.
type NaivePoll = (usize, bool, Vec<(u64, u64)>, u64);

fn client(process: Process) -> u64 {
    match process {
        Process::Client(n) => n,
        Process::Nemesis => u64::MAX,
    }
}

/// The definitions, read naively off the events (each invocation is
/// followed at once by its completion): counts per kind, in the order of
/// [`StreamAnalysis::kinds`].
fn naive(events: &[Op]) -> [u64; 10] {
    let pairs = |v: &Value| -> Vec<(u64, u64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
            .collect()
    };
    let ops: Vec<(&Op, &Op)> = events.chunks(2).map(|c| (&c[0], &c[1])).collect();
    let keys: BTreeSet<&str> = ops.iter().map(|(i, _)| i.key.as_deref().unwrap()).collect();
    let mut counts = [0; 10];
    for key in keys {
        let mine: Vec<&(&Op, &Op)> = ops
            .iter()
            .filter(|(i, _)| i.key.as_deref() == Some(key))
            .collect();
        let acked: Vec<(usize, u64, u64, u64)> = mine
            .iter()
            .enumerate()
            .filter(|(_, (i, d))| i.f == SEND && d.kind == Done)
            .map(|(n, (i, d))| {
                (
                    n,
                    i.value.as_u64().unwrap(),
                    d.value[0].as_u64().unwrap(),
                    client(d.process),
                )
            })
            .collect();
        let polls: Vec<NaivePoll> = mine
            .iter()
            .enumerate()
            .filter(|(_, (i, d))| i.f == POLL && d.kind == Done)
            .map(|(n, (i, d))| {
                (
                    n,
                    i.value == json!(FROM_START),
                    pairs(&d.value),
                    client(i.process),
                )
            })
            .collect();
        let mut placed: BTreeSet<(u64, u64)> = acked.iter().map(|a| (a.2, a.1)).collect();
        placed.extend(polls.iter().flat_map(|p| p.2.iter().copied()));
        let offsets: Vec<u64> = placed
            .iter()
            .map(|(o, _)| *o)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rank = |o: u64| offsets.binary_search(&o).unwrap() as i64;
        let read: BTreeSet<u64> = polls.iter().flat_map(|p| p.2.iter().map(|x| x.1)).collect();
        let highest = polls
            .iter()
            .flat_map(|p| p.2.iter().map(|x| rank(x.0)))
            .max();
        counts[3] += offsets
            .iter()
            .filter(|o| placed.iter().filter(|(p, _)| p == *o).count() > 1)
            .count() as u64;
        let messages: BTreeSet<u64> = placed.iter().map(|(_, v)| *v).collect();
        counts[4] += messages
            .iter()
            .filter(|v| placed.iter().filter(|(_, m)| m == *v).count() > 1)
            .count() as u64;
        for v in &read {
            let first_read = polls
                .iter()
                .find(|p| p.2.iter().any(|x| x.1 == *v))
                .unwrap()
                .0;
            let known = acked
                .iter()
                .find(|a| a.1 == *v)
                .map_or(first_read, |a| a.0.min(first_read));
            counts[2] += u64::from(
                polls
                    .iter()
                    .any(|p| p.1 && p.0 > known && !p.2.iter().any(|x| x.1 == *v)),
            );
        }
        for (n, v, o, _) in &acked {
            if read.contains(v) {
                continue;
            }
            if highest.is_some_and(|h| rank(*o) <= h) {
                counts[0] += 1;
            } else if polls.iter().any(|p| p.1 && p.0 > *n) {
                counts[1] += 1;
            }
        }
        for process in 0..20 {
            let mut last: Option<i64> = None;
            for p in polls.iter().filter(|p| p.3 == process) {
                if p.1 {
                    last = None;
                }
                for (o, _) in &p.2 {
                    let r = rank(*o);
                    if let Some(l) = last {
                        counts[5] += u64::from(r > l + 1);
                        counts[6] += u64::from(r <= l);
                    }
                    last = Some(r);
                }
            }
            let sent: Vec<i64> = acked
                .iter()
                .filter(|a| a.3 == process)
                .map(|a| rank(a.2))
                .collect();
            counts[7] += sent.windows(2).filter(|w| w[1] <= w[0]).count() as u64;
        }
        for v in &read {
            let sends: Vec<&&(&Op, &Op)> = mine
                .iter()
                .filter(|(i, _)| i.f == SEND && i.value == json!(v))
                .collect();
            if sends.is_empty() {
                counts[9] += 1;
            } else if sends.iter().all(|(_, d)| d.kind == Fail) {
                counts[8] += 1;
            }
        }
    }
    counts
}

#[test]
fn random_streams_are_judged_as_the_definitions_say_and_every_planted_kind_is_found() {
    let mut found_ever = [0; 10];
    for seed in 0..3000 {
        for plant in [Plant::None, Plant::Some] {
            let events = simulate(seed, plant);
            let a = check(&History::from_events(events.clone()), true).unwrap();
            let counts = a.kinds().map(|(_, f)| f.count);
            assert_eq!(counts, naive(&events), "seed {seed}: {a:#?}");
            if plant == Plant::None {
                assert_ne!(
                    a.valid,
                    Validity::Invalid,
                    "seed {seed}, nothing planted: {a:#?}"
                );
            }
            for (k, c) in counts.iter().enumerate() {
                found_ever[k] += c;
            }
        }
    }
    for ((kind, _), n) in checked(&[]).kinds().iter().zip(found_ever) {
        assert!(n > 0, "{kind} was never found over 3000 seeds");
    }
}

//! Streams: append-only logs (a Kafka partition, a NATS JetStream stream,
//! a Redis stream), one per key, each holding messages at offsets that
//! only grow. Producers `send` a unique message and are told its offset;
//! consumers `poll` the messages after where they last read, in order.
//! Did every acknowledged message stay where it was put, and did every
//! consumer read the log as it is, in order and without gaps?
//!
//! This is Jepsen's Kafka checker (jepsen/src/jepsen/tests/kafka.clj,
//! `analysis` and the functions it calls) for sends and polls one key at a
//! time, without transactions. Per stream, the *version order* is every
//! offset an acknowledged send or a poll placed a message at, in order; a
//! message's *index* is the rank of its offset among them, so that offsets
//! may be sparse (Redis ids, Kafka's transaction markers):
//!
//! - *inconsistent offsets*: two messages at one offset (`version-orders`'
//!   errors);
//! - *duplicate*: one message at two offsets (`duplicate-cases`);
//! - *lost write*: an acknowledged message at or below the highest index
//!   any poll of its stream returned, and returned by no poll
//!   (`lost-write-cases`; a send of unknown outcome that was read is not
//!   lost, and one that was not read promised nothing);
//! - *unseen*: an acknowledged message no poll returned, above that index,
//!   though a read from the start began after its acknowledgement and
//!   returned (Jepsen's `unseen`, counted at the end of a test whose final
//!   polls read every key; here only a read known to have begun later
//!   counts, and the rest are *never read*, claimed nothing of);
//! - *vanished*: a message a poll returned, missing from a read of its
//!   stream from the start begun after it was known (its acknowledgement
//!   or the first poll that returned it completed): set-full's *lost*
//!   (jepsen/src/jepsen/checker.clj, `set-full`) for a log, whose read
//!   from the start must hold every message known before it began;
//! - *poll skip* and *nonmonotonic poll*: per consumer (a process) and
//!   stream, two messages read in turn, within one poll or across two,
//!   whose indices differ by more than one, or do not grow
//!   (`poll-skip+nonmonotonic-cases`, `int-poll-skip+nonmonotonic-cases`);
//!   a poll from the start begins again (Jepsen's `assign` with
//!   `seek-to-beginning?`), and a failed or unknown poll leaves the
//!   consumer where it was, as Jepsen's `last-reads` do;
//! - *nonmonotonic send*: per producer and stream, an acknowledged send at
//!   or below the producer's previous one (`nonmonotonic-send-cases`);
//! - *aborted read*: a poll returned a message whose send failed (Jepsen's
//!   G1a for Kafka, `g1a-cases`); *unexpected*: a message no one sent.
//!
//! Every case found refutes the history, but for unseen and vanished
//! messages where reads may lag (a replica's read from the start may not
//! hold what the primary acknowledged): the consumers here are assigned
//! their streams (Jepsen allows poll skips only with `subscribe`, whose
//! rebalances move consumers, `allowed-error-types`) and every message is
//! sent once, so even at-least-once delivery allows no duplicate. With no
//! poll that returned a message, or no acknowledged message that could have
//! been read, the verdict is unknown.
//!
//! A send's completion is its offset, or `[offset, message]` as Jepsen
//! writes it; a poll's is its `[offset, message]` pairs in the order they
//! were returned. A poll's value is `null` (go on from where the consumer
//! is: a few messages) or `"start"` (read the whole stream, from its
//! beginning to its end).

mod analysis;
mod offset;

pub use analysis::{Case, Found, StreamAnalysis, CASES_SHOWN};
pub use offset::Offset;
pub use words::describe;

use faultline_core::{CheckError, History, Operation, Outcome, Process, Validity, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A send's function name.
pub const SEND: &str = "send";
/// A poll's function name.
pub const POLL: &str = "poll";
/// A poll's value asking for the stream from its beginning.
pub const FROM_START: &str = "start";

/// Checks the `send` and `poll` operations of `history`, each key a stream
/// of its own; `reads_are_current`: a read from the start that misses a
/// message known before it began refutes.
pub fn check(history: &History, reads_are_current: bool) -> Result<StreamAnalysis, CheckError> {
    let operations = history.operations()?;
    let read = Reading::read(history, &operations)?;
    Ok(judge(&operations, read, reads_are_current))
}

/// A message, compared by value: an integer as itself, anything else by
/// its JSON text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Message {
    Int(u64),
    Text(String),
}

impl Message {
    fn of(value: &Value) -> Message {
        match value.as_u64() {
            Some(n) => Message::Int(n),
            None => Message::Text(value.to_string()),
        }
    }

    fn value(&self) -> Value {
        match self {
            Message::Int(n) => Value::from(*n),
            Message::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }
}

/// One send: the operation's index, its message, its offset when
/// acknowledged.
struct Send {
    op: usize,
    message: Message,
    offset: Option<Offset>,
}

/// One stream's operations, as read from the history.
#[derive(Default)]
struct Stream {
    sends: Vec<Send>,
    /// Each message's sends (indices into `sends`).
    sends_of: HashMap<Message, Vec<usize>>,
    /// Every message placed at each offset, with the operation (its
    /// invocation) that first placed it there.
    log: BTreeMap<Offset, Vec<(Message, usize)>>,
    /// Every offset each message was placed at.
    offsets_of: HashMap<Message, Vec<(Offset, usize)>>,
    /// Messages some poll returned, with the completion and invocation
    /// of the first that did.
    read: HashMap<Message, (usize, usize)>,
    /// When each acknowledged message was first acknowledged: the
    /// completion and the send's invocation.
    acknowledged: HashMap<Message, (usize, usize)>,
    /// Polls that returned (operation indices).
    polls: Vec<usize>,
    /// Reads from the start that returned: their operation indices.
    from_start: Vec<usize>,
}

impl Stream {
    fn place(&mut self, offset: Offset, message: &Message, by: usize) {
        let at = self.log.entry(offset).or_default();
        if !at.iter().any(|(m, _)| m == message) {
            at.push((message.clone(), by));
        }
        let offsets = self.offsets_of.entry(message.clone()).or_default();
        if !offsets.iter().any(|(o, _)| *o == offset) {
            offsets.push((offset, by));
        }
    }
}

/// The history read: every stream, and each poll's pairs.
struct Reading<'h> {
    streams: BTreeMap<Option<&'h str>, Stream>,
    /// Each operation's `[offset, message]` pairs (empty but for polls
    /// that returned).
    pairs: Vec<Vec<(Offset, Message)>>,
    sent: u64,
    acknowledged: u64,
    messages_read: u64,
}

impl<'h> Reading<'h> {
    fn read(history: &History, operations: &[Operation<'h>]) -> Result<Reading<'h>, CheckError> {
        let wrong = |op: &Operation, message: String| CheckError::Operation {
            at: match history.line_of(op.invoke) {
                Some(line) => format!("line {line}"),
                None => format!("event {}", op.invoke),
            },
            message,
        };
        let mut reading = Reading {
            streams: BTreeMap::new(),
            pairs: vec![Vec::new(); operations.len()],
            sent: 0,
            acknowledged: 0,
            messages_read: 0,
        };
        for (i, op) in operations.iter().enumerate() {
            if op.process == Process::Nemesis {
                continue;
            }
            let stream = reading.streams.entry(op.key).or_default();
            match op.f {
                SEND => {
                    reading.sent += 1;
                    let message = Message::of(op.input);
                    let offset = match (op.outcome, op.output) {
                        (Outcome::Ok, Some(output)) => Some(send_offset(output).ok_or_else(|| wrong(op, format!("an ok send must return its offset, or [offset, message], not {output}; a client that cannot say where the message went should answer info")))?),
                        _ => None,
                    };
                    if let Some(offset) = offset {
                        reading.acknowledged += 1;
                        stream.place(offset, &message, op.invoke);
                        if let Some(done) = op.complete {
                            stream
                                .acknowledged
                                .entry(message.clone())
                                .or_insert((done, op.invoke));
                        }
                    }
                    stream
                        .sends_of
                        .entry(message.clone())
                        .or_default()
                        .push(stream.sends.len());
                    stream.sends.push(Send {
                        op: i,
                        message,
                        offset,
                    });
                }
                POLL => {
                    let from_start = reads_from_start(op.input).map_err(|e| wrong(op, e))?;
                    let (Outcome::Ok, Some(output)) = (op.outcome, op.output) else {
                        continue;
                    };
                    let pairs = poll_pairs(output).ok_or_else(|| wrong(op, format!("an ok poll must return the [offset, message] pairs it read, in order, not {output}; a client that cannot say what it read should answer info")))?;
                    let done = op.complete.unwrap_or(op.invoke);
                    for (offset, message) in &pairs {
                        stream.place(*offset, message, op.invoke);
                        stream
                            .read
                            .entry(message.clone())
                            .or_insert((done, op.invoke));
                    }
                    reading.messages_read += pairs.len() as u64;
                    stream.polls.push(i);
                    if from_start {
                        stream.from_start.push(i);
                    }
                    reading.pairs[i] = pairs;
                }
                f => return Err(wrong(op, format!("the stream checker knows `{SEND}` and `{POLL}`, not `{f}`; check this history with the checker its workload needs"))),
            }
        }
        Ok(reading)
    }
}

/// Whether a poll's value asks for the whole stream from its start
/// (`"start"`) or for what follows where the consumer is (`null`); `Err`:
/// neither, in words. Clients read the value with it too.
pub fn reads_from_start(value: &Value) -> Result<bool, String> {
    match value {
        Value::Null => Ok(false),
        Value::String(s) if s == FROM_START => Ok(true),
        other => Err(format!("a poll's value is null (go on from where the consumer is) or \"{FROM_START}\" (read the whole stream), not {other}")),
    }
}

/// A send's offset: `offset` or `[offset, message]`.
fn send_offset(output: &Value) -> Option<Offset> {
    match output {
        Value::Array(pair) if pair.len() == 2 => Offset::parse(&pair[0]),
        other => Offset::parse(other),
    }
}

/// A poll's `[[offset, message], …]`.
fn poll_pairs(output: &Value) -> Option<Vec<(Offset, Message)>> {
    output
        .as_array()?
        .iter()
        .map(|pair| match pair.as_array()?.as_slice() {
            [offset, message] => Some((Offset::parse(offset)?, Message::of(message))),
            _ => None,
        })
        .collect()
}

/// Each stream's version order: the rank of every offset that holds a
/// message, and the messages at each rank.
struct Order<'s> {
    rank: HashMap<Offset, usize>,
    at_rank: Vec<&'s [(Message, usize)]>,
}

impl<'s> Order<'s> {
    fn of(stream: &'s Stream) -> Order<'s> {
        Order {
            rank: stream
                .log
                .keys()
                .enumerate()
                .map(|(r, o)| (*o, r))
                .collect(),
            at_rank: stream.log.values().map(Vec::as_slice).collect(),
        }
    }
}

fn judge(operations: &[Operation], reading: Reading, reads_are_current: bool) -> StreamAnalysis {
    let mut a = StreamAnalysis {
        valid: Validity::Valid,
        model: if reads_are_current {
            "stream".into()
        } else {
            "stream (reads may lag)".into()
        },
        reads_are_current,
        streams: reading.streams.len(),
        sent: reading.sent,
        acknowledged: reading.acknowledged,
        polls: reading.streams.values().map(|s| s.polls.len() as u64).sum(),
        messages_read: reading.messages_read,
        never_read: 0,
        inconsistent_offsets: Found::default(),
        duplicate: Found::default(),
        lost_write: Found::default(),
        unseen: Found::default(),
        vanished: Found::default(),
        poll_skip: Found::default(),
        nonmonotonic_poll: Found::default(),
        nonmonotonic_send: Found::default(),
        aborted_read: Found::default(),
        unexpected: Found::default(),
        reason: None,
    };
    let mut orders = HashMap::new();
    for (key, stream) in &reading.streams {
        let order = Order::of(stream);
        let base = Case {
            key: key.map(str::to_owned),
            ..Case::default()
        };
        log_cases(&mut a, stream, &base);
        written_cases(&mut a, operations, &reading.pairs, stream, &order, &base);
        orders.insert(*key, order);
    }
    order_cases(&mut a, operations, &reading, &orders);
    for found in [
        &mut a.inconsistent_offsets,
        &mut a.duplicate,
        &mut a.poll_skip,
        &mut a.nonmonotonic_poll,
        &mut a.nonmonotonic_send,
        &mut a.aborted_read,
        &mut a.unexpected,
    ] {
        found.sort();
        for case in &mut found.cases {
            case.witness_node = case.witness.and_then(|w| node_at(operations, w));
        }
    }
    for found in [&mut a.lost_write, &mut a.unseen, &mut a.vanished] {
        found.cases.sort_by_key(|c| c.acknowledged);
        for case in &mut found.cases {
            case.witness_node = case.witness.and_then(|w| node_at(operations, w));
        }
    }
    let could_be_read = a.acknowledged - a.never_read;
    (a.valid, a.reason) = if !a.refuting().is_empty() {
        (Validity::Invalid, None)
    } else if a.messages_read == 0 {
        (
            Validity::Unknown,
            Some("no poll returned a message, so nothing was checked".to_owned()),
        )
    } else if a.acknowledged > 0 && could_be_read == 0 {
        (Validity::Unknown, Some("no acknowledged message was read, and no read from the start began after one was acknowledged".to_owned()))
    } else {
        (Validity::Valid, None)
    };
    a
}

/// The node of the operation invoked at event `position`.
fn node_at(operations: &[Operation], position: usize) -> Option<String> {
    operations
        .binary_search_by_key(&position, |op| op.invoke)
        .ok()
        .and_then(|i| operations[i].node)
        .map(str::to_owned)
}

/// Inconsistent offsets and duplicates: what the log itself shows.
fn log_cases(a: &mut StreamAnalysis, stream: &Stream, base: &Case) {
    for (offset, at) in &stream.log {
        if let [(first, _), (_, by), ..] = at.as_slice() {
            a.inconsistent_offsets.push(Case {
                value: first.value(),
                offsets: vec![offset.to_string()],
                others: at[1..].iter().map(|(m, _)| m.value()).collect(),
                witness: Some(*by),
                ..base.clone()
            });
        }
    }
    for (message, offsets) in &stream.offsets_of {
        if let [_, (_, by), ..] = offsets.as_slice() {
            a.duplicate.push(Case {
                value: message.value(),
                offsets: offsets.iter().map(|(o, _)| o.to_string()).collect(),
                witness: Some(*by),
                ..base.clone()
            });
        }
    }
}

/// Lost writes, unseen messages, aborted reads and unexpected messages:
/// the sends against the polls.
fn written_cases(
    a: &mut StreamAnalysis,
    operations: &[Operation],
    pairs: &[Vec<(Offset, Message)>],
    stream: &Stream,
    order: &Order,
    base: &Case,
) {
    // The highest index any poll returned, and the poll that did.
    let mut highest: Option<(usize, usize)> = None;
    for &p in &stream.polls {
        for (offset, _) in &pairs[p] {
            let rank = order.rank[offset];
            if highest.is_none_or(|(r, _)| rank > r) {
                highest = Some((rank, operations[p].invoke));
            }
        }
    }
    let last_start = stream
        .from_start
        .iter()
        .map(|&p| operations[p].invoke)
        .max();
    for send in &stream.sends {
        let (Some(offset), false) = (send.offset, stream.read.contains_key(&send.message)) else {
            continue;
        };
        let op = &operations[send.op];
        let case = |witness| Case {
            value: send.message.value(),
            offsets: vec![offset.to_string()],
            send: Some(op.invoke),
            acknowledged: op.complete,
            witness,
            ..base.clone()
        };
        match highest {
            Some((rank, poll)) if order.rank[&offset] <= rank => {
                a.lost_write.push(case(Some(poll)));
            }
            _ => match last_start {
                Some(start) if op.complete.is_some_and(|done| start > done) => {
                    a.unseen.push(case(Some(start)));
                }
                _ => a.never_read += 1,
            },
        }
    }
    vanished_cases(a, operations, pairs, stream, base);
    let mut told = HashSet::new();
    for &p in &stream.polls {
        for (_, message) in &pairs[p] {
            if !told.insert(message.clone()) {
                continue;
            }
            let sends = stream.sends_of.get(message).map_or(&[][..], Vec::as_slice);
            let case = Case {
                value: message.value(),
                send: sends
                    .first()
                    .map(|&s| operations[stream.sends[s].op].invoke),
                witness: Some(operations[p].invoke),
                ..base.clone()
            };
            if sends.is_empty() {
                a.unexpected.push(case);
            } else if sends
                .iter()
                .all(|&s| operations[stream.sends[s].op].outcome == Outcome::Fail)
            {
                a.aborted_read.push(case);
            }
        }
    }
}

/// Messages a poll returned that a later read from the start missed.
fn vanished_cases(
    a: &mut StreamAnalysis,
    operations: &[Operation],
    pairs: &[Vec<(Offset, Message)>],
    stream: &Stream,
    base: &Case,
) {
    if stream.from_start.is_empty() {
        return;
    }
    let drains: Vec<(usize, HashSet<&Message>)> = stream
        .from_start
        .iter()
        .map(|&p| {
            (
                operations[p].invoke,
                pairs[p].iter().map(|(_, m)| m).collect(),
            )
        })
        .collect();
    // In the order messages were first read, so that cases come out in time.
    let mut read: Vec<(&Message, (usize, usize))> =
        stream.read.iter().map(|(m, &at)| (m, at)).collect();
    read.sort_by_key(|&(_, at)| at);
    for (message, (first_read, by)) in read {
        // Known at the first completion that showed it: its acknowledgement
        // or the first poll that returned it (that operation's invocation).
        let (known, known_by) = match stream.acknowledged.get(message) {
            Some(&(ack, send)) if ack < first_read => (ack, send),
            _ => (first_read, by),
        };
        let Some((drain, _)) = drains
            .iter()
            .find(|(invoke, held)| *invoke > known && !held.contains(message))
        else {
            continue;
        };
        let send = stream
            .sends_of
            .get(message)
            .and_then(|s| s.first())
            .map(|&s| &stream.sends[s]);
        a.vanished.push(Case {
            value: message.value(),
            offsets: stream.offsets_of[message]
                .iter()
                .map(|(o, _)| o.to_string())
                .collect(),
            send: send.map(|s| operations[s.op].invoke),
            acknowledged: send.and_then(|s| operations[s.op].complete),
            previous: Some(known_by),
            witness: Some(*drain),
            ..base.clone()
        });
    }
}

/// Poll skips, nonmonotonic polls and sends: each process's operations on
/// each stream, in turn.
fn order_cases(
    a: &mut StreamAnalysis,
    operations: &[Operation],
    reading: &Reading,
    orders: &HashMap<Option<&str>, Order>,
) {
    // (process, stream) -> (rank, message, invocation) of the last message
    // the process read, and of the last it sent.
    let mut last_read: HashMap<(Process, Option<&str>), (usize, Message, usize)> = HashMap::new();
    let mut last_sent: HashMap<(Process, Option<&str>), (usize, Message, usize)> = HashMap::new();
    for (i, op) in operations.iter().enumerate() {
        let (Outcome::Ok, Some(order)) = (op.outcome, orders.get(&op.key)) else {
            continue;
        };
        let base = Case {
            key: op.key.map(str::to_owned),
            ..Case::default()
        };
        let at = (op.process, op.key);
        match op.f {
            POLL => {
                if op.input.as_str() == Some(FROM_START) {
                    last_read.remove(&at);
                }
                for (offset, message) in &reading.pairs[i] {
                    let rank = order.rank[offset];
                    if let Some((before, previous, by)) = last_read.get(&at) {
                        if rank > before + 1 {
                            let skipped: Vec<Value> = order.at_rank[before + 1..rank]
                                .iter()
                                .filter_map(|at| at.first().map(|(m, _)| m.value()))
                                .collect();
                            a.poll_skip.push(Case {
                                value: skipped[0].clone(),
                                offsets: vec![offset.to_string()],
                                others: skipped,
                                previous: Some(*by),
                                witness: Some(op.invoke),
                                ..base.clone()
                            });
                        } else if rank <= *before {
                            a.nonmonotonic_poll.push(Case {
                                value: message.value(),
                                offsets: vec![offset.to_string()],
                                others: vec![previous.value()],
                                previous: Some(*by),
                                witness: Some(op.invoke),
                                ..base.clone()
                            });
                        }
                    }
                    last_read.insert(at, (rank, message.clone(), op.invoke));
                }
            }
            SEND => {
                let Some(offset) = op.output.and_then(send_offset) else {
                    continue;
                };
                let rank = order.rank[&offset];
                let message = Message::of(op.input);
                if let Some((before, previous, by)) = last_sent.get(&at) {
                    if rank <= *before {
                        a.nonmonotonic_send.push(Case {
                            value: message.value(),
                            offsets: vec![offset.to_string()],
                            others: vec![previous.value()],
                            previous: Some(*by),
                            witness: Some(op.invoke),
                            ..base.clone()
                        });
                    }
                }
                last_sent.insert(at, (rank, message, op.invoke));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
mod words;

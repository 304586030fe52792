//! rw-register inference. Written values are unique per key, so a read
//! names its writer (wr). Version order is known only where it can be
//! proven: the initial nil precedes every write, and a transaction that
//! read `x` and then wrote `y` to a key shows `x < y`. Each known pair
//! gives a ww edge between the writers and rw edges from the readers of
//! the earlier version to the writer of the later.

use super::anomaly::AnomalyKind;
use super::inference::{Found, Inference, KeyFacts, RW, WR, WW};
use super::txn::{Mop, Txns};
use super::txn_name;
use ahash::AHashMap as HashMap;
use faultline_core::{CheckError, Outcome};

fn show(value: Option<i64>) -> String {
    value.map_or_else(|| "nil".to_owned(), |v| v.to_string())
}

/// Infers rw-register dependencies.
pub fn infer(txns: &Txns) -> Result<Inference, CheckError> {
    let mut inference = Inference {
        keys: vec![KeyFacts::default(); txns.keys.len()],
        ..Inference::default()
    };
    let last_write = index_writes(txns, &mut inference)?;
    let reads = scan_reads(txns, &mut inference);
    for (key, by_value) in reads.readers.iter().enumerate() {
        let key = key as u32;
        read_dependencies(txns, &mut inference, &last_write, key, by_value);
        version_order(txns, &mut inference, key, by_value);
    }
    lost_updates(txns, &mut inference, reads.read_then_wrote);
    Ok(inference)
}

fn key_name(txns: &Txns, key: u32) -> &str {
    &txns.keys[key as usize]
}

/// Records each value's writer per key (refusing a value written twice:
/// then a read would not name its writer); returns each transaction's
/// last write to each key.
fn index_writes(
    txns: &Txns,
    inference: &mut Inference,
) -> Result<HashMap<(usize, u32), i64>, CheckError> {
    let mut last_write: HashMap<(usize, u32), i64> = HashMap::new();
    for (t, txn) in txns.txns.iter().enumerate() {
        for mop in &txn.mops {
            if let Mop::Write { key, value } = *mop {
                if let Some(other) = inference.keys[key as usize].writer.insert(value, t) {
                    if other != t {
                        return Err(CheckError::Operation {
                            at: txn_name(txns, t),
                            message: format!(
                                "{value} is written to key {} twice (also by {}): rw-register needs each value written once per key",
                                key_name(txns, key),
                                txn_name(txns, other)
                            ),
                        });
                    }
                }
                last_write.insert((t, key), value);
            }
        }
    }
    Ok(last_write)
}

/// What the transactions' reads show.
struct Reads {
    /// Per key, per value read, the transactions that read it externally
    /// (before their own write to the key).
    readers: Vec<HashMap<Option<i64>, Vec<usize>>>,
    /// Per key and value, the committed transactions that read it and then
    /// wrote the key.
    read_then_wrote: HashMap<(u32, Option<i64>), Vec<usize>>,
}

/// Walks every transaction that may have happened in order: external
/// reads, read-then-write version pairs, and reads that contradict the
/// transaction's own earlier operations (internal, own-write-unseen,
/// future-read).
fn scan_reads(txns: &Txns, inference: &mut Inference) -> Reads {
    let mut reads = Reads {
        readers: vec![HashMap::new(); txns.keys.len()],
        read_then_wrote: HashMap::new(),
    };
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.outcome == Outcome::Fail {
            continue;
        }
        // Per key: what the transaction knows the register holds, and
        // whether that came from its own write.
        let mut known: HashMap<u32, (Option<i64>, bool)> = HashMap::new();
        // Writes still to come: a read cannot return them yet.
        let mut future: std::collections::HashSet<(u32, i64)> = txn
            .mops
            .iter()
            .filter_map(|m| match *m {
                Mop::Write { key, value } => Some((key, value)),
                _ => None,
            })
            .collect();
        for mop in &txn.mops {
            match *mop {
                Mop::Write { key, value } => {
                    future.remove(&(key, value));
                    if let Some(&(seen, false)) = known.get(&key) {
                        // Read `seen`, then wrote: seen < value.
                        inference.keys[key as usize].precedes.push((seen, value));
                        if txn.outcome == Outcome::Ok {
                            reads
                                .read_then_wrote
                                .entry((key, seen))
                                .or_default()
                                .push(t);
                        }
                    }
                    known.insert(key, (Some(value), true));
                }
                Mop::ReadRegister {
                    key,
                    value: Some(read),
                } => {
                    if let Some(v) = read.filter(|v| future.contains(&(key, *v))) {
                        inference.found.push(Found {
                            kind: AnomalyKind::FutureRead,
                            txns: vec![t],
                            explanation: format!(
                                "{} read key {} as {v} before writing {v} itself",
                                txn_name(txns, t),
                                key_name(txns, key)
                            ),
                        });
                        continue;
                    }
                    match known.get(&key) {
                        Some(&(expected, wrote)) if expected != read => {
                            // After its own write: Adya's well-formedness;
                            // after its own read: a non-repeatable read.
                            let kind = if wrote {
                                AnomalyKind::OwnWriteUnseen
                            } else {
                                AnomalyKind::Internal
                            };
                            inference.found.push(Found {
                                kind,
                                txns: vec![t],
                                explanation: format!(
                                    "{} read key {} as {} but its own earlier operations imply {}",
                                    txn_name(txns, t),
                                    key_name(txns, key),
                                    show(read),
                                    show(expected)
                                ),
                            });
                        }
                        Some(_) => {}
                        None => {
                            reads.readers[key as usize].entry(read).or_default().push(t);
                            known.insert(key, (read, false));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    reads
}

/// Each read of `key` names its writer: a wr edge, or the anomaly when
/// nobody wrote the value (garbage), its writer aborted (G1a) or
/// overwrote it within itself (G1b).
fn read_dependencies(
    txns: &Txns,
    inference: &mut Inference,
    last_write: &HashMap<(usize, u32), i64>,
    key: u32,
    by_value: &HashMap<Option<i64>, Vec<usize>>,
) {
    let mut values: Vec<_> = by_value.iter().collect();
    values.sort();
    for (&value, reading) in values {
        let Some(value) = value else { continue };
        let facts = &inference.keys[key as usize];
        match facts.writer.get(&value).copied() {
            None => inference.found.push(Found {
                kind: AnomalyKind::GarbageRead,
                txns: vec![reading[0]],
                explanation: format!(
                    "{} read key {} as {value}, which no transaction wrote",
                    txn_name(txns, reading[0]),
                    key_name(txns, key)
                ),
            }),
            Some(w) => {
                if txns.txns[w].outcome == Outcome::Fail {
                    inference.found.push(Found {
                        kind: AnomalyKind::G1a,
                        txns: vec![w, reading[0]],
                        explanation: format!(
                            "{} read key {} as {value}, written by {}, which aborted",
                            txn_name(txns, reading[0]),
                            key_name(txns, key),
                            txn_name(txns, w)
                        ),
                    });
                }
                for &r in reading {
                    if r == w {
                        continue;
                    }
                    inference.edges.push((w as u32, r as u32, WR));
                    if last_write.get(&(w, key)) != Some(&value) {
                        inference.found.push(Found {
                            kind: AnomalyKind::G1b,
                            txns: vec![w, r],
                            explanation: format!(
                                "{} read key {} as {value}, which {} wrote but then overwrote within itself",
                                txn_name(txns, r),
                                key_name(txns, key),
                                txn_name(txns, w)
                            ),
                        });
                    }
                }
            }
        }
    }
}

/// The version order of `key` where it is proven (nil precedes every
/// write; read-then-write pairs): ww edges between the writers, rw edges
/// from the readers of the earlier version to the writer of the later.
fn version_order(
    txns: &Txns,
    inference: &mut Inference,
    key: u32,
    by_value: &HashMap<Option<i64>, Vec<usize>>,
) {
    let facts = &inference.keys[key as usize];
    let mut pairs: Vec<(Option<i64>, i64)> = facts.precedes.clone();
    let nil_readers = by_value.get(&None).map_or(0, Vec::len);
    if nil_readers > 0 {
        let mut written: Vec<i64> = facts.writer.keys().copied().collect();
        written.sort_unstable();
        pairs.extend(written.into_iter().map(|v| (None, v)));
    }
    let mut edges = Vec::new();
    for (earlier, later) in pairs {
        let Some(&w_later) = facts.writer.get(&later) else {
            continue;
        };
        if txns.txns[w_later].outcome == Outcome::Fail || earlier == Some(later) {
            continue;
        }
        if let Some(w_earlier) = earlier.and_then(|e| facts.writer.get(&e).copied()) {
            if w_earlier != w_later {
                edges.push((w_earlier as u32, w_later as u32, WW));
            }
        }
        for &r in by_value.get(&earlier).into_iter().flatten() {
            if r != w_later {
                edges.push((r as u32, w_later as u32, RW));
            }
        }
    }
    inference.edges.extend(edges);
}

/// Two committed transactions that read the same version of a key and
/// both wrote it: a lost update.
fn lost_updates(
    txns: &Txns,
    inference: &mut Inference,
    read_then_wrote: HashMap<(u32, Option<i64>), Vec<usize>>,
) {
    let mut lost: Vec<_> = read_then_wrote
        .into_iter()
        .filter(|(_, ts)| ts.len() > 1)
        .collect();
    lost.sort();
    for ((key, seen), writers) in lost {
        let names: Vec<String> = writers.iter().map(|&t| txn_name(txns, t)).collect();
        inference.found.push(Found {
            kind: AnomalyKind::LostUpdate,
            explanation: format!(
                "{} all read key {} as {} and then wrote it",
                names.join(" and "),
                key_name(txns, key),
                show(seen)
            ),
            txns: writers,
        });
    }
}

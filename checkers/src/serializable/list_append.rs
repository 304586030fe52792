//! list-append inference. Every committed read of a key shows a prefix of
//! the key's version order, so the longest read *is* that order (and any
//! read that is not a prefix of it is an incompatible order). From it:
//! consecutive appends give ww edges, a read ending in an element gives a
//! wr edge from its appender, and a read that stops before an element gives
//! an rw edge to that element's appender.

use super::anomaly::AnomalyKind;
use super::inference::{Found, Inference, KeyFacts, RW, WR, WW};
use super::txn::{Mop, Txns};
use super::{describe_from, describe_list, txn_name};
use ahash::AHashMap as HashMap;
use faultline_core::{CheckError, Outcome};

/// Infers list-append dependencies.
pub fn infer(txns: &Txns) -> Result<Inference, CheckError> {
    let mut inference = Inference {
        keys: vec![KeyFacts::default(); txns.keys.len()],
        ..Inference::default()
    };
    let last_append = index_appends(txns, &mut inference)?;
    check_internal(txns, &mut inference);
    let reads = committed_reads(txns);
    for (key, key_reads) in reads.iter().enumerate() {
        let key = key as u32;
        let Some(&(longest_txn, longest)) = key_reads.iter().max_by_key(|(_, r)| r.len()) else {
            continue;
        };
        if !reads_agree(txns, &mut inference, key, key_reads, (longest_txn, longest)) {
            inference.keys[key as usize].inconsistent = true;
            continue; // no trustworthy version order for this key
        }
        let facts = &mut inference.keys[key as usize];
        facts.order = longest.clone();
        facts.position = longest.iter().enumerate().map(|(i, v)| (*v, i)).collect();
        let writers: Vec<Option<usize>> = longest
            .iter()
            .map(|v| facts.writer.get(v).copied())
            .collect();
        unwritten_or_aborted(
            txns,
            &mut inference,
            key,
            key_reads,
            (longest_txn, longest),
            &writers,
        );
        dependencies(txns, &mut inference, &last_append, key, key_reads, &writers);
    }
    own_orders(txns, &reads, &mut inference);
    unobserved_appends(txns, &reads, &mut inference);
    lost_updates(txns, &mut inference);
    Ok(inference)
}

fn key_name(txns: &Txns, key: u32) -> &str {
    &txns.keys[key as usize]
}

/// A read of a key by a transaction: who read, what.
type KeyRead<'a> = (usize, &'a Vec<i64>);

/// Records each value's appender per key (refusing a value appended
/// twice: then a read would not name its appender); returns each
/// transaction's last append per key (an earlier one is intermediate).
fn index_appends(
    txns: &Txns,
    inference: &mut Inference,
) -> Result<HashMap<(usize, u32), i64>, CheckError> {
    let mut last_append: HashMap<(usize, u32), i64> = HashMap::new();
    for (t, txn) in txns.txns.iter().enumerate() {
        for mop in &txn.mops {
            if let Mop::Append { key, value } = *mop {
                if let Some(other) = inference.keys[key as usize].writer.insert(value, t) {
                    return Err(CheckError::Operation {
                        at: txn_name(txns, t),
                        message: format!(
                            "{value} is appended to key {} twice (also by {}): list-append needs each value appended once per key",
                            key_name(txns, key),
                            txn_name(txns, other)
                        ),
                    });
                }
                last_append.insert((t, key), value);
            }
        }
    }
    Ok(last_append)
}

/// Committed reads, per key.
fn committed_reads(txns: &Txns) -> Vec<Vec<KeyRead<'_>>> {
    let mut reads: Vec<Vec<KeyRead>> = vec![Vec::new(); txns.keys.len()];
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.outcome != Outcome::Ok {
            continue;
        }
        for mop in &txn.mops {
            if let Mop::ReadList {
                key,
                values: Some(values),
            } = mop
            {
                reads[*key as usize].push((t, values));
            }
        }
    }
    reads
}

/// Whether every read of `key` is a prefix of the longest, without
/// duplicates; each that is not is an anomaly.
fn reads_agree(
    txns: &Txns,
    inference: &mut Inference,
    key: u32,
    key_reads: &[KeyRead],
    (longest_txn, longest): KeyRead,
) -> bool {
    let mut consistent = true;
    for &(t, read) in key_reads {
        if let Some(dup) = first_duplicate(read) {
            inference.found.push(Found {
                kind: AnomalyKind::DuplicateElements,
                txns: vec![t],
                explanation: format!(
                    "{} read key {} as {}, in which {dup} appears more than once",
                    txn_name(txns, t),
                    key_name(txns, key),
                    describe_list(read)
                ),
            });
            consistent = false;
        } else if !longest.starts_with(read) {
            // Both shown from just before where they part.
            let parted = read
                .iter()
                .zip(longest.iter())
                .position(|(a, b)| a != b)
                .unwrap_or(read.len());
            let from = parted.saturating_sub(2);
            inference.found.push(Found {
                kind: AnomalyKind::IncompatibleOrder,
                txns: vec![t, longest_txn],
                explanation: format!(
                    "{} read key {} as {} but {} read it as {}: they part at element {}, and neither is a prefix of the other",
                    txn_name(txns, t),
                    key_name(txns, key),
                    describe_from(read, from),
                    txn_name(txns, longest_txn),
                    describe_from(longest, from),
                    parted + 1
                ),
            });
            consistent = false;
        }
    }
    consistent
}

/// Who wrote what was read: nobody (garbage), an aborted transaction (G1a).
fn unwritten_or_aborted(
    txns: &Txns,
    inference: &mut Inference,
    key: u32,
    key_reads: &[KeyRead],
    (longest_txn, longest): KeyRead,
    writers: &[Option<usize>],
) {
    let first_reader = |value: &i64| {
        key_reads
            .iter()
            .find(|(_, r)| r.contains(value))
            .map_or(longest_txn, |(t, _)| *t)
    };
    for (i, value) in longest.iter().enumerate() {
        match writers[i] {
            None => {
                let reader = first_reader(value);
                inference.found.push(Found {
                    kind: AnomalyKind::GarbageRead,
                    txns: vec![reader],
                    explanation: format!(
                        "{} read {value} in key {}, which no transaction appended",
                        txn_name(txns, reader),
                        key_name(txns, key)
                    ),
                });
            }
            Some(w) if txns.txns[w].outcome == Outcome::Fail => {
                let reader = first_reader(value);
                inference.found.push(Found {
                    kind: AnomalyKind::G1a,
                    txns: vec![w, reader],
                    explanation: format!(
                        "{} read {value} in key {}, appended by {}, which aborted",
                        txn_name(txns, reader),
                        key_name(txns, key),
                        txn_name(txns, w)
                    ),
                });
            }
            _ => {}
        }
    }
}

/// The edges `key`'s version order gives: ww between consecutive
/// appenders, wr from the appender of a read's last element (G1b when
/// that was not the appender's last append), rw to the appender of the
/// first element a read missed.
fn dependencies(
    txns: &Txns,
    inference: &mut Inference,
    last_append: &HashMap<(usize, u32), i64>,
    key: u32,
    key_reads: &[KeyRead],
    writers: &[Option<usize>],
) {
    for pair in writers.windows(2) {
        if let [Some(a), Some(b)] = *pair {
            if a != b {
                inference.edges.push((a as u32, b as u32, WW));
            }
        }
    }
    for &(t, read) in key_reads {
        if let (Some(last), Some(Some(w))) = (read.last(), writers.get(read.len().wrapping_sub(1)))
        {
            let w = *w;
            if w != t {
                inference.edges.push((w as u32, t as u32, WR));
                if last_append.get(&(w, key)) != Some(last) {
                    inference.found.push(Found {
                        kind: AnomalyKind::G1b,
                        txns: vec![w, t],
                        explanation: format!(
                            "{} read key {} ending in {last}, which {} appended but then appended more to within itself",
                            txn_name(txns, t),
                            key_name(txns, key),
                            txn_name(txns, w)
                        ),
                    });
                }
            }
        }
        if let Some(Some(w)) = writers.get(read.len()) {
            if *w != t {
                inference.edges.push((t as u32, *w as u32, RW));
            }
        }
    }
}

/// A transaction's appends to a key must show up in the order it made
/// them (all before any later one): its own order is an observation too.
fn own_orders(txns: &Txns, reads: &[Vec<(usize, &Vec<i64>)>], inference: &mut Inference) {
    for (t, txn) in txns.txns.iter().enumerate() {
        // Per key: its last append so far and where it was seen.
        let mut last: Vec<(u32, i64, Option<usize>)> = Vec::new();
        for mop in &txn.mops {
            let Mop::Append { key, value } = *mop else {
                continue;
            };
            let facts = &inference.keys[key as usize];
            if facts.inconsistent {
                continue;
            }
            let position = facts.position.get(&value).copied();
            let previous = match last.iter_mut().find(|(k, _, _)| *k == key) {
                Some(entry) => Some(std::mem::replace(entry, (key, value, position))),
                None => {
                    last.push((key, value, position));
                    None
                }
            };
            if let Some((_, before, before_position)) = previous {
                let out_of_order = match (before_position, position) {
                    (Some(a), Some(b)) => a > b,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if out_of_order {
                    let reader = reads[key as usize]
                        .iter()
                        .find(|(_, r)| r.contains(&value))
                        .map_or(t, |(r, _)| *r);
                    inference.found.push(Found {
                        kind: AnomalyKind::IncompatibleOrder,
                        txns: vec![t, reader],
                        explanation: format!(
                            "{} appended {before} and then {value} to key {}, but {} read it as {}",
                            txn_name(txns, t),
                            txns.keys[key as usize],
                            txn_name(txns, reader),
                            describe_list(&facts.order)
                        ),
                    });
                }
            }
        }
    }
}

/// An append of a committed transaction that no read shows comes after
/// everything any read shows (every read is a prefix of the version order,
/// and the longest would contain it otherwise). So each reader of the key
/// precedes its appender (rw), and so does the appender of the last element
/// read (ww). An unknown transaction counts as committed once any of its
/// appends was read.
fn unobserved_appends(txns: &Txns, reads: &[Vec<(usize, &Vec<i64>)>], inference: &mut Inference) {
    let observed = |inference: &Inference, key: u32, value: i64| {
        inference.keys[key as usize].position.contains_key(&value)
    };
    for (w, txn) in txns.txns.iter().enumerate() {
        let committed = match txn.outcome {
            Outcome::Ok => true,
            Outcome::Fail => false,
            Outcome::Unknown => txn.mops.iter().any(|m| match *m {
                Mop::Append { key, value } => observed(inference, key, value),
                _ => false,
            }),
        };
        if !committed {
            continue;
        }
        let mut done_keys: Vec<u32> = Vec::new();
        for mop in &txn.mops {
            let Mop::Append { key, value } = *mop else {
                continue;
            };
            let facts = &inference.keys[key as usize];
            if facts.inconsistent || observed(inference, key, value) || done_keys.contains(&key) {
                continue;
            }
            done_keys.push(key);
            let last_writer = facts
                .order
                .last()
                .and_then(|v| facts.writer.get(v))
                .copied();
            let mut edges = Vec::new();
            if let Some(last) = last_writer.filter(|&l| l != w) {
                edges.push((last as u32, w as u32, WW));
            }
            for &(reader, _) in &reads[key as usize] {
                if reader != w {
                    edges.push((reader as u32, w as u32, RW));
                }
            }
            inference.edges.extend(edges);
        }
    }
}

/// A transaction's reads must agree with its own earlier reads and appends.
fn check_internal(txns: &Txns, inference: &mut Inference) {
    // Per key: the last list read (if any) and the appends made since.
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.outcome != Outcome::Ok {
            continue;
        }
        // Transactions are short: linear scans beat hashing here.
        let mut known: Vec<Known> = Vec::new();
        for (i, mop) in txn.mops.iter().enumerate() {
            match mop {
                Mop::Append { key, value } => match known.iter_mut().find(|k| k.key == *key) {
                    Some(k) => k.since.push(*value),
                    None => known.push(Known {
                        key: *key,
                        base: None,
                        since: vec![*value],
                    }),
                },
                Mop::ReadList {
                    key,
                    values: Some(read),
                } => {
                    // Appends still to come: a read cannot show them yet.
                    let early = read.iter().find(|v| {
                        txn.mops[i + 1..]
                            .iter()
                            .any(|m| matches!(m, Mop::Append { key: k, value } if k == key && value == *v))
                    });
                    let slot = match known.iter().position(|k| k.key == *key) {
                        Some(slot) => slot,
                        None => {
                            known.push(Known {
                                key: *key,
                                base: None,
                                since: Vec::new(),
                            });
                            known.len() - 1
                        }
                    };
                    let k = &mut known[slot];
                    let (kind, expected) = internal_read(read, early, k);
                    if let Some(expected) = expected {
                        inference.found.push(Found {
                            kind,
                            txns: vec![t],
                            explanation: format!(
                                "{} read key {} as {} but its own earlier operations imply {expected}",
                                txn_name(txns, t),
                                txns.keys[*key as usize],
                                describe_list(read)
                            ),
                        });
                    }
                    k.base = Some(read);
                    k.since.clear();
                }
                _ => {}
            }
        }
    }
}

/// What a transaction knows of one key so far: its last read of it, and
/// its own appends since.
struct Known<'a> {
    key: u32,
    base: Option<&'a [i64]>,
    since: Vec<i64>,
}

/// Whether a read inside a transaction agrees with what the transaction
/// itself did to the key before: which anomaly it is, and what was expected.
/// Its own appends since its last read must end the list (else
/// own-write-unseen); with an earlier read, the list must be exactly that
/// read plus them (else a non-repeatable read, `internal`).
fn internal_read(
    read: &[i64],
    early: Option<&i64>,
    known: &Known,
) -> (AnomalyKind, Option<String>) {
    if let Some(v) = early {
        return (
            AnomalyKind::FutureRead,
            Some(format!("a list without {v}, which it appends only later")),
        );
    }
    if !read.ends_with(&known.since) {
        let expected = match known.base {
            Some(base) => {
                let mut whole = base.to_vec();
                whole.extend(&known.since);
                describe_list(&whole)
            }
            None => format!("a list ending in {}", describe_list(&known.since)),
        };
        return (AnomalyKind::OwnWriteUnseen, Some(expected));
    }
    let Some(base) = known.base else {
        return (AnomalyKind::Internal, None);
    };
    let agrees = read.len() == base.len() + known.since.len() && read.starts_with(base);
    let mut whole = base.to_vec();
    whole.extend(&known.since);
    (
        AnomalyKind::Internal,
        (!agrees).then(|| describe_list(&whole)),
    )
}

/// Committed transactions that read the same version of a key (before
/// appending to it themselves) and then both appended to it. Only keys
/// with a consistent version order (a read's length names its version).
fn lost_updates(txns: &Txns, inference: &mut Inference) {
    let mut by_version: HashMap<(u32, usize), Vec<usize>> = HashMap::new();
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.outcome != Outcome::Ok {
            continue;
        }
        // Per key: the length of the first read, then whether it appended
        // after (short transactions: a linear scan).
        let mut first_read: Vec<(u32, Option<usize>, bool)> = Vec::new();
        for mop in &txn.mops {
            let (key, read) = match mop {
                Mop::ReadList {
                    key,
                    values: Some(read),
                } => (*key, Some(read.len())),
                Mop::Append { key, .. } => (*key, None),
                _ => continue,
            };
            match first_read.iter_mut().find(|(k, _, _)| *k == key) {
                Some(entry) => entry.2 |= read.is_none(),
                None => first_read.push((key, read, read.is_none())),
            }
        }
        for (key, read, appended) in first_read {
            if let (Some(version), true) = (read, appended) {
                by_version.entry((key, version)).or_default().push(t);
            }
        }
    }
    let mut versions: Vec<_> = by_version
        .into_iter()
        .filter(|((key, _), ts)| ts.len() > 1 && !inference.keys[*key as usize].inconsistent)
        .collect();
    versions.sort();
    for ((key, version), writers) in versions {
        let names: Vec<String> = writers.iter().map(|&t| txn_name(txns, t)).collect();
        let order = &inference.keys[key as usize].order;
        inference.found.push(Found {
            kind: AnomalyKind::LostUpdate,
            explanation: format!(
                "{} all read key {} as {} and then appended to it",
                names.join(" and "),
                txns.keys[key as usize],
                describe_list(&order[..version.min(order.len())])
            ),
            txns: writers,
        });
    }
}

fn first_duplicate(read: &[i64]) -> Option<i64> {
    if read.len() <= 32 {
        return (1..read.len())
            .find(|&i| read[..i].contains(&read[i]))
            .map(|i| read[i]);
    }
    let mut seen = ahash::AHashSet::with_capacity(read.len());
    read.iter().find(|v| !seen.insert(**v)).copied()
}

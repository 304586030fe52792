//! Each step of a cycle in words a person can follow: which key, which
//! values, and what the later transaction saw or did.

use super::graph::Step;
use super::inference::{Inference, PROCESS, REALTIME, RW, WR, WW};
use super::txn::{Mop, Txns, Workload};
use super::{describe_list, txn_name};

/// Why `step.from` precedes `step.to`.
pub fn why(txns: &Txns, inference: &Inference, workload: Workload, step: Step) -> String {
    let (a, b) = (step.from as usize, step.to as usize);
    let (ta, tb) = (txn_name(txns, a), txn_name(txns, b));
    let key = |k: u32| &txns.keys[k as usize];
    let reason = match step.label {
        WW => ww(txns, inference, workload, a, b),
        WR => txns.txns[b]
            .mops
            .iter()
            .find_map(|mop| match (mop, workload) {
                (
                    Mop::ReadList {
                        key: k,
                        values: Some(read),
                    },
                    _,
                ) => {
                    let last = read.last()?;
                    (inference.keys[*k as usize].writer.get(last) == Some(&a))
                        .then(|| format!("{tb} read {ta}'s append of {last} to key {}", key(*k)))
                }
                (
                    Mop::ReadRegister {
                        key: k,
                        value: Some(Some(v)),
                    },
                    _,
                ) => (inference.keys[*k as usize].writer.get(v) == Some(&a))
                    .then(|| format!("{tb} read {ta}'s write of {v} to key {}", key(*k))),
                _ => None,
            }),
        RW => rw(txns, inference, workload, a, b),
        PROCESS => Some(format!(
            "process {} ran {ta} and then {tb}",
            txns.txns[a].process
        )),
        REALTIME => Some(format!("{ta} completed before {tb} began")),
        _ => None,
    };
    let reason = reason.unwrap_or_else(|| "they are ordered".to_owned());
    format!("{ta} < {tb} because {reason}")
}

fn ww(
    txns: &Txns,
    inference: &Inference,
    workload: Workload,
    a: usize,
    b: usize,
) -> Option<String> {
    let (ta, tb) = (txn_name(txns, a), txn_name(txns, b));
    txns.txns[a].mops.iter().find_map(|mop| {
        let (k, v) = match mop {
            Mop::Append { key, value } | Mop::Write { key, value } => (*key, *value),
            _ => return None,
        };
        let facts = &inference.keys[k as usize];
        let key = &txns.keys[k as usize];
        match workload {
            Workload::ListAppend => {
                let next = facts.order.get(facts.position.get(&v)? + 1)?;
                (facts.writer.get(next) == Some(&b))
                    .then(|| format!("{tb} appended {next} after {ta} appended {v} to key {key}"))
            }
            Workload::RwRegister => facts
                .precedes
                .iter()
                .find(|(e, l)| *e == Some(v) && facts.writer.get(l) == Some(&b))
                .map(|(_, l)| {
                    format!("{tb} wrote {l} to key {key} over {ta}'s {v}, having read it")
                }),
        }
    })
}

fn rw(
    txns: &Txns,
    inference: &Inference,
    workload: Workload,
    a: usize,
    b: usize,
) -> Option<String> {
    let (ta, tb) = (txn_name(txns, a), txn_name(txns, b));
    txns.txns[a]
        .mops
        .iter()
        .find_map(|mop| match (mop, workload) {
            (
                Mop::ReadList {
                    key: k,
                    values: Some(read),
                },
                Workload::ListAppend,
            ) => {
                let facts = &inference.keys[*k as usize];
                let next = facts.order.get(read.len())?;
                (facts.writer.get(next) == Some(&b)).then(|| {
                    format!(
                        "{ta} read key {} as {} and did not see {tb}'s append of {next}",
                        txns.keys[*k as usize],
                        describe_list(read)
                    )
                })
            }
            (
                Mop::ReadRegister {
                    key: k,
                    value: Some(seen),
                },
                Workload::RwRegister,
            ) => {
                let facts = &inference.keys[*k as usize];
                let overwritten = facts.writer.iter().find(|(v, w)| {
                    **w == b && (seen.is_none() || facts.precedes.contains(&(*seen, **v)))
                })?;
                Some(format!(
                    "{ta} read key {} as {} and {tb} wrote {} over it",
                    txns.keys[*k as usize],
                    seen.map_or_else(|| "nil".to_owned(), |v| v.to_string()),
                    overwritten.0
                ))
            }
            _ => None,
        })
}

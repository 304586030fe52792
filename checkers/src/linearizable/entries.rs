//! A history's operations read through a model and split into independent
//! partitions (one per key), ready for the search.

pub use crate::linearizable::entry::Entry;
use crate::linearizable::model::{Interner, Model};
use faultline_core::{CheckError, History, Operation, Outcome, Process};
use std::collections::BTreeMap;

/// The operations on one key, sorted by invocation.
pub struct Partition<M: Model> {
    /// The key, or `None` for operations without one.
    pub key: Option<String>,
    /// The operations.
    pub entries: Vec<Entry<M>>,
}

// By hand: a derive would demand that the model itself be Clone.

/// Everything the search needs from a history.
pub struct Prepared<'h, M: Model> {
    /// The history's operations (all of them, nemesis included).
    pub operations: Vec<Operation<'h>>,
    /// The partitions, in key order.
    pub partitions: Vec<Partition<M>>,
    /// Values numbered while decoding.
    pub values: Interner,
    /// Writes of unknown outcome the unique-value fast path dropped (never
    /// observed) and bounded (by their first observer).
    pub narrowed: (usize, usize),
}

/// Pairs, decodes and partitions `history` for `model`. Failed operations
/// and the nemesis's are left out: they did not act on the object.
pub fn prepare<'h, M: Model>(
    model: &M,
    history: &'h History,
) -> Result<Prepared<'h, M>, CheckError> {
    let operations = history.operations()?;
    let mut values = Interner::default();
    let mut by_key: BTreeMap<Option<String>, Vec<Entry<M>>> = BTreeMap::new();
    for (index, op) in operations.iter().enumerate() {
        if op.process == Process::Nemesis || op.outcome == Outcome::Fail {
            continue;
        }
        let decoded = model
            .decode(&mut values, op.f, op.input, op.output)
            .map_err(|message| {
                let at = history
                    .line_of(op.invoke)
                    .map_or_else(|| format!("event {}", op.invoke), |l| format!("line {l}"));
                CheckError::Operation { at, message }
            })?;
        let Some((input, output)) = decoded else {
            continue;
        };
        let ret = if output.is_some() { op.complete } else { None };
        by_key
            .entry(op.key.map(str::to_owned))
            .or_default()
            .push(Entry {
                call: op.invoke,
                ret,
                input,
                output,
                op: index,
                observed: false,
            });
    }
    let mut narrowed = (0, 0);
    let partitions = by_key
        .into_iter()
        .map(|(key, mut entries)| {
            let (dropped, bounded) = narrow(model, &mut entries);
            narrowed = (narrowed.0 + dropped, narrowed.1 + bounded);
            Partition { key, entries }
        })
        .collect();
    Ok(Prepared {
        operations,
        partitions,
        values,
        narrowed,
    })
}

/// The unique-value fast paths (texts for the key-value model, values for
/// registers) on one key's entries: how many writes of unknown outcome
/// were dropped and bounded.
pub(crate) fn narrow<M: Model>(model: &M, entries: &mut Vec<Entry<M>>) -> (usize, usize) {
    let (dropped, bounded) = super::unique_values::narrow(model, entries);
    let (dropped_sets, bounded_sets) = super::unique_registers::narrow(model, entries);
    (dropped + dropped_sets, bounded + bounded_sets)
}

/// What a fast path concluded, applied: each write in `bound` linearized
/// by the position it maps to, those in `unobserved` dropped; how many of
/// each.
pub(crate) fn bound_and_drop<M: Model>(
    entries: &mut Vec<Entry<M>>,
    bound: &std::collections::HashMap<usize, usize>,
    unobserved: &std::collections::HashSet<usize>,
) -> (usize, usize) {
    for (&i, &ret) in bound {
        entries[i].ret = Some(ret);
    }
    if !unobserved.is_empty() {
        let mut index = 0;
        entries.retain(|_| {
            index += 1;
            !unobserved.contains(&(index - 1))
        });
    }
    (unobserved.len(), bound.len())
}

impl<M: Model> Partition<M> {
    /// The same partition cut at history position `end`: operations invoked
    /// later are dropped, and those completing later become unknown. If the
    /// cut fails, so does the whole (it only loosens what remains).
    pub fn prefix(&self, end: usize) -> Partition<M> {
        let entries = self
            .entries
            .iter()
            .filter(|e| e.call < end)
            .map(|e| match e.ret {
                // A cut may drop the reads that observed a write.
                Some(r) if r >= end => Entry {
                    ret: None,
                    output: None,
                    observed: false,
                    ..e.clone()
                },
                _ => Entry {
                    observed: false,
                    ..e.clone()
                },
            })
            .collect();
        Partition {
            key: self.key.clone(),
            entries,
        }
    }
}

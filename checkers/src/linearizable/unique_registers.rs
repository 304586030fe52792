//! The unique-value fast path for registers (read, write, compare-and-set).
//! When every value set on a key (a write's, a cas's new one) is distinct
//! and none is the initial nil, the value a read returns, or a cas expects,
//! names the one operation that set it. So, as for the key-value model
//! ([`super::unique_values`]):
//!
//! - A set of unknown outcome (a timed-out write or cas) whose value no
//!   completed read returned and no cas (of any outcome) expects is
//!   dropped. Had it taken effect, until the next effect no read could be
//!   placed (it would return that value), no completed cas either (it would
//!   expect it), and a cas of unknown outcome may always be taken as not
//!   having happened: a linearization without it exists with the same
//!   reads.
//! - A set of unknown outcome whose value a completed read returned, or a
//!   completed cas expected, took effect before the first such operation
//!   returned: it is linearized by then.
//!
//! A failed cas is not in the history the search sees (it did not happen),
//! so "the value was not v" is never an observation here. Where values
//! repeat, nothing changes. Porcupine and Knossos have no such step; the
//! brute-force differential tests check it against every order.

use super::entry::Entry;
use super::model::Model;
use std::collections::{HashMap, HashSet};

/// Applies the fast path to one key's entries; returns how many sets of
/// unknown outcome it dropped and bounded.
pub fn narrow<M: Model>(model: &M, entries: &mut Vec<Entry<M>>) -> (usize, usize) {
    let init = model.init();
    // value → the entry that sets it
    let mut setters: HashMap<&M::State, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Some(value) = model.sets_value(&entry.input) {
            if *value == init || setters.insert(value, i).is_some() {
                return (0, 0); // values repeat: which set a read saw is not known
            }
        }
    }
    if !entries
        .iter()
        .any(|e| e.ret.is_none() && model.sets_value(&e.input).is_some())
    {
        return (0, 0);
    }
    let mut expected: HashSet<usize> = HashSet::new();
    let mut bound: HashMap<usize, usize> = HashMap::new();
    for entry in entries.iter() {
        let Some(value) = model.requires_state(&entry.input, entry.output.as_ref()) else {
            continue;
        };
        let Some(&setter) = setters.get(value) else {
            continue;
        };
        expected.insert(setter);
        match entry.ret {
            // A set invoked after its observer returned: the search refutes it.
            Some(ret) if entries[setter].ret.is_none() && entries[setter].call < ret => {
                let at = bound.entry(setter).or_insert(ret);
                *at = (*at).min(ret);
            }
            _ => {}
        }
    }
    let unobserved: HashSet<usize> = setters
        .values()
        .copied()
        .filter(|&i| entries[i].ret.is_none() && !expected.contains(&i))
        .collect();
    super::entries::bound_and_drop(entries, &bound, &unobserved)
}

//! The unique-value fast path. When every value written to a key is
//! distinct (as in faultline's own workloads and Jepsen's), a read shows
//! which writes it observed, and the writes whose outcome is unknown (a
//! timed-out put or append: it took effect at some later moment, or never)
//! stop being the search's worst case:
//!
//! - A write of unknown outcome whose text no completed read contains was
//!   never observed. Had it taken effect, every read before the next put
//!   would contain its text; so no read falls between it and the next put,
//!   and a linearization without it (allowed: its outcome is unknown)
//!   shows the reads the same states. It is dropped.
//! - A write of unknown outcome that a completed read observed took effect
//!   before that read returned: it must be linearized, and by the earliest
//!   such return. Observed means the read's text has exactly one
//!   decomposition into the key's written texts (at most one put, first,
//!   then appends, each text once), and this write's text is in it. A read
//!   with no decomposition or several teaches nothing and is left to the
//!   search, as is a read that returned before the write was invoked.
//!
//! Both only remove linearizations that cannot exist, so the verdict is the
//! search's without them (the brute-force differential tests check this
//! on histories with overlapping texts such as `a`, `b`, `ab`). Where
//! values repeat on a key, or the model has no texts, nothing changes.
//! Porcupine and Knossos have no such step; the idea of pinning a
//! write's effect by the reads that observed it is Elle's for list-append.

use super::entry::Entry;
use super::model::Model;
use std::collections::{HashMap, HashSet};

/// Applies the fast path to one key's entries; returns how many writes of
/// unknown outcome it dropped and bounded.
pub fn narrow<M: Model>(model: &M, entries: &mut Vec<Entry<M>>) -> (usize, usize) {
    // text → (entry, replaces the state)
    let mut texts: HashMap<&str, (usize, bool)> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Some((text, replaces)) = model.written_text(&entry.input) {
            if text.is_empty() || texts.insert(text, (i, replaces)).is_some() {
                return (0, 0); // values repeat: which write a read saw is not known
            }
        }
    }
    if texts.is_empty() {
        return (0, 0);
    }
    let reads: Vec<(usize, &str)> = entries
        .iter()
        .filter_map(|e| {
            let text = model.read_text(&e.input, e.output.as_ref()?)?;
            Some((e.ret?, text))
        })
        .collect();
    let mut lengths: Vec<usize> = texts.keys().map(|t| t.len()).collect();
    lengths.sort_unstable();
    lengths.dedup();
    // Each unknown write's earliest observing return.
    let mut bound: HashMap<usize, usize> = HashMap::new();
    let mut seen: Vec<usize> = Vec::new();
    for &(ret, text) in &reads {
        let Some(observed) = only_decomposition(text, &texts, &lengths) else {
            continue;
        };
        for i in observed {
            seen.push(i);
            if entries[i].ret.is_none() && entries[i].call < ret {
                let at = bound.entry(i).or_insert(ret);
                *at = (*at).min(ret);
            }
        }
    }
    let unobserved: HashSet<usize> = texts
        .iter()
        .filter(|(text, (i, _))| {
            entries[*i].ret.is_none()
                && !bound.contains_key(i)
                && !reads.iter().any(|(_, read)| read.contains(*text))
        })
        .map(|(_, (i, _))| *i)
        .collect();
    for i in seen {
        entries[i].observed = true;
    }
    super::entries::bound_and_drop(entries, &bound, &unobserved)
}

/// The writes (entry numbers) whose texts make up `read`, when exactly one
/// decomposition exists: an optional put's text first, then appends' texts,
/// no text twice.
fn only_decomposition(
    read: &str,
    texts: &HashMap<&str, (usize, bool)>,
    lengths: &[usize],
) -> Option<Vec<usize>> {
    let n = read.len();
    // ways[i]: decompositions of read[i..] into appends (0, 1, or 2 = many);
    // next[i]: the append text that starts the only one.
    let mut ways = vec![0u8; n + 1];
    let mut next: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    ways[n] = 1;
    for i in (0..n).rev() {
        for &len in lengths {
            let Some(piece) = read.get(i..i + len) else {
                continue;
            };
            match texts.get(piece) {
                Some(&(entry, false)) if ways[i + len] > 0 => {
                    ways[i] = (ways[i] + ways[i + len]).min(2);
                    next[i] = Some((entry, len));
                }
                _ => {}
            }
        }
    }
    // The state starts with a put's text, or with appends to the initial "".
    let mut starts: Vec<(Option<usize>, usize)> = Vec::new();
    let mut total = u32::from(ways[0]);
    if ways[0] > 0 {
        starts.push((None, 0));
    }
    for &len in lengths {
        if let Some(&(entry, true)) = read.get(..len).and_then(|p| texts.get(p)) {
            if ways[len] > 0 {
                total += u32::from(ways[len]);
                starts.push((Some(entry), len));
            }
        }
    }
    if total != 1 {
        return None;
    }
    let (put, mut at) = starts[0];
    let mut observed: Vec<usize> = put.into_iter().collect();
    while at < n {
        let (entry, len) = next[at]?;
        observed.push(entry);
        at += len;
    }
    let distinct: HashSet<&usize> = observed.iter().collect();
    // A text twice cannot be a state (each write happens once): no lesson.
    (distinct.len() == observed.len()).then_some(observed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(puts: &[&'a str], appends: &[&'a str]) -> HashMap<&'a str, (usize, bool)> {
        let mut map = HashMap::new();
        for (i, t) in puts.iter().enumerate() {
            map.insert(*t, (i, true));
        }
        for (i, t) in appends.iter().enumerate() {
            map.insert(*t, (100 + i, false));
        }
        map
    }

    fn decompose(read: &str, map: &HashMap<&str, (usize, bool)>) -> Option<Vec<usize>> {
        let mut lengths: Vec<usize> = map.keys().map(|t| t.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        only_decomposition(read, map, &lengths)
    }

    #[test]
    fn a_read_teaches_only_when_it_decomposes_one_way() {
        let map = texts(&["p"], &["x1y", "x2y", "a", "b", "ab"]);
        assert_eq!(decompose("px1yx2y", &map), Some(vec![0, 100, 101]));
        assert_eq!(decompose("x2y", &map), Some(vec![101]));
        assert_eq!(decompose("", &map), Some(vec![]));
        assert_eq!(decompose("ab", &map), None, "a+b or ab: ambiguous");
        assert_eq!(decompose("x3y", &map), None, "not made of written texts");
        assert_eq!(decompose("x1yx1y", &map), None, "a text twice");
        assert_eq!(decompose("x1yp", &map), None, "a put only first");
    }
}

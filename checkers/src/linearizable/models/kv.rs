//! One key of a key-value map: get, put and append on strings.
//!
//! Histories are partitioned per key before checking (P-compositionality),
//! so the state is the value of a single key.

use crate::linearizable::model::{Interner, Model};
use ahash::AHashMap;
use faultline_core::Value;
use hashbrown::HashTable;
use std::sync::Arc;

/// A string-valued key: `get` returns it (`""` when absent), `put` sets it,
/// `append` adds to its end.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

/// A value's number in a search's [`KvTable`]; equal strings, equal numbers.
pub type TextId = u32;

/// Base of the polynomial hash: h(s) = Σ (s[i]+1)·B^(n-1-i), wrapping at
/// 2^64, so that h(a+b) = h(a)·B^|b| + h(b) is computed without reading a.
/// Collisions cost time only: equal hashes are confirmed byte for byte.
const BASE: u64 = 0x100_0000_01b3;

/// A string from the history with its hash and B^length, computed once.
#[derive(Clone, Debug)]
pub struct Text {
    text: Arc<str>,
    hash: u64,
    power: u64,
}

impl Text {
    fn new(text: &str) -> Text {
        let (hash, power) = text.bytes().fold((0u64, 1u64), |(h, p), b| {
            (
                h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1),
                p.wrapping_mul(BASE),
            )
        });
        Text {
            text: Arc::from(text),
            hash,
            power,
        }
    }

    /// Identifies the operation this text came from: every step applying
    /// the operation shares the same allocation.
    fn address(&self) -> usize {
        Arc::as_ptr(&self.text) as *const u8 as usize
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.text == other.text
    }
}
impl Eq for Text {}
impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// One value met during a search: an earlier value with a text appended
/// (or, without a parent, a text on its own). Strings are never built while
/// searching; they are compared only when hash and length agree.
#[derive(Clone, Debug)]
struct Node {
    parent: Option<TextId>,
    text: Arc<str>,
    len: usize,
    hash: u64,
    /// Some read's result starts with this value (always, without reads).
    readable: bool,
}

/// The values one search has met, each stored once, and the steps already
/// taken from each, so that a step is usually one map lookup.
#[derive(Clone, Debug)]
pub struct KvTable {
    nodes: Vec<Node>,
    by_hash: HashTable<TextId>,
    /// (state, operation's text address) → next state, or for a get
    /// whether it fits (`FITS` / `DOES_NOT_FIT`).
    memo: AHashMap<(TextId, usize), TextId>,
    /// Every completed read's result, sorted, when the search sees the
    /// whole history: a value none of them starts with becomes
    /// [`UNREADABLE`].
    reads: Option<Arc<[Arc<str>]>>,
}

/// Writes do not depend on the state: their steps are memoised from here.
const ANY_STATE: TextId = TextId::MAX;
const FITS: TextId = 1;
const DOES_NOT_FIT: TextId = 0;
/// Every value that no read's result starts with, as one state. Appends
/// only extend a value, so no read can ever return it and an append keeps
/// it so; a put replaces it like any other. Merging them keeps the search
/// from trying every order of writes that a later put erased unseen (the
/// blow-up of one hot key with many writers).
const UNREADABLE: TextId = TextId::MAX - 1;

impl Default for KvTable {
    fn default() -> KvTable {
        let mut table = KvTable {
            nodes: Vec::new(),
            by_hash: HashTable::new(),
            memo: AHashMap::new(),
            reads: None,
        };
        table.intern(None, &Text::new("")); // the initial state is number 0
        table
    }
}

impl KvTable {
    /// A table for a search that meets exactly the reads `reads` returned.
    fn with_reads(reads: &[&Text]) -> KvTable {
        let mut sorted: Vec<Arc<str>> = reads.iter().map(|t| t.text.clone()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        KvTable {
            reads: Some(sorted.into()),
            ..KvTable::default()
        }
    }

    /// Whether some read's result starts with `value`.
    fn readable(&self, value: &str) -> bool {
        let Some(reads) = &self.reads else {
            return true;
        };
        // The first result not below `value` starts with it, if any does.
        let at = reads.partition_point(|r| &**r < value);
        reads.get(at).is_some_and(|r| r.starts_with(value))
    }

    /// The full string numbered `id`, built by walking its ancestors.
    fn string(&self, id: TextId) -> String {
        let mut parts = Vec::new();
        let mut at = Some(id);
        while let Some(i) = at {
            parts.push(&*self.nodes[i as usize].text);
            at = self.nodes[i as usize].parent;
        }
        parts.iter().rev().copied().collect()
    }

    /// The number of `parent`'s value with `text` appended (or of `text`
    /// alone without a parent), adding it if it is new.
    fn intern(&mut self, parent: Option<TextId>, text: &Text) -> TextId {
        let (len, hash) = match parent {
            Some(p) => {
                let p = &self.nodes[p as usize];
                (
                    p.len + text.text.len(),
                    p.hash.wrapping_mul(text.power).wrapping_add(text.hash),
                )
            }
            None => (text.text.len(), text.hash),
        };
        let nodes = &self.nodes;
        let candidates: Vec<TextId> = self.by_hash.find_all(hash, |&c| {
            nodes[c as usize].len == len && nodes[c as usize].hash == hash
        });
        if !candidates.is_empty() {
            let wanted = parent.map_or_else(String::new, |p| self.string(p)) + &text.text;
            if let Some(same) = candidates.into_iter().find(|&c| self.string(c) == wanted) {
                return same;
            }
        }
        let id = self.nodes.len() as TextId;
        let readable = self.reads.is_none()
            || self.readable(&(parent.map_or_else(String::new, |p| self.string(p)) + &text.text));
        self.nodes.push(Node {
            parent,
            text: text.text.clone(),
            len,
            hash,
            readable,
        });
        let nodes = &self.nodes;
        self.by_hash
            .insert_unique(hash, id, |&i| nodes[i as usize].hash);
        id
    }

    /// Where `from` goes by `text`: appended to it, or (from `ANY_STATE`)
    /// replacing it.
    fn follow(&mut self, from: TextId, text: &Text) -> TextId {
        if from == UNREADABLE {
            return UNREADABLE;
        }
        let key = (from, text.address());
        if let Some(&to) = self.memo.get(&key) {
            return to;
        }
        let interned = self.intern((from != ANY_STATE).then_some(from), text);
        let to = if self.nodes[interned as usize].readable {
            interned
        } else {
            UNREADABLE
        };
        self.memo.insert(key, to);
        to
    }

    /// Whether the value numbered `id` is a prefix of `text`.
    fn is_prefix_of(&mut self, id: TextId, text: &Text) -> bool {
        // Memoised apart from `holds`: the keys differ by a bit of the address.
        if id == UNREADABLE {
            return false;
        }
        let key = (id, text.address() | 1 << 63);
        if let Some(&fits) = self.memo.get(&key) {
            return fits == FITS;
        }
        let node = &self.nodes[id as usize];
        let fits = node.len <= text.text.len() && text.text.starts_with(&self.string(id));
        self.memo
            .insert(key, if fits { FITS } else { DOES_NOT_FIT });
        fits
    }

    /// Whether the value numbered `id` is `text`.
    fn holds(&mut self, id: TextId, text: &Text) -> bool {
        if id == UNREADABLE {
            return false;
        }
        let key = (id, text.address());
        if let Some(&fits) = self.memo.get(&key) {
            return fits == FITS;
        }
        let node = &self.nodes[id as usize];
        let fits =
            node.len == text.text.len() && node.hash == text.hash && self.string(id) == *text.text;
        self.memo
            .insert(key, if fits { FITS } else { DOES_NOT_FIT });
        fits
    }
}

trait FindAll {
    fn find_all(&self, hash: u64, eq: impl Fn(&TextId) -> bool) -> Vec<TextId>;
}

impl FindAll for HashTable<TextId> {
    /// Every entry under `hash` that `eq` accepts (distinct strings may share a hash).
    fn find_all(&self, hash: u64, eq: impl Fn(&TextId) -> bool) -> Vec<TextId> {
        self.iter_hash(hash).copied().filter(|c| eq(c)).collect()
    }
}

/// A key-value operation's argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    /// Read the value.
    Get,
    /// Replace the value.
    Put(Text),
    /// Add to the end of the value.
    Append(Text),
}

/// A key-value operation's result: what a get returned, or done.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput {
    /// The value a get returned.
    Got(Text),
    /// A put or append.
    Done,
}

fn text(v: &Value) -> Result<Text, String> {
    match v {
        Value::String(s) => Ok(Text::new(s)),
        Value::Null => Ok(Text::new("")),
        other => Err(format!("kv values are strings, not {other}")),
    }
}

/// Values longer than this are shown by their end (appends go there).
const SHOWN_CHARS: usize = 40;

/// `text` quoted for people; a long one elided to its last characters
/// with its length (`"…x 99 988 y" (612 chars)`), so that an explanation
/// stays a few lines however long the values grow.
fn shown(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= SHOWN_CHARS {
        return format!("{text:?}");
    }
    let tail: String = text.chars().skip(chars - SHOWN_CHARS).collect();
    format!("\"…{}\" ({chars} chars)", tail.escape_debug())
}

fn unknown_note(output: Option<&KvOutput>) -> &'static str {
    if output.is_none() {
        " (unknown outcome)"
    } else {
        ""
    }
}

impl Model for KvModel {
    type State = TextId;
    type Input = KvInput;
    type Output = KvOutput;
    type Context = KvTable;

    fn name(&self) -> &'static str {
        "kv"
    }

    fn init(&self) -> TextId {
        0
    }

    fn step(
        &self,
        table: &mut KvTable,
        state: &TextId,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> Option<TextId> {
        match (input, output) {
            (KvInput::Get, Some(KvOutput::Got(v))) => table.holds(*state, v).then_some(*state),
            (KvInput::Get, _) => Some(*state),
            (KvInput::Put(v), _) => Some(table.follow(ANY_STATE, v)),
            (KvInput::Append(v), _) => Some(table.follow(*state, v)),
        }
    }

    fn is_read_only(&self, input: &KvInput) -> bool {
        *input == KvInput::Get
    }

    fn is_overwrite(&self, input: &KvInput) -> bool {
        matches!(input, KvInput::Put(_))
    }

    fn could_fit_later(
        &self,
        table: &mut KvTable,
        state: &TextId,
        _input: &KvInput,
        output: &KvOutput,
    ) -> bool {
        match output {
            KvOutput::Got(v) => table.is_prefix_of(*state, v),
            KvOutput::Done => true,
        }
    }

    fn decode(
        &self,
        _values: &mut Interner,
        f: &str,
        input: &Value,
        output: Option<&Value>,
    ) -> Result<Option<(KvInput, Option<KvOutput>)>, String> {
        let done = output.map(|_| KvOutput::Done);
        match f {
            "get" | "read" => output
                .map(|v| Ok((KvInput::Get, Some(KvOutput::Got(text(v)?)))))
                .transpose(),
            "put" | "write" => Ok(Some((KvInput::Put(text(input)?), done))),
            "append" => Ok(Some((KvInput::Append(text(input)?), done))),
            other => Err(format!(
                "the kv model knows get, put and append, not `{other}`"
            )),
        }
    }

    fn describe_op(
        &self,
        _values: &Interner,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> String {
        match (input, output) {
            (KvInput::Get, Some(KvOutput::Got(v))) => format!("get → {}", shown(&v.text)),
            (KvInput::Get, _) => "get".to_owned(),
            (KvInput::Put(v), o) => format!("put {}{}", shown(&v.text), unknown_note(o)),
            (KvInput::Append(v), o) => format!("append {}{}", shown(&v.text), unknown_note(o)),
        }
    }

    fn describe_state(&self, table: &KvTable, _values: &Interner, state: &TextId) -> String {
        if *state == UNREADABLE {
            return "(a value no read returned)".to_owned();
        }
        shown(&table.string(*state))
    }

    fn is_readable(&self, _table: &KvTable, state: &TextId) -> bool {
        *state != UNREADABLE
    }

    fn context_for_reads(&self, outputs: &[&KvOutput]) -> KvTable {
        let reads: Vec<&Text> = outputs
            .iter()
            .filter_map(|o| match o {
                KvOutput::Got(v) => Some(v),
                KvOutput::Done => None,
            })
            .collect();
        KvTable::with_reads(&reads)
    }

    fn written_text<'a>(&self, input: &'a KvInput) -> Option<(&'a str, bool)> {
        match input {
            KvInput::Put(v) => Some((&v.text, true)),
            KvInput::Append(v) => Some((&v.text, false)),
            KvInput::Get => None,
        }
    }

    fn read_text<'a>(&self, input: &'a KvInput, output: &'a KvOutput) -> Option<&'a str> {
        match (input, output) {
            (KvInput::Get, KvOutput::Got(v)) => Some(&v.text),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn append_extends_and_get_compares_the_whole_value() {
        let m = KvModel;
        let mut values = Interner::default();
        let (append, done) = m
            .decode(
                &mut values,
                "append",
                &json!("x 1 y"),
                Some(&json!("x 1 y")),
            )
            .unwrap()
            .unwrap();
        let mut table = KvTable::default();
        let s = m
            .step(&mut table, &m.init(), &append, done.as_ref())
            .unwrap();
        let s = m.step(&mut table, &s, &append, None).unwrap();
        let (get, got) = m
            .decode(&mut values, "get", &json!(null), Some(&json!("x 1 yx 1 y")))
            .unwrap()
            .unwrap();
        assert!(m.step(&mut table, &s, &get, got.as_ref()).is_some());
        assert!(m.step(&mut table, &m.init(), &get, got.as_ref()).is_none());
        assert_eq!(m.describe_state(&table, &values, &s), "\"x 1 yx 1 y\"");
        // The same text reached another way is the same state.
        let (put, _) = m
            .decode(&mut values, "put", &json!("x 1 yx 1 y"), Some(&json!("x")))
            .unwrap()
            .unwrap();
        assert_eq!(m.step(&mut table, &m.init(), &put, done.as_ref()), Some(s));
    }

    #[test]
    fn long_values_are_shown_by_their_end() {
        assert_eq!(shown("x 1 y"), "\"x 1 y\"");
        let long = "x 1 y".repeat(20) + "x 999 999 y";
        assert_eq!(
            shown(&long),
            "\"… 1 yx 1 yx 1 yx 1 yx 1 yx 1 yx 999 999 y\" (111 chars)"
        );
        assert_eq!(shown(&"é".repeat(50)).chars().count(), 40 + 14);
    }

    #[test]
    fn values_no_read_starts_with_are_one_state() {
        let m = KvModel;
        let got = |s: &str| KvOutput::Got(Text::new(s));
        let (ab, a_out) = (got("ab"), got("a"));
        let mut table = m.context_for_reads(&[&ab, &a_out]);
        let put = |s: &str| KvInput::Put(Text::new(s));
        let append = |s: &str| KvInput::Append(Text::new(s));
        let step = |t: &mut KvTable, s: TextId, i: &KvInput| m.step(t, &s, i, None).unwrap();
        let a = step(&mut table, 0, &put("a"));
        assert_ne!(a, UNREADABLE, "\"a\" is read");
        let ab_state = step(&mut table, a, &append("b"));
        assert_ne!(ab_state, UNREADABLE, "\"ab\" is read");
        // "ac" and "ad" are never read: one state, whatever is appended.
        let ac = step(&mut table, a, &append("c"));
        let ad = step(&mut table, a, &append("d"));
        assert_eq!((ac, ad), (UNREADABLE, UNREADABLE));
        assert_eq!(step(&mut table, ac, &append("b")), UNREADABLE);
        assert!(m.step(&mut table, &ac, &KvInput::Get, Some(&ab)).is_none());
        assert!(!m.could_fit_later(&mut table, &ac, &KvInput::Get, &ab));
        // A put replaces it like any value.
        assert_eq!(step(&mut table, ac, &put("a")), a);
        assert_eq!(
            m.describe_state(&table, &Interner::default(), &ac),
            "(a value no read returned)"
        );
        // Without the history's reads (a search of part of it), no merge.
        let mut plain = KvTable::default();
        let a = step(&mut plain, 0, &put("a"));
        assert_ne!(step(&mut plain, a, &append("c")), UNREADABLE);
    }

    #[test]
    fn writes_a_put_erased_unseen_are_searched_in_one_order_not_all() {
        use crate::linearizable::search::Search;
        use faultline_core::{History, Op, OpType, Process};
        // Ten appends at once, completed, never read; then a put, and a
        // read of a value nobody wrote. To refute it, without the merge the
        // search would try every order of every subset of the appends
        // (about ten million states); with it, each subset once.
        let mut events = Vec::new();
        let client = |p: u64, t: OpType, f: &str, v: Value| {
            let mut op = Op::new(Process::Client(p), t, f, v);
            op.key = Some("k".to_owned());
            op
        };
        for p in 0..10 {
            events.push(client(p, OpType::Invoke, "append", json!(format!("<{p}>"))));
        }
        for p in 0..10 {
            events.push(client(p, OpType::Ok, "append", json!(format!("<{p}>"))));
        }
        events.push(client(10, OpType::Invoke, "put", json!("p")));
        events.push(client(10, OpType::Ok, "put", json!("p")));
        events.push(client(11, OpType::Invoke, "get", json!(null)));
        events.push(client(11, OpType::Ok, "get", json!("q")));
        let history = History::from_events(events);
        let prepared = crate::linearizable::prepare(&KvModel, &history).unwrap();
        let entries = &prepared.partitions[0].entries;
        let mut search = Search::of_history(&KvModel, entries, KvModel.init());
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let outcome = search.run(
            &KvModel,
            &crate::linearizable::limits::Limits::new(&cancel),
            u64::MAX,
            None,
            None,
        );
        assert!(matches!(
            outcome,
            Some(crate::linearizable::search::SearchOutcome::Illegal { .. })
        ));
        assert!(search.cached() < 5_000, "{} states cached", search.cached());
    }

    #[test]
    fn distinct_strings_with_equal_hashes_stay_distinct() {
        // Force a collision: two strings stored under the same hash must
        // still compare by content.
        let mut table = KvTable::default();
        let a = table.intern(None, &Text::new("ab"));
        let fake = Text {
            text: Arc::from("ba"),
            ..Text::new("ab")
        };
        let b = table.intern(None, &fake);
        assert_ne!(a, b);
        assert!(table.holds(a, &Text::new("ab")));
        assert!(!table.holds(b, &Text::new("ab")));
    }
}

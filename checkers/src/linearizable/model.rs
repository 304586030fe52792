//! What a linearizability model is: a small set of functions over states.

use faultline_core::Value;
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification, in the manner of Porcupine: an initial state
/// and a step function, plus how to read operations and describe them.
///
/// The contract the search relies on: with an unknown output (`None`),
/// `step` always succeeds. An operation of unknown outcome that could not
/// take effect at some point simply did not happen there.
pub trait Model: Sync {
    /// The object's state. Equal states must behave the same from then on.
    type State: Clone + Eq + Hash + Send;
    /// An operation's argument, as the model understands it.
    type Input: Clone + Eq + Hash + Send + Sync + Debug;
    /// An operation's result, as the model understands it.
    type Output: Clone + Eq + Hash + Send + Sync + Debug;
    /// What one search may remember between steps, so that states can stay
    /// small (the key-value model interns its strings here). `()` for most.
    type Context: Clone + Default + Send;

    /// The model's name on the command line (`cas-register`, `kv`...).
    fn name(&self) -> &'static str;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies one operation; `None` when it cannot happen in `state` with
    /// this output. `output` is `None` when the outcome is unknown.
    fn step(
        &self,
        context: &mut Self::Context,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// True for operations that never change the state (reads). The search
    /// linearizes such an operation as soon as its result fits, without
    /// trying alternatives: placing it earlier changes nothing else.
    fn is_read_only(&self, _input: &Self::Input) -> bool {
        false
    }

    /// True for operations whose effect does not depend on the state
    /// (a `write`, a `put`). Only with [`Model::could_fit_later`].
    fn is_overwrite(&self, _input: &Self::Input) -> bool {
        false
    }

    /// Whether a read that does not fit `state` could fit after some
    /// sequence of operations none of which is an overwrite. The search
    /// refutes a configuration when a pending read cannot: `true` (the
    /// default) never prunes. The key-value model answers whether the
    /// current value is a prefix of what the read returned (appends only
    /// extend it); the set model whether the elements are a subset.
    fn could_fit_later(
        &self,
        _context: &mut Self::Context,
        _state: &Self::State,
        _input: &Self::Input,
        _output: &Self::Output,
    ) -> bool {
        true
    }

    /// Reads an operation that took effect (`output` is `Some`) or whose
    /// outcome is unknown (`output` is `None`). Returns `Ok(None)` for an
    /// operation that constrains nothing (a read of unknown result), and an
    /// error naming what would fit when the operation is not one of this model's.
    #[allow(clippy::type_complexity)]
    fn decode(
        &self,
        values: &mut Interner,
        f: &str,
        input: &Value,
        output: Option<&Value>,
    ) -> Result<Option<(Self::Input, Option<Self::Output>)>, String>;

    /// A short description of an operation for people (`cas 1→2`).
    fn describe_op(
        &self,
        values: &Interner,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> String;

    /// A short description of a state for people (made in `context`).
    fn describe_state(
        &self,
        context: &Self::Context,
        values: &Interner,
        state: &Self::State,
    ) -> String;

    /// The context for a search of a whole history whose completed reads
    /// returned `outputs` (every read the search will meet). A model may
    /// use them to merge states no read can tell apart: the key-value model
    /// makes every value that no read's result starts with one state,
    /// since appends only extend it, no read can ever return it, and a put
    /// replaces it alike. Only for searches that see all of these reads;
    /// the default ignores them.
    fn context_for_reads(&self, _outputs: &[&Self::Output]) -> Self::Context {
        Self::Context::default()
    }

    /// Whether a read could still return `state` (made in a context from
    /// [`Model::context_for_reads`]). A write that a read observed must
    /// leave such a state. Default: always.
    fn is_readable(&self, _context: &Self::Context, _state: &Self::State) -> bool {
        true
    }

    /// For the unique-value fast path ([`super::unique_values`]): the text
    /// an operation writes, and whether it replaces the state (a put) or
    /// extends it (an append). Default: none, and no fast path.
    fn written_text<'a>(&self, _input: &'a Self::Input) -> Option<(&'a str, bool)> {
        None
    }

    /// For the fast path: the whole state a completed read returned.
    fn read_text<'a>(&self, _input: &'a Self::Input, _output: &'a Self::Output) -> Option<&'a str> {
        None
    }

    /// For the register fast path ([`super::unique_registers`]): the state
    /// an operation sets when it takes effect (a write's value, a cas's new
    /// one). Default: none, and no fast path.
    fn sets_value<'a>(&self, _input: &'a Self::Input) -> Option<&'a Self::State> {
        None
    }

    /// For the register fast path: the state an operation requires when it
    /// takes effect (a completed read's result, a cas's old value).
    fn requires_state<'a>(
        &self,
        _input: &'a Self::Input,
        _output: Option<&'a Self::Output>,
    ) -> Option<&'a Self::State> {
        None
    }
}

/// Gives each distinct value a small number, so that states compare and hash
/// as integers however large the values are.
#[derive(Debug, Default)]
pub struct Interner {
    ids: ahash::AHashMap<String, u32>,
    values: Vec<Value>,
}

/// A value's number in an [`Interner`].
pub type ValueId = u32;

impl Interner {
    /// The number of `value`, assigning the next one if it is new.
    pub fn intern(&mut self, value: &Value) -> ValueId {
        let key = value.to_string();
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.values.len() as ValueId;
        self.ids.insert(key, id);
        self.values.push(value.clone());
        id
    }

    /// The value numbered `id`.
    pub fn value(&self, id: ValueId) -> &Value {
        &self.values[id as usize]
    }

    /// The value numbered `id`, as text for descriptions.
    pub fn show(&self, id: ValueId) -> String {
        match self.value(id) {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The values `ids`, shown and joined by spaces (a collection's state).
    pub fn show_all<'a>(&self, ids: impl IntoIterator<Item = &'a ValueId>) -> String {
        let items: Vec<String> = ids.into_iter().map(|&v| self.show(v)).collect();
        items.join(" ")
    }
}

/// Reads `[a b]` pairs, the shape of cas arguments.
pub(crate) fn pair(value: &Value) -> Option<(&Value, &Value)> {
    match value.as_array().map(Vec::as_slice) {
        Some([a, b]) => Some((a, b)),
        _ => None,
    }
}

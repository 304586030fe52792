//! A grow-only set: `add` an element, `read` all of them.

use crate::linearizable::model::{Interner, Model, ValueId};
use faultline_core::Value;

/// A set of values, initially empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetModel;

/// A set operation's argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SetInput {
    /// Add one element.
    Add(ValueId),
    /// Read every element.
    Read,
}

impl Model for SetModel {
    /// The elements, sorted.
    type State = Vec<ValueId>;
    type Input = SetInput;
    /// What a read returned, sorted (empty for an add).
    type Output = Vec<ValueId>;
    type Context = ();

    fn name(&self) -> &'static str {
        "set"
    }

    fn init(&self) -> Vec<ValueId> {
        Vec::new()
    }

    fn step(
        &self,
        _context: &mut (),
        state: &Vec<ValueId>,
        input: &SetInput,
        output: Option<&Vec<ValueId>>,
    ) -> Option<Vec<ValueId>> {
        match input {
            SetInput::Add(v) => {
                let mut next = state.clone();
                if let Err(at) = next.binary_search(v) {
                    next.insert(at, *v);
                }
                Some(next)
            }
            SetInput::Read => match output {
                Some(seen) if seen != state => None,
                _ => Some(state.clone()),
            },
        }
    }

    fn is_read_only(&self, input: &Self::Input) -> bool {
        *input == SetInput::Read
    }

    fn could_fit_later(
        &self,
        _context: &mut (),
        state: &Vec<ValueId>,
        _input: &SetInput,
        seen: &Vec<ValueId>,
    ) -> bool {
        // Adds only grow the set: what it holds now must all be seen.
        state.iter().all(|v| seen.binary_search(v).is_ok())
    }

    fn decode(
        &self,
        values: &mut Interner,
        f: &str,
        input: &Value,
        output: Option<&Value>,
    ) -> Result<Option<(SetInput, Option<Vec<ValueId>>)>, String> {
        match f {
            "add" => Ok(Some((
                SetInput::Add(values.intern(input)),
                output.map(|_| Vec::new()),
            ))),
            "read" => {
                let Some(seen) = output else { return Ok(None) };
                let items = match seen {
                    Value::Array(items) => items,
                    Value::Null => return Ok(Some((SetInput::Read, Some(Vec::new())))),
                    other => {
                        return Err(format!(
                            "a set read returns a list of elements, not {other}"
                        ))
                    }
                };
                let mut ids: Vec<ValueId> = items.iter().map(|v| values.intern(v)).collect();
                ids.sort_unstable();
                ids.dedup();
                Ok(Some((SetInput::Read, Some(ids))))
            }
            other => Err(format!("the set model knows add and read, not `{other}`")),
        }
    }

    fn describe_op(
        &self,
        values: &Interner,
        input: &SetInput,
        output: Option<&Vec<ValueId>>,
    ) -> String {
        match (input, output) {
            (SetInput::Add(v), Some(_)) => format!("add {}", values.show(*v)),
            (SetInput::Add(v), None) => format!("add {} (unknown outcome)", values.show(*v)),
            (SetInput::Read, out) => format!(
                "read → {}",
                self.describe_state(&(), values, out.unwrap_or(&Vec::new()))
            ),
        }
    }

    fn describe_state(&self, _context: &(), values: &Interner, state: &Vec<ValueId>) -> String {
        format!("#{{{}}}", values.show_all(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_read_must_return_exactly_the_elements_added() {
        let m = SetModel;
        let mut values = Interner::default();
        let (add, done) = m
            .decode(&mut values, "add", &json!(5), Some(&json!(5)))
            .unwrap()
            .unwrap();
        let s = m.step(&mut (), &m.init(), &add, done.as_ref()).unwrap();
        let (read, seen) = m
            .decode(&mut values, "read", &json!(null), Some(&json!([5])))
            .unwrap()
            .unwrap();
        assert_eq!(m.step(&mut (), &s, &read, seen.as_ref()), Some(s.clone()));
        assert_eq!(m.step(&mut (), &m.init(), &read, seen.as_ref()), None);
        assert_eq!(m.describe_state(&(), &values, &s), "#{5}");
    }
}

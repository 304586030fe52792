//! A single register: read and write, and with `cas` a compare-and-set register.

use crate::linearizable::model::{pair, Interner, Model, ValueId};
use faultline_core::Value;

/// A register holding one value (initially nil). With `cas`, also
/// compare-and-set `[old new]`.
#[derive(Clone, Copy, Debug)]
pub struct RegisterModel {
    /// Whether `cas` operations are allowed.
    pub cas: bool,
}

/// A register operation's argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(Option<ValueId>),
    /// Set to `new` if the value is `old`.
    Cas(Option<ValueId>, Option<ValueId>),
}

/// A register operation's result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOutput {
    /// The value a read returned (`None` for nil).
    Read(Option<ValueId>),
    /// A write or a successful cas.
    Done,
}

fn id_of(values: &mut Interner, v: &Value) -> Option<ValueId> {
    (!v.is_null()).then(|| values.intern(v))
}

fn show(values: &Interner, v: Option<ValueId>) -> String {
    v.map_or_else(|| "nil".to_owned(), |id| values.show(id))
}

impl Model for RegisterModel {
    type State = Option<ValueId>;
    type Input = RegisterInput;
    type Output = RegisterOutput;
    type Context = ();

    fn name(&self) -> &'static str {
        if self.cas {
            "cas-register"
        } else {
            "register"
        }
    }

    fn init(&self) -> Self::State {
        None
    }

    fn step(
        &self,
        _context: &mut (),
        state: &Self::State,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Self::State> {
        match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => (v == state).then_some(*state),
            (RegisterInput::Read, _) => Some(*state),
            (RegisterInput::Write(v), _) => Some(*v),
            (RegisterInput::Cas(old, new), _) if old == state => Some(*new),
            (RegisterInput::Cas(..), None) => Some(*state),
            (RegisterInput::Cas(..), Some(_)) => None,
        }
    }

    fn is_read_only(&self, input: &Self::Input) -> bool {
        *input == RegisterInput::Read
    }

    fn is_overwrite(&self, input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Write(_))
    }

    fn sets_value<'a>(&self, input: &'a RegisterInput) -> Option<&'a Option<ValueId>> {
        match input {
            RegisterInput::Write(v) | RegisterInput::Cas(_, v) => Some(v),
            RegisterInput::Read => None,
        }
    }

    fn requires_state<'a>(
        &self,
        input: &'a RegisterInput,
        output: Option<&'a RegisterOutput>,
    ) -> Option<&'a Option<ValueId>> {
        match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => Some(v),
            (RegisterInput::Cas(old, _), _) => Some(old),
            _ => None,
        }
    }

    fn decode(
        &self,
        values: &mut Interner,
        f: &str,
        input: &Value,
        output: Option<&Value>,
    ) -> Result<Option<(RegisterInput, Option<RegisterOutput>)>, String> {
        match f {
            "read" => Ok(output.map(|v| {
                (
                    RegisterInput::Read,
                    Some(RegisterOutput::Read(id_of(values, v))),
                )
            })),
            "write" => Ok(Some((
                RegisterInput::Write(id_of(values, input)),
                output.map(|_| RegisterOutput::Done),
            ))),
            "cas" if self.cas => {
                let (old, new) = pair(input)
                    .ok_or_else(|| format!("cas needs a value [old new], not {input}"))?;
                let cas = RegisterInput::Cas(id_of(values, old), id_of(values, new));
                Ok(Some((cas, output.map(|_| RegisterOutput::Done))))
            }
            "cas" => Err("the register model has no cas; use --model cas-register".into()),
            other => Err(format!(
                "the {} model knows read, write{}, not `{other}`",
                self.name(),
                if self.cas { " and cas" } else { "" }
            )),
        }
    }

    fn describe_op(
        &self,
        values: &Interner,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> String {
        let text = match (input, output) {
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => {
                return format!("read → {}", show(values, *v))
            }
            (RegisterInput::Read, _) => "read".to_owned(),
            (RegisterInput::Write(v), _) => format!("write {}", show(values, *v)),
            (RegisterInput::Cas(o, n), _) => {
                format!("cas {}→{}", show(values, *o), show(values, *n))
            }
        };
        if output.is_none() {
            format!("{text} (unknown outcome)")
        } else {
            text
        }
    }

    fn describe_state(&self, _context: &(), values: &Interner, state: &Self::State) -> String {
        show(values, *state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cas_succeeds_only_on_the_expected_value_unless_unknown() {
        let m = RegisterModel { cas: true };
        let mut values = Interner::default();
        let (cas, _) = m
            .decode(&mut values, "cas", &json!([1, 2]), Some(&json!([1, 2])))
            .unwrap()
            .unwrap();
        let one = Some(values.intern(&json!(1)));
        let two = Some(values.intern(&json!(2)));
        assert_eq!(
            m.step(&mut (), &one, &cas, Some(&RegisterOutput::Done)),
            Some(two)
        );
        assert_eq!(
            m.step(&mut (), &None, &cas, Some(&RegisterOutput::Done)),
            None
        );
        assert_eq!(m.step(&mut (), &None, &cas, None), Some(None));
        assert_eq!(
            m.describe_op(&values, &cas, None),
            "cas 1→2 (unknown outcome)"
        );
    }

    #[test]
    fn reads_must_see_the_state_and_unknown_reads_are_dropped() {
        let m = RegisterModel { cas: false };
        let mut values = Interner::default();
        let (read, out) = m
            .decode(&mut values, "read", &json!(null), Some(&json!(null)))
            .unwrap()
            .unwrap();
        assert_eq!(m.step(&mut (), &None, &read, out.as_ref()), Some(None));
        assert_eq!(m.step(&mut (), &Some(0), &read, out.as_ref()), None);
        assert_eq!(
            m.decode(&mut values, "read", &json!(null), None).unwrap(),
            None
        );
        assert!(m
            .decode(&mut values, "cas", &json!([1, 2]), None)
            .unwrap_err()
            .contains("cas-register"));
    }
}

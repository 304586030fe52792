//! A lock: `acquire` when free, `release` when held.

use crate::linearizable::model::{Interner, Model};
use faultline_core::Value;

/// A mutual-exclusion lock, initially free.
#[derive(Clone, Copy, Debug, Default)]
pub struct MutexModel;

/// A lock operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutexInput {
    /// Take the lock.
    Acquire,
    /// Give it back.
    Release,
}

impl Model for MutexModel {
    /// Whether the lock is held.
    type State = bool;
    type Input = MutexInput;
    type Output = ();
    type Context = ();

    fn name(&self) -> &'static str {
        "mutex"
    }

    fn init(&self) -> bool {
        false
    }

    fn step(
        &self,
        _context: &mut (),
        held: &bool,
        input: &MutexInput,
        output: Option<&()>,
    ) -> Option<bool> {
        let wanted = *input == MutexInput::Release;
        match output {
            Some(()) => (*held == wanted).then_some(!wanted),
            // Unknown: it takes effect if it can here; otherwise it did not happen here.
            None => Some(if *held == wanted { !wanted } else { *held }),
        }
    }

    fn decode(
        &self,
        _values: &mut Interner,
        f: &str,
        _input: &Value,
        output: Option<&Value>,
    ) -> Result<Option<(MutexInput, Option<()>)>, String> {
        let input = match f {
            "acquire" | "lock" => MutexInput::Acquire,
            "release" | "unlock" => MutexInput::Release,
            other => {
                return Err(format!(
                    "the mutex model knows acquire and release, not `{other}`"
                ))
            }
        };
        Ok(Some((input, output.map(|_| ()))))
    }

    fn describe_op(&self, _values: &Interner, input: &MutexInput, output: Option<&()>) -> String {
        let name = if *input == MutexInput::Acquire {
            "acquire"
        } else {
            "release"
        };
        if output.is_none() {
            format!("{name} (unknown outcome)")
        } else {
            name.to_owned()
        }
    }

    fn describe_state(&self, _context: &(), _values: &Interner, held: &bool) -> String {
        (if *held { "held" } else { "free" }).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_needs_a_free_lock_and_release_a_held_one() {
        let m = MutexModel;
        assert_eq!(
            m.step(&mut (), &false, &MutexInput::Acquire, Some(&())),
            Some(true)
        );
        assert_eq!(
            m.step(&mut (), &true, &MutexInput::Acquire, Some(&())),
            None
        );
        assert_eq!(
            m.step(&mut (), &true, &MutexInput::Release, Some(&())),
            Some(false)
        );
        assert_eq!(
            m.step(&mut (), &false, &MutexInput::Release, Some(&())),
            None
        );
        assert_eq!(
            m.step(&mut (), &true, &MutexInput::Acquire, None),
            Some(true)
        );
    }
}

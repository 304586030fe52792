//! A FIFO queue: `enqueue` a value, `dequeue` the oldest (nil when empty).

use crate::linearizable::model::{Interner, Model, ValueId};
use faultline_core::Value;
use std::collections::VecDeque;

/// An unbounded first-in first-out queue, initially empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueModel;

/// A queue operation's argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueueInput {
    /// Add to the back.
    Enqueue(ValueId),
    /// Take from the front.
    Dequeue,
}

impl Model for QueueModel {
    type State = VecDeque<ValueId>;
    type Input = QueueInput;
    /// What a dequeue returned (`None` when the queue was empty); `None` for an enqueue.
    type Output = Option<ValueId>;
    type Context = ();

    fn name(&self) -> &'static str {
        "queue"
    }

    fn init(&self) -> Self::State {
        VecDeque::new()
    }

    fn step(
        &self,
        _context: &mut (),
        state: &Self::State,
        input: &QueueInput,
        output: Option<&Option<ValueId>>,
    ) -> Option<Self::State> {
        let mut next = state.clone();
        match (input, output) {
            (QueueInput::Enqueue(v), _) => next.push_back(*v),
            (QueueInput::Dequeue, Some(seen)) => {
                if next.pop_front() != *seen {
                    return None;
                }
            }
            (QueueInput::Dequeue, None) => {
                next.pop_front();
            }
        }
        Some(next)
    }

    fn decode(
        &self,
        values: &mut Interner,
        f: &str,
        input: &Value,
        output: Option<&Value>,
    ) -> Result<Option<(QueueInput, Option<Option<ValueId>>)>, String> {
        match f {
            "enqueue" => Ok(Some((
                QueueInput::Enqueue(values.intern(input)),
                output.map(|_| None),
            ))),
            "dequeue" => {
                let seen = output.map(|v| (!v.is_null()).then(|| values.intern(v)));
                Ok(Some((QueueInput::Dequeue, seen)))
            }
            other => Err(format!(
                "the queue model knows enqueue and dequeue, not `{other}`"
            )),
        }
    }

    fn describe_op(
        &self,
        values: &Interner,
        input: &QueueInput,
        output: Option<&Option<ValueId>>,
    ) -> String {
        match (input, output) {
            (QueueInput::Enqueue(v), Some(_)) => format!("enqueue {}", values.show(*v)),
            (QueueInput::Enqueue(v), None) => {
                format!("enqueue {} (unknown outcome)", values.show(*v))
            }
            (QueueInput::Dequeue, Some(seen)) => format!(
                "dequeue → {}",
                seen.map_or("nil".into(), |v| values.show(v))
            ),
            (QueueInput::Dequeue, None) => "dequeue (unknown outcome)".to_owned(),
        }
    }

    fn describe_state(&self, _context: &(), values: &Interner, state: &Self::State) -> String {
        format!("[{}]", values.show_all(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dequeues_in_fifo_order_and_nil_when_empty() {
        let m = QueueModel;
        let mut values = Interner::default();
        let (e1, d) = m
            .decode(&mut values, "enqueue", &json!(1), Some(&json!(1)))
            .unwrap()
            .unwrap();
        let (e2, _) = m
            .decode(&mut values, "enqueue", &json!(2), Some(&json!(2)))
            .unwrap()
            .unwrap();
        let s = m
            .step(
                &mut (),
                &m.step(&mut (), &m.init(), &e1, d.as_ref()).unwrap(),
                &e2,
                d.as_ref(),
            )
            .unwrap();
        let (deq, got1) = m
            .decode(&mut values, "dequeue", &json!(null), Some(&json!(1)))
            .unwrap()
            .unwrap();
        let (_, got2) = m
            .decode(&mut values, "dequeue", &json!(null), Some(&json!(2)))
            .unwrap()
            .unwrap();
        let (_, nil) = m
            .decode(&mut values, "dequeue", &json!(null), Some(&json!(null)))
            .unwrap()
            .unwrap();
        assert!(m.step(&mut (), &s, &deq, got2.as_ref()).is_none());
        let s = m.step(&mut (), &s, &deq, got1.as_ref()).unwrap();
        assert_eq!(m.describe_state(&(), &values, &s), "[2]");
        assert!(m.step(&mut (), &m.init(), &deq, nil.as_ref()).is_some());
    }
}

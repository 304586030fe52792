//! The models by name, as the command line and configs choose them.

use crate::linearizable::models::{KvModel, MutexModel, QueueModel, RegisterModel, SetModel};
use crate::linearizable::{check_with, Analysis, Explain};
use faultline_core::{Budget, CheckError, History};
use std::fmt;
use std::str::FromStr;

/// A model chosen by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// read / write
    Register,
    /// read / write / cas
    CasRegister,
    /// get / put / append per key
    Kv,
    /// add / read
    Set,
    /// enqueue / dequeue
    Queue,
    /// acquire / release
    Mutex,
}

impl ModelKind {
    /// Every model.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Register,
        ModelKind::CasRegister,
        ModelKind::Kv,
        ModelKind::Set,
        ModelKind::Queue,
        ModelKind::Mutex,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Register => "register",
            ModelKind::CasRegister => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::Set => "set",
            ModelKind::Queue => "queue",
            ModelKind::Mutex => "mutex",
        }
    }

    /// The operations (`f`) this model's step knows.
    pub fn ops(self) -> &'static [&'static str] {
        match self {
            ModelKind::Register => &["read", "write"],
            ModelKind::CasRegister => &["read", "write", "cas"],
            ModelKind::Kv => &["get", "put", "append", "read", "write"],
            ModelKind::Set => &["add", "read"],
            ModelKind::Queue => &["enqueue", "dequeue"],
            ModelKind::Mutex => &["acquire", "release"],
        }
    }

    /// The first model that knows operation `f`, to name when another
    /// model was asked for.
    pub fn knowing(f: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|m| m.ops().contains(&f))
    }

    /// Checks `history` against this model, explaining a failure.
    pub fn check(self, history: &History, budget: &Budget) -> Result<Analysis, CheckError> {
        self.check_with(history, budget, Explain::Yes)
    }

    /// Checks `history` against this model.
    pub fn check_with(
        self,
        history: &History,
        budget: &Budget,
        explain: Explain,
    ) -> Result<Analysis, CheckError> {
        match self {
            ModelKind::Register => {
                check_with(&RegisterModel { cas: false }, history, budget, explain)
            }
            ModelKind::CasRegister => {
                check_with(&RegisterModel { cas: true }, history, budget, explain)
            }
            ModelKind::Kv => check_with(&KvModel, history, budget, explain),
            ModelKind::Set => check_with(&SetModel, history, budget, explain),
            ModelKind::Queue => check_with(&QueueModel, history, budget, explain),
            ModelKind::Mutex => check_with(&MutexModel, history, budget, explain),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ModelKind, String> {
        ModelKind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = ModelKind::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model `{s}`; choose one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::{Op, OpType, Process};

    /// Every operation a model lists is one its step accepts, and one it
    /// does not list is refused: the list and the step agree.
    #[test]
    fn each_model_knows_the_operations_it_lists() {
        for model in ModelKind::ALL {
            for f in [
                "read", "write", "cas", "get", "put", "append", "add", "enqueue", "dequeue",
                "acquire", "release",
            ] {
                let value = match f {
                    "cas" => serde_json::json!([0, 1]),
                    "append" | "put" => serde_json::json!("x"),
                    "read" if model == ModelKind::Set => serde_json::json!([]),
                    _ => serde_json::json!(1),
                };
                let mut history = History::default();
                let mut invoke = Op::new(Process::Client(0), OpType::Invoke, f, value);
                invoke.key = Some("k".into());
                history.push(invoke, 1);
                let known = match model.check(&history, &Budget::default()) {
                    Err(e) => !e.to_string().contains("knows") && !e.to_string().contains("has no"),
                    Ok(_) => true,
                };
                assert_eq!(known, model.ops().contains(&f), "{model} {f}");
            }
        }
    }
}

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

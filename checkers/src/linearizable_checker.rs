//! The linearizability checker behind the core's `Checker` protocol.

use crate::linearizable::ModelKind;
use faultline_core::{Budget, CheckError, CheckResult, Checker, History, Validity};

/// Checks histories for linearizability against one model.
#[derive(Clone, Copy, Debug)]
pub struct LinearizableChecker {
    /// The model.
    pub model: ModelKind,
}

impl Checker for LinearizableChecker {
    fn name(&self) -> &str {
        "linearizable"
    }

    fn check(&self, history: &History, budget: &Budget) -> Result<CheckResult, CheckError> {
        let analysis = self.model.check(history, budget)?;
        let summary = match (analysis.valid, &analysis.counterexample, &analysis.reason) {
            (Validity::Invalid, Some(c), _) => {
                let op = c.failing_op.as_ref().map_or_else(
                    || "an operation".to_owned(),
                    |o| format!("`{}` by process {}", o.description, o.process),
                );
                let key = c
                    .key
                    .as_deref()
                    .map_or(String::new(), |k| format!(" on key {k}"));
                format!("not linearizable{key}: {op} cannot be placed")
            }
            (Validity::Unknown, _, Some(reason)) => format!("unknown: {reason}"),
            (v, ..) => format!(
                "{v}: {} operations in {} partition(s)",
                analysis.ops, analysis.partitions
            ),
        };
        let details = serde_json::to_value(&analysis).unwrap_or_default();
        Ok(CheckResult {
            validity: analysis.valid,
            summary,
            details,
        })
    }
}

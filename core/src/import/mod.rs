//! Importers for histories recorded by other tools.

pub mod edn;
mod edn_history;
mod jepsen_log;

pub use edn_history::parse_edn_history;
pub use jepsen_log::{parse_jepsen_log, JEPSEN_LOG_MARKER};

use crate::{Op, OpType};

/// Jepsen records a timed-out operation as `:fail` with `:timed-out`; its
/// outcome is unknown, so it becomes `info` here, once for every importer.
fn interpret_timeout(mut op: Op) -> Op {
    let timed_out = |s: &str| s == "timed-out" || s == "timeout";
    if op.kind == OpType::Fail && op.value.as_str().is_some_and(timed_out) {
        op.kind = OpType::Info;
        op.error = Some("timed-out".into());
        op.value = serde_json::Value::Null;
    }
    op
}

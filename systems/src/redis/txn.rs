//! Transactions in Redis: every micro-operation of one transaction queued
//! between `MULTI` and `EXEC`, which Redis runs as one step, nothing of
//! another client's in between (Redis documentation, "Transactions").
//! List-append keys are lists (`LRANGE`, `RPUSH`), rw-register keys
//! strings (`GET`, `SET`). Nothing depends on what a transaction reads, so
//! no `WATCH` is needed. Read-only transactions go where reads go.
//!
//! Redis does not roll back: a command that fails inside `EXEC` leaves the
//! others applied. Only a transaction refused as a whole (`EXECABORT`, or
//! a server that is loading, read-only or without its primary) certainly
//! did nothing; any other error after `EXEC` was sent is unknown.

use super::RedisClient;
use crate::failure::Failure;
use faultline_core::Value;
use faultline_workloads::WorkloadKind;
use serde_json::json;

/// Error codes after which nothing of the transaction applied.
const REFUSED_WHOLE: [&str; 4] = ["EXECABORT", "LOADING", "READONLY", "MASTERDOWN"];

impl RedisClient {
    /// Runs `mops` in one `MULTI` / `EXEC`; the mops with what each read saw.
    pub(super) async fn txn(&self, mops: &[Value]) -> Result<Value, Failure> {
        let lists = self.workload == WorkloadKind::Append;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for mop in mops {
            let (Some(f), Some(k)) = (mop[0].as_str(), mop[1].as_i64()) else {
                return Err(Failure::Certain(format!("bad micro-operation {mop}")));
            };
            let key = self.key(&format!("t{k}"));
            match (f, lists, mop[2].as_i64()) {
                ("r", true, _) => pipe.cmd("LRANGE").arg(&key).arg(0).arg(-1),
                ("r", false, _) => pipe.cmd("GET").arg(&key),
                ("append", true, Some(v)) => pipe.cmd("RPUSH").arg(&key).arg(v),
                ("w", false, Some(v)) => pipe.cmd("SET").arg(&key).arg(v),
                _ => return Err(Failure::Certain(format!("bad micro-operation {mop}"))),
            };
        }
        let read_only = mops.iter().all(|m| m[0] == "r");
        let at = match (&self.reads, read_only) {
            (Some(reads), true) => reads,
            _ => &self.primary,
        };
        let replies: Vec<redis::Value> = match self.query_pipe(at, &pipe).await {
            Ok(replies) => replies,
            Err(Failure::Certain(why)) if !REFUSED_WHOLE.iter().any(|c| why.contains(c)) => {
                // An error inside EXEC: the rest of the transaction applied.
                return Err(Failure::Unknown(why));
            }
            Err(other) => return Err(other),
        };
        if replies.len() != mops.len() {
            return Err(Failure::Unknown(format!(
                "EXEC answered {} replies to {} commands",
                replies.len(),
                mops.len()
            )));
        }
        let unreadable = |e: redis::RedisError| Failure::Unknown(format!("unreadable reply: {e}"));
        mops.iter()
            .zip(&replies)
            .map(|(mop, reply)| {
                Ok(match (mop[0].as_str(), lists) {
                    (Some("r"), true) => {
                        let items: Vec<i64> = redis::from_redis_value(reply).map_err(unreadable)?;
                        json!(["r", mop[1], items])
                    }
                    (Some("r"), false) => {
                        let value: Option<i64> =
                            redis::from_redis_value(reply).map_err(unreadable)?;
                        json!(["r", mop[1], value])
                    }
                    _ => mop.clone(),
                })
            })
            .collect::<Result<Vec<Value>, Failure>>()
            .map(Value::Array)
    }
}

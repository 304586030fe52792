//! Counters in etcd: one key holding the count. etcd has no increment, so
//! an increment reads the count and its revision, then writes count + n
//! in a transaction that holds only if the key is unchanged since (or
//! still absent), retrying a few times when another client got there
//! first: each increment applies once or not at all.

use super::client::first_value;
use super::EtcdClient;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Completion, OpType, Value};
use serde_json::json;

/// Tries before an increment gives up as a conflict (certainly not applied).
const ATTEMPTS: usize = 8;

impl EtcdClient {
    /// The count of `key` (0 when absent).
    pub(super) async fn read_counter(&self, key: &str) -> Completion {
        let read = self.read(key).await;
        match read.kind {
            OpType::Ok if read.value.is_null() => Completion::ok(json!(0)),
            _ => read,
        }
    }

    /// Adds `by` to the count of `key`.
    pub(super) async fn increment(&self, key: &str, by: &Value) -> Completion {
        let Some(n) = by.as_i64() else {
            return Completion::fail(by.clone(), "an increment needs an integer");
        };
        let stored = self.stored(key);
        for _ in 0..ATTEMPTS {
            let reply = match self
                .post("/v3/kv/range", json!({ "key": stored }), by)
                .await
            {
                Ok(reply) => reply,
                // Only read so far: nothing can have been written.
                Err(c) => {
                    return Completion {
                        kind: OpType::Fail,
                        ..c
                    }
                }
            };
            let (count, unchanged) = match reply["kvs"].get(0) {
                None => (
                    0,
                    json!({ "key": stored, "target": "CREATE", "result": "EQUAL", "create_revision": "0" }),
                ),
                Some(kv) => {
                    let Some(count) = first_value(&reply["kvs"]).ok().and_then(|v| v.as_i64())
                    else {
                        return Completion::fail(
                            by.clone(),
                            format!("the counter holds no integer: {kv}"),
                        );
                    };
                    (
                        count,
                        json!({ "key": stored, "target": "MOD", "result": "EQUAL", "mod_revision": kv["mod_revision"] }),
                    )
                }
            };
            let body = json!({
                "compare": [unchanged],
                "success": [{ "request_put": { "key": stored, "value": B64.encode((count + n).to_string()) } }],
                "failure": [],
            });
            match self.post("/v3/kv/txn", body, by).await {
                Ok(reply) if reply["succeeded"] == json!(true) => {
                    return Completion::ok(by.clone())
                }
                // The compare failed: someone else incremented first.
                Ok(reply) if reply.get("header").is_some() => continue,
                Ok(reply) => {
                    return Completion::info(by.clone(), format!("unexpected reply {reply}"))
                }
                Err(c) => return c,
            }
        }
        Completion::fail(
            by.clone(),
            format!("conflict: the counter changed under each of {ATTEMPTS} attempts"),
        )
    }
}

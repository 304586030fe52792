//! Transactions of micro-operations (list-append and rw-register) on etcd.
//! Every key's current value and revision are read in one etcd
//! transaction (an atomic snapshot); the reads and the new values are
//! computed from it; then, if the transaction writes, one etcd transaction
//! puts the new values on condition that no key it touched changed since
//! (same mod revision, or still absent). So each committed transaction
//! took effect atomically at its commit, and reads that were not
//! confirmed by a commit come from one linearizable snapshot: strict
//! serializable, as etcd promises. Lists are stored as JSON text.

use super::client::EtcdClient;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Completion, OpType, Value};
use serde_json::json;

/// A key's state as read: its value (JSON) and revision (`None`: absent).
struct Snapshot {
    value: Value,
    mod_revision: Option<String>,
}

impl EtcdClient {
    /// Runs `mops` as one transaction.
    pub(super) async fn txn(&self, mops: &Value) -> Completion {
        let Some(list) = mops.as_array() else {
            return Completion::fail(mops.clone(), "a transaction is a list of micro-operations");
        };
        let mut keys: Vec<String> = Vec::new();
        for mop in list {
            let key = match mop.get(1) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Completion::fail(mops.clone(), format!("bad micro-operation {mop}")),
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        // 1. One atomic snapshot of every key.
        let ranges: Vec<Value> = keys
            .iter()
            .map(|k| {
                let mut range = json!({ "key": self.stored(k) });
                if self.serializable_reads {
                    range["serializable"] = json!(true);
                }
                json!({ "request_range": range })
            })
            .collect();
        let body = json!({ "compare": [], "success": ranges, "failure": [] });
        let reply = match self.post("/v3/kv/txn", body, mops).await {
            Ok(reply) => reply,
            // Only reads so far: nothing can have taken effect.
            Err(c) => {
                return Completion {
                    kind: OpType::Fail,
                    ..c
                }
            }
        };
        let mut snapshots = Vec::with_capacity(keys.len());
        for i in 0..keys.len() {
            let kv = &reply["responses"][i]["response_range"]["kvs"][0];
            let value = match kv.get("value").and_then(Value::as_str) {
                None => Value::Null,
                Some(encoded) => match B64.decode(encoded) {
                    Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    Err(e) => {
                        return Completion::fail(mops.clone(), format!("bad base64 in reply: {e}"))
                    }
                },
            };
            let mod_revision = kv.get("mod_revision").map(|r| match r {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            snapshots.push(Snapshot {
                value,
                mod_revision,
            });
        }
        // 2. The reads and the new values.
        let mut current: Vec<Value> = snapshots.iter().map(|s| s.value.clone()).collect();
        let mut written = vec![false; keys.len()];
        let mut done = Vec::with_capacity(list.len());
        for mop in list {
            let key = match &mop[1] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let i = keys.iter().position(|k| *k == key).unwrap_or(0);
            match mop[0].as_str() {
                Some("r") => {
                    let read = match (&current[i], list.iter().any(|m| m[0] == "append")) {
                        (Value::Null, true) => json!([]),
                        (v, _) => v.clone(),
                    };
                    done.push(json!(["r", mop[1], read]));
                }
                Some("append") => {
                    let mut items = current[i].as_array().cloned().unwrap_or_default();
                    items.push(mop[2].clone());
                    current[i] = Value::Array(items);
                    written[i] = true;
                    done.push(mop.clone());
                }
                Some("w") => {
                    current[i] = mop[2].clone();
                    written[i] = true;
                    done.push(mop.clone());
                }
                _ => {
                    return Completion::fail(mops.clone(), format!("unknown micro-operation {mop}"))
                }
            }
        }
        let result = Value::Array(done);
        if !written.contains(&true) {
            return Completion::ok(result);
        }
        // 3. Commit, provided nothing touched changed since the snapshot.
        let compare: Vec<Value> = keys
            .iter()
            .zip(&snapshots)
            .map(|(k, s)| match &s.mod_revision {
                Some(rev) => json!({ "key": self.stored(k), "target": "MOD", "result": "EQUAL", "mod_revision": rev }),
                None => json!({ "key": self.stored(k), "target": "CREATE", "result": "EQUAL", "create_revision": "0" }),
            })
            .collect();
        let puts: Vec<Value> = keys
            .iter()
            .zip(&current)
            .zip(&written)
            .filter(|(_, w)| **w)
            .map(|((k, v), _)| json!({ "request_put": { "key": self.stored(k), "value": B64.encode(v.to_string()) } }))
            .collect();
        let body = json!({ "compare": compare, "success": puts, "failure": [] });
        match self.post("/v3/kv/txn", body, mops).await {
            Ok(reply) if reply["succeeded"] == json!(true) => Completion::ok(result),
            Ok(reply) if reply.get("header").is_some() => {
                Completion::fail(mops.clone(), "conflict: a key changed since it was read")
            }
            Ok(reply) => Completion::info(mops.clone(), format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }
}

//! Locks in etcd, as etcd's own `concurrency.Mutex` builds them: the lock
//! is a key held under a lease. Acquire grants a lease of
//! [`LEASE_SECONDS`] and creates the key under it, holding the process's
//! token, only if the key does not exist; release deletes the key only if
//! it still holds the token. No keep-alive: a lease that runs out while
//! its holder is cut off lets another process in, which the mutex model
//! then shows.

use super::EtcdClient;
use crate::lock_token::LEASE_SECONDS;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Completion, OpType, Value};
use serde_json::json;

impl EtcdClient {
    /// Takes the lock `key` with `token`, if it is free.
    pub(super) async fn acquire(&self, key: &str, token: String) -> Completion {
        let none = Value::Null;
        let lease = match self
            .post("/v3/lease/grant", json!({ "TTL": LEASE_SECONDS }), &none)
            .await
        {
            Ok(reply) => match reply.get("ID") {
                Some(id) => id.clone(),
                None => return Completion::fail(none, format!("no lease granted: {reply}")),
            },
            // No lease, no lock: nothing that holds it can exist.
            Err(c) => {
                return Completion {
                    kind: OpType::Fail,
                    ..c
                }
            }
        };
        let stored = self.stored(key);
        let body = json!({
            "compare": [{ "key": stored, "target": "CREATE", "result": "EQUAL", "create_revision": "0" }],
            "success": [{ "request_put": { "key": stored, "value": B64.encode(&token), "lease": lease } }],
            "failure": [],
        });
        match self.post("/v3/kv/txn", body, &none).await {
            Ok(reply) if reply["succeeded"] == json!(true) => Completion::ok(none),
            Ok(reply) if reply.get("header").is_some() => {
                Completion::fail(none, "held by another process")
            }
            Ok(reply) => Completion::info(none, format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }

    /// Gives back the lock `key` if it still holds `token`.
    pub(super) async fn release(&self, key: &str, token: String) -> Completion {
        let none = Value::Null;
        let stored = self.stored(key);
        let body = json!({
            "compare": [{ "key": stored, "target": "VALUE", "result": "EQUAL", "value": B64.encode(&token) }],
            "success": [{ "request_delete_range": { "key": stored } }],
            "failure": [],
        });
        match self.post("/v3/kv/txn", body, &none).await {
            Ok(reply) if reply["succeeded"] == json!(true) => Completion::ok(none),
            Ok(reply) if reply.get("header").is_some() => {
                Completion::fail(none, "not held by this process (its lease ran out)")
            }
            Ok(reply) => Completion::info(none, format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }
}

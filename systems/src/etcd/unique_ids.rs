//! Unique ids from etcd: a put to the generator's key, the id the
//! revision etcd gave that write. etcd's revision is one counter for the
//! whole keyspace, raised by every write that changes it, so no two
//! acknowledged writes share one (etcd's API guarantees: "Revision").

use super::EtcdClient;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Completion, Value};
use serde_json::json;

impl EtcdClient {
    /// A new id from the generator `key`.
    pub(super) async fn generate(&self, key: &str) -> Completion {
        let body = json!({ "key": self.stored(key), "value": B64.encode("generated") });
        match self.post("/v3/kv/put", body, &Value::Null).await {
            // The gateway writes 64-bit integers as strings.
            Ok(reply) => match reply["header"]["revision"]
                .as_str()
                .and_then(|r| r.parse::<i64>().ok())
            {
                Some(revision) => Completion::ok(json!(revision)),
                None => Completion::info(Value::Null, format!("no revision in the reply {reply}")),
            },
            Err(c) => c,
        }
    }
}

//! Sets in etcd: one key per element under the set's own prefix
//! (`<run>/<set>/<element>`), so that an add is one put and a read one
//! range request over the prefix: linearizable, unless
//! `--serializable-reads` lets the member answer alone.

use super::EtcdClient;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Completion, OpType, Value};
use serde_json::json;

impl EtcdClient {
    /// Adds `element` to the set `set`.
    pub(super) async fn add(&self, set: &str, element: &Value) -> Completion {
        let key = self.stored(&format!("{set}/{element}"));
        let body = json!({ "key": key, "value": B64.encode(element.to_string()) });
        match self.post("/v3/kv/put", body, element).await {
            Ok(reply) if reply.get("header").is_some() => Completion::ok(element.clone()),
            Ok(reply) => Completion::info(element.clone(), format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }

    /// Every element of the set `set`, in etcd's key order.
    pub(super) async fn read_set(&self, set: &str) -> Completion {
        let prefix = self.stored_raw(&format!("{set}/"));
        let mut body = json!({
            "key": B64.encode(&prefix),
            "range_end": B64.encode(prefix_end(&prefix)),
            "keys_only": true,
        });
        if self.serializable_reads {
            body["serializable"] = json!(true);
        }
        match self.post("/v3/kv/range", body, &Value::Null).await {
            Ok(reply) => match elements(&reply["kvs"], &prefix) {
                Ok(found) => Completion::ok(Value::Array(found)),
                Err(e) => Completion::info(Value::Null, e),
            },
            // A read that did not return changes nothing.
            Err(c) => Completion {
                kind: OpType::Fail,
                ..c
            },
        }
    }
}

/// The end of the range of keys that start with `prefix`: its last byte
/// plus one (etcd's `clientv3.GetPrefixRangeEnd`).
pub(super) fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0] // every key
}

/// The elements named by a range reply's keys, each after `prefix`.
fn elements(kvs: &Value, prefix: &str) -> Result<Vec<Value>, String> {
    let Some(kvs) = kvs.as_array() else {
        return Ok(Vec::new()); // an empty range has no "kvs" at all
    };
    kvs.iter()
        .map(|kv| {
            let bytes = B64
                .decode(kv["key"].as_str().unwrap_or(""))
                .map_err(|e| format!("bad base64 key in reply: {e}"))?;
            let key = String::from_utf8_lossy(&bytes);
            let element = key
                .strip_prefix(prefix)
                .ok_or_else(|| format!("the range returned `{key}`, outside the set `{prefix}`"))?;
            serde_json::from_str(element)
                .map_err(|e| format!("the set's key `{key}` names no element: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_ends_after_its_last_key() {
        assert_eq!(prefix_end("run/s0.1/"), b"run/s0.10".to_vec());
        assert_eq!(prefix_end("a\u{7f}"), b"a\x80".to_vec());
    }

    #[test]
    fn elements_are_read_from_keys_under_the_prefix() {
        let kvs = json!([{ "key": B64.encode("r/s1/7") }, { "key": B64.encode("r/s1/12") }]);
        assert_eq!(elements(&kvs, "r/s1/"), Ok(vec![json!(7), json!(12)]));
        assert_eq!(elements(&Value::Null, "r/s1/"), Ok(vec![]));
        let stray = json!([{ "key": B64.encode("r/s2/7") }]);
        assert!(elements(&stray, "r/s1/")
            .unwrap_err()
            .contains("outside the set"));
    }
}

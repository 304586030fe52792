//! A client of etcd's v3 JSON gateway (keys and values in base64, every
//! request a POST). Register operations: read, write, and compare-and-set
//! through a transaction; and transactions of micro-operations (`txn`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Client, Completion, Value};
use faultline_workloads::WorkloadKind;
use serde_json::json;
use std::time::Duration;

/// Talks to one etcd member.
#[derive(Clone, Debug)]
pub struct EtcdClient {
    pub(super) http: reqwest::Client,
    pub(super) url: String,
    pub(super) serializable_reads: bool,
    /// Put before every key in etcd (not in the history): a run's data
    /// never meets another run's, whatever a node kept.
    key_prefix: String,
    /// What a key holds: a register's value, a set's elements (`add` puts
    /// one element's key, `read` ranges over them) or a counter (`add`
    /// increments it).
    workload: WorkloadKind,
    /// The lock this process holds, if any (the lock workload).
    pub(super) lock: crate::lock_token::LockToken,
    /// The last revision this process's watches saw, per key (the watch
    /// workload): the next watch of the key starts after it.
    pub(super) watched: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, i64>>>,
}

impl EtcdClient {
    /// A client of the member at `url` (`http://host:2379`). With
    /// `serializable_reads`, reads are answered locally (possibly stale).
    pub fn new(url: &str, timeout: Duration, serializable_reads: bool) -> EtcdClient {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(1))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        EtcdClient {
            http,
            url: url.trim_end_matches('/').to_owned(),
            serializable_reads,
            key_prefix: String::new(),
            workload: WorkloadKind::Register,
            lock: Default::default(),
            watched: Default::default(),
        }
    }

    /// The same client storing every key under `prefix` (the run's own).
    pub fn with_key_prefix(mut self, prefix: &str) -> EtcdClient {
        self.key_prefix = prefix.to_owned();
        self
    }

    /// The same client for `workload`: what its keys hold follows.
    pub fn with_workload(mut self, workload: WorkloadKind) -> EtcdClient {
        self.workload = workload;
        self
    }

    /// `key` as stored in etcd, base64 as the gateway wants it.
    pub(super) fn stored(&self, key: &str) -> String {
        B64.encode(self.stored_raw(key))
    }

    /// `key` as stored in etcd.
    pub(super) fn stored_raw(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }

    /// The cluster and member IDs the member reports (`/v3/maintenance/status`).
    pub async fn identity(&self) -> Result<(u64, u64), String> {
        let reply = self
            .post("/v3/maintenance/status", json!({}), &Value::Null)
            .await
            .map_err(|c| c.error.unwrap_or_default())?;
        let id = |field: &str| -> Result<u64, String> {
            reply["header"][field]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("no {field} in the status reply {reply}"))
        };
        Ok((id("cluster_id")?, id("member_id")?))
    }

    /// POSTs `body` to `path`; the parsed answer, or the completion that
    /// says why there is none.
    pub(super) async fn post(
        &self,
        path: &str,
        body: Value,
        echo: &Value,
    ) -> Result<Value, Completion> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            // Refused before anything was sent: it cannot have taken effect.
            Err(e) if e.is_connect() => {
                return Err(Completion::unavailable(echo.clone(), "connection refused"))
            }
            Err(e) if e.is_timeout() => return Err(Completion::info(echo.clone(), "timeout")),
            Err(e) => return Err(Completion::info(echo.clone(), format!("transport: {e}"))),
        };
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Completion::info(echo.clone(), format!("reading reply: {e}")))?;
        if status.as_u16() == 400 {
            return Err(Completion::fail(
                echo.clone(),
                format!("rejected: {}", error_message(&text)),
            ));
        }
        if !status.is_success() {
            // 500 "context deadline exceeded", 503 "request timed out": the
            // request may have been applied.
            return Err(Completion::info(
                echo.clone(),
                format!("HTTP {}: {}", status.as_u16(), error_message(&text)),
            ));
        }
        serde_json::from_str(&text)
            .map_err(|e| Completion::info(echo.clone(), format!("unreadable reply: {e}")))
    }

    pub(super) async fn read(&self, key: &str) -> Completion {
        let mut body = json!({ "key": self.stored(key) });
        if self.serializable_reads {
            body["serializable"] = json!(true);
        }
        match self.post("/v3/kv/range", body, &Value::Null).await {
            Ok(reply) => match first_value(&reply["kvs"]) {
                Ok(value) => Completion::ok(value),
                Err(e) => Completion::info(Value::Null, e),
            },
            // A read that did not return changes nothing: fail is as good as info.
            Err(c) => Completion {
                kind: faultline_core::OpType::Fail,
                ..c
            },
        }
    }

    async fn write(&self, key: &str, value: &Value) -> Completion {
        let body = json!({ "key": self.stored(key), "value": B64.encode(value.to_string()) });
        match self.post("/v3/kv/put", body, value).await {
            Ok(reply) if reply.get("header").is_some() => Completion::ok(value.clone()),
            Ok(reply) => Completion::info(value.clone(), format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }

    async fn cas(&self, key: &str, pair: &Value) -> Completion {
        let (Some(old), Some(new)) = (pair.get(0), pair.get(1)) else {
            return Completion::fail(pair.clone(), "cas needs [old new]");
        };
        let k = self.stored(key);
        let body = json!({
            "compare": [{ "key": k, "target": "VALUE", "result": "EQUAL", "value": B64.encode(old.to_string()) }],
            "success": [{ "request_put": { "key": k, "value": B64.encode(new.to_string()) } }],
            "failure": [],
        });
        match self.post("/v3/kv/txn", body, pair).await {
            // A txn whose compare failed omits "succeeded": it ran and did nothing.
            Ok(reply) if reply["succeeded"] == json!(true) => Completion::ok(pair.clone()),
            Ok(reply) if reply.get("header").is_some() => {
                Completion::fail(pair.clone(), "compare failed")
            }
            Ok(reply) => Completion::info(pair.clone(), format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }
}

impl Client for EtcdClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let key = key.unwrap_or("faultline");
        match f {
            "read" if self.workload == WorkloadKind::Set => self.read_set(key).await,
            "add" if self.workload == WorkloadKind::Set => self.add(key, value).await,
            "read" if self.workload == WorkloadKind::Counter => self.read_counter(key).await,
            "add" if self.workload == WorkloadKind::Counter => self.increment(key, value).await,
            "read" if self.workload == WorkloadKind::Bank => self.read_bank(key).await,
            "transfer" => self.transfer(key, value).await,
            "put" => self.put(key, value).await,
            "watch" => self.watch(key).await,
            "read" => self.read(key).await,
            "write" => self.write(key, value).await,
            "cas" => self.cas(key, value).await,
            "txn" => self.txn(value).await,
            "generate" => self.generate(key).await,
            "acquire" => self.lock.acquire(|token| self.acquire(key, token)).await,
            "release" => self.lock.release(|token| self.release(key, token)).await,
            other => Completion::fail(
                value.clone(),
                format!("the etcd client has no operation `{other}`"),
            ),
        }
    }
}

/// The value of the first key-value pair of a range reply (null when absent).
pub(super) fn first_value(kvs: &Value) -> Result<Value, String> {
    let Some(encoded) = kvs.get(0).and_then(|kv| kv.get("value")) else {
        return Ok(Value::Null); // missing key: no "kvs" at all
    };
    let bytes = B64
        .decode(encoded.as_str().unwrap_or(""))
        .map_err(|e| format!("bad base64 in reply: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned())))
}

fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .or(v.get("message"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_from_range_replies() {
        assert_eq!(first_value(&Value::Null), Ok(Value::Null));
        let kvs = json!([{ "key": "aw==", "value": B64.encode("3") }]);
        assert_eq!(first_value(&kvs), Ok(json!(3)));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_definite_failure() {
        // Nothing listens on this loopback port (bound then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = EtcdClient::new(
            &format!("http://127.0.0.1:{port}"),
            Duration::from_secs(2),
            false,
        );
        let done = client.invoke("write", Some("k"), &json!(1)).await;
        assert_eq!(
            (done.kind, done.error.as_deref()),
            (faultline_core::OpType::Fail, Some("connection refused"))
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_gives_an_unknown_outcome() {
        // An in-process fake: accepts the connection and never replies.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hold = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        let client = EtcdClient::new(&url, Duration::from_millis(300), false);
        let done = client.invoke("cas", Some("k"), &json!([1, 2])).await;
        assert_eq!(done.kind, faultline_core::OpType::Info);
        hold.abort();
    }
}

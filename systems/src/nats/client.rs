//! A JetStream client on the `async-nats` crate, connected to its own
//! node's server. A send publishes to the key's subject and waits for the
//! stream's acknowledgement: `ok` with `[sequence, message]`; no server
//! taking it (no responders) is `fail`; anything else unanswered is
//! `info`. A poll asks the stream for the next message of the subject
//! after this consumer's position, a few times (`STREAM.MSG.GET` with
//! `next_by_subj`, answered by the stream's leader); a read from the start
//! does so from sequence 1 until the stream has no more. An operation that
//! finds no stream fails and makes it (the run's first do): asking for it
//! before every client's first operation would need JetStream's metadata
//! leader, which a read of the stream does not.

use super::db::PORT;
use crate::failure::{read_completion, Failure};
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::{Config, StorageType};
use async_nats::jetstream::Context;
use base64::Engine;
use faultline_checkers::stream::reads_from_start;
use faultline_core::{Client, Completion, Node, Value};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;

/// The stream every key's subject belongs to.
pub const STREAM: &str = "faultline";
/// Messages one poll returns at most.
const POLL_COUNT: usize = 10;
/// Messages a read from the start returns at most.
const MAX_READ: usize = 1_000_000;
/// JetStream's error code for "no message found".
const NO_MESSAGE: u64 = 10037;
/// JetStream's error code for "stream not found".
const STREAM_NOT_FOUND: u64 = 10059;

/// Talks to one NATS server for one client process.
pub struct NatsClient {
    url: String,
    replicas: usize,
    key_prefix: String,
    timeout: Duration,
    context: Mutex<Option<Context>>,
    /// The sequence of the last message this consumer read of each subject.
    positions: Mutex<HashMap<String, u64>>,
}

impl NatsClient {
    /// A client of the server on `node`, for a stream of `replicas`, its
    /// subjects under `key_prefix`.
    pub fn new(node: &Node, replicas: usize, key_prefix: &str, timeout: Duration) -> NatsClient {
        NatsClient {
            url: format!("nats://{}:{PORT}", node.host),
            replicas,
            key_prefix: key_prefix.to_owned(),
            timeout,
            context: Mutex::new(None),
            positions: Mutex::new(HashMap::new()),
        }
    }

    /// The subject of `key`: under the stream's, with NATS's wildcards and
    /// separators' neighbours kept out.
    fn subject(&self, key: &str) -> String {
        let name: String = format!("{}{key}", self.key_prefix)
            .chars()
            .map(|c| match c {
                '*' | '>' | ' ' | '\t' | '/' => '_',
                c => c,
            })
            .collect();
        format!("{STREAM}.{name}")
    }

    /// The JetStream context, connected on first use (async-nats
    /// reconnects it by itself after that).
    async fn jetstream(&self) -> Result<Context, Failure> {
        let mut slot = self.context.lock().await;
        if let Some(context) = slot.as_ref() {
            return Ok(context.clone());
        }
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(1))
            .request_timeout(Some(self.timeout))
            .connect(&self.url)
            .await
            .map_err(|e| Failure::Unreachable(format!("cannot connect to {}: {e}", self.url)))?;
        let mut context = async_nats::jetstream::new(client);
        context.set_timeout(self.timeout);
        *slot = Some(context.clone());
        Ok(context)
    }

    /// Makes the stream, which an operation found missing (the first of
    /// the run, or after a failure lost it); says how that went, for the
    /// operation's error.
    async fn make_stream(&self, js: &Context) -> String {
        let config = Config {
            name: STREAM.to_owned(),
            subjects: vec![format!("{STREAM}.>")],
            storage: StorageType::File,
            num_replicas: self.replicas,
            ..Default::default()
        };
        match js.get_or_create_stream(config).await {
            Ok(_) => "the stream is there now".to_owned(),
            Err(e) => format!("making the stream failed: {e}"),
        }
    }

    /// Publishes `message` to `key`'s subject and waits for the stream.
    async fn send(&self, key: &str, message: &Value) -> Completion {
        let js = match self.jetstream().await {
            Ok(js) => js,
            Err(failure) => return failure.completion(message.clone()),
        };
        let payload = message.to_string().into_bytes().into();
        let acked = match js.publish(self.subject(key), payload).await {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match acked {
            Ok(ack) => Completion::ok(json!([ack.sequence, message])),
            // Nothing subscribed to the subject: no server took it.
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                let made = self.make_stream(&js).await;
                Completion::fail(message.clone(), format!("not taken: {e}; {made}"))
            }
            Err(e) => Completion::info(message.clone(), e.to_string()),
        }
    }

    /// The next message of `subject` at or after `sequence`, or none.
    async fn next(
        &self,
        js: &Context,
        subject: &str,
        sequence: u64,
    ) -> Result<Option<(u64, Value)>, Failure> {
        let request = json!({ "seq": sequence, "next_by_subj": subject });
        let answer: serde_json::Value = js
            .request(format!("STREAM.MSG.GET.{STREAM}"), &request)
            .await
            .map_err(|e| Failure::Unknown(e.to_string()))?;
        if let Some(error) = answer.get("error") {
            return match error["err_code"].as_u64() {
                Some(NO_MESSAGE) => Ok(None),
                Some(STREAM_NOT_FOUND) => {
                    let made = self.make_stream(js).await;
                    Err(Failure::Certain(format!("rejected: {error}; {made}")))
                }
                _ => Err(Failure::Certain(format!("rejected: {error}"))),
            };
        }
        let message = &answer["message"];
        let (Some(seq), Some(data)) = (message["seq"].as_u64(), message["data"].as_str()) else {
            return Err(Failure::Certain(format!(
                "an answer without a message: {answer}"
            )));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| Failure::Certain(format!("a message that is not base64: {e}")))?;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(Some((seq, value)))
    }

    /// The messages after this consumer's position, or every message from
    /// the start: `[[sequence, message], …]`.
    async fn poll(&self, key: &str, from: &Value) -> Completion {
        let from_start = match reads_from_start(from) {
            Ok(from_start) => from_start,
            Err(why) => return Completion::fail(from.clone(), why),
        };
        let js = match self.jetstream().await {
            Ok(js) => js,
            Err(failure) => return read_completion(Err(failure)),
        };
        let subject = self.subject(key);
        let mut positions = self.positions.lock().await;
        let mut after = if from_start {
            0
        } else {
            positions.get(key).copied().unwrap_or(0)
        };
        let limit = if from_start { MAX_READ } else { POLL_COUNT };
        let mut read = Vec::new();
        while read.len() < limit {
            match self.next(&js, &subject, after + 1).await {
                Ok(Some((seq, message))) => {
                    read.push(json!([seq, message]));
                    after = seq;
                }
                Ok(None) => break,
                // A poll may stop short; a read from the start may not.
                Err(_) if !from_start && !read.is_empty() => break,
                Err(failure) => return read_completion(Err(failure)),
            }
        }
        if from_start && read.len() >= limit {
            return Completion::fail(
                Value::Null,
                format!("more than {MAX_READ} messages: not read to the end"),
            );
        }
        if !read.is_empty() {
            positions.insert(key.to_owned(), after);
        }
        Completion::ok(Value::Array(read))
    }
}

impl Client for NatsClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let key = key.unwrap_or("faultline");
        match f {
            "send" => self.send(key, value).await,
            "poll" => self.poll(key, value).await,
            other => Completion::fail(
                value.clone(),
                format!("the NATS client has no `{other}`: it serves the stream workload"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::OpType;

    fn node(host: &str) -> Node {
        Node {
            name: "n1".into(),
            host: host.into(),
            dir: "/tmp".into(),
        }
    }

    #[test]
    fn subjects_stay_under_the_stream_with_no_wildcard() {
        let client = NatsClient::new(&node("10.0.0.1"), 3, "ab12/", Duration::from_secs(1));
        assert_eq!(client.subject("q0.4"), "faultline.ab12_q0.4");
        assert_eq!(client.subject("a*b>c"), "faultline.ab12_a_b_c");
    }

    #[tokio::test]
    async fn a_refused_connection_fails_a_send_for_certain() {
        // Loopback, where nothing listens on NATS's port in a test.
        let client = NatsClient::new(&node("127.0.0.9"), 1, "", Duration::from_secs(1));
        let done = client.invoke("send", Some("k"), &Value::from(3)).await;
        assert_eq!(done.kind, OpType::Fail, "{done:?}");
        assert!(done.unavailable, "{done:?}");
        let poll = client.invoke("poll", Some("k"), &Value::Null).await;
        assert_eq!(poll.kind, OpType::Fail, "{poll:?}");
    }
}

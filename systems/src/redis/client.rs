//! A Redis client on the `redis` crate (async, multiplexed): writes go to
//! the primary, reads to the primary or to the client's own node. Register
//! values and set elements are stored as JSON text; a compare-and-set is a
//! Lua script (atomic on the server); a counter is `INCRBY`; a
//! transaction is `MULTI` / `EXEC` (`txn.rs`); a stream's sends and polls
//! are `XADD` and `XRANGE` (`stream.rs`).

use super::db::PORT;
use crate::failure::{read_completion, write_completion, Failure};
use faultline_core::{Client, Completion, Node, Value};
use faultline_workloads::WorkloadKind;
use redis::aio::MultiplexedConnection;
use redis::{Cmd, FromRedisValue, RedisError};
use std::time::Duration;
use tokio::sync::Mutex;

/// Sets `KEYS[1]` to `ARGV[2]` only if it holds `ARGV[1]`.
const CAS: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 else return 0 end";

/// Deletes `KEYS[1]` only if it holds `ARGV[1]` (a lock's release).
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// A connection to the server at `url`: 1 s to connect, `timeout` for
/// every reply.
pub(super) async fn connect(
    url: &str,
    timeout: Duration,
) -> Result<MultiplexedConnection, RedisError> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Duration::from_secs(1))
        .set_response_timeout(timeout);
    redis::Client::open(url)?
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// One server, connected on first use and again after a lost connection.
pub(super) struct Endpoint {
    url: String,
    /// Sentinels (`host:port`) to ask where the server is, each time it is
    /// connected: then `url` is not used (the primary under `--sentinel`).
    sentinels: Vec<String>,
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl Endpoint {
    fn new(node: &Node) -> Endpoint {
        Endpoint::at(&format!("redis://{}:{PORT}/", node.host))
    }

    /// The server at `url`.
    pub(super) fn at(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_owned(),
            sentinels: Vec::new(),
            connection: Mutex::new(None),
        }
    }
}

/// Talks to one Redis deployment for one client process.
pub struct RedisClient {
    pub(super) primary: Endpoint,
    /// Where reads go, when not to the primary.
    pub(super) reads: Option<Endpoint>,
    pub(super) workload: WorkloadKind,
    key_prefix: String,
    timeout: Duration,
    /// The lock this process holds, if any (the lock workload).
    lock: crate::lock_token::LockToken,
    /// Where this consumer is in each stream (the stream workload).
    pub(super) positions: super::stream::Positions,
}

impl RedisClient {
    /// A client writing to `primary`, reading from `reads` (or the
    /// primary), performing `workload`'s operations on keys under `key_prefix`.
    pub fn new(
        primary: &Node,
        reads: Option<&Node>,
        workload: WorkloadKind,
        key_prefix: &str,
        timeout: Duration,
    ) -> RedisClient {
        RedisClient {
            primary: Endpoint::new(primary),
            reads: reads.map(Endpoint::new),
            workload,
            key_prefix: key_prefix.to_owned(),
            timeout,
            lock: Default::default(),
            positions: Default::default(),
        }
    }

    /// The same client finding the primary by asking `sentinels`
    /// (`host:port`, in order) each time it connects to it.
    pub fn with_sentinels(mut self, sentinels: Vec<String>) -> RedisClient {
        self.primary.sentinels = sentinels;
        self
    }

    /// The endpoint's connection, made on first use.
    async fn connection(&self, at: &Endpoint) -> Result<MultiplexedConnection, Failure> {
        let mut slot = at.connection.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let url = if at.sentinels.is_empty() {
            at.url.clone()
        } else {
            let primary = super::sentinel::current_primary(&at.sentinels, Duration::from_secs(1))
                .await
                .map_err(Failure::Unreachable)?;
            format!("redis://{primary}/")
        };
        let c = connect(&url, self.timeout)
            .await
            .map_err(|e| Failure::Unreachable(format!("cannot connect to {url}: {e}")))?;
        *slot = Some(c.clone());
        Ok(c)
    }

    pub(super) async fn query<T: FromRedisValue>(
        &self,
        at: &Endpoint,
        cmd: &Cmd,
    ) -> Result<T, Failure> {
        let mut connection = self.connection(at).await?;
        match cmd.query_async(&mut connection).await {
            Ok(value) => Ok(value),
            Err(e) => Err(self.failed(at, e).await),
        }
    }

    /// Sends `pipe` (a transaction, when atomic) and reads its replies.
    pub(super) async fn query_pipe<T: FromRedisValue>(
        &self,
        at: &Endpoint,
        pipe: &redis::Pipeline,
    ) -> Result<T, Failure> {
        let mut connection = self.connection(at).await?;
        match pipe.query_async(&mut connection).await {
            Ok(value) => Ok(value),
            Err(e) => Err(self.failed(at, e).await),
        }
    }

    /// Classifies `e`; a connection that broke is dropped for a fresh one.
    async fn failed(&self, at: &Endpoint, e: RedisError) -> Failure {
        if e.code().is_some() {
            // READONLY, LOADING, MASTERDOWN...: the server refused it. A
            // primary demoted to a replica says READONLY: under sentinels
            // the next connection asks them where the primary went.
            if e.code() == Some("READONLY") {
                *at.connection.lock().await = None;
            }
            return Failure::Certain(format!("rejected: {e}"));
        }
        *at.connection.lock().await = None;
        if e.is_connection_refusal() {
            Failure::Unreachable(e.to_string())
        } else if e.is_timeout() {
            Failure::Unknown("timeout".into())
        } else {
            Failure::Unknown(e.to_string())
        }
    }

    pub(super) fn key(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }

    async fn read(&self, key: &str) -> Result<Value, Failure> {
        let from = self.reads.as_ref().unwrap_or(&self.primary);
        let key = self.key(key);
        Ok(match self.workload {
            WorkloadKind::Set => {
                let members: Vec<String> =
                    self.query(from, redis::cmd("SMEMBERS").arg(&key)).await?;
                let mut elements: Vec<Value> = members
                    .iter()
                    .map(|m| serde_json::from_str(m).unwrap_or_else(|_| Value::String(m.clone())))
                    .collect();
                elements.sort_by_key(|e| e.as_i64());
                Value::Array(elements)
            }
            _ => {
                let text: Option<String> = self.query(from, redis::cmd("GET").arg(&key)).await?;
                match text {
                    Some(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
                    None if self.workload == WorkloadKind::Counter => Value::from(0),
                    None => Value::Null,
                }
            }
        })
    }

    /// Performs a write-like operation; `Ok(false)`: a compare that did not hold.
    async fn write(&self, f: &str, key: &str, value: &Value) -> Result<bool, Failure> {
        let key = self.key(key);
        let p = &self.primary;
        match (f, self.workload) {
            ("add", WorkloadKind::Set) => {
                let _: i64 = self
                    .query(p, redis::cmd("SADD").arg(&key).arg(value.to_string()))
                    .await?;
            }
            ("add", WorkloadKind::Counter) => {
                let by = value.as_i64().ok_or_else(|| {
                    Failure::Certain("rejected: an increment needs an integer".into())
                })?;
                let _: i64 = self
                    .query(p, redis::cmd("INCRBY").arg(&key).arg(by))
                    .await?;
            }
            ("acquire", _) => {
                // SET NX PX: the lock, expiring on its own.
                let token = value.as_str().unwrap_or_default();
                let cmd = redis::cmd("SET")
                    .arg(&key)
                    .arg(token)
                    .arg("NX")
                    .arg("PX")
                    .arg(crate::lock_token::LEASE_SECONDS * 1000)
                    .clone();
                let set: Option<String> = self.query(p, &cmd).await?;
                return Ok(set.is_some());
            }
            ("release", _) => {
                let token = value.as_str().unwrap_or_default();
                let cmd = redis::cmd("EVAL")
                    .arg(RELEASE)
                    .arg(1)
                    .arg(&key)
                    .arg(token)
                    .clone();
                let deleted: i64 = self.query(p, &cmd).await?;
                return Ok(deleted == 1);
            }
            ("write", _) => {
                let _: () = self
                    .query(p, redis::cmd("SET").arg(&key).arg(value.to_string()))
                    .await?;
            }
            ("cas", _) => {
                let (Some(old), Some(new)) = (value.get(0), value.get(1)) else {
                    return Err(Failure::Certain("rejected: cas needs [old new]".into()));
                };
                let cmd = redis::cmd("EVAL")
                    .arg(CAS)
                    .arg(1)
                    .arg(&key)
                    .arg(old.to_string())
                    .arg(new.to_string())
                    .clone();
                let done: i64 = self.query(p, &cmd).await?;
                return Ok(done == 1);
            }
            (other, workload) => {
                return Err(Failure::Certain(format!(
                    "rejected: the Redis client has no `{other}` in the {workload} workload"
                )))
            }
        }
        Ok(true)
    }
}

impl RedisClient {
    /// An acquire or release of the lock `key` with `token`.
    async fn lock_op(&self, f: &str, key: &str, token: String) -> Completion {
        let outcome = self.write(f, key, &Value::String(token)).await;
        let refused = if f == "acquire" {
            "held by another process"
        } else {
            "not held by this process (it expired)"
        };
        write_completion(outcome, Value::Null, refused)
    }
}

impl RedisClient {
    /// A new id from the generator `key`: `INCR`, atomic on the primary.
    async fn generate(&self, key: &str) -> Completion {
        let cmd = redis::cmd("INCR").arg(self.key(key)).clone();
        match self.query::<i64>(&self.primary, &cmd).await {
            Ok(id) => Completion::ok(Value::from(id)),
            Err(failure) => failure.completion(Value::Null),
        }
    }
}

impl Client for RedisClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let key = key.unwrap_or("faultline");
        match f {
            "acquire" => return self.lock.acquire(|t| self.lock_op(f, key, t)).await,
            "release" => return self.lock.release(|t| self.lock_op(f, key, t)).await,
            "generate" => return self.generate(key).await,
            "send" => return self.send(key, value).await,
            "poll" => return self.poll(key, value).await,
            "transfer" => return self.transfer(key, value).await,
            "read" if self.workload == WorkloadKind::Bank => return self.read_bank(key).await,
            "txn" => {
                let Some(mops) = value.as_array() else {
                    return Completion::fail(
                        value.clone(),
                        "a transaction is a list of micro-operations",
                    );
                };
                return match self.txn(mops).await {
                    Ok(done) => Completion::ok(done),
                    Err(failure) => failure.completion(value.clone()),
                };
            }
            _ => {}
        }
        if f == "read" {
            return read_completion(self.read(key).await);
        }
        write_completion(
            self.write(f, key, value).await,
            value.clone(),
            "compare failed",
        )
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

    #[tokio::test]
    async fn a_refused_connection_is_a_definite_failure_and_the_node_unavailable() {
        // Loopback, where nothing listens on Redis's port in a test.
        let client = RedisClient::new(
            &node("127.0.0.9"),
            None,
            WorkloadKind::Register,
            "",
            Duration::from_secs(2),
        );
        let done = client.invoke("write", Some("k"), &Value::from(3)).await;
        assert_eq!(done.kind, OpType::Fail, "{done:?}");
        assert!(done.unavailable, "{done:?}");
        let read = client.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!(read.kind, OpType::Fail);
    }

    #[tokio::test]
    async fn a_server_that_never_answers_leaves_a_write_unknown() {
        // An in-process fake: accepts connections and never replies.
        let (port, hold) = crate::silent_server::silent_server().await;
        let mut client = RedisClient::new(
            &node("127.0.0.1"),
            None,
            WorkloadKind::Set,
            "",
            Duration::from_millis(300),
        );
        client.primary.url = format!("redis://127.0.0.1:{port}/");
        let done = client.invoke("add", Some("s"), &Value::from(7)).await;
        // Sent and unanswered is unknown; only a handshake that timed out
        // (nothing of the add sent) may say it certainly failed.
        let why = done.error.clone().unwrap_or_default();
        assert!(
            done.kind == OpType::Info
                || (done.kind == OpType::Fail && why.contains("cannot connect")),
            "{done:?}"
        );
        hold.abort();
    }
}

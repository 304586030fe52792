//! Transactions in Redis: every micro-operation of one transaction queued
//! between `MULTI` and `EXEC`, which Redis runs as one step, nothing of
//! another client's in between (Redis documentation, "Transactions").
//! List-append keys are lists (`LRANGE`, `RPUSH`), rw-register keys
//! strings (`GET`, `SET`). Nothing depends on what a transaction reads, so
//! no `WATCH` is needed. Read-only transactions go where reads go.
//!
//! Redis does not roll back: a command that fails inside `EXEC` leaves the
//! others applied. Only a transaction refused as a whole (a server that is
//! loading, read-only or without its primary; `EXECABORT` where the error
//! says so) certainly did nothing; any other error after `EXEC` was sent
//! is unknown. redis-rs reports an `EXECABORT` answer to `EXEC` as an
//! unreadable reply without its code, so that one is unknown too: safe,
//! if weaker.

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

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::{Client, Node, OpType};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// An in-process fake Redis (unit tests only): `+OK` to every command
    /// outside a transaction, `+QUEUED` inside one, and `exec` as the raw
    /// reply to `EXEC`.
    async fn fake_redis(exec: &'static str) -> (u16, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let serve = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let mut in_multi = false;
                    // Each command: `*N`, then `$len` and the word, N times.
                    while let Ok(Some(header)) = lines.next_line().await {
                        let n: usize = header.trim_start_matches('*').parse().unwrap_or(0);
                        let mut words = Vec::new();
                        for _ in 0..n {
                            let _ = lines.next_line().await;
                            words.push(lines.next_line().await.ok().flatten().unwrap_or_default());
                        }
                        let reply = match words.first().map(|w| w.to_uppercase()).as_deref() {
                            Some("MULTI") => {
                                in_multi = true;
                                "+OK\r\n"
                            }
                            Some("EXEC") => {
                                in_multi = false;
                                exec
                            }
                            _ if in_multi => "+QUEUED\r\n",
                            _ => "+OK\r\n",
                        };
                        if write.write_all(reply.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (port, serve)
    }

    async fn txn_against(exec: &'static str) -> faultline_core::Completion {
        let (port, serve) = fake_redis(exec).await;
        let node = Node {
            name: "n1".into(),
            host: "127.0.0.1".into(),
            dir: "/tmp".into(),
        };
        let mut client = RedisClient::new(
            &node,
            None,
            WorkloadKind::Append,
            "",
            Duration::from_secs(2),
        );
        client.primary = super::super::client::Endpoint::at(&format!("redis://127.0.0.1:{port}/"));
        let done = client
            .invoke("txn", None, &json!([["append", 1, 5], ["r", 2, null]]))
            .await;
        serve.abort();
        done
    }

    #[tokio::test]
    async fn an_error_inside_exec_leaves_the_transaction_unknown() {
        // The append applied, the read failed: Redis does not roll back.
        let done = txn_against(
            "*2\r\n:1\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        )
        .await;
        assert_eq!(done.kind, OpType::Info, "{done:?}");
    }

    #[tokio::test]
    async fn an_exec_the_client_cannot_read_is_unknown_never_ok() {
        // redis-rs reports EXEC's `-EXECABORT` as an unreadable multi
        // response, without the code: the outcome is then unknown, which
        // is safe (a `fail` would claim nothing applied).
        let done =
            txn_against("-EXECABORT Transaction discarded because of previous errors.\r\n").await;
        assert_eq!(done.kind, OpType::Info, "{done:?}");
    }

    #[tokio::test]
    async fn an_answered_transaction_fills_in_its_reads() {
        let done = txn_against("*2\r\n:1\r\n*2\r\n$1\r\n3\r\n$1\r\n4\r\n").await;
        assert_eq!(done.kind, OpType::Ok, "{done:?}");
        assert_eq!(done.value, json!([["append", 1, 5], ["r", 2, [3, 4]]]));
    }
}

//! A client that is any program: started once per client process (on the
//! controller, `sh -c <program>`), it gets one JSON request per line on
//! stdin — `{"f": "write", "key": "k", "value": 3, "node": "n1"}` — and
//! answers one JSON reply per line on stdout — `{"type": "ok" | "fail" |
//! "info", "value": ..., "error": ...}`. No reply within the operation
//! timeout is `info`, and the program is restarted (a late reply would be
//! taken for the next request's). A committed transaction's reply must
//! carry its micro-operations with the reads filled in: one without them
//! is recorded as unknown, never read as a transaction that saw nothing.

use faultline_core::{Client, Completion, OpType, Value};
use faultline_workloads::WorkloadKind;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

struct Running {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// One client process's program.
pub struct ProgramClient {
    command: String,
    node: String,
    timeout: Duration,
    running: Mutex<Option<Running>>,
    /// What a key holds: an ok read of a set lists its elements, of a
    /// counter gives an integer.
    workload: WorkloadKind,
}

impl ProgramClient {
    /// A client running `command` (placeholders already filled) for `node`.
    pub fn new(command: String, node: String, timeout: Duration) -> ProgramClient {
        ProgramClient {
            command,
            node,
            timeout,
            running: Mutex::new(None),
            workload: WorkloadKind::Register,
        }
    }

    /// The same client for `workload`, whose ok reads must say what it holds.
    pub fn with_workload(mut self, workload: WorkloadKind) -> ProgramClient {
        self.workload = workload;
        self
    }

    fn spawn(&self) -> std::io::Result<Running> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        Ok(Running {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }
}

/// Why an ok reply to the transaction `request` cannot be recorded as
/// committed: its value must be the request's micro-operations, in order,
/// with each read's result in place of its null.
fn txn_reply_problem(request: &Value, reply: &Value) -> Option<String> {
    let asked = request.as_array()?;
    let Some(answered) = reply.as_array().filter(|a| a.len() == asked.len()) else {
        return Some(format!(
            "the client program's ok reply to a txn needs \"value\": its {} micro-operations with the reads filled in, such as [[\"r\", \"x\", [1, 2]], [\"append\", \"x\", 3]]; got {reply}",
            asked.len()
        ));
    };
    asked.iter().zip(answered).find_map(|(a, b)| {
        let same = a.get(0) == b.get(0) && a.get(1) == b.get(1);
        let write_kept = a.get(0).and_then(Value::as_str) == Some("r") || a.get(2) == b.get(2);
        (!same || !write_kept).then(|| {
            format!("the client program's ok reply to a txn changed the micro-operation {a} into {b}: reply with the request's micro-operations in order, each read's null replaced by what it read")
        })
    })
}

/// Reads a reply line to `f` with `echo` into a completion for `workload`.
fn completion(line: &str, f: &str, echo: &Value, workload: WorkloadKind) -> Completion {
    let Ok(reply) = serde_json::from_str::<Value>(line) else {
        return Completion::info(
            echo.clone(),
            format!("the client program's reply is not JSON: {}", line.trim()),
        );
    };
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    let error = reply
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind = match reply.get("type").and_then(Value::as_str) {
        Some("ok") => OpType::Ok,
        Some("fail") => OpType::Fail,
        Some("info") => OpType::Info,
        _ => {
            return Completion::info(
                echo.clone(),
                format!(
                    "the client program's reply needs \"type\": \"ok\", \"fail\" or \"info\": {}",
                    line.trim()
                ),
            )
        }
    };
    if kind == OpType::Ok && f == "txn" {
        if let Some(problem) = txn_reply_problem(echo, &value) {
            return Completion::info(echo.clone(), problem);
        }
    }
    // What such a read saw is unknown, never an empty set or a zero.
    let unread = match workload {
        WorkloadKind::Set if !value.is_array() => {
            Some("the set's elements as a list, such as [3, 7]")
        }
        WorkloadKind::Counter if value.as_i64().is_none() => {
            Some("the counter's value, an integer")
        }
        WorkloadKind::Bank if !value.is_array() => {
            Some("every balance as a list, one per account, such as [10, 7, 13, 10, 10]")
        }
        _ => None,
    };
    // An acknowledged generate without its id would hide a duplicate.
    if kind == OpType::Ok && f == "generate" && value.is_null() {
        return Completion::info(
            echo.clone(),
            "the client program's ok reply to a generate needs \"value\": the id it was given",
        );
    }
    if let Some(needed) = unread.filter(|_| kind == OpType::Ok && f == "read") {
        return Completion::info(
            echo.clone(),
            format!("the client program's ok reply to a {workload} read needs \"value\": {needed}; got {value}"),
        );
    }
    let backoff = reply
        .get("backoff_ms")
        .and_then(Value::as_f64)
        .filter(|ms| ms.is_finite() && *ms > 0.0)
        .map(|ms| std::time::Duration::from_secs_f64(ms.min(60_000.0) / 1000.0));
    Completion {
        kind,
        value: if kind == OpType::Ok {
            value
        } else {
            echo.clone()
        },
        error,
        backoff,
        unavailable: kind != OpType::Ok && reply.get("unavailable") == Some(&Value::Bool(true)),
    }
}

impl Client for ProgramClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let mut running = self.running.lock().await;
        if running.is_none() {
            match self.spawn() {
                Ok(r) => *running = Some(r),
                Err(e) => {
                    return Completion::fail(
                        value.clone(),
                        format!("cannot start the client program: {e}"),
                    )
                }
            }
        }
        let Some(r) = running.as_mut() else {
            return Completion::fail(value.clone(), "no client program");
        };
        let request = json!({ "f": f, "key": key, "value": value, "node": self.node });
        let line = format!("{request}\n");
        if let Err(e) = r.stdin.write_all(line.as_bytes()).await {
            // Not delivered: it cannot have taken effect.
            *running = None;
            return Completion::fail(value.clone(), format!("the client program is gone: {e}"));
        }
        let _ = r.stdin.flush().await;
        let mut reply = String::new();
        match tokio::time::timeout(self.timeout, r.stdout.read_line(&mut reply)).await {
            Ok(Ok(n)) if n > 0 => completion(&reply, f, value, self.workload),
            Ok(_) => {
                let _ = r.child.start_kill();
                *running = None;
                Completion::info(value.clone(), "the client program exited without replying")
            }
            Err(_) => {
                let _ = r.child.start_kill();
                *running = None;
                Completion::info(
                    value.clone(),
                    format!("no reply within {} s", self.timeout.as_secs_f64()),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The programs here are tiny shell scripts standing in for real clients.
    #[tokio::test]
    async fn replies_map_to_outcomes_and_silence_is_unknown() {
        let echo_ok = ProgramClient::new(
            r#"while read line; do echo '{"type":"ok","value":7}'; done"#.into(),
            "n1".into(),
            Duration::from_secs(5),
        );
        let done = echo_ok.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!((done.kind, done.value), (OpType::Ok, json!(7)));
        let fails = ProgramClient::new(
            r#"while read line; do echo '{"type":"fail","error":"refused"}'; done"#.into(),
            "n1".into(),
            Duration::from_secs(5),
        );
        let done = fails.invoke("write", Some("k"), &json!(3)).await;
        assert_eq!(
            (done.kind, done.error.as_deref()),
            (OpType::Fail, Some("refused"))
        );
        let silent = ProgramClient::new("sleep 30".into(), "n1".into(), Duration::from_millis(200));
        let done = silent.invoke("write", Some("k"), &json!(3)).await;
        assert_eq!(done.kind, OpType::Info);
        let garbage = ProgramClient::new(
            "while read line; do echo nope; done".into(),
            "n1".into(),
            Duration::from_secs(5),
        );
        let done = garbage.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!(done.kind, OpType::Info);
        assert!(done.error.unwrap().contains("not JSON"));
    }

    #[test]
    fn a_reply_says_when_the_node_would_not_serve() {
        let refused = completion(
            r#"{"type":"fail","error":"connection refused","unavailable":true}"#,
            "write",
            &json!(3),
            WorkloadKind::Register,
        );
        assert!(refused.unavailable && refused.kind == OpType::Fail);
        let conflict = completion(
            r#"{"type":"fail","error":"conflict"}"#,
            "txn",
            &json!([]),
            WorkloadKind::Register,
        );
        assert!(!conflict.unavailable, "an ordinary failure is a result");
        let odd = completion(
            r#"{"type":"ok","value":1,"unavailable":true}"#,
            "read",
            &Value::Null,
            WorkloadKind::Register,
        );
        assert!(!odd.unavailable, "what took effect was served");
    }

    #[test]
    fn a_set_read_without_its_elements_is_unknown_not_empty() {
        let ok_null = r#"{"type":"ok"}"#;
        let done = completion(ok_null, "read", &Value::Null, WorkloadKind::Set);
        assert_eq!(done.kind, OpType::Info);
        assert!(done.error.unwrap().contains("elements as a list"));
        let listed = completion(
            r#"{"type":"ok","value":[3,7]}"#,
            "read",
            &Value::Null,
            WorkloadKind::Set,
        );
        assert_eq!((listed.kind, listed.value), (OpType::Ok, json!([3, 7])));
        let counter = completion(ok_null, "read", &Value::Null, WorkloadKind::Counter);
        assert!(
            counter.error.unwrap().contains("an integer"),
            "a counter's read is no zero"
        );
        // A register's read of nothing is null, and that is an answer.
        let register = completion(ok_null, "read", &Value::Null, WorkloadKind::Register);
        assert_eq!(register.kind, OpType::Ok);
        // A generate's ok without the id is no id at all.
        let generate = completion(ok_null, "generate", &Value::Null, WorkloadKind::UniqueIds);
        assert_eq!(generate.kind, OpType::Info);
        assert!(generate.error.unwrap().contains("the id it was given"));
        let given = completion(
            r#"{"type":"ok","value":41}"#,
            "generate",
            &Value::Null,
            WorkloadKind::UniqueIds,
        );
        assert_eq!((given.kind, given.value), (OpType::Ok, json!(41)));
        // A bank's read without the balances is no empty bank.
        let bank = completion(ok_null, "read", &Value::Null, WorkloadKind::Bank);
        assert_eq!(bank.kind, OpType::Info);
        assert!(bank.error.unwrap().contains("every balance as a list"));
    }

    #[tokio::test]
    async fn a_committed_txn_without_its_reads_is_unknown_not_empty() {
        let txn = json!([["r", "x", null], ["append", "x", 3]]);
        let reply_with = |reply: &str| {
            ProgramClient::new(
                format!("while read line; do echo '{reply}'; done"),
                "n1".into(),
                Duration::from_secs(5),
            )
        };
        // The reads filled in: committed, as read.
        let done = reply_with(r#"{"type":"ok","value":[["r","x",[1,2]],["append","x",3]]}"#)
            .invoke("txn", None, &txn)
            .await;
        assert_eq!(done.kind, OpType::Ok);
        assert_eq!(done.value, json!([["r", "x", [1, 2]], ["append", "x", 3]]));
        // No value, the wrong length, or another operation: unknown, with
        // the fix named; never a transaction that read nothing.
        for reply in [
            r#"{"type":"ok"}"#,
            r#"{"type":"ok","value":[["r","x",[1]]]}"#,
            r#"{"type":"ok","value":[["r","y",[1]],["append","x",3]]}"#,
            r#"{"type":"ok","value":[["r","x",[1]],["append","x",4]]}"#,
        ] {
            let done = reply_with(reply).invoke("txn", None, &txn).await;
            assert_eq!(done.kind, OpType::Info, "{reply}");
            assert_eq!(done.value, txn, "{reply}");
            let error = done.error.unwrap_or_default();
            assert!(error.contains("reply to a txn"), "{reply}: {error}");
        }
        // A failed transaction needs no reads.
        let done = reply_with(r#"{"type":"fail","error":"conflict"}"#)
            .invoke("txn", None, &txn)
            .await;
        assert_eq!(done.kind, OpType::Fail);
    }

    #[tokio::test]
    async fn the_request_carries_f_key_value_and_node() {
        // Echoes the request back as the value.
        let echo = ProgramClient::new(
            r#"while read line; do printf '{"type":"ok","value":%s}\n' "$line"; done"#.into(),
            "n2".into(),
            Duration::from_secs(5),
        );
        let done = echo.invoke("cas", Some("k"), &json!([1, 2])).await;
        assert_eq!(
            done.value,
            json!({"f": "cas", "key": "k", "value": [1, 2], "node": "n2"})
        );
    }
}

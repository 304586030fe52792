//! A PostgreSQL client on `tokio-postgres` (async; one connection per
//! client process, made again after it breaks). Writes and transactions
//! that write go to the primary; reads and read-only transactions to the
//! primary or to the client's own node. Every transaction runs at the
//! run's isolation level (`default_transaction_isolation`), lowered to
//! repeatable read on a standby, which refuses serializable.
//!
//! What a failure means, the one judgement this file makes: nothing is
//! committed until `COMMIT` (or a single statement outside a
//! transaction) is sent, and PostgreSQL rolls back any transaction whose
//! statement failed or whose connection closed; so a failure before then
//! is certain (`fail`). After it, only a refusal that rolls back (class
//! 40 "transaction rollback", 23 integrity, 22 data, 42 syntax, 25
//! transaction state: PostgreSQL 15 manual, appendix A) is certain; a
//! lost connection, a timeout or a shutdown notice leaves it unknown
//! (`info`): the commit may be on disk.

use super::db::{PORT, ROLE};
use super::Isolation;
use crate::failure::Failure;
use faultline_core::{Client, Completion, Node, Value};
use faultline_workloads::WorkloadKind;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::NoTls;

/// One server, connected on first use and again after a lost connection.
pub(super) struct Endpoint {
    config: tokio_postgres::Config,
    session: Mutex<Option<tokio_postgres::Client>>,
}

impl Endpoint {
    fn new(node: &Node, password: &str, isolation: &str) -> Endpoint {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&node.host)
            .port(PORT)
            .user(ROLE)
            .password(password)
            .dbname(ROLE)
            .application_name("faultline")
            .connect_timeout(Duration::from_secs(1))
            // libpq's options escape a space with a backslash.
            .options(format!(
                "-c default_transaction_isolation={}",
                isolation.replace(' ', "\\ ")
            ));
        Endpoint {
            config,
            session: Mutex::new(None),
        }
    }
}

/// Talks to one PostgreSQL deployment for one client process.
pub struct PostgresClient {
    pub(super) primary: Endpoint,
    /// Where reads go, when not to the primary.
    reads: Option<Endpoint>,
    workload: WorkloadKind,
    pub(super) timeout: Duration,
    /// The lock this process holds, if any (the lock workload).
    lock: crate::lock_token::LockToken,
}

/// SQLSTATE classes whose error certainly rolled the transaction back.
const ROLLED_BACK: [&str; 5] = ["40", "23", "22", "42", "25"];

pub(super) type Param<'a> = (&'a (dyn ToSql + Sync), Type);

fn key_of(mop: &Value) -> Option<i64> {
    mop.get(1).and_then(Value::as_i64)
}

impl PostgresClient {
    /// A client writing to `primary` and reading from `reads` (or the
    /// primary), performing `workload`'s operations at `isolation`, as the
    /// role `faultline` with `password`.
    pub fn new(
        primary: &Node,
        reads: Option<&Node>,
        workload: WorkloadKind,
        isolation: Isolation,
        password: &str,
        timeout: Duration,
    ) -> PostgresClient {
        // A standby refuses serializable ("cannot use serializable mode in
        // a hot standby"); repeatable read is what it offers instead.
        let on_standby = match isolation {
            Isolation::Serializable => Isolation::RepeatableRead,
            other => other,
        };
        PostgresClient {
            primary: Endpoint::new(primary, password, isolation.sql()),
            reads: reads
                .filter(|r| r.name != primary.name)
                .map(|r| Endpoint::new(r, password, on_standby.sql())),
            workload,
            timeout,
            lock: Default::default(),
        }
    }

    /// `at`'s connection, made if there is none; put back by
    /// [`PostgresClient::settle`] when it is still good.
    pub(super) async fn checkout(&self, at: &Endpoint) -> Result<tokio_postgres::Client, Failure> {
        if let Some(client) = at.session.lock().await.take() {
            return Ok(client);
        }
        match tokio::time::timeout(self.timeout, at.config.connect(NoTls)).await {
            Ok(Ok((client, connection))) => {
                tokio::spawn(connection);
                Ok(client)
            }
            Ok(Err(e)) => Err(Failure::Unreachable(format!(
                "cannot connect: {}",
                describe(&e)
            ))),
            Err(_) => Err(Failure::Unreachable("cannot connect: timeout".into())),
        }
    }

    /// Classifies what work on `client` came to, by how far it got
    /// (`committing`: something that commits was sent); the connection
    /// goes back to `at` unless it broke or may still be busy.
    pub(super) async fn settle<T>(
        &self,
        at: &Endpoint,
        client: tokio_postgres::Client,
        outcome: Result<Result<T, tokio_postgres::Error>, tokio::time::error::Elapsed>,
        committing: bool,
    ) -> Result<T, Failure> {
        let e = match outcome {
            Ok(Ok(done)) => {
                *at.session.lock().await = Some(client);
                return Ok(done);
            }
            Ok(Err(e)) => e,
            Err(_) => {
                // The server may still be working on it: this connection
                // goes (it is not put back), and with it any transaction
                // left open.
                return Err(if committing {
                    Failure::Unknown("timeout".into())
                } else {
                    Failure::Certain("timeout before anything was committed".into())
                });
            }
        };
        let why = describe(&e);
        let Some(code) = e.code().map(|c| c.code().to_owned()) else {
            return Err(if committing {
                Failure::Unknown(why)
            } else {
                Failure::Certain(why)
            });
        };
        // The server refused: end the transaction it aborted, or drop a
        // connection that cannot.
        let rollback =
            tokio::time::timeout(Duration::from_secs(1), client.batch_execute("ROLLBACK"));
        if !client.is_closed() && matches!(rollback.await, Ok(Ok(()))) {
            *at.session.lock().await = Some(client);
        }
        if code == "57P03" {
            // "the database system is starting up": as good as refused.
            return Err(Failure::Unreachable(why));
        }
        Err(
            if !committing || ROLLED_BACK.iter().any(|class| code.starts_with(class)) {
                Failure::Certain(why)
            } else {
                Failure::Unknown(why)
            },
        )
    }

    pub(super) fn reader(&self) -> &Endpoint {
        self.reads.as_ref().unwrap_or(&self.primary)
    }

    /// Runs `mops` (list-append or rw-register micro-operations) as one
    /// transaction; the mops with what each read saw.
    async fn txn(&self, mops: &[Value]) -> Result<Value, Failure> {
        let well_formed = |m: &Value| {
            key_of(m).is_some()
                && match m[0].as_str() {
                    Some("r") => true,
                    Some("append" | "w") => m[2].as_i64().is_some(),
                    _ => false,
                }
        };
        if let Some(bad) = mops.iter().find(|m| !well_formed(m)) {
            return Err(Failure::Certain(format!("bad micro-operation {bad}")));
        }
        let read_only = mops.iter().all(|m| m[0] == "r");
        let at = if read_only {
            self.reader()
        } else {
            &self.primary
        };
        let client = self.checkout(at).await?;
        let committing = AtomicBool::new(false);
        let work = transact(&client, mops, self.workload, read_only, &committing);
        let outcome = tokio::time::timeout(self.timeout, work).await;
        self.settle(at, client, outcome, committing.into_inner())
            .await
    }

    /// A single read of a register, set or counter.
    async fn read(&self, key: &str) -> Result<Value, Failure> {
        let at = self.reader();
        let client = self.checkout(at).await?;
        let outcome =
            tokio::time::timeout(self.timeout, read_one(&client, self.workload, key)).await;
        self.settle(at, client, outcome, false).await
    }

    /// One write-like statement, committed on its own; `Ok(false)`: a
    /// compare that did not hold.
    async fn write(&self, f: &str, key: &str, value: &Value) -> Result<bool, Failure> {
        let number = |v: Option<&Value>| {
            v.and_then(Value::as_i64)
                .ok_or_else(|| Failure::Certain(format!("`{f}` needs integers, not {value}")))
        };
        let (sql, params): (&str, Vec<i64>) = match (f, self.workload) {
            ("add", WorkloadKind::Set) => (
                "INSERT INTO elements (k, e) VALUES ($1, $2) RETURNING 1",
                vec![number(Some(value))?],
            ),
            ("add", WorkloadKind::Counter) => (
                "INSERT INTO counters AS c (k, v) VALUES ($1, $2) \
                 ON CONFLICT (k) DO UPDATE SET v = c.v + EXCLUDED.v RETURNING 1",
                vec![number(Some(value))?],
            ),
            ("write", _) => (
                "INSERT INTO cells (k, v) VALUES ($1, $2) \
                 ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v RETURNING 1",
                vec![number(Some(value))?],
            ),
            ("cas", _) => (
                "UPDATE cells SET v = $3 WHERE k = $1 AND v = $2 RETURNING 1",
                vec![number(value.get(0))?, number(value.get(1))?],
            ),
            (other, workload) => {
                return Err(Failure::Certain(format!(
                    "the PostgreSQL client has no `{other}` in the {workload} workload"
                )))
            }
        };
        let client = self.checkout(&self.primary).await?;
        let committing = AtomicBool::new(false);
        let work = write_one(&client, sql, key, &params, &committing);
        let outcome = tokio::time::timeout(self.timeout, work).await;
        self.settle(&self.primary, client, outcome, committing.into_inner())
            .await
    }
}

/// Runs `mops` as one transaction on `client`: `BEGIN`, a statement per
/// micro-operation, `COMMIT` (`committing` set just before it when the
/// transaction writes).
async fn transact(
    client: &tokio_postgres::Client,
    mops: &[Value],
    workload: WorkloadKind,
    read_only: bool,
    committing: &AtomicBool,
) -> Result<Value, tokio_postgres::Error> {
    let lists = workload == WorkloadKind::Append;
    client
        .batch_execute(if read_only {
            "BEGIN READ ONLY"
        } else {
            "BEGIN"
        })
        .await?;
    let mut done = Vec::with_capacity(mops.len());
    for mop in mops {
        let key = key_of(mop).unwrap_or_default();
        let k: Param = (&key, Type::INT8);
        match (mop[0].as_str(), lists) {
            (Some("r"), true) => {
                let rows = client
                    .query_typed("SELECT v FROM lists WHERE k = $1", &[k])
                    .await?;
                let items: Vec<i64> = match rows.first() {
                    Some(row) => row.try_get(0)?,
                    None => Vec::new(),
                };
                done.push(json!(["r", key, items]));
            }
            (Some("r"), false) => {
                let rows = client
                    .query_typed("SELECT v FROM registers WHERE k = $1", &[k])
                    .await?;
                let value: Option<i64> = match rows.first() {
                    Some(row) => row.try_get(0)?,
                    None => None,
                };
                done.push(json!(["r", key, value]));
            }
            (Some("append"), _) => {
                let element = mop[2].as_i64().unwrap_or_default();
                client
                    .query_typed(
                        "INSERT INTO lists AS l (k, v) VALUES ($1, ARRAY[$2::bigint]) \
                             ON CONFLICT (k) DO UPDATE SET v = l.v || $2::bigint",
                        &[k, (&element, Type::INT8)],
                    )
                    .await?;
                done.push(mop.clone());
            }
            (Some("w"), _) => {
                let value = mop[2].as_i64().unwrap_or_default();
                client
                    .query_typed(
                        "INSERT INTO registers (k, v) VALUES ($1, $2) \
                             ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
                        &[k, (&value, Type::INT8)],
                    )
                    .await?;
                done.push(mop.clone());
            }
            // `txn` let through only the three above.
            _ => done.push(mop.clone()),
        }
    }
    committing.store(!read_only, Ordering::Relaxed);
    client.batch_execute("COMMIT").await?;
    Ok(Value::Array(done))
}

/// Reads `key` of a register, set or counter.
async fn read_one(
    client: &tokio_postgres::Client,
    workload: WorkloadKind,
    key: &str,
) -> Result<Value, tokio_postgres::Error> {
    let k: Param = (&key, Type::TEXT);
    Ok(match workload {
        WorkloadKind::Set => {
            let rows = client
                .query_typed("SELECT e FROM elements WHERE k = $1 ORDER BY e", &[k])
                .await?;
            let mut elements = Vec::with_capacity(rows.len());
            for row in rows {
                elements.push(Value::from(row.try_get::<_, i64>(0)?));
            }
            Value::Array(elements)
        }
        WorkloadKind::Counter => {
            let rows = client
                .query_typed("SELECT v FROM counters WHERE k = $1", &[k])
                .await?;
            match rows.first() {
                Some(row) => Value::from(row.try_get::<_, i64>(0)?),
                None => Value::from(0),
            }
        }
        _ => {
            let rows = client
                .query_typed("SELECT v FROM cells WHERE k = $1", &[k])
                .await?;
            match rows.first() {
                Some(row) => json!(row.try_get::<_, Option<i64>>(0)?),
                None => Value::Null,
            }
        }
    })
}

/// Runs the single statement `sql` on `key` and `numbers`; whether it
/// returned a row (`committing` set as it is sent: it commits alone).
async fn write_one(
    client: &tokio_postgres::Client,
    sql: &str,
    key: &str,
    numbers: &[i64],
    committing: &AtomicBool,
) -> Result<bool, tokio_postgres::Error> {
    let mut all: Vec<Param> = vec![(&key, Type::TEXT)];
    all.extend(
        numbers
            .iter()
            .map(|p| (p as &(dyn ToSql + Sync), Type::INT8)),
    );
    committing.store(true, Ordering::Relaxed);
    let rows = client.query_typed(sql, &all).await?;
    Ok(!rows.is_empty())
}

/// Takes the lock `key` for `token` if it is free or its holder's time ran
/// out, or gives it back if `token` still holds it; whether it did.
async fn lock_statement(
    client: &tokio_postgres::Client,
    f: &str,
    key: &str,
    token: &str,
    committing: &AtomicBool,
) -> Result<bool, tokio_postgres::Error> {
    let lease = crate::lock_token::LEASE_SECONDS as f64;
    committing.store(true, Ordering::Relaxed);
    let rows = if f == "acquire" {
        // A row per lock, expiring on its own.
        client
            .query_typed(
                "INSERT INTO locks AS l (k, token, expires) \
                 VALUES ($1, $2, now() + make_interval(secs => $3)) \
                 ON CONFLICT (k) DO UPDATE SET token = EXCLUDED.token, expires = EXCLUDED.expires \
                 WHERE l.expires < now() RETURNING 1",
                &[
                    (&key, Type::TEXT),
                    (&token, Type::TEXT),
                    (&lease, Type::FLOAT8),
                ],
            )
            .await?
    } else {
        client
            .query_typed(
                "DELETE FROM locks WHERE k = $1 AND token = $2 RETURNING 1",
                &[(&key, Type::TEXT), (&token, Type::TEXT)],
            )
            .await?
    };
    Ok(!rows.is_empty())
}

/// A new id from the generator `key`: its row in `counters` raised by
/// one, the new value returned (the row's lock orders the raises, so no
/// two committed statements return one value).
async fn generate_one(
    client: &tokio_postgres::Client,
    key: &str,
    committing: &AtomicBool,
) -> Result<Value, tokio_postgres::Error> {
    committing.store(true, Ordering::Relaxed);
    let rows = client
        .query_typed(
            "INSERT INTO counters AS c (k, v) VALUES ($1, 1) \
             ON CONFLICT (k) DO UPDATE SET v = c.v + 1 RETURNING v",
            &[(&key, Type::TEXT)],
        )
        .await?;
    Ok(match rows.first() {
        Some(row) => json!(row.try_get::<_, i64>(0)?),
        None => Value::Null,
    })
}

/// The error with the server's detail, on one line.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl PostgresClient {
    /// An acquire or release of the lock `key` with `token`.
    async fn lock_op(&self, f: &str, key: &str, token: String) -> Completion {
        let client = match self.checkout(&self.primary).await {
            Ok(client) => client,
            Err(e) => return Self::completion(Err(e), Value::Null),
        };
        let committing = AtomicBool::new(false);
        let work = lock_statement(&client, f, key, &token, &committing);
        let outcome = tokio::time::timeout(self.timeout, work).await;
        let outcome = self
            .settle(&self.primary, client, outcome, committing.into_inner())
            .await;
        match outcome {
            Ok(false) if f == "acquire" => Completion::fail(Value::Null, "held by another process"),
            Ok(false) => Completion::fail(Value::Null, "not held by this process (it expired)"),
            other => Self::completion(other.map(|_| Value::Null), Value::Null),
        }
    }

    /// A new id from the generator `key`.
    async fn generate(&self, key: &str) -> Completion {
        let client = match self.checkout(&self.primary).await {
            Ok(client) => client,
            Err(e) => return Self::completion(Err(e), Value::Null),
        };
        let committing = AtomicBool::new(false);
        let work = generate_one(&client, key, &committing);
        let outcome = tokio::time::timeout(self.timeout, work).await;
        let outcome = self
            .settle(&self.primary, client, outcome, committing.into_inner())
            .await;
        Self::completion(outcome, Value::Null)
    }

    /// How an operation ended, as the history records it (`unchanged`:
    /// what a failure carries).
    pub(super) fn completion(outcome: Result<Value, Failure>, unchanged: Value) -> Completion {
        match outcome {
            Ok(done) => Completion::ok(done),
            Err(failure) => failure.completion(unchanged),
        }
    }
}

impl Client for PostgresClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let name = key.unwrap_or("faultline");
        match f {
            "acquire" => return self.lock.acquire(|t| self.lock_op(f, name, t)).await,
            "release" => return self.lock.release(|t| self.lock_op(f, name, t)).await,
            "generate" => return self.generate(name).await,
            "transfer" => return self.transfer(name, value).await,
            "read" if self.workload == WorkloadKind::Bank => return self.read_bank(name).await,
            _ => {}
        }
        let outcome = match (f, key) {
            ("txn", _) => match value.as_array() {
                Some(mops) => self.txn(mops).await,
                None => Err(Failure::Certain(
                    "a transaction is a list of micro-operations".into(),
                )),
            },
            ("read", key) => self.read(key.unwrap_or("faultline")).await,
            (f, key) => match self.write(f, key.unwrap_or("faultline"), value).await {
                Ok(true) => Ok(value.clone()),
                Ok(false) => return Completion::fail(value.clone(), "compare failed"),
                Err(e) => Err(e),
            },
        };
        let unchanged = if f == "read" {
            Value::Null
        } else {
            value.clone()
        };
        Self::completion(outcome, unchanged)
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
        // Loopback, where nothing listens on PostgreSQL's port in a test.
        let client = PostgresClient::new(
            &node("127.0.0.9"),
            None,
            WorkloadKind::Append,
            Isolation::Serializable,
            "pw",
            Duration::from_secs(2),
        );
        let txn = json!([["append", 1, 5], ["r", 1, null]]);
        let done = client.invoke("txn", None, &txn).await;
        assert_eq!(done.kind, OpType::Fail, "{done:?}");
        assert!(done.unavailable, "{done:?}");
        assert_eq!(done.value, txn, "a failed transaction keeps its request");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_fails_before_commit() {
        // An in-process fake: accepts connections and never replies, so
        // the startup handshake times out: nothing was sent that commits.
        let (port, hold) = crate::silent_server::silent_server().await;
        let mut client = PostgresClient::new(
            &node("127.0.0.1"),
            None,
            WorkloadKind::Counter,
            Isolation::ReadCommitted,
            "pw",
            Duration::from_millis(300),
        );
        client.primary.config.port(port);
        let done = client.invoke("add", Some("c0"), &json!(1)).await;
        assert_eq!(done.kind, OpType::Fail, "{done:?}");
        hold.abort();
    }

    #[test]
    fn only_a_rollback_class_makes_a_failed_commit_certain() {
        assert!(ROLLED_BACK.iter().any(|c| "40001".starts_with(c)));
        assert!(!ROLLED_BACK.iter().any(|c| "57P01".starts_with(c)));
        assert!(!ROLLED_BACK.iter().any(|c| "08006".starts_with(c)));
    }
}

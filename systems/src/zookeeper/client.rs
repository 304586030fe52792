//! A ZooKeeper client on the `zookeeper-client` crate (async, one session
//! multiplexing every request): each client process keeps a session with
//! the server on its own node, as Jepsen's ZooKeeper test does, so a
//! partition or a dead server cuts it off. Every key is a znode under
//! the run's prefix. A register's value is JSON text; a compare-and-set
//! reads the value with its version and sets it only at that version; a
//! set's elements are children of its znode; a counter is a register
//! incremented by compare-and-set; a lock is an ephemeral znode holding
//! its holder's token, gone when the holder's session ends.

use super::db::PORT;
use super::ZookeeperReads;
use crate::failure::{read_completion, write_completion, Failure};
use faultline_core::{Client, Completion, Node, Value};
use faultline_workloads::WorkloadKind;
use std::future::Future;
use std::time::Duration;
use tokio::sync::Mutex;
use zookeeper_client as zk;

/// How long a session outlives its connection: within what the servers
/// allow (1 to 10 s with their 500 ms ticks).
const SESSION_TIMEOUT: Duration = Duration::from_secs(5);

/// Talks to one ZooKeeper server for one client process.
pub struct ZookeeperClient {
    server: String,
    pub(super) reads: ZookeeperReads,
    workload: WorkloadKind,
    /// Every znode's path starts with it: the run's own.
    root: String,
    timeout: Duration,
    session: Mutex<Option<zk::Client>>,
    /// The lock this process holds, if any (the lock workload).
    lock: crate::lock_token::LockToken,
}

/// How a request to the server failed: `wrote` says whether the request
/// could have changed anything.
pub(super) fn classify(e: zk::Error, wrote: bool) -> Failure {
    use zk::Error as E;
    match e {
        // Lost or ended with the request in flight: it may have applied.
        E::ConnectionLoss | E::SessionExpired | E::ClientClosed | E::Timeout if wrote => {
            Failure::Unknown(e.to_string())
        }
        E::ConnectionLoss | E::SessionExpired | E::ClientClosed | E::Timeout => {
            Failure::Certain(e.to_string())
        }
        E::UnexpectedError(_) | E::UnexpectedErrorCode(_) | E::Custom(_) if wrote => {
            Failure::Unknown(e.to_string())
        }
        // The server answered with an error: nothing applied.
        other => Failure::Certain(format!("rejected: {other}")),
    }
}

impl ZookeeperClient {
    /// A client of the server on `node`, performing `workload`'s
    /// operations on znodes under `key_prefix`.
    pub fn new(
        node: &Node,
        reads: ZookeeperReads,
        workload: WorkloadKind,
        key_prefix: &str,
        timeout: Duration,
    ) -> ZookeeperClient {
        ZookeeperClient {
            server: format!("{}:{PORT}", node.host),
            reads,
            workload,
            root: format!("/faultline-{}", key_prefix.replace('/', "-")),
            timeout,
            session: Mutex::new(None),
            lock: Default::default(),
        }
    }

    pub(super) fn path(&self, key: &str) -> String {
        format!("{}{}", self.root, key.replace('/', "-"))
    }

    /// The session, made on first use and again once the last one ended.
    async fn session(&self) -> Result<zk::Client, Failure> {
        let mut slot = self.session.lock().await;
        if let Some(client) = slot.as_ref() {
            if !client.state().is_terminated() {
                return Ok(client.clone());
            }
        }
        *slot = None;
        let connect = zk::Client::connector()
            .with_session_timeout(SESSION_TIMEOUT)
            .with_connection_timeout(Duration::from_secs(1))
            .with_fail_eagerly()
            .connect(&self.server);
        let client = match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(Failure::Unreachable(format!("cannot connect: {e}"))),
            Err(_) => {
                return Err(Failure::Unreachable(
                    "cannot connect: no session within the operation's timeout".into(),
                ))
            }
        };
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Runs `work` on the session within the operation's timeout; past it
    /// the outcome is unknown.
    pub(super) async fn within<T, F, Fut>(&self, work: F) -> Result<T, Failure>
    where
        F: FnOnce(zk::Client) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let session = self.session().await?;
        match tokio::time::timeout(self.timeout, work(session)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::Unknown("timeout".into())),
        }
    }

    async fn read(&self, key: &str) -> Result<Value, Failure> {
        let path = self.path(key);
        let synced = self.reads == ZookeeperReads::Synced;
        let workload = self.workload;
        self.within(|c| async move {
            if synced {
                c.sync(&path).await.map_err(|e| classify(e, false))?;
            }
            if workload == WorkloadKind::Set {
                return match c.list_children(&path).await {
                    Ok(names) => {
                        let mut elements: Vec<i64> =
                            names.iter().filter_map(|n| n.parse().ok()).collect();
                        elements.sort_unstable();
                        Ok(Value::from(elements))
                    }
                    Err(zk::Error::NoNode) => Ok(Value::Array(vec![])),
                    Err(e) => Err(classify(e, false)),
                };
            }
            match c.get_data(&path).await {
                Ok((data, _)) => Ok(parse(&data)),
                Err(zk::Error::NoNode) if workload == WorkloadKind::Counter => Ok(Value::from(0)),
                Err(zk::Error::NoNode) => Ok(Value::Null),
                Err(e) => Err(classify(e, false)),
            }
        })
        .await
    }

    /// Performs a write-like operation; `Ok(false)`: a compare that did not hold.
    async fn write(&self, f: &str, key: &str, value: &Value) -> Result<bool, Failure> {
        let path = self.path(key);
        match (f, self.workload) {
            ("add", WorkloadKind::Set) => {
                let element = value.to_string();
                self.within(|c| async move { add_element(&c, &path, &element).await })
                    .await
            }
            ("add", WorkloadKind::Counter) => {
                let by = value.as_i64().ok_or_else(|| {
                    Failure::Certain("rejected: an increment needs an integer".into())
                })?;
                self.within(|c| async move { increment(&c, &path, by).await })
                    .await
            }
            ("write", _) => {
                let data = value.to_string();
                self.within(|c| async move { put(&c, &path, data.as_bytes()).await })
                    .await
            }
            ("cas", _) => {
                let (Some(old), Some(new)) = (value.get(0).cloned(), value.get(1).cloned()) else {
                    return Err(Failure::Certain("rejected: cas needs [old new]".into()));
                };
                self.within(|c| async move { compare_and_set(&c, &path, &old, &new).await })
                    .await
            }
            ("acquire", _) => {
                let token = value.as_str().unwrap_or_default().to_owned();
                self.within(|c| async move { acquire(&c, &path, &token).await })
                    .await
            }
            ("release", _) => {
                let token = value.as_str().unwrap_or_default().to_owned();
                self.within(|c| async move { release(&c, &path, &token).await })
                    .await
            }
            (other, workload) => Err(Failure::Certain(format!(
                "rejected: the ZooKeeper client has no `{other}` in the {workload} workload"
            ))),
        }
    }

    /// An acquire or release of the lock `key` with `token`.
    async fn lock_op(&self, f: &str, key: &str, token: String) -> Completion {
        let outcome = self.write(f, key, &Value::String(token)).await;
        let refused = if f == "acquire" {
            "held by another process"
        } else {
            "not held by this process (its session ended)"
        };
        write_completion(outcome, Value::Null, refused)
    }
}

pub(super) fn parse(data: &[u8]) -> Value {
    let text = String::from_utf8_lossy(data);
    serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
}

pub(super) fn persistent() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

/// Sets `path` to `data` whatever it held, creating it if absent.
async fn put(c: &zk::Client, path: &str, data: &[u8]) -> Result<bool, Failure> {
    // Bounded: each round ends in a write or a certain miss, and each
    // miss means another client created or deleted the znode meanwhile.
    for _ in 0..16 {
        match c.set_data(path, data, None).await {
            Ok(_) => return Ok(true),
            Err(zk::Error::NoNode) => {}
            Err(e) => return Err(classify(e, true)),
        }
        match c.create(path, data, &persistent()).await {
            Ok(_) => return Ok(true),
            Err(zk::Error::NodeExists) => {}
            Err(e) => return Err(classify(e, true)),
        }
    }
    Err(Failure::Certain(
        "rejected: the znode kept appearing and vanishing".into(),
    ))
}

/// Sets `path` to `new` only if it holds `old`: the value read with its
/// version, then set at that version (ZooKeeper's conditional setData),
/// so nothing can come between the compare and the set.
async fn compare_and_set(
    c: &zk::Client,
    path: &str,
    old: &Value,
    new: &Value,
) -> Result<bool, Failure> {
    let (data, stat) = match c.get_data(path).await {
        Ok(read) => read,
        Err(zk::Error::NoNode) => return Ok(old.is_null() && put_new(c, path, new).await?),
        Err(e) => return Err(classify(e, false)),
    };
    if parse(&data) != *old {
        return Ok(false);
    }
    match c
        .set_data(path, new.to_string().as_bytes(), Some(stat.version))
        .await
    {
        Ok(_) => Ok(true),
        Err(zk::Error::BadVersion | zk::Error::NoNode) => Ok(false),
        Err(e) => Err(classify(e, true)),
    }
}

/// Creates `path` holding `value`; `Ok(false)` if it exists.
async fn put_new(c: &zk::Client, path: &str, value: &Value) -> Result<bool, Failure> {
    match c
        .create(path, value.to_string().as_bytes(), &persistent())
        .await
    {
        Ok(_) => Ok(true),
        Err(zk::Error::NodeExists) => Ok(false),
        Err(e) => Err(classify(e, true)),
    }
}

/// Adds `element` as a child of the set's znode, made first if absent.
async fn add_element(c: &zk::Client, set: &str, element: &str) -> Result<bool, Failure> {
    let child = format!("{set}/{element}");
    for _ in 0..2 {
        match c.create(&child, b"", &persistent()).await {
            // An element already there was added before: sets ignore repeats.
            Ok(_) | Err(zk::Error::NodeExists) => return Ok(true),
            Err(zk::Error::NoNode) => {}
            Err(e) => return Err(classify(e, true)),
        }
        match c.create(set, b"", &persistent()).await {
            Ok(_) | Err(zk::Error::NodeExists) => {}
            Err(e) => return Err(classify(e, true)),
        }
    }
    Err(Failure::Certain(
        "rejected: the set's znode could not be made".into(),
    ))
}

/// Adds `by` to the counter at `path` by compare-and-set at its version,
/// again after another increment came between (until the timeout).
async fn increment(c: &zk::Client, path: &str, by: i64) -> Result<bool, Failure> {
    loop {
        let (data, stat) = match c.get_data(path).await {
            Ok(read) => read,
            Err(zk::Error::NoNode) => {
                if put_new(c, path, &Value::from(by)).await? {
                    return Ok(true);
                }
                continue;
            }
            Err(e) => return Err(classify(e, false)),
        };
        let Some(current) = parse(&data).as_i64() else {
            return Err(Failure::Certain(
                "rejected: the counter's znode holds no integer".into(),
            ));
        };
        match c
            .set_data(
                path,
                (current + by).to_string().as_bytes(),
                Some(stat.version),
            )
            .await
        {
            Ok(_) => return Ok(true),
            Err(zk::Error::BadVersion) => continue,
            Err(e) => return Err(classify(e, true)),
        }
    }
}

/// Takes the lock at `path`: an ephemeral znode holding `token`, which
/// ZooKeeper deletes when this session ends.
async fn acquire(c: &zk::Client, path: &str, token: &str) -> Result<bool, Failure> {
    let ephemeral = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    match c.create(path, token.as_bytes(), &ephemeral).await {
        Ok(_) => Ok(true),
        // Held: by this process already if an earlier acquire's outcome
        // was unknown and it did apply.
        Err(zk::Error::NodeExists) => match c.get_data(path).await {
            Ok((data, _)) => Ok(data == token.as_bytes()),
            Err(zk::Error::NoNode) => Ok(false),
            Err(e) => Err(classify(e, false)),
        },
        Err(e) => Err(classify(e, true)),
    }
}

/// Gives the lock at `path` back if `token` holds it: deleted at the
/// version read with the token.
async fn release(c: &zk::Client, path: &str, token: &str) -> Result<bool, Failure> {
    let (data, stat) = match c.get_data(path).await {
        Ok(read) => read,
        Err(zk::Error::NoNode) => return Ok(false),
        Err(e) => return Err(classify(e, false)),
    };
    if data != token.as_bytes() {
        return Ok(false);
    }
    match c.delete(path, Some(stat.version)).await {
        Ok(()) => Ok(true),
        Err(zk::Error::NoNode | zk::Error::BadVersion) => Ok(false),
        Err(e) => Err(classify(e, true)),
    }
}

/// A new id from the generator at `path`: a sequential child znode,
/// whose number ZooKeeper's leader assigns from the parent's counter, one
/// per creation.
async fn generate(c: &zk::Client, path: &str) -> Result<Value, Failure> {
    let sequential = zk::CreateMode::PersistentSequential.with_acls(zk::Acls::anyone_all());
    let prefix = format!("{path}/id-");
    for _ in 0..2 {
        match c.create(&prefix, b"", &sequential).await {
            Ok((_, sequence)) => return Ok(Value::from(sequence.into_i64())),
            Err(zk::Error::NoNode) => {}
            Err(e) => return Err(classify(e, true)),
        }
        match c.create(path, b"", &persistent()).await {
            Ok(_) | Err(zk::Error::NodeExists) => {}
            Err(e) => return Err(classify(e, true)),
        }
    }
    Err(Failure::Certain(
        "rejected: the generator's znode could not be made".into(),
    ))
}

impl Client for ZookeeperClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let key = key.unwrap_or("faultline");
        match f {
            "transfer" => return self.transfer(key, value).await,
            "read" if self.workload == WorkloadKind::Bank => return self.read_bank(key).await,
            "acquire" => return self.lock.acquire(|t| self.lock_op(f, key, t)).await,
            "release" => return self.lock.release(|t| self.lock_op(f, key, t)).await,
            "generate" => {
                let path = self.path(key);
                return match self
                    .within(|c| async move { generate(&c, &path).await })
                    .await
                {
                    Ok(id) => Completion::ok(id),
                    Err(failure) => failure.completion(Value::Null),
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
        // Loopback, where nothing listens on ZooKeeper's port in a test.
        let client = ZookeeperClient::new(
            &node("127.0.0.9"),
            ZookeeperReads::Synced,
            WorkloadKind::Register,
            "run/",
            Duration::from_secs(2),
        );
        let done = client.invoke("write", Some("k"), &Value::from(3)).await;
        assert_eq!(done.kind, OpType::Fail, "{done:?}");
        assert!(done.unavailable, "{done:?}");
        let read = client.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!(read.kind, OpType::Fail);
    }

    #[test]
    fn a_lost_connection_leaves_only_writes_unknown() {
        let unknown = |f: Failure| matches!(f, Failure::Unknown(_));
        assert!(unknown(classify(zk::Error::ConnectionLoss, true)));
        assert!(!unknown(classify(zk::Error::ConnectionLoss, false)));
        assert!(unknown(classify(zk::Error::SessionExpired, true)));
        assert!(!unknown(classify(zk::Error::Throttled, true)));
    }

    #[test]
    fn keys_are_znodes_under_the_run_s_own_root() {
        let client = ZookeeperClient::new(
            &node("10.0.0.1"),
            ZookeeperReads::Local,
            WorkloadKind::Set,
            "abc123/",
            Duration::from_secs(1),
        );
        assert_eq!(client.path("s7"), "/faultline-abc123-s7");
    }
}

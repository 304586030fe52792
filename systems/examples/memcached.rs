//! A whole system in one file, as the book's "Add a system" chapter walks
//! through it: memcached from Debian's packages, one server per node, every
//! client on the first node's (memcached does not replicate), the register
//! workload through `gets` and `cas`. Its `Suite` is what one line in
//! `SYSTEMS` would register; `cargo run -p faultline-systems --example
//! memcached` prints the help `faultline test memcached` would have.
//!
//! memcached keeps nothing on disk, so a kill loses every register: a read
//! of `nil` after a write was acknowledged is what the linearizability
//! checker is there to refute.

use faultline_core::packages::apt_install_command;
use faultline_core::shell::ShellQuoted;
use faultline_core::{
    BoxFuture, Client, Completion, Db, DbError, DynClient, Kill, Node, Remote, System, Value,
};
use faultline_systems::{
    pidfile, Prepared, Promise, Registered, RunContext, Suite, SystemDescriptor,
};
use faultline_workloads::WorkloadKind;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const PORT: u16 = 11211;
const SHORT: Duration = Duration::from_secs(15);

/// Step 1: The lifecycle on a node (`Db`), everything under the node's `dir`.
struct MemcachedDb;

fn pid_file(node: &Node) -> PathBuf {
    node.dir.join("memcached.pid")
}

impl Db for MemcachedDb {
    fn setup(&self, remote: &dyn Remote, node: &Node, _cluster: &[Node]) -> Result<(), DbError> {
        remote.run(
            &apt_install_command(&["memcached"]),
            Duration::from_secs(600),
        )?;
        let command = format!(
            "mkdir -p {dir}; setsid nohup memcached -l {host} -p {PORT} -u root \
             >> {log} 2>&1 < /dev/null & echo $! > {pid}",
            dir = node.dir.quoted(),
            host = node.host,
            log = node.dir.join("memcached.log").quoted(),
            pid = pid_file(node).quoted(),
        );
        remote.run(&command, SHORT)?;
        Ok(())
    }

    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::stop(remote, &pid_file(node))
    }

    fn log_files(&self, node: &Node) -> Vec<PathBuf> {
        vec![node.dir.join("memcached.log")]
    }
}

/// An ability: the runner's kill nemesis uses it when `System::kill` says so.
impl Kill for MemcachedDb {
    fn kill(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        pidfile::signal_and_wait(remote, &pid_file(node), "KILL", 10).map(|_| ())
    }

    fn restart(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        self.setup(remote, node, cluster)
    }
}

/// Step 2: A client (`Client`): one operation becomes `ok`, `fail` (certainly
/// did not happen) or `info` (unknown).
struct MemcachedClient {
    host: String,
    timeout: Duration,
    connection: Mutex<Option<BufReader<TcpStream>>>,
}

impl MemcachedClient {
    /// Sends `request`, returns the reply's lines up to one `done` accepts.
    async fn ask(&self, request: &str, done: fn(&str) -> bool) -> std::io::Result<Vec<String>> {
        let mut connection = self.connection.lock().await;
        if connection.is_none() {
            let stream = TcpStream::connect((self.host.as_str(), PORT)).await?;
            *connection = Some(BufReader::new(stream));
        }
        let stream = connection.as_mut().expect("connected above");
        let exchange = async {
            stream.get_mut().write_all(request.as_bytes()).await?;
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                if stream.read_line(&mut line).await? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                let line = line.trim_end().to_owned();
                let finished = done(&line);
                lines.push(line);
                if finished {
                    return Ok(lines);
                }
            }
        };
        let result = tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()));
        if result.is_err() {
            // A half-read reply would answer the next request: start over.
            *connection = None;
        }
        result
    }

    /// The value and cas token of `key` (`gets`).
    async fn gets(&self, key: &str) -> std::io::Result<Option<(Value, String)>> {
        let lines = self.ask(&format!("gets {key}\r\n"), |l| l == "END").await?;
        let Some(header) = lines.first().filter(|l| l.starts_with("VALUE ")) else {
            return Ok(None);
        };
        let token = header.split(' ').nth(4).unwrap_or_default().to_owned();
        let value = lines.get(1).and_then(|v| v.parse::<i64>().ok());
        Ok(Some((value.map_or(Value::Null, Value::from), token)))
    }

    /// Stores `value` at `key`, unconditionally or against a cas token.
    async fn store(&self, key: &str, value: &Value, token: Option<&str>) -> std::io::Result<bool> {
        let data = value.to_string();
        let request = match token {
            Some(token) => format!("cas {key} 0 0 {} {token}\r\n{data}\r\n", data.len()),
            None => format!("set {key} 0 0 {}\r\n{data}\r\n", data.len()),
        };
        let lines = self.ask(&request, |_| true).await?;
        Ok(lines.first().is_some_and(|l| l == "STORED"))
    }
}

impl Client for MemcachedClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let key = key.unwrap_or("faultline");
        let result = match f {
            "read" => self
                .gets(key)
                .await
                .map(|found| Completion::ok(found.map_or(Value::Null, |(v, _)| v))),
            "write" => self
                .store(key, value, None)
                .await
                .map(|stored| match stored {
                    true => Completion::ok(value.clone()),
                    false => Completion::fail(value.clone(), "not stored"),
                }),
            "cas" => {
                let (old, new) = (&value[0], &value[1]);
                match self.gets(key).await {
                    Ok(Some((current, token))) if current == *old => {
                        match self.store(key, new, Some(&token)).await {
                            Ok(true) => Ok(Completion::ok(value.clone())),
                            // EXISTS: another write came between.
                            Ok(false) => Ok(Completion::fail(value.clone(), "changed meanwhile")),
                            Err(e) => Err(e),
                        }
                    }
                    Ok(_) => Ok(Completion::fail(value.clone(), "a different value")),
                    Err(e) => Err(e),
                }
            }
            other => Ok(Completion::fail(
                value.clone(),
                format!("unknown operation {other}"),
            )),
        };
        result.unwrap_or_else(|e| match e.kind() {
            // Nothing was sent: the operation certainly did not happen.
            std::io::ErrorKind::ConnectionRefused => {
                Completion::unavailable(value.clone(), e.to_string())
            }
            _ => Completion::info(value.clone(), e.to_string()),
        })
    }
}

/// Step 3: The system (`System`): its `Db`, a client per process, health, abilities.
struct MemcachedSystem {
    db: MemcachedDb,
    primary: Node,
}

impl System for MemcachedSystem {
    fn name(&self) -> &str {
        "memcached"
    }

    fn db(&self) -> &dyn Db {
        &self.db
    }

    fn packages(&self) -> Vec<String> {
        vec!["memcached".into()]
    }

    /// Every client on the first node's server: memcached does not replicate.
    fn client(&self, _node: &Node, timeout: Duration) -> Box<dyn DynClient> {
        Box::new(MemcachedClient {
            host: self.primary.host.clone(),
            timeout,
            connection: Mutex::new(None),
        })
    }

    fn serves<'a>(
        &'a self,
        _remote: Arc<dyn Remote>,
        node: &'a Node,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let client = MemcachedClient {
                host: node.host.clone(),
                timeout: Duration::from_secs(2),
                connection: Mutex::new(None),
            };
            let lines = client
                .ask("version\r\n", |_| true)
                .await
                .map_err(|e| format!("no answer: {e}"))?;
            match lines.first() {
                Some(line) if line.starts_with("VERSION") => Ok(()),
                other => Err(format!("answered {other:?}")),
            }
        })
    }

    fn kill(&self) -> Option<&dyn Kill> {
        Some(&self.db)
    }
}

/// Step 4: Its options (a clap `Args`, kept in test.json): none yet.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, clap::Args)]
struct MemcachedOptions {}

/// Step 5: The description the registry holds (`Suite`).
struct Memcached;

impl Suite for Memcached {
    type Args = MemcachedOptions;
    type Options = MemcachedOptions;
    const NAME: &'static str = "memcached";
    const TITLE: &'static str = "memcached";
    const ABOUT: &'static str = "Test memcached from the nodes' packages: registers through gets and cas on the first node's server";
    const WORKLOADS: &'static [WorkloadKind] = &[WorkloadKind::Register];

    fn prepare(args: MemcachedOptions) -> Result<Prepared<MemcachedOptions>, String> {
        Ok(Prepared::options(args))
    }

    fn open(_options: MemcachedOptions, run: RunContext) -> Arc<dyn System> {
        let primary = run.nodes.first().cloned().expect("a run has nodes");
        Arc::new(MemcachedSystem {
            db: MemcachedDb,
            primary,
        })
    }

    /// One server answers everything, in the order it receives it: a
    /// linearizable register while it runs (it promises nothing across a
    /// restart, and the checker will say so).
    fn promise(_options: &MemcachedOptions) -> Promise {
        Promise::STRICT
    }

    fn resume(remote: &dyn Remote, node: &Node) {
        let _ = pidfile::signal(remote, &pid_file(node), "CONT");
    }
}

/// What `faultline test memcached --help` would say, once
/// `&Registered::<Memcached>::new()` is a line of `SYSTEMS`.
fn main() {
    let entry: &dyn SystemDescriptor = &Registered::<Memcached>::new();
    // The options' own description would stand in for the system's.
    let mut command = entry
        .args(clap::Command::new(entry.name()))
        .about(entry.about());
    let _ = command.print_help();
    println!("\nworkloads: {:?}", entry.workloads());
}

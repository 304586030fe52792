//! PostgreSQL's lifecycle on a node, over the node's `Remote`: installed
//! from Debian's packages, everything under `<node dir>/postgres` (data,
//! log, socket, pidfile) owned by the `postgres` user, whom the server
//! runs as (it refuses root). The first node is the primary, made anew by
//! `initdb` each run; every other node is a hot standby streaming from it,
//! made anew by `pg_basebackup`. Kill and pause reach the server and
//! every backend.

use super::Replication;
use faultline_core::shell::{quote, ShellQuoted};
use faultline_core::{DataDir, Db, DbError, Kill, Node, Pause, Remote};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(15);
/// PostgreSQL's port.
pub const PORT: u16 = 5432;
/// The role and database every client uses.
pub const ROLE: &str = "faultline";
/// The newest server binaries installed.
const BIN: &str = "B=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)";
/// Runs what follows as the `postgres` user, by exec, so that `$!` is the
/// server's own PID.
const AS_POSTGRES: &str = "setpriv --reuid=postgres --regid=postgres --init-groups";

/// Every table the workloads use; created on the primary, streamed to
/// the replicas.
const SCHEMA: &str = "\
CREATE TABLE lists (k bigint PRIMARY KEY, v bigint[] NOT NULL);
CREATE TABLE registers (k bigint PRIMARY KEY, v bigint);
CREATE TABLE cells (k text PRIMARY KEY, v bigint);
CREATE TABLE elements (k text NOT NULL, e bigint NOT NULL);
CREATE INDEX elements_k ON elements (k);
CREATE TABLE counters (k text PRIMARY KEY, v bigint NOT NULL);
CREATE TABLE locks (k text PRIMARY KEY, token text NOT NULL, expires timestamptz NOT NULL);
CREATE TABLE accounts (bank text NOT NULL, account bigint NOT NULL, balance bigint NOT NULL, PRIMARY KEY (bank, account));";

/// PostgreSQL as the database under test.
#[derive(Clone, Debug, Default)]
pub struct PostgresDb {
    /// Whether commits wait for a replica.
    pub replication: Replication,
    /// The clients' password (the run's own).
    pub password: String,
    /// Per node name, words put before the server's command (libfaketime's).
    pub launch_prefix: BTreeMap<String, String>,
}

fn dir(node: &Node) -> PathBuf {
    node.dir.join("postgres")
}

fn data_dir(node: &Node) -> PathBuf {
    dir(node).join("data")
}

fn log_file(node: &Node) -> PathBuf {
    dir(node).join("postgres.log")
}

/// The pidfile of the server on `node` (faultline's, beside the data
/// directory: the server's own `postmaster.pid` is wiped with it).
pub fn pid_file(node: &Node) -> PathBuf {
    dir(node).join("faultline.pid")
}

/// How the server is stopped.
#[derive(Clone, Copy)]
enum Ending {
    /// SIGINT: a fast shutdown; the server ends its backends itself.
    Fast,
    /// SIGKILL to the server and every backend at once, as a crash.
    Crash,
}

/// Ends the server on `node` and waits (bounded by `grace_s`) until it
/// and its backends are gone; true if they are (or none ran).
fn end_server(
    remote: &dyn Remote,
    node: &Node,
    ending: Ending,
    grace_s: u32,
) -> Result<bool, DbError> {
    // Each backend is its own process group (PostgreSQL calls setsid() in
    // every child), so they are found as the server's children. For a
    // crash the server is stopped first, so that it forks no more, then
    // every child and the server are killed; a backend outliving its
    // server would hold the shared memory and stop the next one starting.
    let signal = match ending {
        Ending::Fast => "c=; kill -INT $p 2>/dev/null || exit 0",
        Ending::Crash => {
            "kill -STOP $p 2>/dev/null || exit 0; c=$(pgrep -P $p); kill -KILL $c $p 2>/dev/null"
        }
    };
    let script = format!(
        "p=$(cat {pid} 2>/dev/null) || exit 0; {signal};          i=0; while [ $i -lt {ticks} ]; do            left=$(ps -o stat= -p \"$p $c\" 2>/dev/null | grep -v '^Z' | head -n1); [ -z \"$left\" ] && exit 0;            sleep 0.1; i=$((i+1)); done; exit 3",
        pid = pid_file(node).quoted(),
        ticks = grace_s * 10,
    );
    let out = remote.exec(&script, Duration::from_secs(2 * u64::from(grace_s) + 30))?;
    Ok(out.status == 0)
}

/// Sends `signal` to the server and every backend on `node`: the server
/// first when stopping (it forks no more), last when continuing.
fn signal_all(remote: &dyn Remote, node: &Node, signal: &str) -> Result<(), DbError> {
    let order = if signal == "STOP" {
        "kill -STOP $p && pkill -STOP -P $p; true".to_owned()
    } else {
        format!("pkill -{signal} -P $p; kill -{signal} $p")
    };
    let command = format!("p=$(cat {}) && {order}", pid_file(node).quoted());
    remote.run(&command, SHORT)?;
    Ok(())
}

/// Resumes the server and every backend on `node` (an error if no server
/// ran there).
pub fn resume(remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
    signal_all(remote, node, "CONT")
}

impl PostgresDb {
    fn not_running(node: &Node, message: String) -> DbError {
        DbError::NotRunning {
            node: node.name.clone(),
            message,
        }
    }

    fn install(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        let check = format!("{BIN}; [ -x \"$B/postgres\" ] && id postgres >/dev/null");
        if remote.exec(&check, SHORT)?.status != 0 {
            crate::package::apt_install(remote, node, "postgresql")?;
        }
        // The server runs as `postgres`, who must reach its directory.
        let d = dir(node).quoted();
        let make = format!(
            "mkdir -p {parent} && install -d -o postgres -g postgres -m 700 {d} && \
             {AS_POSTGRES} test -w {d}",
            parent = node.dir.quoted(),
        );
        if remote.exec(&make, SHORT)?.status != 0 {
            return Err(Self::not_running(node, format!("the postgres user cannot write {}: make every directory above it searchable (chmod o+x) or choose a node dir it can reach", dir(node).display())));
        }
        Ok(())
    }

    /// Settings appended to the data directory's `postgresql.conf` (later
    /// lines win, so a replica's override what it copied).
    fn settings(&self, node: &Node) -> String {
        let synchronous = match self.replication {
            Replication::Async => "''",
            Replication::Sync => "'ANY 1 (*)'",
        };
        format!(
            "listen_addresses = '{host}'\nport = {PORT}\nunix_socket_directories = '{socket}'\n\
             max_connections = 300\nshared_buffers = 32MB\nwal_level = replica\n\
             max_wal_senders = 16\nwal_keep_size = 512MB\nhot_standby = on\n\
             fsync = on\nsynchronous_commit = on\nsynchronous_standby_names = {synchronous}\n\
             log_min_messages = warning\nlog_line_prefix = '%m [%p] '\n",
            host = node.host,
            socket = dir(node).display(),
        )
    }

    fn configure(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        let data = data_dir(node);
        let command = format!(
            "printf '%s' {settings} >> {conf} && \
             printf '%s\\n' 'host all {ROLE} 0.0.0.0/0 scram-sha-256' 'host replication {ROLE} 0.0.0.0/0 scram-sha-256' >> {hba}",
            settings = quote(&self.settings(node)),
            conf = data.join("postgresql.conf").quoted(),
            hba = data.join("pg_hba.conf").quoted(),
        );
        remote.run(&command, SHORT)?;
        Ok(())
    }

    /// A new primary: `initdb`, started, the role, database and tables made.
    fn create_primary(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        let init = format!(
            "{BIN}; {AS_POSTGRES} \"$B/initdb\" -D {data} -U postgres -E UTF8 --auth-local=trust \
             --auth-host=scram-sha-256 --no-instructions > {log} 2>&1",
            data = data_dir(node).quoted(),
            log = dir(node).join("initdb.log").quoted(),
        );
        remote.run(&init, Duration::from_secs(120)).map_err(|e| {
            Self::not_running(
                node,
                format!(
                    "initdb failed ({e}); see {}",
                    dir(node).join("initdb.log").display()
                ),
            )
        })?;
        self.configure(remote, node)?;
        self.start(remote, node)?;
        self.wait_until_accepting(remote, node)?;
        // Local commits: with --replication sync a commit would wait for a
        // standby, and none can exist before the role below does.
        let psql = |database: &str, sql: &str| {
            format!(
                "{BIN}; PGOPTIONS='-c synchronous_commit=local' {AS_POSTGRES} \"$B/psql\" -X -q -v ON_ERROR_STOP=1 -h {socket} -p {PORT} -U postgres -d {database} -c {sql}",
                socket = dir(node).quoted(),
                sql = quote(sql),
            )
        };
        let role = format!(
            "CREATE ROLE {ROLE} LOGIN REPLICATION PASSWORD '{}'",
            self.password
        );
        let make = [
            psql("postgres", &role),
            psql("postgres", &format!("CREATE DATABASE {ROLE} OWNER {ROLE}")),
            psql(ROLE, &format!("SET ROLE {ROLE};\n{SCHEMA}")),
        ]
        .join(" && ");
        remote.run(&make, Duration::from_secs(60)).map_err(|e| {
            Self::not_running(node, format!("could not create the test's tables: {e}"))
        })?;
        Ok(())
    }

    /// A new hot standby of the primary, copied by `pg_basebackup` once
    /// the primary has its role (tried for up to 90 s: every node is set
    /// up at once).
    fn create_replica(
        &self,
        remote: &dyn Remote,
        node: &Node,
        primary: &Node,
    ) -> Result<(), DbError> {
        let data = data_dir(node).quoted();
        let copy = format!(
            "{BIN}; i=0; while [ $i -lt 90 ]; do rm -rf {data}; \
               PGPASSWORD={pw} {AS_POSTGRES} \"$B/pg_basebackup\" -h {primary} -p {PORT} -U {ROLE} \
                 -D {data} -X stream -c fast > {log} 2>&1 && exit 0; \
               sleep 1; i=$((i+1)); done; exit 1",
            pw = quote(&self.password),
            primary = primary.host,
            log = dir(node).join("basebackup.log").quoted(),
        );
        remote.run(&copy, Duration::from_secs(150)).map_err(|_| {
            Self::not_running(
                node,
                format!(
                    "pg_basebackup could not copy the primary {} within 90 s; see {}",
                    primary.name,
                    dir(node).join("basebackup.log").display()
                ),
            )
        })?;
        self.configure(remote, node)?;
        let standby = format!(
            "primary_conninfo = 'host={host} port={PORT} user={ROLE} password={pw} application_name={name}'\n",
            host = primary.host,
            pw = self.password,
            name = node.name,
        );
        remote.run(
            &format!(
                "printf '%s' {standby} >> {conf} && {AS_POSTGRES} touch {signal}",
                standby = quote(&standby),
                conf = data_dir(node).join("postgresql.conf").quoted(),
                signal = data_dir(node).join("standby.signal").quoted(),
            ),
            SHORT,
        )?;
        self.start(remote, node)
    }

    /// Starts the server in the background as `postgres`, its PID in the
    /// pidfile.
    fn start(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        let command = format!(
            // Only the server goes to the background, every descriptor
            // redirected, so the SSH channel closes.
            "{BIN}; setsid nohup {AS_POSTGRES} {prefix}\"$B/postgres\" -D {data} \
             >> {log} 2>&1 < /dev/null & echo $! > {pid}",
            prefix = self
                .launch_prefix
                .get(&node.name)
                .map_or("", String::as_str),
            data = data_dir(node).quoted(),
            log = log_file(node).quoted(),
            pid = pid_file(node).quoted(),
        );
        remote.run(&command, SHORT)?;
        Ok(())
    }

    fn wait_until_accepting(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        let wait = format!(
            "{BIN}; i=0; while [ $i -lt 300 ]; do \"$B/pg_isready\" -q -h {socket} -p {PORT} && exit 0; \
             sleep 0.1; i=$((i+1)); done; exit 1",
            socket = dir(node).quoted(),
        );
        if remote.exec(&wait, Duration::from_secs(60))?.status != 0 {
            return Err(Self::not_running(
                node,
                format!(
                    "PostgreSQL did not accept connections within 30 s; see {}",
                    log_file(node).display()
                ),
            ));
        }
        Ok(())
    }

    fn stop(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        // SIGINT: a fast shutdown (SIGTERM would wait for every client).
        if !end_server(remote, node, Ending::Fast, 10)? {
            end_server(remote, node, Ending::Crash, 5)?;
        }
        Ok(())
    }

    fn wipe(node: &Node) -> String {
        crate::wipe::wipe_data_dir(&data_dir(node))
    }
}

impl Db for PostgresDb {
    fn clear_leftovers(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        if let Some(pid) = crate::pidfile::alive(remote, &pid_file(node))? {
            eprintln!(
                "{}: stopping PostgreSQL PID {pid} left by an earlier run (found by its pidfile)",
                node.name
            );
            self.stop(remote, node)?;
        }
        // A fresh server: nothing from an earlier run.
        remote.run(
            &format!(
                "{}; rm -f {} {}",
                Self::wipe(node),
                log_file(node).quoted(),
                pid_file(node).quoted()
            ),
            SHORT,
        )?;
        Ok(())
    }

    fn setup(&self, remote: &dyn Remote, node: &Node, cluster: &[Node]) -> Result<(), DbError> {
        self.install(remote, node)?;
        self.clear_leftovers(remote, node)?;
        match cluster.first() {
            Some(primary) if primary.name != node.name => {
                self.create_replica(remote, node, primary)
            }
            _ => self.create_primary(remote, node),
        }
    }

    fn teardown(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        self.stop(remote, node)?;
        remote.run(
            &format!("{}; rm -f {}", Self::wipe(node), pid_file(node).quoted()),
            SHORT,
        )?;
        Ok(())
    }

    fn log_files(&self, node: &Node) -> Vec<PathBuf> {
        vec![log_file(node)]
    }
}

impl DataDir for PostgresDb {
    fn data_dir(&self, node: &Node) -> PathBuf {
        data_dir(node)
    }

    /// Tables and the write-ahead log.
    fn corruptible(&self) -> Vec<String> {
        vec!["base/*/*".into(), "pg_wal/0*".into()]
    }
}

impl Kill for PostgresDb {
    fn kill(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        end_server(remote, node, Ending::Crash, 10)?;
        Ok(())
    }

    /// Starts the server on its data directory again: crash recovery on
    /// the primary, replay from where it was on a replica.
    fn restart(&self, remote: &dyn Remote, node: &Node, _cluster: &[Node]) -> Result<(), DbError> {
        self.start(remote, node)
    }

    fn exited(&self, remote: &dyn Remote, node: &Node) -> Result<bool, DbError> {
        Ok(crate::pidfile::alive(remote, &pid_file(node))?.is_none())
    }
}

impl Pause for PostgresDb {
    /// Stops the server and every backend: a paused server whose backends
    /// still answered would not be paused.
    fn pause(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        signal_all(remote, node, "STOP")
    }

    fn resume(&self, remote: &dyn Remote, node: &Node) -> Result<(), DbError> {
        resume(remote, node)
    }

    fn is_paused(&self, remote: &dyn Remote, node: &Node) -> Result<bool, DbError> {
        crate::pidfile::stopped(remote, &pid_file(node))
    }
}

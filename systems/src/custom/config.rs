//! `my-db.toml`: a system under test described without Rust — its nodes,
//! its lifecycle as shell commands run on each node (templated), a client
//! program that speaks one JSON object per line, and the workload. Every
//! mistake is one line naming the key and the fix.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What is wrong with a system's TOML file: one line naming the file, the
/// key and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

type Result<T> = std::result::Result<T, ConfigError>;

/// The whole file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomConfig {
    /// Names the runs (`store/<name>-<workload>/...`).
    pub name: String,
    /// Which nodes and how to reach them.
    pub nodes: NodesSection,
    /// The database's lifecycle.
    pub db: DbSection,
    /// The client program.
    pub client: ClientSection,
    /// What the clients do and how it is checked.
    #[serde(default)]
    pub workload: WorkloadSection,
}

/// `[nodes]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodesSection {
    /// Host names or addresses (or use `file`).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// A nodes file, as `faultline cluster up` writes.
    pub file: Option<PathBuf>,
    /// SSH login.
    #[serde(default = "root")]
    pub username: String,
    /// SSH private key (default: the agent).
    pub ssh_key: Option<PathBuf>,
    /// Check host keys against known_hosts.
    #[serde(default = "yes")]
    pub strict_host_key_checking: bool,
    /// Directory faultline owns on each node (with `hosts`).
    #[serde(default = "node_dir")]
    pub dir: PathBuf,
}

/// `[db]`: shell commands run on each node, with placeholders.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DbSection {
    /// Debian packages the database needs, installed with apt-get where
    /// missing before `install` runs: once on this machine for a local
    /// cluster (its nodes share its filesystem), on each node otherwise.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Installs the database if missing (run once per node before start).
    pub install: Option<String>,
    /// Starts it in the background, writing its process id to `{pidfile}`.
    pub start: String,
    /// Exits 0 once the node serves.
    pub health: String,
    /// Stops it (default: SIGTERM, then SIGKILL, to the pid in `{pidfile}`).
    pub stop: Option<String>,
    /// Removes its data after the test (default: `rm -rf {data_dir}`, or
    /// its contents when the disk fault's filesystem is mounted there).
    pub wipe: Option<String>,
    /// Files worth keeping with the run.
    #[serde(default)]
    pub log_files: Vec<String>,
    /// The files `--disk corrupt` chooses from, relative to `{data_dir}`
    /// (`*` within one path segment; default: any file).
    #[serde(default)]
    pub corrupt_files: Vec<String>,
    /// Exits 0 on the node that is primary now (for `primaries` targets).
    pub primary: Option<String>,
    /// Takes this node out of the cluster, run on the leaving node (for
    /// `--nemesis member`, with `join`): removes it from the membership,
    /// stops and wipes it. Exit 75 when the cluster refuses (no quorum);
    /// any other failure is the harness's.
    pub leave: Option<String>,
    /// Brings this node back as a new member after `leave`, run on the
    /// joining node. Exit 75 when the cluster refuses.
    pub join: Option<String>,
    /// How one peer appears in `{peers}` (default `{node}={host}`).
    #[serde(default = "peer")]
    pub peer: String,
}

/// `[client]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSection {
    /// A command run on the controller, once per client process, with
    /// `{node}` and `{host}` filled in: it reads one JSON request per line on
    /// stdin and answers one JSON reply per line on stdout.
    pub program: Option<String>,
    /// Or: the built-in HTTP client for a simple REST key-value API.
    pub http: Option<HttpSection>,
}

/// `[client.http]`: requests for read, write and cas, as templates.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// `http://{host}:8080`
    pub base: String,
    /// Reads `{key}`.
    pub read: HttpRequest,
    /// Writes `{value}` to `{key}`.
    pub write: HttpRequest,
    /// Sets `{key}` to `{new}` if it holds `{old}`.
    pub cas: Option<HttpRequest>,
}

/// One request template and what its answers mean.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    /// GET, PUT, POST...
    #[serde(default = "get")]
    pub method: String,
    /// `/kv/{key}`
    pub path: String,
    /// A JSON body with `{key}`, `{value}`, `{old}`, `{new}` (JSON text).
    pub body: Option<String>,
    /// Statuses meaning it took effect (default 200, 201, 204).
    #[serde(default = "ok_statuses")]
    pub ok: Vec<u16>,
    /// For reads: statuses meaning the key has no value (e.g. 404).
    #[serde(default)]
    pub absent: Vec<u16>,
    /// Statuses meaning it certainly did not take effect (e.g. 409, 412);
    /// other 4xx do too; 5xx and time-outs are unknown.
    #[serde(default)]
    pub fail: Vec<u16>,
    /// For reads: a JSON pointer to the value in the reply (`/value`);
    /// default the whole reply.
    pub value: Option<String>,
}

fn get() -> String {
    "GET".into()
}
fn ok_statuses() -> Vec<u16> {
    vec![200, 201, 204]
}

/// `[workload]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// register, append, wr, set, counter or lock.
    #[serde(default = "register")]
    pub name: String,
    /// For append and wr: the model required.
    #[serde(default = "strict_serializable")]
    pub consistency_model: String,
}

impl Default for WorkloadSection {
    fn default() -> WorkloadSection {
        WorkloadSection {
            name: register(),
            consistency_model: strict_serializable(),
        }
    }
}

fn root() -> String {
    "root".into()
}
fn yes() -> bool {
    true
}
fn node_dir() -> PathBuf {
    PathBuf::from("/var/lib/faultline")
}
fn peer() -> String {
    "{node}={host}".into()
}
fn register() -> String {
    "register".into()
}
fn strict_serializable() -> String {
    "strict-serializable".into()
}

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 9] = [
    "node", "host", "nodes", "hosts", "peers", "dir", "data_dir", "pidfile", "workload",
];

/// Fills `{name}` placeholders from `values`.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The first `{word}` in `template` that is not a placeholder.
fn unknown_placeholder(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let word = &after[..close];
        // Shell's own braces (`${x}`, `{ a; }`) are not ours.
        let ours = !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        let shell = open > 0 && rest.as_bytes()[open - 1] == b'$';
        if ours && !shell && !PLACEHOLDERS.contains(&word) {
            return Some(word.to_owned());
        }
        rest = &after[close + 1..];
    }
    None
}

impl CustomConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<CustomConfig> {
        let name = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{name}: cannot read: {e}")))?;
        let config: CustomConfig = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let message = e.message().replace('\n', " ");
            match line {
                Some(line) => ConfigError(format!("{name}: line {line}: {message}")),
                None => ConfigError(format!("{name}: {message}")),
            }
        })?;
        let problems = config.check();
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| format!("{name}: {p}")).collect();
            return Err(ConfigError(lines.join("\n")));
        }
        Ok(config)
    }

    /// Checks what the types cannot: every problem, each in one line.
    fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        macro_rules! problem {
            ($($arg:tt)*) => {
                problems.push(format!($($arg)*))
            };
        }
        match (self.nodes.hosts.is_empty(), &self.nodes.file) {
            (true, None) => {
                problem!("[nodes] needs `hosts = [\"a\", \"b\", ...]` or `file = \"nodes.json\"`")
            }
            (false, Some(_)) => problem!("[nodes] has both `hosts` and `file`: keep one"),
            _ => {}
        }
        if self.db.leave.is_some() != self.db.join.is_some() {
            problem!("[db] has one of `leave` and `join`: a member that leaves must be able to join again; give both (or neither, and leave --nemesis member out)");
        }
        if !self.db.start.contains("{pidfile}") {
            problem!("db.start must write the process id to {{pidfile}} (end it with `& echo $! > {{pidfile}}`) so that kill and pause can find the process");
        }
        let mut templates: Vec<(String, &str)> = vec![
            ("db.start".into(), &self.db.start),
            ("db.health".into(), &self.db.health),
            ("db.peer".into(), &self.db.peer),
        ];
        match (&self.client.program, &self.client.http) {
            (Some(program), None) => templates.push(("client.program".into(), program)),
            (None, Some(http)) => {
                templates.push(("client.http.base".into(), &http.base));
                for (name, request) in [("read", Some(&http.read)), ("write", Some(&http.write)), ("cas", http.cas.as_ref())] {
                    let Some(request) = request else { continue };
                    if !request.path.starts_with('/') {
                        problem!("client.http.{name}.path must start with / (it follows client.http.base)");
                    }
                    if let Some(pointer) = &request.value {
                        if !pointer.is_empty() && !pointer.starts_with('/') {
                            problem!("client.http.{name}.value is a JSON pointer such as \"/value\"");
                        }
                    }
                }
            }
            (None, None) => problem!("[client] needs `program = \"...\"` (a line-JSON client) or a [client.http] section"),
            (Some(_), Some(_)) => problem!("[client] has both `program` and [client.http]: keep one"),
        }
        for (key, value) in [
            ("db.install", &self.db.install),
            ("db.stop", &self.db.stop),
            ("db.wipe", &self.db.wipe),
            ("db.primary", &self.db.primary),
            ("db.leave", &self.db.leave),
            ("db.join", &self.db.join),
        ] {
            if let Some(v) = value {
                templates.push((key.into(), v));
            }
        }
        for (i, file) in self.db.log_files.iter().enumerate() {
            templates.push((format!("db.log_files[{i}]"), file));
        }
        for (key, template) in templates {
            if template.trim().is_empty() {
                problem!("{key} is empty: give the shell command");
            }
            if let Some(word) = unknown_placeholder(template) {
                problem!(
                    "{key}: unknown placeholder {{{word}}}; use {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                );
            }
        }
        use crate::descriptor::Suite;
        let served = super::Custom::WORKLOADS;
        let names: Vec<String> = served.iter().map(|w| w.to_string()).collect();
        let choose = format!("use {}", names.join(", "));
        match self.workload.name.parse::<faultline_workloads::WorkloadKind>() {
            Err(_) => problem!(
                "workload.name = \"{}\" is unknown; {choose}",
                self.workload.name
            ),
            Ok(faultline_workloads::WorkloadKind::Watch) => problem!(
                "workload.name = \"watch\" is etcd's (`faultline test etcd --workload watch`); {choose}"
            ),
            Ok(kind) if !served.contains(&kind) => problem!(
                "workload.name = \"{kind}\" has no client protocol for a TOML system; {choose}"
            ),
            Ok(kind) if kind != faultline_workloads::WorkloadKind::Register && self.client.http.is_some() => problem!(
                "workload.name = \"{kind}\": [client.http] has requests for the register workload only; give a client program instead (`program = \"...\"` under [client], protocol in the book: docs/src/systems/custom.md)"
            ),
            Ok(_) => {}
        }
        if let Err(e) = self
            .workload
            .consistency_model
            .parse::<faultline_checkers::serializable::ConsistencyModel>()
        {
            problem!("workload.consistency_model: {e}");
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "kv"
[nodes]
hosts = ["a", "b", "c"]
[db]
start = "setsid mydb --name {node} --peers {peers} > {dir}/log 2>&1 & echo $! > {pidfile}"
health = "curl -sf http://{host}:8080/health"
log_files = ["{dir}/log"]
[client]
program = "./client --url http://{host}:8080"
"#;

    fn load(text: &str) -> Result<CustomConfig> {
        let path = std::env::temp_dir().join(format!(
            "faultline-config-test-{}-{}.toml",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        let result = CustomConfig::load(&path);
        let _ = std::fs::remove_file(&path);
        result
    }

    #[test]
    fn a_good_file_loads_with_defaults() {
        let config = load(GOOD).unwrap();
        assert_eq!(config.workload.name, "register");
        assert_eq!(config.nodes.username, "root");
        assert_eq!(
            render(
                &config.db.peer,
                &[("node", "a".into()), ("host", "10.0.0.1".into())]
            ),
            "a=10.0.0.1"
        );
    }

    #[test]
    fn every_mistake_is_one_line_naming_the_key() {
        let cases = [
            (GOOD.replace("health =", "helth ="), "unknown field `helth`"),
            (
                GOOD.replace("& echo $! > {pidfile}", ""),
                "db.start must write the process id",
            ),
            (
                GOOD.replace("{host}:8080/health", "{hots}:8080/health"),
                "db.health: unknown placeholder {hots}",
            ),
            (
                GOOD.replace("hosts = [\"a\", \"b\", \"c\"]", ""),
                "[nodes] needs `hosts",
            ),
            (
                format!("{GOOD}[workload]\nname = \"banks\"\n"),
                "workload.name = \"banks\" is unknown",
            ),
            (
                format!("{GOOD}[workload]\nname = \"watch\"\n"),
                "workload.name = \"watch\" is etcd's",
            ),
            (
                format!("{GOOD}[workload]\nconsistency_model = \"serialisable\"\n"),
                "unknown consistency model",
            ),
            (GOOD.replace("name = \"kv\"", "name = kv"), "line 2"),
            (
                GOOD.replace("[client]", "leave = \"mydb-ctl remove {node}\"\n[client]"),
                "[db] has one of `leave` and `join`",
            ),
            (
                GOOD.replace(
                    "[client]",
                    "leave = \"mydb-ctl remove {node}\"\njoin = \"mydb-ctl add {nod}\"\n[client]",
                ),
                "db.join: unknown placeholder {nod}",
            ),
            (GOOD.replace("program = \"./client --url http://{host}:8080\"", ""), "[client] needs `program"),
            (
                GOOD.replace(
                    "program = \"./client --url http://{host}:8080\"",
                    "[client.http]\nbase = \"http://{host}:8080\"\nread = { path = \"kv/{key}\" }\nwrite = { method = \"PUT\", path = \"/kv/{key}\", body = '{\"value\": {value}}' }",
                ),
                "client.http.read.path must start with /",
            ),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", load(&text).unwrap_err());
            assert!(err.contains(expected), "expected {expected:?} in {err:?}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn an_http_client_section_loads() {
        let text = GOOD.replace(
            "program = \"./client --url http://{host}:8080\"",
            "[client.http]\nbase = \"http://{host}:8080\"\nread = { path = \"/kv/{key}\", absent = [404], value = \"/value\" }\nwrite = { method = \"PUT\", path = \"/kv/{key}\", body = '{\"value\": {value}}' }",
        );
        let config = load(&text).unwrap();
        let http = config.client.http.unwrap();
        assert_eq!(http.read.method, "GET");
        assert_eq!(http.read.ok, [200, 201, 204]);
        assert_eq!(http.write.body.as_deref(), Some("{\"value\": {value}}"));
    }

    #[test]
    fn shell_braces_are_not_placeholders() {
        assert_eq!(unknown_placeholder("a ${HOME} { true; } {node}"), None);
        assert_eq!(unknown_placeholder("{nodez}").as_deref(), Some("nodez"));
    }
}

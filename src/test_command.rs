//! `faultline test etcd` and `faultline demo`.

use crate::cli_args::{NodeOptions, SpecArgs};
use crate::cluster;
use crate::exit::Failure;
use crate::runner::config::{NemesisConfig, TestConfig};
use crate::runner::run_test;
use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use faultline_core::NodesFile;
use faultline_nemeses::clock::ClockStrategy;
use faultline_nemeses::disk::DiskKind;
use faultline_nemeses::packet::PacketKind;
use faultline_nemeses::{FaultChoice, ShapeChoice, Target};
use faultline_systems::postgres::{Isolation, PostgresOptions, PostgresReads, Replication};
use faultline_systems::redis::{Persistence, RedisOptions, RedisReads};
use faultline_systems::zookeeper::{ZookeeperOptions, ZookeeperReads};
use faultline_workloads::WorkloadKind;
use std::path::{Path, PathBuf};

/// Options of `faultline test`.
#[derive(Args)]
pub struct TestArgs {
    #[command(subcommand)]
    system: System,
}

#[derive(Subcommand)]
enum System {
    /// Test any system described by a TOML file: nodes, lifecycle commands, client program, workload.
    Custom {
        /// The system's TOML file (check it with `faultline validate-config`).
        #[arg(long)]
        config: PathBuf,
        #[command(flatten)]
        test: TestOptions,
    },
    /// Test an etcd cluster reachable over SSH.
    Etcd {
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        etcd: EtcdArgs,
    },
    /// Test Redis from the nodes' packages: the first node the primary, every other its replica (workloads register, set, counter, lock, unique-ids, bank, and the transactions append and wr in MULTI / EXEC).
    Redis {
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        redis: RedisArgs,
    },
    /// Test PostgreSQL from the nodes' packages: the first node the primary, every other a streaming hot standby (workloads append, wr, register, set, counter, lock, unique-ids, bank).
    Postgres {
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        postgres: PostgresArgs,
    },
    /// Test ZooKeeper from the nodes' packages: one ensemble of every node, each client in a session with its own node's server (workloads register, set, counter, lock, unique-ids, bank).
    Zookeeper {
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        zookeeper: ZookeeperArgs,
    },
}

/// A built-in suite's own options.
#[derive(Clone, Copy)]
enum Suite {
    Redis(RedisArgs),
    Postgres(PostgresArgs),
    Zookeeper(ZookeeperArgs),
}

impl Suite {
    fn name(self) -> &'static str {
        match self {
            Suite::Redis(_) => "redis",
            Suite::Postgres(_) => "postgres",
            Suite::Zookeeper(_) => "zookeeper",
        }
    }

    /// A config for etcd made one for this suite.
    fn apply(self, config: &mut TestConfig) {
        config.name = format!("{}-{}", self.name(), config.workload);
        match self {
            Suite::Redis(redis) => {
                config.redis = Some(RedisOptions {
                    reads: redis.reads,
                    persistence: redis.persistence,
                    sentinel: redis.sentinel,
                })
            }
            Suite::Postgres(postgres) => {
                config.postgres = Some(PostgresOptions {
                    isolation: postgres.isolation,
                    reads: postgres.reads,
                    replication: postgres.replication,
                })
            }
            Suite::Zookeeper(zookeeper) => {
                config.zookeeper = Some(ZookeeperOptions {
                    reads: zookeeper.reads,
                })
            }
        }
    }

    /// A suite runs the workloads its client has.
    fn refuse(self, test: &TestOptions) -> anyhow::Result<()> {
        let system = match self {
            Suite::Redis(_) => "Redis",
            Suite::Postgres(_) => "PostgreSQL",
            Suite::Zookeeper(_) => "ZooKeeper",
        };
        match (self, test.workload()) {
            (_, WorkloadKind::Watch) => bail!(
                "--workload watch is etcd's (its watch streams); the {system} suite runs {}",
                match self {
                    Suite::Zookeeper(_) => "register, set, counter, lock, unique-ids and bank",
                    _ => "register, set, counter, lock, unique-ids, bank, append and wr",
                }
            ),
            (Suite::Zookeeper(_), WorkloadKind::Append | WorkloadKind::Wr) => bail!(
                "--workload {}: the ZooKeeper suite runs register, set, counter, lock, unique-ids and bank; transactions are not in it yet",
                test.workload()
            ),
            _ => Ok(()),
        }
    }
}

/// The PostgreSQL suite's own options.
#[derive(Args, Clone, Copy)]
struct PostgresArgs {
    /// The isolation level of every transaction: read-committed, repeatable-read (snapshot isolation) or serializable (SSI); the checker holds PostgreSQL to what it promises for the level.
    #[arg(long, value_enum, default_value_t = Isolation::Serializable)]
    isolation: Isolation,
    /// Where reads and read-only transactions go: primary, or local (the client's own node, a hot standby that lags; only read committed is promised then).
    #[arg(long, value_enum, default_value_t = PostgresReads::Primary)]
    reads: PostgresReads,
    /// Whether a commit waits for a replica to have it on disk: async or sync.
    #[arg(long, value_enum, default_value_t = Replication::Async)]
    replication: Replication,
}

/// The ZooKeeper suite's own options.
#[derive(Args, Clone, Copy)]
struct ZookeeperArgs {
    /// How reads are made: synced (`sync`, then read: current, checked as linearizable) or local (what the client's own server has: ZooKeeper promises only that a client never sees the past again, so stale reads are expected and reported).
    #[arg(long, value_enum, default_value_t = ZookeeperReads::Synced)]
    reads: ZookeeperReads,
}

/// The Redis suite's own options.
#[derive(Args, Clone, Copy)]
struct RedisArgs {
    /// Where reads go: primary (where every write goes), or local (the client's own node: replicas lag).
    #[arg(long, value_enum, default_value_t = RedisReads::Primary)]
    reads: RedisReads,
    /// How writes persist: always (append-only file fsynced before each reply), everysec, no (fsync left to the kernel), snapshot (no append-only file; a snapshot each second with changes).
    #[arg(long, value_enum, default_value_t = Persistence::Always)]
    persistence: Persistence,
    /// Run Redis Sentinel beside every server: when the primary stops answering for 1 s, a majority of sentinels promote a replica, and clients ask a sentinel where the primary is.
    #[arg(long)]
    sentinel: bool,
}

/// Options of `faultline test-all`.
#[derive(Args)]
pub struct TestAllArgs {
    #[command(subcommand)]
    system: AllSystem,
}

#[derive(Subcommand)]
enum AllSystem {
    /// A matrix of etcd tests: every workload under every nemesis.
    Etcd {
        #[command(flatten)]
        matrix: Matrix,
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        etcd: EtcdArgs,
    },
    /// A matrix of Redis tests: every workload under every nemesis.
    Redis {
        #[command(flatten)]
        matrix: Matrix,
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        redis: RedisArgs,
    },
    /// A matrix of PostgreSQL tests: every workload under every nemesis.
    Postgres {
        #[command(flatten)]
        matrix: Matrix,
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        postgres: PostgresArgs,
    },
    /// A matrix of ZooKeeper tests: every workload under every nemesis.
    Zookeeper {
        #[command(flatten)]
        matrix: Matrix,
        #[command(flatten)]
        test: TestOptions,
        #[command(flatten)]
        nodes: NodeOptions,
        #[command(flatten)]
        zookeeper: ZookeeperArgs,
    },
}

/// What `test-all` runs: every workload under every nemesis, so many times.
#[derive(Args)]
struct Matrix {
    /// Workloads, comma-separated (default: --workload).
    #[arg(long, value_enum, value_delimiter = ',')]
    workloads: Vec<WorkloadKind>,
    /// A nemesis for one column of the matrix, e.g. `partition` or `kill,pause`; repeat for more columns (default: --nemesis).
    #[arg(long)]
    nemeses: Vec<String>,
    /// Runs of each combination.
    #[arg(long, default_value_t = 1)]
    test_count: u32,
}

/// What the test does (shared by `test` and `demo`).
#[derive(Args, Clone)]
pub struct TestOptions {
    /// The workload (default: register; a TOML system names its own in [workload]).
    #[arg(long, value_enum)]
    workload: Option<WorkloadKind>,
    /// Faults, comma-separated, drawn from in turn.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "partition")]
    nemesis: Vec<FaultChoice>,
    /// Seconds of workload.
    #[arg(long, default_value_t = 60.0)]
    time_limit: f64,
    /// Client processes at once.
    #[arg(long, default_value_t = 10)]
    concurrency: u64,
    /// Operations per second over all clients (default: as fast as they go).
    #[arg(long)]
    rate: Option<f64>,
    /// At most this many operations per second per client process, to
    /// spare small clusters (default: no cap).
    #[arg(long)]
    process_rate: Option<f64>,
    /// Seed of the schedule (printed; the same seed replays the same schedule).
    #[arg(long)]
    seed: Option<u64>,
    /// Operations on a key before its processes move to a fresh key.
    #[arg(long, default_value_t = 200)]
    ops_per_key: u64,
    /// Processes that share a key.
    #[arg(long, default_value_t = 3)]
    processes_per_key: u64,
    /// append / wr: keys in use at once, shared by every client (fewer: more conflicts).
    #[arg(long, default_value_t = 8)]
    key_count: u64,
    /// append / wr: micro-operations per transaction at most.
    #[arg(long, default_value_t = 4)]
    max_txn_length: u64,
    /// append / wr: writes to a key before it is retired for a fresh one (bounds a list's length).
    #[arg(long, default_value_t = 32)]
    max_writes_per_key: u64,
    /// Seconds between fault changes.
    #[arg(long, default_value_t = 5.0)]
    nemesis_interval: f64,
    /// Partition shapes drawn from: majority, one, ring, bridge, primaries; or all.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "majority")]
    partition: Vec<ShapeChoice>,
    /// Whom kills hit: one, minority, majority, all, primaries, some, or nodes joined by + (n1+n3); a list is drawn from.
    #[arg(long, value_delimiter = ',', default_value = "one,minority,primaries")]
    kill_targets: Vec<Target>,
    /// Whom pauses hit (as --kill-targets).
    #[arg(long, value_delimiter = ',', default_value = "one,minority,primaries")]
    pause_targets: Vec<Target>,
    /// Whose clocks move (as --kill-targets).
    #[arg(long, value_delimiter = ',', default_value = "one,minority,all")]
    clock_targets: Vec<Target>,
    /// How clocks move: faketime (libfaketime, safe anywhere) or real (the nodes' system clocks).
    #[arg(long, value_enum, default_value = "faketime")]
    clock_strategy: ClockStrategy,
    /// The largest clock offset, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    clock_max_offset_ms: u64,
    /// The nodes are disposable test machines whose real clocks may be changed.
    #[arg(long)]
    nodes_are_disposable: bool,
    /// Packet behaviours drawn from: loss, delay, rate.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "loss,delay,rate"
    )]
    packet: Vec<PacketKind>,
    /// Whose packets suffer (as --kill-targets).
    #[arg(long, value_delimiter = ',', default_value = "all")]
    packet_targets: Vec<Target>,
    /// Fraction of packets lost by `loss`.
    #[arg(long, default_value_t = 0.2)]
    packet_loss: f64,
    /// Milliseconds each packet is held by `delay`.
    #[arg(long, default_value_t = 100)]
    packet_delay_ms: u64,
    /// Bandwidth in kilobits per second under `rate`.
    #[arg(long, default_value_t = 1000)]
    packet_rate_kbit: u64,
    /// Whose unsynced writes the disk fault loses (as --kill-targets).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "one,minority,majority,all,primaries"
    )]
    disk_targets: Vec<Target>,
    /// Disk faults drawn from: lose-unsynced (lose what was not fsynced), corrupt (truncate or flip bits in a data file).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "lose-unsynced"
    )]
    disk: Vec<DiskKind>,
    /// Whose data files the corrupt disk fault damages (as --kill-targets).
    #[arg(long, value_delimiter = ',', default_value = "one,minority")]
    corrupt_targets: Vec<Target>,
    /// Seconds to wait after healing everything before the final reads.
    #[arg(long, default_value_t = 5.0)]
    recovery_time: f64,
    /// Seconds before an operation's outcome counts as unknown.
    #[arg(long, default_value_t = 5.0)]
    op_timeout: f64,
    /// Leave the database running after the test.
    #[arg(long)]
    leave_db_running: bool,
    /// Where runs are stored.
    #[arg(long, default_value = "store")]
    store: PathBuf,
    /// Also write a JUnit XML file: one test case per checker, a failure carrying the anomalies and the run directory.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Also write a JSON summary of the verdict for other tools.
    #[arg(long)]
    summary_json: Option<PathBuf>,
}

impl TestOptions {
    /// The workload asked for, or register.
    fn workload(&self) -> WorkloadKind {
        self.workload.unwrap_or(WorkloadKind::Register)
    }

    /// `test custom` takes no option that only etcd or only the command
    /// line's workload has: each would be ignored, so each is refused,
    /// saying where the setting lives instead.
    fn refuse_etcd_options(&self, config: &Path) -> anyhow::Result<()> {
        let file = config.display();
        if let Some(workload) = self.workload {
            bail!("--workload {workload}: a TOML system names its workload in {file} ([workload] name = \"{workload}\"); leave --workload out");
        }
        Ok(())
    }

    fn config(&self, nodes: NodesFile) -> anyhow::Result<TestConfig> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        let all_positive = [self.time_limit, self.op_timeout].into_iter().all(positive);
        let rates_positive = [self.rate, self.process_rate]
            .into_iter()
            .flatten()
            .all(positive);
        if !rates_positive {
            bail!("--rate and --process-rate must be positive operations per second");
        }
        if !all_positive || self.concurrency == 0 {
            bail!("--time-limit, --concurrency and --op-timeout must be positive");
        }
        if nodes.nodes.is_empty() {
            bail!("no nodes to test: pass --nodes or a nodes file that lists some");
        }
        let nemesis = NemesisConfig {
            faults: FaultChoice::faults(&self.nemesis),
            interval: self.nemesis_interval,
            partition: ShapeChoice::shapes(&self.partition),
            kill_targets: self.kill_targets.clone(),
            pause_targets: self.pause_targets.clone(),
            clock_targets: self.clock_targets.clone(),
            clock_strategy: self.clock_strategy,
            clock_max_offset_ms: self.clock_max_offset_ms,
            nodes_are_disposable: self.nodes_are_disposable,
            packet: self.packet.clone(),
            packet_targets: self.packet_targets.clone(),
            packet_loss: self.packet_loss,
            packet_delay_ms: self.packet_delay_ms,
            packet_rate_kbit: self.packet_rate_kbit,
            disk_targets: self.disk_targets.clone(),
            disk: self.disk.clone(),
            corrupt_targets: self.corrupt_targets.clone(),
            recovery_time: self.recovery_time,
        };
        let names: Vec<String> = nodes.nodes.iter().map(|n| n.name.clone()).collect();
        nemesis.plan(&names)?;
        let seed = self.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
        Ok(TestConfig {
            name: format!("etcd-{}", self.workload()),
            workload: self.workload(),
            nodes: nodes.nodes,
            ssh: nodes.ssh,
            local_cluster: nodes.local,
            concurrency: self.concurrency,
            rate: self.rate,
            process_rate: self.process_rate,
            time_limit: self.time_limit,
            seed,
            processes_per_key: self.processes_per_key.max(1),
            ops_per_key: self.ops_per_key.max(1),
            txn_shape: faultline_workloads::TxnShape {
                key_count: self.key_count.max(1),
                max_txn_length: self.max_txn_length.max(1),
                max_writes_per_key: self.max_writes_per_key.max(1),
            },
            nemesis,
            serializable_reads: false,
            op_timeout: self.op_timeout,
            leave_db_running: self.leave_db_running,
            etcd_binary: None,
            store: self.store.clone(),
            junit: self.junit.clone(),
            custom: None,
            redis: None,
            postgres: None,
            zookeeper: None,
            summary_json: self.summary_json.clone(),
            check: None,
            run_id: String::new(),
            command_line: std::env::args().collect(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }
}

/// Runs `faultline test`.
pub fn run(args: &TestArgs) -> Result<i32, Failure> {
    match &args.system {
        System::Custom { config, test } => {
            test.refuse_etcd_options(config)
                .map_err(Failure::bad_input)?;
            let custom =
                faultline_systems::CustomConfig::load(config).map_err(Failure::bad_input)?;
            let nodes = custom_nodes(&custom).map_err(Failure::bad_input)?;
            let mut options = test.clone();
            options.workload = Some(
                custom
                    .workload
                    .name
                    .parse()
                    .map_err(|e| Failure::bad_input(anyhow!("workload.name: {e}")))?,
            );
            let mut config = options.config(nodes).map_err(Failure::bad_input)?;
            config.name = format!("{}-{}", custom.name, custom.workload.name);
            config.custom = Some(custom);
            run_test(config)
        }
        System::Etcd { test, nodes, etcd } => {
            let nodes = nodes.resolve().map_err(Failure::bad_input)?;
            let mut config = test.config(nodes).map_err(Failure::bad_input)?;
            etcd.apply(&mut config);
            run_test(config)
        }
        System::Redis { test, nodes, redis } => run_suite(Suite::Redis(*redis), test, nodes),
        System::Postgres {
            test,
            nodes,
            postgres,
        } => run_suite(Suite::Postgres(*postgres), test, nodes),
        System::Zookeeper {
            test,
            nodes,
            zookeeper,
        } => run_suite(Suite::Zookeeper(*zookeeper), test, nodes),
    }
}

/// Runs one test of a built-in suite.
fn run_suite(suite: Suite, test: &TestOptions, nodes: &NodeOptions) -> Result<i32, Failure> {
    suite.refuse(test).map_err(Failure::bad_input)?;
    let nodes = nodes.resolve().map_err(Failure::bad_input)?;
    let mut config = test.config(nodes).map_err(Failure::bad_input)?;
    suite.apply(&mut config);
    run_test(config)
}

/// etcd's own options (`test etcd`, `test-all etcd`, `demo`).
#[derive(Args, Clone)]
struct EtcdArgs {
    /// Read with etcd's serializable (local, possibly stale) reads.
    #[arg(long)]
    serializable_reads: bool,
    /// Upload this etcd binary instead of using the nodes' own.
    #[arg(long)]
    etcd_binary: Option<PathBuf>,
}

impl EtcdArgs {
    /// A test's config made an etcd test with these options.
    fn apply(&self, config: &mut TestConfig) {
        config.serializable_reads = self.serializable_reads;
        config.etcd_binary = self.etcd_binary.clone();
    }
}

/// Options of `faultline demo`.
#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    test: TestOptions,
    #[command(flatten)]
    etcd: EtcdArgs,
    /// The local cluster the demo builds (and removes afterwards).
    #[command(flatten)]
    cluster: DemoCluster,
}

/// The demo's own cluster (named so as not to touch `local`).
#[derive(Args, Clone)]
pub struct DemoCluster {
    /// Name of the demo's cluster.
    #[arg(long = "cluster-name", default_value = "demo")]
    name: String,
    /// Nodes in the demo's cluster.
    #[arg(long = "cluster-nodes", default_value_t = 5)]
    nodes: usize,
    /// Subnet of the demo's cluster.
    #[arg(long = "cluster-subnet", default_value = "10.79.0")]
    subnet: String,
}

/// Runs `faultline demo`: cluster up, the etcd register test, cluster down.
pub fn demo(args: &DemoArgs) -> Result<i32, Failure> {
    if !cluster::is_root() {
        return Err(Failure::bad_input(anyhow!(
            "the demo builds a local cluster of network namespaces and needs root: run it as root"
        )));
    }
    // From here on, Ctrl-C ends the current phase and the cluster still goes.
    crate::interrupt::install();
    let spec = SpecArgs {
        name: args.cluster.name.clone(),
        nodes: args.cluster.nodes,
        subnet: args.cluster.subnet.clone(),
    }
    .spec();
    let nodes = cluster::up(&spec).map_err(Failure::bad_input)?;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        args.test
            .config(nodes)
            .map_err(Failure::bad_input)
            .and_then(|mut config| {
                args.etcd.apply(&mut config);
                run_test(config)
            })
    }));
    // The cluster goes, whatever the test did.
    if let Err(e) = cluster::down(&spec.name) {
        eprintln!("error: {e:#}");
    }
    let code = result.unwrap_or(Err(Failure {
        code: crate::exit::EXIT_INTERNAL,
        error: anyhow!("the test panicked"),
    }))?;
    let latest = args.test.store.join("latest");
    println!(
        "report: {} (open it in a browser; history.jsonl, results.json, test.json and node logs beside it)",
        latest.join("index.html").display()
    );
    Ok(code)
}

/// Runs `faultline test-all`: every workload × nemesis, `--test-count`
/// times, one run directory each; the exit code merges the verdicts.
pub fn run_all(args: &TestAllArgs) -> Result<i32, Failure> {
    let (matrix, test, nodes, suite, etcd) = match &args.system {
        AllSystem::Etcd {
            matrix,
            test,
            nodes,
            etcd,
        } => (matrix, test, nodes, None, Some(etcd)),
        AllSystem::Redis {
            matrix,
            test,
            nodes,
            redis,
        } => (matrix, test, nodes, Some(Suite::Redis(*redis)), None),
        AllSystem::Postgres {
            matrix,
            test,
            nodes,
            postgres,
        } => (matrix, test, nodes, Some(Suite::Postgres(*postgres)), None),
        AllSystem::Zookeeper {
            matrix,
            test,
            nodes,
            zookeeper,
        } => (
            matrix,
            test,
            nodes,
            Some(Suite::Zookeeper(*zookeeper)),
            None,
        ),
    };
    let Matrix {
        workloads,
        nemeses,
        test_count,
    } = matrix;
    let nodes = nodes.resolve().map_err(Failure::bad_input)?;
    let system = suite.map_or("etcd", Suite::name);
    let workloads = if workloads.is_empty() {
        vec![test.workload()]
    } else {
        workloads.clone()
    };
    let nemeses = if nemeses.is_empty() {
        vec![faults_text(&test.nemesis)]
    } else {
        nemeses.clone()
    };
    // Check every combination before the first run starts.
    let mut configs = Vec::new();
    for workload in &workloads {
        for nemesis in &nemeses {
            let mut options = test.clone();
            options.workload = Some(*workload);
            options.nemesis = FaultChoice::parse_list(nemesis)
                .map_err(|e| Failure::bad_input(anyhow!("--nemeses: {e}")))?;
            options.junit = None;
            options.summary_json = None;
            if let Some(suite) = suite {
                suite.refuse(&options).map_err(Failure::bad_input)?;
            }
            let mut config = options.config(nodes.clone()).map_err(Failure::bad_input)?;
            if let Some(suite) = suite {
                suite.apply(&mut config);
            }
            if let Some(etcd) = etcd {
                etcd.apply(&mut config);
            }
            for run in 0..*test_count {
                let mut config = config.clone();
                config.seed = config.seed.wrapping_add(configs.len() as u64);
                configs.push((*workload, nemesis.clone(), run, config));
            }
        }
    }
    crate::interrupt::install();
    let total = configs.len();
    let mut verdict = faultline_core::Validity::Valid;
    let mut cases = Vec::new();
    let mut rows = Vec::new();
    let mut bad_input = None;
    for (i, (workload, nemesis, run, config)) in configs.into_iter().enumerate() {
        if crate::interrupt::requested() {
            eprintln!("interrupted: {} of {total} runs not started", total - i);
            break;
        }
        eprintln!(
            "\n=== test-all: run {}/{total}: workload {workload}, nemesis {nemesis}, run {} (seed {}) ===",
            i + 1,
            run + 1,
            config.seed
        );
        match crate::runner::run_test_case(config) {
            Ok((code, case)) => {
                verdict = verdict.merge(match code {
                    0 => faultline_core::Validity::Valid,
                    1 => faultline_core::Validity::Invalid,
                    _ => faultline_core::Validity::Unknown,
                });
                rows.push((
                    workload,
                    nemesis,
                    run,
                    case.message.clone(),
                    case.details.clone(),
                ));
                cases.push(case);
            }
            Err(failure) => {
                eprintln!("error: {:#}", failure.error);
                cases.push(crate::junit::Case {
                    name: format!("{system}-{workload} under {nemesis}, run {}", run + 1),
                    classname: format!("faultline.test.{system}-{workload}"),
                    time_s: 0.0,
                    outcome: crate::junit::CaseOutcome::Error,
                    message: format!("{:#}", failure.error),
                    details: String::new(),
                });
                // The nodes or the set-up are broken: the other runs would fail alike.
                bad_input = Some(failure.code);
                break;
            }
        }
    }
    let code = bad_input.unwrap_or(verdict.exit_code());
    println!(
        "\n== faultline test-all: {} ({} of {total} runs) ==",
        if bad_input.is_some() {
            "ERROR".to_owned()
        } else {
            verdict.to_string().to_uppercase()
        },
        cases.len()
    );
    println!("| workload | nemesis | run | verdict | run directory |");
    println!("|---|---|---|---|---|");
    for (workload, nemesis, run, message, details) in rows {
        let dir = details
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("run directory: ");
        println!(
            "| {workload} | {nemesis} | {} | {message} | {dir} |",
            run + 1
        );
    }
    if let Some(path) = &test.junit {
        crate::junit::write_junit(path, "faultline test-all", &cases)
            .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
        println!("junit:   {}", path.display());
    }
    if let Some(path) = &test.summary_json {
        crate::junit::write_summary(path, &cases, code)
            .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
        println!("summary: {}", path.display());
    }
    Ok(code)
}

/// The nodes a custom system's `[nodes]` names.
fn custom_nodes(custom: &faultline_systems::CustomConfig) -> anyhow::Result<NodesFile> {
    let section = &custom.nodes;
    NodeOptions {
        nodes: section.hosts.clone(),
        nodes_file: section.file.clone(),
        // With a nodes file, its login stands unless the TOML names another.
        username: (section.file.is_none() || section.username != "root")
            .then(|| section.username.clone()),
        ssh_key: section.ssh_key.clone(),
        no_strict_host_key_checking: !section.strict_host_key_checking,
        node_dir: section.dir.clone(),
    }
    .resolve()
}

/// `--nemesis`'s words as one column's name (`partition,kill`).
fn faults_text(choices: &[FaultChoice]) -> String {
    use clap::ValueEnum;
    let words: Vec<String> = choices
        .iter()
        .filter_map(|c| c.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect();
    words.join(",")
}

//! What a test does, whichever system it tests: the workload, the faults
//! and their options, timing, and where the run goes (`test`, `test-all`
//! and `demo` share them).

use crate::runner::config::{NemesisConfig, TestConfig};
use anyhow::bail;
use clap::Args;
use faultline_core::NodesFile;
use faultline_nemeses::clock::ClockStrategy;
use faultline_nemeses::disk::DiskKind;
use faultline_nemeses::packet::PacketKind;
use faultline_nemeses::{FaultChoice, ShapeChoice, Target};
use faultline_systems::SystemChoice;
use faultline_workloads::WorkloadKind;
use std::path::PathBuf;

/// What the test does (shared by `test` and `demo`).
#[derive(Args, Clone)]
pub struct TestOptions {
    /// The workload (default: register, or the system's first where it serves no register; a TOML system names its own in [workload]).
    #[arg(long, value_enum)]
    pub(crate) workload: Option<WorkloadKind>,
    /// Faults, comma-separated, drawn from in turn.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "partition")]
    pub(crate) nemesis: Vec<FaultChoice>,
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
    /// Seconds to wait after healing everything before the final reads (the system's own default).
    #[arg(long, default_value = "5")]
    recovery_time: f64,
    /// Seconds before an operation's outcome counts as unknown.
    #[arg(long, default_value_t = 5.0)]
    op_timeout: f64,
    /// Leave the database running after the test.
    #[arg(long)]
    leave_db_running: bool,
    /// Where runs are stored.
    #[arg(long, default_value = "store")]
    pub(crate) store: PathBuf,
    /// Also write a JUnit XML file: one test case per checker, a failure carrying the anomalies and the run directory.
    #[arg(long)]
    pub(crate) junit: Option<PathBuf>,
    /// Also write a JSON summary of the verdict for other tools.
    #[arg(long)]
    pub(crate) summary_json: Option<PathBuf>,
}

impl TestOptions {
    /// The workload asked for, or register.
    pub fn workload(&self) -> WorkloadKind {
        self.workload.unwrap_or(WorkloadKind::Register)
    }

    /// The test these options describe, of `system` on `nodes`.
    pub fn config(&self, nodes: NodesFile, system: SystemChoice) -> anyhow::Result<TestConfig> {
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
            name: format!("{}-{}", system.name, self.workload()),
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
            op_timeout: self.op_timeout,
            leave_db_running: self.leave_db_running,
            store: self.store.clone(),
            junit: self.junit.clone(),
            system,
            summary_json: self.summary_json.clone(),
            check: None,
            run_id: String::new(),
            command_line: std::env::args().collect(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }
}

//! The workers: each draws operations from the workload and performs them,
//! one at a time, as a [`ClientProcess`] against its node, paced by
//! `--rate` and `--process-rate` and backing off when the process says so.

use super::backoff::Backoff;
use super::client_process::ClientProcess;
use super::config::TestConfig;
use faultline_core::{DynClient, Recorder, Rng, System};
use faultline_workloads::{
    BankWorkload, CounterWorkload, LockWorkload, Planned, RegisterWorkload, SetWorkload,
    TxnWorkload, UniqueIdsWorkload, WatchWorkload, WorkloadKind,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Mixed into the seed for the back-off's jitter, a stream of its own.
const BACKOFF_STREAM: u64 = 0x6261_636b_6f66_6621;

/// Where a worker ended: the final reads use fresh process ids and read
/// the keys the workers were last on.
#[derive(Clone, Default)]
pub struct WorkerEnd {
    /// The worker's last process id.
    pub process: u64,
    /// The keys of its last operation; for sets, every set it added to
    /// (an element lost from a set nobody reads again must still be seen).
    pub keys: Vec<String>,
    /// Its client, kept until every worker has ended: ending a client can
    /// change what another's last operation sees, and no history would
    /// say so (a ZooKeeper session that closes deletes the lock it held).
    pub client: Option<Arc<dyn DynClient>>,
}

impl std::fmt::Debug for WorkerEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerEnd")
            .field("process", &self.process)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// Runs worker `worker` against its node until `workload` ends.
/// `transactions`, for a transactional workload, is shared by every worker.
pub async fn run_worker(
    worker: u64,
    config: Arc<TestConfig>,
    system: Arc<dyn System>,
    recorder: Arc<Recorder>,
    transactions: Option<Arc<TxnWorkload>>,
    workload: CancellationToken,
) -> WorkerEnd {
    let node = &config.nodes[worker as usize % config.nodes.len()];
    let timeout = Duration::from_secs_f64(config.op_timeout);
    let client = system.client(node, timeout);
    let name = Some(node.name.clone());
    run_client(
        worker,
        client,
        name,
        config.clone(),
        recorder,
        transactions,
        workload,
    )
    .await
}

/// Runs worker `worker` with `client` until `workload` ends.
pub async fn run_client(
    worker: u64,
    client: Box<dyn DynClient>,
    node: Option<String>,
    config: Arc<TestConfig>,
    recorder: Arc<Recorder>,
    transactions: Option<Arc<TxnWorkload>>,
    workload: CancellationToken,
) -> WorkerEnd {
    let mut plan = Plan::new(&config, transactions);
    let mut rng = Rng::stream(config.seed, worker);
    let backoff = Backoff::new(Rng::stream(config.seed ^ BACKOFF_STREAM, worker));
    let mut process =
        ClientProcess::new(worker, config.concurrency, node, client, recorder.clone())
            .with_backoff(backoff);
    // With --rate R over C processes, each process starts an op every C/R
    // s; --process-rate P caps each process at P per second.
    let pace = [
        config
            .rate
            .map(|r| config.concurrency as f64 / r.max(0.001)),
        config.process_rate.map(|p| 1.0 / p.max(0.001)),
    ]
    .into_iter()
    .flatten()
    .reduce(f64::max)
    .map(Duration::from_secs_f64);
    let mut n = 0;
    let mut last_keys = Vec::new();
    while !workload.is_cancelled() {
        let started = Instant::now();
        let planned = plan.next(worker, n, &mut rng);
        n += 1;
        let performed = process.perform(&planned).await;
        last_keys = match &planned.key {
            // A lock or a generator has nothing to read at the end.
            // A watch stream has no final read either: its watches are its reads.
            Some(_) if matches!(plan, Plan::Lock(_) | Plan::UniqueIds(_) | Plan::Watch(_)) => {
                Vec::new()
            }
            // Keys move forward: a set is new when it differs from the last.
            Some(key) if matches!(plan, Plan::Set(_)) => {
                if last_keys.last() != Some(key) {
                    last_keys.push(key.clone());
                }
                last_keys
            }
            Some(key) => vec![key.clone()],
            None => TxnWorkload::keys_of(&planned.value)
                .iter()
                .map(u64::to_string)
                .collect(),
        };
        // A system that fails at once (a killed node refusing connections,
        // a client reconnecting) is not hammered: see `backoff`.
        if let Some(wait) = performed.wait {
            recorder.backing_off.fetch_add(1, Ordering::Relaxed);
            sleep_within(wait, &workload).await;
            recorder.backing_off.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(pace) = pace {
            sleep_within(pace.saturating_sub(started.elapsed()), &workload).await;
        } else {
            // An in-process client never awaits: let the other workers run.
            tokio::task::yield_now().await;
        }
    }
    WorkerEnd {
        process: process.id(),
        keys: last_keys,
        client: Some(Arc::from(process.into_client())),
    }
}

/// Where a worker's operations come from: its workload.
enum Plan {
    Register(RegisterWorkload),
    /// Shared by every worker.
    Transactions(Arc<TxnWorkload>),
    Set(SetWorkload),
    Counter(CounterWorkload),
    Lock(LockWorkload),
    UniqueIds(UniqueIdsWorkload),
    Bank(BankWorkload),
    Watch(WatchWorkload),
}

impl Plan {
    fn new(config: &TestConfig, transactions: Option<Arc<TxnWorkload>>) -> Plan {
        if let Some(t) = transactions {
            return Plan::Transactions(t);
        }
        let processes_per_key = config.processes_per_key;
        match config.workload {
            WorkloadKind::Set => Plan::Set(SetWorkload::new(
                processes_per_key,
                config.ops_per_key,
                config.concurrency,
            )),
            WorkloadKind::Counter => Plan::Counter(CounterWorkload { processes_per_key }),
            WorkloadKind::Lock => Plan::Lock(LockWorkload { processes_per_key }),
            WorkloadKind::UniqueIds => Plan::UniqueIds(UniqueIdsWorkload { processes_per_key }),
            WorkloadKind::Bank => Plan::Bank(BankWorkload { processes_per_key }),
            WorkloadKind::Watch => Plan::Watch(WatchWorkload { processes_per_key }),
            // Transactions come shared, above.
            WorkloadKind::Register | WorkloadKind::Append | WorkloadKind::Wr => Plan::Register(
                RegisterWorkload::new(processes_per_key, config.ops_per_key, config.concurrency),
            ),
        }
    }

    /// The `n`th operation of `worker`.
    fn next(&mut self, worker: u64, n: u64, rng: &mut Rng) -> Planned {
        match self {
            Plan::Register(r) => r.next(worker, n, rng),
            Plan::Transactions(t) => t.next(rng),
            Plan::Set(s) => s.next(worker, n, rng),
            Plan::Counter(c) => c.next(worker, rng),
            Plan::Lock(l) => l.next(worker, n),
            Plan::UniqueIds(u) => u.next(worker),
            Plan::Bank(b) => b.next(worker, rng),
            Plan::Watch(w) => w.next(worker, n, rng),
        }
    }
}

/// Sleeps `wait`, or less if the workload ends first.
async fn sleep_within(wait: Duration, workload: &CancellationToken) {
    if wait.is_zero() {
        return;
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = workload.cancelled() => {}
    }
}

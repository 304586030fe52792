//! The workers: each draws operations from the workload and performs them,
//! one at a time, as a [`ClientProcess`] against its node, paced by
//! `--rate` and `--process-rate` and backing off when the process says so.

use super::backoff::Backoff;
use super::client_process::ClientProcess;
use super::config::TestConfig;
use faultline_core::{DynClient, Recorder, Rng, System};
use faultline_workloads::WorkloadRun;
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
    /// say so (a session that closes may release the lock it held).
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
/// `run` is the workload's, shared by every worker.
pub async fn run_worker(
    worker: u64,
    config: Arc<TestConfig>,
    system: Arc<dyn System>,
    recorder: Arc<Recorder>,
    run: Arc<dyn WorkloadRun>,
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
        run,
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
    run: Arc<dyn WorkloadRun>,
    workload: CancellationToken,
) -> WorkerEnd {
    let mut plan = run.generator(worker);
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
        let planned = plan.next(n, &mut rng);
        n += 1;
        let performed = process.perform(&planned).await;
        last_keys = plan.final_keys(&planned, last_keys);
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

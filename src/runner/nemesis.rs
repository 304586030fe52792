//! The partition schedule: random halves for an interval, healed for an
//! interval, and so on; every change is an operation of the nemesis in the
//! history (invoke, then info with what was done to which nodes).

use super::config::TestConfig;
use super::recorder::Recorder;
use faultline_core::{Op, OpType, Process, Remote, Rng};
use faultline_nemeses::{describe, partition, random_halves, Grudge};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The remotes, shared with blocking tasks.
pub type Remotes = Arc<Vec<Arc<dyn Remote>>>;

/// Alternates partitions and healing until `deadline` or `stop`, and heals
/// before returning.
pub async fn run_partitions(
    config: Arc<TestConfig>,
    remotes: Remotes,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
) {
    let mut rng = Rng::stream(config.seed, u64::MAX);
    let names: Vec<String> = config.nodes.iter().map(|n| n.name.clone()).collect();
    let interval = Duration::from_secs_f64(config.nemesis_interval);
    let mut partitioned = false;
    loop {
        if !sleep_until_or_stop(interval, deadline, &stop).await {
            break;
        }
        if partitioned {
            heal_all(&config, &remotes, &recorder).await;
            partitioned = false;
        } else if !stop.load(Ordering::Relaxed) {
            let grudge = random_halves(&names, &mut rng);
            partitioned = true;
            start_partition(&config, &remotes, &recorder, grudge).await;
        }
    }
    if partitioned {
        heal_all(&config, &remotes, &recorder).await;
    }
}

/// Sleeps `interval` unless the deadline or a stop comes first; false then.
async fn sleep_until_or_stop(interval: Duration, deadline: Instant, stop: &AtomicBool) -> bool {
    let until = Instant::now() + interval;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    !stop.load(Ordering::Relaxed) && Instant::now() < deadline
}

async fn start_partition(
    config: &TestConfig,
    remotes: &Remotes,
    recorder: &Recorder,
    grudge: Grudge,
) {
    let text = describe(&grudge);
    recorder.record(Op::new(
        Process::Nemesis,
        OpType::Invoke,
        "start-partition",
        json!(text),
    ));
    let (remotes, nodes, g) = (remotes.clone(), config.nodes.clone(), grudge.clone());
    let errors = tokio::task::spawn_blocking(move || {
        std::thread::scope(|scope| {
            let handles: Vec<_> = remotes
                .iter()
                .map(|r| scope.spawn(|| partition::apply(r.as_ref(), &g, &nodes)))
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok()?.err())
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        })
    })
    .await
    .unwrap_or_default();
    let mut done = Op::new(
        Process::Nemesis,
        OpType::Info,
        "start-partition",
        json!({"partition": text, "grudge": grudge}),
    );
    if !errors.is_empty() {
        done.error = Some(errors.join("; "));
    }
    eprintln!(
        "[{:>5.1}s] nemesis: partition {text}",
        recorder.elapsed_secs()
    );
    recorder.record(done);
}

/// Removes faultline's rules on every node, recorded as a nemesis operation.
pub async fn heal_all(_config: &TestConfig, remotes: &Remotes, recorder: &Recorder) {
    recorder.record(Op::new(
        Process::Nemesis,
        OpType::Invoke,
        "stop-partition",
        json!(null),
    ));
    let errors = heal_blocking(remotes.clone()).await;
    let mut done = Op::new(
        Process::Nemesis,
        OpType::Info,
        "stop-partition",
        json!("network healed"),
    );
    if !errors.is_empty() {
        done.error = Some(errors.join("; "));
    }
    eprintln!(
        "[{:>5.1}s] nemesis: network healed",
        recorder.elapsed_secs()
    );
    recorder.record(done);
}

/// Flushes faultline's chain on every node; the errors, if any.
pub async fn heal_blocking(remotes: Remotes) -> Vec<String> {
    tokio::task::spawn_blocking(move || {
        std::thread::scope(|scope| {
            let handles: Vec<_> = remotes
                .iter()
                .map(|r| scope.spawn(|| partition::heal(r.as_ref())))
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok()?.err())
                .map(|e| e.to_string())
                .collect()
        })
    })
    .await
    .unwrap_or_else(|e| vec![e.to_string()])
}

//! The partition schedule: random halves for an interval, healed for an
//! interval, and so on; every change is an operation of the nemesis in the
//! history (invoke, then info with what was done to which nodes).

use super::config::TestConfig;
use super::faults::{parse_faults, Fault};
use super::on_every_node;
use super::recorder::Recorder;
use faultline_core::{Kill, Op, OpType, Pause, Process, Remote, Rng};
use faultline_nemeses::{describe, partition, random_halves, Grudge};
use faultline_workloads::etcd::EtcdDb;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The remotes, shared with blocking tasks.
pub type Remotes = Arc<Vec<Arc<dyn Remote>>>;

/// Every `--nemesis-interval`, picks one of the requested faults at
/// random: starts it if it is not active, stops it if it is (so each kind
/// has one change at a time, and every start is matched by a stop). Before
/// returning, stops whatever is still active.
pub async fn run_nemesis(
    config: Arc<TestConfig>,
    remotes: Remotes,
    db: Arc<EtcdDb>,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
) {
    let faults = parse_faults(&config.nemesis).unwrap_or_default();
    if faults.is_empty() {
        return;
    }
    let mut rng = Rng::stream(config.seed, u64::MAX);
    let names: Vec<String> = config.nodes.iter().map(|n| n.name.clone()).collect();
    let interval = Duration::from_secs_f64(config.nemesis_interval);
    let mut active: BTreeMap<Fault, usize> = BTreeMap::new();
    let ctx = Context {
        config: &config,
        remotes: &remotes,
        db: &db,
        recorder: &recorder,
    };
    loop {
        if !sleep_until_or_stop(interval, deadline, &stop).await {
            break;
        }
        let fault = faults[rng.below(faults.len() as u64) as usize];
        if let Some(target) = active.remove(&fault) {
            ctx.stop(fault, target).await;
        } else if !stop.load(Ordering::Relaxed) {
            let target = rng.below(names.len() as u64) as usize;
            if fault == Fault::Partition {
                start_partition(
                    &config,
                    &remotes,
                    &recorder,
                    random_halves(&names, &mut rng),
                )
                .await;
            } else {
                ctx.start(fault, target).await;
            }
            active.insert(fault, target);
        }
    }
    for (fault, target) in active {
        ctx.stop(fault, target).await;
    }
}

/// What process faults need.
struct Context<'a> {
    config: &'a TestConfig,
    remotes: &'a Remotes,
    db: &'a Arc<EtcdDb>,
    recorder: &'a Recorder,
}

impl Context<'_> {
    async fn start(&self, fault: Fault, target: usize) {
        let f = if fault == Fault::Kill {
            "kill"
        } else {
            "pause"
        };
        self.act(f, target).await;
    }

    async fn stop(&self, fault: Fault, target: usize) {
        match fault {
            Fault::Partition => heal_all(self.remotes, self.recorder).await,
            Fault::Kill => self.act("restart", target).await,
            Fault::Pause => self.act("resume", target).await,
        }
    }

    /// Runs a process action on node `target`, recorded as nemesis operations.
    async fn act(&self, f: &'static str, target: usize) {
        let node = self.config.nodes[target].clone();
        self.recorder.record(Op::new(
            Process::Nemesis,
            OpType::Invoke,
            f,
            json!([node.name]),
        ));
        let (remote, db, cluster) = (
            self.remotes[target].clone(),
            self.db.clone(),
            self.config.nodes.clone(),
        );
        let result = tokio::task::spawn_blocking(move || match f {
            "kill" => db.kill(remote.as_ref(), &node),
            "restart" => db.restart(remote.as_ref(), &node, &cluster),
            "pause" => db.pause(remote.as_ref(), &node),
            _ => db.resume(remote.as_ref(), &node),
        })
        .await;
        let name = &self.config.nodes[target].name;
        let errors: Vec<String> = match result {
            Ok(Ok(())) => Vec::new(),
            Ok(Err(e)) => vec![e.to_string()],
            Err(e) => vec![e.to_string()],
        };
        record_done(
            self.recorder,
            f,
            json!({ "nodes": [name] }),
            &errors,
            &format!("{f} {name}"),
        );
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
        on_every_node(&remotes, |r, _| partition::apply(r, &g, &nodes))
    })
    .await
    .unwrap_or_else(|e| vec![e.to_string()]);
    let value = json!({"partition": text, "grudge": grudge});
    record_done(
        recorder,
        "start-partition",
        value,
        &errors,
        &format!("partition {text}"),
    );
}

/// Removes faultline's rules on every node, recorded as a nemesis operation.
pub async fn heal_all(remotes: &Remotes, recorder: &Recorder) {
    recorder.record(Op::new(
        Process::Nemesis,
        OpType::Invoke,
        "stop-partition",
        json!(null),
    ));
    let errors = heal_blocking(remotes.clone()).await;
    record_done(
        recorder,
        "stop-partition",
        json!("network healed"),
        &errors,
        "network healed",
    );
}

/// Records the completion of nemesis action `f` (with any errors) and
/// prints it as progress.
fn record_done(recorder: &Recorder, f: &'static str, value: Value, errors: &[String], what: &str) {
    let mut done = Op::new(Process::Nemesis, OpType::Info, f, value);
    if !errors.is_empty() {
        done.error = Some(errors.join("; "));
    }
    let failed = done
        .error
        .as_deref()
        .map_or(String::new(), |e| format!(" failed: {e}"));
    eprintln!(
        "[{:>5.1}s] nemesis: {what}{failed}",
        recorder.elapsed_secs()
    );
    recorder.record(done);
}

/// Flushes faultline's chain on every node; the errors, if any.
pub async fn heal_blocking(remotes: Remotes) -> Vec<String> {
    tokio::task::spawn_blocking(move || on_every_node(&remotes, |r, _| partition::heal(r)))
        .await
        .unwrap_or_else(|e| vec![e.to_string()])
}

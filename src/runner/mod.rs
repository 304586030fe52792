//! Running a test: set up the database on every node, drive the clients
//! and the nemesis for the time limit, then (whatever happened: time limit,
//! Ctrl-C, a panic, a lost node) heal the network, collect the logs and tear
//! down, and check the history written on the way.

mod backoff;
mod cleanup;
mod client_process;
pub mod config;
mod final_reads;
mod health;
mod log_marks;
mod summary;
pub mod workers;

use crate::control::SshRemote;
use crate::exit::Failure;
use anyhow::anyhow;
use config::{NemesisPlan, TestConfig};
use faultline_core::{on_every_node, Problems, Recorder, Remote, Remotes, System};
use faultline_nemeses::clock::{self, ClockStrategy};
use faultline_workloads::WorkloadRun;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long the database may take to serve on every node after starting.
const HEALTHY_WITHIN: Duration = Duration::from_secs(60);

/// The system `config` tests, set up for its run; `launch_prefix`: per
/// node, what the database's command starts with.
fn open_system(
    config: &TestConfig,
    launch_prefix: BTreeMap<String, String>,
) -> Result<Arc<dyn System>, Failure> {
    config
        .system
        .open(config.run_context(launch_prefix))
        .map_err(|e| Failure::bad_input(anyhow!(e)))
}

/// Runs the test `config` describes; returns the exit code.
pub fn run_test(config: TestConfig) -> Result<i32, Failure> {
    run_test_case(config).map(|(code, _)| code)
}

/// Runs the test `config` describes; returns the exit code and the run as
/// a JUnit test case.
pub fn run_test_case(
    mut config: TestConfig,
) -> Result<(i32, faultline_reports::junit::Case), Failure> {
    crate::interrupt::install();
    config.check = Some(config.check_spec().map_err(Failure::bad_input)?);
    config.run_id = new_run_id(config.seed);
    // What the system can do decides which faults may run, before anything
    // is written or touched.
    let mut plan = config
        .nemesis
        .plan(&config.node_names())
        .map_err(Failure::bad_input)?;
    let abilities = open_system(&config, BTreeMap::new())?;
    for note in plan
        .fit_to(abilities.as_ref())
        .map_err(Failure::bad_input)?
    {
        eprintln!("note: {note}");
    }
    let run_dir =
        crate::store::create_run_dir(&config.store, &config.name).map_err(Failure::bad_input)?;
    std::fs::write(
        run_dir.join("test.json"),
        serde_json::to_string_pretty(&config).unwrap_or_default(),
    )
    .map_err(|e| Failure::bad_input(anyhow!("cannot write test.json: {e}")))?;
    eprintln!(
        "faultline {}: seed {}, {} nodes, run directory {}",
        config.name,
        config.seed,
        config.nodes.len(),
        run_dir.display()
    );
    let remotes = connect_all(&config).map_err(Failure::bad_input)?;
    claim_nodes(&config, &remotes).map_err(Failure::bad_input)?;
    install_on_local_host(&config, &plan, abilities.as_ref()).map_err(Failure::bad_input)?;
    let launch_prefix =
        prepare_clocks(&config, &plan, &remotes, abilities.as_ref()).map_err(Failure::bad_input)?;
    let system = open_system(&config, launch_prefix)?;
    let marks = cleanup::mark_logs(&config, &remotes, system.db());
    let mut cleanup = cleanup::Cleanup {
        config: config.clone(),
        remotes: remotes.clone(),
        system: system.clone(),
        run_dir: run_dir.clone(),
        log_marks: marks,
        done: false,
    };
    let started = Instant::now();
    let problems = Problems::default();
    let outcome = setup_and_run(&config, plan, &remotes, &system, &run_dir, &problems);
    let (cleanup_notes, heal_problems) = cleanup.finish();
    for problem in heal_problems {
        problems.add(format!("healing at the end failed: {problem}"));
    }
    if let Err(e) = outcome {
        eprintln!("error: {e:#}");
        if !run_dir.join("history.jsonl").exists() {
            return Err(Failure::bad_input(anyhow!("the test did not start: {e:#}")));
        }
        eprintln!("the history recorded so far is checked below");
    }
    summary::summarize(
        &config,
        system.name(),
        &run_dir,
        started.elapsed(),
        &cleanup_notes,
        &problems.list(),
    )
}

/// Makes every node this run's (see [`faultline_core::fence`]): a fault
/// still in flight from an earlier faultline can no longer land.
fn claim_nodes(config: &TestConfig, remotes: &Remotes) -> anyhow::Result<()> {
    let errors = on_every_node(remotes, |remote, i| {
        faultline_core::fence::claim(remote, &config.nodes[i].dir, &config.run_id)
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "could not claim the nodes for this run: {}",
            errors.join("; ")
        ))
    }
}

/// The remotes the faults go through: each command runs only while its
/// node is still this run's.
fn fenced(config: &TestConfig, remotes: &Remotes) -> Remotes {
    Arc::new(
        remotes
            .iter()
            .zip(&config.nodes)
            .map(|(remote, node)| {
                Arc::new(faultline_core::fence::FencedRemote::new(
                    remote.clone(),
                    &node.dir,
                    &config.run_id,
                )) as Arc<dyn Remote>
            })
            .collect(),
    )
}

/// 12 hex digits no other run shares: the time in nanoseconds, this
/// process and the seed, mixed.
fn new_run_id(seed: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ (u64::from(std::process::id()) << 40) ^ seed.rotate_left(17);
    // splitmix64's finalizer: nearby inputs give unrelated outputs.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^= x >> 31;
    format!("{:012x}", x >> 16)
}

/// On a local cluster, installs what the system and the faults need on
/// this machine before any node uses it: the nodes share its filesystem
/// and reach no package mirror (remote nodes install what they miss).
fn install_on_local_host(
    config: &TestConfig,
    plan: &NemesisPlan,
    system: &dyn System,
) -> anyhow::Result<()> {
    if !config.local_cluster {
        return Ok(());
    }
    let mut packages = system.packages();
    packages.extend(plan.packages());
    let what = format!("this {} test", system.name());
    crate::cluster::packages::install_missing(&packages, &what)
}

/// Readies every node for clock faults when they were asked for; per
/// node, what the database's command line starts with (libfaketime's
/// preload).
fn prepare_clocks(
    config: &TestConfig,
    plan: &NemesisPlan,
    remotes: &Remotes,
    system: &dyn System,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut prefixes = BTreeMap::new();
    if !plan.faults.contains(&faultline_nemeses::Fault::Clock) {
        return Ok(prefixes);
    }
    if plan.clock_strategy == ClockStrategy::Faketime {
        if let Some(why) = system.ignores_faketime() {
            eprintln!("warning: {why}: clock faults will be applied and recorded, but {} will not see them. Use --clock-strategy real --nodes-are-disposable on test machines whose clocks may change.", system.name());
        }
    }
    for (remote, node) in remotes.iter().zip(&config.nodes) {
        let prefix = clock::prepare(
            remote.as_ref(),
            node,
            plan.clock_strategy,
            config.nemesis.nodes_are_disposable,
        )?;
        prefixes.insert(node.name.clone(), prefix);
    }
    Ok(prefixes)
}

/// Mounts the lose-unsynced filesystem over the data directory of every
/// node (the disk fault).
fn mount_disks(config: &TestConfig, remotes: &Remotes, system: &dyn System) -> anyhow::Result<()> {
    let data_dir = system
        .data_dir()
        .ok_or_else(|| anyhow!("{} does not say where its data lives", system.name()))?;
    eprintln!(
        "disk faults: mounting faultline's lose-unsynced filesystem over {}'s data directory on {} nodes",
        system.name(),
        config.nodes.len()
    );
    let errors = on_every_node(remotes, |remote, i| {
        let node = &config.nodes[i];
        faultline_nemeses::disk::mount_on_node(remote, node, &data_dir.data_dir(node))
            .map_err(|e| format!("{}: {e}", node.name))
    });
    if !errors.is_empty() {
        return Err(anyhow!(
            "disk faults need faultline's filesystem under the data directory: {} (the nodes need /dev/fuse and root)",
            errors.join("; ")
        ));
    }
    Ok(())
}

fn connect_all(config: &TestConfig) -> anyhow::Result<Remotes> {
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = config
            .nodes
            .iter()
            .map(|n| scope.spawn(|| SshRemote::connect(n, &config.ssh)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("connecting panicked")))
            .collect()
    });
    let mut remotes: Vec<Arc<dyn Remote>> = Vec::new();
    for result in results {
        remotes.push(Arc::new(result??));
    }
    Ok(Arc::new(remotes))
}

fn setup_and_run(
    config: &TestConfig,
    plan: NemesisPlan,
    remotes: &Remotes,
    system: &Arc<dyn System>,
    run_dir: &Path,
    problems: &Problems,
) -> anyhow::Result<()> {
    // A faultline killed mid-run may have left faults in place: heal first.
    let left_faults = on_every_node(remotes, |remote, i| {
        let node = &config.nodes[i];
        let problems = faultline_nemeses::heal_node(remote, node, &config.nodes, system.pause());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {}", node.name, problems.join("; ")))
        }
    });
    if !left_faults.is_empty() {
        return Err(anyhow!(
            "the nodes still carry faults from an earlier run that could not be removed: {}; run `faultline cluster heal`",
            left_faults.join("; ")
        ));
    }
    // Everything an earlier run left is stopped on every node before any
    // node starts: an old member must not talk to a new one.
    let errors = on_every_node(remotes, |remote, i| {
        system.db().clear_leftovers(remote, &config.nodes[i])
    });
    if !errors.is_empty() {
        return Err(anyhow!(
            "what an earlier run left could not be cleared: {}",
            errors.join("; ")
        ));
    }
    // A filesystem an earlier run left under the data directory goes once
    // its database is stopped; this run's is mounted before the start.
    let left_mounts = on_every_node(remotes, |remote, i| {
        let node = &config.nodes[i];
        match faultline_nemeses::disk::remove_from_node(remote, node).as_slice() {
            [] => Ok(()),
            problems => Err(format!("{}: {}", node.name, problems.join("; "))),
        }
    });
    if !left_mounts.is_empty() {
        return Err(anyhow!(
            "an earlier run's disk fault could not be removed: {}; run `faultline cluster heal`",
            left_mounts.join("; ")
        ));
    }
    if plan.faults.contains(&faultline_nemeses::Fault::Disk) {
        mount_disks(config, remotes, system.as_ref())?;
    }
    eprintln!("setting up the database on {} nodes...", config.nodes.len());
    let errors = crate::progress::with_progress("setting up the database", || {
        on_every_node(remotes, |remote, i| {
            system.db().setup(remote, &config.nodes[i], &config.nodes)
        })
    });
    if !errors.is_empty() {
        return Err(anyhow!("database setup failed: {}", errors.join("; ")));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(drive(
        config,
        plan,
        remotes,
        system.clone(),
        run_dir,
        problems,
    ))
}

async fn drive(
    config: &TestConfig,
    plan: NemesisPlan,
    remotes: &Remotes,
    system: Arc<dyn System>,
    run_dir: &Path,
    problems: &Problems,
) -> anyhow::Result<()> {
    health::wait_healthy(&config.nodes, remotes, system.as_ref(), HEALTHY_WITHIN).await?;
    // Readying the nodes for the faults is set-up: before the history's
    // clock and the time limit start.
    let schedule = faultline_nemeses::Schedule {
        plan,
        seed: config.seed,
        nodes: config.nodes.clone(),
        remotes: fenced(config, remotes),
        system: system.clone(),
    };
    let schedule =
        tokio::task::spawn_blocking(move || faultline_nemeses::prepare_schedule(schedule))
            .await
            .map_err(|e| anyhow!("readying the nodes for the faults failed: {e}"))?;
    let config = Arc::new(config.clone());
    let recorder = Arc::new(Recorder::create(
        &run_dir.join("history.jsonl"),
        problems.clone(),
    )?);
    // One token stops the run (Ctrl-C, a failed client task); its child
    // also ends at the time limit and bounds the workload and the nemesis.
    let stop = CancellationToken::new();
    tokio::spawn(cancel_on_interrupt(stop.clone()));
    if crate::interrupt::requested() {
        return Ok(()); // interrupted during set-up: no workload at all
    }
    let workload = workload_window(&stop, Duration::from_secs_f64(config.time_limit));
    eprintln!(
        "running {} clients for {} s, nemesis: {}",
        config.concurrency,
        config.time_limit,
        config.nemesis.faults_text()
    );
    let run: Arc<dyn WorkloadRun> = Arc::from(config.workload.workload().start(&config.shape()));
    let mut tasks = Vec::new();
    for worker in 0..config.concurrency {
        tasks.push(tokio::spawn(workers::run_worker(
            worker,
            config.clone(),
            system.clone(),
            recorder.clone(),
            run.clone(),
            workload.clone(),
        )));
    }
    let nemesis = tokio::spawn(faultline_nemeses::run_schedule(
        schedule,
        recorder.clone(),
        workload.clone(),
    ));
    let progress = tokio::spawn(report_progress(recorder.clone(), workload.clone()));
    crash_if_asked().await;
    let mut failure = None;
    let mut ends = Vec::new();
    for task in tasks {
        match task.await {
            Ok(end) => ends.push(end),
            Err(e) => {
                stop.cancel();
                failure.get_or_insert_with(|| anyhow!("a client task failed: {e}"));
            }
        }
    }
    if let Err(e) = nemesis.await {
        failure.get_or_insert_with(|| anyhow!("the nemesis failed: {e}"));
    }
    progress.abort();
    heal_after_workload(remotes, problems).await;
    if failure.is_none() && !stop.is_cancelled() {
        let system = system.as_ref();
        final_reads::run(&config, system, run.as_ref(), &recorder, &ends, &stop).await;
    }
    failure.map_or(Ok(()), Err)
}

/// Cancels `stop` once Ctrl-C is asked for.
async fn cancel_on_interrupt(stop: CancellationToken) {
    while !crate::interrupt::requested() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "\ninterrupted: stopping clients, healing the network, tearing down (the history is kept)"
    );
    stop.cancel();
}

/// Whatever ended the workload, the network is whole again before the
/// final reads and teardown; a heal that fails is a problem of the run.
async fn heal_after_workload(remotes: &Remotes, problems: &Problems) {
    let errors = faultline_nemeses::heal_partitions(remotes.clone()).await;
    if !errors.is_empty() {
        eprintln!(
            "warning: healing failed on some nodes: {}",
            errors.join("; ")
        );
        problems.add(format!(
            "healing the network after the workload failed: {}",
            errors.join("; ")
        ));
    }
}

/// Crash injection for testing the way out of a panic: with
/// `FAULTLINE_INJECT_PANIC_AFTER_S=N`, the run panics N seconds into the
/// workload, as a bug in faultline would; the network must still be
/// healed, the history kept and the exit code 255.
async fn crash_if_asked() {
    let Some(after) = std::env::var("FAULTLINE_INJECT_PANIC_AFTER_S")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    else {
        return;
    };
    tokio::time::sleep(Duration::from_secs_f64(after)).await;
    panic!("injected panic (FAULTLINE_INJECT_PANIC_AFTER_S={after})");
}

/// A child of `stop` that also ends after `limit`: the workload's window.
pub fn workload_window(stop: &CancellationToken, limit: Duration) -> CancellationToken {
    let window = stop.child_token();
    let ends = window.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(limit) => ends.cancel(),
            _ = ends.cancelled() => {}
        }
    });
    window
}

async fn report_progress(recorder: Arc<Recorder>, workload: CancellationToken) {
    let (mut last, mut last_fail) = (0, 0);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = workload.cancelled() => return,
        }
        let done = recorder.completed();
        let backing_off = match recorder.backing_off.load(Ordering::Relaxed) {
            0 => String::new(),
            n => format!("; {n} process(es) backing off: the system refused them"),
        };
        // Failures per second now, not only in all: for transactions they
        // are mostly conflicts, and their rate is the contention.
        let fail = recorder.fail.load(Ordering::Relaxed);
        eprintln!(
            "[{:>5.1}s] {done} ops ({} ok, {fail} fail, {} info), {:.0} ops/s, {:.0} fail/s{backing_off}",
            recorder.elapsed_secs(),
            recorder.ok.load(Ordering::Relaxed),
            recorder.info.load(Ordering::Relaxed),
            (done - last) as f64 / 5.0,
            (fail - last_fail) as f64 / 5.0
        );
        (last, last_fail) = (done, fail);
    }
}

//! Running a test: set up the database on every node, drive the clients
//! and the nemesis for the time limit, then (whatever happened: time limit,
//! Ctrl-C, a panic, a lost node) heal the network, collect the logs and tear
//! down, and check the history written on the way.

mod backoff;
mod client_process;
pub mod config;
mod final_reads;
mod health;
mod log_marks;
pub mod workers;

use crate::control::SshRemote;
use crate::exit::Failure;
use crate::run_check::{check_run, print_verdict};
use anyhow::anyhow;
use config::{NemesisPlan, TestConfig};
use faultline_core::{on_every_node, Problems, Recorder, Remote, Remotes, System};
use faultline_nemeses::clock::{self, ClockStrategy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the database may take to serve on every node after starting.
const HEALTHY_WITHIN: Duration = Duration::from_secs(60);

/// Runs the test `config` describes; returns the exit code.
pub fn run_test(config: TestConfig) -> Result<i32, Failure> {
    run_test_case(config).map(|(code, _)| code)
}

/// Runs the test `config` describes; returns the exit code and the run as
/// a JUnit test case.
pub fn run_test_case(mut config: TestConfig) -> Result<(i32, crate::junit::Case), Failure> {
    crate::interrupt::install();
    config.check = Some(config.check_spec());
    config.run_id = new_run_id(config.seed);
    let spec = config.system_spec();
    // What the system can do decides which faults may run, before anything
    // is written or touched.
    let mut plan = config
        .nemesis
        .plan(&config.node_names())
        .map_err(Failure::bad_input)?;
    let abilities = faultline_systems::open(&spec, config.run_context(BTreeMap::new()));
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
    let launch_prefix =
        prepare_clocks(&config, &plan, &remotes, abilities.as_ref()).map_err(Failure::bad_input)?;
    let system = faultline_systems::open(&spec, config.run_context(launch_prefix));
    let marks = mark_logs(&config, &remotes, system.db());
    let mut cleanup = Cleanup {
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
    summarize(
        &config,
        system.name(),
        &run_dir,
        started.elapsed(),
        &cleanup_notes,
        &problems.list(),
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
    eprintln!("setting up the database on {} nodes...", config.nodes.len());
    let errors = on_every_node(remotes, |remote, i| {
        system.db().setup(remote, &config.nodes[i], &config.nodes)
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
    let config = Arc::new(config.clone());
    let recorder = Arc::new(Recorder::create(
        &run_dir.join("history.jsonl"),
        problems.clone(),
    )?);
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    tokio::spawn(async move {
        while !crate::interrupt::requested() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("\ninterrupted: stopping clients, healing the network, tearing down (the history is kept)");
        on_signal.store(true, Ordering::Relaxed);
    });
    if crate::interrupt::requested() {
        return Ok(()); // interrupted during set-up: no workload at all
    }
    let deadline = Instant::now() + Duration::from_secs_f64(config.time_limit);
    eprintln!(
        "running {} clients for {} s, nemesis: {}",
        config.concurrency, config.time_limit, config.nemesis.faults
    );
    let mut tasks = Vec::new();
    for worker in 0..config.concurrency {
        tasks.push(tokio::spawn(workers::run_worker(
            worker,
            config.clone(),
            system.clone(),
            recorder.clone(),
            stop.clone(),
            deadline,
        )));
    }
    let schedule = faultline_nemeses::Schedule {
        plan,
        seed: config.seed,
        nodes: config.nodes.clone(),
        remotes: remotes.clone(),
        system: system.clone(),
        recorder: recorder.clone(),
    };
    let nemesis = tokio::spawn(faultline_nemeses::run_schedule(
        schedule,
        stop.clone(),
        deadline,
    ));
    let progress = tokio::spawn(report_progress(recorder.clone(), stop.clone(), deadline));
    crash_if_asked().await;
    let mut failure = None;
    let mut ends = Vec::new();
    for task in tasks {
        match task.await {
            Ok(end) => ends.push(end),
            Err(e) => {
                stop.store(true, Ordering::Relaxed);
                failure.get_or_insert_with(|| anyhow!("a client task failed: {e}"));
            }
        }
    }
    if let Err(e) = nemesis.await {
        failure.get_or_insert_with(|| anyhow!("the nemesis failed: {e}"));
    }
    progress.abort();
    // Whatever ended the run, the network is whole again before teardown.
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
    if failure.is_none() && !stop.load(Ordering::Relaxed) {
        final_reads::run(&config, system.as_ref(), &recorder, &ends, &stop).await;
    }
    failure.map_or(Ok(()), Err)
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

async fn report_progress(recorder: Arc<Recorder>, stop: Arc<AtomicBool>, deadline: Instant) {
    let mut last = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let done = recorder.completed();
        let backing_off = match recorder.backing_off.load(Ordering::Relaxed) {
            0 => String::new(),
            n => format!("; {n} process(es) backing off after failing fast"),
        };
        eprintln!(
            "[{:>5.1}s] {done} ops ({} ok, {} fail, {} info), {:.0} ops/s{backing_off}",
            recorder.elapsed_secs(),
            recorder.ok.load(Ordering::Relaxed),
            recorder.fail.load(Ordering::Relaxed),
            recorder.info.load(Ordering::Relaxed),
            (done - last) as f64 / 5.0
        );
        last = done;
    }
}

/// Puts the cluster back: heals and removes faultline's rules, collects the
/// logs, tears the database down. Runs once, from `finish` or, if a panic
/// unwinds past it, from `drop`.
struct Cleanup {
    config: TestConfig,
    remotes: Remotes,
    system: Arc<dyn System>,
    run_dir: PathBuf,
    /// Per node, where its logs stood before set-up.
    log_marks: Vec<log_marks::NodeMarks>,
    done: bool,
}

/// Where every node's logs stand before set-up (see [`log_marks`]).
fn mark_logs(
    config: &TestConfig,
    remotes: &Remotes,
    db: &dyn faultline_core::Db,
) -> Vec<log_marks::NodeMarks> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = remotes
            .iter()
            .zip(&config.nodes)
            .map(|(remote, node)| scope.spawn(move || log_marks::mark(remote.as_ref(), node, db)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

impl Cleanup {
    /// Returns notes for the summary, and what could not be healed.
    fn finish(&mut self) -> (Vec<String>, Vec<String>) {
        if self.done {
            return (Vec::new(), Vec::new());
        }
        self.done = true;
        let mut notes = Vec::new();
        let nodes = &self.config.nodes;
        let (system, run_dir, leave) = (
            self.system.as_ref(),
            &self.run_dir,
            self.config.leave_db_running,
        );
        let no_marks = log_marks::NodeMarks::new();
        let results: Vec<(Vec<String>, Vec<String>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .remotes
                .iter()
                .zip(nodes)
                .enumerate()
                .map(|(i, (remote, node))| {
                    let marks = self.log_marks.get(i).unwrap_or(&no_marks);
                    let place = Place {
                        node,
                        cluster: nodes,
                        run_dir,
                        marks,
                    };
                    scope.spawn(move || clean_node(remote.as_ref(), &place, system, leave))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| (Vec::new(), vec!["cleanup panicked".into()]))
                })
                .collect()
        });
        let mut unhealed = Vec::new();
        for (node_notes, node_unhealed) in results {
            notes.extend(node_notes);
            notes.extend(node_unhealed.iter().cloned());
            unhealed.extend(node_unhealed);
        }
        (notes, unhealed)
    }
}

/// A node being cleaned up, and where its logs go.
struct Place<'a> {
    node: &'a faultline_core::Node,
    cluster: &'a [faultline_core::Node],
    run_dir: &'a Path,
    marks: &'a log_marks::NodeMarks,
}

/// Heals the node, collects its logs, tears the database down; returns
/// notes, and what could not be healed.
fn clean_node(
    remote: &dyn Remote,
    place: &Place,
    system: &dyn System,
    leave_running: bool,
) -> (Vec<String>, Vec<String>) {
    let (node, cluster, run_dir) = (place.node, place.cluster, place.run_dir);
    let db = system.db();
    let unhealed: Vec<String> = faultline_nemeses::heal_node(remote, node, cluster, system.pause())
        .into_iter()
        .map(|problem| format!("{}: {problem}", node.name))
        .collect();
    let mut notes: Vec<String> = Vec::new();
    let logs = run_dir.join("nodes").join(&node.name);
    let _ = std::fs::create_dir_all(&logs);
    for file in db.log_files(node) {
        let name = file.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let local = logs.join(name);
        if let Err(e) = remote.download(&file, &local) {
            notes.push(format!(
                "{}: log {} not collected: {e}",
                node.name,
                file.display()
            ));
        } else if let Err(e) =
            log_marks::keep_only_the_run(remote, &file, &local, place.marks.get(&file))
        {
            notes.push(format!(
                "{}: log {} could not be cut to this run's part: {e}",
                node.name,
                file.display()
            ));
        }
    }
    if !leave_running {
        if let Err(e) = db.teardown(remote, node) {
            notes.push(format!("{}: teardown failed: {e}", node.name));
        }
    }
    (notes, unhealed)
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for note in self.finish().0 {
            eprintln!("warning: {note}");
        }
    }
}

fn summarize(
    config: &TestConfig,
    system_name: &str,
    run_dir: &Path,
    took: Duration,
    notes: &[String],
    problems: &[String],
) -> Result<(i32, crate::junit::Case), Failure> {
    let verdict =
        check_run(run_dir, Duration::from_secs(300), Some(problems)).map_err(|e| Failure {
            code: 255,
            error: e,
        })?;
    let [ok, fail, info] = verdict.outcomes;
    println!();
    println!(
        "== faultline {}: {} ==",
        config.name,
        verdict.valid.to_string().to_uppercase()
    );
    println!("run:     {}", run_dir.display());
    println!(
        "seed:    {} (the same seed replays the same schedule: --seed {})",
        config.seed, config.seed
    );
    println!(
        "took:    {:.1} s in all; workload {:.1} s at {:.0} ops/s",
        took.as_secs_f64(),
        verdict.duration_s,
        (ok + fail + info) as f64 / verdict.duration_s.max(0.001)
    );
    print_verdict(&verdict);
    if notes.is_empty() {
        println!(
            "cleanup: network healed, clocks reset, no faultline rule or qdisc left, logs collected{}",
            if config.leave_db_running {
                format!(", {system_name} left running")
            } else {
                format!(", {system_name} stopped and wiped")
            }
        );
    } else {
        for note in notes {
            println!("cleanup: {note}");
        }
    }
    println!("history: {}", run_dir.join("history.jsonl").display());
    match faultline_reports::write_run_report(run_dir) {
        Ok(page) => println!("page:    {}", page.display()),
        Err(e) => eprintln!("warning: the run's page could not be written: {e}"),
    }
    match faultline_reports::write_store_index(&config.store) {
        Ok(index) => println!("index:   {}", index.display()),
        Err(e) => eprintln!("warning: the store's index could not be written: {e}"),
    }
    let code = verdict.valid.exit_code();
    let case = run_case(config, run_dir, took, &verdict);
    if let Some(path) = &config.junit {
        crate::junit::write_junit(
            path,
            &format!("faultline test {}", config.name),
            std::slice::from_ref(&case),
        )
        .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &config.summary_json {
        crate::junit::write_summary(path, std::slice::from_ref(&case), code)
            .map_err(|e| Failure::bad_input(anyhow!("cannot write {}: {e}", path.display())))?;
    }
    Ok((code, case))
}

/// The run as one JUnit test case: the checker's verdict, the anomalies,
/// where the run is.
pub(crate) fn run_case(
    config: &TestConfig,
    run_dir: &Path,
    took: Duration,
    verdict: &crate::run_check::RunVerdict,
) -> crate::junit::Case {
    use crate::junit::{Case, CaseOutcome};
    use crate::run_check::RunAnalysis;
    use faultline_core::Validity;
    // The one-line verdict `check` gives; details: the reason or the first
    // explanations.
    let message = crate::verdict_text::one_line(&verdict.analysis);
    let (checker, details) = match &verdict.analysis {
        RunAnalysis::Unchecked(reason) => ("unchecked", reason.clone()),
        RunAnalysis::Linearizable(a) => ("linearizable", a.reason.clone().unwrap_or_default()),
        RunAnalysis::Serializable(a) => {
            let explained: Vec<String> = a
                .anomalies
                .iter()
                .take(3)
                .map(|x| format!("{}: {}", x.name, x.explanation))
                .collect();
            ("serializable", explained.join("\n"))
        }
    };
    Case {
        name: format!("{} {checker} (seed {})", config.name, config.seed),
        classname: format!("faultline.test.{}", config.name),
        time_s: took.as_secs_f64(),
        outcome: match verdict.valid {
            Validity::Valid => CaseOutcome::Passed,
            Validity::Invalid => CaseOutcome::Failed,
            Validity::Unknown => CaseOutcome::Error,
        },
        message: if verdict.harness_failures.is_empty() {
            message
        } else {
            format!(
                "{message}; the harness failed: {}",
                verdict.harness_failures.join("; ")
            )
        },
        details: format!("run directory: {}\n{details}", run_dir.display()),
    }
}

//! Benchmarks the runner with an in-process client that answers at once
//! (no network, no database): how many operations per second the harness
//! itself can generate and record to disk, so that it is never the
//! bottleneck. `cargo bench --bench runner` (add `-- --seconds 5`).

use faultline::runner::config::NemesisConfig;
use faultline::runner::config::TestConfig;
use faultline::runner::workers::run_client;
use faultline_core::Recorder;
use faultline_core::{Client, Completion, SshSettings, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// An in-process fake: every operation succeeds at once.
#[derive(Clone)]
struct NoopClient;

impl Client for NoopClient {
    async fn invoke(&self, _f: &str, _key: Option<&str>, value: &Value) -> Completion {
        Completion::ok(value.clone())
    }
}

fn config(concurrency: u64, seconds: f64) -> TestConfig {
    TestConfig {
        name: "bench".into(),
        workload: Default::default(),
        nodes: Vec::new(),
        ssh: SshSettings::default(),
        local_cluster: false,
        concurrency,
        rate: None,
        time_limit: seconds,
        seed: 1,
        processes_per_key: 3,
        ops_per_key: 200,
        txn_shape: Default::default(),
        nemesis: NemesisConfig::default(),
        op_timeout: 5.0,
        leave_db_running: false,
        store: std::env::temp_dir(),
        junit: None,
        system: faultline_systems::SystemChoice::new("etcd", serde_json::json!({})),
        summary_json: None,
        process_rate: None,
        check: None,
        run_id: String::new(),
        command_line: Vec::new(),
        version: String::new(),
    }
}

fn main() {
    let seconds: f64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let dir = std::env::temp_dir().join(format!("faultline-bench-runner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("| clients | ops/s recorded | events/s | history size |");
    println!("|---|---|---|---|");
    for concurrency in [1, 10, 100] {
        let path = dir.join(format!("history-{concurrency}.jsonl"));
        let recorder = Arc::new(Recorder::create(&path, Default::default()).unwrap());
        let config = Arc::new(config(concurrency, seconds));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let run: Arc<dyn faultline_workloads::WorkloadRun> =
            Arc::from(config.workload.workload().start(&config.shape()));
        let start = Instant::now();
        runtime.block_on(async {
            let workload = faultline::runner::workload_window(
                &CancellationToken::new(),
                Duration::from_secs_f64(seconds),
            );
            let tasks: Vec<_> = (0..concurrency)
                .map(|w| {
                    tokio::spawn(run_client(
                        w,
                        Box::new(NoopClient),
                        None,
                        config.clone(),
                        recorder.clone(),
                        run.clone(),
                        workload.clone(),
                    ))
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        // Until every event is in the file.
        drop(recorder);
        let elapsed = start.elapsed().as_secs_f64();
        // Count what is on disk, not what was meant to be written.
        let text = std::fs::read_to_string(&path).unwrap();
        let events = text.lines().count();
        let ops = events / 2;
        println!(
            "| {concurrency} | {:.0} | {:.0} | {:.1} MB |",
            ops as f64 / elapsed,
            events as f64 / elapsed,
            text.len() as f64 / 1e6
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

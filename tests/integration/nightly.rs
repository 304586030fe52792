//! The nightly workflow is valid YAML that runs `.ci/nightly`, and that
//! script runs locally as written (with short runs): a local cluster, the
//! test-all matrix, a well-formed JUnit file with one case per run, the
//! cluster removed. Needs root.

use crate::local_cluster::root_or_skip;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_nightly_workflow_is_valid_yaml_running_the_nightly_script() {
    let text = std::fs::read_to_string(root().join(".github/workflows/nightly.yml")).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let cron = workflow["on"]["schedule"][0]["cron"].as_str().unwrap();
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    let job = &workflow["jobs"]["faultline"];
    let suites: Vec<&str> = job["strategy"]["matrix"]["suite"]
        .as_sequence()
        .expect("one job per suite")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    // Every built-in system runs every night, in the registry's order;
    // TOML-described ones have no system of their own to run.
    let systems: Vec<&str> = faultline_systems::SYSTEMS
        .iter()
        .filter(|s| s.takes_node_options())
        .map(|s| s.name())
        .collect();
    assert_eq!(suites, systems);
    let script = std::fs::read_to_string(root().join(".ci/nightly")).unwrap();
    for suite in &suites {
        assert!(
            script.contains(&format!("\n    \"{suite} ")),
            "{suite} has a line in .ci/nightly's table"
        );
    }
    let steps = job["steps"].as_sequence().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter().any(
            |r| r.contains("FAULTLINE_NIGHTLY_SUITES=${{ matrix.suite }}")
                && r.contains("bash .ci/nightly")
        ),
        "{runs:?}"
    );
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("the store is uploaded");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    assert_eq!(upload["with"]["path"].as_str(), Some("store"));
    let bench: Vec<&str> = workflow["jobs"]["bench"]["steps"]
        .as_sequence()
        .expect("a bench job")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        bench.iter().any(|r| r.contains("bash .ci/bench")),
        "{bench:?}"
    );
}

/// CI leaves the benchmarks to the nightly job, so nothing else would notice
/// a benchmark that `.ci/bench` forgot.
#[test]
fn the_bench_script_runs_every_benchmark() {
    let script = std::fs::read_to_string(root().join(".ci/bench")).unwrap();
    let mut seen = 0;
    for dir in ["checkers/benches", "reports/benches", "tests/benches"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_stem().unwrap().to_str().unwrap();
                assert!(
                    script.contains(&format!("--bench {name} "))
                        || script.contains(&format!("--bench {name}\n")),
                    ".ci/bench does not run the benchmark {name}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 7, "found only {seen} benchmarks");
}

#[test]
fn the_nightly_script_runs_the_matrix_and_writes_junit() {
    if !root_or_skip("the_nightly_script_runs_the_matrix_and_writes_junit") {
        return;
    }
    let store = std::env::temp_dir().join(format!("faultline-it-{}-nightly", std::process::id()));
    let out = Command::new("bash")
        .arg(root().join(".ci/nightly"))
        .env("FAULTLINE_BIN", env!("CARGO_BIN_EXE_faultline"))
        .env("FAULTLINE_NIGHTLY_TIME_LIMIT", "4")
        .env("FAULTLINE_NIGHTLY_ETCD_WORKLOADS", "lock,unique-ids,bank")
        .env("FAULTLINE_NIGHTLY_REDIS_WORKLOADS", "set")
        .env("FAULTLINE_NIGHTLY_POSTGRES_WORKLOADS", "append")
        .env("FAULTLINE_NIGHTLY_ZOOKEEPER_WORKLOADS", "register")
        .env("FAULTLINE_NIGHTLY_NODES", "3")
        .env("FAULTLINE_NIGHTLY_CLUSTER", "itnight")
        .env("FAULTLINE_NIGHTLY_SUBNET", "10.93.0")
        .env("FAULTLINE_NIGHTLY_STORE", &store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("== faultline test-all: VALID (9 of 9 runs) =="),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(store.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 9, "{xml}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["exit_code"], 0);
    // Then each suite: one workload under two nemeses, its own JUnit.
    for (suite, run) in [
        ("redis", "redis-set"),
        ("postgres", "postgres-append"),
        ("zookeeper", "zookeeper-register"),
    ] {
        let xml = std::fs::read_to_string(store.join(suite).join("junit.xml")).unwrap();
        let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
        let cases = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert_eq!(cases, 2, "{suite}: {xml}");
        assert!(xml.contains(run), "{xml}");
    }
    assert!(
        !std::path::Path::new("/run/faultline/itnight").exists(),
        "cluster removed"
    );
    let _ = std::fs::remove_dir_all(&store);
}

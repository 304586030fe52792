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
    let steps = workflow["jobs"]["faultline"]["steps"]
        .as_sequence()
        .unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter().any(|r| r.contains("bash .ci/nightly")),
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
        .env("FAULTLINE_NIGHTLY_WORKLOADS", "register,lock")
        .env("FAULTLINE_NIGHTLY_REDIS_WORKLOADS", "set")
        .env("FAULTLINE_NIGHTLY_POSTGRES_WORKLOADS", "append")
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
        stdout.contains("== faultline test-all: VALID (6 of 6 runs) =="),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(store.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 6, "{xml}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["exit_code"], 0);
    // Then Redis: one workload under two nemeses.
    let redis_xml = std::fs::read_to_string(store.join("redis/junit.xml")).unwrap();
    let redis = roxmltree::Document::parse(&redis_xml).expect("well-formed JUnit");
    let redis_cases = redis
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(redis_cases, 2, "{redis_xml}");
    assert!(redis_xml.contains("redis-set"), "{redis_xml}");
    // Then PostgreSQL, the same way.
    let postgres_xml = std::fs::read_to_string(store.join("postgres/junit.xml")).unwrap();
    let postgres = roxmltree::Document::parse(&postgres_xml).expect("well-formed JUnit");
    let postgres_cases = postgres
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(postgres_cases, 2, "{postgres_xml}");
    assert!(postgres_xml.contains("postgres-append"), "{postgres_xml}");
    assert!(
        !std::path::Path::new("/run/faultline/itnight").exists(),
        "cluster removed"
    );
    let _ = std::fs::remove_dir_all(&store);
}

//! faultline's one integration-test binary: the checker against the
//! reference histories in `tests/data/reference`, and the `faultline` command as a
//! user runs it.

mod cli;
mod custom_system;
mod disk_faults;
mod disk_fs;
mod disk_redis;
mod docs;
mod etcd_abilities;
mod etcd_demo;
mod fail_fast;
mod faults;
mod fresh_state;
mod harness_failures;
mod heal_retry;
mod interrupts;
mod jepsen_shapes;
mod local_cluster;
mod membership;
mod nats_suite;
mod nightly;
mod non_root;
mod postgres_suite;
mod reanalysis;
mod redis_suite;
mod reference_histories;
mod reference_words;
mod reports;
mod seed_replay;
mod zookeeper_suite;

use std::path::PathBuf;

/// The reference histories kept in the repository, with their provenance
/// and licence (`tests/data/reference/README.md`).
pub fn reference_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference")
}

/// Small hand-made histories in `tests/data`.
pub fn test_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// What `program args...` printed on stdout.
pub fn stdout_of(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

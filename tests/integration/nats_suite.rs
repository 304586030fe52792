//! The built-in NATS JetStream suite on the local cluster, from Debian's
//! nats-server (2.9.10): one stream replicated on all three nodes. With no
//! fault every acknowledged message is read back in order; with every
//! node's unsynced writes lost at once (a coordinated power failure),
//! acknowledged messages are lost, as Jepsen's analysis of NATS 2.12.1
//! found: JetStream acknowledges before it fsyncs (every two minutes by
//! default). Needs root (CI runs as root).

use crate::local_cluster::{root_or_skip, suite_run, TestCluster};

#[test]
fn jetstream_keeps_its_stream_until_a_power_failure_drops_what_it_never_fsynced() {
    if !root_or_skip("jetstream_keeps_its_stream_until_a_power_failure_drops_what_it_never_fsynced")
    {
        return;
    }
    let cluster = TestCluster::up("itnats", 3, "10.69.0");
    let store = std::env::temp_dir().join(format!("faultline-it-{}-nats", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);

    let (code, stdout, results) = suite_run(
        "nats",
        &cluster,
        &store,
        &[
            "--nemesis",
            "none",
            "--time-limit",
            "10",
            "--recovery-time",
            "2",
            "--seed",
            "1",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("checker: stream: valid"), "{stdout}");
    let stream = &results["checkers"]["stream"];
    assert!(stream["acknowledged"].as_u64().unwrap() > 500, "{stream}");
    assert!(stream["messages_read"].as_u64().unwrap() > 500, "{stream}");
    assert!(
        store.join("latest/nodes/n1/nats.log").exists(),
        "logs collected"
    );

    // Every node killed at once, its unsynced writes dropped, every 10 s.
    let (code, stdout, results) = suite_run(
        "nats",
        &cluster,
        &store,
        &[
            "--nemesis",
            "disk",
            "--disk-targets",
            "all",
            "--nemesis-interval",
            "10",
            "--time-limit",
            "24",
            "--seed",
            "7",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}");
    let stream = &results["checkers"]["stream"];
    let gone: u64 = ["lost_write", "unseen", "vanished"]
        .iter()
        .map(|kind| stream[kind]["count"].as_u64().unwrap_or(0))
        .sum();
    assert!(gone > 0, "{stream}");
    let _ = std::fs::remove_dir_all(&store);
}

//! Each fault really happens, measured from outside rather than trusted
//! from a command's exit status: packet loss, delay and bandwidth seen by
//! connections to a node; a libfaketime'd process's clock moved by the
//! applied offset; `faultline cluster heal` leaving nothing behind. Needs
//! root (local clusters).

use crate::local_cluster::root_or_skip;
use faultline::cluster::{self, ClusterSpec};
use faultline::control::SshRemote;
use faultline_core::Rng;
use faultline_core::{Node, NodesFile, Remote};
use faultline_nemeses::clock::{self, ClockStrategy};
use faultline_nemeses::packet::{self, Behavior, NodeNetwork};
use faultline_nemeses::{partition, Shape};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Removes the cluster however the test ends.
struct Down(&'static str);
impl Drop for Down {
    fn drop(&mut self) {
        let _ = cluster::down(self.0);
    }
}

/// Installs libfaketime here, as the runner does before clock faults on a
/// local cluster: its nodes share this machine's filesystem and reach no
/// package mirror, so they cannot install it themselves.
fn faketime_on_this_machine() {
    faultline::cluster::packages::install_missing(&["libfaketime".to_owned()], "this test")
        .expect("libfaketime installs");
}

fn cluster_of_two(name: &'static str, subnet: &str) -> (NodesFile, Down) {
    let _ = cluster::down(name);
    let spec = ClusterSpec {
        name: name.into(),
        nodes: 2,
        subnet: subnet.into(),
    };
    let nodes = cluster::up(&spec).expect("cluster up");
    (nodes, Down(name))
}

/// Connection attempts to a closed port on `node`: each SYN that arrives
/// is answered at once with a reset. Returns (answered, connect times of
/// the answered ones).
fn probe_closed_port(node: &Node, attempts: usize, timeout: Duration) -> (usize, Vec<Duration>) {
    let addr: SocketAddr = format!("{}:9", node.host).parse().unwrap();
    let mut times = Vec::new();
    for _ in 0..attempts {
        let start = Instant::now();
        match TcpStream::connect_timeout(&addr, timeout) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                times.push(start.elapsed())
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            other => panic!("unexpected answer from port 9 of {}: {other:?}", node.name),
        }
    }
    (times.len(), times)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Bytes per second of downloading a file of `size` bytes from the node.
fn download_rate(remote: &SshRemote, node: &Node, size: usize) -> f64 {
    let blob = node.dir.join("blob");
    remote
        .run(
            &format!("head -c {size} /dev/urandom > {}", blob.display()),
            Duration::from_secs(20),
        )
        .unwrap();
    let local = std::env::temp_dir().join(format!("faultline-it-blob-{}", std::process::id()));
    let start = Instant::now();
    remote.download(&blob, &local).unwrap();
    let took = start.elapsed().as_secs_f64();
    assert_eq!(std::fs::metadata(&local).unwrap().len() as usize, size);
    let _ = std::fs::remove_file(&local);
    size as f64 / took
}

#[test]
fn packet_loss_delay_and_rate_are_measurable_and_heal_leaves_nothing() {
    if !root_or_skip("packet_loss_delay_and_rate_are_measurable_and_heal_leaves_nothing") {
        return;
    }
    let (nodes, _down) = cluster_of_two("itpkt", "10.89.0");
    let (n1, n2) = (&nodes.nodes[0], &nodes.nodes[1]);
    let remote = SshRemote::connect(n1, &nodes.ssh).unwrap();
    let network: NodeNetwork = packet::probe(&remote, n1, n2).unwrap();
    println!(
        "n1 reaches n2 through {}; netem {}",
        network.device,
        if network.netem {
            "available"
        } else {
            "unavailable: fallbacks"
        }
    );
    let delayer = format!("{} delayer", env!("CARGO_BIN_EXE_faultline"));
    let quick = Duration::from_millis(150);

    let (answered, mut before) = probe_closed_port(n1, 40, quick);
    assert_eq!(answered, 40, "no loss before the fault");
    let rtt_before = median(&mut before);

    // Loss: half the SYNs dropped.
    let mechanism = packet::apply(&remote, &network, Behavior::Loss(0.5), None).unwrap();
    let (answered, _) = probe_closed_port(n1, 120, quick);
    println!("loss 50% ({}): {answered}/120 answered", mechanism.name());
    assert!(
        (30..=90).contains(&answered),
        "{answered} of 120 answered under 50% loss"
    );
    packet::heal(&remote, &network).unwrap();
    assert!(packet::leftovers(&remote, &network).unwrap().is_empty());
    assert_eq!(probe_closed_port(n1, 40, quick).0, 40, "loss healed");

    // Delay: every packet held 100 ms.
    let mechanism = packet::apply(
        &remote,
        &network,
        Behavior::Delay(Duration::from_millis(100)),
        Some(&delayer),
    )
    .unwrap();
    let (answered, mut delayed) = probe_closed_port(n1, 20, Duration::from_secs(2));
    assert_eq!(answered, 20, "delay loses nothing");
    let rtt_delayed = median(&mut delayed);
    println!(
        "delay 100 ms ({}): median connect {:?} (before {:?})",
        mechanism.name(),
        rtt_delayed,
        rtt_before
    );
    assert!(rtt_delayed >= Duration::from_millis(90), "{rtt_delayed:?}");
    assert!(rtt_before < Duration::from_millis(50), "{rtt_before:?}");
    packet::heal(&remote, &network).unwrap();
    assert!(packet::leftovers(&remote, &network).unwrap().is_empty());
    let (_, mut after) = probe_closed_port(n1, 20, quick);
    assert!(
        median(&mut after) < Duration::from_millis(50),
        "delay healed"
    );

    // Rate: 2000 kbit/s = 250 kB/s out of n1.
    let unlimited = download_rate(&remote, n1, 500_000);
    let mechanism = packet::apply(&remote, &network, Behavior::Rate(2000), None).unwrap();
    let limited = download_rate(&remote, n1, 500_000);
    println!(
        "rate 2000 kbit/s ({}): {:.0} kB/s (unlimited {:.0} kB/s)",
        mechanism.name(),
        limited / 1000.0,
        unlimited / 1000.0
    );
    assert!(
        limited < 250_000.0 * 1.5,
        "{limited} B/s under a 250 kB/s limit"
    );
    assert!(
        unlimited > 2.0 * 250_000.0,
        "{unlimited} B/s without a limit"
    );

    // Everything at once, then `faultline cluster heal` by hand.
    let grudge = Shape::One.grudge(&["n1".into(), "n2".into()], &[], &mut Rng::new(1));
    for node in &nodes.nodes {
        let r = SshRemote::connect(node, &nodes.ssh).unwrap();
        partition::apply(&r, &grudge, &nodes.nodes).unwrap();
    }
    faketime_on_this_machine();
    clock::prepare(&remote, n1, ClockStrategy::Faketime, false).unwrap();
    clock::set_offset(&remote, n1, ClockStrategy::Faketime, 5000).unwrap();
    let nodes_file =
        std::env::temp_dir().join(format!("faultline-it-{}-itpkt.json", std::process::id()));
    std::fs::write(&nodes_file, serde_json::to_string(&nodes).unwrap()).unwrap();
    let heal = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "cluster",
            "heal",
            "--nodes-file",
            nodes_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&heal.stdout);
    assert!(
        heal.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&heal.stderr)
    );
    assert_eq!(stdout.matches(": healed").count(), 2, "{stdout}");
    assert!(packet::leftovers(&remote, &network).unwrap().is_empty());
    assert_eq!(partition::rules_left(&remote).unwrap(), 0);
    let offset = remote
        .run(
            &format!("cat {}", clock::faketime_file(n1).display()),
            Duration::from_secs(10),
        )
        .unwrap();
    assert_eq!(offset.trim(), "+0", "clock reset");
    assert!(
        download_rate(&remote, n1, 500_000) > 2.0 * 250_000.0,
        "rate healed"
    );
    let _ = std::fs::remove_file(&nodes_file);
}

/// Seconds the faketime'd process on the node is off this machine's clock.
fn observed_offset(remote: &SshRemote, node: &Node) -> i64 {
    let out = remote
        .run(
            &format!("cat {}/now", node.dir.display()),
            Duration::from_secs(10),
        )
        .unwrap();
    let theirs: i64 = out
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("bad clock sample {out:?}"));
    let ours = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    theirs - ours
}

/// Waits (bounded) until the process's offset is `expected` ± 2 s.
fn eventually_offset(remote: &SshRemote, node: &Node, expected: i64) -> i64 {
    let start = Instant::now();
    loop {
        let offset = observed_offset(remote, node);
        if (offset - expected).abs() <= 2 || start.elapsed() > Duration::from_secs(5) {
            return offset;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_faketime_process_clock_moves_by_the_applied_offset() {
    if !root_or_skip("a_faketime_process_clock_moves_by_the_applied_offset") {
        return;
    }
    let (nodes, _down) = cluster_of_two("itclk", "10.90.0");
    let n1 = &nodes.nodes[0];
    let remote = SshRemote::connect(n1, &nodes.ssh).unwrap();
    faketime_on_this_machine();
    let prefix = clock::prepare(&remote, n1, ClockStrategy::Faketime, false).unwrap();
    // A libc program (perl) that writes its idea of the time every 0.1 s.
    let dir = n1.dir.display();
    let pid = remote
        .run(
            &format!(
                "setsid nohup {prefix}perl -e '$|=1; while (1) {{ open(F, \">{dir}/now.tmp\"); print F time; close F; rename(\"{dir}/now.tmp\", \"{dir}/now\"); select(undef, undef, undef, 0.1) }}' > /dev/null 2>&1 < /dev/null & echo $!"
            ),
            Duration::from_secs(10),
        )
        .unwrap();
    let pid = pid.trim().to_owned();
    struct Stop<'a>(&'a SshRemote, String);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self
                .0
                .exec(&format!("kill {}", self.1), Duration::from_secs(10));
        }
    }
    let _stop = Stop(&remote, pid);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        eventually_offset(&remote, n1, 0).abs() <= 2,
        "true time at first"
    );

    for offset_ms in [3_600_000, -86_400_000] {
        clock::set_offset(&remote, n1, ClockStrategy::Faketime, offset_ms).unwrap();
        let seen = eventually_offset(&remote, n1, offset_ms / 1000);
        println!("bumped {offset_ms:+} ms: the process is {seen:+} s off");
        assert!(
            (seen - offset_ms / 1000).abs() <= 2,
            "{seen} s after bumping {offset_ms} ms"
        );
    }

    // Strobe between +1000 s and true time: both are seen.
    clock::start_strobe(
        &remote,
        n1,
        ClockStrategy::Faketime,
        1_000_000,
        Duration::from_millis(300),
        Duration::from_secs(20),
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        seen.insert(observed_offset(&remote, n1));
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("strobing: offsets seen {seen:?}");
    assert!(seen.iter().any(|o| (o - 1000).abs() <= 2), "{seen:?}");
    assert!(seen.iter().any(|o| o.abs() <= 2), "{seen:?}");
    clock::reset(&remote, n1).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        eventually_offset(&remote, n1, 0).abs() <= 2,
        "reset to true time"
    );

    // The real strategy would set this machine's own clock: refused.
    let err = clock::prepare(&remote, n1, ClockStrategy::Real, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("controller's own kernel"), "{err}");
}

//! Packet faults on a node's network interface: loss, delay, bandwidth.
//! netem does all three where the kernel has it. Where it does not (some
//! cloud and container kernels), loss is an iptables `statistic` random
//! drop, bandwidth a `tbf` qdisc, and delay an NFQUEUE rule whose packets
//! a small user-space delayer (`faultline delayer`) holds back. Everything
//! lives in faultline's own chain, qdisc and pidfile, so healing removes
//! only what faultline added.

use faultline_core::shell::ShellQuoted;
use faultline_core::{Node, Remote, RemoteError};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// faultline's iptables chain for packet faults (partitions have their own).
pub const PACKET_CHAIN: &str = "FAULTLINE-PACKET";
/// The NFQUEUE number the delayer reads.
pub const DELAY_QUEUE: u16 = 4711;
/// The handle of faultline's root qdisc: healing removes only a qdisc with it.
pub const QDISC_HANDLE: &str = "fa11:";
const TIMEOUT: Duration = Duration::from_secs(20);

/// A packet behaviour's kind, as `--packet` names it; its size comes from
/// `--packet-loss`, `--packet-delay-ms` or `--packet-rate-kbit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PacketKind {
    /// Packets lost.
    Loss,
    /// Packets held back.
    Delay,
    /// Bandwidth limited.
    Rate,
}

impl fmt::Display for PacketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PacketKind::Loss => "loss",
            PacketKind::Delay => "delay",
            PacketKind::Rate => "rate",
        })
    }
}

impl std::str::FromStr for PacketKind {
    type Err = String;

    fn from_str(text: &str) -> Result<PacketKind, String> {
        <PacketKind as clap::ValueEnum>::from_str(text, false).map_err(|_| {
            format!("unknown packet behaviour `{text}`; choose from loss, delay, rate")
        })
    }
}

/// What to do to packets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behavior {
    /// Drop this fraction of packets (0..1).
    Loss(f64),
    /// Hold every packet back this long.
    Delay(Duration),
    /// Limit outgoing traffic to this many kilobits per second.
    Rate(u64),
}

impl fmt::Display for Behavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Behavior::Loss(p) => write!(f, "loss {:.0}%", p * 100.0),
            Behavior::Delay(d) => write!(f, "delay {} ms", d.as_millis()),
            Behavior::Rate(kbit) => write!(f, "rate {kbit} kbit/s"),
        }
    }
}

/// How a behaviour was applied, for the user and the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// A netem qdisc.
    Netem,
    /// iptables `statistic` random drop.
    IptablesStatistic,
    /// A tbf qdisc.
    Tbf,
    /// An NFQUEUE rule and faultline's delayer.
    NfqueueDelayer,
}

impl Mechanism {
    /// Its name in messages and the history.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Netem => "netem",
            Mechanism::IptablesStatistic => "iptables statistic",
            Mechanism::Tbf => "tbf",
            Mechanism::NfqueueDelayer => "nfqueue delayer",
        }
    }
}

/// A node's network as packet faults see it.
#[derive(Clone, Debug)]
pub struct NodeNetwork {
    /// The interface that carries traffic to the other nodes.
    pub device: String,
    /// Whether the kernel offers netem.
    pub netem: bool,
    /// faultline's directory on the node (the delayer's pidfile and log).
    pub dir: PathBuf,
}

/// The interface `remote`'s node reaches `peer` through.
pub fn device(remote: &dyn Remote, node: &Node, peer: &Node) -> Result<String, RemoteError> {
    let script = format!(
        "a=$(getent ahostsv4 {peer} | awk 'NR==1{{print $1}}'); \
         ip -o route get ${{a:-{peer}}} | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p'",
        peer = peer.host
    );
    let device = remote.run(&script, TIMEOUT)?.trim().to_owned();
    if device.is_empty() {
        return Err(RemoteError::Failed {
            node: node.name.clone(),
            command: format!("ip route get {}", peer.host),
            status: 1,
            stderr: format!("no route from {} to {}", node.name, peer.name),
        });
    }
    Ok(device)
}

/// Finds the interface `remote` reaches `peer` through, and whether netem
/// works there (tried on a throw-away qdisc that is removed at once).
pub fn probe(remote: &dyn Remote, node: &Node, peer: &Node) -> Result<NodeNetwork, RemoteError> {
    let device = device(remote, node, peer)?;
    let netem = remote
        .exec(
            &format!("tc qdisc add dev {device} root handle 7: netem delay 0ms 2>/dev/null && tc qdisc del dev {device} root handle 7:"),
            TIMEOUT,
        )?
        .status
        == 0;
    Ok(NodeNetwork {
        device,
        netem,
        dir: node.dir.clone(),
    })
}

/// The delayer's pidfile on the node.
pub fn delayer_pid_file(dir: &Path) -> PathBuf {
    dir.join("faultline-delayer.pid")
}

/// Applies `behavior` on the node. `delayer` is the command that runs
/// `faultline delayer` on the node (needed only for delay without netem).
/// Returns the mechanism used.
pub fn apply(
    remote: &dyn Remote,
    net: &NodeNetwork,
    behavior: Behavior,
    delayer: Option<&str>,
) -> Result<Mechanism, RemoteError> {
    let dev = &net.device;
    let chain = format!(
        "iptables -w -N {PACKET_CHAIN} 2>/dev/null; \
         iptables -w -C INPUT -j {PACKET_CHAIN} 2>/dev/null || iptables -w -I INPUT -j {PACKET_CHAIN}; \
         iptables -w -F {PACKET_CHAIN}; \
         iptables -w -A {PACKET_CHAIN} -p tcp --dport 22 -j RETURN; \
         iptables -w -A {PACKET_CHAIN} -p tcp --sport 22 -j RETURN"
    );
    let (script, mechanism) = match behavior {
        Behavior::Loss(p) if net.netem => (
            format!("tc qdisc replace dev {dev} root handle {QDISC_HANDLE} netem loss {:.3}%", p * 100.0),
            Mechanism::Netem,
        ),
        Behavior::Loss(p) => (
            // SSH is exempt: the controller must still reach the node to heal it.
            format!(
                "{chain}; iptables -w -A {PACKET_CHAIN} -m statistic --mode random --probability {p:.4} -j DROP"
            ),
            Mechanism::IptablesStatistic,
        ),
        Behavior::Delay(d) if net.netem => (
            format!(
                "tc qdisc replace dev {dev} root handle {QDISC_HANDLE} netem delay {}ms",
                d.as_millis()
            ),
            Mechanism::Netem,
        ),
        Behavior::Delay(d) => {
            let Some(delayer) = delayer else {
                return Err(RemoteError::Failed {
                    node: remote.node().to_owned(),
                    command: "delay".into(),
                    status: 1,
                    stderr: "this kernel has no netem and no delayer was given".into(),
                });
            };
            let pid = delayer_pid_file(&net.dir);
            (
                format!(
                    "mkdir -p {dir}; \
                     setsid nohup {delayer} --queue {DELAY_QUEUE} --delay-ms {ms} \
                       >> {dir}/faultline-delayer.log 2>&1 < /dev/null & echo $! > {pid}; \
                     sleep 0.3; kill -0 $(cat {pid}) || {{ tail -3 {dir}/faultline-delayer.log >&2; exit 1; }}; \
                     {chain}; \
                     iptables -w -A {PACKET_CHAIN} -j NFQUEUE --queue-num {DELAY_QUEUE} --queue-bypass",
                    dir = net.dir.quoted(),
                    ms = d.as_millis(),
                    pid = pid.quoted(),
                ),
                Mechanism::NfqueueDelayer,
            )
        }
        Behavior::Rate(kbit) => (
            // A burst of at least one full-size packet, latency bounding the queue.
            format!(
                "tc qdisc replace dev {dev} root handle {QDISC_HANDLE} tbf rate {kbit}kbit burst {burst} latency 200ms",
                burst = (kbit * 1000 / 8 / 10).max(3200)
            ),
            Mechanism::Tbf,
        ),
    };
    remote.run(&script, TIMEOUT)?;
    Ok(mechanism)
}

/// Removes every packet fault faultline added on the node: its root qdisc
/// (netem or tbf), its chain's rules and the delayer.
pub fn heal(remote: &dyn Remote, net: &NodeNetwork) -> Result<(), RemoteError> {
    let script = format!(
        "tc qdisc show dev {dev} | grep -Eq 'qdisc (netem|tbf) {QDISC_HANDLE}' && tc qdisc del dev {dev} root; \
         iptables -w -F {PACKET_CHAIN} 2>/dev/null; \
         p=$(cat {pid} 2>/dev/null) && kill $p 2>/dev/null; rm -f {pid}; true",
        dev = net.device,
        pid = delayer_pid_file(&net.dir).quoted(),
    );
    remote.run(&script, TIMEOUT).map(|_| ())
}

/// Heals, then removes faultline's packet chain entirely (end of a test).
pub fn remove(remote: &dyn Remote, net: &NodeNetwork) -> Result<(), RemoteError> {
    heal(remote, net)?;
    let script = format!(
        "while iptables -w -D INPUT -j {PACKET_CHAIN} 2>/dev/null; do :; done; \
         iptables -w -X {PACKET_CHAIN} 2>/dev/null; true"
    );
    remote.run(&script, TIMEOUT).map(|_| ())
}

/// What faultline's packet faults left on the node: qdiscs, rules, a
/// running delayer. Empty when the node is clean.
pub fn leftovers(remote: &dyn Remote, net: &NodeNetwork) -> Result<Vec<String>, RemoteError> {
    let script = format!(
        "tc qdisc show dev {dev} | grep -E 'qdisc (netem|tbf) {QDISC_HANDLE}'; \
         iptables -w -S {PACKET_CHAIN} 2>/dev/null | grep '^-A' | grep -v 'dport 22\\|sport 22'; \
         p=$(cat {pid} 2>/dev/null) && kill -0 $p 2>/dev/null && echo \"delayer running as $p\"; true",
        dev = net.device,
        pid = delayer_pid_file(&net.dir).quoted(),
    );
    Ok(remote
        .run(&script, TIMEOUT)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviours_describe_themselves() {
        assert_eq!(Behavior::Loss(0.2).to_string(), "loss 20%");
        assert_eq!(
            Behavior::Delay(Duration::from_millis(150)).to_string(),
            "delay 150 ms"
        );
        assert_eq!(Behavior::Rate(512).to_string(), "rate 512 kbit/s");
    }
}

//! Applying and healing partitions with iptables inside each node, in a
//! chain of faultline's own: healing removes only faultline's rules.

use crate::grudge::Grudge;
use faultline_core::{Node, Remote, RemoteError};
use std::time::Duration;

/// The iptables chain faultline owns on every node.
pub const CHAIN: &str = "FAULTLINE";
const TIMEOUT: Duration = Duration::from_secs(20);

/// Makes `remote`'s node drop traffic from the nodes the grudge names.
pub fn apply(remote: &dyn Remote, grudge: &Grudge, nodes: &[Node]) -> Result<(), RemoteError> {
    let mut script = format!(
        "iptables -w -N {CHAIN} 2>/dev/null; iptables -w -C INPUT -j {CHAIN} 2>/dev/null || iptables -w -I INPUT -j {CHAIN}; iptables -w -F {CHAIN}"
    );
    for peer in grudge.get(remote.node()).into_iter().flatten() {
        let Some(node) = nodes.iter().find(|n| &n.name == peer) else {
            continue;
        };
        script += &format!("; iptables -w -A {CHAIN} -s {} -j DROP", node.host);
    }
    remote.run(&script, TIMEOUT).map(|_| ())
}

/// Removes faultline's rules on `remote`'s node (keeps the empty chain).
pub fn heal(remote: &dyn Remote) -> Result<(), RemoteError> {
    remote
        .run(
            &format!("iptables -w -F {CHAIN} 2>/dev/null || true"),
            TIMEOUT,
        )
        .map(|_| ())
}

/// Removes faultline's rules on `remote`'s node and counts those left, in
/// one command (one round trip: heals stay quick on a loaded node).
pub fn heal_and_count(remote: &dyn Remote) -> Result<usize, RemoteError> {
    let out = remote.exec(
        &format!("iptables -w -F {CHAIN} 2>/dev/null; iptables -w -S {CHAIN} 2>/dev/null"),
        TIMEOUT,
    )?;
    Ok(out.stdout.lines().filter(|l| l.starts_with("-A")).count())
}

/// Removes faultline's chain entirely (end of a test).
pub fn remove(remote: &dyn Remote) -> Result<(), RemoteError> {
    let script = format!(
        "iptables -w -F {CHAIN} 2>/dev/null; while iptables -w -D INPUT -j {CHAIN} 2>/dev/null; do :; done; iptables -w -X {CHAIN} 2>/dev/null; true"
    );
    remote.run(&script, TIMEOUT).map(|_| ())
}

/// How many of faultline's rules are on `remote`'s node (to verify healing).
pub fn rules_left(remote: &dyn Remote) -> Result<usize, RemoteError> {
    let out = remote.exec(&format!("iptables -w -S {CHAIN} 2>/dev/null"), TIMEOUT)?;
    Ok(out.stdout.lines().filter(|l| l.starts_with("-A")).count())
}

//! Putting a node back to health, whatever faults ran: partitions healed
//! and faultline's chain removed, packet faults (qdisc, rules, delayer)
//! removed, the database resumed, clocks reset; then a check that nothing
//! of faultline's is left. Used before and after every test and by
//! `faultline cluster heal`.

use crate::{clock, packet, partition};
use faultline_core::{Node, Pause, Remote};

/// Heals `node`; returns what could not be healed or is still left (empty
/// when the node is clean).
pub fn heal_node(
    remote: &dyn Remote,
    node: &Node,
    cluster: &[Node],
    pause: Option<&dyn Pause>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = partition::remove(remote) {
        problems.push(format!("could not remove faultline's iptables chain: {e}"));
    }
    match partition::rules_left(remote) {
        Ok(0) => {}
        Ok(n) => problems.push(format!("{n} faultline partition rules remain")),
        Err(e) => problems.push(format!("could not verify the partition rules: {e}")),
    }
    let peer = cluster.iter().find(|n| n.name != node.name).unwrap_or(node);
    match packet::device(remote, node, peer) {
        Ok(device) => {
            let network = packet::NodeNetwork {
                device,
                netem: false,
                dir: node.dir.clone(),
            };
            if let Err(e) = packet::remove(remote, &network) {
                problems.push(format!("could not remove packet faults: {e}"));
            }
            match packet::leftovers(remote, &network) {
                Ok(left) if left.is_empty() => {}
                Ok(left) => problems.push(format!("packet faults remain: {}", left.join("; "))),
                Err(e) => problems.push(format!("could not verify packet faults: {e}")),
            }
        }
        Err(e) => problems.push(format!("could not find the network interface: {e}")),
    }
    // A paused database would neither exit nor serve: resume it (harmless
    // when it runs).
    if let Some(pause) = pause {
        let _ = pause.resume(remote, node);
    }
    if let Err(e) = clock::reset(remote, node) {
        problems.push(format!("could not reset the clock: {e}"));
    }
    problems
}

//! Packet faults: a behaviour drawn from `--packet` (loss, delay, rate) on
//! the nodes a target picks, with netem where the kernel has it and the
//! fallbacks where it does not; the mechanism is printed and recorded.

use super::env::Env;
use super::{Active, Schedule};

/// Per node, its network as packet faults see it, and the command that
/// runs the delayer there (delay without netem).
pub type Networks = (Vec<Option<packet::NodeNetwork>>, Vec<Option<String>>);
use crate::packet::{self, Behavior};
use faultline_core::shell::ShellQuoted;
use faultline_core::Rng;
use serde_json::json;
use std::collections::BTreeSet;

/// Finds each node's interface and whether it has netem, says which
/// mechanisms will be used, and readies the delayer where delay needs it.
pub fn prepare(schedule: &Schedule) -> Networks {
    let nodes = &schedule.nodes;
    let mut networks: Vec<Option<packet::NodeNetwork>> = vec![None; nodes.len()];
    let mut delayers: Vec<Option<String>> = vec![None; nodes.len()];
    let mut without_netem = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let peer = &nodes[(i + 1) % nodes.len()];
        match packet::probe(schedule.remotes[i].as_ref(), node, peer) {
            Ok(network) => {
                if !network.netem {
                    without_netem.push(node.name.clone());
                }
                networks[i] = Some(network);
            }
            Err(e) => eprintln!("warning: packet faults disabled on {}: {e}", node.name),
        }
    }
    if without_netem.is_empty() {
        eprintln!("packet faults: netem on every node");
    } else {
        eprintln!(
            "packet faults: no netem on {} (kernel without sch_netem): loss through iptables statistic, delay through faultline's NFQUEUE delayer, rate through tbf",
            without_netem.join(" ")
        );
    }
    let needs_delayer = schedule
        .plan
        .behaviors
        .iter()
        .any(|b| matches!(b, Behavior::Delay(_)));
    if !needs_delayer {
        return (networks, delayers);
    }
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("warning: cannot find faultline's own binary: delay without netem disabled");
        return (networks, delayers);
    };
    for (i, node) in nodes.iter().enumerate() {
        if networks[i].as_ref().is_none_or(|n| n.netem) {
            continue;
        }
        let remote = schedule.remotes[i].as_ref();
        // A namespace here shares this machine's files: run our binary in
        // place; a real host gets a copy.
        let command = match crate::shares_controller_kernel(remote) {
            Ok(true) => Ok(format!("{} delayer", exe.quoted())),
            _ => {
                let target = node.dir.join("faultline");
                remote
                    .run(
                        &format!("mkdir -p {}", node.dir.quoted()),
                        std::time::Duration::from_secs(20),
                    )
                    .and_then(|_| remote.upload(&exe, &target))
                    .and_then(|_| {
                        remote.run(
                            &format!("chmod +x {}", target.quoted()),
                            std::time::Duration::from_secs(20),
                        )
                    })
                    .map(|_| format!("{} delayer", target.quoted()))
            }
        };
        match command {
            Ok(command) => delayers[i] = Some(command),
            Err(e) => eprintln!(
                "warning: delay disabled on {}: cannot install the delayer: {e}",
                node.name
            ),
        }
    }
    (networks, delayers)
}

pub async fn start(env: &Env, rng: &mut Rng) -> Active {
    let nodes: Vec<usize> = env
        .pick(&env.plan.packet_targets, rng)
        .await
        .into_iter()
        .filter(|&i| env.networks[i].is_some())
        .collect();
    let behavior = env.plan.behaviors[rng.below(env.plan.behaviors.len() as u64) as usize];
    let mut value = env.nodes_value(&nodes);
    value["behavior"] = json!(behavior.to_string());
    env.invoke("start-packet", value.clone());
    let networks = env.networks.clone();
    let delayers = env.delayers.clone();
    let mechanisms = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let used = mechanisms.clone();
    let errors = env
        .on_nodes(&nodes, move |remote, _, i| {
            let network = networks[i].as_ref().ok_or("no network")?;
            let mechanism = packet::apply(remote, network, behavior, delayers[i].as_deref())
                .map_err(|e| e.to_string())?;
            used.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(mechanism.name());
            Ok(())
        })
        .await;
    let mechanisms: Vec<&str> = mechanisms
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .collect();
    value["mechanism"] = json!(mechanisms.join(", "));
    env.done(
        "start-packet",
        value,
        &errors,
        &format!(
            "packet {behavior} ({}) on {}",
            mechanisms.join(", "),
            env.names_of(&nodes).join(" ")
        ),
    );
    Active::Packet(nodes)
}

pub async fn stop(env: &Env, nodes: &[usize]) {
    let value = env.nodes_value(nodes);
    env.invoke("stop-packet", value.clone());
    let (networks, verify_networks) = (env.networks.clone(), env.networks.clone());
    let errors = env
        .heal_nodes(
            nodes,
            move |remote, _, i| {
                let network = networks[i].as_ref().ok_or("no network")?;
                packet::heal(remote, network).map_err(|e| e.to_string())
            },
            move |remote, _, i| {
                let network = verify_networks[i].as_ref().ok_or("no network")?;
                packet::leftovers(remote, network)
                    .map(|left| left.is_empty())
                    .map_err(|e| e.to_string())
            },
        )
        .await;
    env.done(
        "stop-packet",
        value,
        &errors,
        &format!("packets healed on {}", env.names_of(nodes).join(" ")),
    );
}

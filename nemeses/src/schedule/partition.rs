//! Partitions: a shape drawn from `--partition` becomes a grudge, applied
//! on every node; healing flushes faultline's chain everywhere.

use super::env::Env;
use super::Active;
use crate::{describe, partition, HealPolicy, Shape};
use faultline_core::{on_every_node, Remotes, Rng};
use serde_json::json;
use std::sync::Arc;

pub async fn start(env: &Env, rng: &mut Rng) -> Active {
    let shape = env.plan.shapes[rng.below(env.plan.shapes.len() as u64) as usize];
    let primaries = if shape == Shape::Primaries {
        env.primaries().await
    } else {
        Vec::new()
    };
    let grudge = shape.grudge(&env.names(), &primaries, rng);
    let text = describe(&grudge);
    env.invoke(
        "start-partition",
        json!({"shape": shape.name(), "partition": text}),
    );
    let (nodes, g) = (env.nodes.clone(), Arc::new(grudge.clone()));
    let all: Vec<usize> = (0..nodes.len()).collect();
    let errors = env
        .on_nodes(&all, move |remote, _, _| {
            partition::apply(remote, &g, &nodes).map_err(|e| e.to_string())
        })
        .await;
    let value = json!({"shape": shape.name(), "partition": text, "grudge": grudge});
    env.done(
        "start-partition",
        value,
        &errors,
        &format!("partition ({shape}) {text}"),
    );
    Active::Partition
}

/// Removes faultline's rules on every node until none is left, recorded
/// as a nemesis operation when verified (its time is the real end).
pub async fn heal(env: &Env) {
    env.invoke("stop-partition", json!(null));
    let all: Vec<usize> = (0..env.nodes.len()).collect();
    let errors = env
        .heal_nodes(&all, |_, _, _| Ok(()), |remote, _, _| healed(remote))
        .await;
    env.done(
        "stop-partition",
        json!("network healed"),
        &errors,
        "network healed",
    );
}

/// Flushes and verifies in one command (the undo step is part of it).
fn healed(remote: &dyn faultline_core::Remote) -> Result<bool, String> {
    partition::heal_and_count(remote)
        .map(|n| n == 0)
        .map_err(|e| e.to_string())
}

/// Flushes faultline's chain on every node until none of its rules is
/// left (within the heal policy's bound); the nodes not healed, and why.
pub async fn heal_partitions(remotes: Remotes) -> Vec<String> {
    tokio::task::spawn_blocking(move || {
        let policy = HealPolicy::default();
        on_every_node(&remotes, |r, _| {
            policy
                .until_verified(|| Ok(()), || healed(r))
                .map(|_| ())
                .map_err(|e| format!("{}: {e}", r.node()))
        })
    })
    .await
    .unwrap_or_else(|e| vec![e.to_string()])
}

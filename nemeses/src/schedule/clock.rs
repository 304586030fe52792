//! Clock faults: bump the picked nodes' clocks by a random offset, or
//! strobe them between an offset and true time; reset puts them back.
//! Offsets are recorded per node so reports can plot them.

use super::env::Env;
use super::Active;
use crate::clock;
use faultline_core::Rng;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// A random offset: ± 2^u ms, u uniform up to log2 of the largest offset,
/// so small and large skews are equally likely (as in Jepsen).
fn random_offset_ms(rng: &mut Rng, max_ms: u64) -> i64 {
    let bits = 64 - max_ms.leading_zeros() as u64; // log2(max) + 1
    let magnitude = (1u64 << rng.below(bits)).min(max_ms) as i64;
    if rng.below(2) == 0 {
        magnitude
    } else {
        -magnitude
    }
}

pub async fn start(env: &Env, rng: &mut Rng) -> Active {
    let nodes = env.pick(&env.plan.clock_targets, rng).await;
    let strategy = env.plan.clock_strategy;
    let strobe = rng.below(2) == 0;
    let offsets: BTreeMap<String, i64> = env
        .names_of(&nodes)
        .into_iter()
        .map(|n| (n, random_offset_ms(rng, env.plan.clock_max_offset_ms)))
        .collect();
    let period = Duration::from_millis(50 + rng.below(450));
    let f = if strobe { "clock-strobe" } else { "clock-bump" };
    let mut value = json!({
        "nodes": env.names_of(&nodes),
        "strategy": strategy.to_string(),
        "offsets_ms": offsets,
    });
    if strobe {
        value["period_ms"] = json!(period.as_millis() as u64);
    }
    env.invoke(f, value.clone());
    // A strobe outlives a missed stop by little: twice the interval at most.
    let duration = env.plan.interval * 2 + Duration::from_secs(10);
    let offsets_for_nodes = offsets.clone();
    let errors = env
        .on_nodes(&nodes, move |remote, node, _| {
            let offset = offsets_for_nodes[&node.name];
            if strobe {
                clock::start_strobe(remote, node, strategy, offset, period, duration)
            } else {
                clock::set_offset(remote, node, strategy, offset)
            }
            .map_err(|e| e.to_string())
        })
        .await;
    let text: Vec<String> = offsets
        .iter()
        .map(|(n, o)| format!("{n} {o:+} ms"))
        .collect();
    let what = if strobe {
        format!(
            "clock strobe every {} ms: {}",
            period.as_millis(),
            text.join(", ")
        )
    } else {
        format!("clock bump: {}", text.join(", "))
    };
    env.done(f, value, &errors, &what);
    Active::Clock(nodes)
}

pub async fn reset(env: &Env, nodes: &[usize]) {
    let offsets: BTreeMap<String, i64> = env.names_of(nodes).into_iter().map(|n| (n, 0)).collect();
    let value = json!({
        "nodes": env.names_of(nodes),
        "strategy": env.plan.clock_strategy.to_string(),
        "offsets_ms": offsets,
    });
    env.invoke("clock-reset", value.clone());
    // Resetting is idempotent: retried until it succeeds.
    let errors = env
        .heal_nodes(
            nodes,
            |remote, node, _| clock::reset(remote, node).map_err(|e| e.to_string()),
            |_, _, _| Ok(true),
        )
        .await;
    env.done(
        "clock-reset",
        value,
        &errors,
        &format!("clock reset {}", env.names_of(nodes).join(" ")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_stay_within_the_limit_and_take_both_signs() {
        let mut rng = Rng::new(5);
        let offsets: Vec<i64> = (0..500)
            .map(|_| random_offset_ms(&mut rng, 10_000))
            .collect();
        assert!(offsets.iter().all(|o| (1..=10_000).contains(&o.abs())));
        assert!(offsets.iter().any(|o| *o < 0) && offsets.iter().any(|o| *o > 0));
        assert!(offsets.iter().any(|o| o.abs() < 16) && offsets.iter().any(|o| o.abs() > 1000));
    }
}

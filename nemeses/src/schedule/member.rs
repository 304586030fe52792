//! Membership faults through the system's ability: one member leaves the
//! cluster (removed through a member that stays, stopped, wiped) and later
//! joins again as a new member. The cluster may refuse either (it needs a
//! quorum, which a partition or a killed member can take away): that is
//! the system's answer, recorded as such, not a failure of the harness.
//! The schedule asks a refused change again at every tick while it winds
//! the other faults down; at the end of the run, after every other fault
//! is healed, a member still out is asked to rejoin until it is back.

use super::env::Env;
use faultline_core::{MemberChange, Membership, Rng, System};
use serde_json::json;
use std::time::{Duration, Instant};

/// How long the end of a run keeps asking a member to rejoin.
const REJOIN_WITHIN: Duration = Duration::from_secs(60);
const REJOIN_EVERY: Duration = Duration::from_secs(2);

// The plan was fitted to the system's abilities before the run.
fn membership(system: &dyn System) -> Result<&dyn Membership, String> {
    system
        .membership()
        .ok_or_else(|| format!("{} cannot change its membership", system.name()))
}

/// Takes one node (drawn among those not `spared`) out of the cluster;
/// the nodes out of it now (none when the cluster refused).
pub async fn leave(env: &Env, rng: &mut Rng, spared: &[usize]) -> Vec<usize> {
    let candidates: Vec<usize> = (0..env.nodes.len())
        .filter(|i| !spared.contains(i))
        .collect();
    if candidates.is_empty() {
        env.invoke("member-leave", json!({ "nodes": [] }));
        env.done(
            "member-leave",
            json!({ "nodes": [] }),
            &[],
            "member-leave: no node to act on (every node is held by a process fault)",
        );
        return Vec::new();
    }
    let node = candidates[rng.below(candidates.len() as u64) as usize];
    let value = env.nodes_value(&[node]);
    env.invoke("member-leave", value.clone());
    let change = match membership(env.system.as_ref()) {
        Ok(m) => m.leave(&env.nodes, &env.remotes, node).await,
        Err(e) => Err(e),
    };
    let name = &env.nodes[node].name;
    match change {
        Ok(MemberChange::Done(what)) => {
            env.done("member-leave", with(&value, "done", &what), &[], &what);
            vec![node]
        }
        Ok(MemberChange::Refused(why)) => {
            let said = format!("member-leave {name}: refused by the cluster ({why})");
            env.done("member-leave", with(&value, "refused", &why), &[], &said);
            Vec::new()
        }
        Err(e) => {
            env.done("member-leave", value, &[format!("{name}: {e}")], "");
            // It may be half out (removed, not wiped): bring it back later.
            vec![node]
        }
    }
}

/// Brings the `nodes` that left back; the nodes still out (the cluster
/// refused), if any. `last`: the run is ending, so keep asking (bounded)
/// and call a member left out a failure.
pub async fn join(env: &Env, nodes: &[usize], last: bool) -> Vec<usize> {
    let mut out = Vec::new();
    for &node in nodes {
        let value = env.nodes_value(&[node]);
        let name = env.nodes[node].name.clone();
        env.invoke("member-join", value.clone());
        let started = Instant::now();
        let change = loop {
            let change = match membership(env.system.as_ref()) {
                Ok(m) => m.join(&env.nodes, &env.remotes, node).await,
                Err(e) => Err(e),
            };
            let again = last
                && !matches!(change, Ok(MemberChange::Done(_)))
                && started.elapsed() < REJOIN_WITHIN;
            if !again {
                break change;
            }
            tokio::time::sleep(REJOIN_EVERY).await;
        };
        match change {
            Ok(MemberChange::Done(what)) => {
                env.done("member-join", with(&value, "done", &what), &[], &what);
            }
            Ok(MemberChange::Refused(why)) if !last => {
                let said = format!(
                    "member-join {name}: refused by the cluster ({why}); it stays out until the next change"
                );
                env.done("member-join", with(&value, "refused", &why), &[], &said);
                out.push(node);
            }
            Ok(MemberChange::Refused(why)) => {
                let error = format!(
                    "{name} could not rejoin within {} s: {why}",
                    REJOIN_WITHIN.as_secs()
                );
                env.done("member-join", value, &[error], "");
            }
            Err(e) => {
                env.done("member-join", value, &[format!("{name}: {e}")], "");
                if !last {
                    out.push(node);
                }
            }
        }
    }
    out
}

/// `value` with `key` set to `text`.
fn with(value: &serde_json::Value, key: &str, text: &str) -> serde_json::Value {
    let mut value = value.clone();
    value[key] = json!(text);
    value
}

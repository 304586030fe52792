//! Process faults through the system's abilities: kill / restart and
//! pause / resume, on the nodes a target picks.

use super::env::Env;
use super::Active;
use faultline_core::{Kill, Pause, Rng, System};

// The plan was fitted to the system's abilities before the run
// (`NemesisPlan::fit_to`); these only name the impossible case.
fn killing(system: &dyn System) -> Result<&dyn Kill, String> {
    system
        .kill()
        .ok_or_else(|| format!("{} cannot kill its process", system.name()))
}

fn pausing(system: &dyn System) -> Result<&dyn Pause, String> {
    system
        .pause()
        .ok_or_else(|| format!("{} cannot pause its process", system.name()))
}

/// Kills the database on the nodes a kill target picks, except `spared`.
pub async fn kill(env: &Env, rng: &mut Rng, spared: &[usize]) -> Active {
    let mut nodes = env.pick(&env.plan.kill_targets, rng).await;
    nodes.retain(|n| !spared.contains(n));
    act(env, "kill", &nodes).await;
    Active::Killed(nodes)
}

/// Pauses the database on the nodes a pause target picks, except `spared`.
pub async fn pause(env: &Env, rng: &mut Rng, spared: &[usize]) -> Active {
    let mut nodes = env.pick(&env.plan.pause_targets, rng).await;
    nodes.retain(|n| !spared.contains(n));
    act(env, "pause", &nodes).await;
    Active::Paused(nodes)
}

pub async fn restart(env: &Env, nodes: &[usize]) {
    act(env, "restart", nodes).await;
}

/// Resumes until the process is verified running again (SIGCONT is
/// idempotent, unlike a restart, which is not retried).
pub async fn resume(env: &Env, nodes: &[usize]) {
    let value = env.nodes_value(nodes);
    env.invoke("resume", value.clone());
    let (system, check) = (env.system.clone(), env.system.clone());
    let errors = env
        .heal_nodes(
            nodes,
            move |remote, node, _| {
                pausing(system.as_ref())?
                    .resume(remote, node)
                    .map_err(|e| e.to_string())
            },
            move |remote, node, _| {
                pausing(check.as_ref())?
                    .is_paused(remote, node)
                    .map(|paused| !paused)
                    .map_err(|e| e.to_string())
            },
        )
        .await;
    let what = if nodes.is_empty() {
        "resume: nothing was paused".to_owned()
    } else {
        format!("resume {}", env.names_of(nodes).join(" "))
    };
    env.done("resume", value, &errors, &what);
}

/// Runs process action `f` on `nodes`, recorded as a nemesis operation.
async fn act(env: &Env, f: &'static str, nodes: &[usize]) {
    let value = env.nodes_value(nodes);
    env.invoke(f, value.clone());
    let (system, cluster) = (env.system.clone(), env.nodes.clone());
    let errors = env
        .on_nodes(nodes, move |remote, node, _| {
            let system = system.as_ref();
            match f {
                "kill" => killing(system)?.kill(remote, node),
                "restart" => killing(system)?.restart(remote, node, &cluster),
                "pause" => pausing(system)?.pause(remote, node),
                _ => pausing(system)?.resume(remote, node),
            }
            .map_err(|e| e.to_string())
        })
        .await;
    let what = if nodes.is_empty() {
        format!("{f}: no node to act on (the picked ones are held by another process fault)")
    } else {
        format!("{f} {}", env.names_of(nodes).join(" "))
    };
    env.done(f, value, &errors, &what);
}

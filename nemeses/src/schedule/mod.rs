//! The nemesis schedule: every `--nemesis-interval`, one of the requested
//! faults is drawn; it starts if it is not active and stops if it is, so
//! each kind has one change at a time and every start is matched by a
//! stop. Every change is an operation of the nemesis in the history
//! (invoke, then info with what was done to which nodes). At the end
//! everything still active is stopped.

mod clock;
mod disk;
mod env;
mod member;
mod packet;
mod partition;
mod process;

pub use partition::heal_partitions;

use crate::{Fault, NemesisPlan};
use env::Env;
use faultline_core::{Node, Recorder, Remotes, Rng, System};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What a started fault needs to be stopped.
enum Active {
    Partition,
    Killed(Vec<usize>),
    Paused(Vec<usize>),
    Clock(Vec<usize>),
    Packet(Vec<usize>),
    /// The nodes whose database was killed and lost its unsynced writes.
    Disk(Vec<usize>),
    /// The nodes whose database was killed and one of its files damaged.
    Corrupted(Vec<usize>),
    /// The nodes out of the cluster.
    Member(Vec<usize>),
}

/// What the schedule works with.
pub struct Schedule {
    /// The faults and their options, fitted to the system.
    pub plan: NemesisPlan,
    /// Seeds which fault comes next and whom it hits (the same seed
    /// replays the same schedule).
    pub seed: u64,
    /// Every node, in order.
    pub nodes: Vec<Node>,
    /// Their remotes, in the same order.
    pub remotes: Remotes,
    /// The system under test, for its abilities.
    pub system: Arc<dyn System>,
}

/// A schedule whose nodes are ready for its faults.
pub struct ReadySchedule {
    schedule: Schedule,
    networks: packet::Networks,
}

/// Readies the nodes for the schedule's faults (each node's network probed,
/// the delayer installed where delay needs it): set-up, done before the
/// workload's clock starts so that it takes none of the faults' time.
/// Blocking.
pub fn prepare_schedule(schedule: Schedule) -> ReadySchedule {
    let networks = if schedule.plan.faults.contains(&Fault::Packet) {
        packet::prepare(&schedule)
    } else {
        let n = schedule.nodes.len();
        (vec![None; n], vec![None; n])
    };
    ReadySchedule { schedule, networks }
}

/// Runs the schedule until `workload` ends (the time limit, an
/// interrupt), then stops what is active; every change is recorded by
/// `recorder`.
pub async fn run_schedule(
    ready: ReadySchedule,
    recorder: Arc<Recorder>,
    workload: CancellationToken,
) {
    let seed = ready.schedule.seed;
    let env = Env::new(ready, recorder);
    if env.plan.faults.is_empty() {
        return;
    }
    let mut rng = Rng::stream(seed, u64::MAX);
    let interval = env.plan.interval;
    let mut active: BTreeMap<Fault, Active> = BTreeMap::new();
    // A membership change the cluster refused. etcd refuses one until every
    // member has been connected for 5 s, which kills, pauses, disk faults
    // and partitions rarely allow (a 240 s run saw one removal and 14
    // refused rejoins). So while a change waits, it is asked again at every
    // tick, no fault starts, and one active fault is stopped per tick until
    // the cluster agrees.
    let mut member_waits = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = workload.cancelled() => break,
        }
        if member_waits {
            member_waits = change_membership(&env, &mut rng, &mut active).await;
            if member_waits {
                stop_one_other(&env, &mut rng, &mut active).await;
            }
            continue;
        }
        let fault = env.plan.faults[rng.below(env.plan.faults.len() as u64) as usize];
        if fault == Fault::Member {
            member_waits = change_membership(&env, &mut rng, &mut active).await;
        } else if let Some(started) = active.remove(&fault) {
            stop_fault(&env, started, false).await;
        } else if !workload.is_cancelled() {
            let started = match fault {
                Fault::Partition => partition::start(&env, &mut rng).await,
                // A paused process is not killed, nor a dead one paused,
                // nor a member out of the cluster either: the matching
                // restart, resume or rejoin would find another process.
                Fault::Kill => {
                    let spared = held(&active, &[Fault::Pause, Fault::Disk, Fault::Member]);
                    process::kill(&env, &mut rng, &spared).await
                }
                Fault::Pause => {
                    let spared = held(&active, &[Fault::Kill, Fault::Disk, Fault::Member]);
                    process::pause(&env, &mut rng, &spared).await
                }
                Fault::Disk => {
                    let spared = held(&active, &[Fault::Kill, Fault::Pause, Fault::Member]);
                    disk::start(&env, &mut rng, &spared).await
                }
                Fault::Clock => clock::start(&env, &mut rng).await,
                Fault::Packet => packet::start(&env, &mut rng).await,
                Fault::Member => unreachable!("membership changes are made above"),
            };
            active.insert(fault, started);
        }
    }
    // In `Fault`'s order: members rejoin last, once the network is whole
    // and every process runs again.
    for (_, started) in active {
        stop_fault(&env, started, true).await;
    }
}

/// The nodes the active faults of kinds `faults` hold (process faults and
/// members out of the cluster).
fn held(active: &BTreeMap<Fault, Active>, faults: &[Fault]) -> Vec<usize> {
    faults
        .iter()
        .filter_map(|f| active.get(f))
        .flat_map(|a| match a {
            Active::Killed(nodes)
            | Active::Paused(nodes)
            | Active::Disk(nodes)
            | Active::Corrupted(nodes)
            | Active::Member(nodes) => nodes.as_slice(),
            _ => &[],
        })
        .copied()
        .collect()
}

/// Stops a fault. `last`: the run is ending.
async fn stop_fault(env: &Env, started: Active, last: bool) {
    match started {
        Active::Partition => partition::heal(env).await,
        Active::Killed(nodes) => process::restart(env, &nodes).await,
        Active::Paused(nodes) => process::resume(env, &nodes).await,
        Active::Clock(nodes) => clock::reset(env, &nodes).await,
        Active::Packet(nodes) => packet::stop(env, &nodes).await,
        Active::Disk(nodes) => disk::restart(env, &nodes).await,
        Active::Corrupted(nodes) => disk::restart_corrupted(env, &nodes).await,
        Active::Member(nodes) => {
            member::join(env, &nodes, last).await;
        }
    }
}

/// The next membership change: the members out of the cluster rejoin, or,
/// when none is out, one member (not held by a process fault) leaves.
/// Whether the cluster refused it, so that it is still to be made.
async fn change_membership(env: &Env, rng: &mut Rng, active: &mut BTreeMap<Fault, Active>) -> bool {
    if let Some(Active::Member(out)) = active.remove(&Fault::Member) {
        let still_out = member::join(env, &out, false).await;
        if still_out.is_empty() {
            return false;
        }
        active.insert(Fault::Member, Active::Member(still_out));
        return true;
    }
    let spared = held(active, &[Fault::Kill, Fault::Pause, Fault::Disk]);
    let left = member::leave(env, rng, &spared).await;
    if left.is_empty() {
        return true;
    }
    // The wipe is the harness's change, not the database's to lose.
    if env.plan.faults.contains(&Fault::Disk) {
        for error in disk::sync(env, &left).await {
            env.recorder.problems.add(error);
        }
    }
    active.insert(Fault::Member, Active::Member(left));
    false
}

/// Stops one active fault other than membership, drawn at random, if any.
async fn stop_one_other(env: &Env, rng: &mut Rng, active: &mut BTreeMap<Fault, Active>) {
    let others: Vec<Fault> = active
        .keys()
        .copied()
        .filter(|f| *f != Fault::Member)
        .collect();
    if others.is_empty() {
        return;
    }
    let fault = others[rng.below(others.len() as u64) as usize];
    if let Some(started) = active.remove(&fault) {
        stop_fault(env, started, false).await;
    }
}

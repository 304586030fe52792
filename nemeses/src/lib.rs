//! Nemeses: faults injected while a test runs. The options are parsed
//! once into a [`NemesisPlan`], fitted to what the system under test can
//! take; [`run_schedule`] then starts and stops faults for the run's time,
//! recording each change in the history, and heals what is still active
//! at the end; [`heal_node`] puts a node back whatever ran (before a run,
//! after it, `faultline cluster heal`).
//!
//! - Partitions: a [`Grudge`] (node → nodes it drops), made by a [`Shape`]
//!   and applied with iptables in a chain of faultline's own.
//! - Process faults hit a [`Target`] (one, minority, majority, all,
//!   primaries, some, or named nodes) through the system's abilities.
//! - [`clock`] faults: libfaketime or (disposable hosts) the real clock.
//! - [`packet`] faults: loss, delay, bandwidth with netem or fallbacks.
//!
//! ```
//! use faultline_core::Rng;
//! use faultline_nemeses::{describe, Shape, Target};
//!
//! let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
//! let grudge = Shape::Ring.grudge(&nodes, &[], &mut Rng::new(7));
//! assert_eq!(grudge.len(), 5);
//! println!("{}", describe(&grudge));
//! let victims = Target::Minority.pick(&nodes, &[], &mut Rng::new(7));
//! assert_eq!(victims.len(), 2);
//! ```

mod choices;
pub mod clock;
pub mod delayer;
pub mod disk;
mod fault;
mod grudge;
mod heal;
mod heal_policy;
mod option_text;
mod options;
pub mod packet;
pub mod partition;
mod plan_error;
mod schedule;
mod shape;
mod target;

/// Whether `remote`'s node runs on this machine's kernel (a network
/// namespace here): then it shares this machine's clock and files, so a
/// clock change would hit the controller too.
pub fn shares_controller_kernel(
    remote: &dyn faultline_core::Remote,
) -> Result<bool, faultline_core::RemoteError> {
    let theirs = remote.run(
        "cat /proc/sys/kernel/random/boot_id",
        std::time::Duration::from_secs(20),
    )?;
    let ours = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Ok(!ours.trim().is_empty() && theirs.trim() == ours.trim())
}

pub use choices::{FaultChoice, ShapeChoice};
pub use fault::{parse_faults, Fault};
pub use grudge::{complete_grudge, describe, Grudge};
pub use heal::heal_node;
pub use heal_policy::{HealPolicy, Healed};
pub use options::{NemesisConfig, NemesisPlan};
pub use plan_error::PlanError;
pub use schedule::{heal_partitions, prepare_schedule, run_schedule, ReadySchedule, Schedule};
pub use shape::{parse_shapes, random_halves, Shape};
pub use target::{check_targets, parse_targets, Target};

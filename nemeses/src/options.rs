//! The nemesis's options as given (saved in `test.json`) and the plan they
//! parse into, checked before anything starts.

use crate::clock::ClockStrategy;
use crate::fault::{parse_faults, Fault};
use crate::packet::Behavior;
use crate::{parse_shapes, parse_targets, Shape, Target};
use faultline_core::System;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A nemesis option that cannot be used, in one line naming the option
/// and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

type Result<T> = std::result::Result<T, PlanError>;

/// Returns a [`PlanError`] with a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(PlanError(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// The nemesis's options.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct NemesisConfig {
    /// Faults: partition, kill, pause, clock, packet; all; none.
    pub faults: String,
    /// Seconds between fault changes.
    pub interval: f64,
    /// Partition shapes to draw from.
    pub partition: String,
    /// Whom kills hit.
    pub kill_targets: String,
    /// Whom pauses hit.
    pub pause_targets: String,
    /// Whose clocks move.
    pub clock_targets: String,
    /// faketime or real.
    pub clock_strategy: String,
    /// The largest clock offset, in milliseconds.
    pub clock_max_offset_ms: u64,
    /// The user's word that the nodes' real clocks may be changed.
    pub nodes_are_disposable: bool,
    /// Packet behaviours to draw from: loss, delay, rate.
    pub packet: String,
    /// Whose packets suffer.
    pub packet_targets: String,
    /// Fraction of packets lost.
    pub packet_loss: f64,
    /// Milliseconds of delay.
    pub packet_delay_ms: u64,
    /// Bandwidth limit in kilobits per second.
    pub packet_rate_kbit: u64,
    /// Seconds after healing before the final reads.
    pub recovery_time: f64,
}

impl Default for NemesisConfig {
    fn default() -> NemesisConfig {
        NemesisConfig {
            faults: "none".into(),
            interval: 5.0,
            partition: "majority".into(),
            kill_targets: "one,minority,primaries".into(),
            pause_targets: "one,minority,primaries".into(),
            clock_targets: "one,minority,all".into(),
            clock_strategy: "faketime".into(),
            clock_max_offset_ms: 10_000,
            nodes_are_disposable: false,
            packet: "loss,delay,rate".into(),
            packet_targets: "all".into(),
            packet_loss: 0.2,
            packet_delay_ms: 100,
            packet_rate_kbit: 1000,
            recovery_time: 5.0,
        }
    }
}

/// The nemesis's options, parsed.
#[derive(Clone, Debug)]
pub struct NemesisPlan {
    /// The faults drawn from.
    pub faults: Vec<Fault>,
    /// Between changes.
    pub interval: Duration,
    /// Partition shapes.
    pub shapes: Vec<Shape>,
    /// Targets of kills.
    pub kill_targets: Vec<Target>,
    /// Targets of pauses.
    pub pause_targets: Vec<Target>,
    /// Targets of clock faults.
    pub clock_targets: Vec<Target>,
    /// How clocks move.
    pub clock_strategy: ClockStrategy,
    /// The largest offset.
    pub clock_max_offset_ms: u64,
    /// Targets of packet faults.
    pub packet_targets: Vec<Target>,
    /// Packet behaviours.
    pub behaviors: Vec<Behavior>,
    /// After healing, before the final reads.
    pub recovery_time: Duration,
}

impl NemesisConfig {
    /// Parses and checks every option against the node names; one error
    /// naming the option and the fix.
    pub fn plan(&self, nodes: &[String]) -> Result<NemesisPlan> {
        let faults = parse_faults(&self.faults)?;
        let option = |name: &str, e: String| PlanError(format!("--{name}: {e}"));
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(self.interval) {
            bail!("--nemesis-interval must be a positive number of seconds");
        }
        if !(self.recovery_time.is_finite() && self.recovery_time >= 0.0) {
            bail!("--recovery-time must be zero or a positive number of seconds");
        }
        if !(self.packet_loss > 0.0 && self.packet_loss <= 1.0) {
            bail!("--packet-loss must be a fraction in (0, 1], e.g. 0.2 for 20%");
        }
        if self.packet_rate_kbit == 0 || self.packet_delay_ms == 0 || self.clock_max_offset_ms == 0
        {
            bail!(
                "--packet-rate-kbit, --packet-delay-ms and --clock-max-offset-ms must be positive"
            );
        }
        let mut behaviors = Vec::new();
        for word in self
            .packet
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            behaviors.push(match word {
                "loss" => Behavior::Loss(self.packet_loss),
                "delay" => Behavior::Delay(Duration::from_millis(self.packet_delay_ms)),
                "rate" => Behavior::Rate(self.packet_rate_kbit),
                other => {
                    bail!("--packet: unknown behaviour `{other}`; choose from loss, delay, rate")
                }
            });
        }
        if behaviors.is_empty() {
            bail!("--packet: no behaviour given; choose from loss, delay, rate");
        }
        let clock_strategy: ClockStrategy = self
            .clock_strategy
            .parse()
            .map_err(|e| option("clock-strategy", e))?;
        if faults.contains(&Fault::Clock)
            && clock_strategy == ClockStrategy::Real
            && !self.nodes_are_disposable
        {
            bail!("--clock-strategy real sets the nodes' system clocks: add --nodes-are-disposable if they are test machines, or use --clock-strategy faketime");
        }
        Ok(NemesisPlan {
            faults,
            interval: Duration::from_secs_f64(self.interval),
            shapes: parse_shapes(&self.partition).map_err(|e| option("partition", e))?,
            kill_targets: parse_targets(&self.kill_targets, nodes)
                .map_err(|e| option("kill-targets", e))?,
            pause_targets: parse_targets(&self.pause_targets, nodes)
                .map_err(|e| option("pause-targets", e))?,
            clock_targets: parse_targets(&self.clock_targets, nodes)
                .map_err(|e| option("clock-targets", e))?,
            clock_strategy,
            clock_max_offset_ms: self.clock_max_offset_ms,
            packet_targets: parse_targets(&self.packet_targets, nodes)
                .map_err(|e| option("packet-targets", e))?,
            behaviors,
            recovery_time: Duration::from_secs_f64(self.recovery_time),
        })
    }
}

impl NemesisPlan {
    /// Fits the plan to what `system` can do: a fault it has no ability
    /// for is an error naming the fault; the `primaries` target, on a
    /// system that cannot say which node is primary, is left out with a
    /// note (it would silently pick a random node), and is an error when
    /// it was the only target.
    pub fn fit_to(&mut self, system: &dyn System) -> Result<Vec<String>> {
        let name = system.name();
        if self.faults.contains(&Fault::Kill) && system.kill().is_none() {
            bail!("--nemesis kill: {name} cannot kill and restart its process; leave kill out");
        }
        if self.faults.contains(&Fault::Pause) && system.pause().is_none() {
            bail!("--nemesis pause: {name} cannot pause and resume its process; leave pause out");
        }
        let mut notes = Vec::new();
        if system.primaries().is_some() {
            return Ok(notes);
        }
        let used = [
            (Fault::Kill, "kill-targets", &mut self.kill_targets),
            (Fault::Pause, "pause-targets", &mut self.pause_targets),
            (Fault::Clock, "clock-targets", &mut self.clock_targets),
            (Fault::Packet, "packet-targets", &mut self.packet_targets),
        ];
        for (fault, option, targets) in used {
            if !self.faults.contains(&fault) || !targets.iter().any(Target::needs_primaries) {
                continue;
            }
            targets.retain(|t| !t.needs_primaries());
            if targets.is_empty() {
                bail!("--{option} primaries: {name} cannot say which node is primary (a TOML system needs `[db] primary`); choose another target");
            }
            notes.push(format!(
                "--{option}: {name} cannot say which node is primary, so the primaries target is left out"
            ));
        }
        Ok(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<String> {
        (1..=3).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn the_defaults_parse() {
        let plan = NemesisConfig::default().plan(&nodes()).unwrap();
        assert!(plan.faults.is_empty());
        assert_eq!(plan.shapes, [Shape::Majority]);
        assert_eq!(plan.behaviors.len(), 3);
    }

    #[test]
    fn each_bad_option_is_named() {
        type BreakIt = fn(&mut NemesisConfig);
        let cases: [(&str, BreakIt); 6] = [
            ("--partition: unknown partition shape `rng`", |c| {
                c.partition = "rng".into()
            }),
            ("--kill-targets: unknown target `n7`", |c| {
                c.kill_targets = "n7".into()
            }),
            ("--packet: unknown behaviour `jitter`", |c| {
                c.packet = "jitter".into()
            }),
            ("--packet-loss must be a fraction", |c| c.packet_loss = 2.0),
            ("--clock-strategy: unknown clock strategy", |c| {
                c.clock_strategy = "ntp".into()
            }),
            ("add --nodes-are-disposable", |c| {
                c.faults = "clock".into();
                c.clock_strategy = "real".into();
            }),
        ];
        for (expected, break_it) in cases {
            let mut config = NemesisConfig::default();
            break_it(&mut config);
            let err = config.plan(&nodes()).unwrap_err().to_string();
            assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        }
    }

    /// An in-process fake system with no ability at all: only its name and
    /// what `fit_to` asks are real.
    struct Bare;

    impl System for Bare {
        fn name(&self) -> &str {
            "bare"
        }
        fn db(&self) -> &dyn faultline_core::Db {
            unreachable!("fit_to never touches the database")
        }
        fn client(
            &self,
            _: &faultline_core::Node,
            _: Duration,
        ) -> Box<dyn faultline_core::DynClient> {
            unreachable!("fit_to never makes a client")
        }
        fn serves<'a>(
            &'a self,
            _: std::sync::Arc<dyn faultline_core::Remote>,
            _: &'a faultline_core::Node,
        ) -> faultline_core::BoxFuture<'a, std::result::Result<(), String>> {
            unreachable!("fit_to never asks for health")
        }
    }

    fn fitted(faults: &str, targets: &str) -> Result<(NemesisPlan, Vec<String>)> {
        let config = NemesisConfig {
            faults: faults.into(),
            clock_targets: targets.into(),
            ..NemesisConfig::default()
        };
        let mut plan = config.plan(&nodes())?;
        let notes = plan.fit_to(&Bare)?;
        Ok((plan, notes))
    }

    #[test]
    fn a_fault_the_system_cannot_inject_is_refused_by_name() {
        let err = fitted("partition,kill", "one").unwrap_err().to_string();
        assert!(err.contains("--nemesis kill: bare cannot kill"), "{err}");
        let err = fitted("pause", "one").unwrap_err().to_string();
        assert!(err.contains("--nemesis pause: bare cannot pause"), "{err}");
        assert!(fitted("partition,clock", "one").is_ok());
    }

    #[test]
    fn the_primaries_target_is_left_out_where_nobody_can_tell_the_primary() {
        let (plan, notes) = fitted("clock", "one,primaries").unwrap();
        assert_eq!(plan.clock_targets, [Target::One]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("--clock-targets:"), "{notes:?}");
        let err = fitted("clock", "primaries").unwrap_err().to_string();
        assert!(err.contains("[db] primary"), "{err}");
        // Targets of faults not asked for are left alone, without a note.
        let (plan, notes) = fitted("partition", "primaries").unwrap();
        assert_eq!(plan.clock_targets, [Target::Primaries]);
        assert!(notes.is_empty());
    }
}

//! The nemesis's options as given (saved in `test.json`) and the plan they
//! parse into, checked before anything starts.

use crate::clock::ClockStrategy;
use crate::disk::DiskKind;
use crate::fault::Fault;
use crate::packet::{Behavior, PacketKind};
use crate::plan_error::{bail, PlanError};
use crate::target::check_targets;
use crate::{Shape, Target};
use faultline_core::System;
use serde::{Deserialize, Serialize};
use std::time::Duration;

type Result<T> = std::result::Result<T, PlanError>;

/// The nemesis's options, typed as the command line parsed them (saved in
/// `test.json` as the words it took: see [`crate::option_text`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct NemesisConfig {
    /// The faults drawn from (`--nemesis`).
    #[serde(with = "crate::option_text::faults")]
    pub faults: Vec<Fault>,
    /// Seconds between fault changes.
    pub interval: f64,
    /// Partition shapes to draw from.
    #[serde(with = "crate::option_text::shapes")]
    pub partition: Vec<Shape>,
    /// Whom kills hit.
    #[serde(with = "crate::option_text::list")]
    pub kill_targets: Vec<Target>,
    /// Whom pauses hit.
    #[serde(with = "crate::option_text::list")]
    pub pause_targets: Vec<Target>,
    /// Whose clocks move.
    #[serde(with = "crate::option_text::list")]
    pub clock_targets: Vec<Target>,
    /// faketime or real.
    #[serde(with = "crate::option_text::word")]
    pub clock_strategy: ClockStrategy,
    /// The largest clock offset, in milliseconds.
    pub clock_max_offset_ms: u64,
    /// The user's word that the nodes' real clocks may be changed.
    pub nodes_are_disposable: bool,
    /// Packet behaviours to draw from.
    #[serde(with = "crate::option_text::list")]
    pub packet: Vec<PacketKind>,
    /// Whose packets suffer.
    #[serde(with = "crate::option_text::list")]
    pub packet_targets: Vec<Target>,
    /// Fraction of packets lost.
    pub packet_loss: f64,
    /// Milliseconds of delay.
    pub packet_delay_ms: u64,
    /// Bandwidth limit in kilobits per second.
    pub packet_rate_kbit: u64,
    /// Whose unsynced writes are lost.
    #[serde(with = "crate::option_text::list")]
    pub disk_targets: Vec<Target>,
    /// Disk fault kinds to draw from.
    #[serde(with = "crate::option_text::list")]
    pub disk: Vec<DiskKind>,
    /// Whose data files are corrupted.
    #[serde(with = "crate::option_text::list")]
    pub corrupt_targets: Vec<Target>,
    /// Seconds after healing before the final reads.
    pub recovery_time: f64,
}

impl Default for NemesisConfig {
    fn default() -> NemesisConfig {
        use Target::{All, Majority, Minority, One, Primaries};
        NemesisConfig {
            faults: Vec::new(),
            interval: 5.0,
            partition: vec![Shape::Majority],
            kill_targets: vec![One, Minority, Primaries],
            pause_targets: vec![One, Minority, Primaries],
            clock_targets: vec![One, Minority, All],
            clock_strategy: ClockStrategy::Faketime,
            clock_max_offset_ms: 10_000,
            nodes_are_disposable: false,
            packet: vec![PacketKind::Loss, PacketKind::Delay, PacketKind::Rate],
            packet_targets: vec![All],
            packet_loss: 0.2,
            packet_delay_ms: 100,
            packet_rate_kbit: 1000,
            disk_targets: vec![One, Minority, Majority, All, Primaries],
            disk: vec![DiskKind::LoseUnsynced],
            corrupt_targets: vec![One, Minority],
            recovery_time: 5.0,
        }
    }
}

impl NemesisConfig {
    /// The faults as `--nemesis` names them (`partition,kill`; `none`).
    pub fn faults_text(&self) -> String {
        if self.faults.is_empty() {
            return "none".into();
        }
        let names: Vec<&str> = self.faults.iter().map(|f| f.name()).collect();
        names.join(",")
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
    /// Targets of disk faults.
    pub disk_targets: Vec<Target>,
    /// Disk fault kinds.
    pub disk: Vec<DiskKind>,
    /// Targets of corruption.
    pub corrupt_targets: Vec<Target>,
    /// After healing, before the final reads.
    pub recovery_time: Duration,
}

impl NemesisPlan {
    /// The Debian packages the nodes need for these faults: libfaketime
    /// for clock faults through it (the other faults use iproute2 and
    /// iptables, which every cluster has, and faultline itself).
    pub fn packages(&self) -> Vec<String> {
        let faketime =
            self.faults.contains(&Fault::Clock) && self.clock_strategy == ClockStrategy::Faketime;
        if faketime {
            vec!["libfaketime".into()]
        } else {
            Vec::new()
        }
    }
}

impl NemesisConfig {
    /// Parses and checks every option against the node names; one error
    /// naming the option and the fix.
    pub fn plan(&self, nodes: &[String]) -> Result<NemesisPlan> {
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
        if self.packet.is_empty() {
            bail!("--packet: no behaviour given; choose from loss, delay, rate");
        }
        if self.disk.is_empty() {
            bail!("--disk: no kind given; choose from lose-unsynced, corrupt");
        }
        if self.partition.is_empty() {
            bail!("--partition: no shape given; choose from majority, one, ring, bridge, primaries, all");
        }
        let behaviors = self
            .packet
            .iter()
            .map(|kind| match kind {
                PacketKind::Loss => Behavior::Loss(self.packet_loss),
                PacketKind::Delay => Behavior::Delay(Duration::from_millis(self.packet_delay_ms)),
                PacketKind::Rate => Behavior::Rate(self.packet_rate_kbit),
            })
            .collect();
        if self.faults.contains(&Fault::Clock)
            && self.clock_strategy == ClockStrategy::Real
            && !self.nodes_are_disposable
        {
            bail!("--clock-strategy real sets the nodes' system clocks: add --nodes-are-disposable if they are test machines, or use --clock-strategy faketime");
        }
        let targets = |option: &str, targets: &[Target]| {
            check_targets(targets, nodes)
                .map(|_| targets.to_vec())
                .map_err(|e| PlanError(format!("--{option}: {e}")))
        };
        Ok(NemesisPlan {
            faults: self.faults.clone(),
            interval: Duration::from_secs_f64(self.interval),
            shapes: self.partition.clone(),
            kill_targets: targets("kill-targets", &self.kill_targets)?,
            pause_targets: targets("pause-targets", &self.pause_targets)?,
            clock_targets: targets("clock-targets", &self.clock_targets)?,
            clock_strategy: self.clock_strategy,
            clock_max_offset_ms: self.clock_max_offset_ms,
            packet_targets: targets("packet-targets", &self.packet_targets)?,
            behaviors,
            disk_targets: targets("disk-targets", &self.disk_targets)?,
            disk: self.disk.clone(),
            corrupt_targets: targets("corrupt-targets", &self.corrupt_targets)?,
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
        if self.faults.contains(&Fault::Disk) && system.kill().is_none() {
            bail!("--nemesis disk: {name} cannot kill and restart its process, which losing its unsynced writes needs; leave disk out");
        }
        if self.faults.contains(&Fault::Disk) && system.data_dir().is_none() {
            bail!("--nemesis disk: {name} does not say where its data lives (a TOML system needs `[db] data_dir`); leave disk out");
        }
        if self.faults.contains(&Fault::Member) && system.membership().is_none() {
            bail!("--nemesis member: {name} cannot remove and add members; leave member out");
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
            (Fault::Disk, "disk-targets", &mut self.disk_targets),
            (Fault::Disk, "corrupt-targets", &mut self.corrupt_targets),
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
        let cases: [(&str, BreakIt); 5] = [
            ("--kill-targets: unknown target `n7`", |c| {
                c.kill_targets = vec![Target::Named(vec!["n7".into()])]
            }),
            ("--packet: no behaviour given", |c| c.packet.clear()),
            ("--partition: no shape given", |c| c.partition.clear()),
            ("--packet-loss must be a fraction", |c| c.packet_loss = 2.0),
            ("add --nodes-are-disposable", |c| {
                c.faults = vec![Fault::Clock];
                c.clock_strategy = ClockStrategy::Real;
            }),
        ];
        for (expected, break_it) in cases {
            let mut config = NemesisConfig::default();
            break_it(&mut config);
            let err = config.plan(&nodes()).unwrap_err().to_string();
            assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        }
    }

    #[test]
    fn test_json_keeps_the_command_lines_words_and_reads_them_back() {
        let config = NemesisConfig {
            faults: vec![Fault::Partition, Fault::Kill],
            kill_targets: vec![Target::One, Target::Named(vec!["n1".into(), "n3".into()])],
            ..NemesisConfig::default()
        };
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(json["faults"], "partition,kill");
        assert_eq!(json["kill_targets"], "one,n1+n3");
        assert_eq!(json["clock_strategy"], "faketime");
        assert_eq!(json["packet"], "loss,delay,rate");
        let back: NemesisConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back.faults, config.faults);
        assert_eq!(back.kill_targets, config.kill_targets);
        // What older runs wrote: `all`, `none`.
        let old: NemesisConfig =
            serde_json::from_value(serde_json::json!({"faults": "all", "partition": "all"}))
                .unwrap();
        assert_eq!(old.faults, Fault::ALL);
        assert_eq!(old.partition, Shape::ALL);
        let none: NemesisConfig =
            serde_json::from_value(serde_json::json!({"faults": "none"})).unwrap();
        assert!(none.faults.is_empty());
        assert_eq!(serde_json::to_value(&none).unwrap()["faults"], "none");
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
            faults: crate::parse_faults(faults).unwrap(),
            clock_targets: targets.split(',').map(|t| t.parse().unwrap()).collect(),
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
        let err = fitted("disk", "one").unwrap_err().to_string();
        assert!(err.contains("--nemesis disk: bare cannot kill"), "{err}");
        let err = fitted("member", "one").unwrap_err().to_string();
        assert!(
            err.contains("--nemesis member: bare cannot remove and add members"),
            "{err}"
        );
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

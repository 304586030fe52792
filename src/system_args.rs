//! `faultline test <system>` and `faultline test-all <system>`: one
//! subcommand per system in the registry, each with the options every
//! test has, the node options (unless the system's description names its
//! nodes), the system's own options, and `--workload` offering only the
//! workloads its client serves.

use crate::cli_args::NodeOptions;
use crate::runner::config::TestConfig;
use crate::test_options::TestOptions;
use anyhow::{anyhow, bail};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgMatches, Args, Command, FromArgMatches, ValueEnum};
use faultline_nemeses::FaultChoice;
use faultline_systems::custom::config::NodesSection;
use faultline_systems::{SystemChoice, SystemDescriptor, SYSTEMS};
use faultline_workloads::WorkloadKind;

/// A system chosen on the command line, with the matches of its subcommand.
#[derive(Clone)]
pub struct SystemArgs {
    /// The system.
    pub system: &'static dyn SystemDescriptor,
    /// Everything given after its name.
    pub matches: ArgMatches,
}

/// What one test of the chosen system needs, before its workload and
/// faults are fixed (`test-all` varies them).
pub struct Chosen {
    /// The options every test has.
    pub test: TestOptions,
    /// Which nodes (resolved for each test: a nodes file is read then).
    pub nodes: NodeOptions,
    /// The system and its options.
    pub system: SystemChoice,
    /// The run name's system part.
    pub name: String,
    /// Where the system's description fixes the workload, if it does.
    pub fixed_workload: Option<String>,
}

impl Chosen {
    /// The test of `workload` under `nemesis` (default: those asked for).
    pub fn config(
        &self,
        workload: Option<WorkloadKind>,
        nemesis: Option<Vec<FaultChoice>>,
    ) -> anyhow::Result<TestConfig> {
        let mut test = self.test.clone();
        test.workload = workload.or(test.workload);
        test.nemesis = nemesis.unwrap_or(test.nemesis);
        let mut config = test.config(self.nodes.resolve()?, self.system.clone())?;
        config.name = format!("{}-{}", self.name, config.workload);
        Ok(config)
    }
}

impl SystemArgs {
    /// The subcommand for `system`; `extra` adds what the command adds
    /// (test-all's matrix), `about` says what it does with the system.
    pub fn command(
        system: &dyn SystemDescriptor,
        extra: fn(Command) -> Command,
        about: fn(&dyn SystemDescriptor) -> String,
    ) -> Command {
        let mut command = extra(Command::new(system.name()));
        command = TestOptions::augment_args(command);
        if system.takes_node_options() {
            command = NodeOptions::augment_args(command);
        }
        // The option groups' own descriptions would stand in for the system's.
        command = system.args(command).about(about(system)).long_about(None);
        let served = || workload_parser(system.workloads());
        command
            .mut_arg("workload", |a| a.value_parser(served()))
            .mut_arg("recovery_time", |a| a.default_value(system.recovery_time()))
            .mut_args(|a| {
                if a.get_id() == "workloads" {
                    a.value_parser(served())
                } else {
                    a
                }
            })
    }

    /// Every system's subcommand under `command`.
    pub fn augment(
        command: Command,
        extra: fn(Command) -> Command,
        about: fn(&dyn SystemDescriptor) -> String,
    ) -> Command {
        SYSTEMS
            .iter()
            .fold(command.subcommand_required(true), |command, system| {
                command.subcommand(Self::command(*system, extra, about))
            })
    }

    /// The system named in `matches` and its subcommand's matches.
    pub fn from_matches(matches: &ArgMatches) -> Result<SystemArgs, clap::Error> {
        let (name, matches) = matches
            .subcommand()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
        let system = faultline_systems::find(name)
            .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidSubcommand, e))?;
        Ok(SystemArgs {
            system,
            matches: matches.clone(),
        })
    }

    /// The test these arguments describe: the system's options prepared
    /// (a TOML system's file read), its nodes resolved.
    pub fn choose(&self) -> anyhow::Result<Chosen> {
        let mut test = TestOptions::from_arg_matches(&self.matches)?;
        let (options, setup) = self.system.prepare(&self.matches).map_err(|e| anyhow!(e))?;
        let mut fixed_workload = None;
        if let Some((workload, source)) = setup.workload {
            if let Some(given) = test.workload {
                bail!("--workload {given}: {source}; leave --workload out");
            }
            test.workload = Some(workload);
            fixed_workload = Some(source);
        }
        // Register where the system serves it, else the first it serves.
        let served = self.system.workloads();
        if test.workload.is_none() && !served.contains(&WorkloadKind::Register) {
            test.workload = served.first().copied();
        }
        let nodes = match &setup.nodes {
            Some(section) => described_nodes(section),
            None => NodeOptions::from_arg_matches(&self.matches)?,
        };
        Ok(Chosen {
            test,
            nodes,
            name: setup.name.unwrap_or_else(|| self.system.name().to_owned()),
            system: SystemChoice::new(self.system.name(), options),
            fixed_workload,
        })
    }
}

/// `--workload`'s values: the workloads a system's client serves, each
/// with its help.
fn workload_parser(workloads: &[WorkloadKind]) -> impl TypedValueParser<Value = WorkloadKind> {
    let values: Vec<_> = workloads
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .collect();
    PossibleValuesParser::new(values).map(|name| {
        <WorkloadKind as ValueEnum>::from_str(&name, false).expect("a possible value is a workload")
    })
}

/// The node options a system's description (a TOML file's `[nodes]`) gives.
fn described_nodes(section: &NodesSection) -> NodeOptions {
    NodeOptions {
        nodes: section.hosts.clone(),
        nodes_file: section.file.clone(),
        // With a nodes file, its login stands unless the TOML names another.
        username: (section.file.is_none() || section.username != "root")
            .then(|| section.username.clone()),
        ssh_key: section.ssh_key.clone(),
        no_strict_host_key_checking: !section.strict_host_key_checking,
        node_dir: section.dir.clone(),
    }
}

/// Implements clap's traits for a command whose subcommands are the
/// registry's systems.
macro_rules! system_subcommands {
    ($name:ident, $extra:expr, $about:expr) => {
        impl clap::FromArgMatches for $name {
            fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
                $crate::system_args::SystemArgs::from_matches(matches).map($name)
            }

            fn update_from_arg_matches(
                &mut self,
                matches: &clap::ArgMatches,
            ) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(matches)?;
                Ok(())
            }
        }

        impl clap::Args for $name {
            fn augment_args(command: clap::Command) -> clap::Command {
                $crate::system_args::SystemArgs::augment(command, $extra, $about)
            }

            fn augment_args_for_update(command: clap::Command) -> clap::Command {
                Self::augment_args(command)
            }
        }
    };
}
pub(crate) use system_subcommands;

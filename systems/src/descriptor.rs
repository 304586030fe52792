//! What a system says of itself, so that nothing outside its folder needs
//! to name it: its subcommand, its options, the workloads its client
//! serves, what it promises, and how to open it for a run.
//!
//! A system's folder implements the typed [`Suite`]; the registry holds
//! each as a [`SystemDescriptor`], the object-safe form the command line
//! and the runner use (options travel as JSON, as test.json keeps them).

use crate::custom::config::NodesSection;
use crate::RunContext;
use clap::FromArgMatches;
pub use faultline_checkers::Promise;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;

/// What a system's own description fixes about a run, beyond its options
/// (a TOML system names its workload, nodes and run name in its file).
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// The run's name before `-<workload>` (default: the system's name).
    pub name: Option<String>,
    /// The workload, and where it is set (said when `--workload` is given too).
    pub workload: Option<(WorkloadKind, String)>,
    /// The nodes, when the description names them.
    pub nodes: Option<NodesSection>,
}

/// A system's options made ready for a run, with what its description fixes.
pub struct Prepared<O> {
    /// What test.json keeps.
    pub options: O,
    /// What the description fixes.
    pub setup: Setup,
}

impl<O> Prepared<O> {
    /// Options that fix nothing else.
    pub fn options(options: O) -> Prepared<O> {
        Prepared {
            options,
            setup: Setup::default(),
        }
    }
}

/// A system, typed: the folder of each system implements it once.
pub trait Suite: Send + Sync + 'static {
    /// Its command-line options.
    type Args: clap::Args + clap::FromArgMatches;
    /// Its options as a run keeps them (in test.json).
    type Options: Serialize + DeserializeOwned;
    /// Its subcommand (`faultline test <NAME>`) and name in files.
    const NAME: &'static str;
    /// Its name as a sentence writes it.
    const TITLE: &'static str;
    /// `faultline test <NAME> --help`'s first line.
    const ABOUT: &'static str;
    /// The workloads its client serves.
    const WORKLOADS: &'static [WorkloadKind];
    /// Whether the common node options (`--nodes`, `--nodes-file`, ...)
    /// apply; a system whose description names its nodes says no.
    const TAKES_NODE_OPTIONS: bool = true;
    /// `--recovery-time`'s default: seconds it takes to serve again once
    /// every fault is healed (a JetStream stream elects and catches up
    /// more slowly than an etcd member).
    const RECOVERY_TIME: &'static str = "5";

    /// The options a run keeps, from the command line's; `Err` is one line
    /// naming the problem and the fix.
    fn prepare(args: Self::Args) -> Result<Prepared<Self::Options>, String>;

    /// The system, set up for the run `run` describes.
    fn open(options: Self::Options, run: RunContext) -> Arc<dyn System>;

    /// What it promises under `options`.
    fn promise(options: &Self::Options) -> Promise;

    /// Resumes whatever of its processes a pause left stopped on `node`
    /// (`faultline cluster heal`); harmless where none is.
    fn resume(remote: &dyn Remote, node: &Node);
}

/// A system as the command line and the runner see it: options as JSON.
pub trait SystemDescriptor: Sync {
    /// Its subcommand and name in files.
    fn name(&self) -> &'static str;
    /// Its name in prose.
    fn title(&self) -> &'static str;
    /// Its subcommand's first help line.
    fn about(&self) -> &'static str;
    /// The workloads its client serves.
    fn workloads(&self) -> &'static [WorkloadKind];
    /// Whether the common node options apply.
    fn takes_node_options(&self) -> bool;
    /// `--recovery-time`'s default, in seconds.
    fn recovery_time(&self) -> &'static str;
    /// `command` with the system's own options added.
    fn args(&self, command: clap::Command) -> clap::Command;
    /// Its options from a command line parsed with [`Self::args`], as a
    /// run keeps them, and what its description fixes.
    fn prepare(&self, matches: &clap::ArgMatches) -> Result<(serde_json::Value, Setup), String>;
    /// The system for a run, from options [`Self::prepare`] made.
    fn open(&self, options: &serde_json::Value, run: RunContext)
        -> Result<Arc<dyn System>, String>;
    /// What it promises under `options`.
    fn promise(&self, options: &serde_json::Value) -> Result<Promise, String>;
    /// Resumes its paused processes on `node`.
    fn resume(&self, remote: &dyn Remote, node: &Node);
}

/// The registry's entry for the suite `S`.
pub struct Registered<S>(PhantomData<S>);

impl<S> Registered<S> {
    /// The entry.
    pub const fn new() -> Registered<S> {
        Registered(PhantomData)
    }
}

impl<S> Default for Registered<S> {
    fn default() -> Self {
        Registered::new()
    }
}

impl<S: Suite> Registered<S> {
    fn options(options: &serde_json::Value) -> Result<S::Options, String> {
        S::Options::deserialize(options)
            .map_err(|e| format!("{}'s options in test.json: {e}", S::NAME))
    }
}

impl<S: Suite> SystemDescriptor for Registered<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn title(&self) -> &'static str {
        S::TITLE
    }

    fn about(&self) -> &'static str {
        S::ABOUT
    }

    fn workloads(&self) -> &'static [WorkloadKind] {
        S::WORKLOADS
    }

    fn takes_node_options(&self) -> bool {
        S::TAKES_NODE_OPTIONS
    }

    fn recovery_time(&self) -> &'static str {
        S::RECOVERY_TIME
    }

    fn args(&self, command: clap::Command) -> clap::Command {
        <S::Args as clap::Args>::augment_args(command)
    }

    fn prepare(&self, matches: &clap::ArgMatches) -> Result<(serde_json::Value, Setup), String> {
        let args = S::Args::from_arg_matches(matches).map_err(|e| e.to_string())?;
        let prepared = S::prepare(args)?;
        let options = serde_json::to_value(&prepared.options)
            .map_err(|e| format!("{}'s options cannot be kept: {e}", S::NAME))?;
        Ok((options, prepared.setup))
    }

    fn open(
        &self,
        options: &serde_json::Value,
        run: RunContext,
    ) -> Result<Arc<dyn System>, String> {
        Ok(S::open(Self::options(options)?, run))
    }

    fn promise(&self, options: &serde_json::Value) -> Result<Promise, String> {
        Ok(S::promise(&Self::options(options)?))
    }

    fn resume(&self, remote: &dyn Remote, node: &Node) {
        S::resume(remote, node)
    }
}

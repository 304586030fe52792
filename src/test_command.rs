//! `faultline test <system>` and `faultline demo`.

use crate::cli_args::SpecArgs;
use crate::cluster;
use crate::exit::Failure;
use crate::runner::run_test;
use crate::system_args::{system_subcommands, SystemArgs};
use crate::test_options::TestOptions;
use anyhow::anyhow;
use clap::Args;
use faultline_systems::{EtcdOptions, SystemChoice};

/// Options of `faultline test`: the system, then its options.
pub struct TestArgs(SystemArgs);

system_subcommands!(TestArgs, |command| command, |system| system
    .about()
    .to_owned());

/// Runs `faultline test`.
pub fn run(args: &TestArgs) -> Result<i32, Failure> {
    let config = args
        .0
        .choose()
        .and_then(|chosen| chosen.config(None, None))
        .map_err(Failure::bad_input)?;
    run_test(config)
}

/// Options of `faultline demo`.
#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    test: TestOptions,
    #[command(flatten)]
    etcd: EtcdOptions,
    /// The local cluster the demo builds (and removes afterwards).
    #[command(flatten)]
    cluster: DemoCluster,
}

/// The demo's own cluster (named so as not to touch `local`).
#[derive(Args, Clone)]
pub struct DemoCluster {
    /// Name of the demo's cluster.
    #[arg(long = "cluster-name", default_value = "demo")]
    name: String,
    /// Nodes in the demo's cluster.
    #[arg(long = "cluster-nodes", default_value_t = 5)]
    nodes: usize,
    /// Subnet of the demo's cluster.
    #[arg(long = "cluster-subnet", default_value = "10.79.0")]
    subnet: String,
}

/// Runs `faultline demo`: cluster up, the etcd register test, cluster down.
pub fn demo(args: &DemoArgs) -> Result<i32, Failure> {
    if !cluster::is_root() {
        return Err(Failure::bad_input(anyhow!(
            "the demo builds a local cluster of network namespaces and needs root: run it as root"
        )));
    }
    // From here on, Ctrl-C ends the current phase and the cluster still goes.
    crate::interrupt::install();
    let spec = SpecArgs {
        name: args.cluster.name.clone(),
        nodes: args.cluster.nodes,
        subnet: args.cluster.subnet.clone(),
    }
    .spec();
    let nodes = cluster::up(&spec).map_err(Failure::bad_input)?;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let etcd = serde_json::to_value(&args.etcd).unwrap_or_default();
        args.test
            .config(nodes, SystemChoice::new("etcd", etcd))
            .map_err(Failure::bad_input)
            .and_then(run_test)
    }));
    // The cluster goes, whatever the test did.
    if let Err(e) = cluster::down(&spec.name) {
        eprintln!("error: {e:#}");
    }
    let code = result.unwrap_or(Err(Failure {
        code: crate::exit::EXIT_INTERNAL,
        error: anyhow!("the test panicked"),
    }))?;
    let latest = args.test.store.join("latest");
    println!(
        "report: {} (open it in a browser; history.jsonl, results.json, test.json and node logs beside it)",
        latest.join("index.html").display()
    );
    Ok(code)
}

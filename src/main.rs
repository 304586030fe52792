//! The `faultline` command: subcommands wire the member crates together.
//!
//! Exit codes, the same everywhere: 0 valid, 1 invalid, 2 unknown,
//! 254 bad arguments or unreadable input, 255 internal error.

use clap::{Parser, Subcommand};
use faultline::exit::{self, Failure, EXIT_INTERNAL};
use faultline::{
    analyze_command, check_command, cluster_command, delayer, disk_fs, report_command,
    serve_command, test_all_command, test_command,
};

/// A Jepsen-style test harness for distributed databases.
#[derive(Parser)]
#[command(name = "faultline", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check recorded histories (linearizability, or serializability of transactions).
    Check(check_command::CheckArgs),
    /// Build, inspect or remove a local cluster (network namespaces, as root).
    Cluster(cluster_command::ClusterArgs),
    /// Run a test against a cluster: workload, faults, history, verdict.
    Test(test_command::TestArgs),
    /// Run a matrix of tests (workloads × nemeses × --test-count) and merge the verdicts.
    TestAll(test_all_command::TestAllArgs),
    /// Check a stored run again (also one that was interrupted).
    Analyze(analyze_command::AnalyzeArgs),
    /// Re-render run pages (RUN-DIR...) or a store's index (--store DIR).
    Report(report_command::ReportArgs),
    /// Browse a store's runs and files over HTTP (nothing outside the store is served).
    Serve(serve_command::ServeArgs),
    /// Build a local 5-node etcd cluster, test it under partitions, remove it.
    Demo(Box<test_command::DemoArgs>),
    /// Check a custom system's TOML file: one line per problem, exit 254.
    ValidateConfig {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Hold packets from an NFQUEUE back (started on nodes by the packet nemesis).
    #[command(hide = true)]
    Delayer(delayer::DelayerArgs),
    /// The lose-unsynced filesystem on a node (mounted by the disk nemesis).
    #[command(hide = true)]
    DiskFs(disk_fs::DiskFsArgs),
}

/// A wrong value or an unknown option in one line (with the choices and
/// clap's tip, when it has them); help, version and usage errors as clap prints them.
fn print_clap_error(e: &clap::Error) {
    use clap::error::ErrorKind::{InvalidValue, UnknownArgument, ValueValidation};
    if !matches!(e.kind(), InvalidValue | ValueValidation | UnknownArgument) {
        let _ = e.print();
        return;
    }
    let text = e.render().to_string();
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("error:") || l.starts_with("tip:") || l.starts_with("[possible values:")
        })
        .collect();
    eprintln!("{}", kept.join("; "));
}

/// Set when standard output was closed under us.
static CLOSED_STDOUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn main() {
    // A panic is faultline's bug, not the system's: say so, let the stack
    // unwind (cleanup guards heal the network), then exit with its own code.
    std::panic::set_hook(Box::new(|info| {
        if exit::is_closed_stdout(info.payload()) {
            CLOSED_STDOUT.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        eprintln!("faultline: internal error: {info}\nplease report this with the command and input that caused it");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::EXIT_BAD_INPUT
            } else {
                0
            };
            print_clap_error(&e);
            std::process::exit(code);
        }
    };
    // After a panic nothing of the command is used again: only its exit code.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cli.command {
        Command::Check(args) => check_command::run(&args),
        Command::Cluster(args) => cluster_command::run(&args),
        Command::Test(args) => test_command::run(&args),
        Command::TestAll(args) => test_all_command::run_all(&args),
        Command::Analyze(args) => analyze_command::run(&args),
        Command::Demo(args) => test_command::demo(&args),
        Command::Report(args) => report_command::run(&args),
        Command::Serve(args) => serve_command::run(&args),
        Command::ValidateConfig { file } => faultline_systems::CustomConfig::load(&file)
            .map(|c| {
                println!(
                    "{}: ok: system `{}`, {}, workload {}, client `{}`",
                    file.display(),
                    c.name,
                    c.nodes.file.as_ref().map_or_else(
                        || format!("{} node(s)", c.nodes.hosts.len()),
                        |f| format!("nodes from {}", f.display())
                    ),
                    c.workload.name,
                    c.client.program.as_deref().unwrap_or("built-in HTTP")
                );
                0
            })
            .map_err(Failure::bad_input),
        Command::Delayer(args) => delayer::run(&args).map_err(|e| Failure {
            code: EXIT_INTERNAL,
            error: e,
        }),
        Command::DiskFs(args) => disk_fs::run(&args).map_err(|e| Failure {
            code: EXIT_INTERNAL,
            error: e,
        }),
    }))
    .unwrap_or(Ok(EXIT_INTERNAL));
    if CLOSED_STDOUT.load(std::sync::atomic::Ordering::Relaxed) {
        // The reader went away (`| head`): end quietly, as a Unix tool
        // killed by SIGPIPE would (128 + 13).
        std::process::exit(exit::EXIT_CLOSED_PIPE);
    }
    match result {
        Ok(code) => std::process::exit(code),
        Err(Failure { code, error }) => {
            eprintln!("error: {error:#}");
            std::process::exit(code);
        }
    }
}

//! `faultline disk-fs`: the lose-unsynced filesystem on a node (`serve`,
//! started by the disk nemesis), its control (`control`) and the
//! corruption of a stopped database's file (`corrupt`, `uncorrupt`); the
//! filesystem itself is [`faultline_disk_fs`].

use clap::{Args, Subcommand};
use faultline_nemeses::disk::{self, ControlCommand};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Options of `faultline disk-fs`.
#[derive(Args)]
pub struct DiskFsArgs {
    #[command(subcommand)]
    action: DiskFsAction,
}

#[derive(Subcommand)]
enum DiskFsAction {
    /// Mount the filesystem and serve it until SIGTERM, SIGINT or `stop`.
    Serve {
        /// Where the file contents are kept (emptied first).
        #[arg(long)]
        store: PathBuf,
        /// The control socket.
        #[arg(long)]
        socket: PathBuf,
        /// The directory to mount over (the database's data directory).
        mountpoint: PathBuf,
    },
    /// Send one command to a serving filesystem and print its JSON answer.
    Control {
        /// The control socket.
        #[arg(long)]
        socket: PathBuf,
        /// drop (lose every unsynced change), sync, pending or stop.
        #[arg(value_parser = ["drop", "sync", "pending", "stop"])]
        command: String,
    },
    /// Truncate or flip bits in one file under ROOT (the database
    /// stopped); print what was done as JSON and keep an undo record.
    Corrupt {
        /// The data directory.
        #[arg(long)]
        root: PathBuf,
        /// truncate or bitflip.
        #[arg(long, value_parser = ["truncate", "bitflip"])]
        mode: String,
        /// Chooses the file and the bytes.
        #[arg(long)]
        seed: u64,
        /// Where the undo record goes.
        #[arg(long)]
        undo: PathBuf,
        /// A pattern of the files to choose from, relative to ROOT (`*`
        /// within a segment); every file when none.
        #[arg(long = "file")]
        files: Vec<String>,
    },
    /// Put back what the undo record names; print it as JSON (null when
    /// there is no record).
    Uncorrupt {
        /// The undo record.
        #[arg(long)]
        undo: PathBuf,
    },
}

/// Runs the action; exit code 0 on success.
pub fn run(args: &DiskFsArgs) -> anyhow::Result<i32> {
    match &args.action {
        DiskFsAction::Serve {
            store,
            socket,
            mountpoint,
        } => {
            let stop = Arc::new(AtomicBool::new(false));
            for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                signal_hook::flag::register(signal, stop.clone())?;
            }
            disk::serve(mountpoint, store, socket, &stop)?;
            Ok(0)
        }
        DiskFsAction::Control { socket, command } => {
            let command = ControlCommand::parse(command).expect("clap checked the word");
            let answer = disk::control(socket, command)?;
            println!("{answer}");
            Ok(0)
        }
        DiskFsAction::Corrupt {
            root,
            mode,
            seed,
            undo,
            files,
        } => {
            let mode = disk::CorruptMode::parse(mode).expect("clap checked the word");
            let done = disk::corrupt(root, files, mode, *seed, undo)?;
            println!("{}", serde_json::to_string(&done)?);
            Ok(0)
        }
        DiskFsAction::Uncorrupt { undo } => {
            let done = disk::uncorrupt(undo)?;
            println!("{}", serde_json::to_string(&done)?);
            Ok(0)
        }
    }
}

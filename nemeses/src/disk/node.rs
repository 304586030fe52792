//! The lose-unsynced filesystem on a node, over its `Remote`: mounted over
//! the database's data directory before the database starts, driven
//! during the run, removed at the end and by `faultline cluster heal`.
//! Everything lives in `<node dir>/faultline-disk/`: a launcher script for
//! faultline's binary, the helper's pidfile, log, control socket, store,
//! and the mount point it serves, so that removal needs nothing else.

use super::ControlCommand;
use faultline_core::shell::{quote, ShellQuoted};
use faultline_core::{Node, Remote};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(20);
/// A drop writes back every saved byte: generous.
const CONTROL_WITHIN: Duration = Duration::from_secs(90);
/// The source name the filesystem shows in `/proc/mounts`.
const FS_NAME: &str = "faultline-disk";

/// faultline's disk directory on the node.
pub fn disk_dir(node: &Node) -> PathBuf {
    node.dir.join("faultline-disk")
}

fn launcher(node: &Node) -> String {
    disk_dir(node).join("disk-fs").quoted()
}

fn socket(node: &Node) -> String {
    disk_dir(node).join("control.sock").quoted()
}

/// Installs the helper: on a node sharing this machine's kernel (a local
/// namespace) faultline's own binary runs in place, a real host gets a
/// copy. Then mounts an empty filesystem over `data_dir` (made if
/// missing) and waits, bounded, until it answers.
pub fn mount_on_node(remote: &dyn Remote, node: &Node, data_dir: &Path) -> Result<(), String> {
    let dir = disk_dir(node);
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find faultline's own binary to serve the disk: {e}"))?;
    remove_from_node(remote, node)
        .into_iter()
        .next()
        .map_or(Ok(()), Err)?;
    remote
        .run(
            &format!("mkdir -p {} {}", dir.quoted(), data_dir.quoted()),
            SHORT,
        )
        .map_err(|e| e.to_string())?;
    let binary = match crate::shares_controller_kernel(remote) {
        Ok(true) => exe,
        _ => {
            let copy = dir.join("faultline");
            remote.upload(&exe, &copy).map_err(|e| e.to_string())?;
            copy
        }
    };
    let script_line = format!("exec {} disk-fs \"$@\"", binary.quoted());
    let d = dir.quoted();
    let start = format!(
        "printf '%s\\n' '#!/bin/sh' {line} > {launcher} && chmod +x {launcher} {binary} && \
         printf '%s' {data} > {d}/mountpoint || exit 1; \
         setsid nohup {launcher} serve --store {d}/store --socket {socket} {data} \
           >> {d}/log 2>&1 < /dev/null & echo $! > {d}/pid; \
         i=0; until {launcher} control --socket {socket} pending > /dev/null 2>&1; do \
           i=$((i+1)); \
           if [ $i -ge 100 ] || ! kill -0 $(cat {d}/pid) 2>/dev/null; then tail -3 {d}/log >&2; exit 1; fi; \
           sleep 0.1; \
         done",
        line = quote(&script_line),
        launcher = launcher(node),
        binary = binary.quoted(),
        data = data_dir.quoted(),
        socket = socket(node),
    );
    remote.run(&start, SHORT).map(|_| ()).map_err(|e| {
        format!(
            "cannot mount the lose-unsynced filesystem over {}: {e}",
            data_dir.display()
        )
    })
}

/// Sends `command` to the node's filesystem; its answer.
pub fn control_on_node(
    remote: &dyn Remote,
    node: &Node,
    command: ControlCommand,
) -> Result<Value, String> {
    let out = remote
        .run(
            &format!(
                "{} control --socket {} {}",
                launcher(node),
                socket(node),
                command.word()
            ),
            CONTROL_WITHIN,
        )
        .map_err(|e| e.to_string())?;
    serde_json::from_str(out.trim()).map_err(|e| format!("unreadable answer {:?}: {e}", out.trim()))
}

fn undo_record(node: &Node) -> String {
    disk_dir(node).join("undo.json").quoted()
}

/// Corrupts one of the files under `data_dir` matching `patterns` (any
/// file when empty) with the database stopped; what was done, as
/// [`super::Corruption`]'s JSON.
pub fn corrupt_on_node(
    remote: &dyn Remote,
    node: &Node,
    data_dir: &Path,
    patterns: &[String],
    mode: super::CorruptMode,
    seed: u64,
) -> Result<Value, String> {
    let patterns: String = patterns
        .iter()
        .map(|p| format!(" --file {}", quote(p)))
        .collect();
    let out = remote
        .run(
            &format!(
                "{} corrupt --root {} --mode {} --seed {seed} --undo {}{patterns}",
                launcher(node),
                data_dir.quoted(),
                mode.word(),
                undo_record(node),
            ),
            SHORT,
        )
        .map_err(|e| e.to_string())?;
    serde_json::from_str(out.trim()).map_err(|e| format!("unreadable answer {:?}: {e}", out.trim()))
}

/// Puts back what the last corruption on the node changed; its JSON, or
/// null when nothing was corrupted.
pub fn uncorrupt_on_node(remote: &dyn Remote, node: &Node) -> Result<Value, String> {
    let out = remote
        .run(
            &format!("{} uncorrupt --undo {}", launcher(node), undo_record(node)),
            SHORT,
        )
        .map_err(|e| e.to_string())?;
    serde_json::from_str(out.trim()).map_err(|e| format!("unreadable answer {:?}: {e}", out.trim()))
}

/// Stops the helper (SIGTERM: it unmounts; SIGKILL after 10 s), detaches
/// a mount left behind, removes the disk directory; then checks. What is
/// still left, if anything.
pub fn remove_from_node(remote: &dyn Remote, node: &Node) -> Vec<String> {
    let d = disk_dir(node).quoted();
    // The PID is signalled only while its command line is our helper's.
    let script = format!(
        "p=$(cat {d}/pid 2>/dev/null); \
         if [ -n \"$p\" ] && tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q 'disk-fs serve'; then \
           kill -TERM $p; i=0; \
           while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
           kill -0 $p 2>/dev/null && kill -KILL $p; \
         fi; \
         m=$(cat {d}/mountpoint 2>/dev/null); \
         if [ -n \"$m\" ] && grep -q \"^{FS_NAME} $m \" /proc/self/mounts; then umount -l \"$m\"; fi; \
         rm -rf {d}; true"
    );
    let mut problems = Vec::new();
    if let Err(e) = remote.run(&script, SHORT) {
        problems.push(format!("could not remove the disk fault's filesystem: {e}"));
    }
    match leftovers_on_node(remote, node) {
        Ok(left) => problems.extend(left),
        Err(e) => problems.push(format!("could not verify the disk fault's mounts: {e}")),
    }
    problems
}

/// The disk fault's mounts still under the node's directory.
pub fn leftovers_on_node(remote: &dyn Remote, node: &Node) -> Result<Vec<String>, String> {
    let out = remote
        .run(
            &format!("grep '^{FS_NAME} ' /proc/self/mounts | cut -d' ' -f2; true"),
            SHORT,
        )
        .map_err(|e| e.to_string())?;
    let under = node.dir.display().to_string();
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|m| m.starts_with(&under))
        .map(|m| format!("the disk fault's filesystem is still mounted on {m}"))
        .collect())
}

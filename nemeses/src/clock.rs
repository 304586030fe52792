//! Clock faults: bump a node's clock by an offset, strobe it between two
//! offsets, reset it. Two strategies:
//!
//! - **faketime**: the database runs under libfaketime with a control file
//!   per node; the nemesis rewrites the file and the process's clock moves
//!   at once. Nothing else on the machine is touched, so it is safe on a
//!   local cluster. Go programs (etcd) make system calls without libc and
//!   ignore it.
//! - **real**: the node's system clock itself is set (`date -s`) by a small
//!   helper script faultline uploads. Only for disposable hosts: it is
//!   refused when the node shares the controller's kernel (a namespace on
//!   this machine) and unless the user says the nodes are disposable.
//!   Reset undoes the sum of the offsets faultline applied.

use faultline_core::shell::ShellQuoted;
use faultline_core::{Node, Remote, RemoteError};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);

/// How clocks are moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClockStrategy {
    /// libfaketime with a control file per node.
    Faketime,
    /// The node's real clock (disposable hosts only).
    Real,
}

impl fmt::Display for ClockStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockStrategy::Faketime => "faketime",
            ClockStrategy::Real => "real",
        })
    }
}

impl FromStr for ClockStrategy {
    type Err = String;

    fn from_str(text: &str) -> Result<ClockStrategy, String> {
        match text {
            "faketime" => Ok(ClockStrategy::Faketime),
            "real" => Ok(ClockStrategy::Real),
            other => Err(format!(
                "unknown clock strategy `{other}`; choose faketime or real"
            )),
        }
    }
}

/// The libfaketime control file of `node`.
pub fn faketime_file(node: &Node) -> PathBuf {
    node.dir.join("faketime").join("offset")
}

/// The pidfile of a running strobe on `node`.
fn strobe_pid_file(node: &Node) -> PathBuf {
    node.dir.join("faketime").join("strobe.pid")
}

/// The clock helper (real strategy) on `node`.
fn helper_path(node: &Node) -> PathBuf {
    node.dir.join("faultline-clock")
}

/// The helper (real strategy). `set MS` makes the clock MS milliseconds
/// off true time: it moves the clock by the difference from the offset it
/// set last, which it keeps beside itself, so `set 0` undoes every change
/// (nanosecond arithmetic, one `date -s` per change).
const HELPER: &str = r#"#!/bin/sh
# faultline's clock helper: moves this host's system clock. Installed by
# faultline on disposable test nodes only.
set -e
state="$(dirname "$0")/faultline-clock.offset"
case "$1" in
  set)
    current=$(cat "$state" 2>/dev/null || echo 0)
    now=$(date +%s%N)
    target=$((now + ($2 - current) * 1000000))
    date -s "@$((target / 1000000000)).$(printf %09d $((target % 1000000000)))" > /dev/null
    echo "$2" > "$state"
    ;;
  *) echo "usage: faultline-clock set MILLISECONDS" >&2; exit 2 ;;
esac
"#;

/// Makes `node` ready for clock faults with `strategy`; returns the
/// environment prefix a database's start command needs (faketime), or
/// an empty string (real). `disposable` is the user's explicit word that
/// the nodes' real clocks may be changed.
pub fn prepare(
    remote: &dyn Remote,
    node: &Node,
    strategy: ClockStrategy,
    disposable: bool,
) -> Result<String, RemoteError> {
    match strategy {
        ClockStrategy::Faketime => {
            let find = "ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1 2>/dev/null | head -1";
            let mut library = remote.run(find, TIMEOUT)?.trim().to_owned();
            if library.is_empty() {
                remote.run(
                    &faultline_core::packages::apt_install_command(&["libfaketime"]),
                    Duration::from_secs(900),
                )?;
                library = remote.run(find, TIMEOUT)?.trim().to_owned();
            }
            if library.is_empty() {
                return Err(failed(
                    node,
                    "install libfaketime",
                    "libfaketime.so.1 not found after installing libfaketime",
                ));
            }
            let file = faketime_file(node);
            remote.run(
                &format!(
                    "mkdir -p {} && echo +0 > {}",
                    file.parent().unwrap_or(&node.dir).quoted(),
                    file.quoted()
                ),
                TIMEOUT,
            )?;
            Ok(format!(
                "env LD_PRELOAD={library} FAKETIME_TIMESTAMP_FILE={} FAKETIME_NO_CACHE=1 ",
                file.quoted()
            ))
        }
        ClockStrategy::Real => {
            if !disposable {
                return Err(failed(node, "clock", "the real clock strategy sets the nodes' system clocks: pass --nodes-are-disposable if that is acceptable, or use --clock-strategy faketime"));
            }
            if crate::shares_controller_kernel(remote)? {
                return Err(failed(node, "clock", "this node runs on the controller's own kernel (a local namespace): setting its clock would set this machine's; use --clock-strategy faketime"));
            }
            let path = helper_path(node);
            remote.run(
                &format!(
                    "mkdir -p {dir} && cat > {p} <<'FAULTLINE_EOF'\n{HELPER}FAULTLINE_EOF\nchmod +x {p}",
                    dir = node.dir.quoted(),
                    p = path.quoted()
                ),
                TIMEOUT,
            )?;
            Ok(String::new())
        }
    }
}

fn failed(node: &Node, command: &str, message: &str) -> RemoteError {
    RemoteError::Failed {
        node: node.name.clone(),
        command: command.to_owned(),
        status: 1,
        stderr: message.to_owned(),
    }
}

/// `+1.500` / `-0.250`: an offset in libfaketime's notation (seconds).
fn faketime_offset(offset_ms: i64) -> String {
    let sign = if offset_ms < 0 { '-' } else { '+' };
    let ms = offset_ms.unsigned_abs();
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}

/// The command that makes the node's clock `offset_ms` off true time.
fn set_command(node: &Node, strategy: ClockStrategy, offset_ms: i64) -> String {
    match strategy {
        ClockStrategy::Faketime => format!(
            "echo {} > {}",
            faketime_offset(offset_ms),
            faketime_file(node).quoted()
        ),
        ClockStrategy::Real => format!("{} set {offset_ms}", helper_path(node).quoted()),
    }
}

/// Makes the node's clock `offset_ms` off true time (stopping a strobe).
pub fn set_offset(
    remote: &dyn Remote,
    node: &Node,
    strategy: ClockStrategy,
    offset_ms: i64,
) -> Result<(), RemoteError> {
    stop_strobe(remote, node)?;
    remote
        .run(&set_command(node, strategy, offset_ms), TIMEOUT)
        .map(|_| ())
}

/// Puts every clock faultline moved on the node back to true time, with
/// whichever strategy was used (both are harmless when unused).
pub fn reset(remote: &dyn Remote, node: &Node) -> Result<(), RemoteError> {
    stop_strobe(remote, node)?;
    let script = format!(
        "[ -f {file} ] && echo +0 > {file}; [ -x {helper} ] && {helper} set 0; true",
        file = faketime_file(node).quoted(),
        helper = helper_path(node).quoted(),
    );
    remote.run(&script, TIMEOUT).map(|_| ())
}

/// Starts flipping the node's clock between `delta_ms` off and true time
/// every `period` for `duration`, in the background on the node; it ends on
/// true time, also when stopped early by [`set_offset`] or [`stop_strobe`].
pub fn start_strobe(
    remote: &dyn Remote,
    node: &Node,
    strategy: ClockStrategy,
    delta_ms: i64,
    period: Duration,
    duration: Duration,
) -> Result<(), RemoteError> {
    stop_strobe(remote, node)?;
    let flips = (duration.as_millis() / period.as_millis().max(1)).clamp(2, 200_000) / 2;
    let to_delta = set_command(node, strategy, delta_ms);
    let back = set_command(node, strategy, 0);
    let period = format!("{:.3}", period.as_secs_f64());
    // The loop restores true time when killed (TERM) or done.
    let script = format!(
        "mkdir -p {dir}; setsid nohup sh -c 'trap \"{back}; exit 0\" TERM; i=0; while [ $i -lt {flips} ]; do {to_delta}; sleep {period}; {back}; sleep {period}; i=$((i+1)); done' \
         > /dev/null 2>&1 < /dev/null & echo $! > {pid}",
        dir = faketime_file(node).parent().unwrap_or(&node.dir).quoted(),
        pid = strobe_pid_file(node).quoted(),
    );
    remote.run(&script, TIMEOUT).map(|_| ())
}

/// Stops a strobe on the node, if one runs (it restores its base offset).
pub fn stop_strobe(remote: &dyn Remote, node: &Node) -> Result<(), RemoteError> {
    let pid = strobe_pid_file(node);
    let script = format!(
        "p=$(cat {pid} 2>/dev/null) || exit 0; kill -TERM $p 2>/dev/null; \
         i=0; while kill -0 $p 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; rm -f {pid}",
        pid = pid.quoted()
    );
    remote.run(&script, TIMEOUT).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_written_in_faketime_notation() {
        assert_eq!(faketime_offset(1500), "+1.500");
        assert_eq!(faketime_offset(-250), "-0.250");
        assert_eq!(faketime_offset(0), "+0.000");
        assert_eq!(faketime_offset(-262_144), "-262.144");
    }

    #[test]
    fn strategies_parse_and_typos_are_named() {
        assert_eq!("faketime".parse(), Ok(ClockStrategy::Faketime));
        assert_eq!("real".parse(), Ok(ClockStrategy::Real));
        let err = "fake".parse::<ClockStrategy>().unwrap_err();
        assert!(err.contains("unknown clock strategy `fake`"), "{err}");
    }
}

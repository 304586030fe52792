//! Processes found through a pidfile on the node: signal them, wait until
//! they are gone. Shared by every database whose abilities work by pid.

use faultline_core::shell::ShellQuoted;
use faultline_core::{DbError, Remote};
use std::path::Path;
use std::time::Duration;

/// Sends `signal` to the process in `pidfile` and waits (bounded by
/// `grace_s`) until it is gone; true if it is (or never ran).
pub fn signal_and_wait(
    remote: &dyn Remote,
    pidfile: &Path,
    signal: &str,
    grace_s: u32,
) -> Result<bool, DbError> {
    // A zombie counts as gone: PID 1 may reap it late.
    let script = format!(
        "p=$(cat {pid} 2>/dev/null) || exit 0; kill -{signal} $p 2>/dev/null || exit 0; \
         i=0; while [ $i -lt {ticks} ]; do \
           s=$(ps -o stat= -p $p 2>/dev/null) || exit 0; case $s in Z*) exit 0;; esac; \
           sleep 0.1; i=$((i+1)); done; exit 3",
        pid = pidfile.quoted(),
        ticks = grace_s * 10,
    );
    // Generous: a loaded machine slows SSH as well as the process's exit.
    let out = remote.exec(&script, Duration::from_secs(2 * u64::from(grace_s) + 30))?;
    Ok(out.status == 0)
}

/// Whether the process in `pidfile` is stopped (SIGSTOP: state `T`);
/// false when there is none.
pub fn stopped(remote: &dyn Remote, pidfile: &Path) -> Result<bool, DbError> {
    let command = format!(
        "p=$(cat {} 2>/dev/null) && ps -o stat= -p \"$p\" 2>/dev/null",
        pidfile.quoted()
    );
    let out = remote.exec(&command, Duration::from_secs(15))?;
    Ok(out.stdout.trim_start().starts_with('T'))
}

/// The PID in `pidfile` if that process is alive.
pub fn alive(remote: &dyn Remote, pidfile: &Path) -> Result<Option<u32>, DbError> {
    let command = format!(
        "p=$(cat {} 2>/dev/null) && kill -0 \"$p\" 2>/dev/null && echo \"$p\"",
        pidfile.quoted()
    );
    let out = remote.exec(&command, Duration::from_secs(15))?;
    Ok(out.stdout.trim().parse().ok())
}

/// Sends `signal` to the process in `pidfile` (an error if there is none).
pub fn signal(remote: &dyn Remote, pidfile: &Path, signal: &str) -> Result<(), DbError> {
    let command = format!("p=$(cat {}) && kill -{signal} $p", pidfile.quoted());
    remote.run(&command, Duration::from_secs(15))?;
    Ok(())
}

/// Stops what an earlier run left running under `pidfile` on `node`, if
/// anything, saying so: `system` names it in the message.
pub fn stop_leftover(
    remote: &dyn Remote,
    node: &faultline_core::Node,
    pidfile: &Path,
    system: &str,
) -> Result<(), DbError> {
    if let Some(pid) = alive(remote, pidfile)? {
        eprintln!(
            "{}: stopping {system} PID {pid} left by an earlier run (found by its pidfile)",
            node.name
        );
        stop(remote, pidfile)?;
    }
    Ok(())
}

/// Stops the process in `pidfile`: TERM, then KILL if it lingers.
pub fn stop(remote: &dyn Remote, pidfile: &Path) -> Result<(), DbError> {
    if !signal_and_wait(remote, pidfile, "TERM", 10)? {
        signal_and_wait(remote, pidfile, "KILL", 5)?;
    }
    Ok(())
}

/// `Kill` and `Pause` for a database type whose process id is in a
/// pidfile: kill is SIGKILL waited for, pause SIGSTOP, resume SIGCONT.
/// `$pidfile`: the file on a node (`fn(&Node) -> PathBuf`); `$restart`:
/// how the type starts its process again (`fn(&Self, &dyn Remote, &Node,
/// &[Node]) -> Result<(), DbError>`).
macro_rules! pidfile_abilities {
    ($db:ty, $pidfile:expr, $restart:expr) => {
        impl faultline_core::Kill for $db {
            fn kill(
                &self,
                remote: &dyn faultline_core::Remote,
                node: &faultline_core::Node,
            ) -> Result<(), faultline_core::DbError> {
                $crate::pidfile::signal_and_wait(remote, &$pidfile(node), "KILL", 10)?;
                Ok(())
            }

            fn restart(
                &self,
                remote: &dyn faultline_core::Remote,
                node: &faultline_core::Node,
                cluster: &[faultline_core::Node],
            ) -> Result<(), faultline_core::DbError> {
                $restart(self, remote, node, cluster)
            }

            fn exited(
                &self,
                remote: &dyn faultline_core::Remote,
                node: &faultline_core::Node,
            ) -> Result<bool, faultline_core::DbError> {
                Ok($crate::pidfile::alive(remote, &$pidfile(node))?.is_none())
            }
        }

        impl faultline_core::Pause for $db {
            fn pause(
                &self,
                remote: &dyn faultline_core::Remote,
                node: &faultline_core::Node,
            ) -> Result<(), faultline_core::DbError> {
                $crate::pidfile::signal(remote, &$pidfile(node), "STOP")
            }

            fn resume(
                &self,
                remote: &dyn faultline_core::Remote,
                node: &faultline_core::Node,
            ) -> Result<(), faultline_core::DbError> {
                $crate::pidfile::signal(remote, &$pidfile(node), "CONT")
            }

            fn is_paused(
                &self,
                remote: &dyn faultline_core::Remote,
                node: &faultline_core::Node,
            ) -> Result<bool, faultline_core::DbError> {
                $crate::pidfile::stopped(remote, &$pidfile(node))
            }
        }
    };
}
pub(crate) use pidfile_abilities;

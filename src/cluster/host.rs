//! Running commands on the controller itself (as root, for the local cluster).

use anyhow::{bail, Context, Result};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `program args...`; fails with its stderr unless it exits 0.
pub fn run(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !out.status.success() {
        bail!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command, ignoring failure (for cleanup of things that may be gone).
pub fn try_run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `program` is on the PATH or in /usr/sbin.
pub fn has(program: &str) -> bool {
    let in_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    in_path || std::path::Path::new("/usr/sbin").join(program).is_file()
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    run("id", &["-u"]).is_ok_and(|uid| uid.trim() == "0")
}

/// Waits until `ready` holds, checking every 100 ms, at most `limit`.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if ready() {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether process `pid` is gone (a zombie counts as gone: PID 1 may reap late).
pub fn pid_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Stops `pid`: SIGTERM, then SIGKILL if it is still there after `grace`.
pub fn stop_pid(pid: u32, grace: Duration) {
    let pid_text = pid.to_string();
    if pid_gone(pid) {
        return;
    }
    try_run("kill", &["-TERM", &pid_text]);
    if !wait_until(grace, || pid_gone(pid)) {
        try_run("kill", &["-KILL", &pid_text]);
        wait_until(Duration::from_secs(5), || pid_gone(pid));
    }
}

//! A node belongs to one run at a time. A command sent by a faultline that
//! was killed (or whose SSH command timed out) can still be running on the
//! node, or not yet started, when the next run heals it: a partition it
//! then puts in place outlives the heal and splits the new cluster (seen
//! in CI: a run started right after a SIGKILLed one, whose
//! `start-partition` was in flight, found one node cut off for 60 s).
//!
//! So a run first [`claim`]s each node, writing its ID as the node's owner,
//! and sends every fault through a [`FencedRemote`]: under one lock per node
//! (`flock`), a command runs only while the node's owner is still its run;
//! otherwise it exits with [`SUPERSEDED`] and does nothing. A claim takes
//! the same lock, so an earlier run's command either finished before the
//! claim (and the claimant's heal removes what it did) or is refused.

use crate::remote::{CommandOutput, Remote, RemoteError};
use crate::shell::{quote, ShellQuoted};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit status of a fenced command whose node now belongs to another run.
pub const SUPERSEDED: i32 = 75;

/// How long a fenced command waits for the node's lock; commands under
/// it are short (a fault applied or undone).
const LOCK_WAIT_SECS: u64 = 60;

fn lock_file(dir: &Path) -> PathBuf {
    dir.join("faultline.lock")
}

fn owner_file(dir: &Path) -> PathBuf {
    dir.join("faultline.owner")
}

/// `command`, run under the node's lock held by `flock` itself (`-o`: a
/// process the command leaves running, such as a restarted database, does
/// not inherit the lock), and only while `owner` owns the node whose
/// faultline directory is `dir`.
pub fn fenced_command(command: &str, dir: &Path, owner: &str) -> String {
    let inner = format!(
        "o=$(cat {file} 2>/dev/null); [ \"$o\" = {owner} ] || {{ echo \"faultline: this node now belongs to ${{o:-no run}} (a later claim), not to run {owner}; command not run\" >&2; exit {SUPERSEDED}; }}\n{command}",
        file = owner_file(dir).quoted(),
        owner = quote(owner),
    );
    format!(
        "flock -o -w {LOCK_WAIT_SECS} {lock} sh -c {inner}",
        lock = lock_file(dir).quoted(),
        inner = quote(&inner),
    )
}

/// Makes `owner` the owner of the node whose faultline directory is `dir`:
/// from now on only `owner`'s fenced commands run there.
pub fn claim(remote: &dyn Remote, dir: &Path, owner: &str) -> Result<(), RemoteError> {
    let command = format!(
        "mkdir -p {dir} && flock -w {LOCK_WAIT_SECS} {lock} sh -c {write}",
        dir = dir.quoted(),
        lock = lock_file(dir).quoted(),
        write = quote(&format!(
            "printf '%s\\n' {} > {}",
            quote(owner),
            owner_file(dir).quoted()
        )),
    );
    remote
        .run(&command, Duration::from_secs(LOCK_WAIT_SECS + 10))
        .map(|_| ())
}

/// A remote whose commands run only while the node belongs to `owner`
/// (see the module's documentation). Files move unfenced.
pub struct FencedRemote<R: ?Sized> {
    inner: std::sync::Arc<R>,
    dir: PathBuf,
    owner: String,
}

impl<R: Remote + ?Sized> FencedRemote<R> {
    /// Fences `inner`'s commands by the owner of `dir` on its node.
    pub fn new(inner: std::sync::Arc<R>, dir: &Path, owner: &str) -> FencedRemote<R> {
        FencedRemote {
            inner,
            dir: dir.to_owned(),
            owner: owner.to_owned(),
        }
    }
}

impl<R: Remote + ?Sized> Remote for FencedRemote<R> {
    fn node(&self) -> &str {
        self.inner.node()
    }

    fn exec(&self, command: &str, timeout: Duration) -> Result<CommandOutput, RemoteError> {
        self.inner
            .exec(&fenced_command(command, &self.dir, &self.owner), timeout)
    }

    fn upload(&self, local: &Path, remote: &Path) -> Result<(), RemoteError> {
        self.inner.upload(local, remote)
    }

    fn download(&self, remote: &Path, local: &Path) -> Result<(), RemoteError> {
        self.inner.download(remote, local)
    }
}

#[cfg(test)]
mod tests {
    //! Runs the fenced commands in a local `sh` through an in-process
    //! fake remote (no SSH), against real `flock` and files.
    use super::*;
    use std::process::Command;
    use std::sync::Arc;

    struct LocalShell;

    impl Remote for LocalShell {
        fn node(&self) -> &str {
            "local"
        }
        fn exec(&self, command: &str, _timeout: Duration) -> Result<CommandOutput, RemoteError> {
            let out = Command::new("sh").arg("-c").arg(command).output()?;
            Ok(CommandOutput {
                status: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
        fn upload(&self, _: &Path, _: &Path) -> Result<(), RemoteError> {
            unimplemented!("not used by these tests")
        }
        fn download(&self, _: &Path, _: &Path) -> Result<(), RemoteError> {
            unimplemented!("not used by these tests")
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("faultline-fence-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn only_the_owners_commands_run_after_a_claim() {
        let dir = scratch("owner");
        let shell: Arc<dyn Remote> = Arc::new(LocalShell);
        claim(shell.as_ref(), &dir, "run-a").unwrap();
        let a = FencedRemote::new(shell.clone(), &dir, "run-a");
        let b = FencedRemote::new(shell.clone(), &dir, "run b's 'id'");
        let marker = dir.join("marker");
        let touch = format!("echo done > {}", marker.quoted());

        assert_eq!(a.run(&touch, Duration::from_secs(5)).unwrap(), "");
        assert!(marker.exists(), "the owner's command ran");
        std::fs::remove_file(&marker).unwrap();

        let refused = b.exec(&touch, Duration::from_secs(5)).unwrap();
        assert_eq!(refused.status, SUPERSEDED);
        assert!(
            refused.stderr.contains("belongs to run-a (a later claim)"),
            "{refused:?}"
        );
        assert!(!marker.exists(), "a non-owner's command did not run");

        // The newer claim wins: the first run is now the one refused.
        claim(shell.as_ref(), &dir, "run b's 'id'").unwrap();
        assert_eq!(b.exec(&touch, Duration::from_secs(5)).unwrap().status, 0);
        assert_eq!(
            a.exec(&touch, Duration::from_secs(5)).unwrap().status,
            SUPERSEDED
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_claim_waits_for_a_running_command_and_a_later_one_is_refused() {
        let dir = scratch("race");
        let shell: Arc<dyn Remote> = Arc::new(LocalShell);
        claim(shell.as_ref(), &dir, "old").unwrap();
        let old = Arc::new(FencedRemote::new(shell.clone(), &dir, "old"));
        let log = dir.join("log");
        // A slow fault of the old run holds the lock while the claim comes.
        let slow = {
            let old = old.clone();
            let step = format!(
                "echo old-start >> {log}; sleep 0.5; echo old-end >> {log}",
                log = log.quoted()
            );
            std::thread::spawn(move || old.exec(&step, Duration::from_secs(10)).unwrap())
        };
        std::thread::sleep(Duration::from_millis(150));
        claim(shell.as_ref(), &dir, "new").unwrap();
        std::fs::write(dir.join("after-claim"), "").unwrap();
        assert_eq!(slow.join().unwrap().status, 0);
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text, "old-start\nold-end\n", "the claim waited for it");
        let late = old
            .exec(
                &format!("echo old-late >> {}", log.quoted()),
                Duration::from_secs(5),
            )
            .unwrap();
        assert_eq!(late.status, SUPERSEDED);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), text);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_process_left_running_does_not_hold_the_lock() {
        let dir = scratch("child");
        let shell: Arc<dyn Remote> = Arc::new(LocalShell);
        claim(shell.as_ref(), &dir, "run").unwrap();
        let fenced = FencedRemote::new(shell.clone(), &dir, "run");
        let pid = dir.join("pid");
        let start = format!(
            "setsid nohup sleep 30 > /dev/null 2>&1 < /dev/null & echo $! > {}",
            pid.quoted()
        );
        fenced.run(&start, Duration::from_secs(5)).unwrap();
        // The next fenced command gets the lock at once, not after 30 s.
        let took = std::time::Instant::now();
        fenced.run("true", Duration::from_secs(5)).unwrap();
        let pid = std::fs::read_to_string(&pid).unwrap();
        let _ = Command::new("kill").arg(pid.trim()).status();
        assert!(
            took.elapsed() < Duration::from_secs(10),
            "the background process held the lock"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! `Remote` over SSH (libssh2): one session kept open per node (a new
//! connection costs about a quarter of a second), reconnected once when the
//! transport breaks.

use super::quote;
use faultline_core::{CommandOutput, Node, Remote, RemoteError, SshSettings};
use ssh2::{CheckResult, KnownHostFileKind, Session};
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// How long to wait for a TCP connection and the SSH handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What went wrong in one SSH action.
enum Fault {
    Ssh(ssh2::Error),
    Io(std::io::Error),
}

impl From<ssh2::Error> for Fault {
    fn from(e: ssh2::Error) -> Fault {
        Fault::Ssh(e)
    }
}

impl From<std::io::Error> for Fault {
    fn from(e: std::io::Error) -> Fault {
        Fault::Io(e)
    }
}

impl Fault {
    fn is_timeout(&self) -> bool {
        match self {
            // LIBSSH2_ERROR_TIMEOUT
            Fault::Ssh(e) => e.code() == ssh2::ErrorCode::Session(-9),
            Fault::Io(e) => matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ),
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Ssh(e) => e.fmt(f),
            Fault::Io(e) => e.fmt(f),
        }
    }
}

/// A node reached over SSH.
pub struct SshRemote {
    node: Node,
    settings: SshSettings,
    session: Mutex<Option<Session>>,
}

impl SshRemote {
    /// Connects to `node` now, so that an unreachable node or a wrong key
    /// is reported before a test starts.
    pub fn connect(node: &Node, settings: &SshSettings) -> Result<SshRemote, RemoteError> {
        let remote = SshRemote {
            node: node.clone(),
            settings: settings.clone(),
            session: Mutex::new(None),
        };
        let session = remote.open()?;
        *remote.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(session);
        Ok(remote)
    }

    fn unreachable(&self, message: impl std::fmt::Display) -> RemoteError {
        RemoteError::Unreachable {
            node: self.node.name.clone(),
            message: message.to_string(),
        }
    }

    fn open(&self) -> Result<Session, RemoteError> {
        let address = (self.node.host.as_str(), self.settings.port)
            .to_socket_addrs()
            .map_err(|e| self.unreachable(format!("cannot resolve {}: {e}", self.node.host)))?
            .next()
            .ok_or_else(|| self.unreachable(format!("{} has no address", self.node.host)))?;
        let tcp = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT)
            .map_err(|e| self.unreachable(format!("{address}: {e}")))?;
        let mut session = Session::new().map_err(|e| self.unreachable(e))?;
        session.set_tcp_stream(tcp);
        session.set_timeout(CONNECT_TIMEOUT.as_millis() as u32);
        session
            .handshake()
            .map_err(|e| self.unreachable(format!("handshake with {address}: {e}")))?;
        self.check_host_key(&session)?;
        self.authenticate(&session)?;
        Ok(session)
    }

    fn check_host_key(&self, session: &Session) -> Result<(), RemoteError> {
        if !self.settings.strict_host_key_checking {
            return Ok(());
        }
        let file = match &self.settings.known_hosts {
            Some(file) => file.clone(),
            None => std::env::var_os("HOME")
                .map(|h| Path::new(&h).join(".ssh/known_hosts"))
                .unwrap_or_default(),
        };
        let mut known = session.known_hosts().map_err(|e| self.unreachable(e))?;
        let _ = known.read_file(&file, KnownHostFileKind::OpenSSH);
        let (key, _) = session
            .host_key()
            .ok_or_else(|| self.unreachable("the server sent no host key"))?;
        match known.check_port(&self.node.host, self.settings.port, key) {
            CheckResult::Match => Ok(()),
            CheckResult::Mismatch => Err(self.unreachable(format!(
                "host key of {} differs from the one in {}: the host changed, or someone is in between",
                self.node.host,
                file.display()
            ))),
            _ => Err(self.unreachable(format!(
                "host key of {} is not in {}; add it (ssh-keyscan {} >> {}) or pass --no-strict-host-key-checking",
                self.node.host,
                file.display(),
                self.node.host,
                file.display()
            ))),
        }
    }

    fn authenticate(&self, session: &Session) -> Result<(), RemoteError> {
        let user = &self.settings.username;
        let result = match &self.settings.private_key {
            Some(key) => session.userauth_pubkey_file(user, None, key, None),
            None => session.userauth_agent(user),
        };
        result.map_err(|e| {
            let how = self
                .settings
                .private_key
                .as_ref()
                .map_or("the SSH agent".to_owned(), |k| k.display().to_string());
            self.unreachable(format!(
                "login as {user} with {how} refused: {e}; check --username and --ssh-key"
            ))
        })
    }

    /// Runs `command` on an open session.
    fn exec_on(
        &self,
        session: &Session,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, Fault> {
        session.set_timeout(timeout.as_millis().min(u32::MAX as u128) as u32);
        let mut channel = session.channel_session()?;
        channel.exec(command)?;
        let mut stdout = String::new();
        let mut stderr = String::new();
        channel.read_to_string(&mut stdout)?;
        channel.stderr().read_to_string(&mut stderr)?;
        channel.wait_close()?;
        Ok(CommandOutput {
            status: channel.exit_status()?,
            stdout,
            stderr,
        })
    }

    /// Runs `action` on the session, reconnecting once if the transport broke.
    fn with_session<T>(
        &self,
        describe: &str,
        timeout: Duration,
        action: impl Fn(&Session) -> Result<T, Fault>,
    ) -> Result<T, RemoteError> {
        let mut guard = self.session.lock().unwrap_or_else(|e| e.into_inner());
        for attempt in 0..2 {
            if guard.is_none() {
                *guard = Some(self.open()?);
            }
            let session = guard
                .as_ref()
                .ok_or_else(|| self.unreachable("no session"))?;
            match action(session) {
                Ok(value) => return Ok(value),
                Err(e) if e.is_timeout() => {
                    // The session may be mid-command: start afresh next time.
                    *guard = None;
                    return Err(RemoteError::Timeout {
                        node: self.node.name.clone(),
                        command: describe.to_owned(),
                        seconds: timeout.as_secs(),
                    });
                }
                Err(e) if attempt == 0 => {
                    let _ = e;
                    *guard = None; // a broken transport: reconnect and try once more
                }
                Err(e) => return Err(self.unreachable(e)),
            }
        }
        Err(self.unreachable("gave up after reconnecting"))
    }

    fn is_root(&self) -> bool {
        self.settings.username == "root"
    }

    /// A fresh file name in /tmp for a transfer by a login that is not root.
    fn staging_path(&self) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::path::PathBuf::from(format!(
            "/tmp/faultline-transfer-{}-{n}",
            std::process::id()
        ))
    }

    /// Runs `command` (through sudo when not root); an error unless it exits 0.
    fn run_checked(&self, command: &str) -> Result<(), RemoteError> {
        let out = self.exec(command, Duration::from_secs(60))?;
        if out.status == 0 {
            Ok(())
        } else {
            Err(RemoteError::Failed {
                node: self.node.name.clone(),
                command: command.to_owned(),
                status: out.status,
                stderr: out.stderr.trim().to_owned(),
            })
        }
    }

    fn scp_send(&self, local: &Path, remote: &Path) -> Result<(), RemoteError> {
        let data = std::fs::read(local)?;
        let timeout = Duration::from_secs(60);
        self.with_session(&format!("upload {}", remote.display()), timeout, |s| {
            s.set_timeout(timeout.as_millis() as u32);
            let mut channel = s.scp_send(remote, 0o644, data.len() as u64, None)?;
            std::io::Write::write_all(&mut channel, &data)?;
            channel.send_eof()?;
            channel.wait_eof()?;
            channel.close()?;
            Ok(channel.wait_close()?)
        })
    }

    fn scp_recv(&self, remote: &Path, local: &Path) -> Result<(), RemoteError> {
        let timeout = Duration::from_secs(60);
        let data = self.with_session(&format!("download {}", remote.display()), timeout, |s| {
            s.set_timeout(timeout.as_millis() as u32);
            let (mut channel, _) = s.scp_recv(remote)?;
            let mut data = Vec::new();
            channel.read_to_end(&mut data)?;
            Ok(data)
        })?;
        std::fs::write(local, data)?;
        Ok(())
    }

    fn wrap(&self, command: &str) -> String {
        if self.is_root() {
            command.to_owned()
        } else {
            format!("sudo -n sh -c {}", quote(command))
        }
    }
}

impl Remote for SshRemote {
    fn node(&self) -> &str {
        &self.node.name
    }

    fn exec(&self, command: &str, timeout: Duration) -> Result<CommandOutput, RemoteError> {
        let wrapped = self.wrap(command);
        self.with_session(command, timeout, |s| self.exec_on(s, &wrapped, timeout))
    }

    fn upload(&self, local: &Path, remote: &Path) -> Result<(), RemoteError> {
        if self.is_root() {
            return self.scp_send(local, remote);
        }
        // A login that is not root cannot write the node's directories
        // (sudo made them): send to its own temporary file, move it with sudo.
        let staged = self.staging_path();
        self.scp_send(local, &staged)?;
        self.run_checked(&format!(
            "mv {} {}",
            quote(&staged.display().to_string()),
            quote(&remote.display().to_string())
        ))
    }

    fn download(&self, remote: &Path, local: &Path) -> Result<(), RemoteError> {
        if self.is_root() {
            return self.scp_recv(remote, local);
        }
        // Copied with sudo to a file the login may read, then fetched.
        let staged = self.staging_path();
        let staged_text = quote(&staged.display().to_string());
        self.run_checked(&format!(
            "cp {} {staged_text} && chmod 644 {staged_text}",
            quote(&remote.display().to_string())
        ))?;
        let fetched = self.scp_recv(&staged, local);
        let _ = self.exec(&format!("rm -f {staged_text}"), Duration::from_secs(15));
        fetched
    }
}

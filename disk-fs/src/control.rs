//! Mounting the lose-unsynced filesystem and driving it from outside: a
//! Unix socket takes one command per connection (`drop`, `sync`,
//! `pending`, `stop`) and answers one JSON line, so a shell on the node
//! can run the fault with `faultline disk-fs control`.

use crate::fs::LoseUnsyncedFs;
use crate::store::Store;
use fuser::{BackgroundSession, Config, MountOption, SessionACL};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why the filesystem could not be mounted or reached.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("cannot mount the lose-unsynced filesystem on {mountpoint}: {source} (is /dev/fuse there, and are you root?)")]
    /// Mounting failed.
    Mount {
        /// Where.
        mountpoint: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("cannot prepare the store directory {store}: {source}")]
    /// The store directory could not be emptied or made.
    Store {
        /// Which.
        store: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("cannot listen on {socket}: {source}")]
    /// The control socket could not be made.
    Listen {
        /// Which.
        socket: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("cannot reach the disk filesystem's control socket {socket}: {source} (is `faultline disk-fs serve` running?)")]
    /// The control socket did not answer.
    Control {
        /// Which.
        socket: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("the disk filesystem refused `{command}`: {message}")]
    /// The filesystem answered with an error.
    Refused {
        /// What was asked.
        command: String,
        /// Its answer.
        message: String,
    },
}

/// What the control socket is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlCommand {
    /// The crash: drop every unsynced change.
    Drop,
    /// Make everything durable (after the harness's own changes).
    Sync,
    /// What is unsynced now.
    Pending,
    /// Unmount and exit.
    Stop,
}

impl ControlCommand {
    /// Its word on the socket.
    pub fn word(self) -> &'static str {
        match self {
            ControlCommand::Drop => "drop",
            ControlCommand::Sync => "sync",
            ControlCommand::Pending => "pending",
            ControlCommand::Stop => "stop",
        }
    }

    /// From its word.
    pub fn parse(word: &str) -> Option<ControlCommand> {
        [
            ControlCommand::Drop,
            ControlCommand::Sync,
            ControlCommand::Pending,
            ControlCommand::Stop,
        ]
        .into_iter()
        .find(|c| c.word() == word)
    }
}

/// A mounted lose-unsynced filesystem; unmounted when dropped.
pub struct Mounted {
    session: Option<BackgroundSession>,
    store: Arc<Mutex<Store>>,
    mountpoint: PathBuf,
}

/// Mounts an empty lose-unsynced filesystem on `mountpoint` (which keeps
/// its owner and mode), its file contents kept in `objects`.
pub fn mount(mountpoint: &Path, objects: &Path) -> Result<Mounted, DiskError> {
    let meta = std::fs::metadata(mountpoint).map_err(|source| DiskError::Mount {
        mountpoint: mountpoint.to_owned(),
        source,
    })?;
    let store = Store::new(
        objects,
        (meta.mode() & 0o7777) as u16,
        meta.uid(),
        meta.gid(),
    )
    .map_err(|source| DiskError::Store {
        store: objects.to_owned(),
        source,
    })?;
    let store = Arc::new(Mutex::new(store));
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName("faultline-disk".into()),
        MountOption::Subtype("faultline".into()),
        // The kernel checks modes, as on a real disk.
        MountOption::DefaultPermissions,
    ];
    // The database may run as another user than the filesystem.
    config.acl = SessionACL::All;
    let fs = LoseUnsyncedFs {
        store: store.clone(),
    };
    let session =
        fuser::spawn_mount(fs, mountpoint, &config).map_err(|source| DiskError::Mount {
            mountpoint: mountpoint.to_owned(),
            source,
        })?;
    Ok(Mounted {
        session: Some(session),
        store,
        mountpoint: mountpoint.to_owned(),
    })
}

impl Mounted {
    /// The state behind the mount.
    pub fn store(&self) -> Arc<Mutex<Store>> {
        self.store.clone()
    }

    /// Whether the kernel still serves the mount (someone may have
    /// unmounted it from outside).
    pub fn is_serving(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| !s.guard.is_finished())
    }

    /// Answers one command.
    pub fn answer(&self, command: ControlCommand) -> Value {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let answer = match command {
            ControlCommand::Drop => store
                .drop_unsynced()
                .map(|lost| json!({"ok": true, "summary": lost.summary(), "lost": lost})),
            ControlCommand::Sync => store.sync_all().map(|()| json!({"ok": true})),
            ControlCommand::Pending | ControlCommand::Stop => {
                Ok(json!({"ok": true, "pending": store.pending()}))
            }
        };
        answer.unwrap_or_else(|e| json!({"ok": false, "error": e.to_string()}))
    }

    /// Unmounts; when something still holds files open, detaches the
    /// mount instead (it goes once they are closed).
    pub fn unmount(mut self) -> std::io::Result<()> {
        self.unmount_now()
    }

    fn unmount_now(&mut self) -> std::io::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        if session.guard.is_finished() {
            return session.join();
        }
        match session.umount_and_join() {
            Ok(()) => Ok(()),
            Err(e) => {
                let detached = std::process::Command::new("umount")
                    .arg("-l")
                    .arg(&self.mountpoint)
                    .status();
                match detached {
                    Ok(s) if s.success() => Ok(()),
                    _ => Err(e),
                }
            }
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = self.unmount_now();
    }
}

/// Mounts on `mountpoint` and answers `socket` until `stop` is set, a
/// `stop` command comes or the mount goes away; then unmounts and removes
/// the socket.
pub fn serve(
    mountpoint: &Path,
    objects: &Path,
    socket: &Path,
    stop: &AtomicBool,
) -> Result<(), DiskError> {
    let _ = std::fs::remove_file(socket);
    let listen_error = |source| DiskError::Listen {
        socket: socket.to_owned(),
        source,
    };
    let listener = UnixListener::bind(socket).map_err(listen_error)?;
    listener.set_nonblocking(true).map_err(listen_error)?;
    let mounted = mount(mountpoint, objects)?;
    eprintln!(
        "faultline disk-fs: lose-unsynced filesystem on {}, store {}, control {}",
        mountpoint.display(),
        objects.display(),
        socket.display()
    );
    while !stop.load(Ordering::Relaxed) && mounted.is_serving() {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(ControlCommand::Stop) = answer_one(&mounted, stream) {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => eprintln!("faultline disk-fs: control socket: {e}"),
        }
    }
    let _ = std::fs::remove_file(socket);
    let unmounted = mounted.unmount();
    let _ = std::fs::remove_dir_all(objects);
    unmounted.map_err(|source| DiskError::Mount {
        mountpoint: mountpoint.to_owned(),
        source,
    })
}

/// Reads one command from `stream` and writes the answer; the command.
fn answer_one(mounted: &Mounted, stream: UnixStream) -> Option<ControlCommand> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    let mut reader = BufReader::new(&stream);
    if reader.read_line(&mut line).is_err() {
        return None;
    }
    let command = ControlCommand::parse(line.trim());
    let answer = match command {
        Some(c) => mounted.answer(c),
        None => {
            json!({"ok": false, "error": format!("unknown command {:?} (drop, sync, pending or stop)", line.trim())})
        }
    };
    let mut writer = &stream;
    let _ = writeln!(writer, "{answer}");
    command
}

/// Sends `command` to the filesystem serving `socket`; its answer.
pub fn control(socket: &Path, command: ControlCommand) -> Result<Value, DiskError> {
    let control_error = |source| DiskError::Control {
        socket: socket.to_owned(),
        source,
    };
    let mut stream = UnixStream::connect(socket).map_err(control_error)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(control_error)?;
    writeln!(stream, "{}", command.word()).map_err(control_error)?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(control_error)?;
    let answer: Value = serde_json::from_str(line.trim()).map_err(|e| DiskError::Refused {
        command: command.word().to_owned(),
        message: format!("unreadable answer {:?}: {e}", line.trim()),
    })?;
    if answer["ok"] != json!(true) {
        return Err(DiskError::Refused {
            command: command.word().to_owned(),
            message: answer["error"]
                .as_str()
                .unwrap_or("no reason given")
                .to_owned(),
        });
    }
    Ok(answer)
}

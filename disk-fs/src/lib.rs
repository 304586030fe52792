//! The lose-unsynced filesystem: faultline's own FUSE filesystem, mounted
//! over a database's data directory by the disk fault. Every operation
//! passes through to object files in a store directory, and the [`Store`]
//! remembers what has not been made durable by `fsync`, so a crash can be
//! simulated by [`Store::drop_unsynced`] (Jepsen's lazyfs does the same,
//! <https://github.com/dsrhaslab/lazyfs>).
//!
//! On a node the filesystem runs as `faultline disk-fs serve`, driven over
//! a Unix socket by `faultline disk-fs control` ([`serve`], [`control`]);
//! the disk fault in `faultline-nemeses` drives it there.
//!
//! ```
//! use faultline_disk_fs::{Attr, Store, ROOT};
//!
//! let dir = std::env::temp_dir().join(format!("faultline-doc-{}", std::process::id()));
//! let mut store = Store::new(&dir, 0o755, 0, 0).unwrap();
//! let ino = store.create_file(ROOT, "log".as_ref(), Attr::new(0o644, 0, 0)).unwrap();
//! store.sync_dir(ROOT).unwrap();
//! let fh = store.open(ino, false).unwrap();
//! store.write(fh, 0, b"synced").unwrap();
//! store.sync_file(ino).unwrap();
//! store.write(fh, 6, b" and not").unwrap();
//! store.release(fh);
//! let lost = store.drop_unsynced().unwrap();
//! assert_eq!(store.read(ino, 0, 64).unwrap(), b"synced");
//! assert_eq!(lost.files, [("/log".to_owned(), 8)]);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod control;
mod coverage;
mod fs;
mod store;

pub use control::{control, mount, serve, ControlCommand, DiskError, Mounted};
pub use fs::LoseUnsyncedFs;
pub use store::{Attr, FileKind, FsError, Lost, Pending, Stat, Store, ROOT};

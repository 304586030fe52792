//! Disk faults. `lose-unsynced` mounts the lose-unsynced filesystem
//! (crate `faultline-disk-fs`, re-exported here) over the database's data
//! directory on each node and, at a fault, drops what was not fsynced, as
//! a power failure would ([`mount_on_node`], [`control_on_node`]).
//!
//! `corrupt` truncates or flips bits in one of the stopped database's files
//! ([`corrupt`]), through the same mount, with an undo record
//! ([`uncorrupt`]) for a database that refuses to start on it.

mod corrupt;
mod kind;
mod node;

pub use corrupt::{candidates, corrupt, matches, uncorrupt, CorruptError, CorruptMode, Corruption};
pub use faultline_disk_fs::{
    control, mount, serve, Attr, ControlCommand, DiskError, FileKind, FsError, LoseUnsyncedFs,
    Lost, Mounted, Pending, Stat, Store, ROOT,
};
pub use kind::DiskKind;
pub use node::{
    control_on_node, corrupt_on_node, disk_dir, leftovers_on_node, mount_on_node, remove_from_node,
    uncorrupt_on_node,
};

//! Emptying a database's data directory on a node: removed, unless it is
//! a mount point (the disk fault's filesystem), which cannot be removed
//! and is emptied instead.

use faultline_core::shell::ShellQuoted;
use std::path::Path;

/// The shell command that empties `data_dir`.
pub fn wipe_data_dir(data_dir: &Path) -> String {
    let data = data_dir.quoted();
    format!("if mountpoint -q {data}; then find {data} -mindepth 1 -delete; else rm -rf {data}; fi")
}

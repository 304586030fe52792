//! Where each node log stood before the run, so that the run keeps only
//! what was written during it: a log that faultline (or the system) does
//! not wipe between runs would otherwise carry every earlier run's lines.

use faultline_core::{Db, Node, Remote};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A log file's identity and length at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    inode: u64,
    len: u64,
}

/// Per log file of a node, where it stood (absent: no such file yet).
pub type NodeMarks = BTreeMap<PathBuf, Mark>;

/// Reads where each of `node`'s log files stands now.
pub fn mark(remote: &dyn Remote, node: &Node, db: &dyn Db) -> NodeMarks {
    let mut marks = NodeMarks::new();
    for file in db.log_files(node) {
        let command = format!(
            "stat -c '%i %s' {} 2>/dev/null",
            crate::control::quote(&file.display().to_string())
        );
        let Ok(out) = remote.exec(&command, Duration::from_secs(15)) else {
            continue;
        };
        let mut numbers = out.stdout.split_whitespace().map(str::parse::<u64>);
        if let (Some(Ok(inode)), Some(Ok(len))) = (numbers.next(), numbers.next()) {
            marks.insert(file, Mark { inode, len });
        }
    }
    marks
}

/// Cuts the downloaded `local` copy of `file` to what was written after
/// `before`: the same file (inode) loses its first `len` bytes; a file
/// created since (wiped and recreated) is kept whole, as is one that
/// shrank (truncated: its earlier lines are gone anyway).
pub fn keep_only_the_run(
    remote: &dyn Remote,
    file: &Path,
    local: &Path,
    before: Option<&Mark>,
) -> std::io::Result<()> {
    let Some(before) = before else {
        return Ok(());
    };
    let command = format!(
        "stat -c '%i' {} 2>/dev/null",
        crate::control::quote(&file.display().to_string())
    );
    let inode_now = remote
        .exec(&command, Duration::from_secs(15))
        .ok()
        .and_then(|out| out.stdout.trim().parse::<u64>().ok());
    if inode_now != Some(before.inode) {
        return Ok(());
    }
    let data = std::fs::read(local)?;
    let len = before.len as usize;
    if data.len() >= len {
        std::fs::write(local, &data[len..])?;
    }
    Ok(())
}

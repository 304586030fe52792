//! The state of the lose-unsynced filesystem, apart from FUSE: a tree of
//! inodes in memory whose file contents live in object files of a store
//! directory, and what a crash would take away.
//!
//! What is durable follows POSIX's `fsync` (and the rule Jepsen's lazyfs
//! applies, <https://github.com/dsrhaslab/lazyfs>): a file's data is
//! durable up to its last `fsync`/`fdatasync` (or every write, when it was
//! opened `O_SYNC`/`O_DSYNC`); a name created, removed or renamed is
//! durable once its directory is fsynced. Names are kept in a journal of
//! changes in the order they happened, and a directory's fsync makes
//! durable every change up to its own last one (a journalling filesystem
//! such as ext4 commits in order). So a drop only ever goes back to a
//! state the tree really passed through, and never loses more than POSIX
//! allows; a rename is one change, never half of one.
//!
//! [`Store::drop_unsynced`] is the crash: each file goes back to its
//! synced content, the journal is undone to its durable prefix.

use crate::coverage::Coverage;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The root directory's inode.
pub const ROOT: u64 = 1;

/// Why an operation was refused; the FUSE layer maps it to an errno.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("no such file or directory")]
    /// `ENOENT`.
    NotFound,
    #[error("file exists")]
    /// `EEXIST`.
    Exists,
    #[error("not a directory")]
    /// `ENOTDIR`.
    NotDir,
    #[error("is a directory")]
    /// `EISDIR`.
    IsDir,
    #[error("directory not empty")]
    /// `ENOTEMPTY`.
    NotEmpty,
    #[error("invalid argument")]
    /// `EINVAL`.
    Invalid,
    #[error("operation not supported")]
    /// `EOPNOTSUPP`.
    Unsupported,
    #[error(transparent)]
    /// The store's own files failed.
    Io(#[from] std::io::Error),
}

type Result<T> = std::result::Result<T, FsError>;

/// What kind of inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
}

/// Metadata kept in memory (not subject to loss: databases recover from
/// data and names, not from times and modes).
#[derive(Clone, Debug)]
pub struct Attr {
    /// Permission bits.
    pub perm: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Last access.
    pub atime: SystemTime,
    /// Last change of content.
    pub mtime: SystemTime,
    /// Last change of metadata.
    pub ctime: SystemTime,
}

impl Attr {
    /// Fresh metadata stamped now.
    pub fn new(perm: u16, uid: u32, gid: u32) -> Attr {
        let now = SystemTime::now();
        Attr {
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }
}

/// What `stat` says.
#[derive(Clone, Debug)]
pub struct Stat {
    /// Inode number.
    pub ino: u64,
    /// What kind.
    pub kind: FileKind,
    /// Length in bytes.
    pub size: u64,
    /// Names bound to it.
    pub nlink: u32,
    /// Metadata.
    pub attr: Attr,
}

struct FileData {
    object: File,
    len: u64,
    /// The length at the last sync.
    durable_len: u64,
    /// The durable content of every byte changed since the last sync
    /// (saved at its first change only).
    saved: Vec<(u64, Vec<u8>)>,
    coverage: Coverage,
}

enum Kind {
    File(FileData),
    Dir(BTreeMap<OsString, u64>),
    Symlink(PathBuf),
}

struct Inode {
    kind: Kind,
    attr: Attr,
    /// Names bound to it now (files and symlinks).
    nlink: u32,
    /// Open handles (an unlinked file lives until the last is released).
    open: u32,
}

/// One name's change: `dir`'s `name` was bound to `before` (none: absent).
struct Rebinding {
    /// The change it is part of (a rename changes two names at once).
    change: u64,
    dir: u64,
    name: OsString,
    before: Option<u64>,
}

struct Handle {
    ino: u64,
    /// Opened with `O_SYNC` or `O_DSYNC`: every write is durable at once.
    sync: bool,
}

/// What a drop took away.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Lost {
    /// Files whose content went back to their last sync: path and bytes
    /// of unsynced changes dropped.
    pub files: Vec<(String, u64)>,
    /// Names whose change was undone: path and what happens to it now.
    pub names: Vec<(String, String)>,
}

impl Lost {
    /// One line for a history or a log.
    pub fn summary(&self) -> String {
        let bytes: u64 = self.files.iter().map(|(_, b)| b).sum();
        if self.files.is_empty() && self.names.is_empty() {
            return "nothing was unsynced".to_owned();
        }
        let mut parts = Vec::new();
        if !self.files.is_empty() {
            let shown: Vec<String> = self
                .files
                .iter()
                .take(4)
                .map(|(p, b)| format!("{p} ({b} B)"))
                .collect();
            let more = self.files.len().saturating_sub(4);
            parts.push(format!(
                "{bytes} unsynced bytes dropped in {} file(s): {}{}",
                self.files.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if !self.names.is_empty() {
            let shown: Vec<String> = self
                .names
                .iter()
                .take(4)
                .map(|(p, w)| format!("{p} {w}"))
                .collect();
            let more = self.names.len().saturating_sub(4);
            parts.push(format!(
                "{} unsynced name change(s) undone: {}{}",
                self.names.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        parts.join("; ")
    }
}

/// What is unsynced now.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Pending {
    /// Files with unsynced data.
    pub files: usize,
    /// Bytes of unsynced changes.
    pub bytes: u64,
    /// Name changes not yet durable.
    pub names: usize,
}

/// The filesystem's state.
pub struct Store {
    objects: PathBuf,
    inodes: HashMap<u64, Inode>,
    next_ino: u64,
    journal: Vec<Rebinding>,
    next_change: u64,
    handles: HashMap<u64, Handle>,
    next_handle: u64,
}

impl Store {
    /// An empty filesystem whose file contents live in `objects` (created;
    /// whatever it held is removed), its root owned by `uid`:`gid`.
    pub fn new(objects: &Path, perm: u16, uid: u32, gid: u32) -> std::io::Result<Store> {
        if objects.exists() {
            std::fs::remove_dir_all(objects)?;
        }
        std::fs::create_dir_all(objects)?;
        let root = Inode {
            kind: Kind::Dir(BTreeMap::new()),
            attr: Attr::new(perm, uid, gid),
            nlink: 1,
            open: 0,
        };
        Ok(Store {
            objects: objects.to_owned(),
            inodes: HashMap::from([(ROOT, root)]),
            next_ino: ROOT + 1,
            journal: Vec::new(),
            next_change: 0,
            handles: HashMap::new(),
            next_handle: 1,
        })
    }

    fn inode(&self, ino: u64) -> Result<&Inode> {
        self.inodes.get(&ino).ok_or(FsError::NotFound)
    }

    fn inode_mut(&mut self, ino: u64) -> Result<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(FsError::NotFound)
    }

    fn entries(&self, dir: u64) -> Result<&BTreeMap<OsString, u64>> {
        match &self.inode(dir)?.kind {
            Kind::Dir(entries) => Ok(entries),
            _ => Err(FsError::NotDir),
        }
    }

    fn file_mut(&mut self, ino: u64) -> Result<&mut FileData> {
        match &mut self.inode_mut(ino)?.kind {
            Kind::File(data) => Ok(data),
            Kind::Dir(_) => Err(FsError::IsDir),
            Kind::Symlink(_) => Err(FsError::Invalid),
        }
    }

    /// The inode `name` in `dir` is bound to.
    pub fn lookup(&self, dir: u64, name: &OsStr) -> Result<u64> {
        self.entries(dir)?
            .get(name)
            .copied()
            .ok_or(FsError::NotFound)
    }

    /// Its `stat`.
    pub fn stat(&self, ino: u64) -> Result<Stat> {
        let inode = self.inode(ino)?;
        let (kind, size, nlink) = match &inode.kind {
            Kind::File(data) => (FileKind::File, data.len, inode.nlink),
            Kind::Dir(entries) => {
                let subdirs = entries
                    .values()
                    .filter(|i| {
                        self.inodes
                            .get(i)
                            .is_some_and(|n| matches!(n.kind, Kind::Dir(_)))
                    })
                    .count();
                (FileKind::Dir, 4096, 2 + subdirs as u32)
            }
            Kind::Symlink(target) => (
                FileKind::Symlink,
                target.as_os_str().len() as u64,
                inode.nlink,
            ),
        };
        Ok(Stat {
            ino,
            kind,
            size,
            nlink,
            attr: inode.attr.clone(),
        })
    }

    /// Binds `dir`'s `name` to `to` (none: unbinds), recording the change
    /// in the journal as part of `change`.
    fn rebind(&mut self, change: u64, dir: u64, name: &OsStr, to: Option<u64>) -> Result<()> {
        let before = self.set_binding(dir, name, to)?;
        self.journal.push(Rebinding {
            change,
            dir,
            name: name.to_owned(),
            before,
        });
        Ok(())
    }

    /// Binds without journalling; the binding replaced.
    fn set_binding(&mut self, dir: u64, name: &OsStr, to: Option<u64>) -> Result<Option<u64>> {
        let now = SystemTime::now();
        let inode = self.inode_mut(dir)?;
        let Kind::Dir(entries) = &mut inode.kind else {
            return Err(FsError::NotDir);
        };
        let before = match to {
            Some(ino) => entries.insert(name.to_owned(), ino),
            None => entries.remove(name),
        };
        inode.attr.mtime = now;
        inode.attr.ctime = now;
        if let Some(old) = before.and_then(|b| self.inodes.get_mut(&b)) {
            old.nlink = old.nlink.saturating_sub(1);
        }
        if let Some(new) = to.and_then(|t| self.inodes.get_mut(&t)) {
            new.nlink += 1;
        }
        Ok(before)
    }

    fn change(&mut self) -> u64 {
        self.next_change += 1;
        self.next_change
    }

    fn add_inode(&mut self, dir: u64, name: &OsStr, kind: Kind, attr: Attr) -> Result<u64> {
        if self.entries(dir)?.contains_key(name) {
            return Err(FsError::Exists);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(
            ino,
            Inode {
                kind,
                attr,
                nlink: 0,
                open: 0,
            },
        );
        let change = self.change();
        self.rebind(change, dir, name, Some(ino))?;
        Ok(ino)
    }

    fn object_path(&self, ino: u64) -> PathBuf {
        self.objects.join(ino.to_string())
    }

    /// Creates an empty regular file.
    pub fn create_file(&mut self, dir: u64, name: &OsStr, attr: Attr) -> Result<u64> {
        if self.entries(dir)?.contains_key(name) {
            return Err(FsError::Exists);
        }
        let path = self.object_path(self.next_ino);
        let object = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let data = FileData {
            object,
            len: 0,
            durable_len: 0,
            saved: Vec::new(),
            coverage: Coverage::default(),
        };
        self.add_inode(dir, name, Kind::File(data), attr)
    }

    /// Creates an empty directory.
    pub fn mkdir(&mut self, dir: u64, name: &OsStr, attr: Attr) -> Result<u64> {
        self.add_inode(dir, name, Kind::Dir(BTreeMap::new()), attr)
    }

    /// Creates a symbolic link to `target`.
    pub fn symlink(&mut self, dir: u64, name: &OsStr, target: &Path, attr: Attr) -> Result<u64> {
        self.add_inode(dir, name, Kind::Symlink(target.to_owned()), attr)
    }

    /// Where a symbolic link points.
    pub fn readlink(&self, ino: u64) -> Result<PathBuf> {
        match &self.inode(ino)?.kind {
            Kind::Symlink(target) => Ok(target.clone()),
            _ => Err(FsError::Invalid),
        }
    }

    /// A second name for a file.
    pub fn link(&mut self, ino: u64, dir: u64, name: &OsStr) -> Result<()> {
        if matches!(self.inode(ino)?.kind, Kind::Dir(_)) {
            return Err(FsError::IsDir);
        }
        if self.entries(dir)?.contains_key(name) {
            return Err(FsError::Exists);
        }
        let change = self.change();
        self.rebind(change, dir, name, Some(ino))
    }

    /// Removes a name of a file or link.
    pub fn unlink(&mut self, dir: u64, name: &OsStr) -> Result<()> {
        let ino = self.lookup(dir, name)?;
        if matches!(self.inode(ino)?.kind, Kind::Dir(_)) {
            return Err(FsError::IsDir);
        }
        let change = self.change();
        self.rebind(change, dir, name, None)
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, dir: u64, name: &OsStr) -> Result<()> {
        let ino = self.lookup(dir, name)?;
        if !self.entries(ino)?.is_empty() {
            return Err(FsError::NotEmpty);
        }
        let change = self.change();
        self.rebind(change, dir, name, None)
    }

    /// Renames `dir`/`name` to `to_dir`/`to_name`, replacing what is there
    /// unless `no_replace`.
    pub fn rename(
        &mut self,
        dir: u64,
        name: &OsStr,
        to_dir: u64,
        to_name: &OsStr,
        no_replace: bool,
    ) -> Result<()> {
        let moving = self.lookup(dir, name)?;
        let moving_is_dir = matches!(self.inode(moving)?.kind, Kind::Dir(_));
        if let Ok(there) = self.lookup(to_dir, to_name) {
            if no_replace {
                return Err(FsError::Exists);
            }
            if there == moving {
                return Ok(());
            }
            match (&self.inode(there)?.kind, moving_is_dir) {
                (Kind::Dir(entries), true) if !entries.is_empty() => return Err(FsError::NotEmpty),
                (Kind::Dir(_), false) => return Err(FsError::IsDir),
                (Kind::File(_) | Kind::Symlink(_), true) => return Err(FsError::NotDir),
                _ => {}
            }
        } else {
            self.entries(to_dir)?;
        }
        let change = self.change();
        self.rebind(change, dir, name, None)?;
        self.rebind(change, to_dir, to_name, Some(moving))?;
        if let Ok(inode) = self.inode_mut(moving) {
            inode.attr.ctime = SystemTime::now();
        }
        Ok(())
    }

    /// A directory's entries.
    pub fn readdir(&self, dir: u64) -> Result<Vec<(u64, FileKind, OsString)>> {
        Ok(self
            .entries(dir)?
            .iter()
            .filter_map(|(name, &ino)| {
                let kind = self.stat(ino).ok()?.kind;
                Some((ino, kind, name.clone()))
            })
            .collect())
    }

    /// Opens a file (or directory); the handle.
    pub fn open(&mut self, ino: u64, sync: bool) -> Result<u64> {
        self.inode_mut(ino)?.open += 1;
        let handle = self.next_handle;
        self.next_handle += 1;
        self.handles.insert(handle, Handle { ino, sync });
        Ok(handle)
    }

    /// Closes a handle; an unlinked file goes once nothing holds it.
    pub fn release(&mut self, handle: u64) {
        let Some(Handle { ino, .. }) = self.handles.remove(&handle) else {
            return;
        };
        let unlinked = self.inodes.get_mut(&ino).is_some_and(|inode| {
            inode.open = inode.open.saturating_sub(1);
            inode.open == 0 && inode.nlink == 0
        });
        if unlinked {
            self.collect_garbage();
        }
    }

    /// Reads up to `size` bytes at `offset`.
    pub fn read(&mut self, ino: u64, offset: u64, size: u32) -> Result<Vec<u8>> {
        let data = self.file_mut(ino)?;
        let end = data.len.min(offset.saturating_add(size as u64));
        if offset >= end {
            return Ok(Vec::new());
        }
        let mut buf = vec![0; (end - offset) as usize];
        read_fully(&data.object, &mut buf, offset)?;
        Ok(buf)
    }

    /// Saves the durable content of `[start, end)` where it is about to
    /// change for the first time since the last sync.
    fn save(data: &mut FileData, start: u64, end: u64) -> std::io::Result<()> {
        let end = end.min(data.durable_len);
        for (from, to) in data.coverage.claim(start, end) {
            let readable = to.min(data.len);
            if from >= readable {
                continue;
            }
            let mut old = vec![0; (readable - from) as usize];
            read_fully(&data.object, &mut old, from)?;
            data.saved.push((from, old));
        }
        Ok(())
    }

    /// Writes `bytes` at `offset` through `handle`.
    pub fn write(&mut self, handle: u64, offset: u64, bytes: &[u8]) -> Result<usize> {
        let (ino, sync) = match self.handles.get(&handle) {
            Some(h) => (h.ino, h.sync),
            None => return Err(FsError::Invalid),
        };
        let data = self.file_mut(ino)?;
        let end = offset + bytes.len() as u64;
        Self::save(data, offset, end)?;
        data.object.write_all_at(bytes, offset)?;
        data.len = data.len.max(end);
        self.touch(ino);
        if sync {
            self.sync_file(ino)?;
        }
        Ok(bytes.len())
    }

    fn touch(&mut self, ino: u64) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            let now = SystemTime::now();
            inode.attr.mtime = now;
            inode.attr.ctime = now;
        }
    }

    /// Truncates or extends a file.
    pub fn set_len(&mut self, ino: u64, len: u64) -> Result<()> {
        let data = self.file_mut(ino)?;
        if len < data.len {
            Self::save(data, len, data.len)?;
        }
        data.object.set_len(len)?;
        data.len = len;
        self.touch(ino);
        Ok(())
    }

    /// `fallocate`: plain allocation (mode 0) may extend the file; with
    /// `FALLOC_FL_KEEP_SIZE` (1) nothing visible changes. Punching holes
    /// and zeroing ranges are refused (the caller falls back to writes).
    pub fn fallocate(&mut self, ino: u64, offset: u64, length: u64, mode: i32) -> Result<()> {
        const KEEP_SIZE: i32 = 1;
        match mode {
            0 => {
                let end = offset.saturating_add(length);
                if end > self.file_mut(ino)?.len {
                    self.set_len(ino, end)?;
                }
                Ok(())
            }
            KEEP_SIZE => {
                self.file_mut(ino)?;
                Ok(())
            }
            _ => Err(FsError::Unsupported),
        }
    }

    /// Changes metadata.
    pub fn set_attr(&mut self, ino: u64, change: impl FnOnce(&mut Attr)) -> Result<()> {
        let inode = self.inode_mut(ino)?;
        change(&mut inode.attr);
        inode.attr.ctime = SystemTime::now();
        Ok(())
    }

    /// `fsync`/`fdatasync` of a file: its data is durable now.
    pub fn sync_file(&mut self, ino: u64) -> Result<()> {
        if let Kind::File(data) = &mut self.inode_mut(ino)?.kind {
            if data.durable_len != data.len || !data.saved.is_empty() {
                // The real cost of a sync, so that a database runs at the
                // pace it would on the disk beneath.
                data.object.sync_data()?;
            }
            data.durable_len = data.len;
            data.saved.clear();
            data.coverage.clear();
        }
        Ok(())
    }

    /// `fsync` of a directory: every name change up to its own last one
    /// is durable now.
    pub fn sync_dir(&mut self, dir: u64) -> Result<()> {
        self.entries(dir)?;
        let Some(mut last) = self.journal.iter().rposition(|r| r.dir == dir) else {
            return Ok(());
        };
        let change = self.journal[last].change;
        while self
            .journal
            .get(last + 1)
            .is_some_and(|r| r.change == change)
        {
            last += 1;
        }
        self.journal.drain(..=last);
        self.collect_garbage();
        Ok(())
    }

    /// Everything is durable now (the harness's own changes, such as a
    /// wipe before a member rejoins, are not the database's to lose).
    pub fn sync_all(&mut self) -> Result<()> {
        let files: Vec<u64> = self.inodes.keys().copied().collect();
        for ino in files {
            self.sync_file(ino)?;
        }
        self.journal.clear();
        self.collect_garbage();
        Ok(())
    }

    /// What is unsynced now.
    pub fn pending(&self) -> Pending {
        let mut pending = Pending {
            names: self.journal.len(),
            ..Pending::default()
        };
        for inode in self.inodes.values() {
            if let Kind::File(data) = &inode.kind {
                let bytes = unsynced_bytes(data);
                if bytes > 0 || data.durable_len != data.len {
                    pending.files += 1;
                    pending.bytes += bytes;
                }
            }
        }
        pending
    }

    /// The crash: every file back to its last sync, every name change not
    /// durable undone. Meant for when nothing has the files open (the
    /// database was killed); handles still open keep working on what is
    /// left.
    pub fn drop_unsynced(&mut self) -> Result<Lost> {
        let before = self.paths();
        let mut lost = Lost::default();
        let mut inos: Vec<u64> = self.inodes.keys().copied().collect();
        inos.sort_unstable();
        for ino in inos {
            let Some(Inode {
                kind: Kind::File(data),
                ..
            }) = self.inodes.get_mut(&ino)
            else {
                continue;
            };
            if data.saved.is_empty() && data.len == data.durable_len {
                continue;
            }
            let bytes = unsynced_bytes(data);
            for (offset, old) in data.saved.drain(..) {
                data.object.write_all_at(&old, offset)?;
            }
            data.object.set_len(data.durable_len)?;
            data.len = data.durable_len;
            data.coverage.clear();
            let path = before
                .get(&ino)
                .cloned()
                .unwrap_or_else(|| format!("(unlinked inode {ino})"));
            lost.files.push((path, bytes));
        }
        let journal = std::mem::take(&mut self.journal);
        let mut undone = Vec::new();
        for r in journal.into_iter().rev() {
            let now = self.set_binding(r.dir, &r.name, r.before)?;
            undone.push((r.dir, r.name, now, r.before));
        }
        let after = self.paths();
        for (dir, name, was, is) in undone.into_iter().rev() {
            let parent = after
                .get(&dir)
                .or_else(|| before.get(&dir))
                .cloned()
                .unwrap_or_else(|| "?".to_owned());
            let what = match (was, is) {
                (Some(_), None) => "gone (its creation was never synced)",
                (None, Some(_)) => "back (its removal was never synced)",
                _ => "bound to its old file again (the change was never synced)",
            };
            lost.names.push((
                format!("{}/{}", parent, name.to_string_lossy()),
                what.to_owned(),
            ));
        }
        // A name changed twice shows its last state once.
        let mut seen = HashSet::new();
        lost.names.reverse();
        lost.names.retain(|(p, _)| seen.insert(p.clone()));
        lost.names.reverse();
        self.collect_garbage();
        Ok(lost)
    }

    /// Every inode reachable from the root, by path ("" is the root).
    fn paths(&self) -> HashMap<u64, String> {
        let mut paths = HashMap::from([(ROOT, String::new())]);
        let mut stack = vec![ROOT];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = self.entries(dir) else {
                continue;
            };
            let prefix = paths[&dir].clone();
            for (name, &ino) in entries {
                if paths.contains_key(&ino) {
                    continue;
                }
                paths.insert(ino, format!("{prefix}/{}", name.to_string_lossy()));
                stack.push(ino);
            }
        }
        paths
    }

    /// Removes the inodes nothing can reach any more: not the tree, not
    /// an undo of the journal, not an open handle.
    fn collect_garbage(&mut self) {
        let mut live: HashSet<u64> = HashSet::new();
        let mut stack: Vec<u64> = vec![ROOT];
        stack.extend(
            self.journal
                .iter()
                .flat_map(|r| [Some(r.dir), r.before])
                .flatten(),
        );
        stack.extend(self.handles.values().map(|h| h.ino));
        while let Some(ino) = stack.pop() {
            if !live.insert(ino) {
                continue;
            }
            if let Some(Inode {
                kind: Kind::Dir(entries),
                ..
            }) = self.inodes.get(&ino)
            {
                stack.extend(entries.values().copied());
            }
        }
        let dead: Vec<u64> = self
            .inodes
            .keys()
            .filter(|i| !live.contains(i))
            .copied()
            .collect();
        for ino in dead {
            if let Some(Inode {
                kind: Kind::File(_),
                ..
            }) = self.inodes.remove(&ino)
            {
                let _ = std::fs::remove_file(self.object_path(ino));
            }
        }
    }

    /// How many inodes are kept (for tests: garbage is collected).
    pub fn inode_count(&self) -> usize {
        self.inodes.len()
    }
}

/// Bytes a drop would take from `data`: the changed durable bytes and
/// what lies past the durable length.
fn unsynced_bytes(data: &FileData) -> u64 {
    let changed: u64 = data.saved.iter().map(|(_, b)| b.len() as u64).sum();
    changed + data.len.saturating_sub(data.durable_len)
}

fn read_fully(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = file.read_at(&mut buf[done..], offset + done as u64)?;
        if n == 0 {
            // The object is shorter than the length kept: zeros (a hole).
            buf[done..].fill(0);
            break;
        }
        done += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The store on its own, in memory over a temporary object directory
    //! (no FUSE: the real mount is tested in `tests/disk_fs.rs`).
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Scratch {
        dir: PathBuf,
        store: Store,
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn scratch() -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "faultline-store-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let store = Store::new(&dir, 0o755, 0, 0).unwrap();
        Scratch { dir, store }
    }

    fn attr() -> Attr {
        Attr::new(0o644, 0, 0)
    }

    fn name(s: &str) -> &OsStr {
        OsStr::new(s)
    }

    /// A file created and its directory synced: durable and empty.
    fn durable_file(store: &mut Store, dir: u64, called: &str) -> u64 {
        let ino = store.create_file(dir, name(called), attr()).unwrap();
        store.sync_dir(dir).unwrap();
        ino
    }

    fn write(store: &mut Store, ino: u64, offset: u64, bytes: &[u8]) {
        let fh = store.open(ino, false).unwrap();
        store.write(fh, offset, bytes).unwrap();
        store.release(fh);
    }

    fn content(store: &mut Store, ino: u64) -> Vec<u8> {
        store.read(ino, 0, 1 << 20).unwrap()
    }

    #[test]
    fn a_drop_keeps_what_the_last_fsync_made_durable() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = durable_file(st, ROOT, "wal");
        write(st, ino, 0, b"first record;");
        st.sync_file(ino).unwrap();
        write(st, ino, 13, b"second record;");
        write(st, ino, 0, b"FIRST");
        assert_eq!(content(st, ino), b"FIRST record;second record;");
        let pending = st.pending();
        assert_eq!((pending.files, pending.bytes, pending.names), (1, 19, 0));
        let lost = st.drop_unsynced().unwrap();
        assert_eq!(content(st, ino), b"first record;");
        assert_eq!(lost.files, [("/wal".to_owned(), 19)]);
        assert!(lost.names.is_empty());
        assert_eq!(st.pending(), Pending::default());
    }

    #[test]
    fn rewriting_the_same_bytes_saves_them_once() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = durable_file(st, ROOT, "page");
        write(st, ino, 0, &[7; 4096]);
        st.sync_file(ino).unwrap();
        for round in 0..50u8 {
            write(st, ino, 0, &[round; 4096]);
        }
        assert_eq!(st.pending().bytes, 4096);
        st.drop_unsynced().unwrap();
        assert_eq!(content(st, ino), vec![7; 4096]);
    }

    #[test]
    fn a_truncation_is_undone_unless_synced() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = durable_file(st, ROOT, "segment");
        write(st, ino, 0, b"0123456789");
        st.sync_file(ino).unwrap();
        st.set_len(ino, 4).unwrap();
        write(st, ino, 4, b"xy");
        assert_eq!(content(st, ino), b"0123xy");
        st.drop_unsynced().unwrap();
        assert_eq!(content(st, ino), b"0123456789");
        st.set_len(ino, 4).unwrap();
        st.sync_file(ino).unwrap();
        st.drop_unsynced().unwrap();
        assert_eq!(content(st, ino), b"0123");
    }

    #[test]
    fn a_created_file_needs_its_directory_synced() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = st.create_file(ROOT, name("new"), attr()).unwrap();
        write(st, ino, 0, b"data");
        // The file's own fsync makes its data durable, not its name.
        st.sync_file(ino).unwrap();
        let lost = st.drop_unsynced().unwrap();
        assert!(matches!(
            st.lookup(ROOT, name("new")),
            Err(FsError::NotFound)
        ));
        assert_eq!(
            lost.names,
            [(
                "/new".to_owned(),
                "gone (its creation was never synced)".to_owned()
            )]
        );
        assert_eq!(st.inode_count(), 1, "the lost file's inode is collected");

        let ino = st.create_file(ROOT, name("new"), attr()).unwrap();
        write(st, ino, 0, b"data");
        st.sync_file(ino).unwrap();
        st.sync_dir(ROOT).unwrap();
        st.drop_unsynced().unwrap();
        assert_eq!(st.lookup(ROOT, name("new")).unwrap(), ino);
        assert_eq!(content(st, ino), b"data");
    }

    #[test]
    fn a_file_in_a_new_directory_needs_both_directories_synced() {
        let mut s = scratch();
        let st = &mut s.store;
        let member = st.mkdir(ROOT, name("member"), attr()).unwrap();
        let wal = durable_file(st, member, "wal");
        write(st, wal, 0, b"entry");
        st.sync_file(wal).unwrap();
        // `member`'s own sync made changes up to its last durable, and
        // journal order puts the mkdir before them: both survive.
        st.drop_unsynced().unwrap();
        assert_eq!(st.lookup(ROOT, name("member")).unwrap(), member);
        assert_eq!(content(st, wal), b"entry");

        let snap = st.mkdir(ROOT, name("snap"), attr()).unwrap();
        let db = st.create_file(snap, name("db"), attr()).unwrap();
        write(st, db, 0, b"x");
        st.sync_file(db).unwrap();
        st.drop_unsynced().unwrap();
        assert!(st.lookup(ROOT, name("snap")).is_err());
    }

    #[test]
    fn unlink_and_rename_are_undone_unless_their_directory_is_synced() {
        let mut s = scratch();
        let st = &mut s.store;
        let old = durable_file(st, ROOT, "db");
        write(st, old, 0, b"old");
        st.sync_file(old).unwrap();
        let gone = durable_file(st, ROOT, "lock");
        // The write-then-rename idiom, without the directory fsync.
        let tmp = st.create_file(ROOT, name("db.tmp"), attr()).unwrap();
        write(st, tmp, 0, b"new");
        st.sync_file(tmp).unwrap();
        st.rename(ROOT, name("db.tmp"), ROOT, name("db"), false)
            .unwrap();
        st.unlink(ROOT, name("lock")).unwrap();
        assert_eq!(st.lookup(ROOT, name("db")).unwrap(), tmp);
        let lost = st.drop_unsynced().unwrap();
        assert_eq!(st.lookup(ROOT, name("db")).unwrap(), old);
        assert_eq!(content(st, old), b"old");
        assert!(st.lookup(ROOT, name("db.tmp")).is_err());
        assert_eq!(st.lookup(ROOT, name("lock")).unwrap(), gone);
        assert_eq!(lost.names.len(), 3, "{:?}", lost.names);

        // With the directory synced the rename holds.
        let tmp = st.create_file(ROOT, name("db.tmp"), attr()).unwrap();
        write(st, tmp, 0, b"new");
        st.sync_file(tmp).unwrap();
        st.rename(ROOT, name("db.tmp"), ROOT, name("db"), false)
            .unwrap();
        st.unlink(ROOT, name("lock")).unwrap();
        st.sync_dir(ROOT).unwrap();
        st.drop_unsynced().unwrap();
        assert_eq!(st.lookup(ROOT, name("db")).unwrap(), tmp);
        assert_eq!(content(st, tmp), b"new");
        assert!(st.lookup(ROOT, name("lock")).is_err());
        assert_eq!(st.inode_count(), 2, "the old db and lock are collected");
    }

    #[test]
    fn a_rename_across_directories_is_one_change() {
        let mut s = scratch();
        let st = &mut s.store;
        let a = st.mkdir(ROOT, name("a"), attr()).unwrap();
        let b = st.mkdir(ROOT, name("b"), attr()).unwrap();
        st.sync_dir(ROOT).unwrap();
        let f = durable_file(st, a, "f");
        st.rename(a, name("f"), b, name("f"), false).unwrap();
        // Syncing the source alone commits the whole rename: the file
        // never ends up in both directories or in neither.
        st.sync_dir(a).unwrap();
        st.drop_unsynced().unwrap();
        assert!(st.lookup(a, name("f")).is_err());
        assert_eq!(st.lookup(b, name("f")).unwrap(), f);
    }

    #[test]
    fn a_later_change_elsewhere_stays_undoable() {
        let mut s = scratch();
        let st = &mut s.store;
        let a = st.mkdir(ROOT, name("a"), attr()).unwrap();
        st.sync_dir(ROOT).unwrap();
        st.create_file(ROOT, name("early"), attr()).unwrap();
        st.create_file(a, name("mine"), attr()).unwrap();
        st.create_file(ROOT, name("late"), attr()).unwrap();
        st.sync_dir(a).unwrap();
        st.drop_unsynced().unwrap();
        // Changes up to a's last are durable (in order), the later one not.
        assert!(st.lookup(ROOT, name("early")).is_ok());
        assert!(st.lookup(a, name("mine")).is_ok());
        assert!(st.lookup(ROOT, name("late")).is_err());
    }

    #[test]
    fn an_o_dsync_handle_makes_every_write_durable() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = durable_file(st, ROOT, "aof");
        let fh = st.open(ino, true).unwrap();
        st.write(fh, 0, b"synced at once").unwrap();
        st.release(fh);
        assert_eq!(st.pending(), Pending::default());
        st.drop_unsynced().unwrap();
        assert_eq!(content(st, ino), b"synced at once");
    }

    #[test]
    fn an_open_unlinked_file_lives_until_released() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = durable_file(st, ROOT, "tmp");
        let fh = st.open(ino, false).unwrap();
        st.unlink(ROOT, name("tmp")).unwrap();
        st.sync_dir(ROOT).unwrap();
        st.write(fh, 0, b"still here").unwrap();
        assert_eq!(content(st, ino), b"still here");
        st.release(fh);
        assert_eq!(st.inode_count(), 1);
        assert_eq!(std::fs::read_dir(&s.dir).unwrap().count(), 0);
    }

    #[test]
    fn rename_refuses_what_posix_refuses() {
        let mut s = scratch();
        let st = &mut s.store;
        let d = st.mkdir(ROOT, name("d"), attr()).unwrap();
        st.create_file(d, name("inside"), attr()).unwrap();
        st.create_file(ROOT, name("f"), attr()).unwrap();
        st.mkdir(ROOT, name("e"), attr()).unwrap();
        assert!(matches!(
            st.rename(ROOT, name("e"), ROOT, name("d"), false),
            Err(FsError::NotEmpty)
        ));
        assert!(matches!(
            st.rename(ROOT, name("f"), ROOT, name("e"), false),
            Err(FsError::IsDir)
        ));
        assert!(matches!(
            st.rename(ROOT, name("e"), ROOT, name("f"), false),
            Err(FsError::NotDir)
        ));
        assert!(matches!(
            st.rename(ROOT, name("f"), d, name("inside"), true),
            Err(FsError::Exists)
        ));
        assert!(matches!(st.rmdir(ROOT, name("d")), Err(FsError::NotEmpty)));
    }

    #[test]
    fn sync_all_makes_the_harness_changes_durable() {
        let mut s = scratch();
        let st = &mut s.store;
        let ino = st.create_file(ROOT, name("f"), attr()).unwrap();
        write(st, ino, 0, b"wiped and rewritten by the harness");
        st.sync_all().unwrap();
        assert_eq!(st.pending(), Pending::default());
        let lost = st.drop_unsynced().unwrap();
        assert_eq!(lost, Lost::default());
        assert_eq!(lost.summary(), "nothing was unsynced");
        assert_eq!(content(st, ino).len(), 34);
    }
}

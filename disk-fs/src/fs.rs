//! The lose-unsynced filesystem as the kernel sees it: FUSE requests
//! answered from a shared [`Store`]. Every answer has a zero time-to-live
//! and files open without `FOPEN_KEEP_CACHE`, so after a drop the kernel
//! asks again instead of serving what its caches still hold.

use crate::store::{Attr, FileKind, FsError, Stat, Store};
use fuser::{
    Errno, FileAttr, FileHandle, Filesystem, FopenFlags, Generation, INodeNo, OpenFlags,
    RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

const TTL: Duration = Duration::ZERO;
/// `O_DSYNC` (also set by `O_SYNC`) on Linux.
const O_DSYNC: i32 = 0o10000;

/// The filesystem, sharing its store with the control socket.
pub struct LoseUnsyncedFs {
    /// Shared with the control socket.
    pub store: Arc<Mutex<Store>>,
}

fn errno(e: FsError) -> Errno {
    match e {
        FsError::NotFound => Errno::ENOENT,
        FsError::Exists => Errno::EEXIST,
        FsError::NotDir => Errno::ENOTDIR,
        FsError::IsDir => Errno::EISDIR,
        FsError::NotEmpty => Errno::ENOTEMPTY,
        FsError::Invalid => Errno::EINVAL,
        FsError::Unsupported => Errno::EOPNOTSUPP,
        FsError::Io(e) => Errno::from(e),
    }
}

fn file_attr(stat: &Stat) -> FileAttr {
    FileAttr {
        ino: INodeNo(stat.ino),
        size: stat.size,
        blocks: stat.size.div_ceil(512),
        atime: stat.attr.atime,
        mtime: stat.attr.mtime,
        ctime: stat.attr.ctime,
        crtime: stat.attr.ctime,
        kind: match stat.kind {
            FileKind::File => fuser::FileType::RegularFile,
            FileKind::Dir => fuser::FileType::Directory,
            FileKind::Symlink => fuser::FileType::Symlink,
        },
        perm: stat.attr.perm,
        nlink: stat.nlink,
        uid: stat.attr.uid,
        gid: stat.attr.gid,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

fn time(t: TimeOrNow) -> SystemTime {
    match t {
        TimeOrNow::SpecificTime(t) => t,
        TimeOrNow::Now => SystemTime::now(),
    }
}

impl LoseUnsyncedFs {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves the state as it was at the
        // panic; serving it is better than taking the database's disk away.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn entry(&self, made: Result<u64, FsError>, reply: ReplyEntry) {
        let store = self.store();
        match made.and_then(|ino| store.stat(ino)) {
            Ok(stat) => reply.entry(&TTL, &file_attr(&stat), Generation(0)),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn attr_of(req: &Request, mode: u32, umask: u32) -> Attr {
        Attr::new((mode & !umask & 0o7777) as u16, req.uid(), req.gid())
    }
}

fn empty(result: Result<(), FsError>, reply: ReplyEmpty) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(errno(e)),
    }
}

impl Filesystem for LoseUnsyncedFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let found = self.store().lookup(parent.0, name);
        self.entry(found, reply);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.store().stat(ino.0) {
            Ok(stat) => reply.attr(&TTL, &file_attr(&stat)),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut store = self.store();
        let changed = size
            .map_or(Ok(()), |len| store.set_len(ino.0, len))
            .and_then(|()| {
                store.set_attr(ino.0, |attr| {
                    if let Some(mode) = mode {
                        attr.perm = (mode & 0o7777) as u16;
                    }
                    if let Some(uid) = uid {
                        attr.uid = uid;
                    }
                    if let Some(gid) = gid {
                        attr.gid = gid;
                    }
                    if let Some(t) = atime {
                        attr.atime = time(t);
                    }
                    if let Some(t) = mtime {
                        attr.mtime = time(t);
                    }
                })
            })
            .and_then(|()| store.stat(ino.0));
        match changed {
            Ok(stat) => reply.attr(&TTL, &file_attr(&stat)),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.store().readlink(ino.0) {
            Ok(target) => reply.data(target.as_os_str().as_encoded_bytes()),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let made = self
            .store()
            .mkdir(parent.0, name, Self::attr_of(req, mode, umask));
        self.entry(made, reply);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(self.store().unlink(parent.0, name), reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(self.store().rmdir(parent.0, name), reply);
    }

    fn symlink(
        &self,
        req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        let made = self.store().symlink(
            parent.0,
            link_name,
            target,
            Attr::new(0o777, req.uid(), req.gid()),
        );
        self.entry(made, reply);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if flags.intersects(RenameFlags::RENAME_EXCHANGE | RenameFlags::RENAME_WHITEOUT) {
            return reply.error(Errno::EINVAL);
        }
        let no_replace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        empty(
            self.store()
                .rename(parent.0, name, newparent.0, newname, no_replace),
            reply,
        );
    }

    fn link(
        &self,
        _req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        let linked = self
            .store()
            .link(ino.0, newparent.0, newname)
            .map(|()| ino.0);
        self.entry(linked, reply);
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        match self.store().open(ino.0, flags.0 & O_DSYNC != 0) {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let mut store = self.store();
        let made = store
            .create_file(parent.0, name, Self::attr_of(req, mode, umask))
            .and_then(|ino| Ok((store.open(ino, flags & O_DSYNC != 0)?, store.stat(ino)?)));
        match made {
            Ok((fh, stat)) => reply.created(
                &TTL,
                &file_attr(&stat),
                Generation(0),
                FileHandle(fh),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        match self.store().read(ino.0, offset, size) {
            Ok(bytes) => reply.data(&bytes),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        match self.store().write(fh.0, offset, data) {
            Ok(n) => reply.written(n as u32),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        // close() makes nothing durable.
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.store().release(fh.0);
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        empty(self.store().sync_file(ino.0), reply);
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.store().open(ino.0, false) {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let entries = match self.store().readdir(ino.0) {
            Ok(entries) => entries,
            Err(e) => return reply.error(errno(e)),
        };
        let dots = [
            (ino.0, FileKind::Dir, ".".into()),
            (ino.0, FileKind::Dir, "..".into()),
        ];
        for (i, (child, kind, name)) in dots
            .into_iter()
            .chain(entries)
            .enumerate()
            .skip(offset as usize)
        {
            let kind = match kind {
                FileKind::File => fuser::FileType::RegularFile,
                FileKind::Dir => fuser::FileType::Directory,
                FileKind::Symlink => fuser::FileType::Symlink,
            };
            if reply.add(INodeNo(child), (i + 1) as u64, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.store().release(fh.0);
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        empty(self.store().sync_dir(ino.0), reply);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // Space is the store's disk's; say there is plenty rather than
        // guess (databases that refuse to start on a full disk would
        // otherwise refuse here).
        reply.statfs(1 << 28, 1 << 27, 1 << 27, 1 << 24, 1 << 23, 4096, 255, 4096);
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        // Permissions are checked by the kernel (`default_permissions`).
        empty(self.store().stat(ino.0).map(|_| ()), reply);
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        empty(self.store().fallocate(ino.0, offset, length, mode), reply);
    }
}

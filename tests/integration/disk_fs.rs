//! The lose-unsynced filesystem really mounted (FUSE, as root): what a
//! crash keeps is what `fsync` made durable, for files, names and a real
//! database (SQLite, through Python's standard library).

use crate::local_cluster::root_or_skip;
use faultline_disk_fs::{self as disk, ControlCommand, Mounted};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mount in a fresh temporary directory, removed at the end.
struct Scratch {
    dir: PathBuf,
    mounted: Option<Mounted>,
}

impl Scratch {
    fn mnt(&self) -> PathBuf {
        self.dir.join("mnt")
    }

    fn drop_unsynced(&self) -> serde_json::Value {
        let answer = self
            .mounted
            .as_ref()
            .expect("mounted")
            .answer(ControlCommand::Drop);
        assert_eq!(answer["ok"], true, "{answer}");
        answer
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(m) = self.mounted.take() {
            m.unmount().expect("unmounts");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Root and `/dev/fuse`, or a printed reason (never in CI).
fn fuse_or_skip(test: &str) -> bool {
    if !root_or_skip(test) {
        return false;
    }
    if !Path::new("/dev/fuse").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test} needs /dev/fuse, which CI's machines have"
        );
        eprintln!("skipping {test}: no /dev/fuse on this machine");
        return false;
    }
    true
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("faultline-disk-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mnt")).unwrap();
    let mounted = disk::mount(&dir.join("mnt"), &dir.join("store")).expect("mounts");
    Scratch {
        dir,
        mounted: Some(mounted),
    }
}

fn sync_dir(dir: &Path) {
    File::open(dir).unwrap().sync_all().unwrap();
}

#[test]
fn a_drop_keeps_the_synced_content_of_a_file() {
    if !fuse_or_skip("a_drop_keeps_the_synced_content_of_a_file") {
        return;
    }
    let s = scratch("content");
    let path = s.mnt().join("wal");
    let mut f = File::create(&path).unwrap();
    sync_dir(&s.mnt());
    f.write_all(b"record 1\n").unwrap();
    f.sync_data().unwrap();
    f.write_all(b"record 2\n").unwrap();
    f.write_all_at(b"RECORD", 0).unwrap();
    drop(f);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "RECORD 1\nrecord 2\n"
    );
    let answer = s.drop_unsynced();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "record 1\n");
    assert_eq!(answer["lost"]["files"][0][0], "/wal", "{answer}");
    assert_eq!(answer["lost"]["files"][0][1], 15, "{answer}");
    // And a file opened O_DSYNC keeps every write.
    let mut f = OpenOptions::new()
        .append(true)
        .custom_flags_dsync()
        .open(&path)
        .unwrap();
    f.write_all(b"record 3\n").unwrap();
    drop(f);
    s.drop_unsynced();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "record 1\nrecord 3\n"
    );
}

trait Dsync {
    fn custom_flags_dsync(&mut self) -> &mut Self;
}

impl Dsync for OpenOptions {
    fn custom_flags_dsync(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        // O_DSYNC on Linux.
        self.custom_flags(0o10000)
    }
}

#[test]
fn names_are_durable_only_once_their_directory_is_synced() {
    if !fuse_or_skip("names_are_durable_only_once_their_directory_is_synced") {
        return;
    }
    let s = scratch("names");
    let mnt = s.mnt();
    std::fs::write(mnt.join("db"), "old").unwrap();
    std::fs::write(mnt.join("lock"), "").unwrap();
    File::open(mnt.join("db")).unwrap().sync_all().unwrap();
    sync_dir(&mnt);
    // Never synced at all: gone. Synced file, unsynced directory: gone.
    std::fs::write(mnt.join("scratch"), "never synced").unwrap();
    std::fs::create_dir(mnt.join("member")).unwrap();
    let mut f = File::create(mnt.join("member/snap")).unwrap();
    f.write_all(b"synced data, unsynced name").unwrap();
    f.sync_all().unwrap();
    drop(f);
    // The atomic-replace idiom without the directory fsync, and an unlink.
    let mut f = File::create(mnt.join("db.tmp")).unwrap();
    f.write_all(b"new").unwrap();
    f.sync_all().unwrap();
    drop(f);
    std::fs::rename(mnt.join("db.tmp"), mnt.join("db")).unwrap();
    std::fs::remove_file(mnt.join("lock")).unwrap();
    assert_eq!(std::fs::read_to_string(mnt.join("db")).unwrap(), "new");

    s.drop_unsynced();
    let mut left: Vec<String> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["db", "lock"]);
    assert_eq!(std::fs::read_to_string(mnt.join("db")).unwrap(), "old");

    // The same with the directory synced: every change holds.
    let mut f = File::create(mnt.join("db.tmp")).unwrap();
    f.write_all(b"new").unwrap();
    f.sync_all().unwrap();
    drop(f);
    std::fs::rename(mnt.join("db.tmp"), mnt.join("db")).unwrap();
    std::fs::remove_file(mnt.join("lock")).unwrap();
    sync_dir(&mnt);
    s.drop_unsynced();
    let left: Vec<_> = std::fs::read_dir(&mnt).unwrap().collect();
    assert_eq!(left.len(), 1);
    assert_eq!(std::fs::read_to_string(mnt.join("db")).unwrap(), "new");
}

#[test]
fn concurrent_writers_each_keep_exactly_what_they_synced() {
    if !fuse_or_skip("concurrent_writers_each_keep_exactly_what_they_synced") {
        return;
    }
    let s = scratch("concurrent");
    let mnt = s.mnt();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let path = mnt.join(format!("log{w}"));
            std::thread::spawn(move || {
                let mut f = File::create(&path).unwrap();
                let mut synced = Vec::new();
                let mut written = Vec::new();
                // Bounded: 300 records each, a sync every 7th.
                for r in 0..300u32 {
                    let record = format!("writer {w} record {r}\n");
                    f.write_all(record.as_bytes()).unwrap();
                    written.extend_from_slice(record.as_bytes());
                    if r % 7 == 6 {
                        f.sync_data().unwrap();
                        synced = written.clone();
                    }
                }
                (path, synced, written)
            })
        })
        .collect();
    let results: Vec<_> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    sync_dir(&mnt);
    for (path, _, written) in &results {
        assert_eq!(&std::fs::read(path).unwrap(), written);
    }
    s.drop_unsynced();
    for (path, synced, written) in &results {
        let left = std::fs::read(path).unwrap();
        assert!(synced.len() < written.len());
        assert_eq!(
            left.len(),
            synced.len(),
            "{} after the drop",
            path.display()
        );
        assert_eq!(&left, synced);
    }
}

/// Runs a Python program; its stdout.
fn python(program: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(program)
        .args(args)
        .output()
        .expect("python3 runs (CI installs it)");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

const SQLITE_INSERT: &str = r#"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=" + sys.argv[2])
db.execute("PRAGMA synchronous=" + sys.argv[3])
db.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
for k in range(int(sys.argv[4]), int(sys.argv[5])):
    db.execute("BEGIN")
    db.execute("INSERT INTO t VALUES (?, ?)", (k, "value %d" % k))
    db.execute("COMMIT")
print(db.execute("SELECT count(*) FROM t").fetchone()[0])
"#;

const SQLITE_COUNT: &str = r#"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
try:
    print(db.execute("PRAGMA integrity_check").fetchone()[0], db.execute("SELECT count(*) FROM t").fetchone()[0])
except sqlite3.Error as e:
    print("error:", e)
"#;

/// SQLite's own account of what each setting makes durable
/// (<https://www.sqlite.org/pragma.html#pragma_synchronous>): FULL syncs
/// every commit, except that in DELETE mode the commit is the journal's
/// unlink, whose directory only EXTRA syncs: after a power loss the last
/// transaction rolls back. OFF syncs nothing. The filesystem must show
/// exactly that.
#[test]
fn sqlite_keeps_the_commits_its_settings_promise() {
    if !fuse_or_skip("sqlite_keeps_the_commits_its_settings_promise") {
        return;
    }
    let s = scratch("sqlite");
    for (journal, synchronous, expected) in [
        ("WAL", "FULL", Some("ok 50")),
        ("DELETE", "EXTRA", Some("ok 50")),
        ("DELETE", "FULL", Some("ok 49")),
        ("WAL", "OFF", None),
    ] {
        let db = s.mnt().join(format!("{journal}-{synchronous}.db"));
        let db = db.to_str().unwrap();
        assert_eq!(
            python(SQLITE_INSERT, &[db, journal, synchronous, "0", "50"]),
            "50"
        );
        let answer = s.drop_unsynced();
        let left = if Path::new(db).exists() {
            python(SQLITE_COUNT, &[db])
        } else {
            "gone".to_owned()
        };
        let context = format!("journal_mode={journal} synchronous={synchronous}: {answer}");
        match expected {
            Some(expected) => assert_eq!(left, expected, "{context}"),
            None => assert_ne!(left, "ok 50", "{context}"),
        }
    }
}

#[test]
fn the_helper_serves_until_stopped_and_leaves_no_mount() {
    if !fuse_or_skip("the_helper_serves_until_stopped_and_leaves_no_mount") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("faultline-disk-helper-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let socket = dir.join("control.sock");
    let faultline = env!("CARGO_BIN_EXE_faultline");
    let mut helper = Command::new(faultline)
        .args(["disk-fs", "serve", "--store"])
        .arg(dir.join("store"))
        .arg("--socket")
        .arg(&socket)
        .arg(&mnt)
        .spawn()
        .unwrap();
    let control = |word: &str| {
        let out = Command::new(faultline)
            .args(["disk-fs", "control", "--socket"])
            .arg(&socket)
            .arg(word)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Bounded wait for the mount: 100 × 50 ms.
    let mounted = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        control("pending").0 == Some(0)
    });
    assert!(mounted, "the helper never answered");
    std::fs::write(mnt.join("unsynced"), "x").unwrap();
    let (code, out, _) = control("drop");
    assert_eq!(code, Some(0));
    assert!(out.contains("/unsynced"), "{out}");
    assert!(!mnt.join("unsynced").exists());
    // SIGTERM (what the nemesis and `cluster heal` send) unmounts.
    Command::new("kill")
        .arg(helper.id().to_string())
        .status()
        .unwrap();
    let status = helper.wait().unwrap();
    assert!(status.success(), "{status}");
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(!mounts.contains(mnt.to_str().unwrap()), "{mounts}");
    assert!(!socket.exists() && !dir.join("store").exists());
    let (code, _, err) = control("pending");
    assert_eq!(code, Some(255));
    assert!(
        err.contains("is `faultline disk-fs serve` running?"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

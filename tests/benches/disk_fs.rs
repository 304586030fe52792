//! The lose-unsynced filesystem's cost: a real database (SQLite through
//! Python's standard library, one fsynced transaction per insert) and a
//! plain append-and-fdatasync loop, on the bare directory and through the
//! FUSE mount. Needs root and `/dev/fuse`; says why and exits otherwise.
//! `cargo bench --bench disk_fs` (add `-- --transactions 2000`).

use faultline_nemeses::disk;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const SQLITE: &str = r#"
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
n = int(sys.argv[2])
start = time.monotonic()
for k in range(n):
    db.execute("BEGIN")
    db.execute("INSERT INTO t VALUES (?, ?)", (k, "value %d" % k * 8))
    db.execute("COMMIT")
print(n / (time.monotonic() - start))
"#;

/// SQLite transactions per second in `dir`.
fn sqlite(dir: &Path, transactions: u32) -> f64 {
    let db = dir.join("bench.db");
    let out = Command::new("python3")
        .arg("-c")
        .arg(SQLITE)
        .arg(&db)
        .arg(transactions.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// 4 KiB appends with an fdatasync each, per second, in `dir`.
fn appends(dir: &Path, count: u32) -> f64 {
    let mut f = File::create(dir.join("log")).unwrap();
    let record = [b'r'; 4096];
    let start = Instant::now();
    for _ in 0..count {
        f.write_all(&record).unwrap();
        f.sync_data().unwrap();
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut transactions = 1000u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--transactions" {
            transactions = args
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(transactions);
        }
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root || !Path::new("/dev/fuse").exists() {
        println!("disk_fs bench skipped: it needs root and /dev/fuse to mount");
        return;
    }
    let dir = std::env::temp_dir().join(format!("faultline-disk-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bare = dir.join("bare");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = disk::mount(&mnt, &dir.join("store")).expect("mounts");
    println!("{transactions} SQLite transactions (WAL, synchronous=FULL) and {transactions} 4 KiB append+fdatasync, bare directory vs lose-unsynced FUSE:");
    let sqlite_bare = sqlite(&bare, transactions);
    let sqlite_fuse = sqlite(&mnt, transactions);
    println!(
        "  sqlite   bare {sqlite_bare:>9.0} tx/s   fuse {sqlite_fuse:>9.0} tx/s   ratio {:.2}",
        sqlite_fuse / sqlite_bare
    );
    let append_bare = appends(&bare, transactions);
    let append_fuse = appends(&mnt, transactions);
    println!(
        "  appends  bare {append_bare:>9.0} /s     fuse {append_fuse:>9.0} /s     ratio {:.2}",
        append_fuse / append_bare
    );
    mounted.unmount().expect("unmounts");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! The `corrupt` disk fault on one node's data directory, with the
//! database stopped: a chosen file loses its tail (`truncate`) or has a few
//! bits flipped (`bitflip`), as Jepsen's file-corruption nemesis does
//! (`jepsen.nemesis.file`, bitflips in a region of a named file, and the
//! truncation of a file's tail:
//! <https://github.com/jepsen-io/jepsen/blob/main/jepsen/src/jepsen/nemesis/file.clj>).
//! The change is fsynced (it is the disk's, not an unsynced write to
//! lose), and an undo record is kept so the file can be put back when the
//! database refuses to start on it.

use faultline_core::Rng;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How a file is corrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorruptMode {
    /// The file's tail is cut off.
    Truncate,
    /// A few bits at random offsets are inverted.
    Bitflip,
}

impl CorruptMode {
    /// Both modes, in the order they are drawn from.
    pub const ALL: [CorruptMode; 2] = [CorruptMode::Truncate, CorruptMode::Bitflip];

    /// The word for the mode.
    pub fn word(self) -> &'static str {
        match self {
            CorruptMode::Truncate => "truncate",
            CorruptMode::Bitflip => "bitflip",
        }
    }

    /// Parses a word.
    pub fn parse(word: &str) -> Option<CorruptMode> {
        CorruptMode::ALL.into_iter().find(|m| m.word() == word)
    }
}

/// What a corruption did, as the history records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corruption {
    /// The file, relative to the data directory.
    pub file: String,
    /// How.
    pub mode: CorruptMode,
    /// Its size before.
    pub size: u64,
    /// The first byte touched.
    pub offset: u64,
    /// Bytes touched: cut off, or holding a flipped bit.
    pub bytes: u64,
    /// For a bitflip: each flipped bit as its byte offset and bit (0–7).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bits: Vec<(u64, u8)>,
    /// For a truncation in a file preallocated with zeros past its data:
    /// the data's end, and the bytes lost were zeroed where they lay (the
    /// file keeps its length, as after a crash that lost the last writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zeroed_up_to: Option<u64>,
}

/// What is needed to put the file back: the corruption and, for a
/// truncation, the bytes cut off (kept beside the record).
#[derive(Serialize, Deserialize)]
struct Undo {
    root: PathBuf,
    corruption: Corruption,
}

/// The most a truncation cuts, so its undo stays small.
const MOST_CUT: u64 = 1 << 20;
/// The most bits one bitflip inverts.
const MOST_BITS: u64 = 8;

/// Errors of corrupting and putting back.
#[derive(Debug, thiserror::Error)]
pub enum CorruptError {
    /// No file matches.
    #[error("no non-empty file under {root} matches {patterns}")]
    NoFile {
        /// The data directory.
        root: String,
        /// The patterns, as given.
        patterns: String,
    },
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// On which path.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The undo record cannot be read.
    #[error("the undo record {0} is unreadable: {1}")]
    Undo(String, String),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CorruptError {
    let path = path.display().to_string();
    move |source| CorruptError::Io { what, path, source }
}

/// Whether `relative` (`/`-separated) matches `pattern`, where `*` stands
/// for any characters within one path segment.
pub fn matches(pattern: &str, relative: &str) -> bool {
    let (pattern, relative): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), relative.split('/').collect());
    pattern.len() == relative.len()
        && pattern
            .iter()
            .zip(&relative)
            .all(|(p, s)| segment_matches(p.as_bytes(), s.as_bytes()))
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| segment_matches(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && segment_matches(rest, &text[1..]),
    }
}

/// The non-empty regular files under `root` matching any of `patterns`
/// (every file when there are none), relative, sorted.
pub fn candidates(root: &Path, patterns: &[String]) -> Result<Vec<(String, u64)>, CorruptError> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(relative) = dirs.pop() {
        let dir = root.join(&relative);
        for entry in std::fs::read_dir(&dir).map_err(io("cannot list", &dir))? {
            let entry = entry.map_err(io("cannot list", &dir))?;
            let path = relative.join(entry.file_name());
            let meta = entry.metadata().map_err(io("cannot stat", &entry.path()))?;
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() && meta.len() > 0 {
                let text = path.to_string_lossy().into_owned();
                if patterns.is_empty() || patterns.iter().any(|p| matches(p, &text)) {
                    found.push((text, meta.len()));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Corrupts one file under `root` chosen by `seed` among `patterns`'
/// matches, fsyncs it, and writes the undo record to `undo`.
pub fn corrupt(
    root: &Path,
    patterns: &[String],
    mode: CorruptMode,
    seed: u64,
    undo: &Path,
) -> Result<Corruption, CorruptError> {
    let files = candidates(root, patterns)?;
    let mut rng = Rng::new(seed);
    let Some((file, size)) = files.get(rng.below(files.len() as u64) as usize).cloned() else {
        return Err(CorruptError::NoFile {
            root: root.display().to_string(),
            patterns: if patterns.is_empty() {
                "any file".into()
            } else {
                patterns.join(", ")
            },
        });
    };
    let path = root.join(&file);
    let mut handle = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io("cannot open", &path))?;
    // Faults aim at the data, not at zeros a database preallocated past
    // it (etcd's WAL segments are 64 MB from their creation).
    let data = data_end(&mut handle, &path, size)?;
    let corruption = match mode {
        CorruptMode::Truncate => {
            // At least a byte, at most half the data (and a MiB).
            let most = (data / 2).clamp(1, MOST_CUT);
            let cut = 1 + rng.below(most);
            let offset = data - cut;
            let mut tail = vec![0; cut as usize];
            handle
                .seek(SeekFrom::Start(offset))
                .and_then(|_| handle.read_exact(&mut tail))
                .map_err(io("cannot read", &path))?;
            let saved = tail_path(undo);
            std::fs::write(&saved, &tail).map_err(io("cannot save the tail to", &saved))?;
            let preallocated = data < size;
            if preallocated {
                handle
                    .seek(SeekFrom::Start(offset))
                    .and_then(|_| handle.write_all(&vec![0; cut as usize]))
                    .map_err(io("cannot zero the tail of", &path))?;
            } else {
                handle
                    .set_len(offset)
                    .map_err(io("cannot truncate", &path))?;
            }
            Corruption {
                file,
                mode,
                size,
                offset,
                bytes: cut,
                bits: Vec::new(),
                zeroed_up_to: preallocated.then_some(data),
            }
        }
        CorruptMode::Bitflip => {
            let count = 1 + rng.below(MOST_BITS);
            let mut bits: Vec<(u64, u8)> = (0..count)
                .map(|_| (rng.below(data), rng.below(8) as u8))
                .collect();
            bits.sort_unstable();
            bits.dedup();
            flip(&mut handle, &path, &bits)?;
            let mut touched: Vec<u64> = bits.iter().map(|b| b.0).collect();
            touched.dedup();
            Corruption {
                file,
                mode,
                size,
                offset: bits[0].0,
                bytes: touched.len() as u64,
                bits,
                zeroed_up_to: None,
            }
        }
    };
    handle.sync_all().map_err(io("cannot fsync", &path))?;
    let record = Undo {
        root: root.to_path_buf(),
        corruption: corruption.clone(),
    };
    let text = serde_json::to_string(&record).unwrap_or_default();
    std::fs::write(undo, text).map_err(io("cannot write the undo record", undo))?;
    Ok(corruption)
}

/// Puts back the file the undo record at `undo` names; what it put back
/// (nothing without a record). The record goes.
pub fn uncorrupt(undo: &Path) -> Result<Option<Corruption>, CorruptError> {
    let text = match std::fs::read_to_string(undo) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("cannot read", undo)(e)),
    };
    let record: Undo = serde_json::from_str(&text)
        .map_err(|e| CorruptError::Undo(undo.display().to_string(), e.to_string()))?;
    let corruption = record.corruption;
    let path = record.root.join(&corruption.file);
    let mut handle = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io("cannot open", &path))?;
    match corruption.mode {
        CorruptMode::Truncate => {
            let saved = tail_path(undo);
            let tail = std::fs::read(&saved).map_err(io("cannot read the saved tail", &saved))?;
            if corruption.zeroed_up_to.is_none() {
                handle
                    .set_len(corruption.offset)
                    .map_err(io("cannot restore the tail of", &path))?;
            }
            handle
                .seek(SeekFrom::Start(corruption.offset))
                .and_then(|_| handle.write_all(&tail))
                .map_err(io("cannot restore the tail of", &path))?;
            let _ = std::fs::remove_file(&saved);
        }
        CorruptMode::Bitflip => flip(&mut handle, &path, &corruption.bits)?,
    }
    handle.sync_all().map_err(io("cannot fsync", &path))?;
    std::fs::remove_file(undo).map_err(io("cannot remove", undo))?;
    Ok(Some(corruption))
}

/// Where the file's data ends: past its last non-zero byte (the whole
/// size when that is zero too, so that a file of zeros is still a target).
fn data_end(handle: &mut File, path: &Path, size: u64) -> Result<u64, CorruptError> {
    const CHUNK: u64 = 1 << 16;
    let mut end = size;
    let mut buffer = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buffer[..(end - start) as usize];
        handle
            .seek(SeekFrom::Start(start))
            .and_then(|_| handle.read_exact(chunk))
            .map_err(io("cannot read", path))?;
        if let Some(last) = chunk.iter().rposition(|&b| b != 0) {
            return Ok(start + last as u64 + 1);
        }
        end = start;
    }
    Ok(size)
}

fn tail_path(undo: &Path) -> PathBuf {
    undo.with_extension("tail")
}

/// Inverts each (offset, bit) of `bits` in the file.
fn flip(handle: &mut File, path: &Path, bits: &[(u64, u8)]) -> Result<(), CorruptError> {
    for &(offset, bit) in bits {
        let mut byte = [0u8];
        handle
            .seek(SeekFrom::Start(offset))
            .and_then(|_| handle.read_exact(&mut byte))
            .map_err(io("cannot read", path))?;
        byte[0] ^= 1 << bit;
        handle
            .seek(SeekFrom::Start(offset))
            .and_then(|_| handle.write_all(&byte))
            .map_err(io("cannot write", path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("faultline-corrupt-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("member/wal")).unwrap();
        dir
    }

    fn differing_bits(a: &[u8], b: &[u8]) -> u32 {
        a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
    }

    #[test]
    fn patterns_match_within_segments_only() {
        assert!(matches("member/wal/*.wal", "member/wal/0000-0001.wal"));
        assert!(!matches("member/wal/*.wal", "member/wal/0.tmp"));
        assert!(!matches("member/*", "member/wal/0.wal"));
        assert!(matches("*", "db"));
        assert!(matches("a*b*c", "abc"));
        assert!(!matches("a*b*c", "acb"));
    }

    #[test]
    fn only_non_empty_matching_files_are_candidates() {
        let dir = scratch("candidates");
        std::fs::write(dir.join("member/wal/1.wal"), b"log").unwrap();
        std::fs::write(dir.join("member/wal/2.wal"), b"").unwrap();
        std::fs::write(dir.join("member/wal/0.tmp"), b"pre").unwrap();
        std::fs::write(dir.join("db"), b"pages").unwrap();
        let wal = candidates(&dir, &["member/wal/*.wal".into()]).unwrap();
        assert_eq!(wal, [("member/wal/1.wal".to_owned(), 3)]);
        assert_eq!(candidates(&dir, &[]).unwrap().len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bitflip_inverts_the_bits_it_names_and_undo_restores_the_file() {
        let dir = scratch("bitflip");
        let original: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
        std::fs::write(dir.join("db"), &original).unwrap();
        let undo = dir.join("undo.json");
        for seed in 0..20 {
            let done = corrupt(&dir, &[], CorruptMode::Bitflip, seed, &undo).unwrap();
            let now = std::fs::read(dir.join("db")).unwrap();
            assert_eq!(now.len(), original.len());
            assert_eq!(differing_bits(&now, &original), done.bits.len() as u32);
            for &(offset, bit) in &done.bits {
                assert_ne!(
                    now[offset as usize] & (1 << bit),
                    original[offset as usize] & (1 << bit)
                );
            }
            assert_eq!(uncorrupt(&undo).unwrap(), Some(done));
            assert_eq!(std::fs::read(dir.join("db")).unwrap(), original);
        }
        assert_eq!(uncorrupt(&undo).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_truncation_cuts_the_tail_and_undo_puts_it_back() {
        let dir = scratch("truncate");
        let original: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("member/wal/1.wal"), &original).unwrap();
        let undo = dir.join("undo.json");
        let patterns = ["member/wal/*.wal".to_owned()];
        for seed in 0..20 {
            let done = corrupt(&dir, &patterns, CorruptMode::Truncate, seed, &undo).unwrap();
            let now = std::fs::read(dir.join("member/wal/1.wal")).unwrap();
            assert!(done.bytes >= 1 && done.bytes <= 5_000, "{done:?}");
            assert_eq!(now, original[..done.offset as usize]);
            assert_eq!(done.offset + done.bytes, original.len() as u64);
            uncorrupt(&undo).unwrap();
            assert_eq!(
                std::fs::read(dir.join("member/wal/1.wal")).unwrap(),
                original
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_preallocated_file_loses_the_tail_of_its_data_and_keeps_its_length() {
        let dir = scratch("preallocated");
        // 3 000 bytes of records, then zeros to 64 000, as etcd's WAL segments.
        let mut original: Vec<u8> = (0..3_000u32).map(|i| 1 + (i % 250) as u8).collect();
        original.resize(64_000, 0);
        let path = dir.join("member/wal/1.wal");
        std::fs::write(&path, &original).unwrap();
        let undo = dir.join("undo.json");
        for seed in 0..20 {
            let done = corrupt(&dir, &[], CorruptMode::Truncate, seed, &undo).unwrap();
            let now = std::fs::read(&path).unwrap();
            assert_eq!(now.len(), original.len(), "the length is kept");
            assert_eq!(done.zeroed_up_to, Some(3_000));
            assert!(done.bytes >= 1 && done.bytes <= 1_500, "{done:?}");
            assert_eq!(done.offset + done.bytes, 3_000);
            assert_eq!(
                now[..done.offset as usize],
                original[..done.offset as usize]
            );
            assert!(now[done.offset as usize..].iter().all(|&b| b == 0));
            uncorrupt(&undo).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), original);
            let flipped = corrupt(&dir, &[], CorruptMode::Bitflip, seed, &undo).unwrap();
            assert!(
                flipped.bits.iter().all(|&(offset, _)| offset < 3_000),
                "{flipped:?}"
            );
            uncorrupt(&undo).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), original);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_one_byte_file_can_be_cut_and_nothing_matching_is_an_error() {
        let dir = scratch("edge");
        std::fs::write(dir.join("db"), b"x").unwrap();
        let undo = dir.join("undo.json");
        let done = corrupt(&dir, &[], CorruptMode::Truncate, 1, &undo).unwrap();
        assert_eq!((done.offset, done.bytes), (0, 1));
        uncorrupt(&undo).unwrap();
        let err = corrupt(&dir, &["*.wal".into()], CorruptMode::Bitflip, 1, &undo).unwrap_err();
        assert!(err.to_string().contains("matches *.wal"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

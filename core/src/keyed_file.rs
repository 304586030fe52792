//! A history file read key by key, for histories too large to hold whole:
//! one streaming pass notes where each key's lines are (16 bytes an event,
//! neither the text nor a parsed event kept), then the keys' events are
//! read back from disk in batches (one sequential pass over the file per
//! batch, a bounded amount of text each) and parsed key by key. A per-key
//! checker (P-compositionality) then needs memory for a batch's text and
//! the keys in hand, not for the run.
//!
//! For line-based formats whose events name their key: faultline's JSON
//! Lines and Jepsen's kv EDN. Line numbers are the file's, so explanations
//! point into it.

use crate::{Format, History, ParseError, Parsed};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Where one event's line is in the file.
#[derive(Clone, Copy, Debug)]
struct LineAt {
    offset: u64,
    len: u32,
    line: u32,
    /// The event's position in the whole file.
    event: u32,
}

/// A history file indexed by key.
#[derive(Debug)]
pub struct KeyedFile {
    path: PathBuf,
    format: Format,
    /// Each key (in order; `None`: events without one) and its lines.
    keys: Vec<(Option<String>, Vec<LineAt>)>,
    events: usize,
}

/// The one field the index needs from a JSON line; serde skips the rest
/// without building it, so indexing costs a fraction of a full parse.
#[derive(serde::Deserialize)]
struct KeyOfLine<'a> {
    #[serde(default, borrow)]
    key: Option<Cow<'a, str>>,
}

fn io_error(line: usize, e: std::io::Error) -> ParseError {
    ParseError::new(line, format!("cannot read the file: {e}"))
}

impl KeyedFile {
    /// Whether `format` can be read key by key.
    pub fn supports(format: Format) -> bool {
        matches!(format, Format::Jsonl | Format::KvEdn)
    }

    /// Reads `path` once, noting each key's lines. Errors name the line.
    pub fn index(path: &Path, format: Format) -> Result<KeyedFile, ParseError> {
        if !Self::supports(format) {
            return Err(ParseError::new(
                0,
                format!("--format {format} cannot be read key by key"),
            ));
        }
        let file = File::open(path).map_err(|e| io_error(0, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut slots: HashMap<Option<String>, usize> = HashMap::new();
        let mut keys: Vec<(Option<String>, Vec<LineAt>)> = Vec::new();
        let (mut offset, mut line_no, mut events) = (0u64, 0usize, 0usize);
        let mut line = String::new();
        let mut line_keys: Vec<Option<String>> = Vec::new();
        loop {
            line.clear();
            let read = reader
                .read_line(&mut line)
                .map_err(|e| io_error(line_no + 1, e))?;
            if read == 0 {
                break;
            }
            line_no += 1;
            let mut at = LineAt {
                offset,
                len: read as u32,
                line: line_no as u32,
                event: 0,
            };
            offset += read as u64;
            if line.trim().is_empty() {
                continue;
            }
            line_keys.clear();
            match format {
                // The key alone; the whole line is checked when its key is read back.
                Format::Jsonl => {
                    let parsed: KeyOfLine = serde_json::from_str(&line)
                        .map_err(|e| ParseError::new(line_no, crate::jsonl::not_an_event(&e)))?;
                    line_keys.push(parsed.key.map(Cow::into_owned));
                }
                _ => {
                    // Parsed alone to learn its key; a bad line is the file's error.
                    let parsed = format
                        .parse(&line)
                        .map_err(|e| ParseError::new(line_no, e.message))?;
                    line_keys.extend(parsed.history.events().iter().map(|e| e.key.clone()));
                }
            }
            for key in line_keys.drain(..) {
                let slot = match slots.get(&key) {
                    Some(&slot) => slot,
                    None => {
                        slots.insert(key.clone(), keys.len());
                        keys.push((key, Vec::new()));
                        keys.len() - 1
                    }
                };
                at.event = events as u32;
                keys[slot].1.push(at);
                events += 1;
            }
        }
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(KeyedFile {
            path: path.to_owned(),
            format,
            keys,
            events,
        })
    }

    /// The keys, in order (`None`: events without a key, the nemesis's).
    pub fn keys(&self) -> impl Iterator<Item = &Option<String>> {
        self.keys.iter().map(|(k, _)| k)
    }

    /// Events in the file.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The keys (their positions in [`KeyedFile::keys`]) in consecutive
    /// batches whose lines hold at most `max_bytes` of text each (a key
    /// larger than that is a batch of its own).
    pub fn batches(&self, max_bytes: u64) -> Vec<std::ops::Range<usize>> {
        let mut batches = Vec::new();
        let (mut start, mut bytes) = (0, 0u64);
        for (i, (_, lines)) in self.keys.iter().enumerate() {
            let size: u64 = lines.iter().map(|l| u64::from(l.len)).sum();
            if i > start && bytes + size > max_bytes {
                batches.push(start..i);
                (start, bytes) = (i, 0);
            }
            bytes += size;
        }
        if start < self.keys.len() {
            batches.push(start..self.keys.len());
        }
        batches
    }

    /// The events of `key`, read from disk, with the file's line numbers.
    pub fn history_of(&self, key: &Option<String>) -> Result<Parsed, ParseError> {
        match self.keys.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(slot) => {
                let mut texts = self.texts_of(slot..slot + 1)?;
                self.parse_key(slot, &texts.pop().unwrap_or_default())
            }
            Err(_) => Ok(Parsed::default()),
        }
    }

    /// The position in the whole file of each event of the key at `slot`
    /// (its events' positions in [`KeyedFile::parse_key`]'s history are
    /// the key's own), so that what a per-key check names can be found in
    /// the file's history.
    pub fn event_positions(&self, slot: usize) -> Vec<usize> {
        self.keys[slot].1.iter().map(|a| a.event as usize).collect()
    }

    /// The text of each key in `batch` (positions in [`KeyedFile::keys`]),
    /// gathered in one sequential pass over the file.
    pub fn texts_of(&self, batch: std::ops::Range<usize>) -> Result<Vec<String>, ParseError> {
        let mut wanted: Vec<(LineAt, usize)> = Vec::new();
        for slot in batch.clone() {
            wanted.extend(self.keys[slot].1.iter().map(|&at| (at, slot - batch.start)));
        }
        wanted.sort_unstable_by_key(|(at, _)| at.offset);
        let file = File::open(&self.path).map_err(|e| io_error(0, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut texts: Vec<Vec<u8>> = batch
            .clone()
            .map(|slot| {
                let size: usize = self.keys[slot].1.iter().map(|l| l.len as usize + 1).sum();
                Vec::with_capacity(size)
            })
            .collect();
        let mut position = 0u64;
        let mut buffer = Vec::new();
        for (at, key) in wanted {
            // Gaps are skipped within the buffer when they are short.
            reader
                .seek_relative(at.offset as i64 - position as i64)
                .map_err(|e| io_error(at.line as usize, e))?;
            buffer.resize(at.len as usize, 0);
            reader
                .read_exact(&mut buffer)
                .map_err(|e| io_error(at.line as usize, e))?;
            position = at.offset + u64::from(at.len);
            let text = &mut texts[key];
            text.extend_from_slice(&buffer);
            if !buffer.ends_with(b"\n") {
                text.push(b'\n');
            }
        }
        Ok(texts
            .into_iter()
            .map(|t| {
                String::from_utf8(t)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            })
            .collect())
    }

    /// Parses the text of the key at `slot` (from [`KeyedFile::texts_of`])
    /// into its events, placed at the file's line numbers.
    pub fn parse_key(&self, slot: usize, text: &str) -> Result<Parsed, ParseError> {
        let lines = &self.keys[slot].1;
        let parsed = self.format.parse(text).map_err(|e| {
            let line = lines
                .get(e.line.wrapping_sub(1))
                .map_or(0, |a| a.line as usize);
            ParseError::new(line, e.message)
        })?;
        let mut history = History::new();
        for (position, event) in parsed.history.events().iter().enumerate() {
            let line = parsed
                .history
                .line_of(position)
                .and_then(|l| lines.get(l - 1))
                .map_or(0, |a| a.line as usize);
            history.push(event.clone(), line);
        }
        Ok(Parsed {
            history,
            warnings: parsed.warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_reads_back_its_own_events_at_the_files_lines() {
        let text = "{:process 0, :type :invoke, :f :put, :key \"a\", :value \"x\"}\n\
                    {:process 1, :type :invoke, :f :get, :key \"b\", :value nil}\n\
                    \n\
                    {:process 0, :type :ok, :f :put, :key \"a\", :value \"x\"}\n\
                    {:process 1, :type :ok, :f :get, :key \"b\", :value \"\"}\n";
        let path = std::env::temp_dir().join(format!("faultline-keyed-{}.edn", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let file = KeyedFile::index(&path, Format::KvEdn).unwrap();
        assert_eq!(file.events(), 4);
        let keys: Vec<_> = file.keys().cloned().collect();
        assert_eq!(keys, [Some("a".to_owned()), Some("b".to_owned())]);
        let b = file.history_of(&Some("b".into())).unwrap().history;
        assert_eq!(b.len(), 2);
        assert_eq!(b.events()[1].value, serde_json::json!(""));
        assert_eq!((b.line_of(0), b.line_of(1)), (Some(2), Some(5)));
        // A bad line is named by its line in the file.
        std::fs::write(&path, format!("{text}{{:process 2, :type :nonsense}}\n")).unwrap();
        let err = KeyedFile::index(&path, Format::KvEdn).unwrap_err();
        assert_eq!(err.line, 6, "{}", err.message);
        let _ = std::fs::remove_file(&path);
        assert!(!KeyedFile::supports(Format::JepsenLog));
    }

    #[test]
    fn json_lines_are_indexed_by_their_key_and_read_back_in_batches() {
        let line = |i: usize, key: &str| {
            format!(
                r#"{{"index":{i},"time":{i},"process":0,"type":"invoke","f":"read","value":null,"key":"{key}"}}"#
            )
        };
        let mut text = String::new();
        for i in 0..30 {
            text.push_str(&line(i, ["a", "b", "c"][i % 3]));
            text.push('\n');
        }
        // A nemesis event has no key.
        text.push_str(
            r#"{"index":30,"time":30,"process":"nemesis","type":"info","f":"start","value":null}"#,
        );
        text.push('\n');
        let path =
            std::env::temp_dir().join(format!("faultline-keyed-{}.jsonl", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let file = KeyedFile::index(&path, Format::Jsonl).unwrap();
        assert_eq!(file.events(), 31);
        let keys: Vec<_> = file.keys().cloned().collect();
        assert_eq!(
            keys,
            [None, Some("a".into()), Some("b".into()), Some("c".into())]
        );
        // Ten lines a key, none longer than line 10's: two keys a batch.
        let one_key = 10 * (line(10, "a").len() as u64 + 1);
        let batches = file.batches(2 * one_key + 10);
        assert_eq!(batches, [0..2, 2..4]);
        let texts = file.texts_of(2..4).unwrap();
        let b = file.parse_key(2, &texts[0]).unwrap().history;
        assert_eq!(b.len(), 10);
        assert!(b.events().iter().all(|e| e.key.as_deref() == Some("b")));
        // The file's line numbers: b's events are on lines 2, 5, 8...
        assert_eq!((b.line_of(0), b.line_of(9)), (Some(2), Some(29)));
        assert_eq!(file.event_positions(2)[..3], [1, 4, 7]);
        assert_eq!(
            file.history_of(&Some("c".into())).unwrap().history.len(),
            10
        );
        // A line that is not JSON is named by its line in the file.
        std::fs::write(&path, format!("{text}not json\n")).unwrap();
        let err = KeyedFile::index(&path, Format::Jsonl).unwrap_err();
        assert_eq!(err.line, 32, "{}", err.message);
        let _ = std::fs::remove_file(&path);
    }
}

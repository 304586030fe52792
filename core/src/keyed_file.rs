//! A history file read key by key, for histories too large to hold whole:
//! one streaming pass notes where each key's lines are (16 bytes an event,
//! neither the text nor a parsed event kept), then each key's events are
//! read back from disk and parsed on their own. A per-key checker
//! (P-compositionality) then needs memory for the largest key only, not
//! for the run.
//!
//! For line-based formats whose events name their key: faultline's JSON
//! Lines and Jepsen's kv EDN. Line numbers are the file's, so explanations
//! point into it.

use crate::{Format, History, ParseError, Parsed};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where one event's line is in the file.
#[derive(Clone, Copy, Debug)]
struct LineAt {
    offset: u64,
    len: u32,
    line: u32,
}

/// A history file indexed by key.
#[derive(Debug)]
pub struct KeyedFile {
    path: PathBuf,
    format: Format,
    keys: BTreeMap<Option<String>, Vec<LineAt>>,
    events: usize,
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
        let mut keys: BTreeMap<Option<String>, Vec<LineAt>> = BTreeMap::new();
        let (mut offset, mut line_no, mut events) = (0u64, 0usize, 0usize);
        let mut line = String::new();
        loop {
            line.clear();
            let read = reader
                .read_line(&mut line)
                .map_err(|e| io_error(line_no + 1, e))?;
            if read == 0 {
                break;
            }
            line_no += 1;
            let at = LineAt {
                offset,
                len: read as u32,
                line: line_no as u32,
            };
            offset += read as u64;
            if line.trim().is_empty() {
                continue;
            }
            // Parsed alone to learn its key; a bad line is the file's error.
            let parsed = format
                .parse(&line)
                .map_err(|e| ParseError::new(line_no, e.message))?;
            for event in parsed.history.events() {
                keys.entry(event.key.clone()).or_default().push(at);
                events += 1;
            }
        }
        Ok(KeyedFile {
            path: path.to_owned(),
            format,
            keys,
            events,
        })
    }

    /// The keys, in order (`None`: events without a key, the nemesis's).
    pub fn keys(&self) -> impl Iterator<Item = &Option<String>> {
        self.keys.keys()
    }

    /// Events in the file.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The events of `key`, read from disk, with the file's line numbers.
    pub fn history_of(&self, key: &Option<String>) -> Result<Parsed, ParseError> {
        let Some(lines) = self.keys.get(key) else {
            return Ok(Parsed::default());
        };
        let mut file = File::open(&self.path).map_err(|e| io_error(0, e))?;
        let mut text = String::new();
        let mut buffer = Vec::new();
        for at in lines {
            file.seek(SeekFrom::Start(at.offset))
                .map_err(|e| io_error(at.line as usize, e))?;
            buffer.resize(at.len as usize, 0);
            file.read_exact(&mut buffer)
                .map_err(|e| io_error(at.line as usize, e))?;
            text.push_str(&String::from_utf8_lossy(&buffer));
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        let parsed = self.format.parse(&text).map_err(|e| {
            let line = lines
                .get(e.line.wrapping_sub(1))
                .map_or(0, |a| a.line as usize);
            ParseError::new(line, e.message)
        })?;
        // The same events, placed at the file's line numbers.
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
}

//! History on disk as JSON Lines: one event per line, append-only.

use crate::format::Parsed;
use crate::{Op, ParseError};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Reads a JSON Lines history. A last line cut short (a test interrupted
/// while writing it) is dropped with a warning; any other bad line is an error.
pub fn parse_jsonl(text: &str) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let complete_last_line = text.ends_with('\n');
    let count = text.lines().count();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Op>(line) {
            Ok(op) => parsed.history.push(op, line_no),
            Err(e) if line_no == count && !complete_last_line => {
                parsed.warnings.push(format!(
                    "line {line_no}: last line is incomplete (the run was probably interrupted while writing it) and was ignored: {e}"
                ));
            }
            Err(e) => {
                return Err(ParseError::new(
                    line_no,
                    format!("not a history event ({e}); each line must be a JSON object with index, time, process, type, f and value"),
                ))
            }
        }
    }
    Ok(parsed)
}

/// Appends events to a `history.jsonl` as they happen, each line handed to
/// the operating system at once so that a crash loses nothing recorded.
pub struct HistoryWriter<W: Write> {
    out: W,
    next_index: u64,
    line: Vec<u8>,
}

impl HistoryWriter<File> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> io::Result<HistoryWriter<File>> {
        Ok(HistoryWriter::new(File::create(path)?))
    }
}

impl<W: Write> HistoryWriter<W> {
    /// A writer onto `out`, numbering events from 0.
    pub fn new(out: W) -> HistoryWriter<W> {
        HistoryWriter {
            out,
            next_index: 0,
            line: Vec::with_capacity(256),
        }
    }

    /// Writes `op` as the next event, setting its index.
    pub fn append(&mut self, op: &mut Op) -> io::Result<()> {
        op.index = self.next_index;
        self.next_index += 1;
        self.line.clear();
        serde_json::to_writer(&mut self.line, op)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    /// How many events were written.
    pub fn len(&self) -> u64 {
        self.next_index
    }

    /// True when nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.next_index == 0
    }

    /// Hands what was written to the operating system.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OpType, Process};
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics(text in "[{}\\[\\]\":,a-z0-9 \n-]{0,80}") {
            let _ = parse_jsonl(&text);
        }

        #[test]
        fn events_round_trip(process in 0u64..1000, value in -5i64..5, key in proptest::option::of("[a-z]{1,3}")) {
            let mut op = Op::new(Process::Client(process), OpType::Ok, "write", json!(value));
            op.key = key;
            let mut writer = HistoryWriter::new(Vec::new());
            writer.append(&mut op).unwrap();
            let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
            let parsed = parse_jsonl(&text).unwrap();
            prop_assert_eq!(parsed.history.events(), &[op]);
        }
    }

    #[test]
    fn writes_and_reads_back_events() {
        let mut writer = HistoryWriter::new(Vec::new());
        let mut a = Op::new(Process::Client(3), OpType::Invoke, "cas", json!([1, 2])).with_key("k");
        let mut b = Op::new(
            Process::Nemesis,
            OpType::Info,
            "start-partition",
            json!({"n1": ["n2"]}),
        );
        b.error = Some("ssh timed out".into());
        writer.append(&mut a).unwrap();
        writer.append(&mut b).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let parsed = parse_jsonl(&text).unwrap();
        assert_eq!(parsed.history.events(), &[a, b]);
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn tolerates_a_truncated_last_line_with_a_warning() {
        let text = "{\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n{\"index\":1,\"ti";
        let parsed = parse_jsonl(text).unwrap();
        assert_eq!(parsed.history.len(), 1);
        assert!(
            parsed.warnings[0].contains("line 2"),
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn rejects_a_bad_line_in_the_middle() {
        let text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":0,\"type\":\"done\",\"f\":\"read\"}\n";
        let err = parse_jsonl(text).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unknown variant"), "{err}");
    }
}

//! History on disk as JSON Lines: one event per line, append-only.

use crate::parsed::Parsed;
use crate::{Op, ParseError};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// One chunk's events with their line numbers, and its warnings.
type ChunkParse = Result<(Vec<(Op, usize)>, Vec<String>), ParseError>;

/// Texts longer than this are parsed on several threads.
const PARALLEL_ABOVE_BYTES: usize = 4 << 20;

/// Reads a JSON Lines history. A last line cut short (a test interrupted
/// while writing it) is dropped with a warning; any other bad line is an error.
pub fn parse_jsonl(text: &str) -> Result<Parsed, ParseError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks = if text.len() > PARALLEL_ABOVE_BYTES {
        threads
    } else {
        1
    };
    // Chunks end at line ends, so each holds whole lines.
    let mut bounds = vec![0];
    for k in 1..chunks {
        let at = (text.len() * k / chunks).max(*bounds.last().unwrap_or(&0));
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        bounds.push(end);
    }
    bounds.push(text.len());
    bounds.dedup();
    // The first line number of each chunk.
    let mut first_lines = vec![1];
    for window in bounds.windows(2).take(bounds.len().saturating_sub(2)) {
        let lines = text[window[0]..window[1]].matches('\n').count();
        first_lines.push(first_lines.last().unwrap_or(&1) + lines);
    }
    let complete_last_line = text.ends_with('\n');
    let count = text.lines().count();
    let parse_chunk = |chunk: &str, first_line: usize| -> ChunkParse {
        let mut events = Vec::with_capacity(chunk.len() / 96);
        let mut warnings = Vec::new();
        for (n, line) in chunk.lines().enumerate() {
            let line_no = first_line + n;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Op>(line) {
                Ok(op) => events.push((op, line_no)),
                Err(e) if line_no == count && !complete_last_line => {
                    warnings.push(format!(
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
        Ok((events, warnings))
    };
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .zip(&first_lines)
            .map(|(w, &first)| {
                let chunk = &text[w[0]..w[1]];
                scope.spawn(move || parse_chunk(chunk, first))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut parsed = Parsed::default();
    for result in results {
        let (events, warnings) = result?;
        for (op, line) in events {
            parsed.history.push(op, line);
        }
        parsed.warnings.extend(warnings);
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

    #[test]
    fn a_large_history_parsed_on_several_threads_keeps_order_and_line_numbers() {
        let line = |i: usize| {
            format!("{{\"index\":{i},\"time\":{i},\"process\":{},\"type\":\"invoke\",\"f\":\"write\",\"value\":{i}}}\n", i % 7)
        };
        let n = 80_000;
        let mut text: String = (0..n).map(line).collect();
        assert!(
            text.len() > PARALLEL_ABOVE_BYTES,
            "large enough to be split"
        );
        // A blank line in the middle, after event `blank - 1`.
        let middle = text.len() / 2 + text[text.len() / 2..].find('\n').unwrap() + 1;
        let blank = text[..middle].matches('\n').count();
        text.insert(middle, '\n');
        let parsed = parse_jsonl(&text).unwrap();
        assert_eq!(parsed.history.len(), n);
        for (i, event) in parsed.history.events().iter().enumerate() {
            assert_eq!(event.value, json!(i), "event {i} in order");
        }
        assert_eq!(parsed.history.line_of(blank - 1), Some(blank));
        assert_eq!(parsed.history.line_of(blank), Some(blank + 2));
        assert_eq!(parsed.history.line_of(n - 1), Some(n + 1));
        // A bad line late in the text is named by its own line number.
        let mut bad: String = (0..n).map(line).collect();
        let at = bad.len() - line(n - 1).len() - line(n - 2).len();
        bad.replace_range(at..at + 1, "x");
        let err = parse_jsonl(&bad).unwrap_err();
        assert_eq!(err.line, n - 1);
        // A cut last line is still only a warning.
        let cut = &bad[..bad.len() - 5];
        let mut good_but_cut: String = (0..n).map(line).collect();
        good_but_cut.truncate(good_but_cut.len() - 5);
        let parsed = parse_jsonl(&good_but_cut).unwrap();
        assert_eq!(parsed.history.len(), n - 1);
        assert_eq!(parsed.warnings.len(), 1);
        assert!(parse_jsonl(cut).is_err(), "the bad line still fails");
    }
}

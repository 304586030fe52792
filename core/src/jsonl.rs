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
    let mut parsed = Parsed::default();
    for result in parse_lines(text, 1) {
        let (events, warnings) = result?;
        for (op, line) in events {
            parsed.history.push(op, line);
        }
        parsed.warnings.extend(warnings);
    }
    Ok(parsed)
}

/// Text read from a stream at a time: the memory a streamed history takes
/// is about this and its events, whatever the file's size.
const STREAM_BLOCK_BYTES: usize = 32 << 20;

/// Reads a JSON Lines history from `reader` as a stream, handing each
/// event and its line number to `each` in order, with the rules of
/// [`parse_jsonl`] (a cut last line is a warning, returned); each block of
/// text is parsed on every core, and only one is held at a time.
pub fn read_jsonl(
    reader: impl io::Read + Send,
    each: impl FnMut(Op, usize),
) -> Result<Vec<String>, ParseError> {
    read_jsonl_in_blocks(reader, STREAM_BLOCK_BYTES, each)
}

fn read_jsonl_in_blocks(
    reader: impl io::Read + Send,
    block: usize,
    mut each: impl FnMut(Op, usize),
) -> Result<Vec<String>, ParseError> {
    // One block is parsed while the one before is handed out: the reader's
    // work overlaps the caller's. A block waits in the channel at most.
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<ChunkParse>>(1);
        scope.spawn(move || parse_blocks(reader, block, sender));
        let mut warnings = Vec::new();
        for parsed in receiver {
            for result in parsed {
                let (events, block_warnings) = result?;
                for (op, line) in events {
                    each(op, line);
                }
                warnings.extend(block_warnings);
            }
        }
        Ok(warnings)
    })
}

/// Reads `reader` in blocks of about `block` bytes cut at line ends, and
/// sends each parsed; stops at the first error (sent) or when nobody
/// listens any more.
fn parse_blocks(
    mut reader: impl io::Read,
    block: usize,
    sender: std::sync::mpsc::SyncSender<Vec<ChunkParse>>,
) {
    let mut buffer: Vec<u8> = Vec::with_capacity(block + (1 << 16));
    let mut first_line = 1;
    let mut eof = false;
    let fail = |line: usize, message: String| {
        let _ = sender.send(vec![Err(ParseError::new(line, message))]);
    };
    while !eof {
        // Fill to a block, then cut at the last line end (a line longer than
        // a block makes the block grow until it ends).
        let mut end = None;
        while end.is_none() && !eof {
            let start = buffer.len();
            buffer.resize(start + block.max(start), 0);
            let mut filled = start;
            while filled < buffer.len() {
                match reader.read(&mut buffer[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return fail(first_line, format!("cannot read: {e}")),
                }
            }
            buffer.truncate(filled);
            end = if eof {
                Some(buffer.len())
            } else {
                buffer.iter().rposition(|&b| b == b'\n').map(|i| i + 1)
            };
        }
        let end = end.unwrap_or(buffer.len());
        let text = match std::str::from_utf8(&buffer[..end]) {
            Ok(text) => text,
            Err(e) => {
                let line = first_line
                    + buffer[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                return fail(line, format!("not UTF-8 text: {e}"));
            }
        };
        let lines = text.matches('\n').count();
        let parsed = parse_lines(text, first_line);
        let failed = parsed.iter().any(Result::is_err);
        if sender.send(parsed).is_err() || failed {
            return;
        }
        first_line += lines;
        buffer.drain(..end);
    }
}

/// Parses `text`, whose first line is line `first_line` of its file, on
/// every core when it is long: each chunk's events in order.
fn parse_lines(text: &str, first_line: usize) -> Vec<ChunkParse> {
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
    let mut first_lines = vec![first_line];
    for window in bounds.windows(2).take(bounds.len().saturating_sub(2)) {
        let lines = text[window[0]..window[1]].matches('\n').count();
        first_lines.push(first_lines.last().unwrap_or(&first_line) + lines);
    }
    let complete_last_line = text.ends_with('\n');
    let count = first_line - 1 + text.lines().count();
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
                // Only JSON that stops short is a line cut by an interrupted
                // run; a last line that is wrong (`hello`) is an error.
                Err(e) if line_no == count && !complete_last_line && e.is_eof() => {
                    warnings.push(format!(
                        "line {line_no}: last line is incomplete (the run was probably interrupted while writing it) and was ignored: {e}"
                    ));
                }
                Err(e) => return Err(ParseError::new(line_no, not_an_event(&e))),
            }
        }
        Ok((events, warnings))
    };
    std::thread::scope(|scope| {
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
    })
}

/// Why a JSON line is not a history event, and what one looks like.
pub(crate) fn not_an_event(e: &serde_json::Error) -> String {
    format!("not a history event ({e}); each line must be a JSON object with process, type, f and value (index, time, key, error and node may follow)")
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

    /// Read as a stream in blocks of any size (smaller than a line
    /// included), a history gives the events, lines, warnings and errors
    /// it gives read whole.
    #[test]
    fn a_stream_in_blocks_reads_what_the_whole_text_gives() {
        let mut text = String::new();
        for i in 0..40 {
            let value = if i == 17 {
                "x".repeat(500)
            } else {
                i.to_string()
            };
            text += &format!(
                "{{\"index\":{i},\"time\":{i},\"process\":{},\"type\":\"invoke\",\"f\":\"write\",\"value\":\"{value}\"}}\n",
                i % 3
            );
            if i % 7 == 0 {
                text.push('\n');
            }
        }
        let cut = format!("{text}{{\"index\":40,\"ti");
        let bad = format!("{text}not json\n{text}");
        for whole in [&text, &cut, &bad] {
            let expected = parse_jsonl(whole);
            for block in [1, 50, 300, 4096, 1 << 20] {
                let mut events = Vec::new();
                let got = read_jsonl_in_blocks(whole.as_bytes(), block, |op, line| {
                    events.push((op, line))
                });
                match &expected {
                    Ok(parsed) => {
                        assert_eq!(got.as_ref().ok(), Some(&parsed.warnings), "block {block}");
                        assert_eq!(events.len(), parsed.history.len());
                        for (position, (op, line)) in events.iter().enumerate() {
                            assert_eq!(op, &parsed.history.events()[position]);
                            assert_eq!(Some(*line), parsed.history.line_of(position));
                        }
                    }
                    Err(e) => {
                        let got = got.expect_err("the bad line is an error");
                        assert_eq!((got.line, &got.message), (e.line, &e.message));
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics(text in "[{}\\[\\]\":,a-z0-9 \n-]{0,80}") {
            let _ = parse_jsonl(&text);
        }

        /// Any one field of any event renamed (a typo) makes the history
        /// unreadable: never a verdict on what is left.
        #[test]
        fn any_renamed_field_is_an_error(
            line in 0usize..4,
            field in 0usize..8,
            typo in "[a-z_]{1,8}",
        ) {
            let mut writer = HistoryWriter::new(Vec::new());
            for text in WRITE_THEN_READ {
                let mut op: Op = serde_json::from_str(text).unwrap();
                op.key = Some("k".into());
                op.node = Some("n1".into());
                writer.append(&mut op).unwrap();
            }
            let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
            prop_assert!(parse_jsonl(&text).is_ok());
            let names = ["index", "time", "process", "type", "f", "value", "key", "node"];
            let name = names[field];
            prop_assume!(!names.contains(&typo.as_str()) && typo != "error");
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            let from = format!("\"{name}\":");
            prop_assert!(lines[line].contains(&from));
            lines[line] = lines[line].replacen(&from, &format!("\"{typo}\":"), 1);
            let err = parse_jsonl(&(lines.join("\n") + "\n")).unwrap_err();
            prop_assert_eq!(err.line, line + 1);
            prop_assert!(err.message.contains(&typo) || err.message.contains(name), "{}", err);
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
        let text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n{\"process\":0,\"type\":\"done\",\"f\":\"read\",\"value\":null}\n";
        let err = parse_jsonl(text).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unknown variant"), "{err}");
    }

    const WRITE_THEN_READ: [&str; 4] = [
        r#"{"process":0,"type":"invoke","f":"write","value":1}"#,
        r#"{"process":0,"type":"ok","f":"write","value":1}"#,
        r#"{"process":1,"type":"invoke","f":"read","value":null}"#,
        r#"{"process":1,"type":"ok","f":"read","value":1}"#,
    ];

    /// A misspelled `value` once read as a `nil` result and turned a valid
    /// history invalid without a word.
    #[test]
    fn a_misspelled_or_missing_field_is_an_error_naming_line_and_field() {
        let mut lines = WRITE_THEN_READ.map(str::to_owned);
        assert!(parse_jsonl(&(lines.join("\n") + "\n")).is_ok());
        lines[3] = lines[3].replace("\"value\"", "\"valeu\"");
        let err = parse_jsonl(&(lines.join("\n") + "\n")).unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.message.contains("unknown field `valeu`"), "{err}");
        assert!(err.message.contains("expected one of"), "{err}");
        lines[3] = r#"{"process":1,"type":"ok","f":"read"}"#.into();
        let err = parse_jsonl(&(lines.join("\n") + "\n")).unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.message.contains("missing field `value`"), "{err}");
    }

    /// Only JSON that stops short is a line an interrupted run cut.
    #[test]
    fn a_last_line_that_is_not_cut_json_is_an_error_not_a_warning() {
        let err = parse_jsonl("hello").unwrap_err();
        assert_eq!(err.line, 1);
        let text = WRITE_THEN_READ.join("\n") + "\n{\"process\":2,\"ty";
        let parsed = parse_jsonl(&text).unwrap();
        assert_eq!((parsed.history.len(), parsed.warnings.len()), (4, 1));
        assert!(parse_jsonl(&(WRITE_THEN_READ.join("\n") + "\nhello")).is_err());
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

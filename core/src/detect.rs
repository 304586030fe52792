//! Telling a history's format from its first lines, so that `check` needs
//! no `--format` for the formats it reads, and a file given with the wrong
//! one is named for what it is instead of read as something else.

use crate::import::{parse_edn_history, JEPSEN_LOG_MARKER};
use crate::Format;

/// How much of a file the detector reads: enough for a few dozen events
/// of any format, so a file of any size is told at the same cost.
pub const DETECT_PREFIX_BYTES: usize = 64 << 10;

/// Non-blank lines the EDN trial reads.
const TRIAL_LINES: usize = 64;

impl Format {
    /// The format `text` (a whole file, or its first
    /// [`DETECT_PREFIX_BYTES`]) is written in, or `None` when it is none
    /// that faultline reads. Told by the shape of the first lines, not by
    /// reading them without error, so that a file with a mistake in it is
    /// read in its format and the mistake named: a JSON object is
    /// faultline's JSON Lines; a line with `jepsen.util - ` Jepsen's log;
    /// EDN maps Jepsen's EDN, kv EDN when every client operation among
    /// the first carries a `:key`.
    pub fn detect(text: &str) -> Option<Format> {
        let trial = first_lines(text);
        let first = trial.lines().map(str::trim).find(|l| !l.is_empty())?;
        if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(first).is_ok() {
            return Some(Format::Jsonl);
        }
        // A Jepsen log may open with many lines of set-up before its first operation.
        let prefix = &text[..floor_char_boundary(text, DETECT_PREFIX_BYTES)];
        if prefix.contains(JEPSEN_LOG_MARKER) {
            return Some(Format::JepsenLog);
        }
        if !(first.starts_with('{') || first.starts_with('[') || first.starts_with('#')) {
            return None;
        }
        // A vector of maps is one form, which the first lines do not close.
        let edn = if first.starts_with('[') { text } else { trial };
        let kv = parse_edn_history(edn, true).is_ok_and(|p| !p.history.is_empty());
        Some(if kv { Format::KvEdn } else { Format::Edn })
    }
}

/// The first [`TRIAL_LINES`] non-blank whole lines of `text`.
fn first_lines(text: &str) -> &str {
    let text = &text[..floor_char_boundary(text, DETECT_PREFIX_BYTES)];
    let mut end = 0;
    let mut counted = 0;
    for line in text.split_inclusive('\n') {
        if !line.ends_with('\n') && end > 0 {
            break; // a line the prefix cut
        }
        end += line.len();
        counted += usize::from(!line.trim().is_empty());
        if counted == TRIAL_LINES {
            break;
        }
    }
    &text[..end]
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_told_from_its_first_lines() {
        let cases = [
            (
                "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n",
                Some(Format::Jsonl),
            ),
            (
                "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n",
                Some(Format::KvEdn),
            ),
            (
                "{:process 0, :type :invoke, :f :read, :value nil}\n",
                Some(Format::Edn),
            ),
            (
                "[{:process 0 :type :invoke :f :read :value nil}]",
                Some(Format::Edn),
            ),
            (
                "[{:process 0 :type :invoke :f :get :key 1 :value nil}]",
                Some(Format::KvEdn),
            ),
            (
                "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n",
                Some(Format::JepsenLog),
            ),
            (
                "2024-01-01 boot\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n",
                Some(Format::JepsenLog),
            ),
            ("hello", None),
            ("", None),
            ("\n\n", None),
            // Shape decides, so a mistake is named by the format's reader.
            ("{\"valeu\":1}\n", Some(Format::Jsonl)),
            (
                "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0 :f :read}\n",
                Some(Format::Edn),
            ),
            ("not json\n", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Format::detect(text), expected, "{text:?}");
        }
    }

    #[test]
    fn a_long_file_is_told_from_its_prefix_and_a_cut_line_is_left_out() {
        let line = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n";
        let long = line.repeat(5000);
        assert_eq!(Format::detect(&long), Some(Format::Jsonl));
        assert_eq!(
            Format::detect(&long[..DETECT_PREFIX_BYTES]),
            Some(Format::Jsonl)
        );
        assert_eq!(
            Format::detect(&long[..line.len() + 20]),
            Some(Format::Jsonl)
        );
    }
}

//! The history formats faultline reads, and one entry point to read any of them.

use crate::import::{parse_edn_history, parse_jepsen_log};
use crate::jsonl::parse_jsonl;
use crate::parsed::Parsed;
use crate::ParseError;
use std::fmt;
use std::str::FromStr;

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// faultline's own `history.jsonl`.
    Jsonl,
    /// Jepsen's log lines: `INFO  jepsen.util - <process>\t<type>\t<f>\t<value>`.
    JepsenLog,
    /// Jepsen/Knossos EDN: one operation map per line, or a vector of maps.
    Edn,
    /// EDN operation maps that each carry a `:key` (independent keys).
    KvEdn,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 4] = [Format::Jsonl, Format::JepsenLog, Format::Edn, Format::KvEdn];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::JepsenLog => "jepsen-log",
            Format::Edn => "edn",
            Format::KvEdn => "kv-edn",
        }
    }

    /// Reads a whole history in this format.
    pub fn parse(self, text: &str) -> Result<Parsed, ParseError> {
        match self {
            Format::Jsonl => parse_jsonl(text),
            Format::JepsenLog => parse_jepsen_log(text),
            Format::Edn => parse_edn_history(text, false),
            Format::KvEdn => parse_edn_history(text, true),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{s}`; choose one of {}", names.join(", "))
            })
    }
}

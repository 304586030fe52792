//! A history read from text, with what was tolerated on the way.

use crate::History;

impl Parsed {
    /// Drops client completions that no invocation precedes, with a
    /// warning each (they cannot be checked; Jepsen and Knossos skip them
    /// too). Fault markers of the nemesis need no invocation.
    pub fn drop_orphan_completions(&mut self) {
        let warnings = self.history.drop_orphan_completions();
        self.warnings.extend(warnings);
    }
}

/// A history read from text, with any warnings about what was skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// The events read.
    pub history: History,
    /// Things tolerated while reading (a truncated last line...).
    pub warnings: Vec<String>,
}

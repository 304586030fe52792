//! What every checker's answer says of itself: its verdict, the model it
//! judged against, why it could not decide, how results.json keeps it, and
//! its words (the same wherever they are printed: `check`, `analyze`, the
//! end of a test, JUnit). Each checker's folder implements it, in its
//! `words.rs`; [`crate::CheckedHistory`] is the one place that lists them.

use crate::words::Place;
use faultline_core::Validity;

/// A checker's answer.
pub trait Analysis: std::fmt::Debug + Send + Sync {
    /// The checker's name as results.json files it.
    fn checker_name(&self) -> &'static str;
    /// The verdict.
    fn valid(&self) -> Validity;
    /// The model judged against.
    fn model(&self) -> &str;
    /// Why the verdict is unknown, when it says.
    fn reason(&self) -> Option<&str>;
    /// The analysis as results.json holds it.
    fn to_json(&self) -> serde_json::Value;
    /// The verdict on `name` (a file, a run) and its explanation, one line
    /// each; `elapsed_ms`: how long the check took; `place` names an event.
    fn lines(&self, name: &str, elapsed_ms: f64, place: Place) -> Vec<String>;
    /// The verdict in one line, for JUnit and summaries.
    fn one_line(&self) -> String;
}

/// The shared parts of an analysis's trait implementation: every analysis
/// type has `valid`, `model` and `reason` fields and serialises whole.
macro_rules! analysis_fields {
    ($checker:expr) => {
        fn checker_name(&self) -> &'static str {
            $checker
        }

        fn valid(&self) -> faultline_core::Validity {
            self.valid
        }

        fn model(&self) -> &str {
            &self.model
        }

        fn reason(&self) -> Option<&str> {
            self.reason.as_deref()
        }

        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    };
}
pub(crate) use analysis_fields;

/// The whole trait implementation of an analysis whose one-line form is
/// `verdict (model): what was refuted`, and whose words a function
/// `lines_of(out, name, analysis, place)` in scope writes.
macro_rules! refuting_analysis {
    ($type:ty, $checker:expr) => {
        impl crate::Analysis for $type {
            crate::analysis::analysis_fields!($checker);

            fn lines(&self, name: &str, _elapsed_ms: f64, place: Place) -> Vec<String> {
                let mut out = Vec::new();
                lines_of(&mut out, name, self, place);
                out
            }

            fn one_line(&self) -> String {
                crate::words::refuted_line(self.valid, &self.model, &self.refuted_text())
            }
        }
    };
}
pub(crate) use refuting_analysis;

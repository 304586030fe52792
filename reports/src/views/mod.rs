//! Each checker's part of the page: what the story says of it, where its
//! first anomaly falls in time, the link after its verdict, its section,
//! and its anomalies on the store's index. One file per checker implements
//! [`CheckerView`]; [`view`] is the one place that lists them.

mod bank;
mod counter;
mod linearizable;
mod serializable;
mod set;
mod stream;
mod unique_ids;
mod watch;

use crate::explanation::Timing;
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::CheckedHistory;
use faultline_core::Validity;

/// A checker's answer as the page and the store's index show it.
pub(crate) trait CheckerView {
    /// What the story at the top of the checkers says of it (HTML).
    fn story_line(&self) -> String;
    /// Its explained anomalies, each placed when it was complete.
    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen>;
    /// After its verdict in the summary: how much was refuted, and a link
    /// to why (HTML; empty when valid).
    fn verdict_jump(&self) -> String;
    /// Its section of the page.
    fn explain(&self, body: &mut String, timing: &Timing);
    /// Its anomalies by kind, `lost ×3`, for the store's index.
    fn anomaly_labels(&self) -> Vec<String>;
}

/// The view of `checked`; `Err`: why nothing was checked.
pub(crate) fn view(checked: &CheckedHistory) -> Result<&dyn CheckerView, &str> {
    Ok(match checked {
        CheckedHistory::Linearizable(a) => a.as_ref(),
        CheckedHistory::Serializable(a) => a.as_ref(),
        CheckedHistory::Set(a) => a.as_ref(),
        CheckedHistory::Counter(a) => a.as_ref(),
        CheckedHistory::UniqueIds(a) => a.as_ref(),
        CheckedHistory::Bank(a) => a.as_ref(),
        CheckedHistory::Watch(a) => a.as_ref(),
        CheckedHistory::Stream(a) => a.as_ref(),
        CheckedHistory::Unchecked(reason) => return Err(reason),
    })
}

/// When an operation's anomaly was complete: at its completion, or its
/// invocation when it never completed.
pub(crate) fn seen_at(run: &RunData, invoke: usize) -> Option<f64> {
    run.op_invoked_at(invoke)
        .map(|op| if op.completed { op.end } else { op.start })
}

/// `undecided: why`.
pub(crate) fn undecided(reason: Option<&str>) -> String {
    reason.map_or("undecided".to_owned(), |r| {
        format!("undecided: {}", escape(r))
    })
}

/// ` what was refuted; see the things`, linking to the section `anchor`,
/// when the verdict is invalid.
fn jump(valid: Validity, refuted: &str, anchor: &str, things: &str) -> String {
    if valid != Validity::Invalid {
        return String::new();
    }
    format!(
        " {}; <a href=\"#{anchor}\">see the {things}</a>",
        escape(refuted)
    )
}

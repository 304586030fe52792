//! The stream checker's verdict explained on the page: the counts, then
//! each case in the words `check` prints, its operations linked to the
//! timeline, with the faults in force from the first to the last of them.
//! A lost message is placed in time at its acknowledgement, where it became
//! a promise, not where its loss was noticed.

use super::{jump, seen_at, undecided, CheckerView};
use crate::explanation::{list_with_more, meanings, scope, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::stream::{describe, Case, StreamAnalysis};
use faultline_core::Validity;
use std::fmt::Write;

/// Cases explained per kind before "show all".
const EXPLAINED: usize = 4;

/// What each kind of case means, for the page's list.
fn meaning(kind: &str) -> &'static str {
    match kind {
        "lost-write" => "acknowledged, at or below the highest offset a poll of its stream returned, and returned by no poll",
        "unseen" => "acknowledged, and missed by a read of its stream from the start begun after the acknowledgement",
        "vanished" => "returned by a poll, then missed by a read of its stream from the start begun after it was known",
        "inconsistent-offsets" => "two messages at one offset of a stream",
        "duplicate" => "one message at two offsets of a stream",
        "poll-skip" => "a consumer read two messages in turn with others between them in the log",
        "nonmonotonic-poll" => "a consumer read a message the log puts at or before one it had already read",
        "nonmonotonic-send" => "a producer's send was put at or before its previous one",
        "aborted-read" => "a poll returned a message whose send failed",
        _ => "a poll returned a message no one sent to its stream",
    }
}

fn explain_stream(body: &mut String, a: &StreamAnalysis, timing: &Timing) {
    scope(
        body,
        &format!(
            "{} sends ({} acknowledged) and {} polls reading {} messages in {} stream(s)",
            a.sent, a.acknowledged, a.polls, a.messages_read, a.streams
        ),
        "a log per stream: every acknowledged message kept at its one offset, read by every consumer in order and without gaps (Jepsen's Kafka checker)",
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if a.never_read > 0 {
        let _ = writeln!(
            body,
            "<p class=\"muted\">{} acknowledged message(s) were never read, and no read from the start began after them: nothing is claimed of them.</p>",
            a.never_read
        );
    }
    let found: Vec<_> = a.refuting().into_iter().chain(a.allowed()).collect();
    if found.is_empty() {
        return;
    }
    *body += "<div id=\"stream-cases\">\n";
    meanings(body, found.iter().map(|(kind, _)| (*kind, meaning(kind))));
    for (kind, cases) in found {
        let allowed = if a.refutes(kind) {
            ""
        } else {
            ", allowed: reads may lag"
        };
        let _ = writeln!(
            body,
            "<h4 id=\"stream-{kind}\">{kind} ({}{}{allowed})</h4>",
            cases.count,
            if cases.count as usize > cases.cases.len() {
                format!(", the first {} described", cases.cases.len())
            } else {
                String::new()
            }
        );
        list_with_more(body, &cases.cases, EXPLAINED, kind, |c| {
            case_story(kind, c, timing)
        });
    }
    *body += "</div>\n";
}

/// A case in `check`'s words, escaped, with each event a link and its
/// time, then the faults in force.
fn case_story(kind: &str, c: &Case, timing: &Timing) -> String {
    // Events stand in the words as markers until the words are escaped.
    let marker = |position: usize| format!("\u{1}{position}\u{1}");
    let words = escape(&describe(kind, c, &marker));
    let mut html = String::new();
    for (i, piece) in words.split('\u{1}').enumerate() {
        match piece.parse::<usize>() {
            Ok(position) if i % 2 == 1 => {
                let span = timing
                    .span(position)
                    .map_or(String::new(), |s| format!(" ({s})"));
                let _ = write!(html, "{}{span}", timing.link(position));
            }
            _ => html += piece,
        }
    }
    let from = [c.send, c.previous, c.witness].into_iter().flatten().min();
    if let (Some(from), Some(to)) = (from, c.witness) {
        let _ = write!(
            html,
            ". From the first to the last of these, {}",
            timing.under(from, to)
        );
    }
    html + "."
}

impl CheckerView for StreamAnalysis {
    fn story_line(&self) -> String {
        match self.valid {
            Validity::Valid => format!(
                "every acknowledged message kept and read in order, {} messages read by {} polls",
                self.messages_read, self.polls
            ),
            Validity::Unknown => undecided(self.reason.as_deref()),
            Validity::Invalid => format!(
                "<strong>{}</strong> of {} acknowledged messages (<a href=\"#stream-cases\">see the cases</a>)",
                escape(&self.refuted_text()),
                self.acknowledged
            ),
        }
    }

    /// Lost and unseen messages at their acknowledgement; the rest at the
    /// operation that shows them.
    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        self.refuting()
            .into_iter()
            .flat_map(|(kind, found)| found.cases.iter().map(move |c| (kind, c)))
            .filter_map(|(kind, c)| {
                let lost = matches!(kind, "lost-write" | "unseen");
                let invoke = if lost { c.send? } else { c.witness? };
                let stream = c
                    .key
                    .as_deref()
                    .map_or(String::new(), |k| format!(" of stream <code>{}</code>", escape(k)));
                let message = escape(&c.value.to_string());
                Some(FirstSeen {
                    at: seen_at(run, invoke)?,
                    invoke,
                    what: if lost {
                        format!("the acknowledgement of message <code>{message}</code>{stream}, later {kind}")
                    } else {
                        format!("the {kind} of message <code>{message}</code>{stream}")
                    },
                    checker: checker.to_owned(),
                })
            })
            .collect()
    }

    fn verdict_jump(&self) -> String {
        jump(self.valid, &self.refuted_text(), "stream-cases", "cases")
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_stream(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        self.refuting()
            .iter()
            .map(|(kind, found)| format!("{kind} ×{}", found.count))
            .collect()
    }
}

//! The stream checker's answer in words.

use super::{Case, StreamAnalysis, CASES_SHOWN};
use crate::analysis::refuting_analysis;
use crate::words::{and_more, of_key, verdict_line, Place};

refuting_analysis!(StreamAnalysis, crate::CheckSpec::STREAM);

fn lines_of(out: &mut Vec<String>, name: &str, a: &StreamAnalysis, place: Place) {
    let counts = format!(
        "{} sent, {} acknowledged, {} polls read {} messages, {} never read; {} stream(s)",
        a.sent, a.acknowledged, a.polls, a.messages_read, a.never_read, a.streams
    );
    out.push(verdict_line(
        name,
        a.valid,
        &a.refuted_text(),
        a.reason.as_deref(),
        &counts,
    ));
    for (kind, found) in a.refuting() {
        if let Some(case) = found.cases.first() {
            out.push(format!("  {kind}: {}", describe(kind, case, place)));
            and_more(out, found.count, CASES_SHOWN);
        }
    }
    for (kind, found) in a.allowed() {
        out.push(format!(
            "  allowed, as reads may lag: {} {kind} (the report describes them)",
            found.count
        ));
    }
}

/// One case in a sentence; `place` names its operations.
pub fn describe(kind: &str, c: &Case, place: Place) -> String {
    let at = |e: Option<usize>| e.map_or("an unknown point".to_owned(), place);
    let stream = of_key("in stream", c.key.as_deref());
    let offset = c.offsets.first().map_or("?", String::as_str);
    let others = |values: &[serde_json::Value]| {
        values
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let node = of_key("on", c.witness_node.as_deref());
    match kind {
        "lost-write" => format!(
            "{}{stream} at offset {offset}: sent at {}, acknowledged at {}; the poll at {}{node} read past it and no poll returned it",
            c.value, at(c.send), at(c.acknowledged), at(c.witness)
        ),
        "unseen" => format!(
            "{}{stream} at offset {offset}: sent at {}, acknowledged at {}; the read from the start at {}{node} did not return it, nor did any poll",
            c.value, at(c.send), at(c.acknowledged), at(c.witness)
        ),
        "vanished" => format!(
            "{}{stream} at offset {offset}: known from the operation at {}, yet the read from the start at {}{node}, begun after, did not return it",
            c.value, at(c.previous), at(c.witness)
        ),
        "inconsistent-offsets" => format!(
            "offset {offset}{stream} holds {} and {} (the second seen at {}{node})",
            c.value, others(&c.others), at(c.witness)
        ),
        "duplicate" => format!(
            "{}{stream} at offsets {} (the second seen at {}{node})",
            c.value, c.offsets.join(" and "), at(c.witness)
        ),
        "poll-skip" => format!(
            "the consumer's poll at {}{node}{stream} read offset {offset} straight after what it read at {}, skipping {} message(s): {}",
            at(c.witness), at(c.previous), c.others.len(), others(&c.others[..c.others.len().min(5)])
        ),
        "nonmonotonic-poll" => format!(
            "the consumer's poll at {}{node}{stream} read {} at offset {offset} after {} (read at {}), which the log puts after it",
            at(c.witness), c.value, others(&c.others), at(c.previous)
        ),
        "nonmonotonic-send" => format!(
            "the producer's send of {} at {}{node}{stream} was put at offset {offset}, at or before its previous send of {} (at {})",
            c.value, at(c.witness), others(&c.others), at(c.previous)
        ),
        "aborted-read" => format!(
            "{}{stream} was returned by the poll at {}{node}, though its send at {} failed",
            c.value, at(c.witness), at(c.send)
        ),
        _ => format!(
            "{}{stream} was returned by the poll at {}{node}, though no one sent it there",
            c.value, at(c.witness)
        ),
    }
}

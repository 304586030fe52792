//! The unique-ids checker's verdict explained on the page: the counts,
//! then each id handed out more than once with the operations given it,
//! when and where they ran, and the faults in force.

use super::{jump, seen_at, undecided, CheckerView};
use crate::explanation::{list_with_more, scope, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::unique_ids::{Duplicate, UniqueIdsAnalysis};
use faultline_core::Validity;
use std::fmt::Write;

/// Duplicates explained before "show all".
const EXPLAINED: usize = 4;

/// A unique-ids verdict explained.
fn explain_unique_ids(body: &mut String, a: &UniqueIdsAnalysis, timing: &Timing) {
    let range = a
        .range
        .map_or(String::new(), |(low, high)| format!(", ids {low}–{high}"));
    scope(
        body,
        &format!(
            "{} generates ({} acknowledged) of {} generator(s){range}",
            a.attempted, a.acknowledged, a.generators
        ),
        &format!(
            "{}: no id acknowledged to two operations of one generator",
            a.model
        ),
    );
    if let Some(reason) = &a.reason {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    if a.duplicates.is_empty() {
        return;
    }
    let _ = writeln!(
        body,
        "<h4 id=\"duplicate-ids\">{} id(s) handed out twice or more{}</h4>",
        a.duplicated,
        if a.duplicated as usize > a.duplicates.len() {
            format!(", the first {} described", a.duplicates.len())
        } else {
            String::new()
        }
    );
    list_with_more(body, &a.duplicates, EXPLAINED, "duplicated ids", |d| {
        duplicate_story(d, timing)
    });
}

fn duplicate_story(d: &Duplicate, timing: &Timing) -> String {
    let key = d.key.as_deref().map_or(String::new(), |k| {
        format!(" by generator <code>{}</code>", escape(k))
    });
    let operations: Vec<String> = d
        .operations
        .iter()
        .map(|&i| {
            let span = timing.span(i).map_or(String::new(), |s| format!(" ({s})"));
            format!("{}{span}", timing.link(i))
        })
        .collect();
    let (first, last) = (
        d.operations.first().copied().unwrap_or(0),
        d.operations.last().copied().unwrap_or(0),
    );
    format!(
        "The id <strong>{}</strong> was handed out{key} to {} operations: {}; {}.",
        escape(&d.id.to_string()),
        d.operations.len(),
        operations.join(", "),
        timing.under(first, last)
    )
}

impl CheckerView for UniqueIdsAnalysis {
    fn story_line(&self) -> String {
        unique_ids_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        unique_ids_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        jump(self.valid, &self.refuted_text(), "duplicate-ids", "ids")
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_unique_ids(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        (self.duplicated > 0)
            .then(|| format!("duplicated id ×{}", self.duplicated))
            .into_iter()
            .collect()
    }
}

/// A duplicated id is seen when its second operation returned.
fn unique_ids_firsts(checker: &str, a: &UniqueIdsAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.duplicates
        .iter()
        .filter_map(|d| {
            let second = *d.operations.get(1)?;
            Some(FirstSeen {
                at: seen_at(run, second)?,
                invoke: second,
                what: format!(
                    "the id {} was handed out a second time",
                    escape(&d.id.to_string())
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn unique_ids_line(a: &UniqueIdsAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("every id unique, {} acknowledged", a.acknowledged),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => format!(
            "<strong>{} of {} acknowledged</strong> (<a href=\"#duplicate-ids\">see the ids</a>)",
            escape(&a.refuted_text()),
            a.acknowledged
        ),
    }
}

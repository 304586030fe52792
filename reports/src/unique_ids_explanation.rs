//! The unique-ids checker's verdict explained on the page: the counts,
//! then each id handed out more than once with the operations given it,
//! when and where they ran, and the faults in force.

use crate::explanation::{list_with_more, scope, Timing};
use crate::html::escape;
use faultline_checkers::unique_ids::{Duplicate, UniqueIdsAnalysis};
use std::fmt::Write;

/// Duplicates explained before "show all".
const EXPLAINED: usize = 4;

/// A unique-ids verdict explained.
pub fn explain_unique_ids(body: &mut String, a: &UniqueIdsAnalysis, timing: &Timing) {
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

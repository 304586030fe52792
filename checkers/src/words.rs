//! The pieces every checker's words are made of: how an event is named,
//! and the shapes of a verdict line.

use faultline_core::Validity;

/// How an event is named: `line 132` of the history's file, or `event
/// 131` (its position) where the line is not known. The page names it the
/// same way.
pub type Place<'a> = &'a dyn Fn(usize) -> String;

/// An event named by its position alone.
pub fn by_position(position: usize) -> String {
    format!("event {position}")
}

/// An event of a run's own `history.jsonl`, one event a line.
pub fn run_line(position: usize) -> String {
    format!("line {}", position + 1)
}

/// `invalid (model): what was refuted`, or `valid (model)`.
pub(crate) fn refuted_line(valid: Validity, model: &str, refuted: &str) -> String {
    format!("{valid} ({model}){}", prefixed(": ", refuted))
}

/// `name: INVALID: what (counts)`, `name: unknown: why (counts)` or
/// `name: valid (counts)`.
pub(crate) fn verdict_line(
    name: &str,
    valid: Validity,
    refuted: &str,
    reason: Option<&str>,
    counts: &str,
) -> String {
    match valid {
        Validity::Invalid => format!("{name}: INVALID: {refuted} ({counts})"),
        Validity::Unknown => format!(
            "{name}: unknown: {} ({counts})",
            reason.unwrap_or("no verdict")
        ),
        Validity::Valid => format!("{name}: valid ({counts})"),
    }
}

/// After the first of `found` findings printed: how many more, and how
/// many of them the report describes.
pub(crate) fn and_more(out: &mut Vec<String>, found: u64, described: usize) {
    if found > 1 {
        out.push(format!(
            "  … and {} more (the report and results.json describe the first {described})",
            found - 1
        ));
    }
}

/// ` of k` (`word` and `value`), or nothing: a finding's key or node.
pub(crate) fn of_key(word: &str, value: Option<&str>) -> String {
    value.map_or(String::new(), |v| format!(" {word} {v}"))
}

/// `text` + `suffix`, or nothing when `text` is empty.
pub(crate) fn suffixed(text: &str, suffix: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}{suffix}")
    }
}

/// `prefix` + `text`, or nothing when `text` is empty.
pub(crate) fn prefixed(prefix: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{prefix}{text}")
    }
}

/// `1 op`, `65 ops`.
pub(crate) fn ops(n: usize) -> String {
    if n == 1 {
        "1 op".to_owned()
    } else {
        format!("{n} ops")
    }
}

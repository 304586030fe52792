//! Warnings about a history, said on stderr a bounded number at a time:
//! hundreds of lines about skipped events would bury the one error or
//! verdict that follows.

/// Warnings said in full; the rest are counted.
pub const SHOWN: usize = 10;

/// Prints `warnings` about `name`: the first [`SHOWN`], then how many more.
pub fn print(name: &str, warnings: &[String]) {
    for line in lines(name, warnings) {
        eprintln!("{line}");
    }
}

fn lines(name: &str, warnings: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = warnings
        .iter()
        .take(SHOWN)
        .map(|w| format!("warning: {name}: {w}"))
        .collect();
    if warnings.len() > SHOWN {
        lines.push(format!(
            "warning: {name}: … and {} more warnings like these",
            warnings.len() - SHOWN
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_first_few_warnings_are_counted() {
        let many: Vec<String> = (0..263).map(|i| format!("event {i} skipped")).collect();
        let said = lines("h.jsonl", &many);
        assert_eq!(said.len(), SHOWN + 1);
        assert_eq!(said[0], "warning: h.jsonl: event 0 skipped");
        assert_eq!(
            said[SHOWN],
            "warning: h.jsonl: … and 253 more warnings like these"
        );
        assert_eq!(lines("h.jsonl", &many[..3]).len(), 3);
    }
}

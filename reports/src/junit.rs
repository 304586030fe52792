//! JUnit XML for CI systems, and a JSON summary for other tools: one test
//! case per checked file or per checker of a run, a failure carrying the
//! anomaly summary and where the full report is.

use serde::Serialize;
use std::path::Path;

/// How one case ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseOutcome {
    /// Valid.
    Passed,
    /// Invalid: the promise was broken.
    Failed,
    /// Unknown, or the check could not run.
    Error,
}

/// One test case.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// What was checked (`etcd-register linearizable`, a file name).
    pub name: String,
    /// Groups cases (`faultline.check`, `faultline.test`).
    pub classname: String,
    /// Seconds it took.
    pub time_s: f64,
    /// How it ended.
    pub outcome: CaseOutcome,
    /// One line: the verdict and the anomalies.
    pub message: String,
    /// More: explanations, the report's path.
    pub details: String,
}

/// Writes `cases` as one JUnit test suite named `suite`.
pub fn write_junit(path: &Path, suite: &str, cases: &[Case]) -> std::io::Result<()> {
    let failures = cases
        .iter()
        .filter(|c| c.outcome == CaseOutcome::Failed)
        .count();
    let errors = cases
        .iter()
        .filter(|c| c.outcome == CaseOutcome::Error)
        .count();
    let time: f64 = cases.iter().map(|c| c.time_s).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!(
        "<testsuites name=\"faultline\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">\n",
        cases.len()
    );
    xml += &format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">\n",
        escape(suite),
        cases.len()
    );
    for case in cases {
        xml += &format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
            escape(&case.name),
            escape(&case.classname),
            case.time_s
        );
        let tag = match case.outcome {
            CaseOutcome::Passed => {
                xml += "/>\n";
                continue;
            }
            CaseOutcome::Failed => "failure",
            CaseOutcome::Error => "error",
        };
        xml += &format!(
            ">\n      <{tag} message=\"{}\">{}</{tag}>\n    </testcase>\n",
            escape(&case.message),
            escape(&case.details)
        );
    }
    xml += "  </testsuite>\n</testsuites>\n";
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, xml)
}

/// Writes `cases` as a JSON summary.
pub fn write_summary(path: &Path, cases: &[Case], exit_code: i32) -> std::io::Result<()> {
    let summary = serde_json::json!({ "exit_code": exit_code, "cases": cases });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        path,
        serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )
}

/// XML text and attribute escaping; control characters XML 1.0 forbids
/// are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}

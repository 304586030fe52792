//! `results.json`: what checking a run found, written and read through one
//! type by every command that makes or re-checks a run directory.

use crate::Validity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Client operations by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Took effect.
    pub ok: u64,
    /// Did not take effect.
    pub fail: u64,
    /// Unknown.
    pub info: u64,
}

/// A run's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// The merged verdict.
    pub valid: Validity,
    /// Per checker (`linearizable`, `serializable`), its whole analysis.
    #[serde(default)]
    pub checkers: BTreeMap<String, serde_json::Value>,
    /// Client operations by outcome.
    #[serde(default)]
    pub ops: OutcomeCounts,
    /// Nemesis actions completed.
    #[serde(default)]
    pub nemesis_events: u64,
    /// Milliseconds the check took.
    #[serde(default)]
    pub check_ms: f64,
    /// Seconds from the first event to the last (none for histories
    /// without times).
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// The harness's own failures during the run; any makes `valid`
    /// unknown.
    #[serde(default)]
    pub harness_failures: Vec<String>,
}

impl RunResults {
    /// Reads `<run_dir>/results.json`; `None` when it is missing or not
    /// results (a run that never got that far).
    pub fn read(run_dir: &Path) -> Option<RunResults> {
        let text = std::fs::read_to_string(run_dir.join("results.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes `<run_dir>/results.json`.
    pub fn write(&self, run_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(run_dir.join("results.json"), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_and_older_files_still_read() {
        let dir = std::env::temp_dir().join(format!("faultline-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let results = RunResults {
            valid: Validity::Unknown,
            checkers: BTreeMap::from([(
                "linearizable".to_owned(),
                serde_json::json!({"valid": true}),
            )]),
            ops: OutcomeCounts {
                ok: 3,
                fail: 1,
                info: 0,
            },
            nemesis_events: 2,
            check_ms: 1.5,
            duration_s: Some(4.0),
            harness_failures: vec!["the history could not be written".into()],
        };
        results.write(&dir).unwrap();
        assert_eq!(RunResults::read(&dir), Some(results));
        // Written before harness failures and nemesis counts existed.
        std::fs::write(
            dir.join("results.json"),
            r#"{"valid": false, "checkers": {}, "ops": {"ok": 1, "fail": 0, "info": 0}, "check_ms": 2.0, "duration_s": null}"#,
        )
        .unwrap();
        let old = RunResults::read(&dir).unwrap();
        assert_eq!(
            (old.valid, old.harness_failures.len()),
            (Validity::Invalid, 0)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

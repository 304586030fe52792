//! What a run directory says, typed: the part of `test.json` a page shows,
//! `results.json` as [`RunResults`], and each checker's analysis as the
//! checker's own type ([`CheckedHistory`]). Every page and the store's
//! index read a run through this, never through string keys.

use faultline_checkers::CheckedHistory;
use faultline_core::{Node, RunResults};
use serde::Deserialize;
use std::path::Path;

/// The part of `test.json` a page shows. Written by `test`, `demo` and
/// `check --report`; every field may be missing (a directory of another
/// version, a history checked by hand).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TestRecord {
    /// The test's name (`etcd-register`).
    pub name: Option<String>,
    /// register, append, wr, set or counter.
    pub workload: Option<String>,
    /// The nemesis's options, as the command line gave them.
    pub nemesis: NemesisRecord,
    /// The seed of the schedule.
    pub seed: Option<u64>,
    /// The command that started the run.
    pub command_line: Vec<String>,
    /// The nodes.
    pub nodes: Vec<Node>,
}

/// The nemesis's options in `test.json`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NemesisRecord {
    /// `--nemesis`'s words (`partition,kill`).
    pub faults: Option<String>,
}

/// A run directory, read.
#[derive(Debug, Default)]
pub struct RunRecord {
    /// From `test.json`.
    pub test: TestRecord,
    /// From `results.json`, when the run was checked.
    pub results: Option<RunResults>,
    /// Each checker's analysis, by checker name, in results.json's order.
    pub analyses: Vec<(String, CheckedHistory)>,
}

impl RunRecord {
    /// Reads `run_dir`'s `test.json` and `results.json` (either may be
    /// missing: the record says so by its empty fields).
    pub fn read(run_dir: &Path) -> RunRecord {
        let test = std::fs::read_to_string(run_dir.join("test.json"))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let results = RunResults::read(run_dir);
        let analyses = results
            .iter()
            .flat_map(|r| r.checkers.iter())
            .map(|(name, value)| (name.clone(), CheckedHistory::from_json(name, value)))
            .collect();
        RunRecord {
            test,
            results,
            analyses,
        }
    }

    /// The run's name for titles.
    pub fn name(&self) -> &str {
        self.test.name.as_deref().unwrap_or("faultline run")
    }
}

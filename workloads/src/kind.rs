//! Which workload a test runs: one name for it everywhere (command line,
//! test.json, TOML systems), parsed once.

use crate::Workload;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A workload. Its variants' docs are the command line's help for
/// `--workload`, so the list there is always this one.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// read / write / cas on independent keys, checked for linearizability.
    #[default]
    Register,
    /// Elle's list-append transactions, checked for serializability.
    Append,
    /// Elle's read-write register transactions, checked for serializability.
    Wr,
    /// Adds to shared sets and reads of them, checked with Jepsen's set-full.
    Set,
    /// Increments of shared counters and reads, checked with Jepsen's bounds.
    Counter,
    /// Acquire and release of shared locks, checked against the mutex model.
    Lock,
    /// Ids asked of shared generators, checked for duplicates.
    #[serde(rename = "unique-ids")]
    #[value(name = "unique-ids")]
    UniqueIds,
    /// Transfers between accounts and reads of every balance, checked with
    /// Jepsen's bank.
    Bank,
    /// Puts to shared keys and watches of them (etcd's), checked against
    /// etcd's watch guarantees.
    Watch,
    /// Sends to shared streams and polls of them, checked with Jepsen's
    /// Kafka checker (lost, unseen, skipped and reordered messages).
    Stream,
}

impl WorkloadKind {
    /// Every workload.
    pub const ALL: [WorkloadKind; 10] = [
        WorkloadKind::Register,
        WorkloadKind::Append,
        WorkloadKind::Wr,
        WorkloadKind::Set,
        WorkloadKind::Counter,
        WorkloadKind::Lock,
        WorkloadKind::UniqueIds,
        WorkloadKind::Bank,
        WorkloadKind::Watch,
        WorkloadKind::Stream,
    ];

    /// What it does, for the runner: the one place that lists every
    /// workload's implementation.
    pub fn workload(self) -> &'static dyn Workload {
        match self {
            WorkloadKind::Register => &crate::register::Register,
            WorkloadKind::Append => &crate::transactional::Append,
            WorkloadKind::Wr => &crate::transactional::Wr,
            WorkloadKind::Set => &crate::set::Set,
            WorkloadKind::Counter => &crate::counter::Counter,
            WorkloadKind::Lock => &crate::lock::Lock,
            WorkloadKind::UniqueIds => &crate::unique_ids::UniqueIds,
            WorkloadKind::Bank => &crate::bank::Bank,
            WorkloadKind::Watch => &crate::watch::Watch,
            WorkloadKind::Stream => &crate::stream::Stream,
        }
    }

    /// Its name on the command line and in test.json.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Register => "register",
            WorkloadKind::Append => "append",
            WorkloadKind::Wr => "wr",
            WorkloadKind::Set => "set",
            WorkloadKind::Counter => "counter",
            WorkloadKind::Lock => "lock",
            WorkloadKind::UniqueIds => "unique-ids",
            WorkloadKind::Bank => "bank",
            WorkloadKind::Watch => "watch",
            WorkloadKind::Stream => "stream",
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadKind {
    type Err = String;

    fn from_str(text: &str) -> Result<WorkloadKind, String> {
        WorkloadKind::ALL
            .into_iter()
            .find(|w| w.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = WorkloadKind::ALL.iter().map(|w| w.name()).collect();
                let (last, rest) = names.split_last().unwrap_or((&"", &[]));
                format!(
                    "unknown workload `{text}`; choose {} or {last}",
                    rest.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command line's names (and so its help) are the same as ours.
    #[test]
    fn the_command_lines_names_are_the_workloads_names() {
        use clap::ValueEnum;
        let names: Vec<String> = WorkloadKind::value_variants()
            .iter()
            .filter_map(|w| Some(w.to_possible_value()?.get_name().to_owned()))
            .collect();
        let ours: Vec<&str> = WorkloadKind::ALL.iter().map(|w| w.name()).collect();
        assert_eq!(names, ours);
    }

    #[test]
    fn names_round_trip_through_text_and_json() {
        for kind in WorkloadKind::ALL {
            assert_eq!(kind.name().parse(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<WorkloadKind>(&json).unwrap(), kind);
        }
        assert!("banks".parse::<WorkloadKind>().unwrap_err().contains(
            "register, append, wr, set, counter, lock, unique-ids, bank, watch or stream"
        ));
    }
}

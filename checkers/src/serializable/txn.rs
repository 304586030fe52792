//! Transactions as lists of micro-operations, read from a history whose
//! operations carry them as values: `[["append", "x", 1], ["r", "x", [1]]]`
//! (list-append) or `[["w", "x", 1], ["r", "x", 1]]` (rw-register), the
//! JSON form of Elle's `[[:append :x 1] [:r :x [1]]]`.

use faultline_core::{CheckError, History, Outcome, Process, Value};

/// Which kind of transactions a history holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `append k v` and `r k [v...]`: each read shows a prefix of the key's
    /// version order.
    ListAppend,
    /// `w k v` and `r k v`, every written value unique per key.
    RwRegister,
}

impl std::str::FromStr for Workload {
    type Err = String;

    fn from_str(text: &str) -> Result<Workload, String> {
        [Workload::ListAppend, Workload::RwRegister]
            .into_iter()
            .find(|w| w.name() == text)
            .ok_or_else(|| format!("unknown workload `{text}`; choose list-append or rw-register"))
    }
}

impl Workload {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::ListAppend => "list-append",
            Workload::RwRegister => "rw-register",
        }
    }
}

/// One micro-operation; keys are interned (see [`Txns::keys`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mop {
    /// Append `value` to the list at `key`.
    Append {
        /// The key.
        key: u32,
        /// The appended element.
        value: i64,
    },
    /// Write `value` to the register at `key`.
    Write {
        /// The key.
        key: u32,
        /// The written value.
        value: i64,
    },
    /// Read the list at `key` (`None`: result unknown).
    ReadList {
        /// The key.
        key: u32,
        /// What was read.
        values: Option<Vec<i64>>,
    },
    /// Read the register at `key` (`Some(None)`: read the initial nil;
    /// `None`: result unknown).
    ReadRegister {
        /// The key.
        key: u32,
        /// What was read.
        value: Option<Option<i64>>,
    },
}

impl Mop {
    /// The key it acts on.
    pub fn key(&self) -> u32 {
        match self {
            Mop::Append { key, .. }
            | Mop::Write { key, .. }
            | Mop::ReadList { key, .. }
            | Mop::ReadRegister { key, .. } => *key,
        }
    }
}

/// One transaction.
#[derive(Clone, Debug)]
pub struct Txn {
    /// Position of its invocation in the history (names it: `T12`).
    pub invoke: usize,
    /// Position of its completion, if it completed.
    pub complete: Option<usize>,
    /// Who ran it.
    pub process: Process,
    /// Committed, aborted, or unknown.
    pub outcome: Outcome,
    /// Its micro-operations, with read results when it committed.
    pub mops: Vec<Mop>,
    /// The node its client talked to, when recorded: an index into
    /// [`Txns::nodes`].
    pub node: Option<u16>,
}

/// The transactions of a history, in invocation order.
#[derive(Clone, Debug, Default)]
pub struct Txns {
    /// The transactions.
    pub txns: Vec<Txn>,
    /// Key names by interned number.
    pub keys: Vec<String>,
    /// Node names by interned number.
    pub nodes: Vec<String>,
}

/// Reads the transactions of `history`. Nemesis operations are skipped.
pub fn parse_txns(history: &History, workload: Workload) -> Result<Txns, CheckError> {
    let mut txns = Txns::default();
    let mut key_ids: ahash::AHashMap<String, u32> = ahash::AHashMap::new();
    for op in history.operations()? {
        if op.process == Process::Nemesis {
            continue;
        }
        let at = || match history.line_of(op.invoke) {
            Some(line) => format!("line {line}"),
            None => format!("event {}", op.invoke),
        };
        // A committed transaction's completion holds the read results. One
        // recorded without them (a client that answered `ok` alone) read
        // something nobody knows: its reads are unknown, never empty.
        let (source, reads_known) = match (op.outcome, op.output) {
            (Outcome::Ok, Some(output)) if !output.is_null() => (output, true),
            _ => (op.input, false),
        };
        let mops = parse_mops(source, workload, reads_known, &mut |name| {
            if let Some(&id) = key_ids.get(name) {
                return id;
            }
            let next = key_ids.len() as u32;
            key_ids.insert(name.to_owned(), next);
            next
        })
        .map_err(|message| CheckError::Operation { at: at(), message })?;
        // A cluster has a handful of nodes: a linear search is enough, and
        // past u16's range a node goes unnamed rather than misnamed.
        let node = op.node.and_then(|name| {
            let i = match txns.nodes.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    txns.nodes.push(name.to_owned());
                    txns.nodes.len() - 1
                }
            };
            u16::try_from(i).ok()
        });
        txns.txns.push(Txn {
            invoke: op.invoke,
            complete: op.complete,
            process: op.process,
            outcome: op.outcome,
            mops,
            node,
        });
    }
    txns.keys = vec![String::new(); key_ids.len()];
    for (name, id) in key_ids {
        txns.keys[id as usize] = name;
    }
    Ok(txns)
}

fn parse_mops(
    value: &Value,
    workload: Workload,
    committed: bool,
    intern: &mut dyn FnMut(&str) -> u32,
) -> Result<Vec<Mop>, String> {
    let example = match workload {
        Workload::ListAppend => r#"[["append", "x", 1], ["r", "x", [1]]]"#,
        Workload::RwRegister => r#"[["w", "x", 1], ["r", "x", 1]]"#,
    };
    let list = value.as_array().ok_or_else(|| {
        format!(
            "a {} transaction is a list of micro-operations such as {example}, not {value}",
            workload.name()
        )
    })?;
    let mut mops = Vec::with_capacity(list.len());
    for mop in list {
        let parts = mop.as_array().filter(|p| p.len() == 3).ok_or_else(|| {
            format!("a micro-operation is [f, key, value] as in {example}, not {mop}")
        })?;
        let f = parts[0].as_str().unwrap_or_default();
        let mut number = String::new();
        let key = match &parts[1] {
            Value::String(s) => s.as_str(),
            Value::Number(n) => {
                use std::fmt::Write;
                let _ = write!(number, "{n}");
                number.as_str()
            }
            other => return Err(format!("a key is a string or an integer, not {other}")),
        };
        let int = |v: &Value| {
            v.as_i64()
                .ok_or_else(|| format!("values must be integers, not {v} in {mop}"))
        };
        let key = intern(key);
        let parsed = match (workload, f) {
            (Workload::ListAppend, "append") => Mop::Append {
                key,
                value: int(&parts[2])?,
            },
            (Workload::RwRegister, "w" | "write") => Mop::Write {
                key,
                value: int(&parts[2])?,
            },
            (Workload::ListAppend, "r" | "read") => Mop::ReadList {
                key,
                values: match &parts[2] {
                    // A committed read of a missing key sees the empty list.
                    Value::Null if committed => Some(Vec::new()),
                    Value::Null => None,
                    Value::Array(items) => {
                        Some(items.iter().map(int).collect::<Result<Vec<_>, _>>()?)
                    }
                    other => return Err(format!("a list-append read returns a list, not {other}")),
                },
            },
            (Workload::RwRegister, "r" | "read") => Mop::ReadRegister {
                key,
                value: match &parts[2] {
                    Value::Null if committed => Some(None),
                    Value::Null => None,
                    v => Some(Some(int(v)?)),
                },
            },
            _ => {
                return Err(format!(
                    "unknown micro-operation `{f}` for {}: use {}",
                    workload.name(),
                    match workload {
                        Workload::ListAppend => "append and r",
                        Workload::RwRegister => "w and r",
                    }
                ))
            }
        };
        mops.push(parsed);
    }
    Ok(mops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::{Op, OpType};
    use serde_json::json;

    fn history(ops: Vec<Op>) -> History {
        History::from_events(ops)
    }

    #[test]
    fn a_committed_txn_recorded_without_its_reads_read_nothing_known() {
        let h = history(vec![
            Op::new(
                Process::Client(0),
                OpType::Invoke,
                "txn",
                json!([["r", "x", null], ["append", "x", 2]]),
            ),
            Op::new(Process::Client(0), OpType::Ok, "txn", json!(null)),
        ]);
        let txns = parse_txns(&h, Workload::ListAppend).unwrap();
        assert_eq!(txns.txns[0].outcome, Outcome::Ok);
        assert_eq!(
            txns.txns[0].mops,
            [
                Mop::ReadList {
                    key: 0,
                    values: None
                },
                Mop::Append { key: 0, value: 2 }
            ],
            "unknown, not the empty list"
        );
    }

    #[test]
    fn committed_reads_come_from_the_completion() {
        let h = history(vec![
            Op::new(
                Process::Client(0),
                OpType::Invoke,
                "txn",
                json!([["append", "x", 1], ["r", "x", null]]),
            ),
            Op::new(
                Process::Client(0),
                OpType::Ok,
                "txn",
                json!([["append", "x", 1], ["r", "x", [1]]]),
            ),
            Op::new(
                Process::Client(1),
                OpType::Invoke,
                "txn",
                json!([["r", 5, null]]),
            ),
            Op::new(Process::Client(1), OpType::Info, "txn", json!(null)),
        ]);
        let txns = parse_txns(&h, Workload::ListAppend).unwrap();
        assert_eq!(txns.keys, ["x", "5"]);
        assert_eq!(
            txns.txns[0].mops,
            [
                Mop::Append { key: 0, value: 1 },
                Mop::ReadList {
                    key: 0,
                    values: Some(vec![1])
                }
            ]
        );
        assert_eq!(
            txns.txns[1].mops,
            [Mop::ReadList {
                key: 1,
                values: None
            }]
        );
        assert_eq!(txns.txns[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn malformed_transactions_name_the_problem() {
        let bad = |value: Value, workload| {
            let h = history(vec![
                Op::new(Process::Client(0), OpType::Invoke, "txn", value.clone()),
                Op::new(Process::Client(0), OpType::Ok, "txn", value),
            ]);
            parse_txns(&h, workload).unwrap_err().to_string()
        };
        assert!(bad(json!(3), Workload::ListAppend).contains("list of micro-operations"));
        assert!(bad(json!([["w", "x", 1]]), Workload::ListAppend)
            .contains("unknown micro-operation `w`"));
        assert!(bad(json!([["append", "x", "a"]]), Workload::ListAppend).contains("integers"));
        assert!(bad(json!([["r", "x"]]), Workload::RwRegister).contains("[f, key, value]"));
    }
}

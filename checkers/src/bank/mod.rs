//! Bank: transfers between accounts and reads of every balance. Does every
//! read see the whole of each transfer or none of it?
//!
//! Jepsen's bank test (jepsen/src/jepsen/tests/bank.clj, `check-op` and
//! `checker`): each acknowledged read is checked on its own; it is bad if
//! it holds an account the bank does not have or lacks one
//! (`:unexpected-key`, `:nil-balance`), if its balances do not sum to the
//! bank's total (`:wrong-total`: money created or destroyed, so some read
//! saw part of a transfer, or a transfer was applied in part or twice), or
//! if a balance is negative (`:negative-value`: transfers refuse to
//! overdraw, so one must have acted on a stale balance). Transfers are not
//! checked themselves: fail, info and pending ones carry nothing to judge,
//! and their effects show in the reads. Each key is a bank of its own. A
//! read is an array of balances in account order (faultline's clients) or
//! a map from account to balance (Jepsen's).

use faultline_core::{CheckError, History, Outcome, Process, Validity, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bad reads described in full (the counts are exact).
pub const BAD_READS_SHOWN: usize = 32;

/// What a bad read got wrong (Jepsen's error types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BankError {
    /// The balances do not sum to the bank's total.
    WrongTotal,
    /// A balance below zero.
    NegativeValue,
    /// An account missing or without a balance (a null).
    NilBalance,
    /// More accounts than the bank has.
    UnexpectedKey,
}

impl BankError {
    /// Its name in results and reports.
    pub fn name(self) -> &'static str {
        match self {
            BankError::WrongTotal => "wrong-total",
            BankError::NegativeValue => "negative-value",
            BankError::NilBalance => "nil-balance",
            BankError::UnexpectedKey => "unexpected-key",
        }
    }

    /// What it means, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            BankError::WrongTotal => "the balances do not sum to the total: the read saw part of a transfer, or a transfer was applied in part or twice",
            BankError::NegativeValue => "a balance is below zero: a transfer overdrew an account it read a stale balance of",
            BankError::NilBalance => "an account the bank has is missing from the read",
            BankError::UnexpectedKey => "the read holds more accounts than the bank has",
        }
    }
}

/// The bank checker's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankAnalysis {
    /// The verdict.
    pub valid: Validity,
    /// `bank`.
    pub model: String,
    /// Accounts in each bank.
    pub accounts: usize,
    /// What each bank's balances must sum to.
    pub total: i64,
    /// Banks checked (keys; one when the history has no keys).
    pub banks: usize,
    /// Reads acknowledged, each checked.
    pub reads: u64,
    /// Transfers acknowledged.
    pub transfers_ok: u64,
    /// Transfers that certainly did not apply (refused, conflicted).
    pub transfers_failed: u64,
    /// Transfers whose outcome is unknown (info or pending).
    pub transfers_unknown: u64,
    /// Reads with at least one error.
    pub bad_reads: u64,
    /// Bad reads per error.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<BankError, u64>,
    /// The first [`BAD_READS_SHOWN`] bad reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<BadRead>,
    /// The lowest and highest total any acknowledged read summed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<(i64, i64)>,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A read that broke the bank's rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BadRead {
    /// The bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The read's invocation (event index: the timeline's `#event-N`).
    pub operation: usize,
    /// The node it read from, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The balances it returned.
    pub balances: Value,
    /// Their sum (nulls left out).
    pub total: i64,
    /// What it got wrong.
    pub errors: Vec<BankError>,
}

impl BankAnalysis {
    /// `3 reads broke the bank (2 wrong-total, 1 negative-value)`, or empty.
    pub fn refuted_text(&self) -> String {
        if self.bad_reads == 0 {
            return String::new();
        }
        let kinds: Vec<String> = self
            .errors
            .iter()
            .map(|(e, n)| format!("{n} {}", e.name()))
            .collect();
        let reads = if self.bad_reads == 1 { "read" } else { "reads" };
        format!(
            "{} {reads} broke the bank ({})",
            self.bad_reads,
            kinds.join(", ")
        )
    }
}

/// What is wrong with `balances`, a read of a bank of `accounts` that
/// must sum to `total`; and their sum.
pub fn read_errors(balances: &[Value], accounts: usize, total: i64) -> (Vec<BankError>, i64) {
    let mut errors = Vec::new();
    if balances.len() > accounts {
        errors.push(BankError::UnexpectedKey);
    }
    let numbers: Vec<Option<i64>> = balances.iter().map(Value::as_i64).collect();
    if balances.len() < accounts || numbers.iter().any(Option::is_none) {
        errors.push(BankError::NilBalance);
    }
    let sum: i64 = numbers.iter().flatten().sum();
    if sum != total {
        errors.push(BankError::WrongTotal);
    }
    if numbers.iter().flatten().any(|&b| b < 0) {
        errors.push(BankError::NegativeValue);
    }
    errors.sort_unstable();
    (errors, sum)
}

/// A read's balances in account order: an array as it is; a map from
/// account number to balance (Jepsen's reads: `{0 10, 1 20}`) laid out
/// by account, `null` where one is missing, and any key that is no
/// account of a bank of `accounts` placed after them. `None` for anything
/// else.
fn by_account(read: &Value, accounts: usize) -> Option<Vec<Value>> {
    match read {
        Value::Array(balances) => Some(balances.clone()),
        Value::Object(map) => {
            let mut balances = vec![Value::Null; accounts];
            for (account, balance) in map {
                match account.parse::<usize>() {
                    Ok(i) if i < accounts => balances[i] = balance.clone(),
                    _ => balances.push(balance.clone()),
                }
            }
            Some(balances)
        }
        _ => None,
    }
}

/// Checks the reads and transfers of `history`, banks of `accounts`
/// accounts whose balances sum to `total`.
pub fn check(history: &History, accounts: usize, total: i64) -> Result<BankAnalysis, CheckError> {
    let operations = history.operations()?;
    let at = |invoke: usize| match history.line_of(invoke) {
        Some(line) => format!("line {line}"),
        None => format!("event {invoke}"),
    };
    let mut analysis = BankAnalysis {
        valid: Validity::Valid,
        model: "bank".into(),
        accounts,
        total,
        banks: 0,
        reads: 0,
        transfers_ok: 0,
        transfers_failed: 0,
        transfers_unknown: 0,
        bad_reads: 0,
        errors: BTreeMap::new(),
        examples: Vec::new(),
        totals: None,
        reason: None,
    };
    let mut banks: BTreeMap<Option<&str>, ()> = BTreeMap::new();
    for op in &operations {
        if op.process == Process::Nemesis {
            continue;
        }
        banks.insert(op.key, ());
        match (op.f, op.outcome) {
            ("transfer", Outcome::Ok) => analysis.transfers_ok += 1,
            ("transfer", Outcome::Fail) => analysis.transfers_failed += 1,
            ("transfer", Outcome::Unknown) => analysis.transfers_unknown += 1,
            ("read", Outcome::Ok) => {
                let Some(balances) = op.output.and_then(|v| by_account(v, accounts)) else {
                    return Err(CheckError::Operation {
                        at: at(op.invoke),
                        message: "an ok bank read must return the balances as an array, one per account, or a map from account to balance; a client that cannot say should answer info".into(),
                    });
                };
                analysis.reads += 1;
                let (errors, sum) = read_errors(&balances, accounts, total);
                analysis.totals = Some(match analysis.totals {
                    Some((low, high)) => (low.min(sum), high.max(sum)),
                    None => (sum, sum),
                });
                if errors.is_empty() {
                    continue;
                }
                analysis.bad_reads += 1;
                for e in &errors {
                    *analysis.errors.entry(*e).or_default() += 1;
                }
                if analysis.examples.len() < BAD_READS_SHOWN {
                    analysis.examples.push(BadRead {
                        key: op.key.map(str::to_owned),
                        operation: op.invoke,
                        node: op.node.map(str::to_owned),
                        balances: op.output.cloned().unwrap_or_default(),
                        total: sum,
                        errors,
                    });
                }
            }
            ("read", _) => {}
            (other, _) => {
                return Err(CheckError::Operation {
                    at: at(op.invoke),
                    message: format!("the bank checker knows `read` and `transfer`, not `{other}`; check this history with the checker its workload needs"),
                })
            }
        }
    }
    analysis.banks = banks.len().max(1);
    if analysis.bad_reads > 0 {
        analysis.valid = Validity::Invalid;
    } else if analysis.reads == 0 {
        analysis.valid = Validity::Unknown;
        analysis.reason = Some("no read was acknowledged, so no balance was checked".into());
    }
    Ok(analysis)
}

#[cfg(test)]
mod tests;
mod words;

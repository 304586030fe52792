//! The bank workload: transfers between the accounts of a bank and reads
//! of every balance; checked with Jepsen's bank checker (every read sums
//! to the total, none negative). Each group of `processes_per_key`
//! processes shares a bank for the whole run.
//!
//! The protocol every client follows: a bank (the operation's key) has
//! [`BANK_ACCOUNTS`] accounts, numbered from 0, and an account never
//! written holds [`INITIAL_BALANCE`], so a fresh bank needs no set-up. A
//! `transfer` of `{"from": a, "to": b, "amount": n}` moves `n` from `a` to
//! `b` atomically, or fails (changing nothing) when `a` holds less than
//! `n`; a `read` returns every balance, `[b0, b1, ...]`, read atomically.

use crate::workload::{Independent, Keyed, RunShape, Workload, WorkloadRun};
use crate::Planned;
use faultline_checkers::{CheckSpec, Promise};
use faultline_core::{Rng, Value};
use serde_json::json;

/// Accounts in each bank.
pub const BANK_ACCOUNTS: u64 = 5;

/// What an account never written holds.
pub const INITIAL_BALANCE: i64 = 10;

/// What a bank's balances always sum to.
pub const BANK_TOTAL: i64 = BANK_ACCOUNTS as i64 * INITIAL_BALANCE;

/// The largest amount moved at once.
const MAX_AMOUNT: u64 = 5;

/// One read in this many operations; the rest are transfers.
const READ_EVERY: u64 = 4;

/// How the bank workload is shaped.
#[derive(Clone, Debug)]
pub struct BankWorkload {
    /// Processes that share a bank.
    pub processes_per_key: u64,
}

impl BankWorkload {
    /// The next operation of `worker`, from its own random stream.
    pub fn next(&self, worker: u64, rng: &mut Rng) -> Planned {
        let key = Some(format!("b{}", worker / self.processes_per_key.max(1)));
        if rng.below(READ_EVERY) == 0 {
            return Planned {
                f: "read",
                key,
                value: Value::Null,
            };
        }
        let from = rng.below(BANK_ACCOUNTS);
        // Any other account: never a transfer to itself.
        let to = (from + 1 + rng.below(BANK_ACCOUNTS - 1)) % BANK_ACCOUNTS;
        Planned {
            f: "transfer",
            key,
            value: json!({ "from": from, "to": to, "amount": 1 + rng.below(MAX_AMOUNT) }),
        }
    }
}

/// Why a client refuses a transfer [`transfer_parts`] cannot read.
pub const MALFORMED_TRANSFER: &str =
    "a transfer needs {\"from\", \"to\", \"amount\"} of two accounts and a positive amount";

/// A transfer's accounts and amount, read from its value: `None` when it
/// is not `{"from", "to", "amount"}` with accounts of a bank and a
/// positive amount.
pub fn transfer_parts(value: &Value) -> Option<(u64, u64, i64)> {
    let from = value.get("from")?.as_u64()?;
    let to = value.get("to")?.as_u64()?;
    let amount = value.get("amount")?.as_i64()?;
    (from < BANK_ACCOUNTS && to < BANK_ACCOUNTS && from != to && amount > 0)
        .then_some((from, to, amount))
}

/// The bank workload in the registry.
pub struct Bank;

impl Workload for Bank {
    fn start(&self, shape: &RunShape) -> Box<dyn WorkloadRun> {
        Box::new(Independent::new(*shape, |shape, worker| {
            let workload = BankWorkload {
                processes_per_key: shape.processes_per_key,
            };
            Box::new(Keyed(move |_, rng: &mut Rng| workload.next(worker, rng)))
        }))
    }

    /// Jepsen's bank: every read sums to the total.
    fn check_spec(&self, _promise: Promise) -> CheckSpec {
        CheckSpec::Bank {
            accounts: BANK_ACCOUNTS as usize,
            total: BANK_TOTAL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_move_money_between_two_accounts_of_the_groups_bank() {
        let w = BankWorkload {
            processes_per_key: 4,
        };
        let mut rng = Rng::new(9);
        let ops: Vec<Planned> = (0..400).map(|_| w.next(5, &mut rng)).collect();
        assert!(ops.iter().all(|op| op.key.as_deref() == Some("b1")));
        let transfers: Vec<&Planned> = ops.iter().filter(|op| op.f == "transfer").collect();
        assert!((250..350).contains(&transfers.len()), "{}", transfers.len());
        for t in &transfers {
            let (from, to, amount) = transfer_parts(&t.value).expect("a well-formed transfer");
            assert_ne!(from, to);
            assert!((1..=MAX_AMOUNT as i64).contains(&amount));
        }
        let used: std::collections::BTreeSet<u64> = transfers
            .iter()
            .filter_map(|t| transfer_parts(&t.value))
            .map(|(from, _, _)| from)
            .collect();
        assert_eq!(used.len() as u64, BANK_ACCOUNTS, "every account pays");
    }

    #[test]
    fn malformed_transfers_are_refused() {
        for bad in [
            json!({"from": 0, "to": 0, "amount": 1}),
            json!({"from": 0, "to": 9, "amount": 1}),
            json!({"from": 0, "to": 1, "amount": 0}),
            json!({"from": 0, "to": 1}),
            json!(3),
        ] {
            assert_eq!(transfer_parts(&bad), None, "{bad}");
        }
        assert_eq!(
            transfer_parts(&json!({"from": 4, "to": 1, "amount": 2})),
            Some((4, 1, 2))
        );
    }
}

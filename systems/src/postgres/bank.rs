//! Banks in PostgreSQL: a row per account in `accounts (bank, account,
//! balance)`, absent until first written (holding the initial balance). A
//! transfer is one transaction at the run's isolation: it selects both
//! balances, refuses an overdraft, and upserts both; so at read committed
//! two transfers may read the same balance and one overwrite the other
//! (a lost update: money made or lost), which repeatable read and
//! serializable refuse (PostgreSQL 15 manual, 13.2 "Transaction
//! Isolation"). A read is one statement: one snapshot at any level.

use super::client::{Param, PostgresClient};
use crate::failure::Failure;
use faultline_core::{Completion, Value};
use faultline_workloads::{transfer_parts, BANK_ACCOUNTS, INITIAL_BALANCE, MALFORMED_TRANSFER};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_postgres::types::Type;

impl PostgresClient {
    /// Moves money between two accounts of `bank`.
    pub(super) async fn transfer(&self, bank: &str, value: &Value) -> Completion {
        let Some((from, to, amount)) = transfer_parts(value) else {
            return Completion::fail(value.clone(), MALFORMED_TRANSFER);
        };
        let client = match self.checkout(&self.primary).await {
            Ok(client) => client,
            Err(e) => return Self::completion(Err(e), value.clone()),
        };
        let committing = AtomicBool::new(false);
        let work = transfer_in(&client, bank, [from as i64, to as i64], amount, &committing);
        let outcome = tokio::time::timeout(self.timeout, work).await;
        let outcome = self
            .settle(&self.primary, client, outcome, committing.into_inner())
            .await;
        match outcome {
            Ok(true) => Completion::ok(value.clone()),
            Ok(false) => Completion::fail(value.clone(), "insufficient funds"),
            Err(e) => Self::completion(Err(e), value.clone()),
        }
    }

    /// Every balance of `bank`.
    pub(super) async fn read_bank(&self, bank: &str) -> Completion {
        let at = self.reader();
        let client = match self.checkout(at).await {
            Ok(client) => client,
            Err(e) => return Self::completion(Err(e), Value::Null),
        };
        let outcome = tokio::time::timeout(self.timeout, balances_of(&client, bank)).await;
        let outcome: Result<Value, Failure> = self.settle(at, client, outcome, false).await;
        Self::completion(outcome, Value::Null)
    }
}

/// The transfer's transaction: whether it committed (false: the payer
/// had too little, and it rolled back).
async fn transfer_in(
    client: &tokio_postgres::Client,
    bank: &str,
    [from, to]: [i64; 2],
    amount: i64,
    committing: &AtomicBool,
) -> Result<bool, tokio_postgres::Error> {
    client.batch_execute("BEGIN").await?;
    let b = || -> Param { (&bank, Type::TEXT) };
    let rows = client
        .query_typed(
            "SELECT account, balance FROM accounts WHERE bank = $1 AND account IN ($2, $3)",
            &[b(), (&from, Type::INT8), (&to, Type::INT8)],
        )
        .await?;
    let (mut payer, mut payee) = (INITIAL_BALANCE, INITIAL_BALANCE);
    for row in rows {
        let (account, balance): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if account == from {
            payer = balance;
        } else {
            payee = balance;
        }
    }
    if payer < amount {
        client.batch_execute("ROLLBACK").await?;
        return Ok(false);
    }
    let (paid, received) = (payer - amount, payee + amount);
    client
        .query_typed(
            "INSERT INTO accounts (bank, account, balance) VALUES ($1, $2, $3), ($1, $4, $5) \
             ON CONFLICT (bank, account) DO UPDATE SET balance = EXCLUDED.balance",
            &[
                b(),
                (&from, Type::INT8),
                (&paid, Type::INT8),
                (&to, Type::INT8),
                (&received, Type::INT8),
            ],
        )
        .await?;
    committing.store(true, Ordering::Relaxed);
    client.batch_execute("COMMIT").await?;
    Ok(true)
}

/// Every balance of `bank`, in one statement.
async fn balances_of(
    client: &tokio_postgres::Client,
    bank: &str,
) -> Result<Value, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT account, balance FROM accounts WHERE bank = $1",
            &[(&bank, Type::TEXT)],
        )
        .await?;
    let mut balances = vec![json!(INITIAL_BALANCE); BANK_ACCOUNTS as usize];
    for row in rows {
        let (account, balance): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        match balances.get_mut(account as usize) {
            Some(slot) => *slot = json!(balance),
            // An account the bank does not have: shown, for the checker.
            None => balances.push(json!(balance)),
        }
    }
    Ok(Value::Array(balances))
}

//! Banks in Redis: a string key per account (`<run><bank>/<account>`),
//! absent until first written (holding the initial balance). A transfer
//! is one Lua script, which Redis runs as one step with nothing of
//! another client's in between (Redis documentation, "Scripting with
//! Lua": "Redis guarantees the script's atomic execution"), and which
//! replicas receive whole; a read is one `MGET`, likewise atomic.

use super::RedisClient;
use crate::failure::{read_completion, write_completion};
use faultline_core::{Completion, Value};
use faultline_workloads::{transfer_parts, BANK_ACCOUNTS, INITIAL_BALANCE, MALFORMED_TRANSFER};
use serde_json::json;

/// KEYS: payer, payee; ARGV: amount, the initial balance. 1 when it
/// moved the money, 0 when the payer had too little.
const TRANSFER: &str = "\
local payer = tonumber(redis.call('GET', KEYS[1]) or ARGV[2])
local payee = tonumber(redis.call('GET', KEYS[2]) or ARGV[2])
local amount = tonumber(ARGV[1])
if payer < amount then return 0 end
redis.call('SET', KEYS[1], payer - amount)
redis.call('SET', KEYS[2], payee + amount)
return 1";

impl RedisClient {
    /// Moves money between two accounts of `bank`.
    pub(super) async fn transfer(&self, bank: &str, value: &Value) -> Completion {
        let Some((from, to, amount)) = transfer_parts(value) else {
            return Completion::fail(value.clone(), MALFORMED_TRANSFER);
        };
        let cmd = redis::cmd("EVAL")
            .arg(TRANSFER)
            .arg(2)
            .arg(self.key(&format!("{bank}/{from}")))
            .arg(self.key(&format!("{bank}/{to}")))
            .arg(amount)
            .arg(INITIAL_BALANCE)
            .clone();
        let moved = self
            .query::<i64>(&self.primary, &cmd)
            .await
            .map(|done| done == 1);
        write_completion(moved, value.clone(), "insufficient funds")
    }

    /// Every balance of `bank`, in one `MGET`.
    pub(super) async fn read_bank(&self, bank: &str) -> Completion {
        let from = self.reads.as_ref().unwrap_or(&self.primary);
        let mut cmd = redis::cmd("MGET");
        for account in 0..BANK_ACCOUNTS {
            cmd.arg(self.key(&format!("{bank}/{account}")));
        }
        let read = self
            .query::<Vec<Option<i64>>>(from, &cmd)
            .await
            .map(|balances| {
                json!(balances
                    .into_iter()
                    .map(|b| b.unwrap_or(INITIAL_BALANCE))
                    .collect::<Vec<i64>>())
            });
        read_completion(read)
    }
}

//! Banks in etcd: one key per account under the bank's prefix
//! (`<run>/<bank>/<account>`), absent until first written (holding the
//! initial balance). A read is one range request over the prefix, so it
//! sees one revision; a transfer reads the bank, then writes both
//! balances in a transaction that holds only if neither account changed
//! since (or is still absent), so that it applies whole or not at all.

use super::set::prefix_end;
use super::EtcdClient;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use faultline_core::{Completion, OpType, Value};
use faultline_workloads::{transfer_parts, BANK_ACCOUNTS, INITIAL_BALANCE, MALFORMED_TRANSFER};
use serde_json::json;

/// An account as the range found it: its balance, and the compare that
/// holds while it is unchanged.
struct Account {
    balance: i64,
    unchanged: Value,
}

impl EtcdClient {
    /// Every balance of `bank`.
    pub(super) async fn read_bank(&self, bank: &str) -> Completion {
        match self.accounts(bank, self.serializable_reads).await {
            Ok(accounts) => Completion::ok(json!(accounts
                .iter()
                .map(|a| a.balance)
                .collect::<Vec<i64>>())),
            Err(c) => c,
        }
    }

    /// Moves money between two accounts of `bank`.
    pub(super) async fn transfer(&self, bank: &str, value: &Value) -> Completion {
        let Some((from, to, amount)) = transfer_parts(value) else {
            return Completion::fail(value.clone(), MALFORMED_TRANSFER);
        };
        // Always a linearizable read: the compare below must see the latest.
        let accounts = match self.accounts(bank, false).await {
            Ok(accounts) => accounts,
            Err(c) => {
                return Completion {
                    value: value.clone(),
                    ..c
                }
            }
        };
        let (payer, payee) = (&accounts[from as usize], &accounts[to as usize]);
        if payer.balance < amount {
            return Completion::fail(value.clone(), "insufficient funds");
        }
        let put = |account: u64, balance: i64| {
            json!({ "request_put": {
                "key": self.stored(&format!("{bank}/{account}")),
                "value": B64.encode(balance.to_string()),
            } })
        };
        let body = json!({
            "compare": [payer.unchanged, payee.unchanged],
            "success": [put(from, payer.balance - amount), put(to, payee.balance + amount)],
            "failure": [],
        });
        match self.post("/v3/kv/txn", body, value).await {
            Ok(reply) if reply["succeeded"] == json!(true) => Completion::ok(value.clone()),
            // The compare failed: another transfer changed an account first.
            Ok(reply) if reply.get("header").is_some() => {
                Completion::fail(value.clone(), "an account changed since it was read")
            }
            Ok(reply) => Completion::info(value.clone(), format!("unexpected reply {reply}")),
            Err(c) => c,
        }
    }

    /// The accounts of `bank`, read in one range request.
    async fn accounts(&self, bank: &str, serializable: bool) -> Result<Vec<Account>, Completion> {
        let prefix = self.stored_raw(&format!("{bank}/"));
        let mut body = json!({
            "key": B64.encode(&prefix),
            "range_end": B64.encode(prefix_end(&prefix)),
        });
        if serializable {
            body["serializable"] = json!(true);
        }
        let reply = match self.post("/v3/kv/range", body, &Value::Null).await {
            Ok(reply) => reply,
            // A read that did not return changes nothing.
            Err(c) => {
                return Err(Completion {
                    kind: OpType::Fail,
                    ..c
                })
            }
        };
        accounts_of(&reply["kvs"], &prefix, |account| {
            self.stored(&format!("{bank}/{account}"))
        })
        .map_err(|e| Completion::info(Value::Null, e))
    }
}

/// The bank's accounts from a range reply's key-value pairs under
/// `prefix`; `stored` names an account's key as the compare wants it.
fn accounts_of(
    kvs: &Value,
    prefix: &str,
    stored: impl Fn(u64) -> String,
) -> Result<Vec<Account>, String> {
    let mut accounts: Vec<Account> = (0..BANK_ACCOUNTS)
        .map(|account| Account {
            balance: INITIAL_BALANCE,
            unchanged: json!({ "key": stored(account), "target": "CREATE", "result": "EQUAL", "create_revision": "0" }),
        })
        .collect();
    for kv in kvs.as_array().into_iter().flatten() {
        let decode = |field: &str| {
            B64.decode(kv[field].as_str().unwrap_or(""))
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| format!("bad base64 in reply: {e}"))
        };
        let key = decode("key")?;
        let account = key
            .strip_prefix(prefix)
            .and_then(|a| a.parse::<u64>().ok())
            .filter(|&a| a < BANK_ACCOUNTS)
            .ok_or_else(|| {
                format!("the range returned `{key}`, no account of the bank `{prefix}`")
            })?;
        let text = decode("value")?;
        let balance = text
            .parse()
            .map_err(|_| format!("the account `{key}` holds `{text}`, not a balance"))?;
        accounts[account as usize] = Account {
            balance,
            unchanged: json!({ "key": stored(account), "target": "MOD", "result": "EQUAL", "mod_revision": kv["mod_revision"] }),
        };
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_accounts_hold_the_initial_balance_and_must_stay_absent() {
        let kvs = json!([
            { "key": B64.encode("r/b0/2"), "value": B64.encode("7"), "mod_revision": "41" },
        ]);
        let accounts = accounts_of(&kvs, "r/b0/", |a| format!("k{a}")).unwrap();
        let balances: Vec<i64> = accounts.iter().map(|a| a.balance).collect();
        assert_eq!(balances, vec![10, 10, 7, 10, 10]);
        assert_eq!(accounts[2].unchanged["mod_revision"], "41");
        assert_eq!(accounts[0].unchanged["create_revision"], "0");
        assert_eq!(accounts[0].unchanged["key"], "k0");
    }

    #[test]
    fn strays_and_garbage_are_errors() {
        let stray = json!([{ "key": B64.encode("r/b0/9"), "value": B64.encode("1") }]);
        assert!(accounts_of(&stray, "r/b0/", |a| a.to_string())
            .err()
            .unwrap()
            .contains("no account"));
        let garbage = json!([{ "key": B64.encode("r/b0/1"), "value": B64.encode("x") }]);
        assert!(accounts_of(&garbage, "r/b0/", |a| a.to_string())
            .err()
            .unwrap()
            .contains("not a balance"));
    }
}

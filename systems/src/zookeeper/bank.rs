//! Banks in ZooKeeper: one znode per bank holding every balance as JSON
//! (`[b0, b1, ...]`), absent until the first transfer (every account at
//! the initial balance). ZooKeeper has no transaction that reads, so a
//! read of one znode is the only read that sees every balance at once; a
//! transfer reads the balances with their version and sets them at that
//! version (ZooKeeper's conditional setData), so it applies whole and
//! only to what it read, or not at all. Reads are synced first unless
//! `--reads local`; a local read may be old, but it is still one whole
//! bank, so the bank checker holds either way.

use super::client::{classify, parse, persistent};
use super::{ZookeeperClient, ZookeeperReads};
use crate::failure::{read_completion, Failure};
use faultline_core::{Completion, Value};
use faultline_workloads::{transfer_parts, BANK_ACCOUNTS, INITIAL_BALANCE, MALFORMED_TRANSFER};
use serde_json::json;
use zookeeper_client as zk;

/// A bank never written.
fn fresh_bank() -> Vec<i64> {
    vec![INITIAL_BALANCE; BANK_ACCOUNTS as usize]
}

/// The balances a znode holds.
fn balances(data: &[u8]) -> Result<Vec<i64>, Failure> {
    match parse(data) {
        Value::Array(items) if items.len() == BANK_ACCOUNTS as usize => items
            .iter()
            .map(|b| b.as_i64())
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| Failure::Unknown(format!("the bank's znode holds {items:?}"))),
        other => Err(Failure::Unknown(format!("the bank's znode holds {other}"))),
    }
}

impl ZookeeperClient {
    /// Every balance of `bank`.
    pub(super) async fn read_bank(&self, bank: &str) -> Completion {
        let path = self.path(bank);
        let synced = self.reads == ZookeeperReads::Synced;
        let read = self
            .within(|c| async move {
                if synced {
                    c.sync(&path).await.map_err(|e| classify(e, false))?;
                }
                match c.get_data(&path).await {
                    Ok((data, _)) => balances(&data),
                    Err(zk::Error::NoNode) => Ok(fresh_bank()),
                    Err(e) => Err(classify(e, false)),
                }
            })
            .await;
        read_completion(read.map(|b| json!(b)))
    }

    /// Moves money between two accounts of `bank`.
    pub(super) async fn transfer(&self, bank: &str, value: &Value) -> Completion {
        let Some((from, to, amount)) = transfer_parts(value) else {
            return Completion::fail(value.clone(), MALFORMED_TRANSFER);
        };
        let path = self.path(bank);
        let moved = self
            .within(|c| async move {
                let (mut bank, version) = match c.get_data(&path).await {
                    Ok((data, stat)) => (balances(&data)?, Some(stat.version)),
                    Err(zk::Error::NoNode) => (fresh_bank(), None),
                    Err(e) => return Err(classify(e, false)),
                };
                let (from, to) = (from as usize, to as usize);
                if bank[from] < amount {
                    return Ok(Err("insufficient funds"));
                }
                bank[from] -= amount;
                bank[to] += amount;
                let data = json!(bank).to_string();
                let written = match version {
                    Some(v) => c
                        .set_data(&path, data.as_bytes(), Some(v))
                        .await
                        .map(|_| ()),
                    None => c
                        .create(&path, data.as_bytes(), &persistent())
                        .await
                        .map(|_| ()),
                };
                match written {
                    Ok(()) => Ok(Ok(())),
                    Err(zk::Error::BadVersion | zk::Error::NodeExists | zk::Error::NoNode) => {
                        Ok(Err("the bank changed since it was read"))
                    }
                    Err(e) => Err(classify(e, true)),
                }
            })
            .await;
        match moved {
            Ok(Ok(())) => Completion::ok(value.clone()),
            Ok(Err(why)) => Completion::fail(value.clone(), why),
            Err(failure) => failure.completion(value.clone()),
        }
    }
}

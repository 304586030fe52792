//! Redis Streams for the stream workload: a send is `XADD` on the primary,
//! answered with the entry's id; a poll is `XRANGE` after the last id this
//! client read of the stream (exclusive ranges need Redis 6.2), where reads
//! go; a read from the start pages through the whole stream. Each client
//! is one consumer, its position per stream kept here
//! (<https://redis.io/docs/latest/commands/xrange/>).

use super::client::RedisClient;
use crate::failure::{read_completion, Failure};
use faultline_checkers::stream::reads_from_start;
use faultline_core::{Completion, Value};
use std::collections::HashMap;
use tokio::sync::Mutex;

/// Entries one poll returns at most.
const POLL_COUNT: usize = 100;
/// Entries a page of a read from the start returns.
const PAGE: usize = 1000;
/// Pages a read from the start reads at most (10 million entries).
const MAX_PAGES: usize = 10_000;
/// The entry field holding the message.
const FIELD: &str = "m";

/// The last id this consumer read of each stream.
#[derive(Default)]
pub(super) struct Positions(Mutex<HashMap<String, String>>);

/// An entry as `XRANGE` answers it: its id and its fields and values.
type Entry = (String, Vec<String>);

impl RedisClient {
    /// `XADD key * m message`: ok with `[id, message]`.
    pub(super) async fn send(&self, key: &str, message: &Value) -> Completion {
        let cmd = redis::cmd("XADD")
            .arg(self.key(key))
            .arg("*")
            .arg(FIELD)
            .arg(message.to_string())
            .clone();
        match self.query::<String>(&self.primary, &cmd).await {
            Ok(id) => Completion::ok(serde_json::json!([id, message])),
            Err(failure) => failure.completion(message.clone()),
        }
    }

    /// The entries after this consumer's position (or every entry, from
    /// the start): ok with `[[id, message], …]`.
    pub(super) async fn poll(&self, key: &str, from: &Value) -> Completion {
        let from_start = match reads_from_start(from) {
            Ok(from_start) => from_start,
            Err(why) => return Completion::fail(from.clone(), why),
        };
        let mut positions = self.positions.0.lock().await;
        let after = if from_start {
            None
        } else {
            positions.get(key).cloned()
        };
        let read = if from_start {
            self.read_all(key).await
        } else {
            self.range(key, after.as_deref(), POLL_COUNT).await
        };
        let entries = match read {
            Ok(entries) => entries,
            Err(failure) => return read_completion(Err(failure)),
        };
        if let Some((id, _)) = entries.last() {
            positions.insert(key.to_owned(), id.clone());
        }
        let pairs = entries
            .into_iter()
            .map(|(id, fields)| serde_json::json!([id, message_of(&fields)]))
            .collect();
        Completion::ok(Value::Array(pairs))
    }

    /// Up to `count` entries after `after` (from the first, with none).
    async fn range(
        &self,
        key: &str,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<Entry>, Failure> {
        let from = self.reads.as_ref().unwrap_or(&self.primary);
        let start = after.map_or("-".to_owned(), |id| format!("({id}"));
        let cmd = redis::cmd("XRANGE")
            .arg(self.key(key))
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .clone();
        self.query(from, &cmd).await
    }

    /// Every entry of the stream, page by page.
    async fn read_all(&self, key: &str) -> Result<Vec<Entry>, Failure> {
        let mut all: Vec<Entry> = Vec::new();
        for _ in 0..MAX_PAGES {
            let after = all.last().map(|(id, _)| id.clone());
            let page = self.range(key, after.as_deref(), PAGE).await?;
            let done = page.len() < PAGE;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
        Err(Failure::Certain(format!(
            "stream {key} holds more than {} entries: not read to its end",
            PAGE * MAX_PAGES
        )))
    }
}

/// The message in an entry's fields (`m`, then its JSON text); an entry
/// without one reads as its fields, so that the checker names it.
fn message_of(fields: &[String]) -> Value {
    match fields {
        [field, text] if field == FIELD => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        other => Value::from(other.to_vec()),
    }
}

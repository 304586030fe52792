//! What a client process remembers of the lock it holds: the token it
//! stored as the holder, so that it gives back only its own lock. Shared
//! by every built-in client of the lock workload.
//!
//! A token whose acquire's outcome is unknown is kept: the process may
//! hold the lock, and its next acquire (the same token) or release then
//! finds out.

use faultline_core::{Completion, OpType, Value};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How long a lock is held at most before the system lets it go (an etcd
/// lease, a key's or a row's expiry): a holder that vanished does not
/// block the others for ever.
pub const LEASE_SECONDS: u64 = 10;

/// Distinguishes the tokens of every client of every run.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// One client process's lock token.
#[derive(Debug, Default)]
pub struct LockToken {
    held: Mutex<Option<String>>,
}

/// A copy is another process's: it holds nothing yet.
impl Clone for LockToken {
    fn clone(&self) -> LockToken {
        LockToken::default()
    }
}

impl LockToken {
    /// The token to acquire with: the one held, or a new one.
    pub fn for_acquire(&self) -> String {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.get_or_insert_with(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!(
                "{}-{nanos:x}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        })
        .clone()
    }

    /// Records how an acquire with `token` ended: kept unless it certainly
    /// failed with a token that was new.
    pub fn acquired(&self, token: &str, kind: OpType, was_held: bool) {
        if kind == OpType::Fail && !was_held {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if held.as_deref() == Some(token) {
                *held = None;
            }
        }
    }

    /// The token held, if any.
    pub fn held(&self) -> Option<String> {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records how a release ended: the token goes unless the outcome is
    /// unknown.
    pub fn released(&self, kind: OpType) {
        if kind != OpType::Info {
            *self.held.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

impl LockToken {
    /// Acquires through `attempt` (given the token to store as holder).
    pub async fn acquire<F: Future<Output = Completion>>(
        &self,
        attempt: impl FnOnce(String) -> F,
    ) -> Completion {
        let was_held = self.held().is_some();
        let token = self.for_acquire();
        let done = attempt(token.clone()).await;
        self.acquired(&token, done.kind, was_held);
        done
    }

    /// Releases through `attempt` (given the token held); refused at once
    /// when this process holds none.
    pub async fn release<F: Future<Output = Completion>>(
        &self,
        attempt: impl FnOnce(String) -> F,
    ) -> Completion {
        let Some(token) = self.held() else {
            return Completion::fail(Value::Null, "this process holds no lock to release");
        };
        let done = attempt(token).await;
        self.released(done.kind);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_lives_from_a_possible_acquire_to_a_certain_release() {
        let lock = LockToken::default();
        let first = lock.for_acquire();
        lock.acquired(&first, OpType::Fail, false);
        assert_eq!(lock.held(), None, "refused: nothing held");
        let second = lock.for_acquire();
        assert_ne!(first, second, "a new token for a new attempt");
        lock.acquired(&second, OpType::Info, false);
        assert_eq!(lock.held().as_deref(), Some(second.as_str()), "maybe held");
        assert_eq!(lock.for_acquire(), second, "the same token again");
        lock.acquired(&second, OpType::Fail, true);
        assert_eq!(
            lock.held().as_deref(),
            Some(second.as_str()),
            "still maybe held"
        );
        lock.released(OpType::Info);
        assert!(lock.held().is_some());
        lock.released(OpType::Ok);
        assert_eq!(lock.held(), None);
    }
}

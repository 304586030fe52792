//! One pool of active keys, shared by every worker of a transactional
//! workload. This is how Elle's generators for list-append and rw-register
//! work (`elle.list-append/gen`, `elle.rw-register/gen`: `:key-count` keys
//! active at once, each retired after `:max-writes-per-key` writes, with a
//! fresh key taking its place). Workers never drift apart onto keys of
//! their own, so contention stays the same for the whole run, and no list
//! grows past the write limit.

use faultline_core::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The active keys and the writes drawn against each.
#[derive(Debug)]
pub struct KeyPool {
    state: Mutex<PoolState>,
    max_writes_per_key: u64,
    /// Written values are unique over the whole run, whichever key they go to.
    next_value: AtomicU64,
}

#[derive(Debug)]
struct PoolState {
    /// The keys in use now, one per slot.
    active: Vec<u64>,
    /// Writes drawn against each slot's key.
    writes: Vec<u64>,
    /// The key that replaces the next one retired.
    next_key: u64,
    /// Keys retired so far.
    retired: u64,
}

impl KeyPool {
    /// `key_count` keys active at once (0 to key_count − 1 at first), each
    /// retired after `max_writes_per_key` writes. Both are at least 1.
    pub fn new(key_count: u64, max_writes_per_key: u64) -> KeyPool {
        let key_count = key_count.max(1);
        KeyPool {
            state: Mutex::new(PoolState {
                active: (0..key_count).collect(),
                writes: vec![0; key_count as usize],
                next_key: key_count,
                retired: 0,
            }),
            max_writes_per_key: max_writes_per_key.max(1),
            next_value: AtomicU64::new(1),
        }
    }

    /// A key for a read.
    pub fn read_key(&self, rng: &mut Rng) -> u64 {
        let state = self.lock();
        state.active[rng.below(state.active.len() as u64) as usize]
    }

    /// A key and a value for a write. The write counts against the key; at
    /// the limit the key is retired (this write is its last) and a fresh
    /// one takes its slot.
    pub fn write_key(&self, rng: &mut Rng) -> (u64, u64) {
        let value = self.next_value.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        let slot = rng.below(state.active.len() as u64) as usize;
        let key = state.active[slot];
        state.writes[slot] += 1;
        if state.writes[slot] >= self.max_writes_per_key {
            state.active[slot] = state.next_key;
            state.next_key += 1;
            state.writes[slot] = 0;
            state.retired += 1;
        }
        (key, value)
    }

    /// The keys active now, in order (the final reads read them).
    pub fn active(&self) -> Vec<u64> {
        let mut keys = self.lock().active.clone();
        keys.sort_unstable();
        keys
    }

    /// Every key handed out so far, retired or active, in order: a write
    /// lost in a crash shows only when its key is read again, however long
    /// ago it was retired.
    pub fn every_key(&self) -> Vec<u64> {
        (0..self.lock().next_key).collect()
    }

    /// How many keys have been retired.
    pub fn retired(&self) -> u64 {
        self.lock().retired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        // A worker that panicked mid-draw left the state whole: every
        // update above is complete before the guard drops.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_retired_after_their_writes_and_replaced_by_fresh_ones() {
        let pool = KeyPool::new(3, 4);
        let mut rng = Rng::new(9);
        let mut writes: std::collections::BTreeMap<u64, u64> = Default::default();
        let mut values = std::collections::HashSet::new();
        for _ in 0..300 {
            let (key, value) = pool.write_key(&mut rng);
            *writes.entry(key).or_default() += 1;
            assert!(values.insert(value), "value {value} drawn twice");
            assert_eq!(pool.active().len(), 3, "always 3 keys active");
        }
        // Every key ever handed out: the retired ones and the active.
        let every = pool.every_key();
        assert_eq!(every.len() as u64, pool.retired() + 3, "3 active at once");
        assert!(pool.active().iter().all(|k| every.contains(k)));
        // Every retired key got exactly its 4 writes; no key more.
        assert!(writes.values().all(|&n| n <= 4), "{writes:?}");
        assert_eq!(
            pool.retired(),
            writes.values().filter(|&&n| n == 4).count() as u64
        );
        assert_eq!(writes.values().sum::<u64>(), 300);
        assert!(pool.retired() >= 70, "{}", pool.retired());
        // Fresh keys are new numbers, never a retired key again.
        let active = pool.active();
        assert!(active.iter().all(|k| writes.get(k).is_none_or(|&n| n < 4)));
    }

    #[test]
    fn reads_come_from_the_active_keys_and_retire_nothing() {
        let pool = KeyPool::new(5, 2);
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert!(pool.read_key(&mut rng) < 5);
        }
        assert_eq!(pool.retired(), 0);
        assert_eq!(pool.active(), [0, 1, 2, 3, 4]);
    }
}

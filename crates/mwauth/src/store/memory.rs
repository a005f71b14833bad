//! Sessions and throttle counters in this process's memory: for a single node whose
//! sessions may be lost on restart (MediaWiki's `CACHE_ACCEL`/`HashBagOStuff`). Nothing is
//! shared between nodes, so a load-balanced deployment needs Redis instead.

use super::{SessionStore, StoreResult};
use crate::session::SessionData;
use crate::time;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// After this many writes, expired entries are swept (besides the periodic purge).
const SWEEP_EVERY: u64 = 4096;

#[derive(Default)]
struct Maps {
    sessions: HashMap<String, (Arc<SessionData>, i64)>,
    /// key → (count, expires)
    throttles: HashMap<String, (u64, i64)>,
    writes: u64,
}

impl Maps {
    fn sweep(&mut self, now: i64) -> u64 {
        let before = self.sessions.len() + self.throttles.len();
        self.sessions.retain(|_, (_, exp)| *exp >= now);
        self.throttles.retain(|_, (_, exp)| *exp >= now);
        (before - self.sessions.len() - self.throttles.len()) as u64
    }

    fn wrote(&mut self, now: i64) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.sweep(now);
        }
    }
}

#[derive(Default)]
pub struct MemoryStore {
    maps: Mutex<Maps>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many sessions are held (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        let now = time::now();
        Ok(self
            .lock()
            .sessions
            .get(id)
            .filter(|(_, exp)| *exp >= now)
            .cloned())
    }

    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        let now = time::now();
        let mut maps = self.lock();
        maps.sessions
            .insert(id.to_string(), (Arc::new(data.clone()), expires));
        maps.wrote(now);
        Ok(())
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.lock().sessions.remove(id);
        Ok(())
    }

    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        let now = time::now();
        let mut maps = self.lock();
        let entry = maps
            .throttles
            .entry(key.to_string())
            .or_insert((0, now + ttl as i64));
        if entry.1 < now {
            *entry = (0, now + ttl as i64);
        }
        entry.0 += 1;
        let count = entry.0;
        maps.wrote(now);
        Ok(count)
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        self.lock().throttles.remove(key);
        Ok(())
    }

    async fn throttle_count(&self, key: &str) -> StoreResult<u64> {
        let now = time::now();
        Ok(self
            .lock()
            .throttles
            .get(key)
            .filter(|(_, exp)| *exp >= now)
            .map_or(0, |(n, _)| *n))
    }

    fn sessions_held(&self) -> Option<u64> {
        Some(self.lock().sessions.len() as u64)
    }

    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()> {
        let now = time::now();
        let mut maps = self.lock();
        maps.throttles
            .insert(key.to_string(), (value, now + ttl as i64));
        maps.wrote(now);
        Ok(())
    }

    async fn purge_expired(&self) -> StoreResult<u64> {
        Ok(self.lock().sweep(time::now()))
    }
}

//! A short-lived cache in front of a [`UserStore`]. Every logged-in request needs its user
//! row and, for bot-password sessions, the bot password row: data that changes almost never,
//! read thousands of times a second. MediaWiki keeps the same rows in its object cache.
//!
//! Writes made through this node clear the cache at once. Writes made elsewhere (another
//! node sharing the database, `mwauth user set-password` in another process) are seen once
//! the entry is older than the time to live — one second by default, configurable as
//! `user_cache_ms` (0 turns the cache off). Only found rows are cached: a name or id that
//! does not exist yet is always asked for again, so a new account works at once.

use super::{BotPasswordUpdate, LogEntry, OathRow, SiteStatsRow, StoreResult, UserStore};
use crate::time::Clock;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Past this many entries the cache is emptied rather than grown (it refills in one TTL).
const MAX_ENTRIES: usize = 50_000;

/// Rows of one kind by key, each with the time it was read, lent out as they are.
type Rows<K, V> = HashMap<K, (Instant, Arc<V>)>;

#[derive(Default)]
struct Entries {
    users: Rows<u32, UserRecord>,
    bot_passwords: Rows<(u32, String), BotPasswordRecord>,
    /// Bumped by every write, so that a read that started before a write does not put the
    /// row it read (perhaps already stale) into the cache after the write cleared it.
    generation: u64,
}

pub struct CachedUsers {
    inner: Arc<dyn UserStore>,
    ttl: Duration,
    clock: Clock,
    entries: Mutex<Entries>,
}

impl CachedUsers {
    pub fn new(inner: Arc<dyn UserStore>, ttl: Duration) -> CachedUsers {
        CachedUsers::with_clock(inner, ttl, Clock::system())
    }

    /// The cache with entries aged by `clock` (a held one in tests).
    pub fn with_clock(inner: Arc<dyn UserStore>, ttl: Duration, clock: Clock) -> CachedUsers {
        CachedUsers {
            inner,
            ttl,
            clock,
            entries: Mutex::new(Entries::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Plain maps: a panic elsewhere while holding the lock cannot leave them torn.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn invalidate(&self) {
        let mut e = self.lock();
        e.users.clear();
        e.bot_passwords.clear();
        e.generation += 1;
    }

    fn fresh(&self, at: Instant) -> bool {
        self.clock.now().saturating_duration_since(at) < self.ttl
    }

    /// The row of `key` in `table` while it is fresh; otherwise what `read` finds in the
    /// store (called only then), kept for next time unless a write came in while it was read.
    /// With a zero TTL, always `read`.
    async fn read_through<K: Eq + Hash, V, F: Future<Output = StoreResult<Option<V>>>>(
        &self,
        table: fn(&mut Entries) -> &mut Rows<K, V>,
        key: K,
        read: impl FnOnce() -> F,
    ) -> StoreResult<Option<Arc<V>>> {
        if self.ttl.is_zero() {
            return Ok(read().await?.map(Arc::new));
        }
        let generation = {
            let mut e = self.lock();
            if let Some((at, row)) = table(&mut e).get(&key) {
                if self.fresh(*at) {
                    return Ok(Some(row.clone()));
                }
            }
            e.generation
        };
        let found = read().await?.map(Arc::new);
        if let Some(row) = &found {
            let mut e = self.lock();
            if e.generation == generation {
                let rows = table(&mut e);
                if rows.len() >= MAX_ENTRIES {
                    rows.clear();
                }
                rows.insert(key, (self.clock.now(), row.clone()));
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl UserStore for CachedUsers {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        // Logins and account creation: worth a fresh read (the password hash may just have
        // changed elsewhere), and rare next to the requests that follow a login.
        self.inner.user_by_name(name).await
    }

    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        Ok(self.user_by_id_shared(id).await?.map(|u| (*u).clone()))
    }

    async fn user_by_id_shared(&self, id: u32) -> StoreResult<Option<Arc<UserRecord>>> {
        self.read_through(|e| &mut e.users, id, || self.inner.user_by_id(id))
            .await
    }

    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        token: &str,
        groups: &[String],
    ) -> StoreResult<u32> {
        let r = self
            .inner
            .create_user(name, password_hash, token, groups)
            .await;
        self.invalidate();
        r
    }

    async fn set_password(
        &self,
        id: u32,
        password_hash: &str,
        new_token: Option<&str>,
    ) -> StoreResult<()> {
        let r = self.inner.set_password(id, password_hash, new_token).await;
        self.invalidate();
        r
    }

    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        let r = self.inner.set_user_token(id, token).await;
        self.invalidate();
        r
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        self.inner.list_users().await
    }

    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>> {
        Ok(self
            .bot_password_shared(user_id, app_id)
            .await?
            .map(|bp| (*bp).clone()))
    }

    async fn bot_password_shared(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<Arc<BotPasswordRecord>>> {
        self.read_through(
            |e| &mut e.bot_passwords,
            (user_id, app_id.to_string()),
            || self.inner.bot_password(user_id, app_id),
        )
        .await
    }

    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        let r = self.inner.create_bot_password(bp).await;
        self.invalidate();
        r
    }

    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()> {
        let r = self
            .inner
            .set_bot_password_hash(user_id, app_id, hash)
            .await;
        self.invalidate();
        r
    }

    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        self.inner.list_bot_passwords(user_id).await
    }

    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        let r = self.inner.delete_bot_password(user_id, app_id).await;
        self.invalidate();
        r
    }

    // oathauth_users rows are not cached: they are read once per login step.
    async fn create_oath_table(&self) -> StoreResult<()> {
        self.inner.create_oath_table().await
    }

    async fn oath_user(&self, user_id: u32) -> StoreResult<Option<OathRow>> {
        self.inner.oath_user(user_id).await
    }

    async fn set_oath_user(&self, user_id: u32, row: &OathRow) -> StoreResult<()> {
        self.inner.set_oath_user(user_id, row).await
    }

    async fn delete_oath_user(&self, user_id: u32) -> StoreResult<bool> {
        self.inner.delete_oath_user(user_id).await
    }

    async fn site_stats(&self) -> StoreResult<Option<SiteStatsRow>> {
        self.inner.site_stats().await
    }

    async fn write_log_entry(&self, entry: &LogEntry<'_>) -> StoreResult<Option<i64>> {
        self.inner.write_log_entry(entry).await
    }

    async fn count_new_user(&self) -> StoreResult<bool> {
        self.inner.count_new_user().await
    }

    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        update: BotPasswordUpdate<'_>,
    ) -> StoreResult<bool> {
        let r = self
            .inner
            .update_bot_password(user_id, app_id, update)
            .await;
        self.invalidate();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn writes_through_the_cache_are_seen_at_once_and_others_within_the_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStore::open(&dir.path().join("w.sqlite"))
            .await
            .unwrap();
        let clock = Clock::held();
        let ttl = Duration::from_millis(300);
        let cached = CachedUsers::with_clock(Arc::new(db.clone()), ttl, clock.clone());
        let id = cached
            .create_user("Alice", ":B:x:y", "t0", &[])
            .await
            .unwrap();
        let token = cached.user_by_id(id).await.unwrap().unwrap().token;

        // Through the cache: seen by the next read.
        cached.set_user_token(id, "t1").await.unwrap();
        assert_eq!(cached.user_by_id(id).await.unwrap().unwrap().token, "t1");
        assert_ne!(token, "t1");

        // Behind its back (another process): the cached row until the TTL passes.
        db.set_user_token(id, "t2").await.unwrap();
        clock.advance(ttl - Duration::from_millis(1));
        assert_eq!(cached.user_by_id(id).await.unwrap().unwrap().token, "t1");
        clock.advance(Duration::from_millis(1));
        assert_eq!(cached.user_by_id(id).await.unwrap().unwrap().token, "t2");

        // Absent rows are not cached: a user made elsewhere is found at once.
        assert!(cached.user_by_id(id + 1).await.unwrap().is_none());
        let other = db.create_user("Bob", ":B:x:y", "t0", &[]).await.unwrap();
        assert_eq!(other, id + 1);
        assert!(cached.user_by_id(other).await.unwrap().is_some());
    }
}

//! Sessions in Redis in MediaWiki's own record format, shared with a PHP MediaWiki 1.39 whose
//! `$wgSessionCacheType` is a `RedisBagOStuff`: key `{keyspace}:MWSession:{id}`, value the
//! PHP serialization of `['data' => …, 'metadata' => …]` uncompressed (RedisBagOStuff sets
//! php-redis' serializer to none), written with `SETEX` for the session's lifetime.
//! MediaWiki's stock RedisBagOStuff always uses database 0, so the URL should name no other.
//!
//! Throttle counters are MediaWiki's too (plain integers under `global:throttler:…`), kept by
//! [`RedisSessionStore`], whose connections (one per thread) this store uses.
//!
//! `SessionStore::save` has no room for the record's unknown keys, so it reads the record it
//! replaces and writes mwauth's fields over it ([`record_for_store`]; docs/beside-mediawiki.md
//! says why the record does not travel with the session instead).

use super::redis::{RedisSessionStore, CALL_TIMEOUT};
use super::{SessionStore, StoreError, StoreResult};
use crate::session::php_record::{
    record_for_store, user_cache_purge, user_quick_touch, CacheWrite, PhpRecord,
};
use crate::session::SessionData;
use crate::time;
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;

#[derive(Clone)]
pub struct RedisPhpSessionStore {
    /// Key names, throttle counters and the connections (one per thread).
    native: RedisSessionStore,
}

impl RedisPhpSessionStore {
    /// Prepares the connection (made on first use); `keyspace` is the wiki's
    /// (`$wgCachePrefix`, else its database domain id, [`super::redis::wiki_domain_id`]).
    pub fn open(url: &str, keyspace: &str) -> StoreResult<RedisPhpSessionStore> {
        Self::with_native(url, RedisSessionStore::open(url, keyspace)?)
    }

    /// As [`open`](Self::open), with another global keyspace for the throttle counters.
    pub fn open_with_global(
        url: &str,
        keyspace: &str,
        global: &str,
    ) -> StoreResult<RedisPhpSessionStore> {
        Self::with_native(
            url,
            RedisSessionStore::open_with_global(url, keyspace, global)?,
        )
    }

    fn with_native(_url: &str, native: RedisSessionStore) -> StoreResult<RedisPhpSessionStore> {
        Ok(RedisPhpSessionStore { native })
    }

    pub fn session_key(&self, id: &str) -> String {
        self.native.session_key(id)
    }

    async fn bounded<T>(
        &self,
        what: &str,
        f: impl Future<Output = ::redis::RedisResult<T>>,
    ) -> StoreResult<T> {
        match tokio::time::timeout(CALL_TIMEOUT, f).await {
            Ok(r) => r.map_err(StoreError::from),
            Err(_) => Err(StoreError::Db(format!(
                "redis: {what} timed out after {} ms",
                CALL_TIMEOUT.as_millis()
            ))),
        }
    }

    /// The record's bytes as stored, when the key exists.
    pub async fn load_raw(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut c = self.native.connection()?;
        let key = self.session_key(id);
        self.bounded("GET", async move {
            ::redis::cmd("GET").arg(key).query_async(&mut c).await
        })
        .await
    }

    /// Stores a record's bytes until `expires` (unix seconds); one already expired is
    /// deleted instead.
    pub async fn save_raw(&self, id: &str, bytes: &[u8], expires: i64) -> StoreResult<()> {
        let ttl = expires - time::now();
        if ttl <= 0 {
            return self.delete(id).await;
        }
        let mut c = self.native.connection()?;
        let key = self.session_key(id);
        self.bounded("SETEX", async move {
            ::redis::cmd("SETEX")
                .arg(key)
                .arg(ttl)
                .arg(bytes)
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    /// The session record, when there is one that mwauth can serve and it has not expired.
    /// Bytes that are no such record are no session (see [`PhpRecord::decode`]); they stay
    /// in the store for PHP to judge.
    pub async fn load_record(&self, id: &str) -> StoreResult<Option<PhpRecord>> {
        Ok(self.load_raw(id).await?.and_then(|b| PhpRecord::live(&b)))
    }

    /// One write to PHP's object cache, which a wiki sharing its sessions in Redis keeps
    /// there too (`$wgMainCacheType` = the same Redis).
    async fn put_cache(&self, write: CacheWrite) -> StoreResult<()> {
        let mut c = self.native.connection()?;
        self.bounded("SETEX", async move {
            ::redis::cmd("SETEX")
                .arg(write.key)
                .arg(write.ttl)
                .arg(write.value)
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }
}

#[async_trait]
impl SessionStore for RedisPhpSessionStore {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        Ok(self.load_record(id).await?.map(PhpRecord::into_loaded))
    }

    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        let previous = self.load_raw(id).await?;
        let bytes = record_for_store(previous.as_deref(), data, expires);
        self.save_raw(id, &bytes, expires).await
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.native.delete(id).await
    }

    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        self.native.throttle_hit(key, ttl).await
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        self.native.throttle_clear(key).await
    }

    async fn throttle_count(&self, key: &str) -> StoreResult<u64> {
        self.native.throttle_count(key).await
    }

    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()> {
        self.native.throttle_set(key, value, ttl).await
    }

    async fn user_changed(&self, user_id: u32) -> StoreResult<()> {
        let write = user_cache_purge(self.native.keyspace(), user_id, time::now());
        self.put_cache(write).await
    }

    async fn user_logged_in_on_page(&self, user_id: u32) -> StoreResult<()> {
        let write = user_quick_touch(self.native.keyspace(), user_id, time::now());
        self.put_cache(write).await
    }
}

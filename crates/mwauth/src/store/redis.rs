//! Sessions and throttle counters in Redis, shared by every node, under the keys MediaWiki's
//! RedisBagOStuff uses: `{keyspace}:MWSession:{id}` (SessionManager/SessionBackend's
//! `makeKey('MWSession', $id)`) and `global:throttler:{type}:{index}:{ip}:{md5(user)}`
//! (Throttler's `makeGlobalKey`). Key components escape `%` and `:` as MediaWiki's
//! `genericKeyFromComponents` does. The keyspace is `$wgCachePrefix`, else the wiki's
//! database domain id (`$wgDBname`, with `-$wgDBprefix` when there is a prefix).
//!
//! Session values are mwauth's own JSON (MediaWiki's are PHP-serialised); throttle counters
//! are plain integers, as MediaWiki's are. Redis expires both (`SET … EX`, `SET NX EX` +
//! `INCR` in one transaction), so nothing needs purging.
//!
//! Each thread has a connection of its own ([`PerThread`]), made lazily and remade after a
//! failure (redis' ConnectionManager), and
//! every call is bounded by [`CALL_TIMEOUT`], so a dead Redis makes requests fail fast
//! instead of hanging.

use super::{SessionStore, StoreError, StoreResult};
use crate::session::SessionData;
use crate::time;
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// The longest any one Redis call may take, connecting included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// After a call timed out, calls fail at once for this long instead of each waiting for
/// its own timeout, so one request that makes several calls waits once, not once per call.
pub const BACKOFF_AFTER_TIMEOUT: Duration = Duration::from_secs(2);

/// MediaWiki's `BagOStuff::GLOBAL_KEYSPACE`.
const GLOBAL_KEYSPACE: &str = "global";

impl From<::redis::RedisError> for StoreError {
    fn from(e: ::redis::RedisError) -> Self {
        StoreError::Db(format!("redis: {e}"))
    }
}

/// BagOStuff::genericKeyFromComponents for one component.
pub fn escape_component(c: &str) -> String {
    c.replace('%', "%25").replace(':', "%3A")
}

/// DatabaseDomain::getId for a database name and table prefix (no schema):
/// `-` and `?` are escaped as `?h` and `??`.
pub fn wiki_domain_id(db_name: &str, prefix: &str) -> String {
    let enc = |s: &str| s.replace('?', "??").replace('-', "?h");
    if prefix.is_empty() {
        enc(db_name)
    } else {
        format!("{}-{}", enc(db_name), enc(prefix))
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    data: SessionData,
    expires: i64,
}

/// Most connections: one per thread that reads sessions (the server's workers, each a
/// runtime of its own, and the threads of the main runtime); a thread past these shares the
/// first one.
const MAX_CONNECTIONS: usize = 16;

/// A connection of its own for each thread that uses the store. Every request that carries
/// a session GETs its record here, and a connection is driven by a task on the runtime of
/// the thread that first used it: with one connection for the whole server, each GET from
/// any other worker crossed threads twice (to that task and back), and the worker that
/// drove it did all the others' Redis reading besides its own connections (41% of the
/// server's CPU against 19% for each of the three others; logged-in meta=tokens at
/// 0.44–0.48× the embedded store, bench/REPORT.md "Front door").
pub(super) struct PerThread {
    client: ::redis::Client,
    config: ConnectionManagerConfig,
    conns: Mutex<Vec<(ThreadId, ConnectionManager)>>,
}

impl PerThread {
    /// This thread's connection (made lazily, on first use, by the caller's runtime).
    fn get(&self) -> StoreResult<ConnectionManager> {
        let me = std::thread::current().id();
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, c)) = conns.iter().find(|(t, _)| *t == me) {
            return Ok(c.clone());
        }
        if conns.len() >= MAX_CONNECTIONS {
            return Ok(conns[0].1.clone());
        }
        let c = ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone())?;
        conns.push((me, c.clone()));
        Ok(c)
    }
}

#[derive(Clone)]
pub struct RedisSessionStore {
    conns: Arc<PerThread>,
    keyspace: String,
    global: String,
    /// Start of this store's clock, and until when (ms on it) calls fail fast.
    epoch: Instant,
    fail_fast_until: Arc<AtomicU64>,
}

impl RedisSessionStore {
    /// Prepares the connection (made on first use). `keyspace` is the wiki's, e.g. from
    /// [`wiki_domain_id`]; throttle counters go to the global keyspace.
    pub fn open(url: &str, keyspace: &str) -> StoreResult<RedisSessionStore> {
        Self::open_with_global(url, keyspace, GLOBAL_KEYSPACE)
    }

    /// As [`open`](Self::open), with another global keyspace (tests use a private one).
    pub fn open_with_global(
        url: &str,
        keyspace: &str,
        global: &str,
    ) -> StoreResult<RedisSessionStore> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conns = Arc::new(PerThread {
            client: ::redis::Client::open(url)?,
            config,
            conns: Mutex::new(Vec::new()),
        });
        Ok(RedisSessionStore {
            conns,
            keyspace: keyspace.to_string(),
            global: global.to_string(),
            epoch: Instant::now(),
            fail_fast_until: Arc::new(AtomicU64::new(0)),
        })
    }

    /// This thread's connection (see [`PerThread`]).
    pub(super) fn connection(&self) -> StoreResult<ConnectionManager> {
        self.conns.get()
    }

    /// The wiki's keyspace, as the store was opened with.
    pub fn keyspace(&self) -> &str {
        &self.keyspace
    }

    pub fn session_key(&self, id: &str) -> String {
        format!("{}:MWSession:{}", self.keyspace, escape_component(id))
    }

    /// The throttle keys the auth layer makes are `throttler:…`, already escaped.
    pub fn throttle_key(&self, key: &str) -> String {
        format!("{}:{key}", self.global)
    }

    async fn bounded<T, F>(&self, what: &str, f: F) -> StoreResult<T>
    where
        F: Future<Output = ::redis::RedisResult<T>>,
    {
        let now_ms = || self.epoch.elapsed().as_millis() as u64;
        if now_ms() < self.fail_fast_until.load(Ordering::Relaxed) {
            return Err(StoreError::Db(format!(
                "redis: {what} not tried: the server did not answer in time just before"
            )));
        }
        match tokio::time::timeout(CALL_TIMEOUT, f).await {
            Ok(r) => r.map_err(StoreError::from),
            Err(_) => {
                self.fail_fast_until.store(
                    now_ms() + BACKOFF_AFTER_TIMEOUT.as_millis() as u64,
                    Ordering::Relaxed,
                );
                Err(StoreError::Db(format!(
                    "redis: {what} timed out after {} ms",
                    CALL_TIMEOUT.as_millis()
                )))
            }
        }
    }

    /// PING; returns the server's answer.
    pub async fn ping(&self) -> StoreResult<String> {
        let mut c = self.conns.get()?;
        self.bounded("PING", async move {
            ::redis::cmd("PING").query_async::<String>(&mut c).await
        })
        .await
    }

    /// `redis_version` from INFO server, when the server tells.
    pub async fn server_version(&self) -> StoreResult<Option<String>> {
        let mut c = self.conns.get()?;
        let info: String = self
            .bounded("INFO", async move {
                ::redis::cmd("INFO")
                    .arg("server")
                    .query_async::<String>(&mut c)
                    .await
            })
            .await?;
        Ok(info
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .map(|v| v.trim().to_string()))
    }

    /// Remaining time to live of a key in seconds (tests; -2 when missing).
    pub async fn ttl(&self, key: &str) -> StoreResult<i64> {
        let mut c = self.conns.get()?;
        let key = key.to_string();
        self.bounded("TTL", async move {
            ::redis::cmd("TTL")
                .arg(key)
                .query_async::<i64>(&mut c)
                .await
        })
        .await
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        let mut c = self.conns.get()?;
        let key = self.session_key(id);
        let raw: Option<Vec<u8>> = self
            .bounded("GET", async move {
                ::redis::cmd("GET").arg(key).query_async(&mut c).await
            })
            .await?;
        let Some(raw) = raw else { return Ok(None) };
        // Data we cannot read (another writer's format) is no session, never an error page.
        let Ok(stored) = serde_json::from_slice::<Stored>(&raw) else {
            return Ok(None);
        };
        if stored.expires < time::now() {
            return Ok(None);
        }
        Ok(Some((Arc::new(stored.data), stored.expires)))
    }

    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        let ttl = expires - time::now();
        if ttl <= 0 {
            return self.delete(id).await;
        }
        let json = serde_json::to_vec(&Stored {
            data: data.clone(),
            expires,
        })
        .map_err(|e| StoreError::Db(e.to_string()))?;
        let mut c = self.conns.get()?;
        let key = self.session_key(id);
        self.bounded("SET", async move {
            ::redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("EX")
                .arg(ttl)
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        let mut c = self.conns.get()?;
        let key = self.session_key(id);
        self.bounded("DEL", async move {
            ::redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await
        })
        .await
    }

    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        // RedisBagOStuff::doIncrWithInit: create the counter with its TTL when missing,
        // then count, in one MULTI/EXEC.
        let mut c = self.conns.get()?;
        let key = self.throttle_key(key);
        let (count,): (u64,) = self
            .bounded("INCR", async move {
                ::redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(&key)
                    .arg(0)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl.max(1))
                    .ignore()
                    .cmd("INCR")
                    .arg(&key)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(count)
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        let mut c = self.conns.get()?;
        let key = self.throttle_key(key);
        self.bounded("DEL", async move {
            ::redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await
        })
        .await
    }

    async fn throttle_count(&self, key: &str) -> StoreResult<u64> {
        let mut c = self.conns.get()?;
        let key = self.throttle_key(key);
        let n: Option<u64> = self
            .bounded("GET", async move {
                ::redis::cmd("GET").arg(key).query_async(&mut c).await
            })
            .await?;
        Ok(n.unwrap_or(0))
    }

    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()> {
        let mut c = self.conns.get()?;
        let key = self.throttle_key(key);
        self.bounded("SET", async move {
            ::redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("EX")
                .arg(ttl.max(1))
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_mediawikis() {
        assert_eq!(wiki_domain_id("my_wiki", ""), "my_wiki");
        assert_eq!(wiki_domain_id("my-wiki", "mw_"), "my?hwiki-mw_");
        assert_eq!(escape_component("::1"), "%3A%3A1");
        assert_eq!(escape_component("50%"), "50%25");
    }
}

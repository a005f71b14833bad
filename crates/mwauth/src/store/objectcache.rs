//! Sessions and throttle counters in MediaWiki's `objectcache` table, shared with a PHP
//! MediaWiki 1.39 whose `$wgSessionCacheType` is `CACHE_DB` (SqlBagOStuff): in the wiki's
//! database (`{prefix}objectcache`) or, for an installer's SQLite wiki, in
//! `wikicache.sqlite` beside it. URLs (after `objectcache+`): `sqlite:PATH`, `mysql://…`,
//! `postgres://…`.
//!
//! As SqlBagOStuff keeps them:
//! - `keyname` `{keyspace}:MWSession:{id}` (sessions), `global:throttler:…` (throttles);
//! - `value` raw deflate (`gzdeflate`) of the PHP serialization, except integers, which are
//!   their decimal text (throttle counters); a value that does not inflate is read as it is.
//!   PostgreSQL's column is TEXT holding `pg_escape_bytea`'s `\x…` hex (BYTEA on old schemas);
//! - `exptime` the expiry as a 14-digit UTC timestamp (PostgreSQL: TIMESTAMPTZ);
//!   `99991231235959` for none;
//! - written with REPLACE (PostgreSQL: INSERT … ON CONFLICT), read only while
//!   `exptime >= now`, deleted at logout.
//!
//! See redis_php.rs for what `SessionStore::save` does about the record's unknown keys.

use super::redis::escape_component;
use super::{check_table_prefix, SessionStore, StoreError, StoreResult};
use crate::session::php_record::{
    record_for_store, user_cache_purge, user_quick_touch, CacheWrite, PhpRecord,
};
use crate::session::SessionData;
use crate::time;
use async_trait::async_trait;
use flate2::Compression;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::io::{Read, Write};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// MediaWiki's `BagOStuff::GLOBAL_KEYSPACE`, where throttle counters live.
const GLOBAL_KEYSPACE: &str = "global";

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Mysql(MySqlPool),
    /// Whether `value` is BYTEA (old schemas) rather than TEXT.
    Postgres(PgPool, bool),
}

#[derive(Clone)]
pub struct ObjectCacheStore {
    db: Db,
    /// `{prefix}objectcache`, checked to be `[A-Za-z0-9_]`.
    table: String,
    keyspace: String,
    global: String,
}

impl ObjectCacheStore {
    /// Opens the table of a wiki: `target` is `sqlite:PATH`, `mysql://…` or `postgres://…`,
    /// `prefix` the wiki's `$wgDBprefix`, `keyspace` its cache keyspace (`$wgCachePrefix`,
    /// else the database domain id). The table must exist (PHP's installer made it).
    pub async fn open(target: &str, prefix: &str, keyspace: &str) -> StoreResult<Self> {
        let store = Self::connect(target, prefix, keyspace, false).await?;
        store.check_table().await?;
        Ok(store)
    }

    /// As [`open`](Self::open), creating the SQLite file and the table with MediaWiki's
    /// schema when missing (tests; a cache file for a wiki not made yet).
    pub async fn open_creating(target: &str, prefix: &str, keyspace: &str) -> StoreResult<Self> {
        let store = Self::connect(target, prefix, keyspace, true).await?;
        store.create_table().await?;
        Ok(store)
    }

    /// Throttle counters under another global keyspace (tests).
    pub fn with_global(mut self, global: &str) -> Self {
        self.global = global.to_string();
        self
    }

    async fn connect(
        target: &str,
        prefix: &str,
        keyspace: &str,
        create: bool,
    ) -> StoreResult<Self> {
        check_table_prefix(prefix)?;
        let db = if let Some(path) = target.strip_prefix("sqlite:") {
            // Busy waits as PHP's DatabaseSqlite does; the journal mode is left as the wiki
            // has it (changing it would change it for PHP too).
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(create)
                .busy_timeout(Duration::from_secs(10));
            Db::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts)
                    .await?,
            )
        } else if target.starts_with("mysql://") || target.starts_with("mariadb://") {
            let url = target.replacen("mariadb://", "mysql://", 1);
            Db::Mysql(
                MySqlPoolOptions::new()
                    .max_connections(8)
                    .min_connections(0)
                    .connect(&url)
                    .await?,
            )
        } else if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(8)
                    .min_connections(0)
                    .connect(target)
                    .await?,
                false,
            )
        } else {
            return Err(StoreError::Db(format!(
                "objectcache: unknown database URL {target:?} (sqlite:PATH, mysql://…, postgres://…)"
            )));
        };
        let mut store = ObjectCacheStore {
            db,
            table: format!("{prefix}objectcache"),
            keyspace: keyspace.to_string(),
            global: GLOBAL_KEYSPACE.to_string(),
        };
        if let Db::Postgres(pool, _) = &store.db {
            let bytea = sqlx::query_scalar::<_, String>(
                "SELECT data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'value'",
            )
            .bind(&store.table)
            .fetch_optional(pool)
            .await?
            .is_some_and(|t| t == "bytea");
            store.db = Db::Postgres(pool.clone(), bytea);
        }
        Ok(store)
    }

    async fn check_table(&self) -> StoreResult<()> {
        let sql = format!("SELECT COUNT(*) FROM {} WHERE 1 = 0", self.table);
        let found = match &self.db {
            Db::Sqlite(p) => sqlx::query(&sql).fetch_one(p).await.map(drop),
            Db::Mysql(p) => sqlx::query(&sql).fetch_one(p).await.map(drop),
            Db::Postgres(p, _) => sqlx::query(&sql).fetch_one(p).await.map(drop),
        };
        found.map_err(|e| StoreError::Db(format!("objectcache: table {}: {e}", self.table)))
    }

    /// MediaWiki 1.39's schema of the table (SqlBagOStuff's for a separate SQLite file,
    /// tables-generated.sql for MySQL and PostgreSQL).
    async fn create_table(&self) -> StoreResult<()> {
        let t = &self.table;
        match &self.db {
            Db::Sqlite(p) => {
                for sql in [
                    format!(
                        "CREATE TABLE IF NOT EXISTS {t} (keyname BLOB NOT NULL default '' \
                         PRIMARY KEY, value BLOB, exptime BLOB NOT NULL)"
                    ),
                    format!("CREATE INDEX IF NOT EXISTS {t}_exptime ON {t} (exptime)"),
                ] {
                    sqlx::query(&sql).execute(p).await?;
                }
            }
            Db::Mysql(p) => {
                let sql = format!(
                    "CREATE TABLE IF NOT EXISTS {t} (keyname VARBINARY(255) DEFAULT '' NOT NULL, \
                     value MEDIUMBLOB DEFAULT NULL, exptime BINARY(14) NOT NULL, \
                     modtoken VARCHAR(17) DEFAULT '00000000000000000' NOT NULL, \
                     flags INT UNSIGNED DEFAULT NULL, INDEX exptime (exptime), PRIMARY KEY(keyname))"
                );
                sqlx::query(&sql).execute(p).await?;
            }
            Db::Postgres(p, _) => {
                for sql in [
                    format!(
                        "CREATE TABLE IF NOT EXISTS {t} (keyname TEXT DEFAULT '' NOT NULL, \
                         value TEXT DEFAULT NULL, exptime TIMESTAMPTZ NOT NULL, \
                         modtoken VARCHAR(17) DEFAULT '00000000000000000' NOT NULL, \
                         flags INT DEFAULT NULL, PRIMARY KEY(keyname))"
                    ),
                    format!("CREATE INDEX IF NOT EXISTS {t}_exptime ON {t} (exptime)"),
                ] {
                    sqlx::query(&sql).execute(p).await?;
                }
            }
        }
        Ok(())
    }

    pub fn session_key(&self, id: &str) -> String {
        format!("{}:MWSession:{}", self.keyspace, escape_component(id))
    }

    fn throttle_key(&self, key: &str) -> String {
        format!("{}:{key}", self.global)
    }

    /// The stored value of a live key, as it is in the table (deflated, or an integer's text).
    async fn get_stored(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let t = &self.table;
        let now = time::now();
        Ok(match &self.db {
            Db::Sqlite(p) => {
                sqlx::query_scalar::<_, Vec<u8>>(&format!(
                    "SELECT CAST(value AS BLOB) FROM {t} WHERE keyname = ? AND exptime >= ?"
                ))
                .bind(key)
                .bind(time::ts_mw(now))
                .fetch_optional(p)
                .await?
            }
            Db::Mysql(p) => {
                sqlx::query_scalar::<_, Vec<u8>>(&format!(
                    "SELECT value FROM {t} WHERE keyname = ? AND exptime >= ?"
                ))
                .bind(key)
                .bind(time::ts_mw(now))
                .fetch_optional(p)
                .await?
            }
            Db::Postgres(p, _) => sqlx::query_scalar::<_, String>(&format!(
                "SELECT value::text FROM {t} WHERE keyname = $1 AND exptime >= to_timestamp($2)"
            ))
            .bind(key)
            .bind(now as f64)
            .fetch_optional(p)
            .await?
            .map(|text| pg_unescape_bytea(&text)),
        })
    }

    /// REPLACE of one row; `stored` is the column's bytes (deflated, or an integer's text).
    async fn put_stored(&self, key: &str, stored: &[u8], expires: i64) -> StoreResult<()> {
        let t = &self.table;
        match &self.db {
            Db::Sqlite(p) => {
                let q = format!("REPLACE INTO {t} (keyname, value, exptime) VALUES (?, ?, ?)");
                let q = sqlx::query(&q).bind(key);
                // SqlBagOStuff stores integers as text, everything else as a blob.
                let q = match std::str::from_utf8(stored).ok().filter(|s| is_integer(s)) {
                    Some(text) => q.bind(text.to_string()),
                    None => q.bind(stored.to_vec()),
                };
                q.bind(time::ts_mw(expires)).execute(p).await?;
            }
            Db::Mysql(p) => {
                sqlx::query(&format!(
                    "REPLACE INTO {t} (keyname, value, exptime) VALUES (?, ?, ?)"
                ))
                .bind(key)
                .bind(stored)
                .bind(time::ts_mw(expires))
                .execute(p)
                .await?;
            }
            Db::Postgres(p, bytea) => {
                let sql = format!(
                    "INSERT INTO {t} (keyname, value, exptime) VALUES ($1, $2, to_timestamp($3)) \
                     ON CONFLICT (keyname) DO UPDATE SET value = EXCLUDED.value, \
                     exptime = EXCLUDED.exptime"
                );
                let q = sqlx::query(&sql).bind(key);
                let q = if *bytea {
                    q.bind(stored.to_vec())
                } else if std::str::from_utf8(stored).is_ok_and(is_integer) {
                    q.bind(String::from_utf8_lossy(stored).into_owned())
                } else {
                    q.bind(format!("\\x{}", hex::encode(stored)))
                };
                q.bind(expires as f64).execute(p).await?;
            }
        }
        Ok(())
    }

    async fn delete_key(&self, key: &str) -> StoreResult<()> {
        let t = &self.table;
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query(&format!("DELETE FROM {t} WHERE keyname = ?"))
                    .bind(key)
                    .execute(p)
                    .await?;
            }
            Db::Mysql(p) => {
                sqlx::query(&format!("DELETE FROM {t} WHERE keyname = ?"))
                    .bind(key)
                    .execute(p)
                    .await?;
            }
            Db::Postgres(p, _) => {
                sqlx::query(&format!("DELETE FROM {t} WHERE keyname = $1"))
                    .bind(key)
                    .execute(p)
                    .await?;
            }
        }
        Ok(())
    }

    /// The record's serialization (inflated), when the key is live.
    pub async fn load_raw(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .get_stored(&self.session_key(id))
            .await?
            .map(|stored| inflate_or_keep(&stored)))
    }

    /// Stores a serialization (deflated) until `expires`.
    pub async fn save_raw(&self, id: &str, serialized: &[u8], expires: i64) -> StoreResult<()> {
        self.put_stored(&self.session_key(id), &deflate(serialized), expires)
            .await
    }

    /// As RedisPhpSessionStore::load_record.
    pub async fn load_record(&self, id: &str) -> StoreResult<Option<PhpRecord>> {
        Ok(self.load_raw(id).await?.and_then(|b| PhpRecord::live(&b)))
    }

    /// One write to PHP's object cache, a row of the same table under CACHE_DB.
    async fn put_cache(&self, write: CacheWrite) -> StoreResult<()> {
        let expires = write.at + write.ttl;
        self.put_stored(&write.key, &deflate(&write.value), expires)
            .await
    }
}

#[async_trait]
impl SessionStore for ObjectCacheStore {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        Ok(self.load_record(id).await?.map(PhpRecord::into_loaded))
    }

    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        if expires < time::now() {
            return self.delete(id).await;
        }
        let previous = self.load_raw(id).await?;
        let bytes = record_for_store(previous.as_deref(), data, expires);
        self.save_raw(id, &bytes, expires).await
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.delete_key(&self.session_key(id)).await
    }

    /// SqlBagOStuff::incrWithInit: a live counter goes up by one, a missing or expired one
    /// starts at 1 and lives `ttl` seconds. Not atomic across concurrent first hits (both may
    /// write 1), as a throttle can afford.
    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        let key = self.throttle_key(key);
        let now = time::now();
        let current = self
            .get_stored(&key)
            .await?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok());
        let t = &self.table;
        let Some(n) = current else {
            let expires = now.saturating_add(i64::try_from(ttl.max(1)).unwrap_or(i64::MAX));
            self.put_stored(&key, b"1", expires).await?;
            return Ok(1);
        };
        let next = (n + 1).to_string();
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query(&format!("UPDATE {t} SET value = ? WHERE keyname = ?"))
                    .bind(&next)
                    .bind(&key)
                    .execute(p)
                    .await?;
            }
            Db::Mysql(p) => {
                sqlx::query(&format!("UPDATE {t} SET value = ? WHERE keyname = ?"))
                    .bind(&next)
                    .bind(&key)
                    .execute(p)
                    .await?;
            }
            Db::Postgres(p, bytea) => {
                let sql = format!("UPDATE {t} SET value = $1 WHERE keyname = $2");
                let q = sqlx::query(&sql);
                let q = if *bytea {
                    q.bind(next.clone().into_bytes())
                } else {
                    q.bind(next.clone())
                };
                q.bind(&key).execute(p).await?;
            }
        }
        Ok(n + 1)
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        self.delete_key(&self.throttle_key(key)).await
    }

    async fn throttle_count(&self, key: &str) -> StoreResult<u64> {
        let stored = self.get_stored(&self.throttle_key(key)).await?;
        Ok(stored
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0))
    }

    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()> {
        let expires = time::now().saturating_add(i64::try_from(ttl.max(1)).unwrap_or(i64::MAX));
        self.put_stored(
            &self.throttle_key(key),
            value.to_string().as_bytes(),
            expires,
        )
        .await
    }

    async fn user_changed(&self, user_id: u32) -> StoreResult<()> {
        self.put_cache(user_cache_purge(&self.keyspace, user_id, time::now()))
            .await
    }

    async fn user_logged_in_on_page(&self, user_id: u32) -> StoreResult<()> {
        self.put_cache(user_quick_touch(&self.keyspace, user_id, time::now()))
            .await
    }

    /// SqlBagOStuff::deleteObjectsExpiringBefore(now), which PHP also runs from time to time.
    async fn purge_expired(&self) -> StoreResult<u64> {
        let t = &self.table;
        let now = time::now();
        Ok(match &self.db {
            Db::Sqlite(p) => sqlx::query(&format!("DELETE FROM {t} WHERE exptime < ?"))
                .bind(time::ts_mw(now))
                .execute(p)
                .await?
                .rows_affected(),
            Db::Mysql(p) => sqlx::query(&format!("DELETE FROM {t} WHERE exptime < ?"))
                .bind(time::ts_mw(now))
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p, _) => {
                sqlx::query(&format!("DELETE FROM {t} WHERE exptime < to_timestamp($1)"))
                    .bind(now as f64)
                    .execute(p)
                    .await?
                    .rows_affected()
            }
        })
    }
}

/// SqlBagOStuff::isInteger: what it stores as text rather than as a serialization.
fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `gzdeflate($serial)`: raw deflate at zlib's default level, as PHP's.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("writing to a Vec");
    e.finish().expect("writing to a Vec")
}

/// SqlBagOStuff::unserialize's first step: inflate, or keep the bytes when they are not
/// deflate (integers' text; values written without zlib).
pub fn inflate_or_keep(stored: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // Sessions are kilobytes; a value that inflates past 16 MB is not one.
    let limit = 16 << 20;
    match flate2::read::DeflateDecoder::new(stored)
        .take(limit)
        .read_to_end(&mut out)
    {
        Ok(_) if (out.len() as u64) < limit => out,
        _ => stored.to_vec(),
    }
}

/// pg_unescape_bytea of the hex form PostgreSQL writes (`\x` and hex digits); any other
/// text is taken as it is.
fn pg_unescape_bytea(text: &str) -> Vec<u8> {
    text.strip_prefix("\\x")
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_else(|| text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflate_reads_back_and_php_values_inflate() {
        let serial = b"a:1:{s:1:\"k\";s:1:\"v\";}";
        assert_eq!(inflate_or_keep(&deflate(serial)), serial);
        // Integers' text is not deflate: kept as it is.
        assert_eq!(inflate_or_keep(b"17"), b"17");
        let php = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/php-sessions/db-botpassword.deflate"
        ));
        let ser = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/php-sessions/db-botpassword.ser"
        ));
        assert_eq!(inflate_or_keep(php), ser);
        assert_eq!(pg_unescape_bytea("\\x6162"), b"ab");
        assert_eq!(pg_unescape_bytea("17"), b"17");
    }
}

//! The two storage traits and their backends. Nothing above this module knows which backend
//! runs: the embedded default keeps users and sessions in one SQLite file; users are stored
//! by one implementation over three SQL dialects ([`sql`]); [`url`] opens
//! any backend from a URL (`sqlite:PATH`, `mysql://…`, `postgres://…` for users;
//! `memory`, `sqlite:PATH`, `redis://…` for sessions).

pub mod cache;
pub mod local;
pub mod memory;
pub mod mysql;
pub mod objectcache;
pub mod postgres;
pub mod redis;
pub mod redis_php;
pub mod session_log;
pub mod snapshot;
pub mod sql;
pub mod sqlite;
pub mod url;

use crate::session::SessionData;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use std::sync::Arc;

/// What BotPassword::save('update') writes over a bot password's row.
#[derive(Debug, Clone, Copy)]
pub struct BotPasswordUpdate<'a> {
    /// `bp_grants`, written as a JSON list.
    pub grants: &'a [String],
    /// `bp_restrictions`.
    pub restrictions: &'a str,
    /// `bp_token`: a new one, which ends the sessions made with the old.
    pub token: &'a str,
    /// `bp_password`, when it changes too.
    pub password_hash: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(String),
    #[error("{0}")]
    Conflict(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Users and bot passwords, in MediaWiki's `user`, `user_groups`, `actor` and
/// `bot_passwords` tables.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>>;
    /// Creates an account with `user_token` = `token` (the caller makes the secret); `Conflict`
    /// when the name is taken. Returns the new user id.
    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        token: &str,
        groups: &[String],
    ) -> StoreResult<u32>;
    /// `new_token` also replaces `user_token`, ending every session and remember-me cookie
    /// of the user (what a password change does; a rehash at login must not).
    async fn set_password(
        &self,
        id: u32,
        password_hash: &str,
        new_token: Option<&str>,
    ) -> StoreResult<()>;
    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()>;
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>>;

    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>>;
    /// `Conflict` when this user already has a bot password of that name.
    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()>;
    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()>;
    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>>;
    /// Returns whether a row was deleted.
    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool>;

    /// BotPassword::save('update'), what Special:BotPasswords' "Update" does: replaces
    /// `bp_grants` (a JSON list, as `create_bot_password` writes it), `bp_restrictions` and
    /// `bp_token`, and `bp_password` too when `update.password_hash` is given ("Reset the password").
    /// The token always changes, so every session made with the old one ends at its next
    /// request (its grants were fixed at login). Returns whether the bot password existed.
    /// Added for the web pages (issue 6); every backend implements it.
    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        update: BotPasswordUpdate<'_>,
    ) -> StoreResult<bool>;

    /// Creates OATHAuth's `oathauth_users` table where it is missing (as OATHAuth's
    /// `tables-generated.sql` has it), for a server with `[oath] enabled`. A wiki that runs
    /// OATHAuth has it already.
    ///
    /// The four `oath` methods have no default: a wrapper that forgot to pass them on would
    /// answer "not enrolled" and let an enrolled user in on the password alone.
    async fn create_oath_table(&self) -> StoreResult<()>;

    /// The user's `oathauth_users` row (`id` = `user_id`), if enrolled.
    async fn oath_user(&self, user_id: u32) -> StoreResult<Option<OathRow>>;

    /// Writes the user's `oathauth_users` row (OATHUserRepository::persist: replaces it).
    async fn set_oath_user(&self, user_id: u32, row: &OathRow) -> StoreResult<()>;

    /// Deletes the user's `oathauth_users` row (OATHUserRepository::remove); whether there
    /// was one.
    async fn delete_oath_user(&self, user_id: u32) -> StoreResult<bool>;

    /// The wiki's `site_stats` counters, read as SiteStats::doLoadFromDB reads them (every
    /// row summed, NULL as 0); `None` where the database has no `site_stats` table or no row
    /// in it, as in mwauth's own schema. No default: a wrapper that forgot to pass it on
    /// would report a fresh wiki's numbers beside a real wiki.
    async fn site_stats(&self) -> StoreResult<Option<SiteStatsRow>>;

    /// Writes a log entry into the wiki's `logging` table as ManualLogEntry::insert does
    /// (the performer's actor, the comment found or added in `comment`), and its
    /// `recentchanges` row as ::publish does when `entry.publish` is given. Returns the new
    /// `log_id`, `None` where the database has no `logging` table (mwauth's own schema).
    /// No default: a wrapper that forgot to pass it on would leave the wiki's logs short.
    async fn write_log_entry(&self, entry: &LogEntry<'_>) -> StoreResult<Option<i64>>;

    /// SiteStatsUpdate::factory(['users' => 1]): one more account in `site_stats`
    /// (`ss_row_id` 1). Returns whether a row was there to count it (never in mwauth's own
    /// schema). No default, as for `write_log_entry`.
    async fn count_new_user(&self) -> StoreResult<bool>;

    /// `user_by_id` for the request path: a row that a cache can lend without copying it.
    async fn user_by_id_shared(&self, id: u32) -> StoreResult<Option<Arc<UserRecord>>> {
        Ok(self.user_by_id(id).await?.map(Arc::new))
    }

    /// `bot_password` for the request path (see `user_by_id_shared`).
    async fn bot_password_shared(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<Arc<BotPasswordRecord>>> {
        Ok(self.bot_password(user_id, app_id).await?.map(Arc::new))
    }
}

/// Session data and throttle counters, both keyed and expiring.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The data and its expiry (unix seconds), when the session exists and has not expired.
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>>;
    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()>;
    async fn delete(&self, id: &str) -> StoreResult<()>;
    /// Adds one to a counter that lives `ttl` seconds from its first hit; returns the count.
    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
    /// A counter's value without counting (RateLimiter's peek); 0 when it is missing or
    /// expired.
    async fn throttle_count(&self, key: &str) -> StoreResult<u64>;
    /// Sets a counter to `value` for `ttl` seconds (a small stashed number, e.g. the last
    /// accepted TOTP step, `oathauth-totp:usedtokens:{id}`).
    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()>;
    /// How many sessions the store holds, for the `mwauth_sessions` gauge: the embedded
    /// stores count their map (an expired session until the next sweep); Redis and the
    /// objectcache table could count only by scanning the keyspace, so they answer `None`.
    fn sessions_held(&self) -> Option<u64> {
        None
    }
    /// Deletes expired sessions and counters, for backends that do not expire keys by
    /// themselves; returns how many went. Run from time to time.
    async fn purge_expired(&self) -> StoreResult<u64> {
        Ok(0)
    }
    /// The user row changed in a way that ends sessions (a new `user_token`): stores shared
    /// with a PHP wiki drop PHP's cached copy of the row (User::invalidateCache). Others
    /// have nothing to do.
    async fn user_changed(&self, _user_id: u32) -> StoreResult<()> {
        Ok(())
    }
    /// A login on the pages (Special:UserLogin) succeeded: stores shared with a PHP wiki
    /// touch the user's `user-quicktouched` check key as PHP does. Others have nothing to do.
    async fn user_logged_in_on_page(&self, _user_id: u32) -> StoreResult<()> {
        Ok(())
    }
}

/// A row of OATHAuth's `oathauth_users`: the module (`totp`) and its data (JSON text, see
/// `user::oath::OathData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OathRow {
    pub module: String,
    pub data: String,
}

/// One entry of MediaWiki's logging table, as a ManualLogEntry holds it.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    /// `log_type` and `log_action` (`oath`/`verify`, `newusers`/`create`, …).
    pub log_type: &'a str,
    pub action: &'a str,
    /// The performer's user name; its `actor` row gives `log_actor`.
    pub performer: &'a str,
    /// The target page: namespace number and DB key (`User:Carol` is 2, `Carol`).
    pub namespace: i64,
    pub title: &'a str,
    /// The reason, stored through CommentStore (`log_comment_id`).
    pub comment: &'a str,
    /// ManualLogEntry::setParameters with integer values (`4::userid`), serialized into
    /// `log_params` as PHP's serialize() writes the array.
    pub params: &'a [(&'a str, i64)],
    /// ::publish: the `recentchanges` row too.
    pub publish: Option<Publish<'a>>,
}

/// What RecentChange::newLogEntry takes from the request.
#[derive(Debug, Clone, Copy)]
pub struct Publish<'a> {
    /// `rc_ip` (`$wgPutIPinRC`).
    pub ip: &'a str,
    /// `rc_bot`: the performer has the `bot` right.
    pub bot: bool,
}

/// MediaWiki's `site_stats` (SiteStats::selectFields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteStatsRow {
    /// `ss_total_edits`.
    pub edits: i64,
    /// `ss_good_articles`.
    pub articles: i64,
    /// `ss_total_pages`.
    pub pages: i64,
    /// `ss_users`.
    pub users: i64,
    /// `ss_active_users`.
    pub active_users: i64,
    /// `ss_images`.
    pub images: i64,
}

/// MediaWiki's `$wgDBprefix` may only hold `[A-Za-z0-9_]`; anything else would end up
/// inside SQL identifiers.
pub fn check_table_prefix(prefix: &str) -> StoreResult<()> {
    if prefix.len() <= 32
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(StoreError::Db(format!(
            "invalid table prefix \"{prefix}\": at most 32 characters of A-Z, a-z, 0-9 and _"
        )))
    }
}

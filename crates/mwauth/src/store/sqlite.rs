//! The embedded default: one SQLite file (WAL mode) with MediaWiki 1.39's own `user`,
//! `user_groups`, `actor` and `bot_passwords` tables, so the same file can be shared with a
//! real MediaWiki, plus mwauth's session and throttle tables.

use super::session_log::{self, Stored};
use super::{OathRow, SessionStore, StoreError, StoreResult, UserStore};
use crate::session::SessionData;
use crate::time;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// MediaWiki 1.39's SQLite DDL for the tables mwauth reads and writes (as its installer
/// writes them), then mwauth's own tables.
const SCHEMA: &[&str] = &[
    r#"CREATE TABLE IF NOT EXISTS "/*_*/user" (
 user_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
 user_name BLOB DEFAULT '' NOT NULL,
 user_real_name BLOB DEFAULT '' NOT NULL,
 user_password BLOB NOT NULL, user_newpassword BLOB NOT NULL,
 user_newpass_time BLOB DEFAULT NULL,
 user_email CLOB NOT NULL, user_touched BLOB NOT NULL,
 user_token BLOB DEFAULT '' NOT NULL,
 user_email_authenticated BLOB DEFAULT NULL,
 user_email_token BLOB DEFAULT NULL,
 user_email_token_expires BLOB DEFAULT NULL,
 user_registration BLOB DEFAULT NULL,
 user_editcount INTEGER  DEFAULT NULL,
 user_password_expires BLOB DEFAULT NULL
 )"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS /*_*/user_name ON "/*_*/user" (user_name)"#,
    r#"CREATE INDEX IF NOT EXISTS /*_*/user_email_token ON "/*_*/user" (user_email_token)"#,
    r#"CREATE INDEX IF NOT EXISTS /*_*/user_email ON "/*_*/user" (user_email)"#,
    r#"CREATE TABLE IF NOT EXISTS "/*_*/user_groups" (
 ug_user INTEGER  DEFAULT 0 NOT NULL,
 ug_group BLOB DEFAULT '' NOT NULL,
 ug_expiry BLOB DEFAULT NULL,
 PRIMARY KEY(ug_user, ug_group)
 )"#,
    r#"CREATE INDEX IF NOT EXISTS /*_*/ug_group ON "/*_*/user_groups" (ug_group)"#,
    r#"CREATE INDEX IF NOT EXISTS /*_*/ug_expiry ON "/*_*/user_groups" (ug_expiry)"#,
    r#"CREATE TABLE IF NOT EXISTS "/*_*/actor" (
 actor_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
 actor_user INTEGER  DEFAULT NULL,
 actor_name BLOB NOT NULL
 )"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS /*_*/actor_user ON "/*_*/actor" (actor_user)"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS /*_*/actor_name ON "/*_*/actor" (actor_name)"#,
    r#"CREATE TABLE IF NOT EXISTS "/*_*/bot_passwords" (
 bp_user INTEGER  NOT NULL,
 bp_app_id BLOB NOT NULL,
 bp_password BLOB NOT NULL,
 bp_token BLOB DEFAULT '' NOT NULL,
 bp_restrictions BLOB NOT NULL,
 bp_grants BLOB NOT NULL,
 PRIMARY KEY(bp_user, bp_app_id)
 )"#,
    SESSION_TABLE,
    r#"DROP INDEX IF EXISTS /*_*/mwauth_session_expires"#,
    // The session journal of earlier builds, which appended every session write here; now
    // they go to the session log (super::session_log). Still read at start-up, so that an
    // upgrade ends no session, and emptied by the first snapshot.
    JOURNAL_TABLE,
    r#"CREATE TABLE IF NOT EXISTS /*_*/mwauth_throttle (
 mt_key TEXT PRIMARY KEY NOT NULL,
 mt_count INTEGER NOT NULL,
 mt_expires INTEGER NOT NULL
 )"#,
];

/// OATHAuth 0.5.0's `oathauth_users` (its sql/sqlite/tables-generated.sql), made only for a
/// server with two-factor logins on.
const OATH_TABLE: &str = "CREATE TABLE IF NOT EXISTS /*_*/oathauth_users (
  id INTEGER NOT NULL,
  module VARCHAR(255) NOT NULL,
  data BLOB DEFAULT NULL,
  PRIMARY KEY(id)
)";

/// The sessions' table. One b-tree keyed by the session id (WITHOUT ROWID): a session write
/// touches one tree. No index on ms_expires: only the purge every ten minutes looks for
/// expired rows, and a scan is cheaper than keeping a second tree up to date on every login
/// and logout. A snapshot (super::snapshot) makes its replacement from the same text.
pub(crate) const SESSION_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS /*_*/mwauth_session (
 ms_id TEXT PRIMARY KEY NOT NULL,
 ms_data TEXT NOT NULL,
 ms_expires INTEGER NOT NULL
 ) WITHOUT ROWID"#;

/// The session journal's table (see SCHEMA).
const JOURNAL_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS /*_*/mwauth_session_journal (
 mj_seq INTEGER PRIMARY KEY,
 mj_id TEXT NOT NULL,
 mj_data TEXT,
 mj_expires INTEGER NOT NULL
 )"#;

const USER_COLUMNS: &str = "user_id, CAST(user_name AS TEXT) AS name, CAST(user_password AS TEXT) AS password, \
    CAST(user_token AS TEXT) AS token, CAST(COALESCE(user_registration, '') AS TEXT) AS registration, \
    COALESCE(user_editcount, 0) AS editcount";

const BP_COLUMNS: &str = "bp_user, CAST(bp_app_id AS TEXT) AS app_id, CAST(bp_password AS TEXT) AS password, \
    CAST(bp_token AS TEXT) AS token, CAST(bp_restrictions AS TEXT) AS restrictions, CAST(bp_grants AS TEXT) AS grants";

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The database file, whose session log (super::session_log) sits beside it.
    path: PathBuf,
    /// `$wgDBprefix`: put before every table name, and before index names (SQLite's index
    /// names are per database; with no prefix they are MediaWiki's own).
    prefix: String,
}

/// MediaWiki's four tables, then mwauth's three.
const TABLES: [&str; 7] = [
    "user",
    "user_groups",
    "actor",
    "bot_passwords",
    "mwauth_session",
    "mwauth_session_journal",
    "mwauth_throttle",
];

impl SqliteStore {
    /// Opens (creating when missing) the database file and its tables.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        Self::open_with_prefix(path, "").await
    }

    /// As [`open`](Self::open), with table names prefixed by `prefix` (`$wgDBprefix`).
    pub async fn open_with_prefix(path: &Path, prefix: &str) -> StoreResult<SqliteStore> {
        let store = Self::connect(path, prefix, true).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens an existing file without creating or changing anything (check-config).
    pub async fn connect_existing(path: &Path, prefix: &str) -> StoreResult<SqliteStore> {
        Self::connect(path, prefix, false).await
    }

    async fn connect(path: &Path, prefix: &str, create: bool) -> StoreResult<SqliteStore> {
        super::check_table_prefix(prefix)?;
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new()
            // Each connection keeps its own page cache (2 MB at most): a few are plenty for
            // user rows, which are cached above the store (super::cache).
            .max_connections(4)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
            prefix: prefix.to_string(),
        })
    }

    /// `$wgDBprefix`, for [`super::snapshot::Snapshots`].
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The SQL with `/*_*/` replaced by the table prefix.
    fn t(&self, sql: &str) -> String {
        sql.replace("/*_*/", &self.prefix)
    }

    /// Which of MediaWiki's four tables exist (unprefixed names), and how many users.
    pub async fn inspect(&self) -> StoreResult<(Vec<&'static str>, Option<i64>)> {
        let present = self.present_tables().await?;
        let mw: Vec<&'static str> = present
            .iter()
            .copied()
            .filter(|t| !t.starts_with("mwauth_"))
            .collect();
        let count = if mw.contains(&"user") {
            let row = sqlx::query(&self.t("SELECT COUNT(*) FROM \"/*_*/user\""))
                .fetch_one(&self.pool)
                .await?;
            Some(row.get::<i64, _>(0))
        } else {
            None
        };
        Ok((mw, count))
    }

    /// Live sessions (mwauth_session with the session log applied), or None when the session
    /// table does not exist yet.
    pub async fn session_count(&self) -> StoreResult<Option<i64>> {
        let tables = self.present_tables().await?;
        if !tables.contains(&"mwauth_session") {
            return Ok(None);
        }
        if !tables.contains(&"mwauth_session_journal") {
            // A file no mwauth with the journal has served: no session log either.
            let row = sqlx::query(
                &self.t("SELECT COUNT(*) FROM /*_*/mwauth_session WHERE ms_expires >= ?"),
            )
            .bind(time::now())
            .fetch_one(&self.pool)
            .await?;
            return Ok(Some(row.get::<i64, _>(0)));
        }
        Ok(Some(self.live_sessions().await?.len() as i64))
    }

    async fn present_tables(&self) -> StoreResult<Vec<&'static str>> {
        let rows = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&self.pool)
            .await?;
        let names: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
        Ok(TABLES
            .iter()
            .copied()
            .filter(|t| names.iter().any(|n| *n == format!("{}{t}", self.prefix)))
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for stmt in SCHEMA {
            sqlx::query(&self.t(stmt)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every live session, as a restart reads them: mwauth_session, then the session
    /// journal of earlier builds and the session log (super::session_log), each in order;
    /// expired ones left out. Session id → (JSON data, expiry).
    pub async fn live_sessions(&self) -> StoreResult<Stored> {
        let mut live = self.stored_sessions().await?;
        // Reads files on the runtime: for tests and `check-config`; the server reads the
        // log on its session thread.
        session_log::replay(&self.path, &mut live, time::now())?;
        Ok(live)
    }

    /// The sessions of the tables alone (before the session log is applied).
    pub(crate) async fn stored_sessions(&self) -> StoreResult<Stored> {
        let now = time::now();
        let mut live = HashMap::new();
        let table = self
            .t("SELECT ms_id, ms_data, ms_expires FROM /*_*/mwauth_session WHERE ms_expires >= ?");
        let mut rows = sqlx::query(&table).bind(now).fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let data: String = row.get(1);
            live.insert(row.get::<String, _>(0), (data.into_boxed_str(), row.get(2)));
        }
        drop(rows);
        let journal = self.t(
            "SELECT mj_id, mj_data, mj_expires FROM /*_*/mwauth_session_journal ORDER BY mj_seq",
        );
        let mut rows = sqlx::query(&journal).fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let data: Option<&str> = row.get(1);
            session_log::apply(&mut live, row.get(0), data.map(|d| (d, row.get(2))), now);
        }
        Ok(live)
    }

    /// Whether the session tables can be read (a cheap query, for start-up).
    pub async fn sessions_readable(&self) -> StoreResult<()> {
        sqlx::query(
            &self.t("SELECT (SELECT 1 FROM /*_*/mwauth_session LIMIT 1), \
             (SELECT 1 FROM /*_*/mwauth_session_journal LIMIT 1)"),
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(())
    }

    /// Session writes not yet folded into mwauth_session: the old journal table's entries
    /// and the session log's records.
    pub async fn journal_len(&self) -> StoreResult<u64> {
        let row = sqlx::query(&self.t("SELECT COUNT(*) FROM /*_*/mwauth_session_journal"))
            .fetch_one(&self.pool)
            .await?;
        let log = session_log::size(&self.path)?;
        Ok(row.get::<i64, _>(0).max(0) as u64 + log.records)
    }

    /// Deletes expired sessions and throttle counters; run from time to time.
    pub async fn purge_expired(&self) -> StoreResult<u64> {
        let now = time::now();
        let a = sqlx::query(&self.t("DELETE FROM /*_*/mwauth_session WHERE ms_expires < ?"))
            .bind(now)
            .execute(&self.pool)
            .await?;
        let b = sqlx::query(&self.t("DELETE FROM /*_*/mwauth_throttle WHERE mt_expires < ?"))
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(a.rows_affected() + b.rows_affected())
    }

    async fn groups_of(&self, id: u32) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(&self.t(
            "SELECT CAST(ug_group AS TEXT) AS g FROM /*_*/user_groups WHERE ug_user = ? \
             AND (ug_expiry IS NULL OR CAST(ug_expiry AS TEXT) > ?) ORDER BY rowid",
        ))
        .bind(id)
        .bind(time::ts_mw(time::now()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>("g")).collect())
    }

    async fn user_where(
        &self,
        clause: &str,
        bind: either::Either<&str, u32>,
    ) -> StoreResult<Option<UserRecord>> {
        let sql = self.t(&format!(
            "SELECT {USER_COLUMNS} FROM \"/*_*/user\" WHERE {clause}"
        ));
        let q = sqlx::query(&sql);
        let q = match bind {
            either::Either::Left(s) => q.bind(s.to_string()),
            either::Either::Right(n) => q.bind(n),
        };
        let Some(row) = q.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut user = user_from_row(&row);
        user.groups = self.groups_of(user.id).await?;
        Ok(Some(user))
    }
}

mod either {
    pub enum Either<L, R> {
        Left(L),
        Right(R),
    }
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> UserRecord {
    UserRecord {
        id: row.get::<i64, _>("user_id") as u32,
        name: row.get("name"),
        password: row.get("password"),
        token: row.get("token"),
        registration: row.get("registration"),
        editcount: row.get::<i64, _>("editcount").max(0) as u64,
        groups: Vec::new(),
    }
}

fn bp_from_row(row: &sqlx::sqlite::SqliteRow) -> BotPasswordRecord {
    let grants: String = row.get("grants");
    BotPasswordRecord {
        user_id: row.get::<i64, _>("bp_user") as u32,
        app_id: row.get("app_id"),
        password: row.get("password"),
        token: row.get("token"),
        restrictions: row.get("restrictions"),
        grants: serde_json::from_str(&grants).unwrap_or_default(),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        self.user_where(
            "user_name = CAST(?1 AS BLOB) OR user_name = ?1",
            either::Either::Left(name),
        )
        .await
    }

    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        self.user_where("user_id = ?", either::Either::Right(id))
            .await
    }

    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        groups: &[String],
    ) -> StoreResult<u32> {
        let now = time::ts_mw(time::now());
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            &self.t("INSERT INTO \"/*_*/user\" (user_name, user_real_name, user_password, user_newpassword, user_email, \
             user_touched, user_token, user_registration, user_editcount) VALUES (?, '', ?, '', '', ?, ?, ?, 0)"),
        )
        .bind(name)
        .bind(password_hash)
        .bind(&now)
        .bind(crate::session::random_hex(32))
        .bind(&now)
        .execute(&mut *tx)
        .await;
        let id = match res {
            Ok(r) => r.last_insert_rowid() as u32,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "user \"{name}\" already exists"
                )))
            }
            Err(e) => return Err(e.into()),
        };
        // MediaWiki gives every registered user an actor row; keep the file usable by it.
        sqlx::query(
            &self.t("INSERT OR IGNORE INTO /*_*/actor (actor_user, actor_name) VALUES (?, ?)"),
        )
        .bind(id)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        for g in groups {
            sqlx::query(&self.t("INSERT OR IGNORE INTO /*_*/user_groups (ug_user, ug_group, ug_expiry) VALUES (?, ?, NULL)"))
                .bind(id)
                .bind(g)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn set_password(
        &self,
        id: u32,
        password_hash: &str,
        reset_token: bool,
    ) -> StoreResult<()> {
        // A password change also gets a new user_token, as MediaWiki's does, so sessions and
        // remember-me cookies issued before it stop working.
        let sql = if reset_token {
            "UPDATE \"/*_*/user\" SET user_password = ?, user_token = ?, user_touched = ? WHERE user_id = ?"
        } else {
            "UPDATE \"/*_*/user\" SET user_password = ?, user_token = user_token || substr(?, 1, 0), user_touched = ? WHERE user_id = ?"
        };
        sqlx::query(&self.t(sql))
            .bind(password_hash)
            .bind(crate::session::random_hex(32))
            .bind(time::ts_mw(time::now()))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        sqlx::query(&self.t("UPDATE \"/*_*/user\" SET user_token = ? WHERE user_id = ?"))
            .bind(token)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        let rows = sqlx::query(&self.t(&format!(
            "SELECT {USER_COLUMNS} FROM \"/*_*/user\" ORDER BY user_id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut u = user_from_row(row);
            u.groups = self.groups_of(u.id).await?;
            out.push(u);
        }
        Ok(out)
    }

    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>> {
        let row = sqlx::query(&self.t(&format!(
            "SELECT {BP_COLUMNS} FROM /*_*/bot_passwords WHERE bp_user = ? AND (bp_app_id = CAST(? AS BLOB) OR bp_app_id = ?)"
        )))
        .bind(user_id)
        .bind(app_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(bp_from_row))
    }

    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        if self.bot_password(bp.user_id, &bp.app_id).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "bot password \"{}\" already exists",
                bp.app_id
            )));
        }
        let res = sqlx::query(
            &self.t("INSERT INTO /*_*/bot_passwords (bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants) \
             VALUES (?, ?, ?, ?, ?, ?)"),
        )
        .bind(bp.user_id)
        .bind(&bp.app_id)
        .bind(&bp.password)
        .bind(&bp.token)
        .bind(&bp.restrictions)
        .bind(serde_json::to_string(&bp.grants).unwrap_or_else(|_| "[]".into()))
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "bot password \"{}\" already exists",
                bp.app_id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()> {
        sqlx::query(&self.t("UPDATE /*_*/bot_passwords SET bp_password = ? WHERE bp_user = ? AND CAST(bp_app_id AS TEXT) = ?"))
            .bind(hash)
            .bind(user_id)
            .bind(app_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        let rows = sqlx::query(&self.t(&format!(
            "SELECT {BP_COLUMNS} FROM /*_*/bot_passwords WHERE bp_user = ? ORDER BY app_id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(bp_from_row).collect())
    }

    async fn create_oath_table(&self) -> StoreResult<()> {
        sqlx::query(&self.t(OATH_TABLE)).execute(&self.pool).await?;
        Ok(())
    }

    async fn oath_user(&self, user_id: u32) -> StoreResult<Option<OathRow>> {
        let row = sqlx::query(&self.t(
            "SELECT CAST(module AS TEXT), CAST(COALESCE(data, '') AS TEXT) \
             FROM /*_*/oathauth_users WHERE id = ?",
        ))
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| OathRow {
            module: r.get(0),
            data: r.get(1),
        }))
    }

    async fn set_oath_user(&self, user_id: u32, row: &OathRow) -> StoreResult<()> {
        sqlx::query(&self.t(
            "INSERT INTO /*_*/oathauth_users (id, module, data) VALUES (?, ?, ?) \
             ON CONFLICT(id) DO UPDATE SET module = excluded.module, data = excluded.data",
        ))
        .bind(user_id)
        .bind(&row.module)
        .bind(&row.data)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_oath_user(&self, user_id: u32) -> StoreResult<bool> {
        let r = sqlx::query(&self.t("DELETE FROM /*_*/oathauth_users WHERE id = ?"))
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        let r =
            sqlx::query(&self.t(
                "DELETE FROM /*_*/bot_passwords WHERE bp_user = ? AND CAST(bp_app_id AS TEXT) = ?",
            ))
            .bind(user_id)
            .bind(app_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        grants: &[String],
        restrictions: &str,
        token: &str,
        password_hash: Option<&str>,
    ) -> StoreResult<bool> {
        let r = sqlx::query(&self.t(
            "UPDATE /*_*/bot_passwords SET bp_grants = ?, bp_restrictions = ?, bp_token = ?, \
             bp_password = COALESCE(?, bp_password) \
             WHERE bp_user = ? AND CAST(bp_app_id AS TEXT) = ?",
        ))
        .bind(serde_json::to_string(grants).unwrap_or_else(|_| "[]".into()))
        .bind(restrictions)
        .bind(token)
        .bind(password_hash)
        .bind(user_id)
        .bind(app_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        let row = sqlx::query(
            &self.t("SELECT ms_data, ms_expires FROM /*_*/mwauth_session WHERE ms_id = ? AND ms_expires >= ?"),
        )
        .bind(id)
        .bind(time::now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.get("ms_data");
        // Data we cannot read is treated as no session, never as an error page.
        Ok(serde_json::from_str(&data)
            .ok()
            .map(|d| (Arc::new(d), row.get("ms_expires"))))
    }

    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        let json = serde_json::to_string(data).map_err(|e| StoreError::Db(e.to_string()))?;
        sqlx::query(
            &self.t("INSERT INTO /*_*/mwauth_session (ms_id, ms_data, ms_expires) VALUES (?, ?, ?) \
             ON CONFLICT(ms_id) DO UPDATE SET ms_data = excluded.ms_data, ms_expires = excluded.ms_expires"),
        )
        .bind(id)
        .bind(json)
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query(&self.t("DELETE FROM /*_*/mwauth_session WHERE ms_id = ?"))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        let now = time::now();
        let row = sqlx::query(&self.t(
            "INSERT INTO /*_*/mwauth_throttle (mt_key, mt_count, mt_expires) VALUES (?, 1, ?) \
             ON CONFLICT(mt_key) DO UPDATE SET \
               mt_count = CASE WHEN mt_expires < ? THEN 1 ELSE mt_count + 1 END, \
               mt_expires = CASE WHEN mt_expires < ? THEN excluded.mt_expires ELSE mt_expires END \
             RETURNING mt_count",
        ))
        .bind(key)
        .bind(now + ttl as i64)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get::<i64, _>(0).max(0) as u64)
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        sqlx::query(&self.t("DELETE FROM /*_*/mwauth_throttle WHERE mt_key = ?"))
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn purge_expired(&self) -> StoreResult<u64> {
        SqliteStore::purge_expired(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("wiki.sqlite"))
            .await
            .unwrap();
        (dir, s)
    }

    #[tokio::test]
    async fn users_round_trip_in_mediawiki_tables() {
        let (_d, s) = store().await;
        let id = s
            .create_user("Alice", ":A:x", &["sysop".into()])
            .await
            .unwrap();
        assert_eq!(id, 1);
        let u = s.user_by_name("Alice").await.unwrap().unwrap();
        assert_eq!(
            (u.id, u.password.as_str(), u.groups.clone()),
            (1, ":A:x", vec!["sysop".to_string()])
        );
        assert_eq!(u.registration.len(), 14);
        assert_eq!(u.token.len(), 32);
        assert!(matches!(
            s.create_user("Alice", "", &[]).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(s.user_by_name("alice").await.unwrap().is_none());
        assert_eq!(s.user_by_id(1).await.unwrap().unwrap().name, "Alice");
    }

    #[tokio::test]
    async fn reads_rows_stored_as_blobs_like_mediawiki_does() {
        let (_d, s) = store().await;
        sqlx::query("INSERT INTO \"user\" (user_name, user_password, user_newpassword, user_email, user_touched, user_token) VALUES (CAST('Bob' AS BLOB), CAST(':A:y' AS BLOB), '', '', CAST('20260101000000' AS BLOB), CAST('t' AS BLOB))")
            .execute(&s.pool).await.unwrap();
        let u = s.user_by_name("Bob").await.unwrap().unwrap();
        assert_eq!(u.password, ":A:y");
        assert_eq!(u.registration, "");
    }

    #[tokio::test]
    async fn sessions_expire_and_delete() {
        let (_d, s) = store().await;
        let data = SessionData {
            user_id: 3,
            user_name: "Alice".into(),
            ..Default::default()
        };
        s.save("a", &data, time::now() + 60).await.unwrap();
        s.save("old", &data, time::now() - 1).await.unwrap();
        assert_eq!(
            s.load("a").await.unwrap().unwrap().0,
            Arc::new(data.clone())
        );
        assert!(s.load("old").await.unwrap().is_none());
        s.delete("a").await.unwrap();
        assert!(s.load("a").await.unwrap().is_none());
        assert_eq!(s.purge_expired().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn throttle_counts_and_clears() {
        let (_d, s) = store().await;
        assert_eq!(s.throttle_hit("k", 300).await.unwrap(), 1);
        assert_eq!(s.throttle_hit("k", 300).await.unwrap(), 2);
        s.throttle_clear("k").await.unwrap();
        assert_eq!(s.throttle_hit("k", 300).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn bot_passwords_round_trip() {
        let (_d, s) = store().await;
        let bp = BotPasswordRecord {
            user_id: 1,
            app_id: "bot".into(),
            password: ":A:x".into(),
            token: "t".into(),
            restrictions: "{}".into(),
            grants: vec!["basic".into()],
        };
        s.create_bot_password(&bp).await.unwrap();
        assert!(matches!(
            s.create_bot_password(&bp).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.bot_password(1, "bot").await.unwrap().unwrap(), bp);
        assert_eq!(s.list_bot_passwords(1).await.unwrap().len(), 1);
        assert!(s.delete_bot_password(1, "bot").await.unwrap());
        assert!(!s.delete_bot_password(1, "bot").await.unwrap());
    }
}

//! SQLite as a [`Dialect`] of the SQL user store (super::sql), and the embedded default's
//! file: one SQLite file (WAL mode) with MediaWiki 1.39's own `user`, `user_groups`, `actor`
//! and `bot_passwords` tables, so the same file can be shared with a real MediaWiki, plus the
//! tables the file's sessions are kept in (super::local; a database per node).
//!
//! MediaWiki declares the text columns BLOB; its own writes store text, yet a value may be
//! stored as a BLOB, which SQLite never finds equal to the same text: lookups compare both.

use super::session_log::{self, Stored};
use super::sql::{text_of_bytes, Arg, Dialect, Placeholders, SqlUsers, Q};
use super::StoreResult;
use crate::time;
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteRow, SqliteSynchronous,
};
use sqlx::Row;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// MediaWiki 1.39's SQLite DDL for the tables mwauth reads and writes (as its installer
/// writes them), then the tables of the sessions kept in the same file
/// (super::local).
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
];

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

/// MediaWiki's four tables, then the sessions' two (unprefixed).
const TABLES: [&str; 6] = [
    "user",
    "user_groups",
    "actor",
    "bot_passwords",
    "mwauth_session",
    "mwauth_session_journal",
];

/// The SQLite dialect: the database file, whose session log (super::session_log) sits
/// beside it.
#[derive(Clone, Debug)]
pub struct SqliteFile {
    path: PathBuf,
}

/// Users, and the sessions' tables, in one SQLite file.
pub type SqliteStore = SqlUsers<SqliteFile>;

impl Dialect for SqliteFile {
    type DB = Sqlite;
    const PLACEHOLDERS: Placeholders = Placeholders::Numbered;
    const LAST_ID: &'static str = "SELECT last_insert_rowid()";
    const OATH_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS {table} (\
        id INTEGER NOT NULL, module VARCHAR(255) NOT NULL, data BLOB DEFAULT NULL, \
        PRIMARY KEY(id))";
    const TABLE_NAMES: &'static str = "SELECT name FROM sqlite_master WHERE type = 'table'";
    const GREATEST: &'static str = "MAX";

    fn quote(table: &str) -> String {
        format!("\"{table}\"")
    }

    fn text_eq(col: &str, p: &str) -> String {
        format!("({col} = {p} OR {col} = CAST({p} AS BLOB))")
    }

    fn after(col: &str, p: &str) -> String {
        format!("CAST({col} AS TEXT) > {p}")
    }

    fn insert_ignore(rest: &str) -> String {
        format!("INSERT OR IGNORE INTO {rest}")
    }

    fn bind<'q>(q: Q<'q, Sqlite>, arg: Arg<'q>) -> Q<'q, Sqlite> {
        match arg {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(n) => q.bind(n),
            Arg::Time(t) => q.bind(time::ts_mw(t)),
        }
    }

    fn text(row: &SqliteRow, i: usize) -> StoreResult<String> {
        let b: Option<Vec<u8>> = row.try_get(i)?;
        Ok(b.map(text_of_bytes).unwrap_or_default())
    }

    fn int(row: &SqliteRow, i: usize) -> StoreResult<i64> {
        Ok(row.try_get::<Option<i64>, _>(i)?.unwrap_or(0))
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

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
        let file = SqliteFile {
            path: path.to_path_buf(),
        };
        Ok(SqlUsers::new(pool, prefix, "user", file))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.dialect().path
    }

    /// The SQL with `/*_*/` replaced by the table prefix (SQLite's index names are per
    /// database, so they get the prefix too; with none they are MediaWiki's own).
    fn t(&self, sql: &str) -> String {
        sql.replace("/*_*/", self.prefix())
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for stmt in SCHEMA {
            sqlx::query(&self.t(stmt)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count(&self, sql: &str) -> StoreResult<i64> {
        let row = sqlx::query(&self.t(sql)).fetch_one(self.pool()).await?;
        Ok(row.try_get::<i64, _>(0)?)
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
            let live = format!(
                "SELECT COUNT(*) FROM /*_*/mwauth_session WHERE ms_expires >= {}",
                time::now()
            );
            return Ok(Some(self.count(&live).await?));
        }
        Ok(Some(self.live_sessions().await?.len() as i64))
    }

    async fn present_tables(&self) -> StoreResult<Vec<&'static str>> {
        let rows = sqlx::query(<SqliteFile as Dialect>::TABLE_NAMES)
            .fetch_all(self.pool())
            .await?;
        let mut names = Vec::with_capacity(rows.len());
        for row in &rows {
            names.push(SqliteFile::text(row, 0)?);
        }
        Ok(TABLES
            .iter()
            .copied()
            .filter(|t| names.iter().any(|n| *n == format!("{}{t}", self.prefix())))
            .collect())
    }

    /// Every live session, as a restart reads them: mwauth_session, then the session
    /// journal of earlier builds and the session log (super::session_log), each in order;
    /// expired ones left out. Session id → (JSON data, expiry).
    pub async fn live_sessions(&self) -> StoreResult<Stored> {
        let mut live = self.stored_sessions().await?;
        // Reads files on the runtime: for tests and `check-config`; the server reads the
        // log on its session thread.
        session_log::replay(self.path(), &mut live, time::now())?;
        Ok(live)
    }

    /// The sessions of the tables alone (before the session log is applied).
    pub(crate) async fn stored_sessions(&self) -> StoreResult<Stored> {
        let now = time::now();
        let mut live = HashMap::new();
        let table = self
            .t("SELECT ms_id, ms_data, ms_expires FROM /*_*/mwauth_session WHERE ms_expires >= ?");
        let mut rows = sqlx::query(&table).bind(now).fetch(self.pool());
        while let Some(row) = rows.try_next().await? {
            let data: String = row.try_get(1)?;
            live.insert(
                row.try_get::<String, _>(0)?,
                (data.into_boxed_str(), row.try_get(2)?),
            );
        }
        drop(rows);
        let journal = self.t(
            "SELECT mj_id, mj_data, mj_expires FROM /*_*/mwauth_session_journal ORDER BY mj_seq",
        );
        let mut rows = sqlx::query(&journal).fetch(self.pool());
        while let Some(row) = rows.try_next().await? {
            let data: Option<&str> = row.try_get(1)?;
            let entry = match data {
                Some(d) => Some((d, row.try_get(2)?)),
                None => None,
            };
            session_log::apply(&mut live, row.try_get(0)?, entry, now);
        }
        Ok(live)
    }

    /// Whether the session tables can be read (a cheap query, for start-up).
    pub async fn sessions_readable(&self) -> StoreResult<()> {
        sqlx::query(
            &self.t("SELECT (SELECT 1 FROM /*_*/mwauth_session LIMIT 1), \
             (SELECT 1 FROM /*_*/mwauth_session_journal LIMIT 1)"),
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(())
    }

    /// Session writes not yet folded into mwauth_session: the old journal table's entries
    /// and the session log's records.
    pub async fn journal_len(&self) -> StoreResult<u64> {
        let rows = self
            .count("SELECT COUNT(*) FROM /*_*/mwauth_session_journal")
            .await?;
        let log = session_log::size(self.path())?;
        Ok(rows.max(0) as u64 + log.records)
    }

    /// Deletes the sessions of the table that have expired; run from time to time.
    pub async fn purge_expired(&self) -> StoreResult<u64> {
        let done = sqlx::query(&self.t("DELETE FROM /*_*/mwauth_session WHERE ms_expires < ?"))
            .bind(time::now())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoreError, UserStore};
    use crate::user::BotPasswordRecord;

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
            .create_user("Alice", ":A:x", &"t".repeat(32), &["sysop".into()])
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
            s.create_user("Alice", "", "", &[]).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(s.user_by_name("alice").await.unwrap().is_none());
        assert_eq!(s.user_by_id(1).await.unwrap().unwrap().name, "Alice");
    }

    #[tokio::test]
    async fn reads_rows_stored_as_blobs_like_mediawiki_does() {
        let (_d, s) = store().await;
        sqlx::query("INSERT INTO \"user\" (user_name, user_password, user_newpassword, user_email, user_touched, user_token) VALUES (CAST('Bob' AS BLOB), CAST(':A:y' AS BLOB), '', '', CAST('20260101000000' AS BLOB), CAST('t' AS BLOB))")
            .execute(s.pool()).await.unwrap();
        let u = s.user_by_name("Bob").await.unwrap().unwrap();
        assert_eq!(u.password, ":A:y");
        assert_eq!(u.registration, "");
    }

    /// Groups stored as BLOBs count as well as text ones: expired ones are left out, and the
    /// rest come by name, as MediaWiki lists them.
    #[tokio::test]
    async fn groups_by_name_whether_stored_as_text_or_blob() {
        let (_d, s) = store().await;
        let id = s
            .create_user("Carol", "", "", &["sysop".into()])
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO user_groups (ug_user, ug_group, ug_expiry) VALUES \
             (?1, CAST('bot' AS BLOB), NULL), (?1, CAST('old' AS BLOB), CAST('20000101000000' AS BLOB)), \
             (?1, 'bureaucrat', CAST('29990101000000' AS BLOB))",
        )
        .bind(i64::from(id))
        .execute(s.pool())
        .await
        .unwrap();
        let want = ["bot", "bureaucrat", "sysop"];
        assert_eq!(s.user_by_id(id).await.unwrap().unwrap().groups, want);
        assert_eq!(s.list_users().await.unwrap()[0].groups, want);
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
